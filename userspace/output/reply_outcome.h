// SPDX-License-Identifier: Apache-2.0
// How a call ended, judged from its `event_type: "rpc"` record (SCHEMA.md rpc.reply, nfs.status,
// mount.status). The one definition of "this reply is an error": `rpcmon top`'s error counts,
// the detector's error rate (baselines) and alert outcomes all read it, so they cannot disagree.
#pragma once

#include "core/json.h"
#include "output/event.h"

namespace rpcmon {

enum class ReplyOutcome {
    NoReply,    // rpc.reply null or absent: the call timed out, was abandoned or evicted
    Succeeded,  // a success, information or warning status (STATUS_MORE_ENTRIES is one)
    Failed,     // fault/reject, ONC denied or not `success`, NFS/MOUNT error, NTSTATUS error ...
    Unknown,    // not an rpc record, or a last word that is data rather than a status
};

ReplyOutcome replyOutcome(const Event& ev);
// replyOutcome(ev) == Failed.
bool replyIsError(const Event& ev);
// The same for an EVE record read back (tests, replayed files): through eventFromJson.
ReplyOutcome replyOutcome(const Json& rec);
bool replyIsError(const Json& rec);

}  // namespace rpcmon
