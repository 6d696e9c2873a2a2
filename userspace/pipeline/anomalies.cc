// SPDX-License-Identifier: Apache-2.0
#include "pipeline/anomalies.h"

#include <string_view>

#include "protocols/dcerpc/anomalies.h"
#include "protocols/npa/anomalies.h"
#include "protocols/onc/anomalies.h"
#include "protocols/smb/anomalies.h"
#include "stream/anomalies.h"

namespace rpcmon {

const std::vector<AnomalyTable>& anomalyTables() {
    static const std::vector<AnomalyTable> t = {
        {"TCP reassembly", kTcpAnomalies},
        {"flows", kFlowAnomalies},
        {"IP reassembly", kDefragAnomalies},
        {"checksums", kChecksumAnomalies},
        {"pipeline", kPipelineAnomalies},
        {"ONC RPC", onc::kOncAnomalies},
        {"DCE/RPC", dcerpc::kDcerpcAnomalies},
        {"SMB", smb::kSmbAnomalies},
        {"Samba named-pipe hand-off", npa::kNpaAnomalies},
    };
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
