#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on a fresh Debian 12 machine: install packages, build, and run the agent on the
# default-route interface with EVE JSON lines on stdout. Extra arguments go to `rpcmon agent`.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
tools/setup.sh --build-only
tools/build.sh
exec build/rpcmon agent "$@"
