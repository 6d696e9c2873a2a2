// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/types.h"

#include <cstdio>

namespace rpcmon::dcerpc {

std::string_view pduTypeName(uint8_t ptype) {
    static constexpr std::string_view kNames[] = {
        "request", "ping", "response", "fault", "working", "nocall", "reject", "ack",
        "cl_cancel", "fack", "cancel_ack", "bind", "bind_ack", "bind_nak", "alter_context",
        "alter_context_resp", "auth3", "shutdown", "co_cancel", "orphaned"};
    return ptype <= kMaxPduType ? kNames[ptype] : "unknown";
}

bool isConnectionOrientedType(uint8_t p) {
    return p == 0 || p == 2 || p == 3 || (p >= 11 && p <= 19);
}

std::string authTypeName(uint8_t t) {
    switch (t) {
    case 0: return "none";
    case 1: return "KRB5_DCE";
    case 9: return "SPNEGO";
    case 10: return "NTLMSSP";
    case 14: return "SCHANNEL";
    case 16: return "Kerberos";
    case 68: return "Netlogon";
    case 0xff: return "default";
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", t);
    return buf;
}

std::string authLevelName(uint8_t l) {
    switch (l) {
    case 0: return "default";
    case 1: return "none";
    case 2: return "connect";
    case 3: return "call";
    case 4: return "pkt";
    case 5: return "pkt_integrity";
    case 6: return "pkt_privacy";
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", l);
    return buf;
}

std::string_view contextResultName(uint16_t r) {
    switch (r) {
    case 0: return "acceptance";
    case 1: return "user_rejection";
    case 2: return "provider_rejection";
    case 3: return "negotiate_ack";
    }
    return "unknown";
}

std::string_view bindNakReasonName(uint16_t r) {
    switch (r) {
    case 0: return "reason_not_specified";
    case 1: return "temporary_congestion";
    case 2: return "local_limit_exceeded";
    case 3: return "called_paddr_unknown";
    case 4: return "protocol_version_not_supported";
    case 5: return "default_context_not_supported";
    case 6: return "user_data_not_readable";
    case 7: return "no_psap_available";
    case 8: return "authentication_type_not_recognized";
    case 9: return "invalid_checksum";
    }
    return "unknown";
}

static Uuid mustParse(std::string_view s) {
    Uuid u;
    Uuid::parse(s, u);
    return u;
}

Uuid ndr20Syntax() {
    static const Uuid u = mustParse("8a885d04-1ceb-11c9-9fe8-08002b104860");
    return u;
}
Uuid ndr64Syntax() {
    static const Uuid u = mustParse("71710533-beba-4937-8319-b5dbef9ccc36");
    return u;
}
bool isBindTimeFeatureSyntax(const Uuid& u) { return u.d1 == 0x6cb71c2c && u.d2 == 0x9812 && u.d3 == 0x4540; }

}  // namespace rpcmon::dcerpc
