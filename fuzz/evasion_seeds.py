#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hand-built fuzz seeds for the protocol-level evasion tricks (issue 16, items 3-4), so the
fuzzers start from inputs that reach the code handling them: SMB2 replies echoing another
FileId (macOS), async and compound responses, data counts past the NBSS record (SMB2 and SMB1),
DCE/RPC alter_context re-binding a context mid-call, interleaved fragments, object UUID, auth
padding, lying frag_length, and ONC records cut into 1-byte record-marking fragments.

make_seeds.py adds these before the capture-derived seeds; run alone it writes them into
fuzz/corpus/<target>/ (content-hash names, like make_seeds.py).
"""
import hashlib
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def le16(v): return struct.pack("<H", v)
def le32(v): return struct.pack("<I", v)
def le64(v): return struct.pack("<Q", v)
def be32(v): return struct.pack(">I", v)


def rec(op, payload):
    """Stream-script record (fuzz_util.h): [op u8][len u16 LE][payload]; op bit 0 = from server."""
    return bytes([op]) + le16(len(payload)) + payload


def script(cfg, packets):
    return bytes([cfg]) + b"".join(rec(d, p) for d, p in packets)


def nbss(msg):
    return b"\x00" + struct.pack(">I", len(msg))[1:] + msg


# ---- SMB2 ([MS-SMB2] 2.2.1.2 header, 2.2.31/2.2.32 IOCTL, 2.2.21 WRITE) ----

PIPE_TRANSCEIVE = 0x0011C017
FID = (0x11, 0x22)


def smb2_header(cmd, mid, flags=0, status=0, async_id=0, next_cmd=0, tid=5, sid=9):
    h = b"\xfeSMB" + le16(64) + le16(1) + le32(status) + le16(cmd) + le16(1) + le32(flags)
    h += le32(next_cmd) + le64(mid)
    h += le64(async_id) if flags & 2 else le32(0xFEFF) + le32(tid)
    return h + le64(sid) + bytes(16)


def ioctl_req(mid, fid, data):
    b = le16(57) + le16(0) + le32(PIPE_TRANSCEIVE) + le64(fid[0]) + le64(fid[1])
    b += le32(120) + le32(len(data)) + le32(0) + le32(120) + le32(0) + le32(1024) + le32(1) + le32(0)
    return smb2_header(0x0B, mid) + b + data


def ioctl_resp(mid, fid, data, flags=1, async_id=0):
    b = le16(49) + le16(0) + le32(PIPE_TRANSCEIVE) + le64(fid[0]) + le64(fid[1])
    b += le32(112) + le32(0) + le32(112) + le32(len(data)) + le32(0) + le32(0)
    return smb2_header(0x0B, mid, flags, async_id=async_id) + b + data


def write_req(mid, fid, data, declared=None):
    n = len(data) if declared is None else declared
    b = le16(49) + le16(112) + le32(n) + le64(0) + le64(fid[0]) + le64(fid[1])
    b += le32(0) + le32(0) + le16(0) + le16(0) + le32(0)
    return smb2_header(0x09, mid) + b + data


def pad8(m, next_cmd):
    m += bytes((8 - len(m) % 8) % 8)
    return m[:20] + le32(len(m) if next_cmd else 0) + m[24:]


# ---- DCE/RPC (C706 12.6) ----

SAMR = struct.pack("<IHH", 0x12345778, 0x1234, 0xABCD) + bytes.fromhex("ef000123456789ac")
SRVSVC = struct.pack("<IHH", 0x4B324FC8, 0x1670, 0x01D3) + bytes.fromhex("12785a47bf6ee188")
NDR = struct.pack("<IHH", 0x8A885D04, 0x1CEB, 0x11C9) + bytes.fromhex("9fe808002b104860")


def pdu(ptype, flags, call_id, body, auth=None, frag_len=None):
    tail = body
    alen = 0
    if auth is not None:
        pad = (4 - (16 + len(tail)) % 4) % 4
        tail += bytes(pad) + bytes([10, 5, pad, 0]) + le32(0) + auth
        alen = len(auth)
    n = 16 + len(tail) if frag_len is None else frag_len
    return bytes([5, 0, ptype, flags, 0x10, 0, 0, 0]) + le16(n) + le16(alen) + le32(call_id) + tail


def bind(call_id, items, alter=False):
    b = le16(5840) + le16(5840) + le32(0) + bytes([len(items), 0, 0, 0])
    for ctx, uuid, major in items:
        b += le16(ctx) + b"\x01\x00" + uuid + le16(major) + le16(0) + NDR + le32(2)
    return pdu(14 if alter else 11, 3, call_id, b)


def bind_ack(call_id, n, alter=False):
    b = le16(5840) + le16(5840) + le32(0x1234) + le16(0) + bytes(2)  # no secondary address
    b += bytes([n, 0, 0, 0]) + (le16(0) + le16(0) + NDR + le32(2)) * n
    return pdu(15 if alter else 12, 3, call_id, b)


def request(call_id, ctx, opnum, stub, flags=3, obj=None, auth=None, frag_len=None):
    b = le32(len(stub)) + le16(ctx) + le16(opnum)
    if obj is not None:
        b += obj
        flags |= 0x80
    return pdu(0, flags, call_id, b + stub, auth, frag_len)


def response(call_id, ctx, stub, flags=3):
    return pdu(2, flags, call_id, le32(len(stub)) + le16(ctx) + b"\x00\x00" + stub)


def dce_seeds():
    out = []
    # alter_context re-binds ctx 1 (samr) to srvsvc while call 3 is in flight.
    out.append(("dcerpc_stream", script(0, [
        (0, bind(2, [(1, SAMR, 1)])), (1, bind_ack(2, 1)),
        (0, request(3, 1, 13, bytes(24))),
        (0, bind(4, [(1, SRVSVC, 3)], alter=True)), (1, bind_ack(4, 1, alter=True)),
        (1, response(3, 1, bytes(16))),
        (0, request(5, 1, 15, bytes(4))), (1, response(5, 1, bytes(8)))])))
    # Interleaved fragments of calls 7 and 8, replies interleaved too.
    out.append(("dcerpc_stream", script(0, [
        (0, bind(1, [(0, SRVSVC, 3)])), (1, bind_ack(1, 1)),
        (0, request(7, 0, 31, bytes(20), 1)), (0, request(8, 0, 31, bytes(20), 1)),
        (0, request(7, 0, 31, bytes(20), 2)), (0, request(8, 0, 31, bytes(20), 2)),
        (1, response(8, 0, bytes(4), 1)), (1, response(7, 0, bytes(4), 1)),
        (1, response(8, 0, bytes(8), 2)), (1, response(7, 0, bytes(8), 2))])))
    # frag_length lies: above the negotiated 5840, below the header, shorter than the PDU.
    out.append(("dcerpc_stream", script(0, [
        (0, bind(2, [(1, SAMR, 1)])), (1, bind_ack(2, 1)),
        (0, request(3, 1, 1, bytes(8), frag_len=0xF000) + request(4, 1, 2, bytes(8))),
        (0, request(5, 1, 1, bytes(8), frag_len=8) + request(6, 1, 2, bytes(8))),
        (0, request(7, 1, 1, bytes(40), frag_len=32) + request(8, 1, 2, bytes(8))),
        (1, response(4, 1, bytes(8))), (1, response(6, 1, bytes(8))), (1, response(8, 1, bytes(8)))])))
    # The same as a named pipe's contents (cfg 1).
    out.append(("dcerpc_stream", script(1, [
        (0, bind(2, [(1, SAMR, 1)])), (1, bind_ack(2, 1)),
        (0, request(3, 1, 1, bytes(8), frag_len=0xF000) + request(4, 1, 2, bytes(8))),
        (1, response(4, 1, bytes(8)))])))
    obj = bytes.fromhex("74c0d8cce5d0404a92b4d074faa6ba28")
    out.append(("dcerpc_pdu", request(2, 0, 31, bytes(21), obj=obj)))            # object UUID
    out.append(("dcerpc_pdu", request(2, 0, 31, bytes(37), auth=bytes(16))))     # auth pad 3
    bad_pad = bytearray(request(3, 0, 31, bytes(37), auth=bytes(16)))
    bad_pad[len(bad_pad) - 16 - 8 + 2] = 0xF0                                    # pad past header
    out.append(("dcerpc_pdu", bytes(bad_pad)))
    return out


def smb_seeds():
    out = []
    req = b"\x05\x00\x00\x03\x10\x00\x00\x00" + bytes(16)
    resp = b"\x05\x00\x02\x03\x10\x00\x00\x00" + bytes(16)
    zero_persistent = (0, FID[1])
    # macOS-style echo, sync and async (STATUS_PENDING interim, then final with the AsyncId).
    interim = smb2_header(0x0B, 9, 1 | 2, status=0x00000103, async_id=0x99) + le16(9) + bytes(7)
    out.append(("smb_stream", script(0, [
        (0, nbss(ioctl_req(8, FID, req))), (1, nbss(ioctl_resp(8, zero_persistent, resp))),
        (0, nbss(ioctl_req(9, FID, req))), (1, nbss(interim)),
        (1, nbss(ioctl_resp(9, zero_persistent, resp, 1 | 2, 0x99)))])))
    # Two transceives answered in reverse order in one compound response.
    fid2 = (0x33, 0x44)
    chain = pad8(ioctl_resp(12, (0, 0), resp), True) + ioctl_resp(11, (0, 0), resp)
    out.append(("smb_stream", script(4, [
        (0, nbss(ioctl_req(11, FID, req))), (0, nbss(ioctl_req(12, fid2, req))),
        (1, nbss(chain))])))
    # WRITE Length and IOCTL InputCount past the record, then a normal message.
    lying_ioctl = bytearray(ioctl_req(13, FID, req))
    lying_ioctl[92:96] = le32(0xFFFF)
    out.append(("smb_stream", script(0, [
        (0, nbss(ioctl_req(10, FID, req))),
        (0, nbss(write_req(14, FID, req, declared=4096))), (0, nbss(bytes(lying_ioctl))),
        (0, nbss(write_req(15, FID, req)))])))
    out.append(("smb2", b"\x00" + ioctl_resp(8, zero_persistent, resp)))
    out.append(("smb2", b"\x00" + write_req(14, FID, req, declared=4096)))
    # SMB1 TransactNmPipe whose TotalDataCount/DataCount claim 240 of 72 bytes.
    # The real request of smb/test_util.h kTransactRequest, counts patched.
    t = bytearray(bytes.fromhex(
        "ff534d4225000000000801c80000000000000000000000000008ff1100083700" "10"
        "0000" "4800" "0000" "b810" "00" "00" "0000"
        "00000000" "0000" "0000" "5200" "4800" "5200" "02" "00" "2600" "0b40"
        "5700" "00" "5c0050004900500045005c000000"
        "05000b0310000000480000001d000000b810b8100000000001000000000001006a2819390cb1d0119ba800c04fd9"
        "2ef500000000045d888aeb1cc9119fe808002b10486002000000"))
    t[32 + 1 + 2] = 0xF0   # TotalDataCount = 240
    t[32 + 1 + 22] = 0xF0  # DataCount = 240
    out.append(("smb1", b"\x00" + bytes(t)))
    return out


def onc_one_byte_fragments(msg):
    return b"".join(be32((0x80000000 if i == len(msg) - 1 else 0) | 1) + msg[i:i + 1]
                    for i in range(len(msg)))


def onc_seeds():
    cred = be32(0x5F000001) + be32(3) + b"ws1\x00" + be32(0) + be32(0) + be32(1) + be32(0)
    call = be32(0x51) + be32(0) + be32(2) + be32(100003) + be32(3) + be32(3)
    call += be32(1) + be32(len(cred)) + cred + be32(0) + be32(0)
    call += be32(8) + bytes(range(1, 9)) + be32(6) + b"passwd\x00\x00"
    reply = be32(0x51) + be32(1) + be32(0) + be32(0) + be32(0) + be32(0) + be32(0) + be32(0)
    c, r = onc_one_byte_fragments(call), onc_one_byte_fragments(reply)
    return [("onc_record", b"\x00" + c), ("onc_record", b"\x01" + c),  # chunk sizes 8 and 1
            ("onc_stream", script(0, [(0, c), (1, r)])),
            ("onc_stream", script(0, [(0, bytes([x])) for x in c[:200]]))]


def seeds():
    """[(target, bytes)] in a fixed order."""
    return dce_seeds() + smb_seeds() + onc_seeds()


def main():
    for target, data in seeds():
        d = os.path.join(ROOT, "fuzz", "corpus", target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as fh:
            fh.write(data)
        print(f"{target:14s} {len(data):6d} bytes")


if __name__ == "__main__":
    main()
