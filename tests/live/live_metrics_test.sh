#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test of the Prometheus endpoint (`rpcmon agent --metrics-listen ADDR:PORT`): the agent
# on a lab veth with a real rpcbind and `rpcinfo` traffic; curl scrapes it twice and the
# counters must grow between the scrapes; `promtool check metrics` accepts the live scrape;
# kernel counters per hook, interfaces with state and XDP mode, anomalies, memory and outputs
# are there; other paths/methods are refused; garbage, oversized, silent and too many clients
# are counted and closed while the agent keeps monitoring and answering; a port already taken
# or a malformed address ends the agent at start with exit code 1 and a clear message.
# Usage: live_metrics_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "metrics$$" rpcbind rpcinfo curl promtool python3
T0=$(date +%s.%N)
PORT=9464
URL="http://127.0.0.1:$PORT/metrics"
srv() { lab_exec "$LAB_SRV_NS" "$@"; }   # the agent listens on the server namespace's loopback
scrape() { srv curl -sS --fail --max-time 5 "$URL"; }
xdp_attached() { ip -n "$LAB_SRV_NS" link show "$LAB_SRV_IF" | grep -q "xdp"; }

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

# 1. Start-up failures: exit code 1 and a message that names the option and the reason; no
#    program left attached.
HOLDER=$(lab_spawn "$LAB_SRV_NS" "$STATE/holder.pid" "$OUT/holder.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$PORT")
for _ in $(seq 50); do srv python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$PORT" 2>/dev/null && break; sleep 0.1; done
for case in "127.0.0.1:$PORT|--metrics-listen: cannot listen on 127.0.0.1:$PORT: Address already in use" \
            "9464|--metrics-listen: cannot listen on '9464': no port"; do
    addr=${case%%|*} want=${case#*|}
    set +e
    srv timeout 20 "$RPCMON" agent -i "$LAB_SRV_IF" --eve "$OUT/fail.json" --control-socket none \
        --metrics-listen "$addr" >"$OUT/fail.log" 2>&1
    rc=$?
    set -e
    [[ $rc -eq 1 ]] || { cat "$OUT/fail.log"; fail "--metrics-listen $addr: exit code $rc, expected 1"; }
    grep -qF -- "$want" "$OUT/fail.log" || { cat "$OUT/fail.log"; fail "--metrics-listen $addr: unclear message"; }
    xdp_attached && fail "XDP left attached after the failed start ($addr)"
done
kill "$HOLDER"
for _ in $(seq 50); do kill -0 "$HOLDER" 2>/dev/null || break; sleep 0.1; done
echo "ok: a taken port and a malformed address stop the agent at start (exit 1)"

# 2. The agent with the endpoint, traffic flowing.
AGENT=$(start_agent "$OUT/eve.json" --control-socket "$OUT/ctl.sock" --metrics-listen "127.0.0.1:$PORT")
wait_log "metrics on http://127.0.0.1:$PORT/metrics"
( while :; do
      lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 || true
      lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" 100000 2 >/dev/null 2>&1 || true
      sleep 0.2
  done ) &
TRAFFIC=$!
trap 'kill $TRAFFIC 2>/dev/null || true; lab_down "$LAB" >/dev/null 2>&1 || true; [[ -n "${LIVE_KEEP:-}" ]] || rm -rf "$OUT"' EXIT

for _ in $(seq 50); do
    scrape >"$OUT/scrape1.prom" 2>/dev/null && grep -q '^rpcmon_calls_seen_total [1-9]' "$OUT/scrape1.prom" && break
    sleep 0.2
done
for _ in $(seq 30); do grep -q '"event_type":"stats"' "$OUT/eve.json" && break; sleep 0.1; done
cp "$OUT/eve.json" "$OUT/eve-at-scrape1.json"   # its stats lines are older than scrape 2's counters
sleep 2.5   # more than two of the agent's 1 s periods
scrape >"$OUT/scrape2.prom"
srv curl -sS --max-time 5 -o /dev/null -D "$OUT/headers.txt" "$URL"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$OUT/headers.txt" || { cat "$OUT/headers.txt"; fail "content type"; }

# 3. promtool accepts the live scrape (format and Prometheus naming conventions).
promtool check metrics <"$OUT/scrape2.prom" >"$OUT/promtool.txt" 2>&1 || { cat "$OUT/promtool.txt"; fail "promtool check metrics rejected the live scrape"; }
echo "ok: promtool check metrics: $(grep -c '^# TYPE' "$OUT/scrape2.prom") families, $(grep -vc '^#' "$OUT/scrape2.prom") samples"

# 4. What the scrapes hold, and that counters grew between them.
python3 - "$OUT/scrape1.prom" "$OUT/scrape2.prom" "$OUT/eve-at-scrape1.json" "$LAB_SRV_IF" <<'PY'
import json, re, sys
def parse(path):
    samples, types, helps = {}, {}, {}
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"# (HELP|TYPE) (\S+) (.*)", line)
        if m:
            (helps if m[1] == "HELP" else types)[m[2]] = m[3]
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$', line)
        assert m, f"bad line: {line!r}"
        samples[m[1]] = float(m[2])
    return samples, types, helps
