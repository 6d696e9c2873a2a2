// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

#include <netinet/in.h>

#include "protocols/onc/consumer.h"
#include "protocols/smb/consumer.h"

namespace rpcmon {

ConsumerMaker makeDissectors() {
    return [](const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
              EndpointLearner& learner) -> std::unique_ptr<StreamConsumer> {
        switch (flow.app) {
        case RPCMON_APP_ONC:
            return std::make_unique<onc::OncConsumer>(flow, sink, anomalies, &learner);
        case RPCMON_APP_SMB:
        case RPCMON_APP_NBSS:
            if (flow.key.l4proto != IPPROTO_TCP) return nullptr;  // NetBIOS datagrams: not RPC
            return std::make_unique<smb::SmbConsumer>(flow, sink, anomalies, nullptr, flow.app == RPCMON_APP_NBSS);
        default:
            return nullptr;
        }
    };
}

}  // namespace rpcmon
