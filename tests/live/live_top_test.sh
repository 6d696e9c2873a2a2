#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test of `rpcmon top`: the agent on a veth in a lab namespace with a real rpcbind and
# `rpcinfo` traffic from the client namespace; `rpcmon top` runs inside tmux (80x24) and the
# test asserts on what the screen shows (capture-pane) after keys (send-keys): the client host
# row with calls, view switching, sort, filter, help, pause, resize, quit restoring the
# terminal, SIGTERM and SIGSEGV restoring it too; `rpcmon stats --json`; the socket's
# permissions; the "no agent" message; `rpcmon top --pcap` on the NFS lab capture.
# Usage: live_top_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
HERE=$(dirname "$(readlink -f "$0")")
ROOT=$(readlink -f "$HERE/../..")
# shellcheck source=tools/lab/netns.sh
source "$ROOT/tools/lab/netns.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "needs root (CAP_BPF, CAP_NET_ADMIN, network namespaces)"
command -v tmux >/dev/null || skip "tmux not installed (apt-get install tmux)"
command -v rpcbind >/dev/null || skip "rpcbind not installed (run tools/setup.sh)"
command -v rpcinfo >/dev/null || skip "rpcinfo not installed (run tools/setup.sh)"

LAB=top$$
OUT=$(mktemp -d)
chmod 711 "$OUT"  # others may traverse it: only the socket's own permissions keep them out
SOCK=$OUT/ctl/rpcmon.sock
TMUX_SRV=rpcmon-top-$$           # a private tmux server: never touches the user's sessions
tm() { tmux -L "$TMUX_SRV" "$@"; }
TRAFFIC_PID=
cleanup() {
    if [[ -n "$TRAFFIC_PID" ]]; then kill "$TRAFFIC_PID" 2>/dev/null || true; fi
    tm kill-server >/dev/null 2>&1 || true
    lab_down "$LAB" >/dev/null 2>&1 || true
    rm -rf "$OUT"
}
trap cleanup EXIT

screen() { tm capture-pane -p -t "$1"; }
# wait_for SESSION REGEX: until the screen shows REGEX (5 s), else fail showing the screen.
wait_for() {
    for _ in $(seq 50); do screen "$1" | grep -qE -- "$2" && return 0; sleep 0.1; done
    echo "--- screen of $1 ---"; screen "$1"; echo "---"
    fail "screen never showed: $2"
}
wait_gone() {
    for _ in $(seq 50); do screen "$1" | grep -qE -- "$2" || return 0; sleep 0.1; done
    echo "--- screen of $1 ---"; screen "$1"; echo "---"
    fail "screen still shows: $2"
}
# start_top SESSION ARGS...: rpcmon top in an 80x24 tmux window; when it ends the pane shows
# its exit code and whether the terminal is back in canonical mode with echo.
start_top() {
    local s=$1
    shift
    tm new-session -d -x 80 -y 24 -s "$s" \
        "ulimit -c 0; $RPCMON top $*; echo TOP-EXITED rc=\$?; stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' '; echo; sleep 600"
}
restored() {  # restored SESSION: top has exited and the terminal is as before
    wait_for "$1" "TOP-EXITED"
    wait_for "$1" "^-?icanon -?echo"   # stty's line comes just after
    screen "$1" | grep -qE -- "^icanon echo" || { screen "$1"; fail "terminal not restored (icanon/echo) in $1"; }
    [[ $(tm display -p -t "$1" '#{alternate_on}') == 0 ]] || fail "alternate screen still on in $1"
    [[ $(tm display -p -t "$1" '#{cursor_flag}') == 1 ]] || fail "cursor still hidden in $1"
}

T0=$(date +%s.%N)

