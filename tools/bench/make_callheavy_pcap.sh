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

# shellcheck source=tools/lab/netns.sh
source "$REPO/tools/lab/netns.sh"

die() { echo "make_callheavy_pcap: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces)"
for c in tcpdump capinfos rpcinfo nfs-ls nfs-cat rpcclient rpcbind ganesha.nfsd samba samba-tool ethtool; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh; the DC needs samba-ad-dc, see tools/lab/README.md)"
done
"$IMPACKET_PY" -c 'import impacket' 2>/dev/null || die "python3-impacket not installed"

LAB=callh$$
WORK=""
cleanup() {
    local rc=$?
    set +e
    [[ -n "${LAB_STATE:-}" ]] && lab_stop_pidfile "$LAB_STATE/bench-tcpdump.pid" 5
    lab_down "$LAB" >/dev/null 2>&1
    if ((rc != 0)); then
        [[ -n "$WORK" ]] && tail -5 "$WORK"/client.log "$WORK"/dc.log 2>/dev/null >&2
        echo "make_callheavy_pcap: FAILED (rc=$rc); lab $LAB removed" >&2
    fi
    if [[ "${CALLHEAVY_KEEP:-0}" == 1 ]]; then echo "make_callheavy_pcap: kept $WORK" >&2
    elif [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d "$(dirname "$OUT")/.callheavy-work.XXXXXX")
chmod 0755 "$WORK"
mkdir "$WORK/scratch"   # impacket leaves files in its working directory
LAB_OFFLOAD=off lab_up "$LAB" >/dev/null
"$REPO/tools/lab/onc_server.sh" start "$LAB" >"$WORK/onc.log" 2>&1 || { cat "$WORK/onc.log" >&2; exit 1; }
"$REPO/tools/lab/dc_server.sh" start "$LAB" >"$WORK/dc.log" 2>&1 || { cat "$WORK/dc.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$LAB_STATE/onc.env"
# shellcheck disable=SC1091
source "$LAB_STATE/dc.env"
SRV=$LAB_SRV_IP
echo "make_callheavy_pcap: lab $LAB up ($LAB_CLI_IP -> $SRV: rpcbind, ganesha, Samba AD DC); $ROUNDS rounds"

rm -f "$OUT" "$OUT.phases"
lab_spawn "$LAB_SRV_NS" "$LAB_STATE/bench-tcpdump.pid" "$WORK/tcpdump.log" \
    tcpdump -Z root --immediate-mode -B 65536 -i "$LAB_SRV_IF" -s 0 -U -w "$OUT" >/dev/null
for _ in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.05; done
grep -q 'listening on' "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; exit 1; }

T_PHASE=0
phase_begin() { T_PHASE=$(date +%s.%N); printf 'make_callheavy_pcap: %-8s ' "$1"; }
phase_end() {
    local t
    t=$(date +%s.%N)
    echo "$1 $T_PHASE $t" >>"$OUT.phases"
    awk -v a="$T_PHASE" -v b="$t" -v f="$2" 'BEGIN { printf "%6.1f s  (%d failed clients)\n", b - a, f }'
}
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
phase_end onc "$FAILED"

admin="$LAB_DC_ADMIN%$LAB_DC_PASS"
phase_begin pipes
FAILED=0
for ((i = 0; i < ROUNDS; i++)); do
    cli rpcclient -U "$admin" "$SRV" -c 'srvinfo;netshareenumall;enumdomusers;lsaquery'
done
((FAILED < ROUNDS)) || die "pipes: every rpcclient failed"
phase_end pipes "$FAILED"

phase_begin tcp
FAILED=0
for ((i = 0; i < ROUNDS; i++)); do
    cli rpcclient -U "$admin" "ncacn_ip_tcp:$SRV" -c 'enumdomusers;enumdomgroups;querydominfo'
    cli rpcclient -U "$admin" "ncacn_ip_tcp:${SRV}[135]" -c 'epmmap'
done
((FAILED < 2 * ROUNDS)) || die "tcp: every rpcclient failed"
phase_end tcp "$FAILED"

phase_begin impacket
FAILED=0
cli "$IMPACKET_PY" "$REPO/tools/bench/callheavy_sessions.py" \
    "$LAB_DC_DOMAIN/$LAB_DC_ADMIN:$LAB_DC_PASS@$SRV" "$ROUNDS"
phase_end impacket "$FAILED"
grep '^SESSION' "$WORK/client.log" | sed 's/^/make_callheavy_pcap:   /'
grep -q '^SESSIONS srvsvc ok [1-9]' "$WORK/client.log" || die "impacket: no srvsvc session succeeded"

sleep 0.5   # last ACKs and FINs
lab_stop_pidfile "$LAB_STATE/bench-tcpdump.pid" 5
dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.log")

size=$(stat -c %s "$OUT")
packets=$(capinfos -M -c "$OUT" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
echo
echo "capture       $OUT"
awk -v s="$size" 'BEGIN { printf "%-13s %d bytes (%.1f MiB)\n", "size", s, s / 1048576 }'
printf '%-13s %s\n' packets "$packets"
printf '%-13s %s\n' "tcpdump drops" "${dropped:-?}"
printf '%-13s %s\n' phases "$OUT.phases"
((packets >= 20000)) || echo "make_callheavy_pcap: only $packets packets (< 20000): raise CALLHEAVY_ROUNDS"
