// SPDX-License-Identifier: Apache-2.0
#include "stream/checksum.h"

#include "rpcmon/wire.h"
#include "stream/anomalies.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <tuple>

namespace rpcmon {
namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// End-around carry down to 16 bits: 0 stays 0, any other sum becomes 1..0xffff.
uint16_t fold(uint64_t sum) {
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

namespace {

uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // any alignment: a frame's payload starts where its headers end
    return v;
}

// a + b modulo 2^64 - 1 (the carry out added back in). Never 0 unless both are 0.
uint64_t addEndAround(uint64_t a, uint64_t b) {
    a += b;
    return a + (a < b);
}

}  // namespace

uint32_t onesComplementAdd(uint32_t sum, Bytes d) {
    // As Linux's csum_partial: 8 bytes per step, summed as native 64-bit words with end-around
    // carry. 2^16 - 1 divides 2^64 - 1, so folding that sum to 16 bits gives the one's-complement
    // sum of the same bytes read as native 16-bit words: on a little-endian host the byte swap of
    // the sum of the big-endian words (swapping the bytes of every word swaps their sum's). The
    // fold keeps a nonzero sum nonzero, so the result is bit for bit the 16-bit loop's, 0 versus
    // 0xffff included (tests/unit/checksum_test.cc). Pairs of bytes count from data[0], whatever
    // its address.
    const uint8_t* p = d.data();
    size_t n = d.size();
    // Two chains of (sum, carries), so one add need not wait for the previous one's carry; the
    // carry counts cannot overflow (one per 8 bytes).
    uint64_t s1 = 0, s2 = 0, c1 = 0, c2 = 0;
    for (; n >= 32; p += 32, n -= 32) {
        uint64_t w = load64(p);
        s1 += w;
        c1 += s1 < w;
        w = load64(p + 8);
        s2 += w;
        c2 += s2 < w;
        w = load64(p + 16);
        s1 += w;
        c1 += s1 < w;
        w = load64(p + 24);
        s2 += w;
        c2 += s2 < w;
    }
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w = load64(p);
        s1 += w;
        c1 += s1 < w;
    }
    // The last 0..7 bytes. Their pairs still start at even offsets from data[0], and a word's
    // place in the sum does not matter (2^16k = 1 modulo 2^16 - 1): a 4-byte, a 2-byte word and a
    // last odd byte are added as they are, that byte as the first of a pair whose second is 0.
    uint64_t rest = 0;
    if (n & 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);
        rest += w;
        p += 4;
    }
    if (n & 2) {
        uint16_t w;
        std::memcpy(&w, p, 2);
        rest += w;
        p += 2;
    }
    if (n & 1) rest += std::endian::native == std::endian::little ? uint64_t(*p) : uint64_t(*p) << 8;
    uint64_t s = addEndAround(addEndAround(s1, s2), c1 + c2 + rest);
    // 64 -> 32 -> 16 bits, end-around each time: twice each is enough (2^64 - 1 -> 2^33 - 2 ->
    // 2^32 - 1 -> 2^17 - 2 -> 2^16 - 1).
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    uint16_t folded = uint16_t((s & 0xffff) + (s >> 16));
    if constexpr (std::endian::native == std::endian::little) folded = __builtin_bswap16(folded);
    return fold(uint64_t(sum) + folded);
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

enum class L4Verdict { Bad, Offloaded, Unproven };

ChecksumAnomaly l4Anomaly(uint8_t proto, L4Verdict v) {
    bool tcp = proto == kTcp;
    switch (v) {
    case L4Verdict::Bad: return tcp ? ChecksumAnomaly::TcpBad : ChecksumAnomaly::UdpBad;
    case L4Verdict::Offloaded: return tcp ? ChecksumAnomaly::TcpOffloaded : ChecksumAnomaly::UdpOffloaded;
    case L4Verdict::Unproven: break;
    }
    return tcp ? ChecksumAnomaly::TcpUnprovenSource : ChecksumAnomaly::UdpUnprovenSource;
}

}  // namespace

