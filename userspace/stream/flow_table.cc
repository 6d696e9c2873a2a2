// SPDX-License-Identifier: Apache-2.0
#include "stream/flow_table.h"

#include <netinet/in.h>

#include "stream/anomalies.h"

namespace rpcmon {

FlowTable::FlowTable(const FlowLimits& limits, ConsumerFactory factory, AnomalyCounter& anomalies)
    : limits_(limits), factory_(std::move(factory)), anomalies_(anomalies) {
    budget_.limit = limits.reassembly_budget;
}

FlowTable::~FlowTable() = default;

const FlowContext& FlowTable::packet(const PacketInfo& p) {
    auto it = flows_.find(p.key);
    if (it == flows_.end()) {
        if (flows_.size() >= limits_.max_flows) {
            // Bounded: the least recently seen flow ends (its pending calls are reported).
            anomalies_.count(FlowAnomaly::EvictedTableFull);
            evicted_++;
            end(flows_.find(lru_.back()), p.ts);
        }
        Flow f;
        f.ctx.key = p.key;
        f.ctx.flow_id = next_id_++;
        f.ctx.app = p.app;
        f.consumer = factory_(f.ctx);
        if (!f.consumer) anomalies_.count(FlowAnomaly::NoDissector);
        if (p.key.l4proto == IPPROTO_TCP) {
            for (int d = 0; d < 2; d++)
                f.tcp[d] = std::make_unique<TcpReassembler>(static_cast<Direction>(d), limits_.reassembly, budget_, anomalies_);
        }
        lru_.push_front(p.key);
        f.lru = lru_.begin();
        it = flows_.emplace(p.key, std::move(f)).first;
        created_++;
    } else {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    Flow& f = it->second;
    f.last_seen = p.ts;
    if (!f.consumer) return f.ctx;
    if (p.key.l4proto == IPPROTO_UDP) {
        if (p.payload.size() < p.payload_len) anomalies_.count(FlowAnomaly::UdpTruncatedDatagrams);
        if (!p.payload.empty()) f.consumer->onDatagram(p.dir, p.payload, p.ts);
        return f.ctx;
    }
    int d = static_cast<int>(p.dir);
    f.tcp[d]->setKernelTracked(p.kernel_tracked);
    if (p.skipped_before)
        f.tcp[d]->skipped(p.tcp_seq - p.skipped_before, p.skipped_before, p.loss_before, p.ts, *f.consumer);
    f.tcp[d]->segment(p.tcp_seq, p.tcp_flags, p.payload, p.payload_len, p.ts, *f.consumer);
    if (p.tcp_flags & 0x10) f.tcp[1 - d]->peerAcked(p.tcp_ack, p.ts, *f.consumer);
    if (!f.closed_at && ((f.tcp[0]->finished() && f.tcp[1]->finished()) || (p.tcp_flags & 0x04)))
        f.closed_at = p.ts;
    return f.ctx;
}

void FlowTable::end(Map::iterator it, TimeNs now) {
    if (it == flows_.end()) return;
    Flow& f = it->second;
    if (f.consumer) {
        for (auto& r : f.tcp)
            if (r) r->flush(now, *f.consumer);
        f.consumer->onClose(now);
    }
    lru_.erase(f.lru);
    flows_.erase(it);
}

void FlowTable::tick(TimeNs now) {
    for (auto it = flows_.begin(); it != flows_.end();) {
        Flow& f = it->second;
        TimeNs idle = f.ctx.key.l4proto == IPPROTO_UDP ? limits_.udp_idle_ns : limits_.tcp_idle_ns;
        bool expired = (f.closed_at && now >= f.closed_at + limits_.closed_linger_ns) ||
                       (now >= f.last_seen + idle);
        if (expired) {
            auto next = std::next(it);
            end(it, now);
            it = next;
            continue;
        }
        if (f.consumer) f.consumer->onTick(now);
        ++it;
    }
}

void FlowTable::closeAll(TimeNs now) {
    while (!flows_.empty()) end(flows_.begin(), now);
}

size_t FlowTable::shed(size_t n, TimeNs now) {
    size_t ended = 0;
    for (; ended < n && !lru_.empty(); ended++) end(flows_.find(lru_.back()), now);
    return ended;
}

}  // namespace rpcmon
