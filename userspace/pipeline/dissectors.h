// SPDX-License-Identifier: Apache-2.0
// The protocol descriptors: the one place that maps a flow's application (kernel-side guess +
// transport) to its name, the protocol layer that dissects it, the `limits.protocols` keys that
// bound that layer and the anomaly table it counts into. A new protocol is its folder under
// protocols/ plus one row in dissectors.cc; a kernel application id without a row fails the
// build (static_assert on RPCMON_APP_COUNT) and protocol_descriptors_test. The rules-file
// reader (detect/config.cc), applyLimits (cli/limits.h), makeDissectors and the anomaly
// listing (pipeline/anomalies.cc) iterate over these rows instead of naming protocols.
#pragma once

#include <functional>
#include <memory>
#include <span>

#include "protocols/dcerpc/connection.h"
#include "protocols/onc/consumer.h"
#include "stream/anomaly_table.h"
#include "stream/consumer.h"

namespace rpcmon {

// The protocol layers' settings, handed to every flow's layer by makeDissectors (and, for
// DCE/RPC, to the host named-pipe hand-off). Defaults are the layers' own; the rules file's
// `limits.protocols` keys (ProtocolLimit) change single fields.
struct DissectorLimits {
    onc::OncConfig onc;
    dcerpc::ConnectionConfig dcerpc;  // TCP, UDP and SMB named pipes alike
};

// One `limits.protocols.<key>` setting: its place in the protocol's registration means the
// rules-file reader, `rpcmon agent --print-config`, applyLimits and the dissectors all find it
// without a list of their own (and a test checks config/*.yaml document it).
struct ProtocolLimit {
    const char* key;    // under `limits.protocols` (config/rules.example.yaml documents it)
    int64_t lo, hi;     // accepted values; outside is "FILE:LINE: key '...': value N out of range [lo, hi]"
    const char* doc;    // one line for people, naming the counter the bound feeds: "... (onc.pending_evicted)"
    size_t& (*field)(DissectorLimits&);  // where the value lands
    // The layer's own default: the field's value in a default-constructed DissectorLimits.
    uint64_t defaultValue() const {
        DissectorLimits d;
        return field(d);
    }
};

// Creates the application consumer for a new flow (the protocol layers).
using ConsumerMaker = std::function<std::unique_ptr<StreamConsumer>(const FlowContext&, RecordSink&,
                                                                    AnomalyCounter&, EndpointLearner&)>;

struct DissectorShared;  // state every flow's dissector shares (configs, the pipe opener)

struct ProtocolDescriptor {
    uint8_t app;       // enum rpcmon_app; the row's index in protocolDescriptors()
    const char* name;  // stats pipeline.packets_by_app, packet records' `app`
    // The flow's protocol layer; nullptr when this protocol has none for the flow's transport
    // (or, for RPCMON_APP_NONE, at all: counted by the flow table).
    std::unique_ptr<StreamConsumer> (*make)(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                                            EndpointLearner& learner, DissectorShared& shared);
    // The layer's `limits.protocols` keys (empty: none of its own).
    std::span<const ProtocolLimit> limits = {};
    // The layer's anomaly table for the stats line, README and `rpcmon top` (rows empty when the
    // row shares another row's layer: NetBIOS session service is SMB's).
    AnomalyTable anomalies = {};
};

// Every application id, indexed by it.
std::span<const ProtocolDescriptor> protocolDescriptors();
// "onc", "dcerpc", "smb", "netbios"; "none" for RPCMON_APP_NONE and unknown ids.
const char* appName(uint8_t app);
// The registered limit named `key` (under `limits.protocols`), or nullptr.
const ProtocolLimit* findProtocolLimit(std::string_view key);

// ONC RPC (portmapper, NFS, MOUNT, NLM, ...), DCE/RPC over TCP/UDP, SMB/NetBIOS with named
// pipes handed to DCE/RPC. Returns nullptr for flows no layer handles (counted by the table).
// `limits` are the protocol layers' settings (rules file `limits.protocols`).
ConsumerMaker makeDissectors(const DissectorLimits& limits = {});

}  // namespace rpcmon
