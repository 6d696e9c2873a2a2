// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

#include <netinet/in.h>

#include "protocols/onc/consumer.h"

namespace rpcmon {

ConsumerMaker makeDissectors() {
    return [](const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
              EndpointLearner& learner) -> std::unique_ptr<StreamConsumer> {
        switch (flow.app) {
        case RPCMON_APP_ONC:
            return std::make_unique<onc::OncConsumer>(flow, sink, anomalies, &learner);
        default:
            return nullptr;
        }
    };
}

}  // namespace rpcmon
