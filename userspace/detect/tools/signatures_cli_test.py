#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`rpcmon signatures` and `rpcmon signatures --attack-layer` end to end: the listing has a
header and one well-formed row per built-in signature (sids unique, techniques ATT&CK ids,
severity 1-3 or an escalation), the layer is ATT&CK Navigator layer-format 4.5 JSON whose
techniques are exactly those the listing names."""
import json
import re
import subprocess
import sys


def main():
    rpcmon = sys.argv[1]
    out = subprocess.run([rpcmon, "signatures"], capture_output=True, text=True, check=True).stdout
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == "sid\tname\ttechnique\tseverity\ttrigger\tmessage", lines[0]
    sids, techs = set(), set()
    for row in lines[1:]:
        f = row.split("\t")
        assert len(f) == 6, row
        assert re.fullmatch(r"1\d{6}", f[0]), row
        assert f[0] not in sids, f"duplicate sid {f[0]}"
        sids.add(f[0])
        for t in f[2].split(","):
            assert re.fullmatch(r"T\d{4}(\.\d{3})?", t), row
            techs.add(t)
        assert re.fullmatch(r"[123](→[123]|-[123])?", f[3]), row
        assert f[4] and f[5], row
    assert len(sids) >= 50, len(sids)
    layer = json.loads(subprocess.run([rpcmon, "signatures", "--attack-layer"], capture_output=True, text=True,
                                      check=True).stdout)
    assert layer["versions"]["layer"] == "4.5", layer["versions"]
    assert layer["domain"] == "enterprise-attack"
    ids = {t["techniqueID"] for t in layer["techniques"]}
    assert ids == techs, (ids ^ techs)
    for t in layer["techniques"]:
        assert 1 <= t["score"] <= 3 and t["comment"], t
    print(f"ok: {len(sids)} signatures, {len(ids)} techniques")
    return 0


if __name__ == "__main__":
    sys.exit(main())
