#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates the committed seed corpus fuzz/corpus/<target>/ from the lab captures, the public
# corpus in ../shared/corpus (if present) and the DCE/RPC pipe fixtures. Needs tshark and
# editcap (package tshark). Deterministic: same captures, same files.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
for tool in tshark editcap python3; do
    command -v "$tool" >/dev/null || { echo "make_seeds: $tool not found (apt-get install tshark)" >&2; exit 1; }
done
exec python3 fuzz/make_seeds.py "$@" 2> >(grep -v 'Running as user "root"' >&2)
