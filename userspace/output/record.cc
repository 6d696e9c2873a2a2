// SPDX-License-Identifier: Apache-2.0
#include "output/record.h"

#include <netinet/in.h>

#include <cstring>

namespace rpcmon {

void formatTimestampTo(char* out, TimeNs t) {
    const uint64_t secs = t / 1000000000ull;
    const uint64_t days = secs / 86400, in_day = secs % 86400;
    // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days, for
    // days >= 0: eras of 400 years counted from 0000-03-01). TimeNs covers the years
    // 1970-2554, so the year always has four digits.
    const uint64_t z = days + 719468;
    const uint64_t era = z / 146097;
    const uint64_t doe = z - era * 146097;                                  // [0, 146096]
    const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
    const uint64_t mp = (5 * doy + 2) / 153;                                 // [0, 11], March first
    const unsigned day = unsigned(doy - (153 * mp + 2) / 5 + 1);
    const unsigned month = unsigned(mp < 10 ? mp + 3 : mp - 9);
    const unsigned year = unsigned(yoe + era * 400 + (month <= 2));
    auto digits = [&](char* p, unsigned v, int n) {
        for (int i = n - 1; i >= 0; i--) p[i] = char('0' + v % 10), v /= 10;
    };
    digits(out, year, 4);
    out[4] = '-';
    digits(out + 5, month, 2);
    out[7] = '-';
    digits(out + 8, day, 2);
    out[10] = 'T';
    digits(out + 11, unsigned(in_day / 3600), 2);
    out[13] = ':';
    digits(out + 14, unsigned(in_day / 60 % 60), 2);
    out[16] = ':';
    digits(out + 17, unsigned(in_day % 60), 2);
    out[19] = '.';
    digits(out + 20, unsigned((t % 1000000000ull) / 1000), 6);
    std::memcpy(out + 26, "+0000", 5);
}

std::string formatTimestamp(TimeNs t) {
    char buf[kTimestampTextLen];
    formatTimestampTo(buf, t);
    return std::string(buf, sizeof buf);
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