bool checksumsAccept(Bytes f, ChecksumMode mode, AnomalyCounter& counters) {
    if (mode == ChecksumMode::Off) return true;
    bool autom = mode == ChecksumMode::Auto;
    ChecksumInspection r = inspectChecksums(f);
    if (r.ip == ChecksumInspection::Bad || (r.ip == ChecksumInspection::Offloaded && !autom)) {
        counters.count(ChecksumAnomaly::IpBad);
        return false;
    }
    if (r.ip == ChecksumInspection::Offloaded) counters.count(ChecksumAnomaly::IpOffloaded);
    switch (r.l4) {
    case ChecksumInspection::Bad:
        counters.count(l4Anomaly(r.proto, L4Verdict::Bad));
        return false;
    case ChecksumInspection::Offloaded:
        if (!autom) {
            counters.count(l4Anomaly(r.proto, L4Verdict::Bad));
            return false;
        }
        counters.count(l4Anomaly(r.proto, L4Verdict::Offloaded));
        return true;
    case ChecksumInspection::Unverifiable:
        counters.count(ChecksumAnomaly::Unverified);
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
    if (last_proven_ && r.src == last_src_) {
        proven = last_proven_;  // a run of frames from one sender: no hash, no lookup
    } else {
        auto it = sources_.find(r.src);
        if (it != sources_.end()) {
            proven = &it->second;
        } else if (sources_.size() < max_sources_) {
            proven = &sources_[r.src];
        } else {
            counters_.count(ChecksumAnomaly::SourcesFull);  // unknown sources are judged strictly
        }
        // Entries are never erased and a rehash moves no element: the pointer stays valid.
        last_src_ = r.src;
        last_proven_ = proven;
    }
    auto isProven = [&](uint8_t bit) { return !proven || (*proven & bit); };
    if (r.ip == ChecksumInspection::Good && proven) *proven |= kIpProven;
    uint8_t l4bit = r.proto == kTcp ? kTcpProven : kUdpProven;
    if (r.l4 == ChecksumInspection::Good && proven) *proven |= l4bit;
    if (r.ip == ChecksumInspection::Offloaded) {
        counters_.count(ChecksumAnomaly::IpOffloaded);
    } else if (r.ip == ChecksumInspection::Bad) {
        if (isProven(kIpProven)) {
            counters_.count(ChecksumAnomaly::IpBad);
            return false;
        }
        counters_.count(ChecksumAnomaly::IpUnprovenSource);
    }
    switch (r.l4) {
    case ChecksumInspection::Bad:
        if (isProven(l4bit)) {
            counters_.count(l4Anomaly(r.proto, L4Verdict::Bad));
            return false;
        }
        counters_.count(l4Anomaly(r.proto, L4Verdict::Unproven));
        return true;
    case ChecksumInspection::Offloaded:
        counters_.count(l4Anomaly(r.proto, L4Verdict::Offloaded));
        return true;
    case ChecksumInspection::Unverifiable:
        counters_.count(ChecksumAnomaly::Unverified);
        return true;
    default:
        return true;
    }
}

size_t UndecidedSegments::ConnHash::operator()(const ConnKey& k) const {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : k.a) h = (h ^ b) * 1099511628211ull;
    for (uint8_t b : k.b) h = (h ^ b) * 1099511628211ull;
    return h ^ (uint64_t(k.pa) << 16 | k.pb);
}

UndecidedSegments::ConnKey UndecidedSegments::connKey(const SegmentView& v) {
    ConnKey k;
    bool src_low = std::tie(v.src, v.sport) < std::tie(v.dst, v.dport);
    k.a = src_low ? v.src : v.dst;
    k.pa = src_low ? v.sport : v.dport;
    k.b = src_low ? v.dst : v.src;
    k.pb = src_low ? v.dport : v.sport;
    return k;
}

void UndecidedSegments::count(Kind kind, Outcome outcome) {
    using A = ChecksumAnomaly;
    static constexpr A kBad[] = {A::TcpBadInsertion, A::TcpBadAcked, A::TcpBadHoldFull, A::TcpBadExpired};
    static constexpr A kPartial[] = {A::TcpPartialInsertion, A::TcpPartialAcked, A::TcpPartialHoldFull,
                                     A::TcpPartialExpired};
    counters_.count((kind == Kind::Bad ? kBad : kPartial)[static_cast<size_t>(outcome)]);
}

void UndecidedSegments::drop(Map::iterator it, size_t i, Outcome outcome) {
    std::vector<Held>& hs = it->second;
    count(hs[i].kind, outcome);
    bytes_ -= hs[i].data.size();
    count_--;
    hs.erase(hs.begin() + long(i));
    if (hs.empty()) held_.erase(it);
}

void UndecidedSegments::hold(const SegmentView& v, Kind kind, Bytes data, TimeNs ts) {
    if (data.size() > limits_.max_bytes) {
        count(kind, Outcome::HoldFull);
        return;
    }
    ConnKey key = connKey(v);
    while (count_ && (count_ >= limits_.max_segments || bytes_ + data.size() > limits_.max_bytes)) {
        // The oldest of this connection, else of another one: the bound holds whatever a flood
        // of insertions on many connections does.
        auto it = held_.find(key);
        if (it == held_.end()) it = held_.begin();
        drop(it, 0, Outcome::HoldFull);
    }
    held_[key].push_back(Held{v, kind, std::vector<uint8_t>(data.begin(), data.end()), ts});
    count_++;
    bytes_ += data.size();
}

