#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Bulk-data ratio benchmark (run as root): how much of a bulk file copy the kernel hands to user
# space. Figures are printed, nothing is asserted.
#
# Usage: [RATIO_MB=100] [RATIO_MODES="skip noskip"] [RATIO_COPIES="nfs smb"] tools/bench/bulk_ratio.sh
#
# Lab "bratio<PID>" (tools/lab/netns.sh, offloads off unless LAB_OFFLOAD=on) with rpcbind +
# nfs-ganesha and smbd (`server smb encrypt = off`); the agent on the server veth as in
# tests/live (XDP ingress + socket filter egress, --eve FILE --stats-interval 0), restarted for
# each workload so each final stats line covers one copy:
#   nfs   nfs-cp of a RATIO_MB (default 100) MB file to the export and back (NFSv3)
#   smb   smbclient put + get of the same file on the lab share
# once with kernel-side bulk skipping (the default) and once with `--no-bulk-skip` (skipped with
# "n/a" when the agent has no such flag). From the agent's final stats line
# (stats.capture.kernel.{xdp,socket}):
#   wire       sum of bytes_classified over both hooks
#   delivered  sum of bytes_delivered (ring-buffer record bytes: 88-byte header + copied payload).
#              When the counter does not exist, the agent runs with --packets and the figure is
#              the sum of 88 + packet.captured_len over its `packet` lines (same definition).
#   ratio      delivered / wire in % (goal <= 2 % with skipping); bulk_bytes_skipped,
#              bulk_packets_skipped and ringbuf_drops are printed alongside when present.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
RPCMON=$(readlink -f "${RPCMON:-$REPO/build-bench/rpcmon}")
MB=${RATIO_MB:-100}

BENCH_TOOL=bulk_ratio
LAB=bratio$$
BENCH_FAIL_LOGS="client.log agent.log"
BENCH_KEEP=0
# shellcheck source=tools/bench/bench_lib.sh
source "$REPO/tools/bench/bench_lib.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (XDP, network namespaces)"
for c in nfs-cp smbclient rpcbind ganesha.nfsd smbd ethtool; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh)"
done
[[ -x "$RPCMON" ]] || die "no rpcmon binary at $RPCMON (cmake --build build-bench --target rpcmon, or set RPCMON)"

bench_lab_start /tmp/rpcmon-bulkratio.XXXXXX
bench_server onc
SMB_ENCRYPT=off bench_server smb
head -c "$((MB * 1024 * 1024))" /dev/urandom >"$WORK/src.bin"

# Does this build count bytes_delivered / know --no-bulk-skip? (the offline classifier reports
# the same counter names as the kernel)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$WORK/empty.pcap"
# (Outputs captured first: `cmd | grep -q` can SIGPIPE cmd, which pipefail turns into "no".)
HAVE_DELIVERED=0
out=$("$RPCMON" analyze "$WORK/empty.pcap" --no-detect 2>/dev/null || true)
[[ "$out" == *'"bytes_delivered"'* ]] && HAVE_DELIVERED=1
HAVE_NOSKIP=0
out=$("$RPCMON" agent --help 2>&1 || true)
[[ "$out" == *--no-bulk-skip* ]] && HAVE_NOSKIP=1
echo "bulk_ratio: lab $LAB ($LAB_CLI_IP -> $SRV, offload ${LAB_OFFLOAD}); ${MB} MB file;" \
    "bytes_delivered counter: $([[ $HAVE_DELIVERED == 1 ]] && echo yes || echo 'no (fallback: --packets lines)');" \
    "--no-bulk-skip: $([[ $HAVE_NOSKIP == 1 ]] && echo yes || echo no)"