# 1. No agent: a clear message and exit 1, before the terminal is touched.
set +e
"$RPCMON" top --socket "$OUT/none.sock" >"$OUT/noagent.txt" 2>&1; rc=$?
"$RPCMON" stats --json --socket "$OUT/none.sock" >"$OUT/noagent2.txt" 2>&1; rc2=$?
set -e
[[ $rc -eq 1 && $rc2 -eq 1 ]] || fail "no agent: exit codes $rc/$rc2, expected 1"
grep -qF "no rpcmon agent at $OUT/none.sock: is \`rpcmon agent\` running?" "$OUT/noagent.txt" || { cat "$OUT/noagent.txt"; fail "unclear no-agent message (top)"; }
grep -qF "no rpcmon agent at $OUT/none.sock" "$OUT/noagent2.txt" || { cat "$OUT/noagent2.txt"; fail "unclear no-agent message (stats)"; }
start_top noagent --socket "$OUT/none.sock"
wait_for noagent "TOP-EXITED rc=1"
screen noagent | grep -qF "no rpcmon agent at" || fail "no-agent message not shown in a terminal"

# 2. The lab: rpcbind in the server namespace, the agent on its veth, rpcinfo in a loop.
lab_up "$LAB" >/dev/null
lab_env "$LAB"
STATE=$(lab_state_dir "$LAB")
lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done
AGENT=$(lab_spawn "$LAB_SRV_NS" "$STATE/agent.pid" "$OUT/agent.log" \
    "$RPCMON" agent -i "$LAB_SRV_IF" --eve "$OUT/eve.json" --control-socket "$SOCK")
for _ in $(seq 100); do grep -q "control socket" "$OUT/agent.log" && break; sleep 0.05; done
grep -q "control socket $SOCK" "$OUT/agent.log" || { cat "$OUT/agent.log"; fail "agent did not open its control socket"; }

# Socket permissions: 0600 root:root (no --control-group), the directory the agent created 0750.
[[ $(stat -c '%a %U %G %F' "$SOCK") == "600 root root socket" ]] || fail "socket: $(stat -c '%a %U %G %F' "$SOCK")"
[[ $(stat -c '%a %U' "$(dirname "$SOCK")") == "750 root" ]] || fail "socket dir: $(stat -c '%a %U' "$(dirname "$SOCK")")"
# nobody may not connect
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups "$RPCMON" stats --json --socket "$SOCK" >"$OUT/nobody.txt" 2>&1; rc=$?
set -e
if [[ $rc -ne 1 ]] || ! grep -q "Permission denied" "$OUT/nobody.txt"; then
    cat "$OUT/nobody.txt"; fail "an unprivileged user could read the agent's state"
fi

( while :; do
      lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 || true
      lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" 100000 2 >/dev/null 2>&1 || true
      sleep 0.2
  done ) &
TRAFFIC_PID=$!

# 3. `rpcmon stats --json`: one line with the client, the server endpoint and the operations.
for _ in $(seq 50); do
    "$RPCMON" stats --json --socket "$SOCK" >"$OUT/stats.json"
    grep -q "$LAB_CLI_IP" "$OUT/stats.json" && grep -q "$LAB_SRV_IP:111/udp" "$OUT/stats.json" &&
        grep -q '"portmapper v2 NULL"' "$OUT/stats.json" &&
        grep -q '"packets":{"total":[1-9]' "$OUT/stats.json" && break  # health: once per 1 s period
    sleep 0.2
done
python3 - "$OUT/stats.json" "$LAB_CLI_IP" "$LAB_SRV_IP" "$LAB_SRV_IF" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"stats --json printed {len(lines)} lines"
s = json.loads(lines[0])
cli, srv, ifname = sys.argv[2:5]
rows = lambda v: {r["name"]: r for r in s["views"][v]["rows"]}
h = rows("hosts")
assert cli in h and h[cli]["calls"] > 0, h
assert f"{srv}:111/tcp" in rows("servers") and f"{srv}:111/udp" in rows("servers"), rows("servers").keys()
ops = rows("operations")
assert "portmapper v2 DUMP" in ops and "portmapper v2 NULL" in ops, ops.keys()
assert ops["portmapper v2 DUMP"]["p50_us"] is not None
assert s["health"]["interfaces"] == [ifname], s["health"]
assert s["health"]["packets"]["total"] > 0 and s["totals"]["calls"]["total"] > 0
assert s["bpf"]["enabled"] is False, "BPF run-time stats must be off without a top client"
print(f"ok: stats --json: {s['totals']['calls']['total']} calls, {len(ops)} operations")
PY

