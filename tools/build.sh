#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds rpcmon into build/ (incremental). Usage: tools/build.sh [cmake args...]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
