#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test: interface faults under a running agent. The agent watches two veths in the lab's
# server namespace (the lab's own and a second pair made here), a real rpcbind answers rpcinfo
# from the client namespace. In order:
#   1. the lab veth goes down and comes back up: logged, counted, and RPC calls after the
#      "up" are reported again (calls via XDP, replies via the socket filter);
#   2. the lab veth pair is deleted: logged ("interface X removed"), counted, no crash, and the
#      agent keeps reporting calls on the second veth;
#   3. a veth of the same name is created again (new ifindex): XDP and the socket filter are
#      re-attached automatically (logged, counted) and its calls are reported again;
#   4. every monitored interface is deleted: the agent logs that once and keeps running;
#      SIGTERM still stops it cleanly, with a final stats line carrying every counter.
# Usage: live_faults_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "flt$$" rpcbind rpcinfo ethtool python3

# The second veth pair: ${LAB:0:10}-xc in the client namespace, ${LAB:0:10}-xs in the server's.
IF1=$LAB_SRV_IF
IF2_CLI=${LAB:0:10}-xc
IF2=${LAB:0:10}-xs
IP2_CLI=10.213.$LAB_N.1
IP2=10.213.$LAB_N.2

# make_pair CLI_IF SRV_IF CLI_IP SRV_IP: a veth pair like lab_up makes it (offloads as LAB_OFFLOAD).
make_pair() {
    ip link add "$1" netns "$LAB_CLI_NS" type veth peer name "$2" netns "$LAB_SRV_NS"
    ip -n "$LAB_CLI_NS" addr add "$3/24" dev "$1"
    ip -n "$LAB_SRV_NS" addr add "$4/24" dev "$2"
    if [[ "${LAB_OFFLOAD:-off}" == off ]]; then
        ip netns exec "$LAB_CLI_NS" ethtool -K "$1" tso off gso off gro off tx off >/dev/null
        ip netns exec "$LAB_SRV_NS" ethtool -K "$2" tso off gso off gro off tx off >/dev/null
    fi
    ip -n "$LAB_CLI_NS" link set "$1" up
    ip -n "$LAB_SRV_NS" link set "$2" up
}
make_pair "$IF2_CLI" "$IF2" "$IP2_CLI" "$IP2"

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

LOG=$OUT/agent.log
# rpc CMD...: rpcinfo from the client namespace, retried while a link comes up (ARP, carrier).
rpc() {
    local i
    for i in $(seq 30); do lab_exec "$LAB_CLI_NS" rpcinfo "$@" >>"$OUT/rpcinfo.txt" 2>&1 && return 0; sleep 0.2; done
    fail "rpcinfo $* got no answer"
}
now() { date +%s.%N; }
xdp_on() { [[ $(ip -n "$LAB_SRV_NS" link show "$1" 2>/dev/null) == *prog/xdp* ]]; }

PID=$(start_agent "$OUT/eve.json" -i "$IF2" --packets)
xdp_on "$IF1" && xdp_on "$IF2" || { ip -n "$LAB_SRV_NS" link; cat "$LOG"; fail "XDP not attached to both interfaces"; }
rpc -p "$LAB_SRV_IP"
rpc -p "$IP2"

# 1. Down and up again.
ip -n "$LAB_SRV_NS" link set "$IF1" down
wait_log "interface $IF1 went down"
agent_alive "$PID" "interface down"
ip -n "$LAB_SRV_NS" link set "$IF1" up
wait_log "interface $IF1 is up again"
T1=$(now)
rpc -p "$LAB_SRV_IP"
rpc -u "$LAB_SRV_IP" 100000 2

# 2. The lab veth pair is deleted (from the client side: the agent's end goes with it).
ip -n "$LAB_CLI_NS" link del "$LAB_CLI_IF"
wait_log "interface $IF1 removed"
agent_alive "$PID" "interface removed"
T2=$(now)
rpc -p "$IP2"
rpc -u "$IP2" 100000 2

