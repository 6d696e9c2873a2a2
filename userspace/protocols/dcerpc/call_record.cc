// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/call_record.h"

#include <netinet/in.h>

#include <cstdio>

#include "protocols/dcerpc/interfaces.h"

namespace rpcmon::dcerpc {
namespace {

bool parseIpv4(const std::string& s, std::array<uint8_t, 4>& out) {
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return false;
    if (a > 255 || b > 255 || c > 255 || d > 255) return false;
    out = {uint8_t(a), uint8_t(b), uint8_t(c), uint8_t(d)};
    return true;
}

Address mapped(const std::array<uint8_t, 4>& v4) {
    Address a{};
    a[10] = 0xff;
    a[11] = 0xff;
    std::copy(v4.begin(), v4.end(), a.begin() + 12);
    return a;
}

}  // namespace

Json replyJson(const char* packet_type, std::optional<uint32_t> status) {
    Json reply = {{"packet_type", packet_type}};
    if (status) {
        char b[16];
        std::snprintf(b, sizeof b, "0x%08x", *status);
        reply["status"] = b;
    }
    return reply;
}

Json buildCallRecord(const FlowContext& flow, const CallRecord& c) {
    Json rec = makeRecord(flow, c.ts_req, "rpc");
    Json rpc = Json::object();
    rpc["family"] = "dcerpc";
    rpc["call_id"] = c.call_id;
    if (c.activity) rpc["activity_uuid"] = c.activity->toString();
    const InterfaceInfo* info = nullptr;
    if (c.iface) {
        info = findInterface(c.iface->uuid);
        Json iface = {{"uuid", c.iface->uuid.toString()}};
        if (info) iface["name"] = info->name;
        iface["version"] = std::to_string(c.iface->ver_major) + "." + std::to_string(c.iface->ver_minor);
        rpc["interface"] = std::move(iface);
        if (c.context_rejected) rpc["context_rejected"] = true;
    } else if (c.context_id) {
        rpc["context_id"] = *c.context_id;
    }
    rpc["opnum"] = c.opnum;
    if (auto op = operationName(info, c.opnum); !op.empty()) rpc["operation"] = op;
    rpc["auth"] = c.auth;
    // A pipe opened before the capture started has no known name.
    if (c.pipe && !c.pipe->pipe_name.empty()) rpc["named_pipe"] = c.pipe->pipe_name;
    if (c.object) rpc["object_uuid"] = c.object->toString();
    rpc["reply"] = c.reply;
    if (!c.reply.is_null() && c.reply_ts >= c.ts_req) rpc["latency_us"] = (c.reply_ts - c.ts_req) / 1000;
    if (c.truncated) rpc["truncated"] = true;
    if (c.args && !c.args->args.empty()) rpc["args"] = c.args->args;
    if (c.args && !c.args->dcom.empty()) rpc["dcom"] = c.args->dcom;
    if (c.bind.is_array() && !c.bind.empty()) rpc["bind"] = c.bind;
    rec["rpc"] = std::move(rpc);
    if (c.args && !c.args->epm.empty()) rec["epm"] = c.args->epm;
    if (c.pipe && c.pipe->smb.is_object() && !c.pipe->smb.empty()) rec["smb"] = c.pipe->smb;
    return rec;
}

void learnEndpoints(EndpointLearner* learner, const FlowContext& flow, const CallArgs& a, TimeNs ts,
                    TimeNs ttl) {
    if (!learner) return;
    for (const TowerEndpoint& t : a.endpoints) {
        if (!t.port || (t.protocol != "ncacn_ip_tcp" && t.protocol != "ncadg_ip_udp")) continue;
        LearnedEndpoint ep;
        // 0.0.0.0 (or no address floor) means "the host that answered": the EPM server.
        ep.addr = (t.ipv4 && *t.ipv4 != std::array<uint8_t, 4>{0, 0, 0, 0}) ? mapped(*t.ipv4) : flow.key.server;
        ep.port = t.port;
        ep.l4proto = t.protocol == "ncacn_ip_tcp" ? IPPROTO_TCP : IPPROTO_UDP;
        ep.app = RPCMON_APP_DCERPC;
        if (auto* i = findInterface(t.uuid)) ep.name = std::string(i->name);
        else ep.name = t.uuid.toString();
        ep.expires = ts + ttl;
        learner->learn(ep);
    }
    for (const DcomBinding& b : a.dcom_bindings) {
        if (!b.port || b.protocol != "ncacn_ip_tcp") continue;
        LearnedEndpoint ep;
        std::array<uint8_t, 4> v4;
        // A host name cannot be resolved here; the OXID resolver answers for its own host.
        ep.addr = parseIpv4(b.address, v4) ? mapped(v4) : flow.key.server;
        ep.port = b.port;
        ep.l4proto = IPPROTO_TCP;
        ep.app = RPCMON_APP_DCERPC;
        ep.name = "dcom";
        ep.expires = ts + ttl;
        learner->learn(ep);
    }
}

}  // namespace rpcmon::dcerpc
