#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live test of least privilege (README "Privileges"): the agent on a veth in a lab namespace
# with rpcbind + nfs-ganesha (tools/lab/onc_server.sh). Once started it must
#   - hold no capability but the documented kept set (none) in CapEff/CapPrm/CapBnd/CapInh/
#     CapAmb of every thread, with NoNewPrivs 1, and say so in one log line and the stats line;
#   - still learn endpoints from portmapper replies into the BPF `watched` map (map updates
#     through its own fd), read its per-CPU counters, poll the ring buffer and report calls
#     on a learned dynamic port (mountd), answer `rpcmon stats --json` on its control socket;
#   - tell `rpcmon top` why BPF run-time stats are off (CAP_SYS_ADMIN dropped);
#   - detach everything at exit without privileges, save its baseline state file;
# and the files are private: control socket 0600 root:root (0660 root:GROUP with
# --control-group), its directory 0750 and not world-writable, the state file 0600.
# --keep-caps keeps everything (debugging).
# Usage: live_privileges_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
live_setup "priv$$" rpcbind rpcinfo ganesha.nfsd setpriv
chmod 711 "$OUT"  # others may traverse it: only the files' own modes keep them out
"$LIVE_REPO/tools/lab/onc_server.sh" start "$LAB" >"$OUT/server.log" 2>&1 || { cat "$OUT/server.log"; fail "ONC server did not start"; }

KEPT=""  # the documented kept set (README "Privileges"): none
SOCK=$OUT/ctl/rpcmon.sock
mkdir -m 700 "$OUT/state"
PID=$(start_agent "$OUT/eve.json" --control-socket "$SOCK" --state "$OUT/state/baseline.json" \
    --syslog udp://127.0.0.1:5514)
for _ in $(seq 50); do grep -q "capabilities" "$OUT/agent.log" && break; sleep 0.1; done
grep -q "rpcmon: info: dropped capabilities; keeping: ${KEPT:-none}$" "$OUT/agent.log" ||
    { cat "$OUT/agent.log"; fail "no 'dropped capabilities; keeping: ${KEPT:-none}' line"; }

# 1. /proc: every thread holds exactly the kept set, NoNewPrivs is on.
check_caps() {  # check_caps PID KEPT(comma list of cap numbers, "" = none) ALL(1: full sets)
    /usr/bin/python3 - "$@" <<'PY'
import glob, sys
pid, kept, full = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
kept = {int(c) for c in kept.split(",") if c}
names = ["chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
         "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
         "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
         "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
         "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
         "checkpoint_restore"]
decode = lambda m: {c for c in range(64) if (int(m, 16) >> c) & 1}
show = lambda s: ",".join("cap_" + (names[c] if c < len(names) else str(c)) for c in sorted(s)) or "none"
tasks = glob.glob(f"/proc/{pid}/task/*/status")
assert tasks, f"no tasks for {pid}"
for t in tasks:
    st = dict(l.split(":\t", 1) for l in open(t).read().splitlines() if ":\t" in l)
    for field in ("CapEff", "CapPrm", "CapBnd") + (() if full else ("CapInh", "CapAmb")):
        got = decode(st[field].strip())
        if full:
            assert {12, 13, 21, 39} <= got, f"{t}: {field} {show(got)} lost capabilities with --keep-caps"
        else:
            assert got == (kept if field in ("CapEff", "CapPrm", "CapBnd") else set()), \
                f"{t}: {field} = {show(got)}, expected {show(kept)}"
    if not full:
        assert st["NoNewPrivs"].strip() == "1", f"{t}: NoNewPrivs {st['NoNewPrivs']}"
print(f"ok: {len(tasks)} thread(s) of {pid}: " + ("full set kept (--keep-caps)" if full else f"CapEff/CapPrm/CapBnd = {show(kept)}, NoNewPrivs 1"))
PY
}
check_caps "$PID" "$KEPT" 0

# 2. Files: socket 0600 root:root, its directory 0750 and not world-writable.
[[ $(stat -c '%a %U %G %F' "$SOCK") == "600 root root socket" ]] || fail "socket: $(stat -c '%a %U %G %F' "$SOCK")"
[[ $(stat -c '%a %U' "$(dirname "$SOCK")") == "750 root" ]] || fail "socket dir: $(stat -c '%a %U' "$(dirname "$SOCK")")"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups "$RPCMON" stats --json --socket "$SOCK" >"$OUT/nobody.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "Permission denied" "$OUT/nobody.txt" || { cat "$OUT/nobody.txt"; fail "nobody could read the agent's state"; }

# 3. Traffic after the drop: portmapper DUMP (TCP) and GETPORT for mountd, then calls on
#    mountd's dynamic port (learned from the GETPORT reply into the watched map).
lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >"$OUT/rpcinfo.txt"
MOUNTD_PORT=$(awk '$5 == "mountd" && $3 == "tcp" && $2 == 3 {print $4; exit}' "$OUT/rpcinfo.txt")
[[ -n "$MOUNTD_PORT" ]] || { cat "$OUT/rpcinfo.txt"; fail "ganesha registered no mountd v3/tcp"; }
for _ in 1 2 3; do
    lab_exec "$LAB_CLI_NS" rpcinfo -t "$LAB_SRV_IP" mountd 3 >>"$OUT/rpcinfo.txt"
    lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" mountd 3 >>"$OUT/rpcinfo.txt"
done
grep -q "ready and waiting" "$OUT/rpcinfo.txt" || fail "rpcinfo: mountd did not answer"

# 4. The control socket still answers; the live state has the calls and learned endpoints.
for _ in $(seq 30); do
    "$RPCMON" stats --json --socket "$SOCK" >"$OUT/stats.json"
    # calls show at once; health (packets, watched endpoints) at the next 1 s period
    grep -q "$LAB_SRV_IP:$MOUNTD_PORT/tcp" "$OUT/stats.json" && grep -q '"watched_endpoints":[1-9]' "$OUT/stats.json" && break
    sleep 0.2
done
# `rpcmon top` asks for BPF run-time stats: off, and the reason says so (unless the host has
# them on for everyone: sysctl kernel.bpf_stats_enabled=1).
/usr/bin/python3 - "$SOCK" >"$OUT/top.json" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"cmd":"snapshot","bpf_stats":true}\n')
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    assert chunk, "agent closed the connection"
    buf += chunk
