// SPDX-License-Identifier: Apache-2.0
// Checksums of a frame as the receiving host judges them: a segment whose TCP/UDP checksum (or
// IPv4 header checksum) is wrong is dropped by the host's stack, so it must not enter rpcmon's
// streams either - otherwise a copy with a broken checksum, sent before the real segment, would
// be what rpcmon parses (insertion evasion). Suricata's -k: `--checksums auto|on|off`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "stream/consumer.h"

namespace rpcmon {

enum class ChecksumMode {
    Off,   // trust every frame (captures whose checksums are known to be meaningless)
    On,    // every checksum must be right
    // Validate, but accept what a capture on a sending host shows for checksums left to the NIC
    // (transmit offload): a TCP/UDP checksum field holding only the pseudo-header sum
    // (Linux's CHECKSUM_PARTIAL, also on veth) and an IPv4 header checksum of 0. Offline
    // (ChecksumValidator) also: a source is judged only once it has sent one valid checksum,
    // so captures whose checksums mean nothing (offloaded, crafted) keep working while an
    // attacker, whose real segments must carry valid checksums, cannot insert bad ones.
    Auto,
};

// "auto" / "on" / "off"; false for anything else.
bool parseChecksumMode(const std::string& text, ChecksumMode& mode);
const char* checksumModeName(ChecksumMode mode);

// Checks one Ethernet frame (one VLAN tag at most). False: the host would drop it; counted as
// ip.bad_checksum / tcp.bad_checksum / udp.bad_checksum. Accepted offloaded checksums are
// counted as ip/tcp/udp.checksum_offloaded, frames cut short of their IP length (nothing to
// verify) as checksum.unverified. The L4 checksum of a fragment is checked after reassembly.
bool checksumsAccept(Bytes frame, ChecksumMode mode, AnomalyCounter& counters);

// What one frame's checksums say (no policy).
struct ChecksumInspection {
    enum Verdict : uint8_t { NotChecked, Good, Bad, Offloaded, Unverifiable };
    Verdict ip = NotChecked;  // IPv4 header (Offloaded: field 0); IPv6 has none
    Verdict l4 = NotChecked;  // TCP/UDP of a whole datagram (Offloaded: pseudo-header sum only)
    uint8_t proto = 0;
    Address src{};  // IPv4-mapped for IPv4
};
ChecksumInspection inspectChecksums(Bytes frame);

// `auto` for a capture: as checksumsAccept, but bad checksums from a source that has not yet
// sent a valid one (IPv4 header, TCP and UDP each on their own) are accepted (counted as ip/tcp/udp.checksum_unproven_source): its
// checksums are not computed where the capture was taken. Sources are bounded (max_sources;
// beyond it new sources are judged strictly, checksum.sources_full). Other modes: checksumsAccept.
class ChecksumValidator {
public:
    ChecksumValidator(ChecksumMode mode, AnomalyCounter& counters, size_t max_sources = 65536)
        : mode_(mode), counters_(counters), max_sources_(max_sources) {}
    bool accept(Bytes frame);
    ChecksumMode mode() const { return mode_; }

private:
    struct AddrHash {
        size_t operator()(const Address& a) const {
            uint64_t h = 1469598103934665603ull;
            for (uint8_t b : a) h = (h ^ b) * 1099511628211ull;
            return h;
        }
    };
    static constexpr uint8_t kIpProven = 1, kTcpProven = 2, kUdpProven = 4;
    ChecksumMode mode_;
    AnomalyCounter& counters_;
    size_t max_sources_;
    std::unordered_map<Address, uint8_t, AddrHash> sources_;
    // The last frame's source and its entry (null: none, or a source judged strictly because
    // the table is full, which is looked up again and counted every time).
    Address last_src_{};
    uint8_t* last_proven_ = nullptr;
};

// One's-complement sum (RFC 1071) of `data` as big-endian 16-bit words (an odd last byte padded
// with a zero byte) added to `sum`: folded to 16 bits, not complemented; 0 only when `sum` and
// every byte are 0. 8 bytes per step (it runs over every payload byte of a capture).
uint32_t onesComplementAdd(uint32_t sum, Bytes data);

// One TCP segment as UndecidedSegments sees it (source = sender).
struct SegmentView {
    Address src{}, dst{};
    uint16_t sport = 0, dport = 0;
    uint32_t seq = 0, ack = 0;
    uint32_t len = 0;  // sequence space it occupies: payload bytes (+1 for a FIN or RST held alone)
    uint8_t flags = 0;
};

// TCP segments the host may or may not have taken - a bad checksum (offline, `auto`) or live a
// bad or partial-looking one (wire.h enum rpcmon_csum) - held until a segment the host takes
// decides: a good copy overlapping its bytes means it was an insertion (dropped), the peer's
// ACK covering it means the host took it (released, oldest first, before the deciding segment).
// One definition for `analyze` (frames, before classification) and the agent (kernel records).
// Bounded: max_segments and max_bytes (the oldest of the connection, else of another, is
// dropped: hold_full) and, when max_age_ns is set, age (expired). Every outcome is counted,
// per kind: tcp.{bad,partial}_checksum_{insertion,acked,hold_full,expired}.
class UndecidedSegments {
public:
    enum class Kind : uint8_t { Bad, Partial };
    struct Limits {
        size_t max_segments = 64;
        size_t max_bytes = 4u << 20;
        TimeNs max_age_ns = 0;  // 0: no age limit (a capture's segments wait for their decision)
    };
    UndecidedSegments(AnomalyCounter& counters, Limits limits) : counters_(counters), limits_(limits) {}

