#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the documented anomaly counters against the code's tables, both ways.

Usage: readme_check.py NAMES_BINARY README.md [PROTOCOL_README ...]

README.md: the list between '<!-- anomaly-list:begin' and '<!-- anomaly-list:end -->' must
hold exactly the names the code counts, and mark '(volume)' exactly the volume counters.
Each PROTOCOL_README (userspace/protocols/<p>/README.md): its '## Anomaly counters' section (or
paragraph starting 'Anomaly counters:') must name every '<p>.*' counter of the code and no other
'<p>.*' name.
"""
import re
import subprocess
import sys

NAME = r"[a-z0-9]+\.[a-z0-9_]+"


def code_names(binary):
    out = subprocess.run([binary], check=True, capture_output=True, text=True).stdout
    names = {}
    for line in out.splitlines():
        name, kind, _layer = line.split("\t")
        if name in names:
            sys.exit(f"code: {name} is named twice")
        names[name] = kind
    if not names:
        sys.exit("code: the names binary printed nothing")
    return names


def readme_list(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"<!-- anomaly-list:begin.*?-->(.*?)<!-- anomaly-list:end -->", text, re.S)
    if not m:
        sys.exit(f"{path}: no '<!-- anomaly-list:begin' ... '<!-- anomaly-list:end -->' block")
    doc = {}
    for name, vol in re.findall(r"`(" + NAME + r")`( \(volume\))?", m.group(1)):
        doc[name] = "volume" if vol else "anomaly"
    return doc


def protocol_section(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^## Anomaly counters.*?$(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        m = re.search(r"^Anomaly counters:(.*?)(?=\n\n)", text, re.S | re.M)
    if not m:
        sys.exit(f"{path}: no '## Anomaly counters' section or 'Anomaly counters:' paragraph")
    return m.group(1)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    code = code_names(sys.argv[1])
    errors = []
    doc = readme_list(sys.argv[2])
    for n in sorted(set(code) - set(doc)):
        errors.append(f"{sys.argv[2]}: `{n}` is counted by the code but not listed")
    for n in sorted(set(doc) - set(code)):
        errors.append(f"{sys.argv[2]}: `{n}` is listed but no table names it")
    for n in sorted(set(doc) & set(code)):
        if doc[n] != code[n]:
            errors.append(f"{sys.argv[2]}: `{n}` is a{'' if code[n] == 'anomaly' else ' volume'} "
                          f"{code[n]} in the code, listed as {doc[n]}")
    for path in sys.argv[3:]:
        proto = path.rstrip("/").split("/")[-2]
        section = protocol_section(path)
        listed = set(re.findall(r"`(" + re.escape(proto) + r"\.[a-z0-9_]+)`", section))
        mine = {n for n in code if n.startswith(proto + ".")}
        if not mine:
            errors.append(f"{path}: the code has no {proto}.* counter")
        for n in sorted(mine - listed):
            errors.append(f"{path}: `{n}` is counted by the code but not in its anomaly section")
        for n in sorted(listed - mine):
            errors.append(f"{path}: `{n}` is in its anomaly section but no table names it")
    for e in errors:
        print(e)
    if errors:
        print("expected README list (rpcmon_anomaly_names --markdown):")
        print(subprocess.run([sys.argv[1], "--markdown"], check=True, capture_output=True, text=True).stdout)
        return 1
    print(f"{len(code)} counters documented, {sum(k == 'volume' for k in code.values())} of them volumes; "
          f"{len(sys.argv) - 3} protocol READMEs agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
