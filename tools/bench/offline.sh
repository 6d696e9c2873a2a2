#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Offline throughput benchmark: rpcmon analyze against tshark and tcpdump on one capture. Figures
# are printed, nothing is asserted.
#
# Usage: tools/bench/offline.sh [PCAP]     (default build-bench/bulk.pcap from make_bulk_pcap.sh)
#
# Each tool runs OFFLINE_RUNS (default 3) times on the same file (read once before, so all of
# them read from the page cache); the best wall time is reported, with the peak RSS of all runs
# (/usr/bin/time -v "Maximum resident set size").
#   rpcmon   rpcmon analyze PCAP --eve /dev/null        (records: one more run into a file, wc -l)
#   tshark   tshark -o tcp.try_heuristic_first:TRUE -r PCAP -Y 'rpc || dcerpc || smb2' -T fields
#            -e frame.time_epoch -e ip.src -e ip.dst -e rpc.xid -e rpc.program -e rpc.procedure
#            -e dcerpc.cn_call_id -e dcerpc.opnum -e smb2.cmd      (heuristics first: see the lab
#            README, root libnfs clients use privileged ports that tshark otherwise misreads)
#   tcpdump  tcpdump -r PCAP -w /dev/null
# Goals: tshark / rpcmon >= 50x, rpcmon / tcpdump <= 2x, rpcmon peak RSS <= 32 MiB. When one is
# missed, rpcmon is profiled with valgrind --tool=callgrind (if installed) on two slices: the
# first OFFLINE_SLICE_MB (default 10) MB of the capture (bulk NFS) and, when PCAP.phases exists,
# the dcerpc phase (call-dense); the top 5 functions by own cost are printed.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
PCAP=$(readlink -f "${1:-$REPO/build-bench/bulk.pcap}")
RPCMON=${RPCMON:-$REPO/build-bench/rpcmon}
RUNS=${OFFLINE_RUNS:-3}
SLICE_MB=${OFFLINE_SLICE_MB:-10}

die() { echo "offline: $*" >&2; exit 1; }
for c in tshark tcpdump editcap capinfos /usr/bin/time; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh)"
done
[[ -x "$RPCMON" ]] || die "no rpcmon binary at $RPCMON (cmake --build build-bench --target rpcmon, or set RPCMON)"
[[ -f "$PCAP" ]] || die "no capture $PCAP (make it with tools/bench/make_bulk_pcap.sh)"

