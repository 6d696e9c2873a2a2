#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Live and offline raise the same alerts: the live agent's EVE output must contain alerts with
every expected signature id, and `rpcmon analyze` on a capture of the same traffic (taken at the
same time) must raise the same set of signature ids (anomaly-kind baseline alerts aside: they
depend on what the baseline learned before).

  alerts_agree.py RPCMON EVE.json CAPTURE.pcap SID [SID ...]
"""
import json
import subprocess
import sys


def sids(lines):
    out = {}
    for l in lines:
        r = json.loads(l)
        if r.get("event_type") == "alert" and r["alert"].get("kind") == "signature":
            out.setdefault(r["alert"]["signature_id"], r["alert"]["metadata"]["mitre_technique_id"])
    return out


def main():
    rpcmon, eve, capture, expected = sys.argv[1], sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4:]]
    with open(eve) as f:
        live = sids(f)
    offline = sids(subprocess.run([rpcmon, "analyze", capture], capture_output=True, text=True, check=True).stdout.splitlines())
    missing = [s for s in expected if s not in live]
    print(f"live alerts {sorted(live)}; offline alerts {sorted(offline)}")
    if missing:
        print(f"FAIL: expected signatures not raised live: {missing}")
        return 1
    if set(live) != set(offline):
        print(f"FAIL: live and offline disagree: only live {sorted(set(live) - set(offline))}, "
              f"only offline {sorted(set(offline) - set(live))}")
        return 1
    for s in expected:
        print(f"  {s}: {live[s]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
