#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates fuzz/corpus/<target>/ from real traffic (run through fuzz/make_seeds.sh).

Sources: the lab captures (tests/data/lab/*.pcap), the public corpus (../shared/corpus, skipped
when absent) and the DCE/RPC pipe fixtures (userspace/protocols/dcerpc/testdata/*.txt). tshark
extracts the TCP/UDP payloads; Ethernet frames for the classifier are read from the capture
files themselves (pcapng converted with editcap). Each seed is written in the input format of
its target (see the comment at the top of fuzz/<target>_fuzz.cc and fuzz/fuzz_util.h); file
names are content hashes, so regenerating is deterministic and duplicates collapse.
"""
import collections
import glob
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

import evasion_seeds  # fuzz/evasion_seeds.py: hand-built seeds for the evasion tricks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "corpus")

ONC_PORTS = {111, 2049}
SMB_PORTS = {139, 445}
DCE_PORTS = {135}
SERVER_PORTS = ONC_PORTS | SMB_PORTS | DCE_PORTS
# Same table as kPrograms in onc_body_fuzz.cc: portmap, nfs, mount, nlm, nsm, rquota, nfs_acl.
ONC_PROGRAMS = [100000, 100003, 100005, 100021, 100024, 100011, 100227]
NDR64 = bytes.fromhex("33057171babe37498319b5dbef9ccc36")  # 71710533-beba-4937-... in LE wire order

# Small seeds keep libFuzzer fast (it prefers short inputs) and the repository light: the whole
# corpus stays well under 2 MB.
MAX_SEED = 16 * 1024        # bytes per seed file
MAX_PER_TARGET = 120        # files per target (after de-duplication)
TARGET_BUDGET = 120 * 1024  # bytes per target

seeds = collections.defaultdict(dict)  # target -> {sha1: bytes}


budget = collections.Counter()


def add(target, data):
    data = bytes(data[:MAX_SEED])
    if target != "classifier":  # classifier seeds are trimmed at the end
        if len(seeds[target]) >= MAX_PER_TARGET or budget[target] + len(data) > TARGET_BUDGET:
            return
    h = hashlib.sha1(data).hexdigest()
    if h not in seeds[target]:
        budget[target] += len(data)
    seeds[target][h] = data


def rec(op, payload=b"", length=None):
    """One stream-script record: [op u8][len u16 LE][payload]."""
    n = len(payload) if length is None else length
    return bytes([op]) + struct.pack("<H", min(n, 0xFFFF)) + payload[:0xFFFF]


def script(cfg, packets, limit=MAX_SEED):
    """packets: [(dir, kind, bytes)] with kind 'tcp' or 'udp' → stream script."""
    out = bytearray([cfg])
    for d, kind, data in packets:
        r = rec((5 << 1 if kind == "udp" else 0) | d, data)
        if len(out) + len(r) > limit:
            break
        out += r
    return bytes(out)


# ---- capture reading ----

class Flow:
    def __init__(self, proto):
        self.proto = proto
        self.server_port = None
        self.packets = []  # (dir, kind, payload)

    def stream(self, d):
        return b"".join(p for dd, _, p in self.packets if dd == d)


def tshark_flows(pcap):
    fields = ["tcp.stream", "udp.stream", "tcp.srcport", "tcp.dstport", "udp.srcport",
              "udp.dstport", "tcp.payload", "udp.payload"]
    cmd = ["tshark", "-n", "-r", pcap, "-Y",
           "(tcp.len>0 && !tcp.analysis.retransmission) || (udp.length>8)", "-T", "fields",
           "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    flows = collections.OrderedDict()
    for line in res.stdout.splitlines():
        v = (line.split("\t") + [""] * len(fields))[:len(fields)]
        if v[0]:
            key, kind, sp, dp, hexp = ("tcp", v[0]), "tcp", v[2], v[3], v[6]
        elif v[1]:
            key, kind, sp, dp, hexp = ("udp", v[1]), "udp", v[4], v[5], v[7]
        else:
            continue
        if not hexp or not sp.isdigit() or not dp.isdigit():
            continue
        sp, dp = int(sp), int(dp)
        f = flows.setdefault(key, Flow(kind))
        if f.server_port is None:
            f.server_port = sp if (sp in SERVER_PORTS and dp not in SERVER_PORTS) else dp
        f.packets.append((0 if dp == f.server_port else 1, kind, bytes.fromhex(hexp.replace(":", ""))))
    return list(flows.values())


def fixture_flows(path):
    """dcerpc/testdata/*.txt: `stream epoch src sport dst dport hex` per TCP segment."""
    flows = collections.OrderedDict()
    for line in open(path):
        v = line.split()
        if len(v) != 7 or line.startswith("#"):
            continue
        sp, dp = int(v[3]), int(v[5])
        f = flows.setdefault(v[0], Flow("tcp"))
        if f.server_port is None:
            f.server_port = sp if (sp in SERVER_PORTS and dp not in SERVER_PORTS) else dp
        f.packets.append((0 if dp == f.server_port else 1, "tcp", bytes.fromhex(v[6])))
    return list(flows.values())


def ethernet_frames(pcap, limit):
    """First `limit` frames of an Ethernet capture (pcapng converted with editcap)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pcap
        with open(pcap, "rb") as fh:
            magic = fh.read(4)
        if magic == b"\x0a\x0d\x0d\x0a":
            path = os.path.join(tmp, "x.pcap")
            if subprocess.run(["editcap", "-F", "pcap", pcap, path], capture_output=True).returncode:
                return []
        data = open(path, "rb").read()
    if len(data) < 24:
        return []
    m = data[:4]
    endian = "<" if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    if struct.unpack(endian + "I", data[20:24])[0] != 1:  # LINKTYPE_ETHERNET only
        return []
    frames, off = [], 24
    while off + 16 <= len(data) and len(frames) < limit:
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


# ---- protocol helpers (just enough to cut seeds at message boundaries) ----

def app_of(f):
    first = next((p for _, _, p in f.packets), b"")
    if f.server_port in ONC_PORTS:
        return "onc"
    if f.server_port in SMB_PORTS:
        return "smb"
    if f.server_port in DCE_PORTS:
        return "dcerpc"
    if f.proto == "udp" and first[:1] == b"\x04":
        return "dcerpc"
    if f.proto == "tcp" and first[:1] == b"\x05" and first[1:2] in (b"\x00", b"\x01"):
        return "dcerpc"
    if f.proto == "tcp" and len(first) >= 16 and struct.unpack(">I", first[8:12])[0] == 0 and \
            struct.unpack(">I", first[12:16])[0] == 2:  # record mark, xid, CALL, rpcvers 2
        return "onc"
    if f.proto == "udp" and len(first) >= 12 and struct.unpack(">I", first[4:8])[0] == 0 and \
            struct.unpack(">I", first[8:12])[0] == 2:  # xid, CALL, rpcvers 2
        return "onc"
    return None


def onc_messages(f, d):
    """Whole ONC messages of one direction (TCP: record marking; UDP: datagrams)."""
    if f.proto == "udp":
        return [p for dd, _, p in f.packets if dd == d]
    s, out, rec_bytes, pos = f.stream(d), [], b"", 0
    while pos + 4 <= len(s):
        mark = struct.unpack(">I", s[pos:pos + 4])[0]
        n = mark & 0x7FFFFFFF
        if n > (16 << 20):
            break
        rec_bytes += s[pos + 4:pos + 4 + n]
        pos += 4 + n
        if mark & 0x80000000:
            out.append(rec_bytes)
            rec_bytes = b""
    return out


def onc_body_seeds(f):
    calls = {}
    for m in onc_messages(f, 0) + onc_messages(f, 1):
        if len(m) < 24:
            continue
        xid, mtype = struct.unpack(">II", m[:8])
        if mtype == 0 and len(m) >= 40:
            prog, vers, proc = struct.unpack(">III", m[12:24])
            off = 24
            clen = struct.unpack(">I", m[off + 4:off + 8])[0]
            off += 8 + ((clen + 3) & ~3)
            if off + 8 > len(m):
                continue
            vlen = struct.unpack(">I", m[off + 4:off + 8])[0]
            off += 8 + ((vlen + 3) & ~3)
            calls[xid] = (prog, vers, proc, m[off:])
        elif mtype == 1 and xid in calls and len(m) >= 24:
            stat = struct.unpack(">I", m[8:12])[0]
            vlen = struct.unpack(">I", m[16:20])[0]
            off = 20 + ((vlen + 3) & ~3)
            if stat != 0 or off + 4 > len(m) or struct.unpack(">I", m[off:off + 4])[0] != 0:
                continue
            prog, vers, proc, args = calls.pop(xid)
            if prog not in ONC_PROGRAMS or vers > 255 or proc > 255:
                continue
            args = args[:4096]
            yield (prog, vers, proc), bytes([3, ONC_PROGRAMS.index(prog), vers, proc]) + \
                struct.pack("<H", len(args)) + args + m[off + 4:off + 4 + 8192]


def nbss_messages(f, d):
    s, out, pos = f.stream(d), [], 0
    while pos + 4 <= len(s):
        t, n = s[pos], ((s[pos + 1] & 1) << 16 if f.server_port == 139 else s[pos + 1] << 16) | (s[pos + 2] << 8) | s[pos + 3]
        if t == 0 and n >= 4:
            out.append(s[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def smb2_security_blob(m):
    """SESSION_SETUP request/response security buffer of an SMB2 message, or b''."""
    if len(m) < 72 or m[:4] != b"\xfeSMB" or struct.unpack("<H", m[12:14])[0] != 1:
        return b""
    resp = struct.unpack("<I", m[16:20])[0] & 1
    o = 64 + (4 if resp else 12)
    if o + 4 > len(m):
        return b""
    off, ln = struct.unpack("<HH", m[o:o + 4])
    return m[off:off + ln]


def dce_pdus(f, d):
    s, out, pos = f.stream(d), [], 0
    while pos + 16 <= len(s) and s[pos] == 5:
        n = struct.unpack("<H" if s[pos + 4] & 0x10 else ">H", s[pos + 8:pos + 10])[0]
        if n < 16:
            break
        out.append(s[pos:pos + n])
        pos += n
    return out


def dce_ndr_seeds(f):
    """(key, seed) for request and response stubs, interface from the bind."""
    ctx, calls = {}, {}
    pdus = [(0, p) for p in dce_pdus(f, 0)] + [(1, p) for p in dce_pdus(f, 1)]
    for d, p in pdus:
        if len(p) < 24 or not p[4] & 0x10:
            continue  # little-endian only, keeps the cutter simple
        ptype, flags = p[2], p[3]
        flen, alen, call_id = struct.unpack("<HHI", p[8:16])
        body_end = flen - (alen + 8 if alen else 0)
        if ptype in (11, 14):  # bind / alter_context
            n, off = p[24], 28
            for _ in range(n):
                if off + 24 > len(p):
                    break
                cid, nts = struct.unpack("<HB", p[off:off + 3])
                uuid = p[off + 4:off + 20]
                ts = [p[off + 24 + 20 * i:off + 24 + 20 * i + 16] for i in range(nts)]
                ctx[cid] = (uuid, NDR64 in ts)
                off += 24 + 20 * nts
        elif ptype == 0 and len(p) >= 24:
            cid, opnum = struct.unpack("<HH", p[20:24])
            start = 24 + (16 if flags & 0x80 else 0)
            calls[call_id] = (cid, opnum)
            if cid in ctx:
                uuid, ndr64 = ctx[cid]
                stub = p[start:body_end]
                yield (uuid, opnum, 0), bytes([8 | (2 if ndr64 else 0)]) + uuid + struct.pack("<H", opnum) + stub
        elif ptype == 2 and call_id in calls:
            cid, opnum = calls[call_id]
            if cid in ctx:
                uuid, ndr64 = ctx[cid]
                yield (uuid, opnum, 1), bytes([4 | (2 if ndr64 else 0)]) + uuid + struct.pack("<H", opnum) + p[24:body_end]


# ---- main ----

def main():
    # Hand-built seeds first, so the per-target budget always keeps them.
    for target, data in evasion_seeds.seeds():
        add(target, data)
    pcaps = sorted(glob.glob(os.path.join(ROOT, "tests/data/lab/*.pcap")))
    if os.path.isdir(SHARED):
        pcaps += sorted(glob.glob(os.path.join(SHARED, "**/*.pcap*"), recursive=True))
    else:
        print(f"make_seeds: {SHARED} missing, lab captures only", file=sys.stderr)
    flows_by_source = [(p, tshark_flows(p)) for p in pcaps]
    for fx in sorted(glob.glob(os.path.join(ROOT, "userspace/protocols/dcerpc/testdata/*.txt"))):
        flows_by_source.append((fx, fixture_flows(fx)))

    seen_body, seen_smb, seen_pdu, seen_ndr = (collections.Counter() for _ in range(4))
    for src, flows in flows_by_source:
        if src.endswith(".pcap") or src.endswith(".pcapng"):
            frames = ethernet_frames(src, 24)
            if frames:
                add("classifier", bytes([0]) + b"".join(rec(0, fr) for fr in frames))
        for f in flows:
            app = app_of(f)
            if app == "onc":
                cfg = (1 if f.proto == "udp" else 0) | (8 if f.server_port == 111 else 0)
                add("onc_stream", script(cfg, f.packets[:200]))
                if f.proto == "tcp":
                    for d in (0, 1):
                        if f.stream(d):
                            add("onc_record", bytes([0x07 if d == 0 else 0x24]) + f.stream(d)[:16384])
                for key, seed in onc_body_seeds(f):
                    if seen_body[key] < 2:
                        seen_body[key] += 1
                        add("onc_body", seed)
            elif app == "smb":
                nb = f.server_port == 139
                add("smb_stream", script((1 if nb else 0) | (4 if len(seeds["smb_stream"]) % 2 else 0), f.packets[:300]))
                for d in (0, 1):
                    if f.stream(d):
                        add("nbss", bytes([1 if nb else 0]) + f.stream(d)[:8192])
                    for m in nbss_messages(f, d):
                        if m[:4] in (b"\xfeSMB", b"\xfdSMB"):
                            key = ("smb2", m[:4], m[12:14] if len(m) > 14 else b"", m[16] & 1 if len(m) > 16 else 0)
                            target = "smb2"
                        elif m[:4] == b"\xffSMB":
                            key = ("smb1", m[4:5], m[9:10])
                            target = "smb1"
                        else:
                            continue
                        if seen_smb[key] < 3:
                            seen_smb[key] += 1
                            add(target, bytes([1 if len(m) > MAX_SEED - 1 else 0]) + m)
                        blob = smb2_security_blob(m)
                        if blob:
                            add("ntlmssp", blob)
            elif app == "dcerpc":
                if f.proto == "udp":
                    add("dcerpc_stream", script(2, f.packets[:100]))
                    for _, _, p in f.packets[:20]:
                        add("dcerpc_pdu", p)
                    continue
                tcp_cfg = 1 if src.endswith(".txt") else 0  # pipe fixtures go in as pipes
                add("dcerpc_stream", script(tcp_cfg, f.packets[:200]))
                add("dcerpc_stream", script(tcp_cfg ^ 1, f.packets[:200]))
                for d in (0, 1):
                    for p in dce_pdus(f, d):
                        key = (p[2], p[3] & 3, len(p) > 1024)
                        if seen_pdu[key] < 4:
                            seen_pdu[key] += 1
                            add("dcerpc_pdu", p)
                        alen = struct.unpack("<H", p[10:12])[0] if len(p) >= 16 and p[4] & 0x10 else 0
                        if alen and alen <= len(p):
                            add("ntlmssp", p[len(p) - alen:])
                for key, seed in dce_ndr_seeds(f):
                    if seen_ndr[key] < 2:
                        seen_ndr[key] += 1
                        add("ndr", seed)

    # Classifier seeds are many similar frames: keep the smallest MAX_PER_TARGET.
    cls, used = {}, 0
    for h, data in sorted(seeds["classifier"].items(), key=lambda kv: len(kv[1])):
        if len(cls) >= MAX_PER_TARGET or used + len(data) > TARGET_BUDGET:
            break
        cls[h] = data
        used += len(data)
    seeds["classifier"] = cls

    total = 0
    for target in ["classifier", "onc_record", "onc_body", "onc_stream", "nbss", "smb2", "smb1",
                   "ntlmssp", "smb_stream", "dcerpc_pdu", "ndr", "dcerpc_stream"]:
        d = os.path.join(OUT, target)
        os.makedirs(d, exist_ok=True)
        for old in glob.glob(os.path.join(d, "*")):
            os.remove(old)
        size = 0
        for h, data in sorted(seeds[target].items()):
            with open(os.path.join(d, h), "wb") as fh:
                fh.write(data)
            size += len(data)
        total += size
        print(f"{target:14s} {len(seeds[target]):4d} files {size:8d} bytes")
    print(f"{'total':14s} {total:19d} bytes")


if __name__ == "__main__":
    main()
