// SPDX-License-Identifier: Apache-2.0
#include "stream/checksum.h"

#include "rpcmon/wire.h"
#include "stream/anomalies.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>

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
    auto it = sources_.find(r.src);
    if (it != sources_.end()) {
        proven = &it->second;
    } else if (sources_.size() < max_sources_) {
        proven = &sources_[r.src];
    } else {
        counters_.count(ChecksumAnomaly::SourcesFull);  // unknown sources are judged strictly
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
