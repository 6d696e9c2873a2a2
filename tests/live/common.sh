#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the live tests (source it): skip/fail conventions, the lab, and starting the agent.
#   live_setup NAME CMD...   skip unless root and every CMD exists; bring lab NAME up (removed
#                            on exit with $OUT); sets LAB_* (netns.sh), STATE and OUT
#   start_agent EVEFILE [AGENT ARGS...]   the agent on the server veth; prints its PID once the
#                            programs are attached (fails the test otherwise)
#   wait_log PATTERN [SECONDS]   until the agent's log ($OUT/agent.log) has a matching line
#   agent_alive PID WHAT     fail, showing the agent's log, if the agent has died
# Exit code 77 means "skipped" to CTest (SKIP_RETURN_CODE).
LIVE_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/lab/netns.sh
source "$LIVE_REPO/tools/lab/netns.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

live_setup() {
    local name=$1 c
    shift
    [[ $(id -u) -eq 0 ]] || skip "needs root (CAP_BPF, CAP_NET_ADMIN, network namespaces)"
    for c in "$@"; do
        command -v "$c" >/dev/null || skip "$c not installed (run tools/setup.sh)"
    done
    LAB=$name
    OUT=$(mktemp -d)
    trap 'lab_down "$LAB" >/dev/null 2>&1 || true; [[ -n "${LIVE_KEEP:-}" ]] || rm -rf "$OUT"' EXIT
    lab_up "$LAB" >/dev/null
    lab_env "$LAB"
    STATE=$(lab_state_dir "$LAB")
}

start_agent() {
    local eve=$1 pid
    shift
    : >"$OUT/agent.log"
    pid=$(lab_spawn "$LAB_SRV_NS" "$STATE/agent.pid" "$OUT/agent.log" \
        "$RPCMON" agent -i "$LAB_SRV_IF" --eve "$eve" --stats-interval 1 "$@")
    for _ in $(seq 100); do grep -q "monitoring" "$OUT/agent.log" && break; sleep 0.05; done
    grep -q "monitoring" "$OUT/agent.log" || { cat "$OUT/agent.log" >&2; fail "agent did not start"; }
    echo "$pid"
}

wait_log() {
    local i
    for i in $(seq $((${2:-5} * 10))); do grep -qE "$1" "$OUT/agent.log" && return 0; sleep 0.1; done
    cat "$OUT/agent.log" >&2
    fail "no log line matching '$1' within ${2:-5} s"
}

agent_alive() { kill -0 "$1" 2>/dev/null || { cat "$OUT/agent.log" >&2; fail "agent died ($2)"; }; }

# stop_agent PID: SIGTERM and wait (the agent flushes and writes its last stats line).
stop_agent() {
    kill -TERM "$1"
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    fail "agent did not exit on SIGTERM"
}