print(buf.decode().strip())
PY
/usr/bin/python3 - "$OUT/stats.json" "$OUT/top.json" "$LAB_SRV_IP" "$MOUNTD_PORT" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read())
top = json.loads(open(sys.argv[2]).read())
srv, port = sys.argv[3], sys.argv[4]
servers = {r["name"]: r for r in s["views"]["servers"]["rows"]}
assert f"{srv}:{port}/tcp" in servers and servers[f"{srv}:{port}/tcp"]["calls"] > 0, servers.keys()
assert s["health"]["watched_endpoints"] > 0, s["health"]
assert s["health"]["packets"]["total"] > 0 and s["totals"]["calls"]["total"] > 0
loss = s["health"]["loss"]
assert loss["ringbuf_drops"]["total"] == 0 and loss["endpoint_learn_failures"]["total"] == 0, loss
b = top["bpf"]
enabled_for_host = open("/proc/sys/kernel/bpf_stats_enabled").read().strip() == "1"
if enabled_for_host:
    assert b["enabled"] is True, b
else:
    assert b["enabled"] is False and "CAP_SYS_ADMIN" in b.get("note", ""), b
print(f"ok: stats --json after the drop: {s['totals']['calls']['total']} calls, mountd {srv}:{port} seen, bpf {b}")
PY

# 5. Exit: everything detached without privileges, state saved 0600, stats line says it.
stop_agent "$PID"
ip -n "$LAB_SRV_NS" link show "$LAB_SRV_IF" | grep -q xdp && fail "XDP program left on $LAB_SRV_IF after exit"
grep -q "programs detached" "$OUT/agent.log" || { cat "$OUT/agent.log"; fail "agent did not stop cleanly"; }
[[ -e "$SOCK" ]] && fail "agent left its control socket behind"
[[ $(stat -c '%a %U' "$OUT/state/baseline.json") == "600 root" ]] || fail "state file: $(stat -c '%a %U' "$OUT/state/baseline.json")"
/usr/bin/python3 - "$OUT/eve.json" "$LAB_SRV_IP" "$MOUNTD_PORT" "${KEPT:-none}" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
srv, port, kept = sys.argv[2], int(sys.argv[3]), sys.argv[4]
rpc = [r for r in recs if r["event_type"] == "rpc"]
mnt = [r for r in rpc if r["dest_ip"] == srv and r["dest_port"] == port and r["rpc"].get("program") == 100005]
assert mnt and any(r["rpc"]["reply"] for r in mnt), f"no mountd call on learned port {port}: {len(rpc)} rpc records"
getport = [r for r in rpc if r["rpc"].get("program") == 100000 and r["rpc"].get("procedure") in (3, 4)]
assert getport, "no portmapper GETPORT/DUMP record"
st = [r for r in recs if r["event_type"] == "stats"][-1]["stats"]
cap = st["capture"]
assert cap["endpoints_learned"] > 0 and cap["endpoint_learn_failures"] == 0, cap
assert all(cap["kernel"][h]["packets_seen"] > 0 for h in ("xdp", "socket")), cap["kernel"]
p = st["privileges"]
assert p == {"dropped": True, "kept": kept, "drop_failures": 0, "no_new_privs": True}, p
assert st["detect"]["state"]["saves"] >= 1 and st["detect"]["state"]["save_errors"] == 0, st["detect"]["state"]
print(f"ok: {len(mnt)} mountd calls on learned port {port}, {cap['endpoints_learned']} endpoints learned, privileges {p}")
PY

# 6. --control-group: 0660 root:GROUP. --keep-caps: nothing dropped (and said so).
GROUP=daemon
getent group "$GROUP" >/dev/null || GROUP=root
PID=$(start_agent "$OUT/eve2.json" --no-detect --control-socket "$OUT/ctl2/rpcmon.sock" --control-group "$GROUP" --keep-caps)
for _ in $(seq 50); do [[ -S "$OUT/ctl2/rpcmon.sock" ]] && break; sleep 0.1; done
[[ $(stat -c '%a %U %G' "$OUT/ctl2/rpcmon.sock") == "660 root $GROUP" ]] || fail "group socket: $(stat -c '%a %U %G' "$OUT/ctl2/rpcmon.sock")"
grep -q "keep-caps" "$OUT/agent.log" || fail "--keep-caps not logged"
check_caps "$PID" "" 1
stop_agent "$PID"

# 7. A world-writable directory (no sticky bit) is refused: the agent runs without a socket.
mkdir "$OUT/open" && chmod 777 "$OUT/open"
PID=$(start_agent "$OUT/eve3.json" --no-detect --control-socket "$OUT/open/rpcmon.sock")
for _ in $(seq 50); do grep -q "no control socket" "$OUT/agent.log" && break; sleep 0.1; done
grep -q "world-writable" "$OUT/agent.log" || { cat "$OUT/agent.log"; fail "world-writable socket directory accepted"; }
[[ -e "$OUT/open/rpcmon.sock" ]] && fail "socket created in a world-writable directory"
stop_agent "$PID"
echo PASS
