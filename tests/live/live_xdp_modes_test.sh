#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test of how the agent attaches (README "Usage", issue: attach on any NIC):
#   1. --xdp-mode native, generic, off and auto on the lab's server veth: the mode the agent
#      reports per interface (log and stats) is the one the kernel shows (`ip link`: xdp /
#      xdpgeneric / none), rpcinfo's calls and replies are recorded in each mode, and without
#      XDP the socket filter reports ingress itself (hook socket_ingress);
#   2. jumbo frames (MTU 9000, XDP multi-buffer): an 8000-byte segment to TCP 135 arrives in one
#      frame and is delivered whole, as several records, nothing cut;
#   3. the README's first command's agent on this machine's default-route interface: it starts
#      in auto mode (on a virtio_net VM with one queue pair native XDP is refused and generic
#      is used) and reports the mode it chose. Only attaches; sends nothing on that interface.
# Usage: live_xdp_modes_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "xdpm$$" rpcbind rpcinfo python3

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

link_mode() {  # what the kernel shows on the server veth: xdp, xdpgeneric or none
    local l
    l=$(ip -n "$LAB_SRV_NS" -d link show "$LAB_SRV_IF")
    if grep -q "xdpgeneric" <<<"$l"; then echo generic
    elif grep -qE "\bxdp(drv)?\b" <<<"$l"; then echo native
    else echo none; fi
}

check_run() {  # check_run EVE WANT_MODE: records in both directions, mode in the stats
    /usr/bin/python3 - "$1" "$2" "$LAB_SRV_IF" <<'PY'
import json, sys
eve, want, iface = sys.argv[1], sys.argv[2], sys.argv[3]
lines = [json.loads(l) for l in open(eve)]
stats = [l for l in lines if l["event_type"] == "stats"][-1]["stats"]["capture"]
got = stats["interface_state"][iface]["xdp_mode"]
assert got == want, f"stats say xdp_mode {got}, expected {want}"
pk = [l for l in lines if l["event_type"] == "packet"]
ingress_hook = "socket_ingress" if want == "off" else "xdp"
calls = [p for p in pk if p["packet"]["direction"] == "to_server" and p["packet"]["hook"] == ingress_hook]
replies = [p for p in pk if p["packet"]["direction"] == "to_client" and p["packet"]["hook"] == "socket"]
assert calls and replies, f"mode {want}: {len(calls)} calls via {ingress_hook}, {len(replies)} replies via socket"
rpc = [l for l in lines if l["event_type"] == "rpc" and l["rpc"].get("reply")]
assert any(r["rpc"]["procedure"] == 4 for r in rpc), f"mode {want}: no DUMP joined with its reply"
for hook, c in stats["kernel"].items():
    assert c["ringbuf_drops"] == 0 and c["cut_packets"] == 0, (hook, c)
print(f"  mode {want}: {len(calls)} calls via {ingress_hook}, {len(replies)} replies, {len(rpc)} joined calls")
PY
}

# 1. Each mode on the veth.
for mode in native generic off auto; do
    want=$mode
    [[ $mode == auto ]] && want=native   # veth supports native XDP
    PID=$(start_agent "$OUT/eve-$mode.json" --packets --xdp-mode "$mode")
    grep -q "interface $LAB_SRV_IF: " "$OUT/agent.log" || { cat "$OUT/agent.log"; fail "mode $mode: no per-interface attach line"; }
    shown=$(link_mode)
    [[ $want == off && $shown == none || $want == "$shown" ]] ||
        fail "mode $mode: kernel shows '$shown' on $LAB_SRV_IF"
    lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null
    sleep 1.2
    stop_agent "$PID"
    [[ $(link_mode) == none ]] || fail "mode $mode: XDP left attached after exit"
    check_run "$OUT/eve-$mode.json" "$want" || fail "mode $mode"
done

# 2. Jumbo frames: MTU 9000 on both ends, offloads off so the 8000-byte segment is one frame.
ip -n "$LAB_SRV_NS" link set "$LAB_SRV_IF" mtu 9000
ip -n "$LAB_CLI_NS" link set "$LAB_CLI_IF" mtu 9000
PID=$(start_agent "$OUT/eve-jumbo.json" --packets --xdp-mode native)
[[ $(link_mode) == native ]] || fail "native XDP not attached at MTU 9000 (xdp.frags)"
lab_exec "$LAB_SRV_NS" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 135)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.settimeout(10); n = 0
while n < 8000:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.close()' "$LAB_SRV_IP" &
SRVPY=$!
sleep 0.5
lab_exec "$LAB_CLI_NS" /usr/bin/python3 -c '
import socket, sys, time
pdu = bytearray(8000)
pdu[0:8] = bytes([5, 0, 0, 3, 0x10, 0, 0, 0])           # DCE/RPC v5 request, little-endian
pdu[8:10] = (8000).to_bytes(2, "little")                 # frag_length
for i in range(16, 8000): pdu[i] = i & 0xff
s = socket.create_connection((sys.argv[1], 135)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(pdu); time.sleep(0.3); s.close()' "$LAB_SRV_IP"
wait "$SRVPY" || true
sleep 1.2
stop_agent "$PID"
/usr/bin/python3 - "$OUT/eve-jumbo.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
k = [l for l in lines if l["event_type"] == "stats"][-1]["stats"]["capture"]["kernel"]["xdp"]
pk = [l for l in lines if l["event_type"] == "packet" and l["dest_port"] == 135 and l["packet"]["payload_len"]]
total = sum(p["packet"]["payload_len"] for p in pk)
assert total == 8000, f"8000 bytes sent, {total} delivered in {len(pk)} records"
assert k["super_packets"] >= 1 and k["extra_records"] >= 1, k
assert k["cut_packets"] == 0 and k["ringbuf_drops"] == 0, k
print(f"  jumbo: 8000 bytes in {len(pk)} records through XDP multi-buffer; super_packets {k['super_packets']}")
PY

# 3. The default-route interface, as tools/run-agent.sh runs the agent (auto mode).
DEF=$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)
if [[ -z "$DEF" ]]; then
    echo "  default-route interface: none on this host (part 3 not run)"
else
    : >"$OUT/def.log"
    "$RPCMON" agent --stats-interval 1 --control-socket "$OUT/ctl.sock" >"$OUT/def.json" 2>"$OUT/def.log" &
    DPID=$!
    for _ in $(seq 50); do grep -q "monitoring" "$OUT/def.log" && break; sleep 0.1; done
    sleep 1.5
    kill -TERM "$DPID"; wait "$DPID" || true
    grep -q "monitoring $DEF" "$OUT/def.log" || { cat "$OUT/def.log"; fail "agent did not start on $DEF"; }
    mode=$(/usr/bin/python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]["stats"]["capture"]
print(s["interface_state"][sys.argv[2]]["xdp_mode"])' "$OUT/def.json" "$DEF")
    [[ $mode == native || $mode == generic || $mode == off ]] || fail "default-route interface mode '$mode'"
    ip -d link show "$DEF" | grep -q "xdp" && fail "XDP left on $DEF"
    echo "  default-route interface $DEF: $mode ($(grep -o "interface $DEF: .*" "$OUT/def.log" | head -1))"
fi
echo PASS
