// SPDX-License-Identifier: Apache-2.0
// Output side shared by connection-oriented (connection.h) and connectionless
// (connectionless.h) DCE/RPC: one `event_type: "rpc"` record per call with the SCHEMA.md keys,
// and feeding endpoints learned from replies to the EndpointLearner.
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
    Json auth;                           // {"type": ..., "level": ...}
    const PipeInfo* pipe = nullptr;
    std::optional<Uuid> object;
    Json reply;                          // null (no reply) or {packet_type, status}
    TimeNs reply_ts = 0;
    bool truncated = false;
    const CallArgs* args = nullptr;
    Json bind;                           // rpc.bind array (CO) when non-empty
    std::optional<Uuid> activity;        // CL activity id (rpc.activity_uuid)
};

Json buildCallRecord(const FlowContext& flow, const CallRecord& c);

// `reply` object: {"packet_type": type, "status": "0x%08x"} (status omitted when unknown).
Json replyJson(const char* packet_type, std::optional<uint32_t> status);

// Feeds ncacn_ip_tcp / ncadg_ip_udp endpoints from EPM towers and DCOM string bindings to the
// learner; unspecified addresses become the replying server's address.
void learnEndpoints(EndpointLearner* learner, const FlowContext& flow, const CallArgs& args,
                    TimeNs ts, TimeNs ttl);

}  // namespace rpcmon::dcerpc
