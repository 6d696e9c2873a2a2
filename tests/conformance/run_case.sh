#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs onc_tshark.py on one capture; "corpus/..." resolves to ../shared/corpus. Exit 77 = skip.
set -euo pipefail
rpcmon=$1 capture=$2
case "$capture" in
    corpus/*) capture="../shared/$capture" ;;
esac
[[ -f "$capture" ]] || { echo "SKIP: $capture not found"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed (run tools/setup.sh)"; exit 77; }
exec /usr/bin/python3 "$(dirname "$0")/onc_tshark.py" "$rpcmon" "$capture"
