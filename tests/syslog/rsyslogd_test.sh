#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Alerts reach a real rsyslogd (started here, on loopback, with its own config and files): RFC
# 5424 over UDP, over TCP with octet counting, and to a local socket (/dev/log style), each line
# carrying the rule and ATT&CK technique in structured data. Also: alerts sent while the TCP
# server is down are queued and delivered once it is up (none lost), and drops are counted.
# Usage: rsyslogd_test.sh RPCMON     (exit 77 = skipped)
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed (run tools/setup.sh)"; exit 77; }
T=$(mktemp -d)
RS_PID=""
stop_rsyslogd() { [[ -n "$RS_PID" ]] && kill "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null; RS_PID=""; }
trap 'stop_rsyslogd; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Ports are probed free, then bound by rsyslogd: another process may take one in between (a
# connection's local port), so a start whose listener could not bind is retried on new ports.
configure() {
    read -r UDP TCP < <(/usr/bin/python3 -c '
import socket
u, t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket()
for x in (u, t): x.bind(("127.0.0.1", 0))
print(u.getsockname()[1], t.getsockname()[1])')
    cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$UDP")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$TCP")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log.sock")
template(name="proto" type="string" string="%inputname% %rawmsg%\n")
*.* action(type="omfile" file="$T/received.log" template="proto")
CONF
}
start_rsyslogd() {  # true once the three inputs listen; false (stopped again) if one could not bind
    rm -f "$T/log.sock"
    rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.out" 2>&1 &
    RS_PID=$!
    for _ in $(seq 100); do
        [[ -S "$T/log.sock" && -n $(ss -Hlun "sport = :$UDP") && -n $(ss -Hltn "sport = :$TCP") ]] && return 0
        grep -q "Could not create\|binding" "$T/rsyslogd.out" && break
        kill -0 "$RS_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/rsyslogd.out"
    stop_rsyslogd
    return 1
}
for attempt in 1 2 3 4 5; do
    configure
    start_rsyslogd && break
    [[ $attempt -lt 5 ]] || fail "rsyslogd did not start (5 tries on fresh ports)"
done
CAP=$REPO/tests/data/lab/attacks/attack-dcsync.pcap
for spec in "udp://127.0.0.1:$UDP" "tcp://127.0.0.1:$TCP" "local:$T/log.sock"; do
    "$RPCMON" analyze "$CAP" --syslog "$spec" >"$T/eve.json"
done
sleep 1
n_alerts=$(grep -c '"event_type":"alert"' "$T/eve.json")
for input in imudp imtcp imuxsock; do
    got=$(grep -c "^$input .*1000003" "$T/received.log" || true)
    [[ $got -ge 1 ]] || { cat "$T/received.log"; fail "no DCSync alert via $input"; }
    grep "^$input " "$T/received.log" | grep -q 'T1003.006' || fail "$input: technique missing from the syslog line"
done
# RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG"; the rule in structured data.
grep "^imtcp " "$T/received.log" | head -1 | grep -Eq '^imtcp <[0-9]+>1 [0-9T:.+-]+Z? [^ ]+ rpcmon [0-9-]+ [^ ]+ \[' ||
    { grep "^imtcp " "$T/received.log" | head -1; fail "not an RFC 5424 line"; }
grep "^imudp " "$T/received.log" | grep -q 'sid="1000003"' || fail "sid not in structured data"

# TCP server down while alerts are raised: they wait in the bounded queue and arrive once the
# server is back (the agent retries); nothing is dropped for a short outage.
stop_rsyslogd
: >"$T/received.log"
"$RPCMON" analyze "$CAP" --syslog "tcp://127.0.0.1:$TCP" >"$T/eve2.json" 2>"$T/err2" &
ANALYZE=$!
sleep 0.3
start_rsyslogd || fail "rsyslogd did not start again on its ports"
wait "$ANALYZE" || fail "analyze failed while syslog was down: $(cat "$T/err2")"
sleep 1
sent=$(grep -c '"event_type":"alert"' "$T/eve2.json")
got=$(grep -c "^imtcp " "$T/received.log" || true)
dropped=$(tail -1 "$T/eve2.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["detect"].get("syslog", {}).get("dropped", -1))')
echo "alerts $n_alerts per run; outage run: sent $sent, received $got, dropped $dropped"
[[ $got -eq $sent ]] || fail "alerts lost across a syslog outage: sent $sent, received $got (dropped counter $dropped)"
echo PASS
