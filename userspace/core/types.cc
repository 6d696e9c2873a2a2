// SPDX-License-Identifier: Apache-2.0
#include "core/types.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace rpcmon {

bool isV4Mapped(const Address& a) {
    static constexpr uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(a.data(), prefix, sizeof prefix) == 0;
}

size_t formatAddressTo(char* out, const Address& a) {
    static_assert(kAddressTextMax >= INET6_ADDRSTRLEN);
    if (!isV4Mapped(a)) {
        inet_ntop(AF_INET6, a.data(), out, INET6_ADDRSTRLEN);
        return std::strlen(out);
    }
    char* p = out;
    for (int i = 12; i < 16; i++) {
        const unsigned v = a[i];
        if (v >= 100) *p++ = char('0' + v / 100);
        if (v >= 10) *p++ = char('0' + v / 10 % 10);
        *p++ = char('0' + v % 10);
        if (i < 15) *p++ = '.';
    }
    return size_t(p - out);
}

std::string formatAddress(const Address& a) {
    char buf[kAddressTextMax];
    return std::string(buf, formatAddressTo(buf, a));
}

size_t FlowKeyHash::operator()(const FlowKey& k) const {
    // FNV-1a over the fields; flows are few enough that quality beats speed here.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* p, size_t n) {
        auto b = static_cast<const uint8_t*>(p);
        for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    };
    mix(k.client.data(), 16);
    mix(k.server.data(), 16);
    mix(&k.client_port, 2);
    mix(&k.server_port, 2);
    mix(&k.l4proto, 1);
    mix(&k.vlan_id, 2);
    return h;
}

char* Uuid::write(char* out) const {
    static constexpr char kHex[] = "0123456789abcdef";
    auto hex = [&](uint64_t v, int digits) {
        for (int i = digits - 1; i >= 0; i--) *out++ = kHex[(v >> (4 * i)) & 0xf];
    };
    hex(d1, 8);
    *out++ = '-';
    hex(d2, 4);
    *out++ = '-';
    hex(d3, 4);
    *out++ = '-';
    hex(d4[0], 2);
    hex(d4[1], 2);
    *out++ = '-';
    for (int i = 2; i < 8; i++) hex(d4[i], 2);
    return out;
}

std::string Uuid::toString() const {
    char buf[36];
    return std::string(buf, size_t(write(buf) - buf));
}

static int uuidHexVal(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool Uuid::parse(std::string_view s, Uuid& out) {
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    uint8_t b[16];
    size_t bi = 0;
    for (size_t i = 0; i < s.size() && bi < 16;) {
        if (s[i] == '-') { i++; continue; }
        int hi = uuidHexVal(s[i]), lo = uuidHexVal(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        b[bi++] = uint8_t(hi << 4 | lo);
        i += 2;
    }
    if (bi != 16) return false;
    out.d1 = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
    out.d2 = uint16_t(b[4] << 8 | b[5]);
    out.d3 = uint16_t(b[6] << 8 | b[7]);
    for (int i = 0; i < 8; i++) out.d4[i] = b[8 + i];
    return true;
}

}  // namespace rpcmon
