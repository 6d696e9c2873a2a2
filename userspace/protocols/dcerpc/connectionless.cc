// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/connectionless.h"

#include <algorithm>

#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/call_record.h"
#include "protocols/dcerpc/interfaces.h"

namespace rpcmon::dcerpc {

UdpConsumer::UdpConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                         EndpointLearner* learner, ConnectionConfig cfg)
    : flow_(flow), sink_(sink), anomalies_(anomalies), learner_(learner), cfg_(cfg), calls_(cfg.max_pending_calls) {}

size_t UdpConsumer::onData(Direction, Bytes data, TimeNs) {
    anomalies_.count(DcerpcAnomaly::UnexpectedStream);
    return data.size();
}

void UdpConsumer::onGap(Direction, uint64_t) {}

void UdpConsumer::onDatagram(Direction, Bytes data, TimeNs ts) {
    // Direction is not used: requests and replies are told apart by PDU type, and broadcast
    // or asymmetric flows may present both in one direction.
    ClHeader h;
    Bytes body;
    if (parseClPdu(data, h, body) != ParseState::Success) {
        anomalies_.count(DcerpcAnomaly::ClInvalid);
        return;
    }
    switch (static_cast<PduType>(h.ptype)) {
    case PduType::Request: onRequest(h, body, ts); break;
    case PduType::Response:
    case PduType::Fault:
    case PduType::Reject: onReply(h, body, ts); break;
    default: break;  // ping, working, nocall, ack, fack, cancel: flow control only
    }
}

bool UdpConsumer::append(std::vector<uint8_t>& buf, uint16_t& next, size_t& frags, Call& c,
                         const ClHeader& h, Bytes body) {
    if (h.fragnum < next) return false;  // retransmitted fragment
    frags++;
    if (h.fragnum != next) {
        // A lost or reordered fragment: the stub has a hole, so nothing can be decoded.
        anomalies_.count(DcerpcAnomaly::ClFragmentGap);
        c.truncated = true;
    }
    next = uint16_t(h.fragnum + 1);
    if (c.truncated) return true;
    if (frags > kMaxFragmentsPerCall || buf.size() + body.size() > kMaxStubBytes) {
        anomalies_.count(DcerpcAnomaly::ReassemblyLimit);
        c.truncated = true;
        buf.clear();
        return true;
    }
    buf.insert(buf.end(), body.begin(), body.end());
    return true;
}

void UdpConsumer::onRequest(const ClHeader& h, Bytes body, TimeNs ts) {
    Key k{h.activity, h.seqnum};
    auto it = calls_.find(k);
    if (it == calls_.end()) {
        // A full table gives up its oldest call (reported without a reply).
        it = calls_.insert(k, Call{}, [&](const Key& oldest_key, Call& oldest) {
            anomalies_.count(DcerpcAnomaly::PendingEvicted);
            emit(oldest, oldest_key, std::nullopt, 0);
        });
        it->second.req = h;
        it->second.ts_req = ts;
    }
    Call& c = it->second;
    if (c.req_done) return;  // retransmission of a complete request
    if (!append(c.req_stub, c.next_req_frag, c.req_frags, c, h, body)) return;
    if (!h.lastFragment()) return;
    c.req_done = true;
    const InterfaceInfo* info = findInterface(h.if_id);
    if (info && !c.truncated && h.auth_proto == 0) {
        DecodeResult r = decoder_.request(*info, h.opnum, Bytes(c.req_stub.data(), c.req_stub.size()),
                                          h.littleEndian(), c.args);
        if (r == DecodeResult::Failed) {
            anomalies_.count(DcerpcAnomaly::NdrDecodeFailed);
            c.args = CallArgs{};
        }
    }
    c.req_stub.clear();
    c.req_stub.shrink_to_fit();
}

void UdpConsumer::onReply(const ClHeader& h, Bytes body, TimeNs ts) {
    Key k{h.activity, h.seqnum};
    auto it = calls_.find(k);
    if (it == calls_.end()) {
        anomalies_.count(DcerpcAnomaly::UnmatchedResponse);
        return;
    }
    Call& c = it->second;
    c.ts_resp = ts;
    if (h.ptype != uint8_t(PduType::Response)) {
        // fault / reject body: a 32-bit status in the PDU's byte order (C706 12.5.3.5/.8).
        ByteReader r(body);
        uint32_t st = h.littleEndian() ? r.le32() : r.be32();
        std::optional<uint32_t> status;
        if (r.ok()) status = st;
        emit(c, k, DceReply{h.ptype == uint8_t(PduType::Fault) ? "fault" : "reject", status}, ts);
        calls_.erase(it);
        return;
    }
    if (!append(c.resp_stub, c.next_resp_frag, c.resp_frags, c, h, body)) return;
    if (!h.lastFragment()) return;
    const InterfaceInfo* info = findInterface(c.req.if_id);
    std::optional<uint32_t> status;
    if (info && info->returns_status && !c.truncated && c.resp_stub.size() >= 4 && h.auth_proto == 0) {
        ByteReader r(Bytes(c.resp_stub.data() + c.resp_stub.size() - 4, 4));
        status = h.littleEndian() ? r.le32() : r.be32();
    }
    if (info && !c.truncated && h.auth_proto == 0) {
        DecodeResult r = decoder_.response(*info, c.req.opnum, Bytes(c.resp_stub.data(), c.resp_stub.size()),
                                           h.littleEndian(), c.args);
        if (r == DecodeResult::Failed) anomalies_.count(DcerpcAnomaly::NdrDecodeFailed);
        else if (r == DecodeResult::Decoded) learnEndpoints(learner_, flow_, c.args, ts, cfg_.endpoint_ttl);
    }
    emit(c, k, DceReply{"response", status}, ts);
    calls_.erase(it);
}

void UdpConsumer::emit(Call& c, const Key& k, const std::optional<DceReply>& reply, TimeNs reply_ts) {
    CallRecord r;
    r.call_id = k.seqnum;
    r.activity = k.activity;
    r.ts_req = c.ts_req;
    r.iface = SyntaxId{c.req.if_id, c.req.if_ver_major, c.req.if_ver_minor};
    r.opnum = c.req.opnum;
    if (c.req.auth_proto) {
        // The connectionless header names the security provider only; the level is not on the wire.
        r.auth.type = authTypeName(c.req.auth_proto);
        r.auth.level.clear();
    }
    if (!c.req.object.isNil()) r.object = c.req.object;
    r.reply = reply;
    r.reply_ts = reply_ts;
    r.truncated = c.truncated;
    r.args = &c.args;
    sink_.emitEvent(buildCallEvent(flow_, std::move(r)));
}

void UdpConsumer::onTick(TimeNs now) {
    calls_.expire([&](const Call& c) { return now > c.ts_req && now - c.ts_req >= cfg_.call_timeout; },
                  [&](const Key& k, Call& c) { emit(c, k, std::nullopt, 0); });
}

void UdpConsumer::onClose(TimeNs) {
    calls_.drain([&](const Key& k, Call& c) { emit(c, k, std::nullopt, 0); });
}

}  // namespace rpcmon::dcerpc
