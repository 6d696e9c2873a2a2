// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

#include <netinet/in.h>

#include <iterator>

#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/connectionless.h"
#include "protocols/onc/anomalies.h"
#include "protocols/onc/consumer.h"
#include "protocols/smb/anomalies.h"
#include "protocols/smb/consumer.h"

namespace rpcmon {

struct DissectorShared {
    DissectorLimits cfg;
    // SMB named pipes are handed to DCE/RPC through one opener; it only holds the pipeline's
    // sink, counters, learner and the DCE/RPC limits, which are the same for every flow.
    std::shared_ptr<dcerpc::DcerpcPipeOpener> pipes;
};

namespace {

using Consumer = std::unique_ptr<StreamConsumer>;

Consumer makeNone(const FlowContext&, RecordSink&, AnomalyCounter&, EndpointLearner&, DissectorShared&) {
    return nullptr;
}

Consumer makeOnc(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner& learner,
                 DissectorShared& shared) {
    return std::make_unique<onc::OncConsumer>(flow, sink, anomalies, &learner, shared.cfg.onc);
}

Consumer makeDcerpc(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner& learner,
                    DissectorShared& shared) {
    if (flow.key.l4proto == IPPROTO_TCP)
        return std::make_unique<dcerpc::TcpConsumer>(flow, sink, anomalies, &learner, shared.cfg.dcerpc);
    return std::make_unique<dcerpc::UdpConsumer>(flow, sink, anomalies, &learner, shared.cfg.dcerpc);
}

Consumer makeSmb(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner& learner,
                 DissectorShared& shared) {
    if (flow.key.l4proto != IPPROTO_TCP) return nullptr;  // NetBIOS name/datagram services carry no RPC
    if (!shared.pipes) shared.pipes = std::make_shared<dcerpc::DcerpcPipeOpener>(sink, anomalies, &learner, shared.cfg.dcerpc);
    return std::make_unique<smb::SmbConsumer>(flow, sink, anomalies, shared.pipes.get(), flow.app == RPCMON_APP_NBSS);
}

// `limits.protocols` keys, with the ranges the rules file accepts (config/rules.example.yaml);
// `doc` is the comment config/rpcmon.yaml shows next to the key (checked by a test).
constexpr ProtocolLimit kOncLimits[] = {
    {.key = "onc_pending_calls", .lo = 1, .hi = 1000000,
     .doc = "ONC calls awaiting a reply, per flow and direction (onc.pending_evicted)",
     .field = [](DissectorLimits& d) -> size_t& { return d.onc.max_pending; }},
};
constexpr ProtocolLimit kDcerpcLimits[] = {
    {.key = "dcerpc_pending_calls", .lo = 1, .hi = 1000000,
     .doc = "DCE/RPC calls awaiting a response (dcerpc.pending_evicted)",
     .field = [](DissectorLimits& d) -> size_t& { return d.dcerpc.max_pending_calls; }},
    {.key = "dcerpc_contexts", .lo = 1, .hi = 65536,
     .doc = "DCE/RPC presentation contexts (dcerpc.context_table_full)",
     .field = [](DissectorLimits& d) -> size_t& { return d.dcerpc.max_contexts; }},
};

constexpr ProtocolDescriptor kProtocols[] = {
    {.app = RPCMON_APP_NONE, .name = "none", .make = makeNone},
    {.app = RPCMON_APP_ONC, .name = "onc", .make = makeOnc, .limits = kOncLimits,
     .anomalies = {"ONC RPC", onc::kOncAnomalies}},
    {.app = RPCMON_APP_DCERPC, .name = "dcerpc", .make = makeDcerpc, .limits = kDcerpcLimits,
     .anomalies = {"DCE/RPC", dcerpc::kDcerpcAnomalies}},
    {.app = RPCMON_APP_SMB, .name = "smb", .make = makeSmb, .anomalies = {"SMB", smb::kSmbAnomalies}},
    // The NetBIOS session service carries SMB: SMB's layer, limits and table (listed once, above).
    {.app = RPCMON_APP_NBSS, .name = "netbios", .make = makeSmb},
};
static_assert(std::size(kProtocols) == RPCMON_APP_COUNT, "one descriptor per enum rpcmon_app value");

constexpr bool indexedByApp() {
    for (size_t i = 0; i < std::size(kProtocols); i++)
        if (kProtocols[i].app != i) return false;
    return true;
}
static_assert(indexedByApp(), "kProtocols[i].app == i");

}  // namespace

std::span<const ProtocolDescriptor> protocolDescriptors() { return kProtocols; }

const char* appName(uint8_t app) { return app < std::size(kProtocols) ? kProtocols[app].name : "none"; }

const ProtocolLimit* findProtocolLimit(std::string_view key) {
    for (const ProtocolDescriptor& p : kProtocols)
        for (const ProtocolLimit& l : p.limits)
            if (key == l.key) return &l;
    return nullptr;
}

ConsumerMaker makeDissectors(const DissectorLimits& limits) {
    auto shared = std::make_shared<DissectorShared>();
    shared->cfg = limits;
    return [shared](const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                    EndpointLearner& learner) -> std::unique_ptr<StreamConsumer> {
        if (flow.app >= std::size(kProtocols)) return nullptr;
        return kProtocols[flow.app].make(flow, sink, anomalies, learner, *shared);
    };
}

}  // namespace rpcmon
