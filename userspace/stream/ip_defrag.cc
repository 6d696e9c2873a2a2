// SPDX-License-Identifier: Apache-2.0
#include "stream/ip_defrag.h"

#include <algorithm>
#include <cstring>

namespace rpcmon {
namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEth8021Q = 0x8100, kEth8021AD = 0x88A8;
constexpr uint8_t kIpv6Frag = 44;
// Extension headers walked before the fragment header, as classify.h does.
constexpr int kMaxIpv6Ext = 4;
// Largest IP datagram: the IPv4 total length and the IPv6 payload length are 16-bit.
constexpr uint32_t kMaxDatagram = 65535;

void mapV4(Address& a, const uint8_t* v4) {
    a = {};
    a[10] = a[11] = 0xff;
    std::memcpy(a.data() + 12, v4, 4);
}

uint16_t ipv4HeaderChecksum(const uint8_t* h, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += be16(h + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

}  // namespace

size_t IpDefrag::KeyHash::operator()(const Key& k) const {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](const uint8_t* b, size_t n) {
        for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    };
    mix(k.src.data(), 16);
    mix(k.dst.data(), 16);
    mix(reinterpret_cast<const uint8_t*>(&k.id), sizeof k.id);
    mix(reinterpret_cast<const uint8_t*>(&k.vlan), sizeof k.vlan);
    mix(&k.family, 1);
    mix(&k.proto, 1);
    return h;
}

IpDefrag::IpDefrag(const DefragLimits& limits, AnomalyCounter& counters) : limits_(limits), counters_(counters) {}
IpDefrag::~IpDefrag() = default;

void IpDefrag::charge(Datagram& d, size_t n) {
    d.bytes += n;
    held_bytes_ += n;
}

void IpDefrag::drop(std::unordered_map<Key, Datagram, KeyHash>::iterator it, std::optional<DefragAnomaly> counter) {
    if (counter) counters_.count(*counter);
    held_bytes_ -= std::min(held_bytes_, it->second.bytes);
    (it->first.family == 4 ? age_v4_ : age_v6_).erase(it->second.age);
    table_.erase(it);
}

IpDefrag::Result IpDefrag::offer(Bytes f, TimeNs ts, std::vector<uint8_t>& out) {
    if (f.size() < 14) return Result::NotFragment;
    uint16_t ethertype = be16(&f[12]);
    uint32_t off = 14;
    uint16_t vlan = 0;
    if (ethertype == kEth8021Q || ethertype == kEth8021AD) {
        if (f.size() < 18) return Result::NotFragment;
        vlan = be16(&f[14]) & 0x0fff;
        ethertype = be16(&f[16]);
        off = 18;
    }

    Key key;
    key.vlan = vlan;
    uint32_t offset = 0, data_at = 0, data_end = 0, hdr_len = 0, nh_at = 0;
    uint8_t next_header = 0;
    bool more = false;
    if (ethertype == kEthIpv4) {
        if (f.size() < off + 20) return Result::NotFragment;
        const uint8_t* h = &f[off];
        uint32_t ihl = uint32_t(h[0] & 0x0f) * 4, tot = be16(h + 2);
        uint16_t frag = be16(h + 6);
        if ((h[0] >> 4) != 4 || !(frag & 0x3fff)) return Result::NotFragment;
        counters_.count(DefragAnomaly::Fragments);
        if (tot == 0) tot = uint32_t(f.size() - off);  // TSO capture, as classify.h reads it
        if (ihl < 20 || tot < ihl) {
            counters_.count(DefragAnomaly::BadLength);
            return Result::Dropped;
        }
        if (f.size() < off + tot) {
            // Cut by the capture's (or the kernel's) snap length: the datagram cannot complete.
            counters_.count(DefragAnomaly::Truncated);
            return Result::Dropped;
        }
        key.family = 4;
        key.proto = h[9];
        key.id = be16(h + 4);
        mapV4(key.src, h + 12);
        mapV4(key.dst, h + 16);
        more = frag & 0x2000;
        offset = uint32_t(frag & 0x1fff) * 8;
        hdr_len = off + ihl;
        data_at = off + ihl;
        data_end = off + tot;
    } else if (ethertype == kEthIpv6) {
        if (f.size() < off + 40) return Result::NotFragment;
        const uint8_t* h = &f[off];
        if ((h[0] >> 4) != 6) return Result::NotFragment;
        uint8_t nh = h[6];
        uint32_t pos = off + 40;
        nh_at = off + 6;
        for (int i = 0; i < kMaxIpv6Ext && (nh == 0 || nh == 43 || nh == 60); i++) {
            if (f.size() < pos + 8) return Result::NotFragment;
            nh_at = pos;
            nh = f[pos];
            pos += (uint32_t(f[pos + 1]) + 1) * 8;
        }
        if (nh != kIpv6Frag || f.size() < pos + 8) return Result::NotFragment;
        uint16_t fo = be16(&f[pos + 2]);
        // An atomic fragment (offset 0, M clear; RFC 6946) is a whole datagram.
        if (!(fo & 0xfff9)) return Result::NotFragment;
        counters_.count(DefragAnomaly::Fragments);
        key.family = 6;
        key.id = be32(&f[pos + 4]);
        std::memcpy(key.src.data(), h + 8, 16);
        std::memcpy(key.dst.data(), h + 24, 16);
        next_header = f[pos];
        more = fo & 1;
        offset = fo & 0xfff8;
        hdr_len = pos;
        data_at = pos + 8;
        data_end = off + 40 + be16(h + 4);
        if (data_end < data_at) {
            counters_.count(DefragAnomaly::BadLength);
            return Result::Dropped;
        }
        if (f.size() < data_end) {
            counters_.count(DefragAnomaly::Truncated);
            return Result::Dropped;
        }
    } else {
        return Result::NotFragment;
    }

    uint32_t end = offset + (data_end - data_at);
    if (key.family == 6) {
        // Linux (ip6_frag_queue) drops such a fragment alone and keeps the queue: RFC 8200
        // requires every fragment but the last to be a multiple of 8 bytes long.
        if (end > kMaxDatagram) {
            counters_.count(DefragAnomaly::Oversize);
            return Result::Dropped;
        }
        if (more && (end & 7)) {
            counters_.count(DefragAnomaly::BadLength);
            return Result::Dropped;
        }
    } else if (more && (end & 7)) {
        end &= ~7u;  // Linux (ip_frag_queue) trims a non-last IPv4 fragment to 8-byte units
        data_end = data_at + (end - offset);
    }

    auto it = table_.find(key);
    if (it == table_.end()) {
        if (table_.size() >= limits_.max_datagrams) {
            counters_.count(DefragAnomaly::TableFull);
            return Result::Dropped;
        }
        if (held_bytes_ + (data_end - data_at) + hdr_len > limits_.max_bytes) {
            counters_.count(DefragAnomaly::MemoryLimit);
            return Result::Dropped;
        }
        it = table_.emplace(key, Datagram{}).first;
        Datagram& d = it->second;
        d.key = key;
        auto& ages = key.family == 4 ? age_v4_ : age_v6_;
        d.deadline = ts + (key.family == 4 ? limits_.ipv4_timeout_ns : limits_.ipv6_timeout_ns);
        d.age = ages.insert(ages.end(), key);
    }
    Datagram& d = it->second;

    // The last fragment fixes the length; anything beyond it, or a second different end, is
    // corruption and the whole datagram goes (Linux: discard the queue).
    if (!more) {
        if (end < d.len || (d.last_in && end != d.len)) {
            drop(it, DefragAnomaly::BadLength);
            return Result::Dropped;
        }
        d.last_in = true;
        d.len = end;
    } else if (end > d.len) {
        if (d.last_in) {
            drop(it, DefragAnomaly::BadLength);
            return Result::Dropped;
        }
        d.len = end;
    }
    if (end == offset) {
        drop(it, DefragAnomaly::BadLength);
        return Result::Dropped;
    }
    if (key.family == 4 && (hdr_len - off) + d.len > kMaxDatagram) {
        drop(it, DefragAnomaly::Oversize);  // Linux ip_frag_reasm: "Oversized IP packet"
        return Result::Dropped;
    }

    Bytes data = f.subspan(data_at, data_end - data_at);
    // Where the fragment goes (Linux inet_frag_queue_insert): after the last run (appended to
    // it when adjacent), or between runs; a fragment inside one run is a duplicate (ignored),
    // any other overlap discards the datagram (RFC 5722 for IPv6, Linux does the same for IPv4).
    enum { Append, NewRun, Duplicate, Overlap } where = NewRun;
    std::map<uint32_t, std::vector<uint8_t>>::iterator dup_run;
    if (!d.runs.empty()) {
        auto last = std::prev(d.runs.end());
        uint32_t last_end = last->first + uint32_t(last->second.size());
        if (last_end < end) {
            where = offset < last_end ? Overlap : offset == last_end ? Append : NewRun;
        } else {
            for (auto r = d.runs.begin(); r != d.runs.end(); ++r) {
                uint32_t r_end = r->first + uint32_t(r->second.size());
                if (end <= r->first || offset >= r_end) continue;
                if (offset >= r->first && end <= r_end) {
                    where = Duplicate;
                    dup_run = r;
                } else {
                    where = Overlap;
                }
                break;
            }
        }
    }
    if (where == Overlap) {
        drop(it, DefragAnomaly::Overlaps);
        return Result::Dropped;
    }
    if (where == Duplicate) {
        // The host keeps what it queued first; a duplicate that says something else is an
        // insertion attempt worth counting.
        counters_.count(DefragAnomaly::Duplicates);
        if (std::memcmp(dup_run->second.data() + (offset - dup_run->first), data.data(), data.size()) != 0)
            counters_.count(DefragAnomaly::DuplicateMismatch);
        return Result::Dropped;
    }
    if (d.fragments + 1 > limits_.max_fragments) {
        drop(it, DefragAnomaly::TooManyFragments);
        return Result::Dropped;
    }
    size_t need = data.size() + (offset == 0 ? hdr_len : 0);
    if (held_bytes_ + need > limits_.max_bytes) {
        drop(it, DefragAnomaly::MemoryLimit);  // it could never complete now
        return Result::Dropped;
    }
    if (where == Append) {
        auto& run = std::prev(d.runs.end())->second;
        run.insert(run.end(), data.begin(), data.end());
    } else {
        d.runs.emplace(offset, std::vector<uint8_t>(data.begin(), data.end()));
    }
    charge(d, data.size());
    d.fragments++;
    d.meat += data.size();
    if (offset == 0) {
        d.first_in = true;
        d.header.assign(f.begin(), f.begin() + hdr_len);
        d.l3_off = off;
        d.next_header_at = nh_at;
        d.next_header = next_header;
        charge(d, hdr_len);
    }
    if (!(d.first_in && d.last_in && d.meat == d.len)) return Result::Held;
    bool ok = assemble(d, out);
    drop(it, ok ? std::nullopt : std::optional(DefragAnomaly::Oversize));
    if (!ok) return Result::Dropped;
    counters_.count(DefragAnomaly::Datagrams);
    return Result::Complete;
}

bool IpDefrag::assemble(Datagram& d, std::vector<uint8_t>& out) {
    out.assign(d.header.begin(), d.header.end());
    out.reserve(out.size() + d.len);
    for (const auto& [off, run] : d.runs) out.insert(out.end(), run.begin(), run.end());
    uint8_t* ip = out.data() + d.l3_off;
    if (d.key.family == 4) {
        uint32_t ihl = uint32_t(ip[0] & 0x0f) * 4;
        uint32_t tot = ihl + d.len;
        if (tot > kMaxDatagram) return false;
        ip[2] = uint8_t(tot >> 8);
        ip[3] = uint8_t(tot);
        ip[6] &= 0x40;  // keep DF; MF and the offset are gone
        ip[7] = 0;
        ip[10] = ip[11] = 0;
        uint16_t c = ipv4HeaderChecksum(ip, ihl);
        ip[10] = uint8_t(c >> 8);
        ip[11] = uint8_t(c);
    } else {
        uint32_t plen = uint32_t(d.header.size() - d.l3_off - 40) + d.len;
        if (plen > kMaxDatagram) return false;
        ip[4] = uint8_t(plen >> 8);
        ip[5] = uint8_t(plen);
        out[d.next_header_at] = d.next_header;
    }
    return true;
}

void IpDefrag::expire(TimeNs now) {
    for (auto* ages : {&age_v4_, &age_v6_}) {
        while (!ages->empty()) {
            auto it = table_.find(ages->front());
            if (it == table_.end()) {  // cannot happen: drop() keeps both in step
                ages->pop_front();
                continue;
            }
            if (it->second.deadline > now) break;
            drop(it, DefragAnomaly::Timeouts);
        }
    }
}

}  // namespace rpcmon