s1, t1, _ = parse(sys.argv[1])
s2, t2, h2 = parse(sys.argv[2])
ifname = sys.argv[4]
assert set(t2) == set(h2), "every family has HELP and TYPE"
def fam(key): return key.split("{")[0]
# Every counter of the first scrape is still there and never went down.
for k, v in s1.items():
    if t1.get(fam(k)) == "counter":
        assert k in s2, f"counter vanished: {k}"
        assert s2[k] >= v, f"counter went down: {k} {v} -> {s2[k]}"
grew = lambda k: s2.get(k, 0) > s1.get(k, 0)
for k in ['rpcmon_capture_kernel_packets_seen_total{hook="xdp"}',
          'rpcmon_capture_kernel_packets_seen_total{hook="socket"}',
          'rpcmon_capture_kernel_packets_classified_total{hook="xdp"}',
          'rpcmon_pipeline_records_total',
          'rpcmon_pipeline_packets_by_app_total{app="onc"}',
          'rpcmon_calls_seen_total',
          'rpcmon_output_records_written_total',
          'rpcmon_output_by_type_total{event_type="rpc"}',
          'rpcmon_metrics_http_scrapes_total']:
    assert grew(k), f"did not grow between scrapes: {k}: {s1.get(k)} -> {s2.get(k)}"
# Interfaces: state and XDP mode as labels; memory; privileges; build.
info = [k for k in s2 if k.startswith("rpcmon_capture_interface_state_info{")]
assert info == [f'rpcmon_capture_interface_state_info{{interface="{ifname}",state="up",xdp_mode="native"}}'], info
assert t2["rpcmon_capture_interface_state_ifindex"] == "gauge"
assert t2["rpcmon_pipeline_flows_active"] == "gauge" and t2["rpcmon_pipeline_memory_rss_bytes"] == "gauge"
assert s2["rpcmon_pipeline_memory_rss_bytes"] > 1 << 20, s2["rpcmon_pipeline_memory_rss_bytes"]
assert s2["rpcmon_privileges_dropped"] == 1
assert any(k.startswith("rpcmon_build_info{") for k in s2)
# The same counters as the stats line: every kernel counter of every hook, every output type.
stats = [json.loads(l) for l in open(sys.argv[3]) if '"event_type":"stats"' in l][-1]["stats"]
for hook, counters in stats["capture"]["kernel"].items():
    for name in counters:
        assert f'rpcmon_capture_kernel_{name}_total{{hook="{hook}"}}' in s2, (hook, name)
for t in stats["output"]["by_type"]:
    assert f'rpcmon_output_by_type_total{{event_type="{t}"}}' in s2, t
for a in stats["pipeline"]["anomalies"]:
    assert f'rpcmon_pipeline_anomalies_total{{anomaly="{a}"}}' in s2, a
xdp = 'rpcmon_capture_kernel_packets_seen_total{hook="xdp"}'
print(f"ok: {len(s2)} samples; calls {s1['rpcmon_calls_seen_total']:.0f} -> {s2['rpcmon_calls_seen_total']:.0f}, "
      f"xdp packets {s1[xdp]:.0f} -> {s2[xdp]:.0f}")
