#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# packaging/rpcmon.service: `systemd-analyze verify` passes with no message (the analyzer only
# reads the unit; nothing here runs systemd as PID 1), every flag of its ExecStart exists in
# `rpcmon agent --help`, the hardening the package promises is there, and the offline
# `systemd-analyze security` exposure is printed and is "OK" or better.
# The ExecStart binary is pointed at the build's rpcmon (verify checks it is executable).
# Usage: unit_test.sh RPCMON     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
UNIT=$REPO/packaging/rpcmon.service
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed "s|^ExecStart=/usr/sbin/rpcmon |ExecStart=$RPCMON |" "$UNIT" >"$T/rpcmon.service"
grep -q "^ExecStart=$RPCMON agent " "$T/rpcmon.service" || fail "ExecStart is not /usr/sbin/rpcmon agent ..."

rc=0
msgs=$(timeout 60 systemd-analyze verify --man=no "$T/rpcmon.service" 2>&1) || rc=$?
[[ $rc -eq 0 && -z $msgs ]] || fail "systemd-analyze verify (exit $rc):"$'\n'"$msgs"
echo "systemd-analyze verify: clean"

# The command line: every option it passes is one the agent knows.
exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT")
help=$("$RPCMON" agent --help)
for opt in $(grep -oE -- '--[a-z-]+' <<<"$exec_line"); do
    grep -qE -- "(^|[ ,])$opt([ ,=]|$)" <<<"$help" || fail "ExecStart uses $opt, which rpcmon agent does not have"
done
for want in 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'NoNewPrivileges=yes' \
            'ProtectSystem=strict' 'ReadWritePaths=/var/lib/rpcmon /var/log/rpcmon /run/rpcmon' \
            'ProtectHome=yes' 'PrivateTmp=yes' \
            'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET'; do
    grep -qxF "$want" "$UNIT" || fail "the unit lacks '$want'"
done
grep -q '^CapabilityBoundingSet=CAP_BPF' "$UNIT" || fail "no CapabilityBoundingSet"

echo "--- systemd-analyze security --offline=true"
timeout 60 systemd-analyze security --offline=true "$T/rpcmon.service" 2>&1 | tee "$T/security.txt" | grep -v '^✓'
line=$(grep -a 'Overall exposure level' "$T/security.txt") || fail "no exposure score"
echo "$line"
[[ $line =~ level\ for\ [^:]+:\ ([0-9.]+)\ ([A-Z]+) ]] || fail "cannot read the score"
case ${BASH_REMATCH[2]} in
    PERFECT|SAFE|OK) echo "exposure ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" ;;
    *) fail "exposure ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}: worse than OK" ;;
esac
echo PASS
