#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test: the disk under the agent's EVE file fills up while it runs and frees up again.
# The EVE file is on a 1 MiB tmpfs mounted in the lab server's private mount namespace (the
# agent's); a filler file takes all the space, rpcinfo calls go on, then the filler is deleted.
# Asserts: the agent keeps running; "EVE write to FILE failed: No space left on device" is logged
# once; "EVE write to FILE resumed" follows once there is space; calls made after that are in the
# file; a stats line counts output.write_errors and output.records_lost; the file holds only
# whole JSON lines; and the agent exits with code 4 (output was lost, README "Usage").
# Usage: live_disk_full_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "dfull$$" rpcbind rpcinfo python3

DISK=$OUT/disk
mkdir "$DISK"
# in_srv CMD...: CMD in the server's mount namespace, where the tmpfs is.
in_srv() { lab_private_run "$LAB_SRV_NS" "$@"; }
in_srv mount -t tmpfs -o size=1m,mode=0700 rpcmon-live-disk "$DISK"
trap 'in_srv umount "$DISK" >/dev/null 2>&1 || true; lab_down "$LAB" >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT

lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

LOG=$OUT/agent.log
EVE=$DISK/eve.json
# The agent is this shell's child (nsenter execs it), so its exit code can be checked.
: >"$LOG"
nsenter -t "$(lab_holder_pid "$LAB_SRV_NS")" -m -u -n --wd="$PWD" -- \
    "$RPCMON" agent -i "$LAB_SRV_IF" --eve "$EVE" --stats-interval 1 </dev/null >"$LOG" 2>&1 &
PID=$!
wait_log "monitoring"
rpc() { lab_exec "$LAB_CLI_NS" rpcinfo "$@" >/dev/null || fail "rpcinfo $* failed"; }

rpc -p "$LAB_SRV_IP"
sleep 1.2
# Disk full: the filler takes every free block (dd stops at ENOSPC).
in_srv dd if=/dev/zero of="$DISK/filler" bs=4k >/dev/null 2>&1 || true
for _ in $(seq 10); do rpc -p "$LAB_SRV_IP"; sleep 0.3; done
wait_log "EVE write to $EVE failed: No space left on device" 10
# The agent truncates the line the full disk cut, which frees those bytes again: take them too,
# so the outage does not end by itself.
in_srv dd if=/dev/zero of="$DISK/filler2" bs=512 >/dev/null 2>&1 || true
agent_alive "$PID" "disk full"
sleep 1.5  # more stats lines fail
agent_alive "$PID" "disk full"
# One failure line per outage (and one resume line ending each): no line per failed write. A
# smaller record can still fit into the bytes freed before filler2 took them (a short outage).
fails=$(grep -c "EVE write to $EVE failed" "$LOG"); resumes=$(grep -c "EVE write to $EVE resumed" "$LOG" || true)
[[ $((fails - resumes)) -eq 1 && $fails -le 2 ]] || { cat "$LOG"; fail "failure logged more than once in one outage"; }

# Space again.
in_srv rm -f "$DISK/filler"
wait_log "EVE write to $EVE resumed" 5
T_RESUMED=$(date +%s.%N)
rpc -p "$LAB_SRV_IP"
rpc -u "$LAB_SRV_IP" 100000 2
sleep 1.2
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
[[ $rc -eq 4 ]] || { cat "$LOG"; fail "agent exit code $rc after lost output, expected 4"; }
grep -q "stopped; programs detached" "$LOG" || { cat "$LOG"; fail "no clean stop"; }
read -r ERRORS LOST <<<"$(sed -nE 's/.*EVE output .* was incomplete: ([0-9]+) failed writes, ([0-9]+) records lost.*/\1 \2/p' "$LOG")"
[[ ${ERRORS:-0} -gt 0 && ${LOST:-0} -gt 0 ]] || { cat "$LOG"; fail "no summary of the lost output at exit"; }

in_srv cat "$EVE" >"$OUT/eve.json"
python3 - "$OUT/eve.json" "$LAB_SRV_IP" "$T_RESUMED" "$ERRORS" "$LOST" <<'PY'
import json, sys
from datetime import datetime
path, srv, t_resumed, errors, lost = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
data = open(path, "rb").read()
assert data.endswith(b"\n"), f"the file ends in half a line: {data[-80:]!r}"
lines = [json.loads(l) for l in data.split(b"\n")[:-1]]  # raises on a cut line
ts = lambda r: datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
rpc = [r for r in lines if r["event_type"] == "rpc"]
assert [r for r in rpc if ts(r) < t_resumed - 2], "no records from before the disk filled"
after = [r for r in rpc if ts(r) > t_resumed and r["dest_ip"] == srv and r["rpc"]["reply"]]
assert {r["proto"] for r in after} == {"TCP", "UDP"}, f"calls after the disk freed up are missing: {len(after)}"
stats = [l["stats"]["output"] for l in lines if l["event_type"] == "stats"]
after_stats = [s for s in stats if s["write_errors"] > 0]
assert after_stats and after_stats[0]["records_lost"] > 0, stats[-3:]
last = stats[-1]
assert last["write_errors"] == errors and last["records_lost"] == lost, (last, errors, lost)
print(f"ok: {len(lines)} whole lines, {len(after)} calls after the disk freed up, "
      f"write_errors {last['write_errors']}, records_lost {last['records_lost']}")
PY
grep -E "EVE" "$LOG"
echo "PASS"