# 4. rpcmon top against the agent, 80x24. The first screen: who calls what (top callers with
#    the operation each calls most, top operations with their busiest caller).
start_top top --socket "$SOCK" --interval 0.5
wait_for top "^ TOP CALLERS  [1-9][0-9]* client hosts?,"
wait_for top "^ TOP OPERATIONS  [1-9][0-9]* operations"
wait_for top "^$LAB_CLI_IP +[0-9.]+k? +[1-9][0-9.]*k? .* portmapper v[234] [A-Z]+"   # caller -> what it calls most
wait_for top "^portmapper v2 DUMP .* $LAB_CLI_IP"                                 # operation -> its caller
tm send-keys -t top c; wait_for top "CALLS  [1-9]"; wait_for top "^$LAB_CLI_IP -> portmapper v[234] [A-Z]+ "
tm send-keys -t top w; wait_for top "^ TOP CALLERS "
tm send-keys -t top h
wait_for top "HOSTS"
wait_for top "rpcmon top \\[$LAB_SRV_IF xdp:native\\]"   # the mode the agent attached with
wait_for top "^$LAB_CLI_IP +[0-9.]+k? +[1-9]"      # the client's row with CALLS/s and CALLS > 0
screen top | head -1 | grep -q " agent /" || fail "header does not name the agent"
screen top | head -1 | grep -q "\[$LAB_SRV_IF xdp:native\]" || fail "header does not name the interface and its XDP mode"
# Kernel run-time stats while top is open need CAP_SYS_ADMIN, which the agent dropped (README
# "Privileges"): the line says so, unless the host collects them for everyone.
if [[ $(cat /proc/sys/kernel/bpf_stats_enabled) == 1 ]]; then
    wait_for top "^ BPF rpcmon_xdp [1-9][0-9]*ns x[0-9.]+k?/s [0-9.]+%CPU"
else
    wait_for top "^ BPF run time: off: CAP_SYS_ADMIN dropped \(sysctl kernel.bpf_stats_enabled=1\)"
fi
wait_for top "^ LOSS "   # the named loss counters (none here, or by name)
screen top | grep -q "RECENT ALERTS" || fail "no alerts pane"
[[ $(screen top | wc -l) -eq 24 ]] || fail "screen is not 24 lines"
# views
tm send-keys -t top o; wait_for top "OPERATIONS"; wait_for top "^portmapper v2 DUMP"
tm send-keys -t top s; wait_for top "SERVERS"; wait_for top "^$LAB_SRV_IP:111/"
tm send-keys -t top i; wait_for top "INTERFACES"; wait_for top "^portmapper v2 "
tm send-keys -t top h; wait_for top "HOSTS"
# sort
tm send-keys -t top 1; wait_for top "sort NAME asc"
tm send-keys -t top 1; wait_for top "sort NAME desc"
tm send-keys -t top '>'; wait_for top "sort CALLS/s desc"
tm send-keys -t top '>'; wait_for top "sort CALLS desc"
tm send-keys -t top '<'; wait_for top "sort CALLS/s desc"
# filter
tm send-keys -t top / ; wait_for top "filter: _"
tm send-keys -t top -l "zzz"; tm send-keys -t top Enter
wait_for top 'filter "zzz"'; wait_for top "nothing matches the filter"
screen top | grep -q "^$LAB_CLI_IP " && fail "filter did not hide the client row"
tm send-keys -t top / Escape; wait_gone top 'filter "'; wait_for top "^$LAB_CLI_IP "
tm send-keys -t top / ; tm send-keys -t top -l "${LAB_CLI_IP}"; tm send-keys -t top Enter
wait_for top "filter \"$LAB_CLI_IP\""; wait_for top "^$LAB_CLI_IP "
tm send-keys -t top / Escape; wait_gone top 'filter "'
# help
tm send-keys -t top '?'; wait_for top "help \(any key to go back\)"
tm send-keys -t top x; wait_for top "HOSTS"
# pause: the header's clock stops
tm send-keys -t top p; wait_for top "PAUSED"
a=$(screen top | head -1); sleep 1.2; b=$(screen top | head -1)
[[ "$a" == "$b" ]] || fail "the view changed while paused"
tm send-keys -t top p; wait_gone top "PAUSED"
# resize: the key line moves to the new last line, rows widen
tm resize-window -t top -x 100 -y 30
wait_for top "q quit"
[[ $(screen top | sed -n 30p) == *"q quit"* ]] || { screen top; fail "view did not adapt to 100x30"; }
tm resize-window -t top -x 80 -y 24
for _ in $(seq 50); do [[ $(screen top | sed -n 24p) == *"q quit"* ]] && break; sleep 0.1; done
[[ $(screen top | sed -n 24p) == *"q quit"* ]] || { screen top; fail "view did not adapt back to 80x24"; }
# quit restores the terminal
tm send-keys -t top q
restored top
screen top | grep -q "TOP-EXITED rc=0" || fail "q did not exit 0"
# BPF stats go off again once no top is connected (stats --json is not a top client)
sleep 1.5
"$RPCMON" stats --json --socket "$SOCK" | python3 -c 'import json,sys; b=json.load(sys.stdin)["bpf"]; assert b["enabled"] is False, b'

