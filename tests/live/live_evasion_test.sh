#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live evasion subset: lab attack captures rewritten as tests/evasion/evasion.py does (IPv4
# fragments of 184 bytes, 24-byte fragments in reverse order, 8-byte TCP segments, reordered
# segments) are replayed with tcpreplay from the client namespace onto the veth the agent watches,
# so the kernel path is judged: the XDP program must hand every fragment to user space, user space
# must reassemble it, and the agent must report the calls and raise the alert of the unmodified
# capture (service creation, DCSync). The same rewritten capture through `rpcmon analyze` must
# give the same calls. Bad-checksum insertion is not replayed: the kernel programs do not verify
# TCP checksums yet (README "Evasion").
# Usage: live_evasion_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
REPO=$LIVE_REPO
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed (run tools/setup.sh)"
live_setup "evas$$" tcpreplay

# Rewrites: CAPTURE:TECHNIQUE:SID (the alert the unmodified capture raises).
CASES=(attack-svcctl:frag4-184:1000010 attack-svcctl:frag4-24-reverse:1000010
       attack-dcsync:frag4-184:1000003 attack-dcsync:tiny-segments-8:1000003
       attack-dcsync:reorder:1000003)
mkdir "$OUT/rw"
/usr/bin/python3 - "$REPO" "$OUT/rw" "${CASES[@]}" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "evasion"))
import evasion
extra = {"frag4-24-reverse": evasion.frag4(24, reverse=True)}
for case in sys.argv[3:]:
    cap, tech, _ = case.split(":")
    fn = extra.get(tech) or evasion.TECHNIQUES[tech]
    evasion.rewrite(os.path.join(evasion.LAB, "attacks", cap + ".pcap"), os.path.join(sys.argv[2], f"{cap}-{tech}.pcap"), fn)
PY

for c in "${CASES[@]}"; do
    IFS=: read -r cap tech sid <<<"$c"
    pcap="$OUT/rw/$cap-$tech.pcap"
    PID=$(start_agent "$OUT/$cap-$tech.json")
    # Every frame arrives at the agent's veth through XDP (both directions of the capture).
    lab_exec "$LAB_CLI_NS" tcpreplay -q -i "$LAB_CLI_IF" --pps 2000 "$pcap" >"$OUT/replay.log" 2>&1 ||
        { cat "$OUT/replay.log"; fail "tcpreplay $cap $tech"; }
    sleep 1.2
    stop_agent "$PID"
    /usr/bin/python3 - "$RPCMON" "$OUT/$cap-$tech.json" "$pcap" "$sid" "$cap $tech" <<'PY' || fail "$cap $tech: live differs"
import json, subprocess, sys
rpcmon, eve, pcap, sid, name = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def calls(lines):
    out = []
    for l in lines:
        r = json.loads(l)
        if r["event_type"] == "rpc":
            rpc = r["rpc"]
            out.append((r["src_ip"], r["src_port"], r["dest_port"], rpc.get("operation") or rpc.get("procedure_name"),
                        rpc.get("call_id", rpc.get("xid")), bool(rpc.get("reply"))))
    return sorted(out)
live_lines = open(eve).read().splitlines()
live = calls(live_lines)
offline = calls(subprocess.run([rpcmon, "analyze", "--no-detect", pcap], capture_output=True, text=True, check=True).stdout.splitlines())
assert live, f"{name}: no calls live"
assert live == offline, f"{name}: live {len(live)} calls, offline {len(offline)}\n  live only {set(live) - set(offline)}\n  offline only {set(offline) - set(live)}"
alerts = {json.loads(l)["alert"]["signature_id"] for l in live_lines if '"event_type":"alert"' in l}
assert sid in alerts, f"{name}: alert {sid} missing live: {sorted(alerts)}"
k = [json.loads(l) for l in live_lines if '"event_type":"stats"' in l][-1]["stats"]
frag = k["capture"]["kernel"]["xdp"]["fragments_delivered"]
defrag = k["pipeline"].get("defrag", {})
print(f"  {name}: {len(live)} calls and alert {sid} live as offline; fragments delivered {frag}, "
      f"datagrams reassembled {k['pipeline']['anomalies'].get('defrag.datagrams', 0) or defrag}")
if "frag" in name:
    assert frag > 0, f"{name}: the kernel delivered no fragments"
PY
done
echo PASS
