#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live (root): packaging/logrotate against a running agent while rpcinfo traffic flows. The
# package's logrotate file is used with its path moved to a temp EVE file and its postrotate
# pointed at this agent's PID (the packaged one asks systemd for the service's MainPID; both
# send SIGHUP, on which the agent reopens its file). `logrotate -f` runs three times with a temp
# state file. Afterwards every line of the rotated and current files is whole JSON, no line
# appears twice, the lines before the agent's last stats line number exactly its
# output.records_written, and output.reopens counts the rotations.
# Usage: live_logrotate_test.sh RPCMON     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=tests/live/common.sh
source "$REPO/tests/live/common.sh"
live_setup "rot$$" rpcbind rpcinfo logrotate

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -m 0750 "$OUT/log"
EVE=$OUT/log/eve.json
PID=$(start_agent "$EVE" --control-socket none)

# The package's file, path and signal target moved to this test.
grep -q '^/var/log/rpcmon/\*\.json {' "$REPO/packaging/logrotate" || fail "unexpected logrotate file layout"
grep -qE '^[[:space:]]*copytruncate' "$REPO/packaging/logrotate" && fail "copytruncate loses lines: the agent reopens on SIGHUP"
awk -v dir="$OUT/log" -v pid="$PID" '
    /^\/var\/log\/rpcmon\// { sub(/^\/var\/log\/rpcmon/, dir) }
    /^ *postrotate/ { print; print "        kill -HUP " pid; skip = 1; next }
    /^ *endscript/ { skip = 0 }
    !skip { print }' "$REPO/packaging/logrotate" >"$OUT/logrotate.conf"
grep -q "kill -HUP $PID" "$OUT/logrotate.conf" || fail "postrotate not rewritten"
chmod 0644 "$OUT/logrotate.conf"

# Traffic in the background for the whole run.
(
    while :; do
        lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 || true
        lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" 100000 2 >/dev/null 2>&1 || true
    done
) &
TRAFFIC=$!
trap 'kill "$TRAFFIC" 2>/dev/null || true; lab_down "$LAB" >/dev/null 2>&1 || true; [[ -n "${LIVE_KEEP:-}" ]] || rm -rf "$OUT"' EXIT
ROTATIONS=3
for i in $(seq $ROTATIONS); do
    sleep 1.5
    logrotate -f -s "$OUT/logrotate.state" "$OUT/logrotate.conf" || fail "logrotate -f failed (round $i)"
    for _ in $(seq 50); do (($(grep -c "reopened $EVE" "$OUT/agent.log") >= i)) && break; sleep 0.1; done
    (($(grep -c "reopened $EVE" "$OUT/agent.log") >= i)) || { cat "$OUT/agent.log"; fail "no reopen after rotation $i"; }
    agent_alive "$PID" "after rotation $i"
done
sleep 1.5
kill "$TRAFFIC"; wait "$TRAFFIC" 2>/dev/null || true
stop_agent "$PID"
ls -l "$OUT/log"

# Oldest first: eve.json.N(.gz) ... eve.json.1, then eve.json.
python3 - "$OUT/log" "$ROTATIONS" <<'PY'
import gzip, json, os, re, sys
d, rotations = sys.argv[1], int(sys.argv[2])
rotated = []
for f in os.listdir(d):
    m = re.fullmatch(r"eve\.json\.(\d+)(\.gz)?", f)
    if m: rotated.append((int(m.group(1)), f))
assert len(rotated) == rotations, f"want {rotations} rotated files, have {sorted(rotated)}"
files = [f for _, f in sorted(rotated, reverse=True)] + ["eve.json"]
lines = []
rpc_per_file = []
for f in files:
    p = os.path.join(d, f)
    data = (gzip.open(p, "rb") if f.endswith(".gz") else open(p, "rb")).read()
    assert data.endswith(b"\n") or not data, f"{f} ends with a partial line"
    n = 0
    for raw in data.splitlines():
        json.loads(raw)  # every line whole
        lines.append(raw)
        n += 1
    rpc_per_file.append(sum(b'"event_type":"rpc"' in l for l in data.splitlines()))
    print(f"{f}: {n} lines, {rpc_per_file[-1]} rpc records")
dups = len(lines) - len(set(lines))
assert dups == 0, f"{dups} duplicated lines"
last = max(i for i, l in enumerate(lines) if b'"event_type":"stats"' in l)
stats = json.loads(lines[last])["stats"]["output"]
print("final stats output:", {k: v for k, v in stats.items() if k != "by_type"})
assert stats["records_written"] == last, f"records_written {stats['records_written']} but {last} lines before the final stats line"
assert stats["reopens"] == rotations and stats["reopen_failures"] == 0, stats
assert stats["write_errors"] == 0 and stats["records_lost"] == 0, stats
rpc = sum(rpc_per_file)
assert sum(1 for c in rpc_per_file if c) >= rotations, f"traffic did not span the rotations: rpc per file {rpc_per_file}"
print(f"{len(lines)} lines, {rpc} rpc records across {len(files)} files, none lost or duplicated")
PY
echo PASS
