#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Alerts over TLS (RFC 5425) to a real rsyslogd with rsyslog-gnutls, started here on loopback
# with its own config, pid file and ports, running the README's central config
# (central-rsyslog.conf) plus inputs with bad certificates. The test makes a CA, the collector's
# certificate, a client certificate, a second CA and a certificate for another name, then checks:
#   * mutual TLS to the central config: every alert of the EVE output arrives, once;
#   * server-only TLS (anon client auth): the same, without a client certificate;
#   * a server certificate from another CA, the system store instead of the test CA, a
#     certificate for another name, the default name (HOST = 127.0.0.1) that the certificate
#     does not carry, and no client certificate where one is required: refused, nothing
#     delivered, counted by name (detect.syslog.tls_verify_failures / tls_handshake_failures),
#     logged once per outage with the reason;
#   * key files that cannot be used, and TLS settings without tls://, stop the start with an
#     error that names the file or the reason;
#   * the collector down at start, then started: the queued alerts are delivered;
#   * the collector restarted in the middle of a run (a capture fed through a FIFO, as an agent
#     sees traffic): alerts from before, during and after the restart all arrive, none twice;
#   * the client key's bytes appear in no output, log or received message.
# Usage: rsyslogd_tls_test.sh RPCMON     (exit 77 = skipped)
set -euo pipefail
RPCMON=$(readlink -f "$1")
HERE=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$HERE/../.." && pwd)
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed (run tools/setup.sh)"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed (run tools/setup.sh)"; exit 77; }
ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 || { echo "SKIP: rsyslog-gnutls not installed (run tools/setup.sh)"; exit 77; }
T=$(mktemp -d)
RS_PID=""
FEED_PID=""
ANALYZE=""
stop_rsyslogd() { if [[ -n "$RS_PID" ]]; then kill "$RS_PID" 2>/dev/null || true; wait "$RS_PID" 2>/dev/null || true; RS_PID=""; fi; }
cleanup() {
    stop_rsyslogd
    for p in $FEED_PID $ANALYZE; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    [[ -n "${KEEP:-}" ]] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3

# --- certificates -----------------------------------------------------------------------------
NAME=collector.rpcmon.test
cd "$T"
mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" \
             -subj "/CN=rpcmon test $1" -days 2 -out "$1.pem" 2>/dev/null; }
mkcert() {  # NAME CA OUT
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$3.key" \
        -subj "/CN=$1" -out "$3.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$1" >"$3.ext"
    openssl x509 -req -in "$3.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 -extfile "$3.ext" \
        -out "$3.pem" 2>/dev/null
}
mkca ca1
mkca ca2
mkcert "$NAME" ca1 collector         # the collector's certificate
mkcert "$NAME" ca2 collector-ca2     # right name, wrong CA
mkcert other.rpcmon.test ca1 other   # right CA, wrong name
mkcert sensor1.rpcmon.test ca1 sensor  # the client certificate
openssl pkcs8 -topk8 -in sensor.key -passout pass:x -out sensor-encrypted.key 2>/dev/null
[[ -s collector.pem && -s collector-ca2.pem && -s other.pem && -s sensor.pem && -s sensor-encrypted.key ]] ||
    fail "openssl could not make the test certificates"
cd - >/dev/null

# --- the collector ----------------------------------------------------------------------------
# Ports are probed free, then bound by rsyslogd: another process may take one in between (a
# connection's local port), so a start whose listener could not bind is retried on new ports.
configure() {
    read -r CENTRAL ANON WRONGCA WRONGNAME < <($PY -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
    # The README's central config, as shipped, with this test's files and port.
    sed -e "s#/etc/rsyslog-tls/ca.pem#$T/ca1.pem#; s#/etc/rsyslog-tls/collector.pem#$T/collector.pem#" \
        -e "s#/etc/rsyslog-tls/collector.key#$T/collector.key#; s#/var/log/rpcmon-central#$T/central#" \
        -e "s#port=\"6514\"#port=\"$CENTRAL\" address=\"127.0.0.1\"#" "$HERE/central-rsyslog.conf" >"$T/central.conf"
    grep -q "$T/collector.key" "$T/central.conf" && grep -q "port=\"$CENTRAL\"" "$T/central.conf" ||
        fail "central-rsyslog.conf no longer has the paths this test rewrites"
    mkdir -p "$T/work"
    cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T/work")
include(file="$T/central.conf")
template(name="byInput" type="string" string="%inputname% %rawmsg%\n")
input(type="imtcp" port="$ANON" address="127.0.0.1" name="anon" streamDriver.authMode="anon")
input(type="imtcp" port="$WRONGCA" address="127.0.0.1" name="wrongca" streamDriver.authMode="anon"
      streamDriver.certFile="$T/collector-ca2.pem" streamDriver.keyFile="$T/collector-ca2.key")
input(type="imtcp" port="$WRONGNAME" address="127.0.0.1" name="wrongname" streamDriver.authMode="anon"
      streamDriver.certFile="$T/other.pem" streamDriver.keyFile="$T/other.key")
*.* action(type="omfile" file="$T/received.log" template="byInput")
CONF
    rsyslogd -N1 -f "$T/rsyslog.conf" >"$T/rsyslogd-check.out" 2>&1 || { cat "$T/rsyslogd-check.out"; fail "rsyslogd rejects the config"; }
}
STARTS=0
start_rsyslogd() {  # true once all four inputs listen; false (stopped again) if one could not bind
    STARTS=$((STARTS + 1))
    rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd-$STARTS.out" 2>&1 &
    RS_PID=$!
    for _ in $(seq 100); do
        [[ $(ss -Hltn "( sport = :$CENTRAL or sport = :$ANON or sport = :$WRONGCA or sport = :$WRONGNAME )" | wc -l) -eq 4 ]] && return 0
        grep -q "Could not create tcp listener" "$T/rsyslogd-$STARTS.out" && break
        kill -0 "$RS_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/rsyslogd-$STARTS.out"
    stop_rsyslogd
    return 1
}

for attempt in 1 2 3 4 5; do
    configure
    start_rsyslogd && break
    [[ $attempt -lt 5 ]] || fail "rsyslogd did not start (5 tries on fresh ports)"
done

# --- helpers ----------------------------------------------------------------------------------
CAP=$REPO/tests/data/lab/dce-dc-epm.pcap  # rpcdump, samrdump and DCSync: alerts of every severity
TLS_CA=(--syslog-ca "$T/ca1.pem" --syslog-name "$NAME")
MTLS=(--syslog "tls://127.0.0.1:$CENTRAL" "${TLS_CA[@]}" --syslog-cert "$T/sensor.pem" --syslog-key "$T/sensor.key")
run() {  # NAME ARGS...: analyze the capture; EVE to NAME.eve, stderr to NAME.err
    local name=$1
    shift
    "$RPCMON" analyze "$CAP" "$@" >"$T/$name.eve" 2>"$T/$name.err" </dev/null || fail "$name: analyze failed: $(cat "$T/$name.err")"
}
syslog_stat() {  # EVE KEY: detect.syslog.KEY from the final stats line
    tail -1 "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["stats"]["detect"]["syslog"]['"\"$2\""'])'
}
# Every alert of the EVE output is among the received RFC 5424 lines, as often as raised; no
# other line. Compares signature id, flow, endpoints and the timestamp to the microsecond.
compare() {  # EVE RECEIVED-FILE...
    $PY - "$@" <<'PY'
import collections, json, re, sys
eve, received = sys.argv[1], sys.argv[2:]
want = collections.Counter()
for line in open(eve):
    r = json.loads(line)
    if r.get("event_type") != "alert":
        continue
    a = r["alert"]
    want[(str(a["signature_id"]), str(r.get("flow_id", "")), r.get("src_ip", ""), str(r.get("src_port", "")),
          r.get("dest_ip", ""), str(r.get("dest_port", "")), r["timestamp"][:26])] += 1
got = collections.Counter()
for path in received:
    for line in open(path):
        m = re.search(r'<\d+>1 (\S+) \S+ rpcmon \d+ ALERT \[rpcmon@32473 ([^\]]*)\]', line)
        if not m:
            sys.exit("not an rpcmon RFC 5424 alert line: " + line)
        sd = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        got[(sd.get("sid", ""), sd.get("flow_id", ""), sd.get("src", ""), sd.get("sport", ""), sd.get("dst", ""),
             sd.get("dport", ""), m.group(1)[:26])] += 1
if not want:
    sys.exit("the EVE output has no alert: nothing to compare")
if got != want:
    sys.exit("missing: %s\nunexpected or repeated: %s" % (dict(want - got), dict(got - want)))
print(sum(want.values()))
PY
}
# The collector writes asynchronously: wait (bounded) until COUNT lines are in the files matching
# GLOB (expanded on each look: the collector may create them meanwhile).
settle() {  # COUNT GLOB
    for _ in $(seq 50); do
        # shellcheck disable=SC2086
        [[ $(cat $2 2>/dev/null | wc -l) -ge $1 ]] && return 0
        sleep 0.1
    done
}
eve_alerts() { grep -c '"event_type":"alert"' "$1"; }
received_via() { grep -c "^$1 " "$T/received.log" 2>/dev/null || true; }
# A refused run: nothing delivered, the named counter moved, and the reason logged once.
expect_refused() {  # NAME COUNTER REASON-REGEX
    local pending
    pending=$(syslog_stat "$T/$1.eve" pending)
    [[ $(syslog_stat "$T/$1.eve" sent) -eq 0 ]] || fail "$1: alerts were sent to a server that should be refused"
    [[ $(syslog_stat "$T/$1.eve" "$2") -ge 1 ]] || fail "$1: $2 not counted: $(tail -1 "$T/$1.eve")"
    [[ $pending -eq $(grep -c '"event_type":"alert"' "$T/$1.eve") ]] || fail "$1: $pending pending, not every alert"
    [[ $(syslog_stat "$T/$1.eve" send_errors) -ge 2 ]] || fail "$1: expected several attempts in one outage"
    [[ $(grep -Ec "syslog: .*$3" "$T/$1.err") -eq 1 ]] || { cat "$T/$1.err"; fail "$1: reason /$3/ not logged exactly once"; }
    echo "$1: refused ($2=$(syslog_stat "$T/$1.eve" "$2"), $pending alerts kept): $(grep -Eo "syslog: .*$3[^;]*" "$T/$1.err")"
}

# --- delivered --------------------------------------------------------------------------------
run mtls "${MTLS[@]}"
settle "$(eve_alerts "$T/mtls.eve")" "$T/central/*.log"
n=$(compare "$T/mtls.eve" "$T"/central/*.log) || fail "mutual TLS: $n"
[[ $(syslog_stat "$T/mtls.eve" sent) -eq $n && $(syslog_stat "$T/mtls.eve" tls_verify_failures) -eq 0 ]] ||
    fail "mutual TLS: stats disagree: $(tail -1 "$T/mtls.eve")"
echo "mutual TLS (central config, x509/certvalid): $n of $n alerts delivered"
grep -h 'sid="1000003"' "$T"/central/*.log | grep -q 'T1003.006' || fail "DCSync alert without its technique"

run anon --syslog "tls://127.0.0.1:$ANON" "${TLS_CA[@]}"
settle "$(eve_alerts "$T/anon.eve")" "$T/received.log"
grep "^anon " "$T/received.log" | sed 's/^anon //' >"$T/anon.received"
n=$(compare "$T/anon.eve" "$T/anon.received") || fail "server-only TLS: $n"
echo "server-only TLS (anon client auth): $n of $n alerts delivered"

# --- refused ----------------------------------------------------------------------------------
run wrongca --syslog "tls://127.0.0.1:$WRONGCA" "${TLS_CA[@]}"
expect_refused wrongca tls_verify_failures "server certificate refused: unable to get local issuer certificate"
[[ $(received_via wrongca) -eq 0 ]] || fail "wrong CA: alerts reached the collector"

run systemstore --syslog "tls://127.0.0.1:$ANON" --syslog-name "$NAME"
expect_refused systemstore tls_verify_failures "server certificate refused: unable to get local issuer certificate"

run wrongname --syslog "tls://127.0.0.1:$WRONGNAME" "${TLS_CA[@]}"
expect_refused wrongname tls_verify_failures "server certificate refused: hostname mismatch \(expected $NAME\)"
[[ $(received_via wrongname) -eq 0 ]] || fail "name mismatch: alerts reached the collector"

run defaultname --syslog "tls://127.0.0.1:$ANON" --syslog-ca "$T/ca1.pem"
expect_refused defaultname tls_verify_failures "server certificate refused: IP address mismatch \(expected 127.0.0.1\)"

before=$(cat "$T"/central/*.log | wc -l)
run noclientcert --syslog "tls://127.0.0.1:$CENTRAL" "${TLS_CA[@]}"
expect_refused noclientcert tls_handshake_failures "refused the connection after the handshake"
[[ $(cat "$T"/central/*.log | wc -l) -eq $before ]] || fail "no client certificate: alerts reached the collector"
sleep 0.5  # anything a refused run had slipped through would be written by now
[[ $(received_via wrongca) -eq 0 && $(received_via wrongname) -eq 0 ]] || fail "refused runs delivered"
[[ $(cat "$T"/central/*.log | wc -l) -eq $before ]] || fail "no client certificate: alerts reached the collector"
[[ $(received_via anon) -eq $(wc -l <"$T/anon.received") ]] || fail "refused runs delivered to the anon input"

# --- key files that cannot be used: the start fails, naming the file, never showing the key --
for bad in "sensor-encrypted.key:PEM, not passphrase-protected" "other.key:does not match the certificate"; do
    key=${bad%%:*}
    if "$RPCMON" analyze "$CAP" --syslog "tls://127.0.0.1:$CENTRAL" "${TLS_CA[@]}" --syslog-cert "$T/sensor.pem" \
        --syslog-key "$T/$key" >"$T/badkey.eve" 2>"$T/badkey-$key.err" </dev/null; then
        fail "started with an unusable key $key"
    fi
    grep -q "$T/$key" "$T/badkey-$key.err" && grep -q "${bad#*:}" "$T/badkey-$key.err" ||
        { cat "$T/badkey-$key.err"; fail "$key: error does not name the file and the reason"; }
done
echo "unusable keys refused at start: $(head -c 300 "$T/badkey-other.key.err")"
# TLS settings with a clear-text target (or none) would protect nothing: refused at start.
for target in "--syslog tcp://127.0.0.1:$CENTRAL" ""; do
    # shellcheck disable=SC2086
    if "$RPCMON" analyze "$CAP" $target --syslog-ca "$T/ca1.pem" >/dev/null 2>"$T/notls.err" </dev/null; then
        fail "--syslog-ca accepted with '${target:-no --syslog}'"
    fi
    grep -q "need --syslog tls://" "$T/notls.err" || { cat "$T/notls.err"; fail "no reason given for refusing --syslog-ca"; }
done

# --- collector down at start, then started ---------------------------------------------------
stop_rsyslogd
rm -rf "$T/central"
"$RPCMON" analyze "$CAP" "${MTLS[@]}" >"$T/late.eve" 2>"$T/late.err" </dev/null &
ANALYZE=$!
sleep 0.5
start_rsyslogd || fail "rsyslogd did not start again on its ports"
wait "$ANALYZE" || fail "analyze failed while the collector was down: $(cat "$T/late.err")"
ANALYZE=""
settle "$(eve_alerts "$T/late.eve")" "$T/central/*.log"
n=$(compare "$T/late.eve" "$T"/central/*.log) || fail "collector down at start: $n"
[[ $(syslog_stat "$T/late.eve" connect_failures) -ge 1 && $(syslog_stat "$T/late.eve" dropped) -eq 0 ]] ||
    fail "collector down at start: the outage is not in the stats: $(tail -1 "$T/late.eve")"
grep -q "connected after" "$T/late.err" || fail "collector down at start: the recovery is not logged"
echo "collector down at start, then started: $n of $n alerts delivered ($(syslog_stat "$T/late.eve" connect_failures) failed connects)"

# --- collector restarted during a run ---------------------------------------------------------
# The capture comes through a FIFO in two parts, as traffic comes to an agent: first DCSync,
# then (after the collector was stopped, while it is down, and after it is back) the coercion
# capture, so alerts are raised before, during and after the restart. (The collector keeps its
# files open: it is restarted to start on new ones.)
stop_rsyslogd
rm -rf "$T/central"
start_rsyslogd || fail "rsyslogd did not start again on its ports"
mkfifo "$T/feed.pcap"
$PY - "$REPO/tests/data/lab/attacks/attack-dcsync.pcap" "$REPO/tests/data/lab/attacks/attack-coerce.pcap" \
    "$T/feed.pcap" "$T/go" <<'PY' &
import os, sys, time
first, second, fifo, go = sys.argv[1:]
a, b = open(first, "rb").read(), open(second, "rb").read()
assert a[:4] == b[:4] and a[20:24] == b[20:24], "the two captures differ in format or link type"
with open(fifo, "wb") as out:
    out.write(a)  # header and the first capture's packets
    out.flush()
    for _ in range(300):  # the test says when (bounded: 30 s)
        if os.path.exists(go):
            break
        time.sleep(0.1)
    out.write(b[24:])  # the second capture's packets, same header
PY
FEED_PID=$!
"$RPCMON" analyze "$T/feed.pcap" "${MTLS[@]}" >"$T/restart.eve" 2>"$T/restart.err" </dev/null &
ANALYZE=$!
for _ in $(seq 100); do [[ $(cat "$T"/central/*.log 2>/dev/null | wc -l) -gt 0 ]] && break; sleep 0.1; done
sleep 0.5  # the first part's alerts all in
before=$(cat "$T"/central/*.log 2>/dev/null | wc -l)
[[ $before -gt 0 ]] || fail "restart: the first part's alerts did not arrive"
stop_rsyslogd
touch "$T/go"  # alerts now raised while the collector is down
wait "$FEED_PID" || fail "restart: the feeder failed"
FEED_PID=""
sleep 0.3
start_rsyslogd || fail "rsyslogd did not start again on its ports"
wait "$ANALYZE" || fail "analyze failed across a collector restart: $(cat "$T/restart.err")"
ANALYZE=""
settle "$(eve_alerts "$T/restart.eve")" "$T/central/*.log"
n=$(compare "$T/restart.eve" "$T"/central/*.log) || fail "collector restart: $n"
[[ $n -gt $before ]] || fail "restart: no alert was raised after the collector stopped"
[[ $(syslog_stat "$T/restart.eve" dropped) -eq 0 ]] || fail "restart: alerts dropped"
echo "collector restarted during a run: $n of $n alerts delivered ($before before the restart," \
     "io_failures $(syslog_stat "$T/restart.eve" io_failures), resent $(syslog_stat "$T/restart.eve" resent))"

# --- the client key never leaves its file ------------------------------------------------------
# Every base64 line of the key (and of the encrypted copy) against every output and log.
leaks=0
while read -r kl; do
    [[ $kl == -----* || ${#kl} -lt 16 ]] && continue
    if grep -rqF -- "$kl" "$T"/*.eve "$T"/*.err "$T"/received.log "$T"/central "$T"/rsyslogd-*.out "$T"/*.received; then
        leaks=$((leaks + 1))
    fi
done < <(cat "$T/sensor.key" "$T/sensor-encrypted.key" "$T/other.key")
[[ $leaks -eq 0 ]] || fail "$leaks lines of a client key appear in an output or log"
echo "client key bytes in outputs and logs: none"
echo PASS
