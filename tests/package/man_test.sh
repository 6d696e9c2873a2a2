#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages (packaging/man) render without a single groff warning (-ww), with mandoc -Tlint
# too when it is installed, and each has the sections the package promises (OVERHEAD, EXAMPLES).
# Usage: man_test.sh
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
fail() { echo "FAIL: $*"; exit 1; }
T_EMPTY=$(mktemp)
trap 'rm -f "$T_EMPTY"' EXIT
command -v groff >/dev/null || { echo "SKIP: groff not installed"; exit 77; }
pages=(rpcmon.8 rpcmon-top.1 rpcmon.yaml.5)
for p in "${pages[@]}"; do
    f=$REPO/packaging/man/$p
    [[ -f $f ]] || fail "missing $f"
    warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1) || fail "$p: groff failed: $warn"
    [[ -z $warn ]] || fail "$p: groff warnings:"$'\n'"$warn"
    if command -v mandoc >/dev/null; then
        lint=$(mandoc -Tlint -Wwarning "$f" 2>&1) || fail "$p: mandoc -Tlint:"$'\n'"$lint"
    fi
    text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>&1 | col -b)
    for section in NAME SYNOPSIS DESCRIPTION OVERHEAD EXAMPLES "SEE ALSO"; do
        grep -q "^$section\$" <<<"$text" || fail "$p: no $section section"
    done
    echo "$p: clean ($(wc -l <<<"$text") lines rendered)"
done
# Every subcommand in the agent's page exists in the binary's help (no page for a phantom command).
if [[ $# -ge 1 ]]; then
    help=$("$1" --help)
    for sub in agent analyze check-config top stats signatures; do
        grep -q "^  $sub" <<<"$help" || fail "rpcmon.8 documents '$sub', rpcmon --help does not list it"
    done
    # Every option of `rpcmon agent` is in rpcmon(8) (roff escapes \- for -), so the page keeps up.
    page=$(sed 's/\\-/-/g' "$REPO/packaging/man/rpcmon.8")
    for opt in $("$1" agent --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        [[ $opt == --help ]] && continue
        grep -qF -- "$opt" <<<"$page" || fail "rpcmon agent $opt is not documented in packaging/man/rpcmon.8"
    done
    # Every key of the agent file (the parser's own list) is in rpcmon.yaml(5), in full.
    page=$(sed 's/\\-/-/g' "$REPO/packaging/man/rpcmon.yaml.5")
    : >"$T_EMPTY"
    for key in $("$1" check-config --effective "$T_EMPTY" | sed -n 's/^\([a-z_.]*\): .*# default$/\1/p' | grep -v '^limits\.'); do
        grep -qx "\.B $key" <<<"$page" || fail "agent file key $key is not documented in packaging/man/rpcmon.yaml.5"
    done
    # ... and every agent option but these four is one of its keys (agent --help says so).
    for opt in $("$1" agent --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        case $opt in --help|--config|--print-config|--no-xdp|--keep-caps) continue ;; esac
        grep -qF -- "$opt" <<<"$page" || fail "rpcmon agent $opt is not a key in packaging/man/rpcmon.yaml.5"
    done
fi
echo PASS
