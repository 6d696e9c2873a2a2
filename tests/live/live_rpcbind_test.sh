#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test: the real XDP and socket-filter programs on a veth in a lab namespace, a real
# rpcbind there, `rpcinfo` from the client namespace. Records must arrive in both directions
# (calls through XDP, replies through the socket filter), stats must count them, and after the
# agent exits - cleanly or by kill -9 - no XDP program is left on the interface.
# Usage: live_rpcbind_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "live$$" rpcbind rpcinfo

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

xdp_attached() { ip -n "$LAB_SRV_NS" link show "$LAB_SRV_IF" | grep -q "xdp"; }

# 1. Clean run: rpcinfo over TCP (DUMP) and UDP (NULL calls).
PID=$(start_agent "$OUT/eve.json" --packets)
xdp_attached || fail "XDP not attached while the agent runs"
lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >"$OUT/rpcinfo.txt"
lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" 100000 2 >>"$OUT/rpcinfo.txt"
grep -q portmapper "$OUT/rpcinfo.txt" || fail "rpcinfo got no answer"
sleep 0.5
stop_agent "$PID"
xdp_attached && fail "XDP program left on $LAB_SRV_IF after a clean exit"

python3 - "$OUT/eve.json" "$LAB_CLI_IP" "$LAB_SRV_IP" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
cli, srv = sys.argv[2], sys.argv[3]
pk = [l for l in lines if l["event_type"] == "packet"]
def has(**kw):
    return [p for p in pk if all((p["packet"].get(k) if k in ("hook", "direction", "app") else p.get(k)) == v for k, v in kw.items())]
calls_tcp = has(hook="xdp", direction="to_server", proto="TCP", dest_port=111, src_ip=cli, dest_ip=srv)
replies_tcp = has(hook="socket", direction="to_client", proto="TCP", dest_port=111)
calls_udp = has(hook="xdp", direction="to_server", proto="UDP", dest_port=111)
replies_udp = has(hook="socket", direction="to_client", proto="UDP", dest_port=111)
for name, got in [("TCP calls via XDP", calls_tcp), ("TCP replies via socket filter", replies_tcp),
                  ("UDP calls via XDP", calls_udp), ("UDP replies via socket filter", replies_udp)]:
    assert got, f"no {name}: {len(pk)} packet records"
assert all(p["packet"]["app"] == "onc" for p in pk), "portmapper traffic must be classified as ONC"
# every packet exactly once: no (hook, seq) pair for TCP data seen twice
seen = set()
for p in pk:
    if p["proto"] == "TCP" and p["packet"]["payload_len"]:
        k = (p["packet"]["direction"], p["src_port"], p["packet"]["tcp_seq"])
        assert k not in seen, f"packet reported twice: {k}"
        seen.add(k)
stats = [l for l in lines if l["event_type"] == "stats"][-1]["stats"]
k = stats["capture"]["kernel"]
assert k["xdp"]["packets_classified"] >= len(calls_tcp) + len(calls_udp), k
assert k["socket"]["packets_classified"] >= len(replies_tcp) + len(replies_udp), k
assert k["xdp"]["ringbuf_drops"] == 0 and k["socket"]["ringbuf_drops"] == 0, k
# Packet records only (host-socket records are counted in pipeline.records too).
assert sum(stats["pipeline"]["packets_by_app"].values()) == len(pk), (stats["pipeline"], len(pk))
rpc = [l for l in lines if l["event_type"] == "rpc"]
dump = [r for r in rpc if r["rpc"]["program"] == 100000 and r["rpc"]["procedure"] == 4 and r["proto"] == "TCP"]
assert dump, f"no portmapper DUMP record: {[r['rpc'].get('procedure_name') for r in rpc]}"
assert dump[0]["rpc"]["reply"]["accept_status"] == "success", dump[0]
assert any(e.get("program") == 100000 for e in dump[0]["portmap"]["entries"]), dump[0]["portmap"]
null_udp = [r for r in rpc if r["proto"] == "UDP" and r["rpc"]["procedure"] == 0 and r["rpc"]["reply"]]
assert null_udp, "no UDP NULL call joined with its reply"
print(f"ok: {len(rpc)} rpc records, {len(pk)} packet records, {len(calls_tcp)}+{len(calls_udp)} calls, {len(replies_tcp)}+{len(replies_udp)} replies")
PY

# 2. kill -9: the XDP link dies with the process; a restart attaches again.
PID=$(start_agent "$OUT/eve2.json")
kill -KILL "$PID"
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
for _ in $(seq 20); do xdp_attached || break; sleep 0.1; done
xdp_attached && fail "XDP program left on $LAB_SRV_IF after kill -9"
PID=$(start_agent "$OUT/eve3.json")
xdp_attached || fail "restart after kill -9 did not attach"
stop_agent "$PID"   # waits: the next start must find the XDP slot free

# 3. Clear errors: a missing interface exits non-zero with a message, and attaches nothing.
set +e
lab_exec "$LAB_SRV_NS" "$RPCMON" agent -i no-such-if0 >"$OUT/err.txt" 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "missing interface did not fail"
grep -q "no such interface: no-such-if0" "$OUT/err.txt" || { cat "$OUT/err.txt"; fail "unclear error"; }
# 4. Log rotation: the EVE file is moved away, SIGHUP makes the agent reopen it by name.
PID=$(start_agent "$OUT/rot.json")
lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null
sleep 1.2
mv "$OUT/rot.json" "$OUT/rot.json.1"
kill -HUP "$PID"
sleep 0.5
lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null
sleep 1.2
stop_agent "$PID"
[[ -s "$OUT/rot.json" ]] || fail "no new EVE file after SIGHUP"
grep -q '"procedure_name":"DUMP"' "$OUT/rot.json.1" || fail "rotated file lost the first records"
grep -q '"procedure_name":"DUMP"' "$OUT/rot.json" || fail "records after SIGHUP did not reach the new file"
grep -q '"reopens":1' "$OUT/rot.json" || fail "stats do not count the reopen"

# 5. Without privileges: a clear message and a non-zero exit, nothing attached.
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    "$RPCMON" agent -i lo >"$OUT/noprivs.txt" 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "agent without privileges did not fail"
grep -q "needs BPF privileges" "$OUT/noprivs.txt" || { cat "$OUT/noprivs.txt"; fail "unclear privilege error"; }
echo "PASS"
