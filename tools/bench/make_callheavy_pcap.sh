#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark input: one capture of many short RPC sessions from the project lab (run as root,
# under `flock /tmp/rpcmon-live.lock` like every lab user). Where rpcmon's cost is per call.
#
# Usage: tools/bench/make_callheavy_pcap.sh [OUT.pcap]   (default build-bench/callheavy.pcap)
#
# Brings up lab "callh<PID>" (tools/lab/netns.sh, offloads off: MTU-sized frames with real
# checksums), starts rpcbind + nfs-ganesha (onc_server.sh) and a Samba AD DC (dc_server.sh:
# endpoint mapper on 135, dynamic RPC ports, SMB pipes on 445) in the server namespace, and
# captures on the server veth (tcpdump -s 0) while the client namespace runs, one phase each,
# CALLHEAVY_ROUNDS (default 60) rounds of:
#   onc      rpcinfo -p (portmap DUMP, TCP), rpcinfo -T tcp SRV nfs 3 (NULL), rpcinfo -u SRV
#            mountd 3 (NULL, UDP), nfs-ls of the export (NFSv3 + MOUNT), nfs-cat hello.txt (NFSv4)
#   pipes    rpcclient over SMB pipes: 'srvinfo;netshareenumall;enumdomusers;lsaquery'
#   tcp      rpcclient ncacn_ip_tcp:SRV 'enumdomusers;enumdomgroups;querydominfo' (samr on its
#            dynamic port; Samba denies lsarpc over TCP to NTLM) and ncacn_ip_tcp:SRV[135] 'epmmap'
#   impacket tools/bench/callheavy_sessions.py: per round five fresh sessions (EPM map on 135;
#            srvsvc, samr, lsarpc over SMB pipes; samr over TCP with NTLM integrity)
# Every client is a new process with new connections: short sessions, each with its handshake,
# authentication, bind and a few calls. The workload is fixed, so the capture is the same up to
# timing, ports and the server's handles (60 rounds: about 27k packets, 4.5 MB, under a minute to make).
# Writes OUT.pcap and OUT.pcap.phases ("phase start_epoch end_epoch" per line). Prints size,
# packets, what tcpdump dropped and how many client commands failed (the calls are on the wire
# either way; a phase where every client failed makes the script fail). CALLHEAVY_KEEP=1 keeps
# the scratch directory (client output) for debugging.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
OUT=$(readlink -m "${1:-$REPO/build-bench/callheavy.pcap}")
ROUNDS=${CALLHEAVY_ROUNDS:-60}
IMPACKET_PY=/usr/bin/python3

BENCH_TOOL=make_callheavy_pcap
LAB=callh$$
BENCH_FAIL_LOGS="client.log dc.log"
BENCH_KEEP=${CALLHEAVY_KEEP:-0}
BENCH_PHASE_WIDTH=8
# shellcheck source=tools/bench/bench_lib.sh
source "$REPO/tools/bench/bench_lib.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces)"
for c in tcpdump capinfos rpcinfo nfs-ls nfs-cat rpcclient rpcbind ganesha.nfsd samba samba-tool ethtool; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh; the DC needs samba-ad-dc, see tools/lab/README.md)"
done
"$IMPACKET_PY" -c 'import impacket' 2>/dev/null || die "python3-impacket not installed"

LAB_OFFLOAD=off bench_lab_start "$(dirname "$OUT")/.callheavy-work.XXXXXX"
mkdir "$WORK/scratch"   # impacket leaves files in its working directory
bench_server onc
bench_server dc
echo "make_callheavy_pcap: lab $LAB up ($LAB_CLI_IP -> $SRV: rpcbind, ganesha, Samba AD DC); $ROUNDS rounds"

bench_capture_start 65536

# cli CMD...: one client in the client namespace, in the scratch directory; a failure is counted
# (Samba refuses some calls by design; the request is on the wire), a hang is cut after 60 s.
FAILED=0
cli() {
    (cd "$WORK/scratch" && timeout 60 ip netns exec "$LAB_CLI_NS" "$@") >>"$WORK/client.log" 2>&1 ||
        FAILED=$((FAILED + 1))
}

root='uid=0&gid=0'
phase_begin onc
FAILED=0
for ((i = 0; i < ROUNDS; i++)); do
    cli rpcinfo -p "$SRV"
    cli rpcinfo -T tcp "$SRV" 100003 3
    cli rpcinfo -u "$SRV" 100005 3
    cli nfs-ls "nfs://$SRV$LAB_NFS_EXPORT/?version=3&$root"
    cli nfs-cat "nfs://$SRV$LAB_NFS_PSEUDO/hello.txt?version=4&$root"
done
((FAILED < 5 * ROUNDS)) || die "onc: every client failed"
phase_end onc "$FAILED failed clients"

admin="$LAB_DC_ADMIN%$LAB_DC_PASS"
phase_begin pipes
FAILED=0
for ((i = 0; i < ROUNDS; i++)); do
    cli rpcclient -U "$admin" "$SRV" -c 'srvinfo;netshareenumall;enumdomusers;lsaquery'
done
((FAILED < ROUNDS)) || die "pipes: every rpcclient failed"
phase_end pipes "$FAILED failed clients"

phase_begin tcp
FAILED=0
for ((i = 0; i < ROUNDS; i++)); do
    cli rpcclient -U "$admin" "ncacn_ip_tcp:$SRV" -c 'enumdomusers;enumdomgroups;querydominfo'
    cli rpcclient -U "$admin" "ncacn_ip_tcp:${SRV}[135]" -c 'epmmap'
done
((FAILED < 2 * ROUNDS)) || die "tcp: every rpcclient failed"
phase_end tcp "$FAILED failed clients"

phase_begin impacket
FAILED=0
cli "$IMPACKET_PY" "$REPO/tools/bench/callheavy_sessions.py" \
    "$LAB_DC_DOMAIN/$LAB_DC_ADMIN:$LAB_DC_PASS@$SRV" "$ROUNDS"
phase_end impacket "$FAILED failed clients"
grep '^SESSION' "$WORK/client.log" | sed 's/^/make_callheavy_pcap:   /'
grep -q '^SESSIONS srvsvc ok [1-9]' "$WORK/client.log" || die "impacket: no srvsvc session succeeded"

bench_capture_finish
((PACKETS >= 20000)) || echo "make_callheavy_pcap: only $PACKETS packets (< 20000): raise CALLHEAVY_ROUNDS"