start_agent() {
    local eve=$1 i
    shift
    : >"$WORK/agent.log"
    lab_spawn "$LAB_SRV_NS" "$LAB_STATE/bench-agent.pid" "$WORK/agent.log" \
        "$RPCMON" agent -i "$LAB_SRV_IF" --eve "$eve" --stats-interval 0 --control-socket none "$@" >/dev/null
    for ((i = 0; i < 200; i++)); do grep -q monitoring "$WORK/agent.log" && return 0; sleep 0.05; done
    cat "$WORK/agent.log" >&2
    die "agent did not start"
}
cli() { lab_exec "$LAB_CLI_NS" "$@"; }
# workload nfs|smb TAG: one copy there and back. A fresh file name per run: ganesha caches
# directory entries, so a name removed behind its back still "exists" (NFS3ERR_EXIST).
workload() {
    case "$1" in
        nfs)
            local url="nfs://$SRV$LAB_NFS_EXPORT/pub/ratio-$2.bin?version=3&uid=0&gid=0"
            cli nfs-cp "$WORK/src.bin" "$url" >>"$WORK/client.log" 2>&1
            cli nfs-cp "$url" "$WORK/back.bin" >>"$WORK/client.log" 2>&1
            rm -f "$LAB_NFS_EXPORT/pub/ratio-$2.bin" ;;
        smb)
            cli smbclient "//$SRV/$LAB_SMB_SHARE" -U "$LAB_SMB_USER%$LAB_SMB_PASS" \
                -c "put $WORK/src.bin ratio-$2.bin; get ratio-$2.bin $WORK/back.bin" >>"$WORK/client.log" 2>&1
            rm -f "$LAB_STATE/smb/share/ratio-$2.bin" ;;
    esac
    cmp -s "$WORK/src.bin" "$WORK/back.bin" || die "$1: the copy read back differs"
    rm -f "$WORK/back.bin"
}

: >"$WORK/results"
for mode in ${RATIO_MODES:-skip noskip}; do
    for w in ${RATIO_COPIES:-nfs smb}; do
        if [[ $mode == noskip && $HAVE_NOSKIP == 0 ]]; then
            echo "$mode $w n/a" >>"$WORK/results"
            continue
        fi
        args=()
        [[ $mode == noskip ]] && args+=(--no-bulk-skip)
        [[ $HAVE_DELIVERED == 0 ]] && args+=(--packets)
        eve=$WORK/eve-$mode-$w.json
        start_agent "$eve" "${args[@]}"
        t0=$(date +%s.%N)
        workload "$w" "$mode"
        t1=$(date +%s.%N)
        sleep 1   # last ACKs
        lab_stop_pidfile "$LAB_STATE/bench-agent.pid" 10
        /usr/bin/python3 - "$eve" "$mode" "$w" "$t0" "$t1" >>"$WORK/results" 2> >(sed 's/^/bulk_ratio: /' >&2) <<'PY'
import json, sys
eve, mode, w, t0, t1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
stats, fallback = None, 0
for line in open(eve):
    r = json.loads(line)
    if r.get("event_type") == "stats":
        stats = r["stats"]
    elif r.get("event_type") == "packet":
        fallback += 88 + r["packet"].get("captured_len", 0)
kernel = stats["capture"]["kernel"]
def total(key):
    vals = [h[key] for h in kernel.values() if key in h]
    return sum(vals) if vals else None
wire = total("bytes_classified")
delivered = total("bytes_delivered")
src = "counter"
if delivered is None:
    delivered, src = fallback, "packets"
na = lambda v: "n/a" if v is None else str(v)
print(mode, w, wire, delivered, src, na(total("bulk_bytes_skipped")), na(total("bulk_packets_skipped")),
      total("ringbuf_drops"), total("packets_classified"), f"{t1 - t0:.2f}")
# Flow tracking per hook, for the record (lost sync makes a flow deliver everything).
print("# track", mode, w, json.dumps({hook: {k: h.get(k) for k in ("flows_tracked", "track_lost_sync", "track_resync",
      "acks_suppressed", "bytes_delivered")} for hook, h in kernel.items()}), file=sys.stderr)
PY
        tail -1 "$WORK/results" | sed 's/^/bulk_ratio: /'
    done
done

echo
echo "bulk_ratio: agent on the lab's server veth (XDP ingress + socket egress), ${MB} MB each way"
/usr/bin/python3 - "$WORK/results" <<'PY'
import sys
print(f"{'mode':7} {'copy':5} {'wire bytes':>12} {'delivered':>12} {'ratio':>8} {'source':8} {'skipped B':>12} "
      f"{'skipped pk':>10} {'drops':>6} {'classif pk':>10} {'copy s':>6}  goal <= 2 %")
for l in open(sys.argv[1]):
    f = l.split()
    if f[2] == "n/a":
        print(f"{f[0]:7} {f[1]:5} {'n/a':>12} (agent has no --no-bulk-skip)")
        continue
    mode, w, wire, dlv, src, sb, sp, drops, pk, secs = f
    wire, dlv = int(wire), int(dlv)
    ratio = 100 * dlv / wire if wire else 0
    goal = ("met" if ratio <= 2 else "MISSED") if mode == "skip" else "-"
    print(f"{mode:7} {w:5} {wire:>12} {dlv:>12} {ratio:>7.2f}% {src:8} {sb:>12} {sp:>10} {drops:>6} {pk:>10} {secs:>6}  {goal}")
PY