# 3. Re-created under the same name: re-attached without help.
make_pair "$LAB_CLI_IF" "$IF1" "$LAB_CLI_IP" "$LAB_SRV_IP"
wait_log "interface $IF1 is back .*re-attached"
xdp_on "$IF1" || fail "XDP not re-attached to the new $IF1"
T3=$(now)
rpc -p "$LAB_SRV_IP"
rpc -u "$LAB_SRV_IP" 100000 2
sleep 1.2  # one stats line after the traffic

# 4. Every monitored interface gone: the agent waits (one log line), SIGTERM still works.
ip -n "$LAB_CLI_NS" link del "$LAB_CLI_IF"
ip -n "$LAB_CLI_NS" link del "$IF2_CLI"
wait_log "no monitored interface left"
sleep 2.2
agent_alive "$PID" "all interfaces removed"
[[ $(grep -c "no monitored interface left" "$LOG") -eq 1 ]] || { cat "$LOG"; fail "'no monitored interface left' logged more than once"; }
stop_agent "$PID"
grep -q "stopped; programs detached" "$LOG" || { cat "$LOG"; fail "no clean stop after the interfaces were removed"; }
if grep -qiE "terminate|exception|what\(\)|Aborted" "$LOG"; then cat "$LOG"; fail "exception in the agent's log"; fi

python3 - "$OUT/eve.json" "$IF1" "$IF2" "$LAB_CLI_IP" "$LAB_SRV_IP" "$IP2" "$T1" "$T2" "$T3" <<'PY'
import json, sys
from datetime import datetime
eve, if1, if2, cli, srv, ip2 = sys.argv[1:7]
t1, t2, t3 = (float(x) for x in sys.argv[7:10])
lines = [json.loads(l) for l in open(eve)]
ts = lambda r: datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
rpc = [r for r in lines if r["event_type"] == "rpc"]
pk = [r for r in lines if r["event_type"] == "packet"]

def calls(dest, since, until=float("inf"), proto=None):
    return [r for r in rpc if r["dest_ip"] == dest and since < ts(r) < until and r["rpc"]["reply"]
            and (proto is None or r["proto"] == proto)]
def packets(dest_or_src, since, until, hook, direction):
    return [p for p in pk if since < ts(p) < until and p["packet"]["hook"] == hook
            and p["packet"]["direction"] == direction and dest_or_src in (p["src_ip"], p["dest_ip"])]

for name, since, until, dest in [("after down/up", t1, t2, srv), ("on the other interface after the removal", t2, t3, ip2),
                                 ("after re-creation", t3, float("inf"), srv)]:
    for proto in ("TCP", "UDP"):
        got = calls(dest, since, until, proto)
        assert got, f"no {proto} call to {dest} with its reply {name}: {len(rpc)} rpc records"
    assert packets(dest, since, until, "xdp", "to_server"), f"no calls via XDP {name}"
    assert packets(dest, since, until, "socket", "to_client"), f"no replies via the socket filter {name}"

stats = [l for l in lines if l["event_type"] == "stats"]
assert len(stats) >= 5, len(stats)
cap = stats[-1]["stats"]["capture"]
st = cap["interface_state"]
a, b = st[if1], st[if2]
assert a["down_events"] >= 1 and a["up_events"] >= 1, a
assert a["removed"] == 2 and a["reattached"] == 1 and a["reattach_failures"] == 0, a
assert a["state"] == "removed" and a["ifindex"] == 0, a
assert b["removed"] == 1 and b["reattached"] == 0 and b["down_events"] == 0, b
assert cap["interface_removed"] == 3 and cap["interface_reattached"] == 1, cap
assert cap["interface_down_events"] == a["down_events"] and cap["interface_up_events"] == a["up_events"] + b["up_events"], cap
# The counters moved while it ran, not only at exit: some periodic line saw the first down.
assert any(s["stats"]["capture"]["interface_down_events"] >= 1 and s["stats"]["capture"]["interface_removed"] == 0
           for s in stats[:-1]), "no periodic stats line between the down/up and the removal"
print(f"ok: {len(rpc)} rpc records; {if1}: {a}; {if2}: {b}")
PY
grep -E "interface|EVE|capabilit" "$LOG" || true
echo "PASS"
