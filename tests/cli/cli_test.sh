#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command line's outcomes for bad input: each is a clear message and a documented exit code
# (README "Usage"), never a crash. Usage: cli_test.sh RPCMON
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect CODE PATTERN CMD...: runs CMD, checks its exit code and that stderr matches PATTERN.
expect() {
    local code=$1 pattern=$2 rc=0
    shift 2
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    [[ $rc -eq $code ]] || { cat "$T/err"; fail "'$*' exited $rc, expected $code"; }
    grep -qE "$pattern" "$T/err" || { cat "$T/err"; fail "'$*': stderr does not match '$pattern'"; }
}
CAP=$REPO/tests/data/lab/attacks/attack-dcsync.pcap

expect 1 "cannot read /nonexistent.pcap" "$RPCMON" analyze /nonexistent.pcap
echo "not a capture" >"$T/garbage.pcap"
expect 1 "cannot read .*garbage.pcap" "$RPCMON" analyze "$T/garbage.pcap"
head -c 5000 "$CAP" >"$T/cut.pcap"
expect 3 "capture is damaged" "$RPCMON" analyze "$T/cut.pcap"
grep -q '"event_type":"rpc"' "$T/out" || fail "records before the damage were not written"
grep -q '"read_error"' "$T/out" || fail "the final stats line does not name the damage"

printf 'signatures:\n  dcsync:\n    enabled: true\n    bogus_key: 3\n' >"$T/bad.yaml"
expect 2 "bad.yaml:4: key 'signatures.dcsync.bogus_key': unknown key" "$RPCMON" analyze "$CAP" --rules "$T/bad.yaml"
# Enum options accept exactly the words their parser knows (one name table each).
for bad in "agent -i no-such-if0 --xdp-mode bogus" "analyze $CAP --checksums maybe"; do
    # shellcheck disable=SC2086
    if "$RPCMON" $bad >"$T/out" 2>"$T/err"; then fail "'rpcmon $bad' was accepted"; fi
    grep -q "not a valid .* mode: \(bogus\|maybe\)" "$T/err" || { cat "$T/err"; fail "'rpcmon $bad': unclear error"; }
done
# Usage errors exit 1 (README "Usage"), not a parser-library code; --help and --version exit 0.
expect 1 "bogus" "$RPCMON" agent --bogus
expect 1 "required" "$RPCMON" analyze
expect 1 "not a valid XDP mode" "$RPCMON" agent -i no-such-if0 --xdp-mode bogus
# analyze --threads: 1 or 2 only (the agent has one pipeline thread and no such option).
for n in 0 3 two; do expect 1 "threads: Value $n not in range 1 to 2" "$RPCMON" analyze "$CAP" --threads "$n"; done
expect 1 "not expected: 2 --threads" "$RPCMON" agent --threads 2
"$RPCMON" --help >/dev/null || fail "--help did not exit 0"
"$RPCMON" --version | grep -q "^rpcmon " || fail "--version did not exit 0 with the version"
printf 'signatures:\n  samr_enumeration:\n    threshold: many\n' >"$T/badval.yaml"
expect 2 "badval.yaml:3: key 'signatures.samr_enumeration.threshold'" "$RPCMON" analyze "$CAP" --rules "$T/badval.yaml"

# Rules and state work end to end: the DCSync alert fires, is silenced by the allowlist, and the
# baseline state file is written with tight permissions.
"$RPCMON" analyze "$CAP" --state "$T/state.json" >"$T/alerts.json"
grep -q '"signature_id":1000003' "$T/alerts.json" || fail "DCSync did not fire on the attack capture"
[[ $(stat -c %a "$T/state.json") == 600 ]] || fail "state file mode is $(stat -c %a "$T/state.json")"
printf 'allowlists:\n  domain_controllers: [10.203.204.1/32]\n' >"$T/dc.yaml"
"$RPCMON" analyze "$CAP" --rules "$T/dc.yaml" >"$T/allowed.json"
if grep -q '"signature_id":1000003' "$T/allowed.json"; then fail "allowlisted DC still fired DCSync"; fi
"$RPCMON" analyze "$CAP" --no-detect >"$T/nodetect.json"
if grep -q '"event_type":"alert"' "$T/nodetect.json"; then fail "--no-detect still alerted"; fi
echo PASS
