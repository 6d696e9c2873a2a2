#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the benchmarks; prints figures (nothing is asserted). Needs root for BPF.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tools/build.sh
build/bench/rpcmon_bpf_bench "${1:-1000000}"
