#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Evasion suite (issue 16): rewrites lab attack captures the way an attacker who knows rpcmon
would - IP fragments, tiny and reordered TCP segments, insertions with bad checksums, RSTs with
bad checksums, overlapping data - so that the target host's own stack still accepts exactly the
original bytes, and requires `rpcmon analyze` to report the same rpc records and the same alerts
for every rewrite as for the original capture (flow ids masked: they number flows in order of
creation).

  evasion.py RPCMON [--keep DIR] [CAPTURE...]

Every rewrite keeps each packet's timestamp (all pieces of a packet share it), so latencies and
time windows are unchanged. Needs python3-scapy (tools/setup.sh). Exit 0 = every rewrite agrees.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile

from scapy.all import IP, IPv6, IPv6ExtHdrFragment, TCP, UDP, Ether, Raw, PcapReader, PcapWriter, fragment  # noqa: E402
from scapy.config import conf

conf.verb = 0
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "tests", "data", "lab")
# CreateServiceW, DCSync, LSARPC lookups / SAMR, winreg, an NFS AUTH_UNIX root session,
# and a lab NFS capture (TCP and UDP).
DEFAULT_CAPTURES = [
    "attacks/attack-svcctl.pcap", "attacks/attack-dcsync.pcap", "attacks/attack-samr-enum.pcap",
    "attacks/attack-winreg.pcap", "attacks/attack-nfs-root.pcap",
    "onc-nfs3.pcap",
]


# --- helpers -------------------------------------------------------------------------------------

def l4_data(p):
    """(layer, payload bytes) of a TCP/UDP packet over IPv4, else (None, b"")."""
    if IP not in p or (TCP not in p and UDP not in p):
        return None, b""
    l4 = p[TCP] if TCP in p else p[UDP]
    return l4, bytes(l4.payload)


def rebuild(p):
    """Recomputes lengths and checksums after an edit."""
    if IP in p:
        del p[IP].len
        del p[IP].chksum
    if IPv6 in p:
        del p[IPv6].plen
    if TCP in p:
        del p[TCP].chksum
    if UDP in p:
        del p[UDP].len
        del p[UDP].chksum
    q = Ether(bytes(p))
    q.time = p.time
    return q


def with_payload(p, seq_delta, data, flags=None):
    q = p.copy()
    t = q[TCP]
    t.seq = (t.seq + seq_delta) & 0xffffffff
    if flags is not None:
        t.flags = flags
    t.remove_payload()
    if data:
        t.add_payload(Raw(data))
    q.time = p.time
    return rebuild(q)


def bad_checksum(p):
    """The packet with a TCP checksum that is wrong (and not a transmit-offload pseudo sum)."""
    good = p[TCP].chksum
    q = p.copy()
    q[TCP].chksum = good ^ 0x5a5a
    q = Ether(bytes(q))
    q.time = p.time
    return q


def tcp_pieces(p, size):
    """Splits a TCP data segment into segments of `size` bytes (PSH/FIN kept on the last)."""
    t, data = p[TCP], bytes(p[TCP].payload)
    flags = int(t.flags)
    out = []
    for off in range(0, len(data), size):
        last = off + size >= len(data)
        f = flags if last else flags & ~0x09  # no FIN/PSH before the last piece
        out.append(with_payload(p, off, data[off:off + size], f))
    return out


# --- techniques: each maps one packet to the packets sent instead --------------------------------

def frag4(size, reverse=False, dup=False):
    def rewrite(p):
        l4, data = l4_data(p)
        if l4 is None or not data:
            return [p]
        frags = fragment(p[IP], fragsize=size)
        if dup:  # every fragment twice: the host ignores exact duplicates
            frags = [f for f in frags for _ in (0, 1)]
        if reverse:
            frags = list(reversed(frags))
        out = []
        for f in frags:
            e = Ether(src=p[Ether].src, dst=p[Ether].dst) / f
            e = Ether(bytes(e))
            e.time = p.time
            out.append(e)
        return out
    return rewrite


