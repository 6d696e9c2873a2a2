// SPDX-License-Identifier: Apache-2.0
// Builds Ethernet frames for classifier fixtures and benchmarks (Katran's PacketBuilder idea):
//   PacketBuilder().vlan(7).ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 2049).payload(bytes).build()
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace rpcmon::test {

class PacketBuilder {
public:
    PacketBuilder& vlan(uint16_t id) { vlan_ = id; has_vlan_ = true; return *this; }
    PacketBuilder& ipv4(const std::string& src, const std::string& dst) {
        v6_ = false;
        parse(AF_INET, src, src_);
        parse(AF_INET, dst, dst_);
        return *this;
    }
    PacketBuilder& ipv6(const std::string& src, const std::string& dst) {
        v6_ = true;
        parse(AF_INET6, src, src_);
        parse(AF_INET6, dst, dst_);
        return *this;
    }
    PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint32_t seq = 1000, uint8_t flags = 0x18) {
        l4_ = 6; sport_ = sport; dport_ = dport; seq_ = seq; flags_ = flags;
        return *this;
    }
    PacketBuilder& ack(uint32_t a) { ack_ = a; return *this; }
    PacketBuilder& udp(uint16_t sport, uint16_t dport) { l4_ = 17; sport_ = sport; dport_ = dport; return *this; }
    PacketBuilder& icmp() { l4_ = 1; return *this; }
    PacketBuilder& ipv4Fragment(uint16_t offset8) { frag_ = offset8; return *this; }
    PacketBuilder& payload(const std::vector<uint8_t>& p) { payload_ = p; return *this; }
    PacketBuilder& payloadSize(size_t n, uint8_t fill = 0x41) { payload_.assign(n, fill); return *this; }
    PacketBuilder& etherType(uint16_t t) { ether_override_ = t; return *this; }
    // The TCP/UDP checksum: right (default), wrong, only the pseudo-header sum (what a Linux
    // sender with transmit offload leaves: CHECKSUM_PARTIAL), or 0.
    enum class Csum { Good, Bad, Partial, Zero };
    PacketBuilder& checksum(Csum c) { csum_ = c; return *this; }

    std::vector<uint8_t> build() const {
        std::vector<uint8_t> f;
        const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 2}, smac[6] = {0x02, 0, 0, 0, 0, 1};
        f.insert(f.end(), dmac, dmac + 6);
        f.insert(f.end(), smac, smac + 6);
        if (has_vlan_) {
            put16(f, 0x8100);
            put16(f, vlan_);
        }
        put16(f, ether_override_ ? ether_override_ : (v6_ ? 0x86DD : 0x0800));
        std::vector<uint8_t> l4;
        if (l4_ == 6) {
            put16(l4, sport_); put16(l4, dport_); put32(l4, seq_); put32(l4, ack_);
            l4.push_back(5 << 4); l4.push_back(flags_); put16(l4, 65535); put16(l4, 0); put16(l4, 0);
        } else if (l4_ == 17) {
            put16(l4, sport_); put16(l4, dport_); put16(l4, static_cast<uint16_t>(8 + payload_.size())); put16(l4, 0);
        } else {
            l4 = {8, 0, 0, 0, 0, 1, 0, 1};
        }
        l4.insert(l4.end(), payload_.begin(), payload_.end());
        if ((l4_ == 6 || l4_ == 17) && csum_ != Csum::Zero) {
            uint32_t pseudo = 0;
            const uint8_t* a = v6_ ? src_ : src_ + 12;
            const uint8_t* b = v6_ ? dst_ : dst_ + 12;
            size_t alen = v6_ ? 16 : 4;
            for (size_t i = 0; i < alen; i += 2) pseudo += (a[i] << 8 | a[i + 1]) + (b[i] << 8 | b[i + 1]);
            pseudo += l4_ + static_cast<uint32_t>(l4.size());
            uint32_t sum = pseudo;
            for (size_t i = 0; i < l4.size(); i += 2) sum += (l4[i] << 8) | (i + 1 < l4.size() ? l4[i + 1] : 0);
            auto fold = [](uint32_t x) { while (x >> 16) x = (x & 0xffff) + (x >> 16); return static_cast<uint16_t>(x); };
            uint16_t field = static_cast<uint16_t>(~fold(sum));
            if (l4_ == 17 && field == 0) field = 0xffff;  // RFC 768: 0 means "no checksum"
            if (csum_ == Csum::Bad) field ^= 0x5a5a;
            if (csum_ == Csum::Partial) field = fold(pseudo);
            size_t at = l4_ == 6 ? 16 : 6;
            l4[at] = static_cast<uint8_t>(field >> 8);
            l4[at + 1] = static_cast<uint8_t>(field);
        }
        if (v6_) {
            f.push_back(0x60); f.push_back(0); put16(f, 0);
            put16(f, static_cast<uint16_t>(l4.size())); f.push_back(l4_); f.push_back(64);
            f.insert(f.end(), src_, src_ + 16);
            f.insert(f.end(), dst_, dst_ + 16);
        } else {
            size_t ip = f.size();
            f.push_back(0x45); f.push_back(0); put16(f, static_cast<uint16_t>(20 + l4.size()));
            put16(f, 1); put16(f, frag_); f.push_back(64); f.push_back(l4_); put16(f, 0);
            f.insert(f.end(), src_ + 12, src_ + 16);
            f.insert(f.end(), dst_ + 12, dst_ + 16);
            uint32_t sum = 0;
            for (size_t i = ip; i < ip + 20; i += 2) sum += (f[i] << 8) | f[i + 1];
            while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
            f[ip + 10] = static_cast<uint8_t>(~sum >> 8);
            f[ip + 11] = static_cast<uint8_t>(~sum);
        }
        f.insert(f.end(), l4.begin(), l4.end());
        return f;
    }

