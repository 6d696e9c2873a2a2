// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

#include <netinet/in.h>

#include <iterator>

#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/connectionless.h"
#include "protocols/onc/consumer.h"
#include "protocols/smb/consumer.h"

namespace rpcmon {

// The defaults of DissectorLimits are the protocol layers' own.
static_assert(DissectorLimits{}.onc_pending_calls == onc::OncConfig{}.max_pending);
static_assert(DissectorLimits{}.dcerpc_pending_calls == dcerpc::kDefaultMaxPendingCalls);
static_assert(DissectorLimits{}.dcerpc_contexts == dcerpc::kDefaultMaxContexts);

struct DissectorShared {
    onc::OncConfig onc;
    dcerpc::ConnectionConfig dce;
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
    return std::make_unique<onc::OncConsumer>(flow, sink, anomalies, &learner, shared.onc);
}

Consumer makeDcerpc(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner& learner,
                    DissectorShared& shared) {
    if (flow.key.l4proto == IPPROTO_TCP)
        return std::make_unique<dcerpc::TcpConsumer>(flow, sink, anomalies, &learner, shared.dce);
    return std::make_unique<dcerpc::UdpConsumer>(flow, sink, anomalies, &learner, shared.dce);
}

Consumer makeSmb(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner& learner,
                 DissectorShared& shared) {
    if (flow.key.l4proto != IPPROTO_TCP) return nullptr;  // NetBIOS name/datagram services carry no RPC
    if (!shared.pipes) shared.pipes = std::make_shared<dcerpc::DcerpcPipeOpener>(sink, anomalies, &learner, shared.dce);
    return std::make_unique<smb::SmbConsumer>(flow, sink, anomalies, shared.pipes.get(), flow.app == RPCMON_APP_NBSS);
}

constexpr ProtocolDescriptor kProtocols[] = {
    {.app = RPCMON_APP_NONE, .name = "none", .make = makeNone},
    {.app = RPCMON_APP_ONC, .name = "onc", .make = makeOnc},
    {.app = RPCMON_APP_DCERPC, .name = "dcerpc", .make = makeDcerpc},
    {.app = RPCMON_APP_SMB, .name = "smb", .make = makeSmb},
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

ConsumerMaker makeDissectors(const DissectorLimits& limits) {
    auto shared = std::make_shared<DissectorShared>();
    shared->onc.max_pending = limits.onc_pending_calls;
    shared->dce.max_pending_calls = limits.dcerpc_pending_calls;
    shared->dce.max_contexts = limits.dcerpc_contexts;
    return [shared](const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                    EndpointLearner& learner) -> std::unique_ptr<StreamConsumer> {
        if (flow.app >= std::size(kProtocols)) return nullptr;
        return kProtocols[flow.app].make(flow, sink, anomalies, learner, *shared);
    };
}

}  // namespace rpcmon