def to_v6_addr(a):
    b = [int(x) for x in a.split(".")]
    return "fd00::%x:%x" % (b[0] << 8 | b[1], b[2] << 8 | b[3])


_ids = itertools.count(1)


def v6(p, frag_size=None, reverse=False):
    """The IPv4 packet as IPv6 (addresses fd00::a.b.c.d); with frag_size, in IPv6 fragments."""
    if IP not in p:
        return [p]
    ip = p[IP]
    l4 = ip.payload.copy()
    if TCP in p:
        del l4.chksum
    elif UDP in p:
        del l4.chksum
        del l4.len
    src, dst = to_v6_addr(ip.src), to_v6_addr(ip.dst)
    whole = Ether(src=p[Ether].src, dst=p[Ether].dst) / IPv6(src=src, dst=dst, hlim=ip.ttl, nh=ip.proto) / l4
    whole = Ether(bytes(whole))
    whole.time = p.time
    _, data = l4_data(p)
    if frag_size is None or not data:
        return [whole]
    body = bytes(whole[IPv6].payload)  # L4 header + data, checksum already computed
    ident = next(_ids)
    out = []
    for off in range(0, len(body), frag_size):
        piece = body[off:off + frag_size]
        more = 1 if off + frag_size < len(body) else 0
        f = (Ether(src=p[Ether].src, dst=p[Ether].dst) / IPv6(src=src, dst=dst, hlim=ip.ttl) /
             IPv6ExtHdrFragment(nh=ip.proto, offset=off // 8, m=more, id=ident) / Raw(piece))
        f = Ether(bytes(f))
        f.time = p.time
        out.append(f)
    return list(reversed(out)) if reverse else out


def tiny_segments(p):
    if TCP not in p or not bytes(p[TCP].payload):
        return [p]
    return tcp_pieces(p, 8)


def reorder(p):
    """Each data segment as three segments sent last-first (the host's out-of-order queue)."""
    if TCP not in p or len(bytes(p[TCP].payload)) < 3:
        return [p]
    size = (len(bytes(p[TCP].payload)) + 2) // 3
    return list(reversed(tcp_pieces(p, size)))


def badsum_insertion(p):
    """Before each data segment, a copy with zeroed payload and a broken TCP checksum."""
    if TCP not in p:
        return [p]
    data = bytes(p[TCP].payload)
    if not data:
        return [p]
    decoy = with_payload(p, 0, b"\0" * len(data))
    return [bad_checksum(decoy), p]


def rst_insertion(p):
    """Before each data segment, a RST with a broken checksum at its sequence number."""
    if TCP not in p or not bytes(p[TCP].payload):
        return [p]
    rst = with_payload(p, 0, b"", flags="RA")
    return [bad_checksum(rst), p]


def overlap(p):
    """The segment as two: the second starts 8 bytes early with other bytes there, which the
    host discards (the bytes it queued first win)."""
    if TCP not in p:
        return [p]
    data = bytes(p[TCP].payload)
    if len(data) < 24:
        return [p]
    half = len(data) // 2
    flags = int(p[TCP].flags)
    first = with_payload(p, 0, data[:half], flags & ~0x09)
    junk = bytes((b ^ 0xA5) for b in data[half - 8:half])
    second = with_payload(p, half - 8, junk + data[half:], flags)
    return [first, second]


TECHNIQUES = {
    "frag4-184": frag4(184),
    "frag4-24": frag4(24),
    "frag4-reverse": frag4(184, reverse=True),
    "frag4-duplicates": frag4(96, dup=True),
    "tiny-segments-8": tiny_segments,
    "reorder": reorder,
    "badsum-insertion": badsum_insertion,
    "rst-badsum": rst_insertion,
    "overlap": overlap,
}
# Run twice: as analyze runs by default (the kernel's bulk skipping emulated: its flow tracker
# sees the sequence numbers jump and reports the bytes before as lost, which the stream layer
# must then take as a hole the reordered bytes can still fill) and without it.
BOTH_BULK_SKIP_MODES = {"reorder", "tiny-segments-8"}
# Compared with the capture converted to IPv6 unfragmented (addresses differ from the original).
V6_TECHNIQUES = {
    "frag6-232": lambda p: v6(p, 232),
    "frag6-24-reverse": lambda p: v6(p, 24, reverse=True),
}


def rewrite(src, dst, fn):
    with PcapReader(src) as r, PcapWriter(dst, linktype=1, sync=False) as w:
        for p in r:
            if Ether not in p:
                w.write(p)
                continue
            for q in fn(p):
                w.write(q)


def analyze(rpcmon, path, extra=()):
    out = subprocess.run([rpcmon, "analyze", path, *extra], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"rpcmon analyze {path}: exit {out.returncode}: {out.stderr.strip()}")
    recs, stats = [], {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if r.get("event_type") in ("rpc", "alert"):
            r.pop("flow_id", None)
            recs.append(json.dumps(r, sort_keys=True))
        elif r.get("event_type") == "stats":
            stats = r["stats"]
    return sorted(recs), stats


def counters(stats):
    c = dict(stats.get("pipeline", {}).get("anomalies", {}))
    c.update(stats.get("capture", {}).get("anomalies", {}))
    return c


def diff(a, b):
    sa, sb = set(a), set(b)
    lines = [f"  only in original: {x[:300]}" for x in sorted(sa - sb)[:3]]
    lines += [f"  only in rewrite:  {x[:300]}" for x in sorted(sb - sa)[:3]]
    if not lines:
        lines = [f"  same records, different counts: {len(a)} vs {len(b)}"]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rpcmon")
    ap.add_argument("captures", nargs="*")
    ap.add_argument("--keep", help="write the rewritten captures here")
    args = ap.parse_args()
    captures = [c if os.path.isabs(c) else os.path.join(LAB, c) for c in (args.captures or DEFAULT_CAPTURES)]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or tmp
        os.makedirs(work, exist_ok=True)
        for cap in captures:
            name = os.path.splitext(os.path.basename(cap))[0]
            base, _ = analyze(args.rpcmon, cap)
            n_rpc = sum(1 for r in base if '"event_type": "rpc"' in r)
            n_alert = len(base) - n_rpc
            if n_rpc == 0:
                print(f"FAIL {name}: the original capture gives no rpc record")
                failures += 1
                continue
            runs = [(t, fn, base) for t, fn in TECHNIQUES.items()]
            v6path = os.path.join(work, f"{name}.ipv6.pcap")
            rewrite(cap, v6path, lambda p: v6(p))
            v6base, _ = analyze(args.rpcmon, v6path)
            if sum(1 for r in v6base if '"event_type": "rpc"' in r) != n_rpc:
                print(f"FAIL {name} ipv6: the IPv6 conversion changes the number of rpc records")
                failures += 1
            runs += [(t, fn, v6base) for t, fn in V6_TECHNIQUES.items()]
            for tech, fn, want in runs:
                path = os.path.join(work, f"{name}.{tech}.pcap")
                rewrite(cap, path, fn)
                modes = [()]
                if tech in BOTH_BULK_SKIP_MODES:
                    modes.append(("--no-bulk-skip",))
                for extra in modes:
                    label = f"{name} {tech}{' ' + ' '.join(extra) if extra else ''}"
                    got, stats = analyze(args.rpcmon, path, extra)
                    c = counters(stats)
                    seen = ", ".join(f"{k}={v}" for k, v in sorted(c.items())
                                     if k.startswith(("defrag.", "tcp.bad", "tcp.overlap", "ip.bad", "udp.bad",
                                                      "tcp.kernel_loss")))
                    if got == want:
                        print(f"ok   {label}: {n_rpc} rpc, {n_alert} alerts  [{seen}]")
                    else:
                        print(f"FAIL {label}: {len(got)} records, want {len(want)}  [{seen}]\n{diff(want, got)}")
                        failures += 1
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
