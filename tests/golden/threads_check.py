#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""`rpcmon analyze --threads 2` writes what `--threads 1` writes: every golden case
(tests/golden/cases.tsv, with its extra arguments), once as listed and once with stats lines
every capture-time second (detector ticks and stats lines then interleave with the records).

  threads_check.py RPCMON [NAME...]

The golden captures are small (all of a capture's records fit in a few of the worker's
batches), so one more case runs every repository capture of cases.tsv back to back in one
capture (each shifted to start 10 s after the previous one ends): thousands of records, many
batches handed over while the pipeline thread keeps working.

Lines are compared byte for byte; in stats lines only what differs from run to run is masked
(the process's resident set, as golden.py masks it) and the worker's own counters
(stats.pipeline.worker, present with --threads 2 only, and required there).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402  (cases(), resolve(): the same case list)

VARIANTS = ([], ["--stats-interval", "1"])


def run(rpcmon, capture, extra):
    p = subprocess.run([rpcmon, "analyze", capture] + extra, capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 3):
        raise RuntimeError(f"rpcmon {' '.join(extra)} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout.splitlines()


def concatenate(paths, out):
    """Classic little-endian pcaps of one link type into one file, each shifted in time."""
    end = None
    with open(out, "wb") as w:
        for i, path in enumerate(paths):
            with open(path, "rb") as f:
                data = f.read()
            if data[:4] != b"\xd4\xc3\xb2\xa1" or len(data) < 24:
                raise RuntimeError(f"{path}: not a little-endian microsecond pcap")
            if i == 0:
                w.write(data[:24])
            off, shift = 24, None
            while off + 16 <= len(data):
                sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
                if shift is None:
                    shift = 0 if end is None else end + 10 - sec
                w.write(struct.pack("<IIII", sec + shift, usec, incl, orig))
                w.write(data[off + 16:off + 16 + incl])
                end = sec + shift
                off += 16 + incl


def masked(line, threads):
    """The line as compared; raises if a --threads 2 stats line lacks the worker counters."""
    if '"event_type":"stats"' not in line:
        return line
    rec = json.loads(line)
    pipe = rec["stats"]["pipeline"]
    for k in ("rss_kb", "anon_rss_kb", "max_rss_kb"):
        pipe.get("memory", {}).pop(k, None)
    worker = pipe.pop("worker", None)
    if (worker is not None) != (threads == 2):
        raise AssertionError(f"stats.pipeline.worker {'missing' if worker is None else 'present'} with --threads {threads}")
    return json.dumps(rec, separators=(",", ":"))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    rpcmon, names = sys.argv[1], set(sys.argv[2:])
    failed = checked = 0
    tmp = tempfile.TemporaryDirectory()
    runs = []
    for name, capture, extra in golden.cases():
        if names and name not in names:
            continue
        path = golden.resolve(capture)
        if path is None:
            print(f"SKIP {name}: {capture} not found")
            continue
        runs.append((name, path, extra, 0))
    if not names:
        repo = sorted({golden.resolve(c) for _, c, _ in golden.cases() if c.startswith("tests/data/")})
        joined = os.path.join(tmp.name, "all-lab.pcap")
        concatenate(repo, joined)
        runs.append((f"all-lab ({len(repo)} captures back to back)", joined, [], 4))
    for name, path, extra, min_batches in runs:
        for variant in VARIANTS:
            args = extra + variant
            label = f"{name} {' '.join(variant)}".strip()
            rc1, one = run(rpcmon, path, args + ["--threads", "1"])
            rc2, two = run(rpcmon, path, args + ["--threads", "2"])
            checked += 1
            try:
                a = [masked(l, 1) for l in one]
                b = [masked(l, 2) for l in two]
            except AssertionError as e:
                print(f"FAIL {label}: {e}")
                failed += 1
                continue
            batches = json.loads(two[-1])["stats"]["pipeline"]["worker"]["batches"] if two else 0
            if batches < min_batches:
                print(f"FAIL {label}: {batches} batches handed to the worker, expected at least {min_batches}")
                failed += 1
            elif rc1 != rc2:
                print(f"FAIL {label}: exit code {rc2} with --threads 2, {rc1} with --threads 1")
                failed += 1
            elif a != b:
                failed += 1
                print(f"FAIL {label}: {len(b)} lines with --threads 2, {len(a)} with --threads 1")
                for i, (x, y) in enumerate(zip(a, b)):
                    if x != y:
                        print(f"  first difference at line {i + 1}:\n    1: {x[:400]}\n    2: {y[:400]}")
                        break
                else:
                    print("  one output is a prefix of the other")
            else:
                print(f"ok {label}: {len(a)} lines")
    print(f"{checked} runs compared, {failed} failed")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
