// SPDX-License-Identifier: Apache-2.0
#include "pipeline/dissectors.h"

namespace rpcmon {

ConsumerMaker makeDissectors() {
    return [](const FlowContext&, RecordSink&, AnomalyCounter&, EndpointLearner&) -> std::unique_ptr<StreamConsumer> {
        return nullptr;
    };
}

}  // namespace rpcmon
