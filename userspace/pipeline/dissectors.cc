// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

#include <netinet/in.h>

#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/connectionless.h"
#include "protocols/onc/consumer.h"
#include "protocols/smb/consumer.h"

namespace rpcmon {

// The defaults of DissectorLimits are the protocol layers' own.
static_assert(DissectorLimits{}.onc_pending_calls == onc::OncConfig{}.max_pending);
static_assert(DissectorLimits{}.dcerpc_pending_calls == dcerpc::kDefaultMaxPendingCalls);
static_assert(DissectorLimits{}.dcerpc_contexts == dcerpc::kDefaultMaxContexts);

ConsumerMaker makeDissectors(const DissectorLimits& limits) {
    // SMB named pipes are handed to DCE/RPC through one opener; it only holds the pipeline's
    // sink, counters, learner and the DCE/RPC limits, which are the same for every flow.
    std::shared_ptr<dcerpc::DcerpcPipeOpener> pipes;
    onc::OncConfig onc;
    onc.max_pending = limits.onc_pending_calls;
    dcerpc::ConnectionConfig dce;
    dce.max_pending_calls = limits.dcerpc_pending_calls;
    dce.max_contexts = limits.dcerpc_contexts;
    return [pipes, onc, dce](const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                             EndpointLearner& learner) mutable -> std::unique_ptr<StreamConsumer> {
        bool tcp = flow.key.l4proto == IPPROTO_TCP;
        switch (flow.app) {
        case RPCMON_APP_ONC:
            return std::make_unique<onc::OncConsumer>(flow, sink, anomalies, &learner, onc);
        case RPCMON_APP_DCERPC:
            if (tcp) return std::make_unique<dcerpc::TcpConsumer>(flow, sink, anomalies, &learner, dce);
            return std::make_unique<dcerpc::UdpConsumer>(flow, sink, anomalies, &learner, dce);
        case RPCMON_APP_SMB:
        case RPCMON_APP_NBSS:
            if (!tcp) return nullptr;  // NetBIOS name/datagram services carry no RPC
            if (!pipes) pipes = std::make_shared<dcerpc::DcerpcPipeOpener>(sink, anomalies, &learner, dce);
            return std::make_unique<smb::SmbConsumer>(flow, sink, anomalies, pipes.get(), flow.app == RPCMON_APP_NBSS);
        default:
            return nullptr;
        }
    };
}

}  // namespace rpcmon
