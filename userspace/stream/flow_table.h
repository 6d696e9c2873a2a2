// SPDX-License-Identifier: Apache-2.0
// Per-flow state for every classified transport flow: orientation (client/server), the
// application consumer, TCP reassembly in both directions, idle expiry and an LRU bound.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>

#include "stream/consumer.h"
#include "stream/tcp_reassembler.h"

namespace rpcmon {

struct FlowLimits {
    size_t max_flows = 65536;            // LRU beyond this: the least recently seen flow ends
    TimeNs tcp_idle_ns = 600ull * 1000000000ull;
    TimeNs udp_idle_ns = 60ull * 1000000000ull;
    TimeNs closed_linger_ns = 2ull * 1000000000ull;  // after FIN/RST both ways, for late ACKs
    ReassemblyLimits reassembly;
    size_t reassembly_budget = 64 << 20;
};

// Makes the consumer for a new flow from its kernel-side app guess; nullptr = no dissector.
using ConsumerFactory = std::function<std::unique_ptr<StreamConsumer>(const FlowContext&)>;

// One classified packet as the flow table needs it (decoded from rpcmon_packet_record).
struct PacketInfo {
    FlowKey key;            // already oriented client -> server
    Direction dir;
    uint8_t app;
    uint32_t tcp_seq, tcp_ack;
    uint8_t tcp_flags;
    Bytes payload;          // captured prefix
    uint32_t payload_len;   // on the wire
    uint32_t skipped_before = 0;  // bytes before tcp_seq the kernel did not deliver
    bool loss_before = false;     // ... some of them lost to a full ring buffer
    bool kernel_tracked = false;  // the kernel reports every byte it does not deliver
    TimeNs ts;
};

class FlowTable {
public:
    FlowTable(const FlowLimits& limits, ConsumerFactory factory, AnomalyCounter& anomalies);
    ~FlowTable();

    // Feeds one packet to its flow (created on first sight); returns the flow's context.
    const FlowContext& packet(const PacketInfo& p);
    // Expires idle and closed flows and lets consumers time out pending calls.
    void tick(TimeNs now);
    // Ends every flow (end of capture, shutdown).
    void closeAll(TimeNs now);
    // Ends the `n` least recently seen flows (their pending calls are reported, as on eviction);
    // returns how many ended. The memory cap's way of shedding state (Pipeline).
    size_t shed(size_t n, TimeNs now);

    size_t size() const { return flows_.size(); }
    // flow_id of the flow with this key, 0 if there is none (host-vantage records reuse it).
    uint64_t flowId(const FlowKey& key) const {
        auto it = flows_.find(key);
        return it == flows_.end() ? 0 : it->second.ctx.flow_id;
    }
    uint64_t created() const { return created_; }
    uint64_t evicted() const { return evicted_; }
    size_t bufferedBytes() const { return budget_.used; }

private:
    struct Flow {
        FlowContext ctx;
        std::unique_ptr<StreamConsumer> consumer;
        std::unique_ptr<TcpReassembler> tcp[2];
        TimeNs last_seen = 0;
        TimeNs closed_at = 0;
        std::list<FlowKey>::iterator lru;
    };
    using Map = std::unordered_map<FlowKey, Flow, FlowKeyHash>;
    void end(Map::iterator it, TimeNs now);

    FlowLimits limits_;
    ConsumerFactory factory_;
    AnomalyCounter& anomalies_;
    ReassemblyBudget budget_;
    Map flows_;
    std::list<FlowKey> lru_;  // front = most recently seen
    uint64_t created_ = 0, evicted_ = 0, next_id_ = 1;
};

}  // namespace rpcmon
