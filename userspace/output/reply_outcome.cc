// SPDX-License-Identifier: Apache-2.0
#include "output/reply_outcome.h"

#include <cstdlib>
#include <string>

namespace rpcmon {
namespace {

// C706 appendix N: the endpoint mapper; ept_lookup (opnum 2) ends its walk of the map with
// ept_s_not_registered, which is the normal end of a listing, not a failure.
constexpr const char* kEpm = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";
constexpr uint32_t kEptNotRegistered = 0x16c9a0d6;

const Json* member(const Json& o, const char* k) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(k);
    return it == o.end() ? nullptr : &*it;
}

std::string text(const Json& o, const char* k) {
    const Json* v = member(o, k);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool endsWith(const std::string& s, const char* suffix) {
    std::string x(suffix);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return s;
}

ReplyOutcome oncOutcome(const Json& rec, const Json& reply) {
    if (text(reply, "status") == "denied") return ReplyOutcome::Failed;
    if (member(reply, "accept_status") && text(reply, "accept_status") != "success") return ReplyOutcome::Failed;
    for (const char* proto : {"nfs", "mount"})
        if (const Json* p = member(rec, proto)) {
            std::string st = text(*p, "status");
            if (!st.empty()) return endsWith(st, "_OK") ? ReplyOutcome::Succeeded : ReplyOutcome::Failed;
        }
    return ReplyOutcome::Succeeded;
}

ReplyOutcome dceOutcome(const Json& rpc, const Json& reply) {
    std::string pt = text(reply, "packet_type");
    if (pt == "fault" || pt == "reject") return ReplyOutcome::Failed;
    std::string st = text(reply, "status");
    if (st.empty()) return ReplyOutcome::Unknown;  // interface without a decoded return value
    char* end = nullptr;
    unsigned long long parsed = std::strtoull(st.c_str(), &end, 16);
    if (end == st.c_str() || *end != '\0' || parsed > 0xffffffffull) return ReplyOutcome::Unknown;
    const auto v = uint32_t(parsed);
    // The response's last word: an NTSTATUS, a Win32 error or (for operations that return
    // none) data. 0 and NTSTATUS success/information/warning codes - STATUS_PENDING (0x103),
    // STATUS_MORE_ENTRIES (0x105), STATUS_SOME_NOT_MAPPED (0x107), STATUS_NO_MORE_ENTRIES
    // (0x8000001a), STATUS_BUFFER_OVERFLOW (0x80000005) - succeeded.
    if (v == 0 || v == 0x103 || v == 0x105 || v == 0x107 || v == 0x8000001a || v == 0x80000005)
        return ReplyOutcome::Succeeded;
    const Json* opnum = member(rpc, "opnum");
    const Json* iface = member(rpc, "interface");
    if (v == kEptNotRegistered && opnum && opnum->is_number_integer() && opnum->get<int64_t>() == 2 && iface &&
        lower(text(*iface, "uuid")) == kEpm)
        return ReplyOutcome::Succeeded;
    // Win32 errors the authentication checks read: ERROR_ACCESS_DENIED, ERROR_INVALID_PASSWORD,
    // ERROR_LOGON_FAILURE.
    if (v == 0x5 || v == 0x56 || v == 0x52e) return ReplyOutcome::Failed;
    // NTSTATUS errors (severity 3) and DCE/RPC status codes (nca_s_* 0x1c00/0x1c01, rpc_s_* 0x16c9).
    if ((v & 0xc0000000u) == 0xc0000000u || (v >> 16) == 0x1c01 || (v >> 16) == 0x1c00 || (v >> 16) == 0x16c9)
        return ReplyOutcome::Failed;
    return ReplyOutcome::Unknown;
}

}  // namespace

ReplyOutcome replyOutcome(const Json& rec) {
    const Json* rpc = member(rec, "rpc");
    if (!rpc || !rpc->is_object()) return ReplyOutcome::Unknown;
    const Json* reply = member(*rpc, "reply");
    if (!reply || reply->is_null()) return ReplyOutcome::NoReply;
    if (!reply->is_object()) return ReplyOutcome::Unknown;
    // A call on a context the server refused never ran, whatever the reply says.
    if (const Json* cr = member(*rpc, "context_rejected"); cr && cr->is_boolean() && cr->get<bool>())
        return ReplyOutcome::Failed;
    std::string family = text(*rpc, "family");
    if (family == "onc") return oncOutcome(rec, *reply);
    if (family == "dcerpc") return dceOutcome(*rpc, *reply);
    return ReplyOutcome::Unknown;
}

bool replyIsError(const Json& rec) { return replyOutcome(rec) == ReplyOutcome::Failed; }

}  // namespace rpcmon
