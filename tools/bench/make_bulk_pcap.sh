#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Benchmark input: one large capture of bulk RPC traffic from the project lab (run as root).
#
# Usage: tools/bench/make_bulk_pcap.sh [OUT.pcap]      (default build-bench/bulk.pcap)
#
# Brings up lab "bulk<PID>" (tools/lab/netns.sh, offloads off: MTU-sized frames with real
# checksums), starts rpcbind + nfs-ganesha (onc_server.sh) and smbd (smb_server.sh, `server smb
# encrypt = off`), and captures on the server veth (tcpdump -s 0, full frames) while the client
# namespace runs, in this order (one phase each):
#   nfs3    nfs-cp of a BULK_MB (default 100) MB random file to the export, then back (NFSv3)
#   nfs4    NFSv4 (pseudo path): read back only (libnfs 4.0's nfs-cp cannot write > ~2 KB over
#           v4, see below) plus one 2 KB write
#   smb     smbclient put + get of the same file on the lab share
#   dcerpc  rpcclient enumeration: BULK_RPC_SESSIONS (default 20) connections, each running
#           BULK_RPC_REPEAT (default 25) times 'srvinfo;netshareenumall;enumdomusers;lsaquery'
# Writes OUT.pcap and OUT.pcap.phases ("phase start_epoch end_epoch" per line; live.sh cuts the
# call-dense dcerpc phase out of the capture with it). Prints size, packet count and what
# tcpdump dropped. The capture is large (~650 MB at 100 MB): keep it out of git.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
OUT=$(readlink -m "${1:-$REPO/build-bench/bulk.pcap}")
BULK_MB=${BULK_MB:-100}
RPC_SESSIONS=${BULK_RPC_SESSIONS:-20}
RPC_REPEAT=${BULK_RPC_REPEAT:-25}

BENCH_TOOL=make_bulk_pcap
LAB=bulk$$
BENCH_FAIL_LOGS="client.log rpcclient.log"
BENCH_KEEP=0
BENCH_PHASE_WIDTH=7
# shellcheck source=tools/bench/bench_lib.sh
source "$REPO/tools/bench/bench_lib.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces)"
for c in tcpdump capinfos nfs-cp smbclient rpcclient rpcbind ganesha.nfsd smbd ethtool; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh)"
done

LAB_OFFLOAD=off bench_lab_start "$(dirname "$OUT")/.bulk-work.XXXXXX"
bench_server onc
SMB_ENCRYPT=off bench_server smb

echo "make_bulk_pcap: lab $LAB up ($LAB_CLI_IP -> $SRV); writing ${BULK_MB} MB test file"
head -c "$((BULK_MB * 1024 * 1024))" /dev/urandom >"$WORK/src.bin"
SUM=$(md5sum <"$WORK/src.bin" | cut -d' ' -f1)

# Full snaplen, unbuffered, 256 MiB kernel buffer: a veth moves 100 MB in well under a second.
bench_capture_start 262144

check_copy() { [[ "$(md5sum <"$1" | cut -d' ' -f1)" == "$SUM" ]] || die "$2: copy differs"; }
cli() { lab_exec "$LAB_CLI_NS" "$@"; }

root='uid=0&gid=0'
phase_begin nfs3
cli nfs-cp "$WORK/src.bin" "nfs://$SRV$LAB_NFS_EXPORT/pub/bulk3.bin?version=3&$root" >>"$WORK/client.log" 2>&1
cli nfs-cp "nfs://$SRV$LAB_NFS_EXPORT/pub/bulk3.bin?version=3&$root" "$WORK/back3.bin" >>"$WORK/client.log" 2>&1
check_copy "$WORK/back3.bin" nfs3
phase_end nfs3

# libnfs 4.0 (Debian 12) nfs-cp cannot write more than ~2 KB over NFSv4 (it gives up with
# "Failed to write to dest file" before sending any WRITE): the file is put into the export on
# the server's disk and only read over the wire; one small NFSv4 write keeps WRITE in the mix.
phase_begin nfs4
cp "$WORK/src.bin" "$LAB_NFS_EXPORT/pub/bulk4.bin"
head -c 2000 "$WORK/src.bin" >"$WORK/small.bin"
cli nfs-cp "$WORK/small.bin" "nfs://$SRV$LAB_NFS_PSEUDO/pub/small4.bin?version=4&$root" >>"$WORK/client.log" 2>&1
cli nfs-cp "nfs://$SRV$LAB_NFS_PSEUDO/pub/bulk4.bin?version=4&$root" "$WORK/back4.bin" >>"$WORK/client.log" 2>&1
check_copy "$WORK/back4.bin" nfs4
phase_end nfs4
rm -f "$WORK/back3.bin" "$WORK/back4.bin" "$LAB_NFS_EXPORT/pub/bulk3.bin" "$LAB_NFS_EXPORT/pub/bulk4.bin"

cred="$LAB_SMB_USER%$LAB_SMB_PASS"
phase_begin smb
cli smbclient "//$SRV/$LAB_SMB_SHARE" -U "$cred" \
    -c "put $WORK/src.bin bulk.bin; get bulk.bin $WORK/backsmb.bin" >>"$WORK/client.log" 2>&1
check_copy "$WORK/backsmb.bin" smb
phase_end smb
rm -f "$WORK/backsmb.bin" "$LAB_STATE/smb/share/bulk.bin"

cmds="srvinfo;netshareenumall;enumdomusers;lsaquery"
for ((i = 1; i < RPC_REPEAT; i++)); do cmds+=";srvinfo;netshareenumall;enumdomusers;lsaquery"; done
phase_begin dcerpc
for ((i = 0; i < RPC_SESSIONS; i++)); do
    cli rpcclient -U "$cred" "$SRV" -c "$cmds" >>"$WORK/rpcclient.log" 2>&1
done
phase_end dcerpc
n_ok=$(grep -c 'Domain Name' "$WORK/rpcclient.log" || true)
echo "make_bulk_pcap: rpcclient lsaquery answers: $n_ok of $((RPC_SESSIONS * RPC_REPEAT))"

bench_capture_finish
