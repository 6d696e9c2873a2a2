// SPDX-License-Identifier: Apache-2.0
// IPv4 and IPv6 fragment reassembly for frames the classifier hands over as RPCMON_V_FRAGMENT
// (kernel fragment records live, pcap frames offline). Overlaps are resolved as the Linux host
// resolves them (net/ipv4/inet_fragment.c inet_frag_queue_insert, ip_frag_queue, RFC 5722):
// a fragment wholly inside data already queued is a duplicate and ignored, any other overlap
// discards the whole datagram. Memory, datagram count, fragments per datagram and age are
// bounded; every fragment or datagram given up on is a named counter (defrag.*).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "stream/anomalies.h"
#include "stream/consumer.h"

namespace rpcmon {

struct DefragLimits {
    // Fragment bytes held for all incomplete datagrams together. Linux: ipfrag_high_thresh 4 MiB.
    size_t max_bytes = 4u << 20;
    // Incomplete datagrams held at once (defrag.table_full beyond it).
    size_t max_datagrams = 4096;
    // Fragments of one datagram (defrag.too_many_fragments, the datagram is dropped). A 64 KiB
    // datagram in 1280-byte IPv6 fragments needs 52; tiny-fragment floods need thousands.
    size_t max_fragments = 64;
    // Age of an incomplete datagram, from its first fragment (Linux ipfrag_time / ip6frag_time).
    TimeNs ipv4_timeout_ns = 30ull * 1000000000ull;
    TimeNs ipv6_timeout_ns = 60ull * 1000000000ull;
};

class IpDefrag {
public:
    enum class Result {
        NotFragment,  // a whole datagram (or not IP): classify it as it is
        Held,         // kept until the datagram is complete
        Complete,     // `out` holds the reassembled datagram as one Ethernet frame
        Dropped,      // given up on (counted)
    };

    IpDefrag(const DefragLimits& limits, AnomalyCounter& counters);
    ~IpDefrag();
    IpDefrag(const IpDefrag&) = delete;
    IpDefrag& operator=(const IpDefrag&) = delete;

    // One Ethernet frame (one VLAN tag at most, as classify.h reads it). On Complete, `out` is
    // the first fragment's Ethernet and IP header (IPv6: without the fragment header) followed
    // by the whole payload, with lengths, fragment fields and the IPv4 header checksum fixed.
    Result offer(Bytes frame, TimeNs ts, std::vector<uint8_t>& out);
    // Drops datagrams older than their timeout (defrag.timeouts); call with the current time.
    void expire(TimeNs now);

    size_t heldBytes() const { return held_bytes_; }
    size_t datagrams() const { return table_.size(); }
    const DefragLimits& limits() const { return limits_; }

private:
    struct Key {
        Address src{}, dst{};
        uint32_t id = 0;
        uint16_t vlan = 0;
        uint8_t family = 0, proto = 0;  // proto: IPv4 protocol field (IPv6: 0, not in the key)
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    struct Datagram {
        Key key;
        TimeNs deadline = 0;
        // Runs of adjacent fragments by offset (Linux's "fragment runs"): a fragment appended
        // right after the last one extends the last run; anything else starts a run.
        std::map<uint32_t, std::vector<uint8_t>> runs;
        uint32_t last_frag_off = 0;  // offset of the highest fragment (Linux fragments_tail)
        uint32_t len = 0;            // datagram payload length known so far (end of the last byte)
        bool last_in = false;        // the fragment without MF arrived: len is final
        bool first_in = false;
        size_t fragments = 0, bytes = 0, meat = 0;
        std::vector<uint8_t> header;  // first fragment: L2 + L3 without the fragment header
        uint32_t l3_off = 0;          // where the IP header starts in `header`
        uint32_t next_header_at = 0;  // IPv6: byte in `header` that named the fragment header
        uint8_t next_header = 0;      // IPv6: the fragment header's next header
        std::list<Key>::iterator age;
    };

    void drop(std::unordered_map<Key, Datagram, KeyHash>::iterator it, std::optional<DefragAnomaly> counter);
    void charge(Datagram& d, size_t n);
    bool assemble(Datagram& d, std::vector<uint8_t>& out);

    DefragLimits limits_;
    AnomalyCounter& counters_;
    std::unordered_map<Key, Datagram, KeyHash> table_;
    // Datagrams in deadline order per family (each family has one timeout, so each list is
    // sorted by deadline): expiry looks only at the fronts.
    std::list<Key> age_v4_, age_v6_;
    size_t held_bytes_ = 0;
};

}  // namespace rpcmon
