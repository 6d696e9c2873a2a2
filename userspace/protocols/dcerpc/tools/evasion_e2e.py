#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end check of the protocol-level evasion tricks (issue 16, items 3-4) through
`rpcmon analyze`: writes small pcaps (Ethernet/IPv4/TCP, valid checksums, full handshake) built
with fuzz/evasion_seeds.py's wire builders, runs the binary, and requires the calls and the named
anomaly counters each trick must yield. Usage: evasion_e2e.py PATH/TO/rpcmon
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(ROOT, "fuzz"))
import evasion_seeds as E  # noqa: E402


def csum(b):
    """RFC 1071 Internet checksum."""
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ph = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(ph + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp


def conv(path, sport, dport, msgs):
    """msgs: [(dir, bytes)], dir 0 client→server. Handshake, data (one segment per message, split
    at 1400 bytes), FIN."""
    C, S = [10, 9, 0, 1], [10, 9, 0, 2]
    cs, ss = 1000, 5000
    out, t = [], 0
    def add(f):
        nonlocal t
        t += 1000
        out.append((t, f))
    add(frame(C, S, sport, dport, cs, 0, 0x02, b"")); cs += 1
    add(frame(S, C, dport, sport, ss, cs, 0x12, b"")); ss += 1
    add(frame(C, S, sport, dport, cs, ss, 0x10, b""))
    for d, m in msgs:
        for i in range(0, len(m), 1400):
            part = m[i:i + 1400]
            if d == 0:
                add(frame(C, S, sport, dport, cs, ss, 0x18, part)); cs += len(part)
            else:
                add(frame(S, C, dport, sport, ss, cs, 0x18, part)); ss += len(part)
    add(frame(C, S, sport, dport, cs, ss, 0x11, b"")); cs += 1
    add(frame(S, C, dport, sport, ss, cs, 0x11, b"")); ss += 1
    add(frame(C, S, sport, dport, cs, ss, 0x10, b""))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in out:
            f.write(struct.pack("<IIII", 1764000000 + ts // 1000000, ts % 1000000, len(fr), len(fr)) + fr)


def unscript(s):
    s, out = s[1:], []
    while s:
        op, n = s[0], struct.unpack("<H", s[1:3])[0]
        out.append((op & 1, s[3:3 + n]))
        s = s[3 + n:]
    return out


def run(rpcmon, pcap):
    out = subprocess.run([rpcmon, "analyze", "--no-detect", pcap], check=True, capture_output=True,
                         text=True).stdout
    calls, anomalies = [], {}
    for line in out.splitlines():
        d = json.loads(line)
        if d["event_type"] == "rpc":
            calls.append(d)
        elif d["event_type"] == "stats":
            anomalies = d["stats"]["pipeline"]["anomalies"]
    return calls, anomalies


def main():
    rpcmon = sys.argv[1]
    fid, echo = E.FID, (0, E.FID[1])
    samr_bind = E.bind(2, [(1, E.SAMR, 1)])
    status_ok = bytes(12) + bytes(4)
    cases = {
        # ONC: an NFSv3 LOOKUP and its reply cut into 1-byte record-marking fragments.
        "onc_1byte": (800, 2049, unscript(E.onc_seeds()[2][1])),
        # SMB2 pipe transceives answered with FileId {0, volatile} (macOS).
        "smb_macos_echo": (49152, 445, [
            (0, E.nbss(E.ioctl_req(8, fid, samr_bind))),
            (1, E.nbss(E.ioctl_resp(8, echo, E.bind_ack(2, 1)))),
            (0, E.nbss(E.ioctl_req(9, fid, E.request(3, 1, 13, bytes(24))))),
            (1, E.nbss(E.ioctl_resp(9, echo, E.response(3, 1, bytes(12) + b"\x05\x01\x00\x00"))))]),
        # SMB2 WRITE whose Length claims 4096 bytes the record does not hold.
        "smb_write_beyond": (49154, 445, [
            (0, E.nbss(E.ioctl_req(8, fid, samr_bind))),
            (1, E.nbss(E.ioctl_resp(8, fid, E.bind_ack(2, 1)))),
            (0, E.nbss(E.write_req(9, fid, E.request(3, 1, 13, bytes(24)), declared=4096))),
            (0, E.nbss(E.ioctl_req(10, fid, E.request(4, 1, 13, bytes(24))))),
            (1, E.nbss(E.ioctl_resp(10, fid, E.response(4, 1, status_ok))))]),
        # DCE/RPC on TCP 135: a frag_length (61440) above the negotiated 5840, then a real call.
        "dce_fraglen": (49153, 135, [
            (0, samr_bind), (1, E.bind_ack(2, 1)),
            (0, E.request(3, 1, 13, bytes(24), frag_len=0xF000) + E.request(4, 1, 13, bytes(24))),
            (1, E.response(4, 1, status_ok))]),
    }
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, (sport, dport, msgs) in cases.items():
            path = os.path.join(tmp, name + ".pcap")
            conv(path, sport, dport, msgs)
            results[name] = run(rpcmon, path)

    def expect(name, cond, what):
        if not cond:
            failures.append(f"{name}: {what}: calls={[(c['rpc'].get('xid', c['rpc'].get('call_id')), c['rpc'].get('reply')) for c in results[name][0]]} anomalies={results[name][1]}")

    calls, an = results["onc_1byte"]
    expect("onc_1byte", len(calls) == 1 and calls[0].get("nfs", {}).get("name") == "passwd"
           and calls[0]["rpc"]["reply"] and calls[0]["nfs"].get("status") == "NFS3_OK", "LOOKUP passwd joined with its reply")
    calls, an = results["smb_macos_echo"]
    expect("smb_macos_echo", len(calls) == 1 and calls[0]["rpc"]["reply"]
           and calls[0]["rpc"]["reply"]["status"] == "0x00000105", "reply joined by MessageId")
    expect("smb_macos_echo", an.get("smb.echoed_file_id_differs") == 2, "echo counted")
    calls, an = results["smb_write_beyond"]
    expect("smb_write_beyond", sorted(c["rpc"]["call_id"] for c in calls) == [3, 4], "both calls reported")
    expect("smb_write_beyond", an.get("smb.data_beyond_record") == 1 and "smb.bad_body" not in an, "clamped and counted")
    calls, an = results["dce_fraglen"]
    expect("dce_fraglen", [c["rpc"]["call_id"] for c in calls] == [4] and calls[0]["rpc"]["reply"], "call after the lie reported with its reply")
    expect("dce_fraglen", an.get("dcerpc.frag_len_over_negotiated") == 1, "lie counted")
    for f in failures:
        print("FAIL", f)
    print(f"{len(cases)} captures, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
