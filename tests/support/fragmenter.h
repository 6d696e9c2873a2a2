// SPDX-License-Identifier: Apache-2.0
// Turns whole Ethernet frames (PacketBuilder's) into IPv4 / IPv6 fragments, and fills in TCP/UDP
// checksums, for the reassembly tests and the reassembly benchmark.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/byte_reader.h"
#include "stream/checksum.h"

namespace rpcmon::test {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }

// Fills in the TCP or UDP checksum of an unfragmented IPv4/IPv6 frame (PacketBuilder leaves 0).
inline void fixL4Checksum(std::vector<uint8_t>& f) {
    bool v6 = be16(&f[12]) == 0x86DD;
    size_t ip = 14, l4 = v6 ? ip + 40 : ip + size_t(f[ip] & 15) * 4;
    uint8_t proto = v6 ? f[ip + 6] : f[ip + 9];
    size_t end = v6 ? ip + 40 + be16(&f[ip + 4]) : ip + be16(&f[ip + 2]);
    size_t at = l4 + (proto == 6 ? 16 : 6);
    put16(&f[at], 0);
    uint32_t pseudo = onesComplementAdd(0, Bytes(&f[ip + (v6 ? 8 : 12)], v6 ? 32 : 8)) + proto + uint32_t(end - l4);
    uint32_t s = onesComplementAdd(pseudo, Bytes(&f[l4], end - l4));
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    put16(&f[at], uint16_t(~s));
}

// Splits an IPv4 frame (Ethernet, no VLAN, 20-byte header) into fragments of `size` payload
// bytes (a multiple of 8), with the header checksum of each recomputed; id < 0 keeps the frame's.
inline std::vector<std::vector<uint8_t>> fragmentV4(const std::vector<uint8_t>& f, size_t size, int id = -1) {
    size_t ip = 14, ihl = size_t(f[ip] & 15) * 4, tot = be16(&f[ip + 2]);
    if (id < 0) id = be16(&f[ip + 4]);
    std::vector<std::vector<uint8_t>> out;
    for (size_t off = 0; off < tot - ihl; off += size) {
        size_t n = std::min(size, tot - ihl - off);
        std::vector<uint8_t> g(f.begin(), f.begin() + long(ip + ihl));
        g.insert(g.end(), f.begin() + long(ip + ihl + off), f.begin() + long(ip + ihl + off + n));
        put16(&g[ip + 2], uint16_t(ihl + n));
        put16(&g[ip + 4], uint16_t(id));
        put16(&g[ip + 6], uint16_t((off / 8) | (off + n < tot - ihl ? 0x2000 : 0)));
        put16(&g[ip + 10], 0);
        uint32_t s = onesComplementAdd(0, Bytes(&g[ip], ihl));
        put16(&g[ip + 10], uint16_t(~s));
        out.push_back(std::move(g));
    }
    return out;
}

// Splits an IPv6 frame (no extension headers) into fragments with a fragment header.
inline std::vector<std::vector<uint8_t>> fragmentV6(const std::vector<uint8_t>& f, size_t size, uint32_t id = 0x1234) {
    size_t ip = 14, plen = be16(&f[ip + 4]);
    uint8_t nh = f[ip + 6];
    std::vector<std::vector<uint8_t>> out;
    for (size_t off = 0; off < plen; off += size) {
        size_t n = std::min(size, plen - off);
        std::vector<uint8_t> g(f.begin(), f.begin() + long(ip + 40));
        g[ip + 6] = 44;
        put16(&g[ip + 4], uint16_t(8 + n));
        uint8_t fh[8] = {nh, 0, 0, 0, uint8_t(id >> 24), uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)};
        put16(fh + 2, uint16_t(off | (off + n < plen ? 1 : 0)));
        g.insert(g.end(), fh, fh + 8);
        g.insert(g.end(), f.begin() + long(ip + 40 + off), f.begin() + long(ip + 40 + off + n));
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace rpcmon::test