    // Holds a copy of `data` (whatever the caller hands back on release: a frame, a record).
    void hold(const SegmentView& v, Kind kind, Bytes data, TimeNs ts);
    // A segment the host takes: decides the held segments of its connection. release(data, ts)
    // is called for each one the host took, in arrival order, before it returns.
    template <typename Release>
    void settle(const SegmentView& v, Release&& release) {
        if (count_ == 0) return;
        auto it = held_.find(connKey(v));
        if (it == held_.end()) return;
        std::vector<Held> taken;
        decide(it, v, taken);
        for (Held& h : taken) release(Bytes(h.data), h.ts);
    }
    // Drops (counted expired) what waited longer than max_age_ns.
    void expire(TimeNs now);
    size_t size() const { return count_; }

private:
    struct Held {
        SegmentView v;
        Kind kind;
        std::vector<uint8_t> data;
        TimeNs ts;
    };
    // Both directions of a connection share one key: (lower endpoint, higher endpoint).
    struct ConnKey {
        Address a{}, b{};
        uint16_t pa = 0, pb = 0;
        bool operator==(const ConnKey&) const = default;
    };
    struct ConnHash {
        size_t operator()(const ConnKey& k) const;
    };
    using Map = std::unordered_map<ConnKey, std::vector<Held>, ConnHash>;
    static ConnKey connKey(const SegmentView& v);
    void decide(Map::iterator it, const SegmentView& v, std::vector<Held>& taken);
    // What became of a held segment; names tcp.{bad,partial}_checksum_<outcome>.
    enum class Outcome : uint8_t { Insertion, Acked, HoldFull, Expired };
    void drop(Map::iterator it, size_t i, Outcome outcome);
    void count(Kind kind, Outcome outcome);

    AnomalyCounter& counters_;
    Limits limits_;
    Map held_;
    size_t count_ = 0, bytes_ = 0;
};

// The agent's `auto`: packet records (include/rpcmon/wire.h) carry the kernel's checksum verdict
// (enum rpcmon_csum in the header flags). Good and unjudged records pass (after deciding held
// segments of their connection); a TCP segment with a bad or partial-looking checksum is held
// in UndecidedSegments; a bad bare segment is dropped as the host drops it; UDP: bad dropped,
// partial accepted (nothing could decide it later; a forged datagram adds a call, hides none).
// Counted: tcp/udp.bad_checksum, tcp.checksum_partial_bare, udp.checksum_partial_accepted and
// UndecidedSegments' outcomes.
class RecordChecksums {
public:
    using Deliver = std::function<void(Bytes record, TimeNs ts)>;
    RecordChecksums(AnomalyCounter& counters, UndecidedSegments::Limits limits)
        : counters_(counters), held_(counters, limits) {}
    // One ring-buffer record (any type); deliver() gets it, and any held record it decides,
    // in the order the pipeline must see them.
    void judge(Bytes record, TimeNs ts, const Deliver& deliver);
    void expire(TimeNs now) { held_.expire(now); }
    size_t held() const { return held_.size(); }

private:
    AnomalyCounter& counters_;
    UndecidedSegments held_;
};

}  // namespace rpcmon
