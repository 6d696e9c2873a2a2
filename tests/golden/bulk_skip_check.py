#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Kernel-side bulk skipping must never change what rpcmon reports.

For every capture (the lab captures, the attack captures and the shared corpus) runs
`rpcmon analyze` twice - with --no-bulk-skip, and as is (the kernel's flow tracking emulated
offline, include/rpcmon/flow_track.h) - at the agent's default snap length (whole packets: the
snap length only caps traffic the kernel does not frame) - and requires the same records, line for line, and no new anomaly other than the skip's own
counters. On the lab's bulk captures the skipping must actually happen (bytes skipped, fewer
bytes delivered); their delivered/wire figures are printed.

usage: bulk_skip_check.py RPCMON [SHARED_CORPUS_DIR]
"""
import glob
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Counters that only the skipping produces, by design. tcp.kernel_loss_bytes is a capture
# loss the tracking kernel reports itself (without it: tcp.capture_loss_acked, from ACKs).
SKIP_ONLY = {"tcp.kernel_skipped_bytes", "tcp.kernel_loss_bytes", "smb.file_data_cut"}
BULK = ["tests/data/lab/onc-nfs-bulk.pcap", "tests/data/lab/smb-bulk.pcap",
        "tests/data/lab/offload/onc-nfs-bulk.pcap", "tests/data/lab/offload/smb-bulk.pcap"]


def analyze(rpcmon, pcap, extra):
    p = subprocess.run([rpcmon, "analyze", "--no-detect", *extra, pcap], capture_output=True, text=True)
    lines = p.stdout.splitlines()
    records = [line for line in lines if '"event_type":"stats"' not in line]
    stats = [json.loads(line) for line in lines if '"event_type":"stats"' in line]
    return p.returncode, records, stats[-1]["stats"] if stats else None


def main():
    rpcmon = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "..", "shared", "corpus")
    pcaps = sorted(glob.glob(os.path.join(REPO, "tests/data/lab/*.pcap")))
    pcaps += sorted(glob.glob(os.path.join(REPO, "tests/data/lab/attacks/*.pcap")))
    # Taken with the veth offloads on (GSO super-packets up to 64 KiB), and TSO-style copies of
    # them (IPv4 total length 0: tests/golden/tso_capture.py).
    pcaps += sorted(glob.glob(os.path.join(REPO, "tests/data/lab/offload/*.pcap")))
    pcaps += sorted(glob.glob(os.path.join(corpus, "**/*.pcap*"), recursive=True))
    failures = []
    for pcap in pcaps:
        for snap in ([],):
            rc_a, rec_a, st_a = analyze(rpcmon, pcap, snap + ["--no-bulk-skip"])
            rc_b, rec_b, st_b = analyze(rpcmon, pcap, snap)
            name = os.path.relpath(pcap, REPO) + (" --snaplen 1536" if snap else "")
            if rc_a != rc_b:
                failures.append(f"{name}: exit {rc_a} without, {rc_b} with bulk skipping")
                continue
            if rec_a != rec_b:
                diff = next(i for i, (x, y) in enumerate(zip(rec_a + [""], rec_b + [""])) if x != y)
                failures.append(f"{name}: records differ from line {diff + 1} ({len(rec_a)} vs {len(rec_b)})\n"
                                f"  without: {(rec_a + [''])[diff][:300]}\n  with:    {(rec_b + [''])[diff][:300]}")
                continue
            if st_a is None:
                continue  # a capture rpcmon rejects: same exit code is all there is to compare
            # Skipping may turn snap-length gaps into skips (fewer gaps), never add a problem.
            an_a = st_a["pipeline"]["anomalies"]
            an_b = st_b["pipeline"]["anomalies"]
            worse = {k: v for k, v in an_b.items() if k not in SKIP_ONLY and v > an_a.get(k, 0)}
            if worse:
                failures.append(f"{name}: more anomalies with bulk skipping: {worse}\n  without: {an_a}\n  with:    {an_b}")
    for rel in BULK:
        _, _, st = analyze(rpcmon, os.path.join(REPO, rel), [])
        c = st["capture"]["classifier"]
        _, _, plain = analyze(rpcmon, os.path.join(REPO, rel), ["--no-bulk-skip"])
        p = plain["capture"]["classifier"]
        print(f"{rel}: wire {c['bytes_classified']} B, delivered {c['bytes_delivered']} B "
              f"({100.0 * c['bytes_delivered'] / c['bytes_classified']:.2f} %; without skipping "
              f"{100.0 * p['bytes_delivered'] / p['bytes_classified']:.2f} %), bulk skipped "
              f"{c['bulk_bytes_skipped']} B in {c['bulk_packets_skipped']} whole segments, "
              f"acks suppressed {c['acks_suppressed']}, lost sync {c['track_lost_sync']}")
        if c["bulk_bytes_skipped"] < 0.5 * c["bytes_classified"]:
            failures.append(f"{rel}: only {c['bulk_bytes_skipped']} of {c['bytes_classified']} bytes skipped")
        if c["bytes_delivered"] * 4 > p["bytes_delivered"]:
            failures.append(f"{rel}: delivered {c['bytes_delivered']} B, not under a quarter of {p['bytes_delivered']} B")
        if c["track_lost_sync"]:
            failures.append(f"{rel}: tracking lost sync {c['track_lost_sync']} times on clean traffic")
    print(f"{len(pcaps)} captures compared")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
