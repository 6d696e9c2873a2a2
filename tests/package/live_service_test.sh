#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live (root): the agent started exactly as packaging/rpcmon.service starts it - the ExecStart
# command line and the shipped agent file (config/rpcmon.yaml) with its paths moved into a temp dir, the unit's CapabilityBoundingSet as the
# bounding set (setpriv), no inheritable or ambient capabilities, no_new_privs - on the lab
# server's veth. rpcinfo traffic must give rpc records in the EVE file, the agent must log that
# it dropped every capability, and no XDP program stays after SIGTERM.
# Then the capability set is shown minimal: without any one of its capabilities the agent
# either fails to start or loses a feature (host hooks) it has with the full set.
# Usage: live_service_test.sh RPCMON     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=tests/live/common.sh
source "$REPO/tests/live/common.sh"
UNIT=$REPO/packaging/rpcmon.service
live_setup "svc$$" rpcbind rpcinfo setpriv

exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT")
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
grep -qx 'NoNewPrivileges=yes' "$UNIT" || fail "unit without NoNewPrivileges=yes"
[[ -n $exec_line && -n $caps ]] || fail "no ExecStart or CapabilityBoundingSet in the unit"
# setpriv wants "-all,+bpf,+net_admin,...".
bounding() { local c out=-all; for c in "$@"; do c=${c#CAP_}; out+=",+${c,,}"; done; echo "$out"; }

# run_unit DIR CAPS...: the unit's command line (paths under DIR) with bounding set CAPS; prints the PID.
run_unit() {
    local dir=$1 pid cmd
    shift
    mkdir -p -m 0750 "$dir/log" "$dir/lib" "$dir/run"
    # The shipped agent file with its paths moved into DIR, naming the shipped rules file.
    sed -e "s|/var/log/rpcmon|$dir/log|g" -e "s|/var/lib/rpcmon|$dir/lib|g" \
        -e "s|/etc/rpcmon/rules.yaml|$(dirname "$RPCMON")/packaging/rules.yaml|g" \
        "$REPO/config/rpcmon.yaml" >"$dir/rpcmon.yaml"
    cmd=${exec_line//\/etc\/rpcmon\/rpcmon.yaml/$dir/rpcmon.yaml}
    cmd=${cmd/\/usr\/sbin\/rpcmon/$RPCMON}
    # The lab server has no default route: name its interface; the control socket goes into
    # the temp dir instead of /run/rpcmon; stats every second for the test (these options
    # override the file, as a drop-in's would).
    # shellcheck disable=SC2086
    read -r -a argv <<<"$cmd"
    : >"$dir/agent.log"
    pid=$(lab_spawn "$LAB_SRV_NS" "$STATE/agent.pid" "$dir/agent.log" \
        setpriv --bounding-set="$(bounding "$@")" --inh-caps=-all --ambient-caps=-all --no-new-privs \
        "${argv[@]}" -i "$LAB_SRV_IF" --control-socket "$dir/run/rpcmon.sock" --stats-interval 1)
    for _ in $(seq 100); do
        grep -q "monitoring" "$dir/agent.log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "$pid"
}

# tracefs as systemd mounts it at boot (the unit gives no CAP_SYS_ADMIN to mount it).
nsenter -t "$(lab_holder_pid "$LAB_SRV_NS")" -m -- sh -c \
    'mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing' || fail "cannot mount tracefs"
lab_spawn "$LAB_SRV_NS" "$STATE/rpcbind.pid" "$OUT/rpcbind.log" rpcbind -f -w >/dev/null
for _ in $(seq 50); do lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

# shellcheck disable=SC2086
PID=$(run_unit "$OUT/full" $caps)
echo "--- agent log (unit's capability set: $caps)"
cat "$OUT/full/agent.log"
grep -q monitoring "$OUT/full/agent.log" || fail "the agent did not start with the unit's capability set"
grep -q "dropped capabilities; keeping: none" "$OUT/full/agent.log" || fail "no capability drop logged"
grep -Eq "host hooks: (fentry|syscall_tracepoints) on" "$OUT/full/agent.log" || fail "host hooks are off with the unit's set"
grep -q "NoNewPrivs:[[:space:]]*1" "/proc/$PID/status" || fail "no_new_privs is not set"
ip -n "$LAB_SRV_NS" link show "$LAB_SRV_IF" | grep -q xdp || fail "no XDP program attached"
lab_exec "$LAB_CLI_NS" rpcinfo -p "$LAB_SRV_IP" >/dev/null
lab_exec "$LAB_CLI_NS" rpcinfo -u "$LAB_SRV_IP" 100000 2 >/dev/null
sleep 1.5
stop_agent "$PID"
ip -n "$LAB_SRV_NS" link show "$LAB_SRV_IF" | grep -q xdp && fail "XDP program left after SIGTERM"
EVE=$OUT/full/log/eve.json
n=$(grep -c '"program":100000' "$EVE" || true)
[[ $n -ge 2 ]] || fail "only $n portmapper records in $EVE"
grep -q '"event_type":"stats"' "$EVE" || fail "no stats line"
[[ -f $OUT/full/lib/baseline.state ]] || fail "the baseline state file was not saved"
echo "unit command line: $n portmapper records, state saved, XDP detached"
full_warnings=$(grep -cE "rpcmon: (warning|error):" "$OUT/full/agent.log" || true)

# Minimality: drop each capability of the set in turn.
for c in $caps; do
    rest=()
    for o in $caps; do [[ $o == "$c" ]] || rest+=("$o"); done
    d=$OUT/without_$c
    pid=$(run_unit "$d" "${rest[@]}")
    started=0
    grep -q monitoring "$d/agent.log" && started=1
    kill -0 "$pid" 2>/dev/null && stop_agent "$pid"
    warnings=$(grep -cE "rpcmon: (warning|error):" "$d/agent.log" || true)
    if ((started == 0)); then
        echo "without $c: the agent does not start: $(grep -m1 -E 'error' "$d/agent.log" || tail -1 "$d/agent.log")"
    elif ((warnings > full_warnings)); then
        echo "without $c: starts, but: $(grep -m1 -E 'rpcmon: (warning|error):' "$d/agent.log")"
    else
        cat "$d/agent.log"
        fail "$c is in the unit's CapabilityBoundingSet but the agent starts as well without it"
    fi
done
echo PASS
