// SPDX-License-Identifier: Apache-2.0
#include "pipeline/anomalies.h"

#include <string_view>

#include "pipeline/dissectors.h"
#include "protocols/npa/anomalies.h"
#include "stream/anomalies.h"

namespace rpcmon {

const std::vector<AnomalyTable>& anomalyTables() {
    static const std::vector<AnomalyTable> t = [] {
        std::vector<AnomalyTable> v = {
            {"TCP reassembly", kTcpAnomalies},
            {"flows", kFlowAnomalies},
            {"IP reassembly", kDefragAnomalies},
            {"checksums", kChecksumAnomalies},
            {"pipeline", kPipelineAnomalies},
        };
        // Each protocol's table comes with its registration (dissectors.cc).
        for (const ProtocolDescriptor& p : protocolDescriptors())
            if (!p.anomalies.rows.empty()) v.push_back(p.anomalies);
        // The host-side hand-off is no wire protocol (no application id): listed by hand.
        v.push_back({"Samba named-pipe hand-off", npa::kNpaAnomalies});
        return v;
    }();
    return t;
}

const AnomalyInfo* findAnomaly(std::string_view name) {
    for (const AnomalyTable& t : anomalyTables()) {
        for (const AnomalyInfo& a : t.rows) {
            if (name == a.name) return &a;
        }
    }
    return nullptr;
}

}  // namespace rpcmon
