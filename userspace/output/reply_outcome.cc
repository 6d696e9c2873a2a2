// SPDX-License-Identifier: Apache-2.0
#include "output/reply_outcome.h"

#include <string>
#include <string_view>

namespace rpcmon {
namespace {

// C706 appendix N: the endpoint mapper; ept_lookup (opnum 2) ends its walk of the map with
// ept_s_not_registered, which is the normal end of a listing, not a failure.
constexpr Uuid kEpm = {0xe1af8308, 0x5d1f, 0x11c9, {0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa}};
constexpr uint32_t kEptNotRegistered = 0x16c9a0d6;

bool endsWith(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

ReplyOutcome oncOutcome(const OncCall& c) {
    const OncReply& r = *c.reply;
    if (!r.accepted) return ReplyOutcome::Failed;
    if (r.accept_status != "success") return ReplyOutcome::Failed;
    for (const char* proto : {"nfs", "mount"}) {
        const ArgValue* p = c.fields.find(proto);
        if (!p || !p->is_object()) continue;
        const ArgValue* st = p->object()->find("status");
        if (!st || !st->is_string()) continue;
        const std::string& text = *st->string();
        if (!text.empty()) return endsWith(text, "_OK") ? ReplyOutcome::Succeeded : ReplyOutcome::Failed;
    }
    return ReplyOutcome::Succeeded;
}

ReplyOutcome dceOutcome(const DceCall& c) {
    const DceReply& r = *c.reply;
    std::string_view pt = r.packet_type;
    if (pt == "fault" || pt == "reject") return ReplyOutcome::Failed;
    if (!r.status) return ReplyOutcome::Unknown;  // interface without a decoded return value
    const uint32_t v = *r.status;
    // The response's last word: an NTSTATUS, a Win32 error or (for operations that return
    // none) data. 0 and NTSTATUS success/information/warning codes - STATUS_PENDING (0x103),
    // STATUS_MORE_ENTRIES (0x105), STATUS_SOME_NOT_MAPPED (0x107), STATUS_NO_MORE_ENTRIES
    // (0x8000001a), STATUS_BUFFER_OVERFLOW (0x80000005) - succeeded.
    if (v == 0 || v == 0x103 || v == 0x105 || v == 0x107 || v == 0x8000001a || v == 0x80000005)
        return ReplyOutcome::Succeeded;
    if (v == kEptNotRegistered && c.opnum == 2 && c.iface && c.iface->uuid == kEpm) return ReplyOutcome::Succeeded;
    // Win32 errors the authentication checks read: ERROR_ACCESS_DENIED, ERROR_INVALID_PASSWORD,
    // ERROR_LOGON_FAILURE.
    if (v == 0x5 || v == 0x56 || v == 0x52e) return ReplyOutcome::Failed;
    // NTSTATUS errors (severity 3) and DCE/RPC status codes (nca_s_* 0x1c00/0x1c01, rpc_s_* 0x16c9).
    if ((v & 0xc0000000u) == 0xc0000000u || (v >> 16) == 0x1c01 || (v >> 16) == 0x1c00 || (v >> 16) == 0x16c9)
        return ReplyOutcome::Failed;
    return ReplyOutcome::Unknown;
}

}  // namespace

ReplyOutcome replyOutcome(const Event& ev) {
    if (ev.type != EventType::Rpc) return ReplyOutcome::Unknown;
    if (const OncCall* c = ev.onc()) return c->reply ? oncOutcome(*c) : ReplyOutcome::NoReply;
    if (const DceCall* c = ev.dce()) {
        if (!c->reply) return ReplyOutcome::NoReply;
        // A call on a context the server refused never ran, whatever the reply says.
        if (c->context_rejected) return ReplyOutcome::Failed;
        return dceOutcome(*c);
    }
    return ReplyOutcome::Unknown;
}

ReplyOutcome replyOutcome(const Json& rec) {
    std::optional<Event> ev = eventFromJson(rec);
    return ev ? replyOutcome(*ev) : ReplyOutcome::Unknown;
}

bool replyIsError(const Event& ev) { return replyOutcome(ev) == ReplyOutcome::Failed; }
bool replyIsError(const Json& rec) { return replyOutcome(rec) == ReplyOutcome::Failed; }

}  // namespace rpcmon
