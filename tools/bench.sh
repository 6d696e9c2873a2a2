#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the benchmarks; prints figures (nothing is asserted). Needs root for BPF.
# RPCMON_BENCH_LOAD=1 also runs the load benchmarks of tools/bench/ (lab capture, offline
# throughput, live replay, bulk ratio; several minutes, see tools/lab/README.md "Benchmarks").
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tools/build.sh
build/bench/rpcmon_bpf_bench "${1:-1000000}"
# IP fragment reassembly (no privileges needed): cost, memory cap, fragment flood.
build/bench/rpcmon_defrag_bench

if [[ "${RPCMON_BENCH_LOAD:-0}" == 1 ]]; then
    pcap=${RPCMON_BENCH_PCAP:-$PWD/build-bench/bulk.pcap}
    [[ -f "$pcap" ]] || tools/bench/make_bulk_pcap.sh "$pcap"
    RPCMON=$PWD/build/rpcmon tools/bench/offline.sh "$pcap"
    RPCMON=$PWD/build/rpcmon tools/bench/live.sh "$pcap"
    RPCMON=$PWD/build/rpcmon tools/bench/bulk_ratio.sh
fi