# 5. Signals: SIGTERM ends top cleanly; SIGSEGV still restores the terminal.
start_top term --socket "$SOCK"
wait_for term "TOP CALLERS"
kill -TERM "$(tm display -p -t term '#{pane_pid}' | xargs pgrep -P | head -1)"
restored term
start_top segv --socket "$SOCK"
wait_for segv "TOP CALLERS"
kill -SEGV "$(tm display -p -t segv '#{pane_pid}' | xargs pgrep -P | head -1)"
restored segv
screen segv | grep -q "TOP-EXITED rc=139" || { screen segv; fail "SIGSEGV: unexpected exit"; }

# 6. The agent goes away: top says so and keeps trying; the socket file is removed.
start_top gone --socket "$SOCK" --interval 0.3
wait_for gone "^$LAB_CLI_IP "
kill "$TRAFFIC_PID"; TRAFFIC_PID=
kill -TERM "$AGENT"
for _ in $(seq 50); do kill -0 "$AGENT" 2>/dev/null || break; sleep 0.1; done
wait_for gone "retrying"
[[ -e "$SOCK" ]] && fail "agent left its control socket behind"
tm send-keys -t gone q
restored gone

# 7. A capture replayed through the same pipeline into the same view.
start_top pcap --pcap "$ROOT/tests/data/lab/onc-nfs3.pcap"
wait_for pcap "replay .*onc-nfs3.pcap"
wait_for pcap "\[end\]"
wait_for pcap "^10.203.203.1 +[0-9.]+k? +124 "
tm send-keys -t pcap o; wait_for pcap "^nfs v3 LOOKUP "; wait_for pcap "^nfs v3 READ "
tm send-keys -t pcap q
restored pcap

# The alerts pane, when the detections are built: a DC capture's alerts with their technique.
if [[ $("$RPCMON" stats --json --pcap "$ROOT/tests/data/lab/dce-dc-epm.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["alerts"]["total"])') -gt 0 ]]; then
    start_top alerts --pcap "$ROOT/tests/data/lab/dce-dc-epm.pcap" --fast
    wait_for alerts "RECENT ALERTS  [0-9]+ total"
    wait_for alerts "^ [0-9:]{8} T[0-9]{4}"
    tm send-keys -t alerts q
    restored alerts
fi

echo "PASS ($(python3 -c "print(round($(date +%s.%N) - $T0, 1))") s)"
