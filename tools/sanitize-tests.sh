#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the unit, protocol, BPF, golden and conformance tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (cmake -DRPCMON_SANITIZE=ON) in build-asan/, and fails on any
# sanitizer report, including one from an rpcmon process a test script started and whose exit
# status it ignored: every report is written to build-asan/sanitizer-logs/ and checked at the end.
# Usage: tools/sanitize-tests.sh [extra ctest args...]
#
# The `live` label is not run: those tests attach XDP programs in lab namespaces and start
# rpcbind/ganesha/Samba for minutes; ASan adds nothing there that golden/conformance (the same
# pipeline on the same code, fed from pcaps) do not already cover, at several times the cost.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
root=$PWD
build=$root/build-asan
logs=$build/sanitizer-logs
start=$SECONDS

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRPCMON_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "sanitize-tests: build took $((SECONDS - start)) s"

rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error: the first report fails the process (and so the test). log_path: reports also
# land in files, so a report from a child process is never lost in a script's captured output.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="log_path=$logs/lsan"

t0=$SECONDS
rc=0
(cd "$build" && ctest --output-on-failure --timeout 600 -j"$(nproc)" \
     -L 'unit|onc|smb|dcerpc|golden|conformance|bpf' -LE live "$@") || rc=$?
echo "sanitize-tests: ctest took $((SECONDS - t0)) s (exit $rc)"

reports=$(find "$logs" -type f -size +0 | sort)
if [[ -n $reports ]]; then
    echo "sanitize-tests: sanitizer reports:" >&2
    for f in $reports; do
        echo "==== $f" >&2
        cat "$f" >&2
    done
    rc=1
fi
echo "sanitize-tests: total $((SECONDS - start)) s"
exit $rc
