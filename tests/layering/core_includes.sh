#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# core/ is the bottom layer: its files may include only core/ and the shared wire header
# (include/rpcmon/), never output/, stream/, protocols/ or anything built on core.
# Usage: core_includes.sh USERSPACE_DIR
dir=${1:?usage: core_includes.sh USERSPACE_DIR}
n=$(ls "$dir"/core/*.h "$dir"/core/*.cc 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || { echo "no core sources under $dir"; exit 1; }
bad=$(grep -Hn '^#include "' "$dir"/core/*.h "$dir"/core/*.cc | grep -v '#include "core/' | grep -v '#include "rpcmon/')
if [ -n "$bad" ]; then
    echo "core/ reaches up into another layer:"
    echo "$bad"
    exit 1
fi
echo "core/: $n files include only core/ and rpcmon/"
