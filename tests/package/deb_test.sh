#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The .deb end to end on this machine (root): tools/package.sh builds it, lintian reports no
# error, its contents and conffiles are the promised ones; dpkg -i installs it, the installed
# binary runs (--version, a short analyze with the packaged rules file), the state and log
# directories exist root-only; dpkg --purge leaves no file of the package (the `dpkg -L` list
# taken before the purge) and no XDP program that was not there before.
# Usage: deb_test.sh BUILD_DIR     (exit 77 = skipped, with the reason)
set -euo pipefail
BUILD=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "needs root (dpkg -i)"
for c in dpkg-deb dpkg-shlibdeps lintian ip; do command -v "$c" >/dev/null || skip "$c not installed (tools/setup.sh)"; done
if dpkg-query -W -f='${Status}' rpcmon 2>/dev/null | grep -q installed; then
    skip "a package named rpcmon is already installed here: not touching it"
fi
T=$(mktemp -d)
INSTALLED=0
cleanup() {
    ((INSTALLED)) && dpkg --purge rpcmon >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT

DEB=$("$REPO/tools/package.sh" "$BUILD" "$T" | tail -1)
[[ -f $DEB ]] || fail "tools/package.sh made no .deb"
VERSION=$("$BUILD/rpcmon" --version | awk '{print $2}')
[[ $(basename "$DEB") == "rpcmon_${VERSION}_$(dpkg --print-architecture).deb" ]] || fail "named $(basename "$DEB")"
echo "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

echo "--- lintian"
rc=0
lintian --fail-on error --display-level ">=warning" "$DEB" >"$T/lintian.txt" 2>&1 || rc=$?
cat "$T/lintian.txt"
[[ $rc -eq 0 ]] || fail "lintian failed (exit $rc)"
! grep -q '^E: ' "$T/lintian.txt" || fail "lintian reports errors"

# Contents and control area.
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/sbin/rpcmon /etc/rpcmon/rpcmon.yaml /etc/rpcmon/rules.yaml /lib/systemd/system/rpcmon.service /etc/logrotate.d/rpcmon \
         /usr/lib/tmpfiles.d/rpcmon.conf /usr/share/man/man8/rpcmon.8.gz /usr/share/man/man1/rpcmon-top.1.gz \
         /usr/share/man/man5/rpcmon.yaml.5.gz /usr/share/doc/rpcmon/copyright; do
    grep -qx "$f" "$T/contents" || fail "$f is not in the package"
done
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles >"$T/conffiles"
for f in rpcmon.yaml rules.yaml; do
    grep -qx "/etc/rpcmon/$f" "$T/conffiles" || fail "$f is not a conffile"
done
cmp <(dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./etc/rpcmon/rpcmon.yaml) "$REPO/config/rpcmon.yaml" ||
    fail "/etc/rpcmon/rpcmon.yaml is not config/rpcmon.yaml"
# The shipped rules file: the documented example with the lab's allowlist addresses emptied,
# and without its limits: section (the agent file holds them; a limit in both is an error).
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./etc/rpcmon/rules.yaml >"$T/rules.yaml"
grep -qx '# Memory bounds (limits:) are set in /etc/rpcmon/rpcmon.yaml.' "$T/rules.yaml" ||
    fail "/etc/rpcmon/rules.yaml does not point to rpcmon.yaml for the limits"
if grep -q '^limits:' "$T/rules.yaml"; then fail "/etc/rpcmon/rules.yaml sets limits: too"; fi
diff <(sed '$d' "$T/rules.yaml") <(sed '/^# Memory bounds:/,$d' "$REPO/config/rules.example.yaml") |
    grep -E '^[<>]' >"$T/rules.diff" || true
[[ $(grep -c '^<' "$T/rules.diff") -eq 2 && $(grep -c '^>' "$T/rules.diff") -eq 2 ]] &&
    grep -q '^< *domain_controllers: \[\]$' "$T/rules.diff" && grep -q '^< *nfs_root_clients: \[\]$' "$T/rules.diff" ||
    { cat "$T/rules.diff"; fail "/etc/rpcmon/rules.yaml is not the example with empty allowlists"; }

xdp_before=$(ip -d link | grep -i xdp || true)

echo "--- dpkg -i"
INSTALLED=1
dpkg -i "$DEB" || fail "dpkg -i failed"
out=$(/usr/sbin/rpcmon --version)
echo "$out"
[[ $out == "rpcmon $VERSION (git "*")" ]] || fail "installed --version says '$out'"
for d in /var/lib/rpcmon /var/log/rpcmon; do
    [[ -d $d ]] || fail "$d not created"
    [[ $(stat -c '%U %a' "$d") == "root 750" ]] || fail "$d is $(stat -c '%U %a' "$d"), want root 750"
done
if command -v systemd-analyze >/dev/null; then  # the installed unit as shipped, real ExecStart path
    msgs=$(timeout 60 systemd-analyze verify --man=no /lib/systemd/system/rpcmon.service 2>&1) ||
        fail "systemd-analyze verify of the installed unit: $msgs"
    [[ -z $msgs ]] || fail "systemd-analyze verify of the installed unit: $msgs"
fi
man -w rpcmon >/dev/null 2>&1 || [[ ! -x /usr/bin/man ]] || fail "man rpcmon does not find the page"
# The installed pair is valid as shipped (the service reads exactly these files).
out=$(/usr/sbin/rpcmon check-config /etc/rpcmon/rpcmon.yaml) || fail "check-config of the installed file failed"
[[ $out == "/etc/rpcmon/rpcmon.yaml: ok" ]] || fail "check-config says '$out'"
echo "$out"
/usr/sbin/rpcmon analyze "$REPO/tests/data/lab/onc-rpcinfo.pcap" --rules /etc/rpcmon/rules.yaml \
    --eve "$T/eve.json" || fail "installed rpcmon analyze failed"
n=$(grep -c '"event_type":"rpc"' "$T/eve.json" || true)
[[ $n -gt 0 ]] || fail "installed rpcmon analyze wrote no rpc record"
echo "installed analyze: $n rpc records"
echo "some state" >/var/log/rpcmon/eve.json  # what a running service leaves: purge must take it too

dpkg -L rpcmon >"$T/files"
echo "--- dpkg --purge"
dpkg --purge rpcmon || fail "dpkg --purge failed"
INSTALLED=0
left=()
while read -r p; do
    [[ $p == /. ]] && continue  # dpkg -L lists the root itself
    [[ -e $p || -L $p ]] || continue
    # A directory another package also owns (/usr, /etc/logrotate.d ...) stays, rightly.
    [[ -d $p ]] && dpkg -S "$p" >/dev/null 2>&1 && continue
    left+=("$p")
done <"$T/files"
for d in /var/lib/rpcmon /var/log/rpcmon /etc/rpcmon; do [[ -e $d ]] && left+=("$d"); done
((${#left[@]} == 0)) || fail "left after purge: ${left[*]}"
xdp_after=$(ip -d link | grep -i xdp || true)
[[ $xdp_after == "$xdp_before" ]] || fail "XDP attachments changed: before '$xdp_before' after '$xdp_after'"
echo "purged: none of the $(wc -l <"$T/files") paths left, XDP attachments unchanged"
echo PASS