WORK=$(mktemp -d /tmp/rpcmon-offline.XXXXXX)
CHILD=""
cleanup() {
    local rc=$?
    set +e
    [[ -n "$CHILD" ]] && kill "$CHILD" 2>/dev/null
    rm -rf "$WORK"
    ((rc == 0)) || echo "offline: FAILED (rc=$rc)" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure NAME CMD...: runs CMD RUNS times; appends "NAME best_wall_s peak_rss_kib" to $WORK/res.
measure() {
    local name=$1 i t0 t1 best="" rss=0 r
    shift
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$WORK/time.txt" "$@" &
        CHILD=$!
        wait "$CHILD" || die "$name failed: $*"
        CHILD=""
        t1=$(date +%s%N)
        r=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$WORK/time.txt")
        ((r > rss)) && rss=$r
        t1=$((t1 - t0))
        if [[ -z "$best" ]] || ((t1 < best)); then best=$t1; fi
        printf 'offline: %-8s run %d: %8.3f s  %7d KiB\n' "$name" "$((i + 1))" \
            "$(awk -v n="$t1" 'BEGIN { print n / 1e9 }')" "$r"
    done
    echo "$name $(awk -v n="$best" 'BEGIN { printf "%.4f", n / 1e9 }') $rss" >>"$WORK/res"
}

size=$(stat -c %s "$PCAP")
packets=$(capinfos -M -c "$PCAP" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
cat "$PCAP" >/dev/null   # page cache
echo "offline: $PCAP: $size bytes, $packets packets; $RUNS runs each; $(nproc) CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"

TSHARK_FIELDS=(-e frame.time_epoch -e ip.src -e ip.dst -e rpc.xid -e rpc.program -e rpc.procedure
               -e dcerpc.cn_call_id -e dcerpc.opnum -e smb2.cmd)
"$RPCMON" analyze "$PCAP" --eve "$WORK/eve.json"
records=$(wc -l <"$WORK/eve.json")
measure rpcmon "$RPCMON" analyze "$PCAP" --eve /dev/null
# shellcheck disable=SC2016  # $0/$@ are for the inner sh
measure tcpdump sh -c 'exec tcpdump -r "$0" -w /dev/null 2>/dev/null' "$PCAP"
# shellcheck disable=SC2016
measure tshark sh -c 'exec tshark -o tcp.try_heuristic_first:TRUE -r "$0" -Y "rpc || dcerpc || smb2" -T fields "$@" >"'"$WORK"'/tshark.txt" 2>/dev/null' \
    "$PCAP" "${TSHARK_FIELDS[@]}"
tshark_lines=$(wc -l <"$WORK/tshark.txt")

echo
/usr/bin/python3 - "$WORK/res" "$size" "$packets" "$records" "$tshark_lines" "$PCAP" >"$WORK/table" <<'PY'
import sys
res = {l.split()[0]: (float(l.split()[1]), int(l.split()[2])) for l in open(sys.argv[1])}
size, packets, records, tlines, pcap = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
print(f"capture {pcap}: {size / 2**20:.1f} MiB, {packets} packets")
print(f"{'tool':8} {'best s':>8} {'MB/s':>8} {'packets/s':>11} {'lines':>9} {'lines/s':>10} {'peak RSS':>10}")
lines = {"rpcmon": records, "tshark": tlines, "tcpdump": 0}
for t in ("rpcmon", "tshark", "tcpdump"):
    s, rss = res[t]
    n = lines[t]
    print(f"{t:8} {s:>8.3f} {size / 1e6 / s:>8.1f} {packets / s:>11.0f} {n:>9} {n / s:>10.0f} {rss / 1024:>7.1f} MiB")
r, ts, td = res["rpcmon"][0], res["tshark"][0], res["tcpdump"][0]
rss = res["rpcmon"][1] / 1024
print()
print("rpcmon records = EVE lines written (rpc, smb_session, smb_pipe, alert, stats); tshark lines = matching frames")
goals = [
    ("tshark_time / rpcmon_time", ts / r, ">=", 50, "x"),
    ("rpcmon_time / tcpdump_time", r / td, "<=", 2, "x"),
    ("rpcmon peak RSS", rss, "<=", 32, " MiB"),
]
missed = 0
for name, v, op, goal, unit in goals:
    ok = v >= goal if op == ">=" else v <= goal
    how = "met" if ok else (f"MISSED by {goal / v:.2f}x" if op == ">=" else f"MISSED by {v / goal:.2f}x")
    missed += not ok
    print(f"{name:28} {v:8.2f}{unit:4}  goal {op} {goal}{unit}: {how}")
PY
cat "$WORK/table" 2>/dev/null || true
missed=$(/usr/bin/python3 - "$WORK/res" <<'PY'
import sys
res = {l.split()[0]: (float(l.split()[1]), int(l.split()[2])) for l in open(sys.argv[1])}
r, ts, td, rss = res["rpcmon"][0], res["tshark"][0], res["tcpdump"][0], res["rpcmon"][1] / 1024
print(int(ts / r < 50) + int(r / td > 2) + int(rss > 32))
PY
)

# cg_top OPTION FILE: the 5 first functions of callgrind_annotate, names shortened.
cg_top() {
    callgrind_annotate "$1" "$2" 2>/dev/null |
        awk '/file:function/ { f = 1; getline; next } f && NF' |
        grep -vE '\./elf/|ld-linux|\?\?\?:0x|libc_start|below main|:main( |$)|:_start' |
        grep -vE 'runSession|PcapSource::run|Session::onRecord|Pipeline::onRecord|Pipeline::onPacketRecord|FlowTable::packet|TcpReassembler::(segment|deliver)' |
        sed -e 's/ \[[^]]*\]$//' -e 's/nlohmann::json_abi_v[0-9_]*::/nlohmann::/g' \
            -e 's/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/std::string/g' \
            -e ':a' -e 's/<[^<>()]*>//g' -e 'ta' |
        sed -n '1,5p' | cut -c1-170 | sed 's/^/  /'
}

# cg_callers FILE: the 3 heaviest callers of the function with the highest own cost.
cg_callers() {
    local top
    top=$(callgrind_annotate --inclusive=no "$1" 2>/dev/null | awk '/file:function/ { f = 1; getline; next }
        f && NF && !done { sub(/^ *[0-9,]+ \([ 0-9.]+%\)  /, ""); print; done = 1 }')
    callgrind_annotate --tree=caller "$1" 2>/dev/null |
        awk -v top="$top" 'done { next } /^ *[0-9,]+ \([ 0-9.]+%\)  < / { buf[n++] = $0; next }
            index($0, "*  " top) { for (i = 0; i < n; i++) print buf[i]; done = 1 } { n = 0 }' |
        awk '{ k = $1; gsub(/,/, "", k); print k "\t" $0 }' | sort -rn | cut -f2- | sed -n '1,3p' |
        sed -e 's/ \[[^]]*\]$//' -e 's/nlohmann::json_abi_v[0-9_]*::/nlohmann::/g' \
            -e ':a' -e 's/<[^<>()]*>//g' -e 'ta' | cut -c1-170 | sed 's/^/  /'
}

if ((missed > 0)); then
    if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
        echo "offline: a goal is missed; install valgrind for the callgrind profile"
        exit 0
    fi
    echo
    echo "offline: $missed goal(s) missed: callgrind profile of rpcmon analyze (top 5 by own cost)"
    # First SLICE_MB MB of the capture: the start of the bulk NFSv3 copy.
    n=$(/usr/bin/python3 - "$PCAP" "$SLICE_MB" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
limit = float(sys.argv[2]) * 1e6
hdr = f.read(24)
end = ">" if hdr[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
n = pos = 0
while pos < limit:
    h = f.read(16)
    if len(h) < 16:
        break
    incl = struct.unpack(end + "IIII", h)[2]
    f.seek(incl, 1)
    pos += 16 + incl
    n += 1
print(n)
PY
)
    slices=("bulk:$WORK/slice-bulk.pcap")
    tcpdump -r "$PCAP" -c "$n" -w "$WORK/slice-bulk.pcap" 2>/dev/null
    if [[ -f "$PCAP.phases" ]] && read -r _ t0 t1 < <(grep '^dcerpc ' "$PCAP.phases"); then
        editcap -A "$t0" -B "$t1" "$PCAP" "$WORK/slice-calls.pcap"
        slices+=("calls:$WORK/slice-calls.pcap")
    fi
    for s in "${slices[@]}"; do
        name=${s%%:*} f=${s#*:}
        valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$name" \
            "$RPCMON" analyze "$f" --eve /dev/null >/dev/null 2>"$WORK/cg.$name.log" ||
            { tail "$WORK/cg.$name.log" >&2; die "callgrind failed"; }
        echo
        echo "callgrind, slice '$name' ($(stat -c %s "$f") bytes, $(capinfos -M -c "$f" |
            awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }') packets): Ir, own cost"
        cg_top --inclusive=no "$WORK/cg.$name"
        echo "  top 3 callers of the first one:"
        cg_callers "$WORK/cg.$name"
        echo "  inclusive (top 5 below the generic read/flow/reassembly loop):"
        cg_top --inclusive=yes "$WORK/cg.$name"
    done
fi