private:
    static void put16(std::vector<uint8_t>& v, uint16_t x) { v.push_back(x >> 8); v.push_back(x & 0xff); }
    static void put32(std::vector<uint8_t>& v, uint32_t x) { put16(v, x >> 16); put16(v, x & 0xffff); }
    static void parse(int af, const std::string& s, uint8_t* out) {
        std::memset(out, 0, 16);
        if (af == AF_INET) {
            out[10] = out[11] = 0xff;
            if (inet_pton(AF_INET, s.c_str(), out + 12) != 1) throw std::invalid_argument(s);
        } else if (inet_pton(AF_INET6, s.c_str(), out) != 1) {
            throw std::invalid_argument(s);
        }
    }

    bool v6_ = false, has_vlan_ = false;
    uint16_t vlan_ = 0, sport_ = 0, dport_ = 0, frag_ = 0, ether_override_ = 0;
    uint8_t l4_ = 6, flags_ = 0x18;
    Csum csum_ = Csum::Good;
    uint32_t seq_ = 1000, ack_ = 1;
    uint8_t src_[16] = {}, dst_[16] = {};
    std::vector<uint8_t> payload_;
};

// A minimal ONC RPC call as sent over TCP: record mark, xid, CALL, rpcvers 2, prog, vers, proc,
// AUTH_NULL cred and verifier (RFC 5531 section 9).
inline std::vector<uint8_t> oncCallTcp(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc) {
    uint32_t words[] = {0x80000028u, xid, 0, 2, prog, vers, proc, 0, 0, 0, 0};
    std::vector<uint8_t> v;
    for (uint32_t w : words) { v.push_back(w >> 24); v.push_back(w >> 16); v.push_back(w >> 8); v.push_back(w); }
    return v;
}

inline std::vector<uint8_t> oncCallUdp(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc) {
    auto v = oncCallTcp(xid, prog, vers, proc);
    v.erase(v.begin(), v.begin() + 4);
    return v;
}

// A DCE/RPC v5 bind header (C706 12.6.3.1) with little-endian data representation; 72 bytes.
inline std::vector<uint8_t> dceBind() {
    std::vector<uint8_t> v = {5, 0, 11, 0x03, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0};
    v.resize(72, 0);
    return v;
}

// A DCE/RPC v4 connectionless request header (C706 12.5.1), little-endian; 80 bytes.
inline std::vector<uint8_t> dceClRequest() {
    std::vector<uint8_t> v = {4, 0, 0x08 /* idempotent */, 0, 0x10, 0, 0, 0};
    v.resize(80, 0);
    return v;
}

}  // namespace rpcmon::test
