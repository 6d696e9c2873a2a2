// SPDX-License-Identifier: Apache-2.0
#include "stream/checksum.h"

#include <cstring>
#include <string>

namespace rpcmon {
namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}

constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr int kMaxIpv6Ext = 4;  // as classify.h

}  // namespace

bool parseChecksumMode(const std::string& text, ChecksumMode& mode) {
    for (ChecksumMode m : {ChecksumMode::Auto, ChecksumMode::On, ChecksumMode::Off})
        if (text == checksumModeName(m)) {
            mode = m;
            return true;
        }
    return false;
}

const char* checksumModeName(ChecksumMode mode) {
    switch (mode) {
    case ChecksumMode::Off: return "off";
    case ChecksumMode::On: return "on";
    case ChecksumMode::Auto: return "auto";
    }
    return "auto";
}

uint32_t onesComplementAdd(uint32_t sum, Bytes d) {
    // 64-bit accumulator: no carry handling inside the loop (a 64 KiB datagram cannot overflow it).
    uint64_t s = sum;
    size_t i = 0, n = d.size();
    for (; i + 1 < n; i += 2) s += uint32_t(d[i] << 8 | d[i + 1]);
    if (i < n) s += uint32_t(d[i] << 8);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint32_t(s);
}

ChecksumInspection inspectChecksums(Bytes f) {
    ChecksumInspection r;
    if (f.size() < 14) return r;
    uint16_t ethertype = be16(&f[12]);
    size_t off = 14;
    if (ethertype == 0x8100 || ethertype == 0x88A8) {
        if (f.size() < 18) return r;
        ethertype = be16(&f[16]);
        off = 18;
    }
    uint32_t pseudo;
    size_t l4, end;
    if (ethertype == 0x0800) {
        if (f.size() < off + 20) return r;
        const uint8_t* h = &f[off];
        size_t ihl = size_t(h[0] & 0x0f) * 4, tot = be16(h + 2);
        if ((h[0] >> 4) != 4 || ihl < 20 || f.size() < off + ihl) return r;  // the classifier counts it
        std::memcpy(r.src.data() + 12, h + 12, 4);
        r.src[10] = r.src[11] = 0xff;
        r.ip = fold(onesComplementAdd(0, f.subspan(off, ihl))) == 0xffff ? ChecksumInspection::Good
               : be16(h + 10) == 0                                      ? ChecksumInspection::Offloaded
                                                                        : ChecksumInspection::Bad;
        if (be16(h + 6) & 0x3fff) return r;  // a fragment: L4 checked after reassembly
        if (tot == 0) tot = f.size() - off;  // TSO capture: no length to check against
        if (tot < ihl) return r;
        r.proto = h[9];
        l4 = off + ihl;
        end = off + tot;
        pseudo = onesComplementAdd(0, f.subspan(off + 12, 8)) + r.proto + uint32_t(tot - ihl);
    } else if (ethertype == 0x86DD) {
        if (f.size() < off + 40) return r;
        const uint8_t* h = &f[off];
        std::memcpy(r.src.data(), h + 8, 16);
        uint8_t proto = h[6];
        l4 = off + 40;
        for (int i = 0; i < kMaxIpv6Ext && (proto == 0 || proto == 43 || proto == 60 || proto == 44); i++) {
            if (f.size() < l4 + 8) return r;
            if (proto == 44) {
                if (be16(&f[l4 + 2]) & 0xfff9) return r;  // a fragment: checked after reassembly
                proto = f[l4];
                l4 += 8;
                continue;
            }
            proto = f[l4];
            l4 += (size_t(f[l4 + 1]) + 1) * 8;
        }
        r.proto = proto;
        end = off + 40 + be16(h + 4);
        if (end < l4) return r;
        pseudo = onesComplementAdd(0, f.subspan(off + 8, 32)) + proto + uint32_t(end - l4);
    } else {
        return r;
    }
    if (r.proto != kTcp && r.proto != kUdp) return r;
    size_t csum_at = l4 + (r.proto == kTcp ? 16 : 6);
    if (csum_at + 2 > end) return r;  // too short for its header: the classifier counts that
    if (end > f.size()) {
        r.l4 = ChecksumInspection::Unverifiable;  // cut by the capture's snap length
        return r;
    }
    uint16_t field = be16(&f[csum_at]);
    if (r.proto == kUdp && field == 0 && ethertype == 0x0800) return r;  // IPv4 UDP without a checksum
    if (fold(onesComplementAdd(pseudo, f.subspan(l4, end - l4))) == 0xffff) r.l4 = ChecksumInspection::Good;
    // Transmit offload seen on the sending host: the field holds only the pseudo-header sum
    // (Linux CHECKSUM_PARTIAL: th->check = ~csum_tcpudp_magic(saddr, daddr, len, proto, 0)).
    else if (field == fold(pseudo)) r.l4 = ChecksumInspection::Offloaded;
    else r.l4 = ChecksumInspection::Bad;
    return r;
}

