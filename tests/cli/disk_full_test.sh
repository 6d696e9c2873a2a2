#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Output that cannot be written (disk full) with `rpcmon analyze`: no crash, a log line naming
# the failure, the counters, exit code 4 (README "Usage"), and never half a JSON line in the file.
#   1. --eve /dev/full and stdout to /dev/full (ENOSPC on every write): every record is lost
#      and counted, exit 4;
#   2. a damaged capture written to /dev/full: exit 4 (lost output wins over 3);
#   3. (root only) a 16 KiB tmpfs that fills up part way: the file holds only whole, valid
#      lines, and written + lost = every record of a good run.
# The agent's side (the disk fills and frees up while it runs) is tests/live/live_disk_full_test.sh.
# Usage: disk_full_test.sh RPCMON
set -euo pipefail
RPCMON=$(readlink -f "$1")
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
T=$(mktemp -d)
MNT=
cleanup() {
    if [[ -n $MNT ]]; then umount "$MNT" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
CAP=$REPO/tests/data/lab/onc-nfs3.pcap
[[ -c /dev/full ]] || fail "/dev/full missing"

# The reference: how many lines a good run writes.
"$RPCMON" analyze "$CAP" --eve "$T/good.json" 2>"$T/good.err" || { cat "$T/good.err"; fail "good run failed"; }
TOTAL=$(wc -l <"$T/good.json")
[[ $TOTAL -gt 50 ]] || fail "reference run wrote only $TOTAL lines"

# lost_from_log FILE: "N M" from "EVE output X was incomplete: N failed writes, M records lost".
lost_from_log() {
    sed -nE 's/.*EVE output .* was incomplete: ([0-9]+) failed writes, ([0-9]+) records lost.*/\1 \2/p' "$1" | tail -1
}

# 1. Every write fails (file-threads2: the writer on analyze's second thread).
for target in file stdout file-threads2; do
    rc=0
    if [[ $target == file ]]; then
        "$RPCMON" analyze "$CAP" --eve /dev/full >"$T/out" 2>"$T/err" || rc=$?
        name=/dev/full
    elif [[ $target == file-threads2 ]]; then
        "$RPCMON" analyze "$CAP" --eve /dev/full --threads 2 >"$T/out" 2>"$T/err" || rc=$?
        name=/dev/full
    else
        "$RPCMON" analyze "$CAP" >/dev/full 2>"$T/err" || rc=$?
        name=stdout
    fi
    [[ $rc -eq 4 ]] || { cat "$T/err"; fail "$target on a full disk: exit $rc, expected 4"; }
    grep -q "EVE write to $name failed: No space left on device" "$T/err" || { cat "$T/err"; fail "$target: no failure line"; }
    [[ $(grep -c "EVE write to $name failed" "$T/err") -eq 1 ]] || { cat "$T/err"; fail "$target: failure logged more than once per outage"; }
    read -r errors lost <<<"$(lost_from_log "$T/err")"
    [[ ${errors:-0} -gt 0 ]] || { cat "$T/err"; fail "$target: write errors not counted"; }
    [[ ${lost:-0} -eq $TOTAL ]] || { cat "$T/err"; fail "$target: $lost records counted lost, the good run wrote $TOTAL"; }
    if grep -qiE "terminate|exception|Aborted|Segmentation" "$T/err"; then cat "$T/err"; fail "$target: crash"; fi
    echo "ok: $target on /dev/full: exit 4, $errors failed writes, $lost of $TOTAL records lost"
done

# 2. Lost output wins over a damaged capture (3), and both are said.
head -c 20000 "$CAP" >"$T/cut.pcap"
rc=0
"$RPCMON" analyze "$T/cut.pcap" --eve /dev/full 2>"$T/err" || rc=$?
[[ $rc -eq 4 ]] || { cat "$T/err"; fail "damaged capture + full disk: exit $rc, expected 4"; }
grep -q "capture is damaged" "$T/err" || { cat "$T/err"; fail "the damage is not reported"; }
echo "ok: damaged capture on /dev/full: exit 4, damage reported"

# 3. A disk that fills part way: whole lines only, every record accounted for.
if [[ $(id -u) -ne 0 ]]; then
    echo "note: not root, the tmpfs part is skipped"
    echo PASS
    exit 0
fi
mkdir "$T/disk"
mount -t tmpfs -o size=16k,mode=0700 rpcmon-disk-full "$T/disk"
MNT=$T/disk
rc=0
"$RPCMON" analyze "$CAP" --eve "$T/disk/eve.json" 2>"$T/err" || rc=$?
[[ $rc -eq 4 ]] || { cat "$T/err"; fail "tmpfs full: exit $rc, expected 4"; }
grep -q "EVE write to $T/disk/eve.json failed: No space left on device" "$T/err" || { cat "$T/err"; fail "tmpfs: no failure line"; }
read -r errors lost <<<"$(lost_from_log "$T/err")"
python3 - "$T/disk/eve.json" "$TOTAL" "${lost:-0}" <<'PY'
import json, sys
path, total, lost = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data, "nothing was written before the disk filled"
assert data.endswith(b"\n"), f"the file ends in half a line: {data[-80:]!r}"
lines = data.split(b"\n")[:-1]
for i, l in enumerate(lines):
    json.loads(l)  # raises on a cut line
assert len(lines) + lost == total, f"{len(lines)} written + {lost} lost != {total}"
assert lost > 0, "nothing lost: the tmpfs did not fill"
print(f"ok: tmpfs of 16 KiB: {len(lines)} whole lines written, {lost} lost, {total} in total")
PY
umount "$T/disk"
MNT=
echo PASS
