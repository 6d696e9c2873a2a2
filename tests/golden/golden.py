#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Golden tests (Zeek btest / suricata-verify style): `rpcmon analyze CAPTURE` must print exactly
tests/golden/expected/NAME.jsonl. Cases are listed in tests/golden/cases.tsv (name, capture
path relative to the repository or to ../shared, extra rpcmon arguments).

  golden.py check  RPCMON [NAME...]   compare (exit 1 on the first difference, with a diff)
  golden.py update RPCMON [NAME...]   regenerate expected files (review the diff before committing)

Each expected file starts with a '#' header naming the command that regenerates it. The stats
line's absolute file path and the process's resident set (pipeline.memory.rss_kb, anon_rss_kb,
max_rss_kb) are masked; everything else (timestamps are capture time) is exact.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "golden")


def cases():
    out = []
    with open(os.path.join(HERE, "cases.tsv")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            name, capture = parts[0], parts[1]
            extra = parts[2].split() if len(parts) > 2 and parts[2] else []
            out.append((name, capture, extra))
    return out


def resolve(capture):
    for base in (ROOT, os.path.join(ROOT, "..", "shared")):  # corpus/... lives in ../shared
        p = os.path.join(base, capture)
        if os.path.exists(p):
            return p
    return None


def normalize(line):
    rec = json.loads(line)
    if rec.get("event_type") == "stats":
        rec.get("stats", {}).get("capture", {}).pop("file", None)
        # The process's own resident set differs from run to run (the limit does not).
        for k in ("rss_kb", "anon_rss_kb", "max_rss_kb"):
            rec.get("stats", {}).get("pipeline", {}).get("memory", {}).pop(k, None)
    return rec


def flatten(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): obj}


def run(rpcmon, capture, extra):
    p = subprocess.run([rpcmon, "analyze", capture] + extra, capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 3):
        raise RuntimeError(f"rpcmon exited {p.returncode}: {p.stderr}")
    return [normalize(l) for l in p.stdout.splitlines() if l.strip()]


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "update"):
        print(__doc__)
        return 2
    mode, rpcmon, names = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    failed = skipped = 0
    for name, capture, extra in cases():
        if names and name not in names:
            continue
        path = resolve(capture)
        if path is None:
            print(f"SKIP {name}: {capture} not found (../shared missing?)")
            skipped += 1
            continue
        got = run(rpcmon, path, extra)
        exp_file = os.path.join(HERE, "expected", name + ".jsonl")
        if mode == "update":
            with open(exp_file, "w") as f:
                f.write(f"# regenerate: tests/golden/golden.py update build/rpcmon {name}   (rpcmon analyze {capture} {' '.join(extra)})\n")
                for rec in got:
                    f.write(json.dumps(rec, separators=(",", ":")) + "\n")
            print(f"updated {name}: {len(got)} lines")
            continue
        with open(exp_file) as f:
            exp = [json.loads(l) for l in f if l.strip() and not l.startswith("#")]
        if got == exp:
            print(f"ok {name}: {len(got)} lines")
            continue
        failed += 1
        print(f"FAIL {name}: {len(got)} lines, expected {len(exp)}")
        for i, (g, e) in enumerate(zip(got, exp)):
            if g != e:
                fg, fe = flatten(g), flatten(e)
                keys = sorted(k for k in set(fg) | set(fe) if fg.get(k) != fe.get(k))
                print(f"  first difference at record {i + 1} ({g.get('event_type')}):")
                for k in keys[:20]:
                    print(f"    {k}: got {json.dumps(fg.get(k))}, expected {json.dumps(fe.get(k))}")
                break
        else:
            print("  one output is a prefix of the other")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