namespace {

const char* l4Name(uint8_t proto, const char* what) {
    static const std::string names[] = {"tcp.bad_checksum", "udp.bad_checksum", "tcp.checksum_offloaded",
                                        "udp.checksum_offloaded", "tcp.checksum_unproven_source",
                                        "udp.checksum_unproven_source"};
    int i = std::string(what) == "bad" ? 0 : std::string(what) == "offloaded" ? 2 : 4;
    return names[i + (proto == kTcp ? 0 : 1)].c_str();
}

}  // namespace

bool checksumsAccept(Bytes f, ChecksumMode mode, AnomalyCounter& counters) {
    if (mode == ChecksumMode::Off) return true;
    bool autom = mode == ChecksumMode::Auto;
    ChecksumInspection r = inspectChecksums(f);
    if (r.ip == ChecksumInspection::Bad || (r.ip == ChecksumInspection::Offloaded && !autom)) {
        counters.count("ip.bad_checksum");
        return false;
    }
    if (r.ip == ChecksumInspection::Offloaded) counters.count("ip.checksum_offloaded");
    switch (r.l4) {
    case ChecksumInspection::Bad:
        counters.count(l4Name(r.proto, "bad"));
        return false;
    case ChecksumInspection::Offloaded:
        if (!autom) {
            counters.count(l4Name(r.proto, "bad"));
            return false;
        }
        counters.count(l4Name(r.proto, "offloaded"));
        return true;
    case ChecksumInspection::Unverifiable:
        counters.count("checksum.unverified");
        return true;
    default:
        return true;
    }
}

bool ChecksumValidator::accept(Bytes f) {
    if (mode_ != ChecksumMode::Auto) return checksumsAccept(f, mode_, counters_);
    ChecksumInspection r = inspectChecksums(f);
    if (r.ip == ChecksumInspection::NotChecked) return true;
    uint8_t* proven = nullptr;
    auto it = sources_.find(r.src);
    if (it != sources_.end()) {
        proven = &it->second;
    } else if (sources_.size() < max_sources_) {
        proven = &sources_[r.src];
    } else {
        counters_.count("checksum.sources_full");  // unknown sources are judged strictly
    }
    auto isProven = [&](uint8_t bit) { return !proven || (*proven & bit); };
    if (r.ip == ChecksumInspection::Good && proven) *proven |= kIpProven;
    uint8_t l4bit = r.proto == kTcp ? kTcpProven : kUdpProven;
    if (r.l4 == ChecksumInspection::Good && proven) *proven |= l4bit;
    if (r.ip == ChecksumInspection::Offloaded) {
        counters_.count("ip.checksum_offloaded");
    } else if (r.ip == ChecksumInspection::Bad) {
        if (isProven(kIpProven)) {
            counters_.count("ip.bad_checksum");
            return false;
        }
        counters_.count("ip.checksum_unproven_source");
    }
    switch (r.l4) {
    case ChecksumInspection::Bad:
        if (isProven(l4bit)) {
            counters_.count(l4Name(r.proto, "bad"));
            return false;
        }
        counters_.count(l4Name(r.proto, "unproven"));
        return true;
    case ChecksumInspection::Offloaded:
        counters_.count(l4Name(r.proto, "offloaded"));
        return true;
    case ChecksumInspection::Unverifiable:
        counters_.count("checksum.unverified");
        return true;
    default:
        return true;
    }
}

}  // namespace rpcmon
