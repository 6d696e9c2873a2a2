#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz/ and runs each for a bounded
# time on a copy of its committed seed corpus (fuzz/corpus/<target>/; the repository is never
# written). Prints exec counts per target; exits non-zero on any crash, leak, timeout or OOM,
# naming the reproducer (build-fuzz/fuzz-out/<target>/crash-*), which reruns with
#   build-fuzz/fuzz/<target>_fuzz <reproducer>
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 10 s, every target)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
secs=${1:-10}
shift || true
build=build-fuzz
start=$SECONDS

cmake -S . -B "$build" -DRPCMON_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" --target rpcmon_fuzzers -j"$(nproc)"
echo "fuzz: build took $((SECONDS - start)) s"

targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in fuzz/*_fuzz.cc; do t=$(basename "$f" .cc); targets+=("${t%_fuzz}"); done
fi

out=$build/fuzz-out
failed=()
summary=()
for t in "${targets[@]}"; do
    bin=$build/fuzz/${t}_fuzz
    work=$out/$t
    rm -rf "$work"
    mkdir -p "$work/corpus"
    [[ -d fuzz/corpus/$t ]] && cp -r "fuzz/corpus/$t/." "$work/corpus/"
    log=$work/log.txt
    t0=$SECONDS
    rc=0
    # -timeout: one input may take 5 s at most; -rss_limit_mb: memory per process;
    # -detect_leaks is on by default with ASan. Crash inputs land in $work/.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
           -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    artifacts=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
    line=$(printf '%-14s %4ss  execs %-9s cov %-6s' "$t" "$((SECONDS - t0))" "${execs:-?}" "${cov:-?}")
    if ((rc != 0)) || grep -q '^==[0-9]*==ERROR\|runtime error:' "$log"; then
        failed+=("$t")
        line+="  FAILED (exit $rc)"
        echo "==== $t failed; log $log" >&2
        grep -m1 -A25 'ERROR: \|runtime error:' "$log" >&2 || tail -30 "$log" >&2
        for a in $artifacts; do echo "reproducer: $a  (rerun: $bin $a)" >&2; done
    else
        line+="  ok"
    fi
    summary+=("$line")
done

echo "fuzz: per-target results (${secs} s each):"
printf '  %s\n' "${summary[@]}"
echo "fuzz: total $((SECONDS - start)) s"
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
