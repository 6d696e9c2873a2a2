#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the benchmarks; prints figures and the goals of issue 14 as met or not met
# (nothing is asserted: a missed goal never fails this script). Needs root (BPF, the lab).
#
#   1. rpcmon_bpf_bench [N] (BPF programs, BPF_PROG_TEST_RUN) and rpcmon_defrag_bench
#   2. offline, call-heavy capture (tools/bench/offline.sh, OFFLINE_KIND=calls): rpcmon analyze
#      with and without detection, the tcpdump read floor and tshark, medians of OFFLINE_RUNS
#      (default 5) interleaved repetitions; ns per rpc record; peak RSS. The capture is
#      RPCMON_BENCH_CALLS_PCAP (default build-bench/callheavy.pcap), made on demand by
#      tools/bench/make_callheavy_pcap.sh (lab under flock /tmp/rpcmon-live.lock, ~1 minute).
#   3. offline, bulk capture (OFFLINE_KIND=bulk, without tshark): RPCMON_BENCH_PCAP (default
#      build-bench/bulk.pcap), made on demand by tools/bench/make_bulk_pcap.sh (~530 MB, ~2
#      minutes); RPCMON_BENCH_BULK=0 skips it.
#   RPCMON_BENCH_LOAD=1 also runs the live load benchmarks (tools/bench/live.sh on the bulk
#   capture, tools/bench/bulk_ratio.sh; several minutes more, see tools/lab/README.md).
# Per-record cost: no micro-benchmark of building + detecting + serialising one record exists;
# the end-to-end figure (analyze seconds / rpc records, and the detection share) is printed by
# step 2. Without the load benchmarks the whole script takes about 3 minutes on the first run
# (captures made: ~1 minute + ~20 s), under 2 minutes once they exist.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
# Only what is run here (tools/build.sh would also build every test): same configuration.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target rpcmon rpcmon_bpf_bench rpcmon_defrag_bench rpcmon_record_bench
build/bench/rpcmon_bpf_bench "${1:-1000000}"
# IP fragment reassembly (no privileges needed): cost, memory cap, fragment flood.
build/bench/rpcmon_defrag_bench
build/bench/rpcmon_record_bench

LOCK=/tmp/rpcmon-live.lock   # one lab at a time on this host (tests/live do the same)
calls=${RPCMON_BENCH_CALLS_PCAP:-$PWD/build-bench/callheavy.pcap}
bulk=${RPCMON_BENCH_PCAP:-$PWD/build-bench/bulk.pcap}
export RPCMON=$PWD/build/rpcmon
OUT=$(mktemp -d /tmp/rpcmon-bench.XXXXXX)   # the offline outputs, for the goal summary
trap 'rm -rf "$OUT"' EXIT

echo
echo "== offline, call-heavy capture"
[[ -f "$calls" ]] || flock "$LOCK" tools/bench/make_callheavy_pcap.sh "$calls"
OFFLINE_KIND=calls tools/bench/offline.sh "$calls" | tee "$OUT/calls.txt"

if [[ "${RPCMON_BENCH_BULK:-1}" != 0 || "${RPCMON_BENCH_LOAD:-0}" == 1 ]]; then
    [[ -f "$bulk" ]] || flock "$LOCK" tools/bench/make_bulk_pcap.sh "$bulk"
fi
if [[ "${RPCMON_BENCH_BULK:-1}" != 0 ]]; then
    echo
    echo "== offline, bulk capture"
    OFFLINE_KIND=bulk OFFLINE_TSHARK=0 OFFLINE_RUNS=${OFFLINE_RUNS:-3} tools/bench/offline.sh "$bulk" | tee "$OUT/bulk.txt"
fi

if [[ "${RPCMON_BENCH_LOAD:-0}" == 1 ]]; then
    echo
    echo "== live load"
    flock "$LOCK" tools/bench/live.sh "$bulk"
    flock "$LOCK" tools/bench/bulk_ratio.sh
fi

echo
echo "== goals (issue 14)"
sed -n 's/^goal /offline, call-heavy: /p' "$OUT/calls.txt"
if [[ -f "$OUT/bulk.txt" ]]; then sed -n 's/^goal /offline, bulk:       /p' "$OUT/bulk.txt"; fi
