// SPDX-License-Identifier: Apache-2.0
// Pipeline-level anomaly counters (dispatch, memory cap) and the list of every layer's table.
#pragma once

#include <string_view>
#include <vector>

#include "stream/anomaly_table.h"

namespace rpcmon {

enum class PipelineAnomaly : uint8_t {
    PacketWithoutRole,
    DefragDatagramsNotRpc,
    MemoryCapExceeded,
    MemoryFlowsShed,
    kCount
};

inline constexpr AnomalyInfo kPipelineAnomalies[] = {
    anomaly(PipelineAnomaly::PacketWithoutRole, "pipeline.packet_without_role"),
    anomaly(PipelineAnomaly::DefragDatagramsNotRpc, "defrag.datagrams_not_rpc"),
    anomaly(PipelineAnomaly::MemoryCapExceeded, "memory.cap_exceeded"),
    anomaly(PipelineAnomaly::MemoryFlowsShed, "memory.flows_shed"),
};
static_assert(namesEveryValue<PipelineAnomaly>(kPipelineAnomalies));
constexpr const AnomalyInfo& anomalyInfo(PipelineAnomaly a) { return kPipelineAnomalies[static_cast<size_t>(a)]; }

// Every layer's table, in the order the README lists them: transport and pipeline tables, then
// each protocol descriptor's (dissectors.cc), then the Samba hand-off. A new protocol's table
// comes with its registration; the README check (tests/anomalies) then requires its names to be
// documented.
const std::vector<AnomalyTable>& anomalyTables();

// The row naming `name`, or nullptr when no table has it.
const AnomalyInfo* findAnomaly(std::string_view name);

}  // namespace rpcmon
