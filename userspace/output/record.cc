// SPDX-License-Identifier: Apache-2.0
#include "output/record.h"

#include <netinet/in.h>

#include <ctime>

namespace rpcmon {

std::string formatTimestamp(TimeNs t) {
    time_t secs = static_cast<time_t>(t / 1000000000ull);
    unsigned usec = static_cast<unsigned>((t % 1000000000ull) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%06u+0000", usec);
    return buf;
}

Json makeRecord(const FlowContext& flow, TimeNs ts, const char* event_type) {
    Json j;
    j["timestamp"] = formatTimestamp(ts);
    j["flow_id"] = flow.flow_id;
    j["event_type"] = event_type;
    j["src_ip"] = formatAddress(flow.key.client);
    j["src_port"] = flow.key.client_port;
    j["dest_ip"] = formatAddress(flow.key.server);
    j["dest_port"] = flow.key.server_port;
    j["proto"] = flow.key.l4proto == IPPROTO_UDP ? "UDP" : "TCP";
    if (flow.key.vlan_id) j["vlan"] = flow.key.vlan_id;
    return j;
}

}  // namespace rpcmon
