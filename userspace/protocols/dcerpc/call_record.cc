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

Event buildCallEvent(const FlowContext& flow, CallRecord&& c) {
    Event ev = makeEvent(flow, c.ts_req, EventType::Rpc);
    DceCall& d = ev.rpc.emplace<DceCall>();
    d.call_id = c.call_id;
    d.activity = c.activity;
    const InterfaceInfo* info = nullptr;
    if (c.iface) {
        info = findInterface(c.iface->uuid);
        d.iface = DceInterface{c.iface->uuid, info ? info->name : std::string_view(), c.iface->ver_major,
                               c.iface->ver_minor};
        d.context_rejected = c.context_rejected;
    } else {
        d.context_id = c.context_id;
    }
    d.opnum = c.opnum;
    d.operation = operationName(info, c.opnum);
    d.auth = std::move(c.auth);
    // A pipe opened before the capture started has no known name.
    if (c.pipe) {
        d.named_pipe = c.pipe->pipe_name;
        ev.smb = c.pipe->smb;
    }
    d.object = c.object;
    d.reply = c.reply;
    if (c.reply && c.reply_ts >= c.ts_req) ev.latency_us = (c.reply_ts - c.ts_req) / 1000;
    d.truncated = c.truncated;
    if (c.args) {
        d.args = std::move(c.args->args);
        d.dcom = std::move(c.args->dcom);
        d.epm = std::move(c.args->epm);
    }
    d.bind = std::move(c.bind);
    return ev;
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
