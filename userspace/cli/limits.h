// SPDX-License-Identifier: Apache-2.0
// The rules file's `limits:` section (flows, reassembly, protocol tables, memory cap) applied to
// the pipeline of `rpcmon agent` and `rpcmon analyze`; unset keys keep the built-in defaults.
#pragma once

#include "detect/config.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"

namespace rpcmon {

inline void applyLimits(const detect::RuntimeLimits& l, PipelineOptions& p) {
    constexpr TimeNs kSec = 1000000000ull;
    if (l.memory_mb) p.memory_limit_kb = *l.memory_mb * 1024;
    if (l.max_flows) p.flows.max_flows = size_t(*l.max_flows);
    if (l.tcp_idle) p.flows.tcp_idle_ns = *l.tcp_idle * kSec;
    if (l.udp_idle) p.flows.udp_idle_ns = *l.udp_idle * kSec;
    if (l.max_pending) p.flows.reassembly.max_pending = size_t(*l.max_pending);
    if (l.max_out_of_order) p.flows.reassembly.max_out_of_order = size_t(*l.max_out_of_order);
    if (l.max_out_of_order_segments) p.flows.reassembly.max_out_of_order_segments = size_t(*l.max_out_of_order_segments);
    if (l.reassembly_budget) p.flows.reassembly_budget = size_t(*l.reassembly_budget);
    if (l.defrag_max_bytes) p.defrag.max_bytes = size_t(*l.defrag_max_bytes);
    if (l.defrag_max_datagrams) p.defrag.max_datagrams = size_t(*l.defrag_max_datagrams);
    if (l.defrag_max_fragments) p.defrag.max_fragments = size_t(*l.defrag_max_fragments);
    if (l.defrag_ipv4_timeout) p.defrag.ipv4_timeout_ns = *l.defrag_ipv4_timeout * kSec;
    if (l.defrag_ipv6_timeout) p.defrag.ipv6_timeout_ns = *l.defrag_ipv6_timeout * kSec;
    // limits.protocols.*: each lands where its protocol's registration says.
    for (const auto& [key, v] : l.protocols)
        if (const ProtocolLimit* pl = findProtocolLimit(key)) pl->field(p.dissectors) = size_t(v);
}

}  // namespace rpcmon
