// SPDX-License-Identifier: Apache-2.0
// Output side shared by connection-oriented (connection.h) and connectionless
// (connectionless.h) DCE/RPC: one typed rpc event per call (output/event.h), and feeding
// endpoints learned from replies to the EndpointLearner.
#pragma once

#include <optional>

#include "core/types.h"
#include "output/record.h"
#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/parse.h"
#include "stream/consumer.h"

namespace rpcmon::dcerpc {

struct CallRecord {
    uint32_t call_id = 0;                // CO call_id; CL sequence number
    TimeNs ts_req = 0;
    std::optional<SyntaxId> iface;       // abstract syntax, when known
    bool context_rejected = false;       // the server rejected the context the call used
    std::optional<uint16_t> context_id;  // reported when the interface is unknown
    uint16_t opnum = 0;
    DceAuth auth;
    const PipeInfo* pipe = nullptr;
    std::optional<Uuid> object;
    std::optional<DceReply> reply;       // nullopt: no reply
    TimeNs reply_ts = 0;
    bool truncated = false;
    CallArgs* args = nullptr;            // decoded arguments, moved into the event
    std::vector<DceBind> bind;           // rpc.bind (CO) when non-empty
    std::optional<Uuid> activity;        // CL activity id (rpc.activity_uuid)
};

// The call's event; the decoded arguments are moved out of c.args (the call is finished).
Event buildCallEvent(const FlowContext& flow, CallRecord&& c);

// Feeds ncacn_ip_tcp / ncadg_ip_udp endpoints from EPM towers and DCOM string bindings to the
// learner; unspecified addresses become the replying server's address.
void learnEndpoints(EndpointLearner* learner, const FlowContext& flow, const CallArgs& args,
                    TimeNs ts, TimeNs ttl);

}  // namespace rpcmon::dcerpc
