#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite on a fresh Debian 12 machine: install every package the build and the
# tests need, build, run unit, BPF (BPF_PROG_TEST_RUN), golden, conformance and live tests;
# then the same tests under ASan/UBSan, then every libFuzzer target for a bounded time
# (RPCMON_FUZZ_SECONDS per target, default 10). Privileged tests skip with a reason without
# root; as root they run. Extra args go to the first ctest run.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tools/setup.sh
tools/build.sh
(cd build && ctest --output-on-failure --timeout 300 "$@")
tools/sanitize-tests.sh
tools/fuzz.sh "${RPCMON_FUZZ_SECONDS:-10}"
