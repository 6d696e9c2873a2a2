// SPDX-License-Identifier: Apache-2.0
// The protocol descriptors: the one place that maps a flow's application (kernel-side guess +
// transport) to its name and to the protocol layer that dissects it. A new protocol is its
// folder under protocols/ plus one row in dissectors.cc; a kernel application id without a row
// fails the build (static_assert on RPCMON_APP_COUNT) and pipeline_protocols_test.
#pragma once

#include <span>

#include "pipeline/pipeline.h"

namespace rpcmon {

struct DissectorShared;  // state every flow's dissector shares (configs, the pipe opener)

struct ProtocolDescriptor {
    uint8_t app;       // enum rpcmon_app; the row's index in protocolDescriptors()
    const char* name;  // stats pipeline.packets_by_app, packet records' `app`
    // The flow's protocol layer; nullptr when this protocol has none for the flow's transport
    // (or, for RPCMON_APP_NONE, at all: counted by the flow table).
    std::unique_ptr<StreamConsumer> (*make)(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                                            EndpointLearner& learner, DissectorShared& shared);
};

// Every application id, indexed by it.
std::span<const ProtocolDescriptor> protocolDescriptors();
// "onc", "dcerpc", "smb", "netbios"; "none" for RPCMON_APP_NONE and unknown ids.
const char* appName(uint8_t app);

// ONC RPC (portmapper, NFS, MOUNT, NLM, ...), DCE/RPC over TCP/UDP, SMB/NetBIOS with named
// pipes handed to DCE/RPC. Returns nullptr for flows no layer handles (counted by the table).
// `limits` bounds the per-connection state of the protocol layers (rules file `limits.protocols`).
ConsumerMaker makeDissectors(const DissectorLimits& limits = {});

}  // namespace rpcmon
