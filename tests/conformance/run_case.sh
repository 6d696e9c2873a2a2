#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a tshark conformance script (onc_tshark.py, dcerpc_tshark.py) on one capture;
# "corpus/..." resolves to ../shared/corpus. Exit 77 = skip.
# Usage: run_case.sh SCRIPT RPCMON CAPTURE
set -euo pipefail
script=$1 rpcmon=$2 capture=$3
case "$capture" in
    corpus/*) capture="../shared/$capture" ;;
esac
[[ -f "$capture" ]] || { echo "SKIP: $capture not found"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed (run tools/setup.sh)"; exit 77; }
exec /usr/bin/python3 "$(dirname "$0")/$script" "$rpcmon" "$capture"
