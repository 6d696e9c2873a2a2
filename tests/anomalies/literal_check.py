#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a counter name is spelled as a string literal outside the layers' tables.

Usage: literal_check.py NAMES_BINARY DIR...

Every counter name must come from its layer's table (anomalies.h) through the enum; a literal
"onc.bad_cred" at a call site is how the documented list and the code drift apart. Scans *.cc
and *.h under each DIR except tests (*_test.cc, test_util.*, replay_util.*) and the tables
(anomalies.h); comments are ignored. The prefixes checked are those of the names the code counts.
"""
import os
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    prefixes = sorted({line.split("\t")[0].split(".")[0] for line in out.splitlines()})
    if not prefixes:
        sys.exit("the names binary printed nothing")
    literal = re.compile(r'"((?:' + "|".join(prefixes) + r')\.[a-z0-9_]*)"')
    found, scanned = [], 0
    for root in sys.argv[2:]:
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                if not f.endswith((".cc", ".h")) or f == "anomalies.h":
                    continue
                if f.endswith("_test.cc") or f.startswith(("test_util.", "replay_util.")):
                    continue
                path = os.path.join(dirpath, f)
                scanned += 1
                for i, line in enumerate(open(path, encoding="utf-8"), 1):
                    code = re.sub(r"//.*", "", line)
                    for m in literal.finditer(code):
                        found.append(f"{path}:{i}: \"{m.group(1)}\" - use the layer's enum")
    for f in found:
        print(f)
    if scanned == 0:
        sys.exit("no sources scanned")
    if found:
        return 1
    print(f"{scanned} files, no counter name spelled outside the tables ({', '.join(prefixes)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