void UndecidedSegments::decide(Map::iterator it, const SegmentView& v, std::vector<Held>& taken) {
    std::vector<Held>& hs = it->second;
    for (size_t i = 0; i < hs.size();) {
        const SegmentView& b = hs[i].v;
        bool same = b.sport == v.sport && b.dport == v.dport && b.src == v.src && b.dst == v.dst;
        bool overlaps = same && v.len && int32_t(v.seq - (b.seq + b.len)) < 0 && int32_t(b.seq - (v.seq + v.len)) < 0;
        bool acked = !same && (v.flags & 0x10) && int32_t(v.ack - (b.seq + b.len)) >= 0;
        if (overlaps) {
            // The host takes this copy: the held one, sent before it, was an insertion.
            bool last = hs.size() == 1;
            drop(it, i, Outcome::Insertion);
            if (last) return;  // drop() erased the connection's entry
        } else if (acked) {
            count(hs[i].kind, Outcome::Acked);
            bytes_ -= hs[i].data.size();
            count_--;
            taken.push_back(std::move(hs[i]));
            hs.erase(hs.begin() + long(i));
        } else {
            i++;
        }
    }
    if (hs.empty()) held_.erase(it);
}

void RecordChecksums::judge(Bytes r, TimeNs ts, const Deliver& deliver) {
    rpcmon_packet_record rec;
    if (r.size() < sizeof rec) return deliver(r, ts);
    std::memcpy(&rec, r.data(), sizeof rec);
    if (rec.hdr.type != RPCMON_REC_PACKET) return deliver(r, ts);
    // The ring reserves size classes: keep only the record's own bytes when holding it.
    if (rec.hdr.size >= sizeof rec && rec.hdr.size <= r.size()) r = r.first(rec.hdr.size);
    unsigned verdict = (rec.hdr.flags & RPCMON_RECF_CSUM_MASK) >> RPCMON_RECF_CSUM_SHIFT;
    bool unsure = verdict == RPCMON_CSUM_BAD || verdict == RPCMON_CSUM_PARTIAL;
    if (rec.flow.l4proto == kUdp) {
        if (verdict == RPCMON_CSUM_BAD) return counters_.count(ChecksumAnomaly::UdpBad);
        if (verdict == RPCMON_CSUM_PARTIAL) counters_.count(ChecksumAnomaly::UdpPartialAccepted);
        return deliver(r, ts);
    }
    if (rec.flow.l4proto != kTcp) return deliver(r, ts);
    SegmentView v;
    std::memcpy(v.src.data(), rec.flow.saddr, 16);
    std::memcpy(v.dst.data(), rec.flow.daddr, 16);
    v.sport = rec.flow.sport;
    v.dport = rec.flow.dport;
    v.seq = rec.tcp_seq;
    v.ack = rec.tcp_ack;
    v.flags = rec.tcp_flags;
    bool fin_rst = rec.tcp_flags & 0x05;
    // A FIN or RST takes a sequence number of its own: a held one is decided like a byte.
    v.len = rec.payload_len + (fin_rst ? 1 : 0);
    if (verdict == RPCMON_CSUM_BAD) counters_.count(ChecksumAnomaly::TcpBad);
    if (unsure) {
        if (rec.payload_len == 0) {
            if (verdict == RPCMON_CSUM_BAD) return;  // the host drops it: a bad RST ends nothing
            if (!fin_rst) {
                // A bare ACK carries only an acknowledgement: used, never as evidence that
                // decides held segments.
                counters_.count(ChecksumAnomaly::TcpPartialBare);
                return deliver(r, ts);
            }
        }
        held_.hold(v, verdict == RPCMON_CSUM_BAD ? UndecidedSegments::Kind::Bad : UndecidedSegments::Kind::Partial,
                   r, ts);
        return;
    }
    held_.settle(v, deliver);
    deliver(r, ts);
}

void UndecidedSegments::expire(TimeNs now) {
    if (!limits_.max_age_ns || !count_) return;
    for (auto it = held_.begin(); it != held_.end();) {
        auto next = std::next(it);
        std::vector<Held>& hs = it->second;
        size_t n = 0;
        while (n < hs.size() && hs[n].ts + limits_.max_age_ns < now) n++;
        for (size_t i = 0; i < n; i++) drop(it, 0, Outcome::Expired);  // dropping the last erases `it`
        it = next;
    }
}

}  // namespace rpcmon
