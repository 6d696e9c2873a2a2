#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `rpcmon --version` carries the project() version and the git revision the build was configured
# from; outside git the revision is "unknown"; `--help` shows the examples.
# Usage: version_test.sh RPCMON PROJECT_VERSION
set -euo pipefail
RPCMON=$(readlink -f "$1")
WANT_VERSION=$2
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$RPCMON" --version)
echo "rpcmon --version: $out"
[[ $out =~ ^rpcmon\ ([0-9]+\.[0-9]+\.[0-9]+)\ \(git\ ([^\)]+)\)$ ]] || fail "unexpected --version line '$out'"
[[ ${BASH_REMATCH[1]} == "$WANT_VERSION" ]] || fail "version ${BASH_REMATCH[1]}, CMake project() says $WANT_VERSION"
rev=${BASH_REMATCH[2]}
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    [[ $rev != unknown ]] || fail "built inside git but the revision is unknown"
    # The revision names a commit of this repository (it may be older than HEAD until reconfigure).
    git -C "$REPO" rev-parse --verify --quiet "${rev%-dirty}^{commit}" >/dev/null ||
        fail "revision '$rev' is not a commit of $REPO"
fi
# --version works without a subcommand and exits 0 (checked by set -e above); no stray output.
[[ $("$RPCMON" --version 2>&1 | wc -l) == 1 ]] || fail "--version printed more than one line"

# Outside git the generated header says "unknown".
mkdir -p "$T/src" "$T/bin"
cmake -DPROJECT_SOURCE_DIR="$T/src" -DPROJECT_BINARY_DIR="$T/bin" -DPROJECT_VERSION=9.8.7 \
      -P "$REPO/cmake/version.cmake" >/dev/null
grep -q '#define RPCMON_GIT_REVISION "unknown"' "$T/bin/generated/rpcmon_version.h" ||
    fail "outside git: $(cat "$T/bin/generated/rpcmon_version.h")"
grep -q '#define RPCMON_VERSION "9.8.7"' "$T/bin/generated/rpcmon_version.h" || fail "version not substituted"

help=$("$RPCMON" --help)
grep -q '^EXAMPLES:' <<<"$help" || fail "--help has no EXAMPLES section"
for cmd in agent analyze top; do
    grep -qE "^  rpcmon $cmd( |$)" <<<"$help" || fail "--help EXAMPLES lack 'rpcmon $cmd'"
done
echo "PASS"
