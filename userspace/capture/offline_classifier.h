// SPDX-License-Identifier: Apache-2.0
// The kernel's classifier (include/rpcmon/classify.h) compiled as ordinary C++, for pcap input
// and unit tests: same decisions, same record layout, same counter ids as the BPF programs.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>
#include <vector>

#include "loader/bpf_loader.h"  // KernelCounters
#include "rpcmon/wire.h"

struct rpcmon_track_io;

struct rpcmon_pkt;

namespace rpcmon {

class OfflineClassifier {
public:
    // snaplen: payload bytes kept per packet (default: all of it; the agent's limit can be emulated).
    // bulk_skip: also run the kernel's bulk skipping (include/rpcmon/flow_track.h), so a capture
    // shows what the agent delivers to user space.
    explicit OfflineClassifier(uint32_t snaplen = RPCMON_OFFLINE_MAX_SNAPLEN, bool bulk_skip = false);

    // Classifies one Ethernet frame. On success fills `out` with one or more packet records
    // back to back (header + payload, exactly as the kernel would put them in the ring buffer:
    // a super-packet becomes several; iterate with forEachRecord) and returns true. Counts like
    // the kernel. hook and ifindex go into the records (a datagram reassembled from fragments
    // keeps where its fragments were seen).
    bool classify(std::span<const uint8_t> frame, uint64_t timestamp_ns, std::vector<uint8_t>& out,
                  uint8_t hook = RPCMON_HOOK_PCAP, uint32_t ifindex = 0);

    // Calls fn(std::span<const uint8_t>) for each record classify() put in `out`.
    template <typename Fn>
    static void forEachRecord(const std::vector<uint8_t>& out, Fn&& fn) {
        size_t at = 0;
        while (out.size() - at >= sizeof(rpcmon_record_header)) {
            rpcmon_record_header h;
            std::memcpy(&h, out.data() + at, sizeof h);
            if (h.size < sizeof h || h.size > out.size() - at) break;
            fn(std::span<const uint8_t>(out.data() + at, h.size));
            at += h.size;
        }
    }

    // The watched-endpoint table (user-space twin of the BPF "watched" map + port bitmap).
    void addWatched(const rpcmon_endpoint_key& key, const rpcmon_endpoint_value& value);
    void removeWatched(const rpcmon_endpoint_key& key);
    bool isWatched(const rpcmon_endpoint_key& key) const;
    size_t watchedCount() const { return watched_.size(); }
    // Removes endpoints whose expires_ns (capture time) is before now; returns how many.
    size_t expireWatched(uint64_t now);

    const KernelCounters& counters() const { return counters_; }

    // Hooks called by classify.h (public for its free functions only).
    bool portMaybeWatched(uint16_t port) const { return (bitmap_[port >> 6] >> (port & 63)) & 1; }
    bool lookup(const rpcmon_endpoint_key& key, uint8_t* app) const;
    void learnFromSignature(const rpcmon_endpoint_key& key, uint8_t app);

private:
    struct KeyHash {
        size_t operator()(const rpcmon_endpoint_key& k) const;
    };
    struct KeyEq {
        bool operator()(const rpcmon_endpoint_key& a, const rpcmon_endpoint_key& b) const;
    };
    void rebuildBitmap();

    struct TrackKeyHash {
        size_t operator()(const rpcmon_track_key& k) const;
    };
    struct TrackKeyEq {
        bool operator()(const rpcmon_track_key& a, const rpcmon_track_key& b) const;
    };
    // The BPF program's block between classification and ring reservation; false = not
    // delivered (bulk data or a bare ACK).
    bool track(struct rpcmon_pkt* pkt, rpcmon_packet_record& rec, uint32_t& payload_off, rpcmon_track_io& io);

    uint32_t snaplen_;
    bool bulk_skip_;
    // Twin of the BPF LRU map "track"; bounded the same way (oldest-inserted entry goes).
    std::unordered_map<rpcmon_track_key, rpcmon_flow_track, TrackKeyHash, TrackKeyEq> track_;
    std::vector<rpcmon_track_key> track_order_;
    size_t track_next_evict_ = 0;
    KernelCounters counters_{};
    std::unordered_map<rpcmon_endpoint_key, rpcmon_endpoint_value, KeyHash, KeyEq> watched_;
    std::vector<uint64_t> bitmap_;
    uint64_t now_ns_ = 0;
};

}  // namespace rpcmon