PY

# 5. Other paths and methods.
code() { srv curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[[ $(code "http://127.0.0.1:$PORT/") == 404 ]] || fail "GET / is not 404"
[[ $(code "http://127.0.0.1:$PORT/metrics/../x") == 404 ]] || fail "GET /x is not 404"
[[ $(code -X POST -d x "$URL") == 405 ]] || fail "POST is not 405"

# 6. Hostile clients: garbage, an oversized request, 10 silent connections, a slow one; then
#    more connections than allowed. The agent keeps monitoring and answering a scrape at once.
lines_before=$(wc -l <"$OUT/eve.json")
srv python3 - "$PORT" "$URL" >"$OUT/hostile.txt" 2>&1 <<'PY' || { cat "$OUT/hostile.txt"; fail "hostile clients"; }
import socket, subprocess, sys, time
port, url = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s
def answer(s):
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not b:
            break
        data += b
    return data
g = conn(); g.sendall(b"\x16\x03\x01\x00\xff\x00garbage\r\n")
assert answer(g).startswith(b"HTTP/1.1 400 "), "garbage not answered 400"
big = conn(); big.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X-Filler: " + b"A" * 20000 + b"\r\n\r\n")
assert answer(big).startswith(b"HTTP/1.1 431 "), "oversized request not answered 431"
silent = [conn() for _ in range(10)]
slow = conn(); slow.sendall(b"GET /met")
t = time.monotonic()
out = subprocess.run(["curl", "-sS", "--fail", "--max-time", "5", url], capture_output=True)
took = time.monotonic() - t
assert out.returncode == 0 and b"rpcmon_calls_seen_total" in out.stdout, out.stderr
assert took < 2, f"scrape took {took:.1f} s with 11 idle clients connected"
# Over the limit (16 at once): the extra ones are told 503 and closed.
more = [conn() for _ in range(10)]
refused = 0
for s in more:
    s.settimeout(0.5)
    try:
        if s.recv(64).startswith(b"HTTP/1.1 503 "):
            refused += 1
    except socket.timeout:
        pass
assert refused >= 4, f"only {refused} of 21+ connections refused"
for s in silent + more:
    s.close()
# The slow one is closed by the agent after its 5 s.
slow.settimeout(8)
t = time.monotonic()
assert answer(slow) == b"", "slow client got an answer"
print(f"ok: hostile clients; slow one closed after {time.monotonic() - t:.1f} s more; {refused} refused")
PY
cat "$OUT/hostile.txt"
agent_alive "$AGENT" "hostile clients"
sleep 1.2
scrape >"$OUT/scrape3.prom"
python3 - "$OUT/scrape3.prom" <<'PY'
import re, sys
s = {m[1]: float(m[2]) for m in (re.match(r"(\S+) (\S+)$", l) for l in open(sys.argv[1]) if not l.startswith("#")) if m}
want = {"bad_requests": 1, "too_large": 1, "timeouts": 1, "too_many_clients": 4, "not_found": 2, "method_not_allowed": 1}
for k, n in want.items():
    v = s.get(f"rpcmon_metrics_http_{k}_total", 0)
    assert v >= n, f"rpcmon_metrics_http_{k}_total = {v}, expected >= {n}"
print("ok: refusals counted: " + ", ".join(f"{k} {s[f'rpcmon_metrics_http_{k}_total']:.0f}" for k in want))
PY
lines_after=$(wc -l <"$OUT/eve.json")
(( lines_after > lines_before )) || fail "the agent stopped writing records while clients misbehaved"

# 7. A clean stop.
kill "$TRAFFIC"; TRAFFIC=
stop_agent "$AGENT"
xdp_attached && fail "XDP left attached after the agent stopped"
srv curl -s --max-time 2 "$URL" >/dev/null 2>&1 && fail "the endpoint still answers after the agent stopped"
echo "PASS ($(python3 -c "print(round($(date +%s.%N) - $T0, 1))") s)"
