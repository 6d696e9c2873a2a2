#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a copy of a classic Ethernet pcap as a host with TCP segmentation offload records it:
every IPv4 frame longer than the MTU (a GSO/TSO super-packet) gets an IPv4 total length of 0
and an IPv4 header checksum of 0 - the NIC fills both in per segment, so captures taken on
such hosts (Windows and Linux alike) carry them like this. Wireshark then uses the frame length
("presumed TSO"); rpcmon must too.

usage: tso_capture.py IN.pcap OUT.pcap [MTU]   (prints how many frames were rewritten)
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    mtu = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
    data = bytearray(open(src, "rb").read())
    magic = struct.unpack_from("<I", data, 0)[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack_from(end + "I", data, 0)[0] not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("not a classic pcap")
    if struct.unpack_from(end + "I", data, 20)[0] != 1:
        sys.exit("not Ethernet")
    off, rewritten = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack_from(end + "I", data, off + 8)[0]
        f = off + 16
        if incl >= 14 + 20 and data[f + 12:f + 14] == b"\x08\x00" and data[f + 14] >> 4 == 4:
            tot = struct.unpack_from(">H", data, f + 16)[0]
            if tot > mtu:
                struct.pack_into(">H", data, f + 16, 0)
                struct.pack_into(">H", data, f + 24, 0)
                rewritten += 1
        off = f + incl
    open(dst, "wb").write(data)
    print(f"{dst}: {rewritten} frames above {mtu} bytes now carry IPv4 total length 0")


if __name__ == "__main__":
    main()
