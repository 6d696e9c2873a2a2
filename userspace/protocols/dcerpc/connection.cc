// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/connection.h"

#include <algorithm>
#include <cstring>

#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/call_record.h"

namespace rpcmon::dcerpc {
namespace {

size_t di(Direction d) { return d == Direction::ToServer ? 0 : 1; }

}  // namespace

Connection::Connection(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                       EndpointLearner* learner, std::optional<PipeInfo> pipe, ConnectionConfig cfg)
    : flow_(flow), sink_(sink), anomalies_(anomalies), learner_(learner), pipe_(std::move(pipe)),
      cfg_(cfg), calls_(cfg.max_pending_calls) {}

size_t Connection::consume(Direction dir, Bytes data, TimeNs ts) {
    size_t off = 0;
    while (off < data.size()) {
        Bytes rest = data.subspan(off);
        if (resync_[di(dir)]) {
            auto b = findPduBoundary(rest);
            if (!b) {
                // Keep a possible partial header at the end for the next call.
                size_t keep = std::min(rest.size(), kCommonHeaderSize - 1);
                off += rest.size() - keep;
                break;
            }
            off += *b;
            resync_[di(dir)] = false;
            continue;
        }
        if (CommonHeader h; max_frag_[di(dir)] && parseCommonHeader(rest, h) == ParseState::Success &&
                            h.frag_length > max_frag_[di(dir)]) {
            anomalies_.count(DcerpcAnomaly::FragLenOverNegotiated);
            resync_[di(dir)] = true;
            off += 1;
            continue;
        }
        Pdu pdu;
        HeaderError err;
        ParseState st = parsePdu(rest, pdu, &err);
        if (st == ParseState::NeedsMoreData) break;
        if (st != ParseState::Success) {
            if (std::optional<DcerpcAnomaly> a = headerAnomaly(err)) anomalies_.count(*a);
            resync_[di(dir)] = true;
            off += 1;
            continue;
        }
        off += pdu.hdr.frag_length;
        handlePdu(dir, pdu, ts);
    }
    return off;
}

void Connection::feed(Direction dir, Bytes data, TimeNs ts) {
    auto& buf = buf_[di(dir)];
    if (buf.empty()) {
        size_t used = consume(dir, data, ts);
        data = data.subspan(used);
        if (data.empty()) return;
    }
    if (buf.size() + data.size() > cfg_.max_buffer) {
        // Only a fragment larger than the budget (impossible: frag_length ≤ 65535) or a stuck
        // resync can get here; drop and resynchronise rather than grow.
        anomalies_.count(DcerpcAnomaly::BufferOverflow);
        buf.clear();
        gap(dir);
        if (data.size() > cfg_.max_buffer) return;
    }
    buf.insert(buf.end(), data.begin(), data.end());
    size_t used = consume(dir, Bytes(buf.data(), buf.size()), ts);
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
}

void Connection::gap(Direction dir) {
    anomalies_.count(DcerpcAnomaly::Gap);
    buf_[di(dir)].clear();
    resync_[di(dir)] = true;
    // Fragments in flight in this direction lost bytes: their stubs cannot be decoded.
    for (auto& [id, c] : calls_) {
        if (dir == Direction::ToServer && !c.req_done) c.req_truncated = true;
        if (dir == Direction::FromServer && c.resp_started) c.resp_truncated = true;
    }
}

void Connection::tick(TimeNs now) {
    calls_.expire([&](const Call& c) { return now > c.ts_req && now - c.ts_req >= cfg_.call_timeout; },
                  [&](uint32_t, Call& c) { emit(c, std::nullopt, 0); });
}

void Connection::close(TimeNs) {
    calls_.drain([&](uint32_t, Call& c) { emit(c, std::nullopt, 0); });
    flushBinds();
    pending_binds_.clear();
    buf_[0].clear();
    buf_[1].clear();
}

void Connection::handlePdu(Direction dir, const Pdu& pdu, TimeNs ts) {
    last_ts_ = ts;
    const auto type = static_cast<PduType>(pdu.hdr.ptype);
    // Calls go client -> server and answers server -> client (C706 12.6.4; ncacn has no
    // callbacks on the association). A request from the server would be reported as a call the
    // client never made, and a response from the client would complete a call the server never
    // answered: both counted and ignored.
    if (dir == Direction::FromServer && type == PduType::Request) {
        anomalies_.count(DcerpcAnomaly::RequestFromServer);
        return;
    }
    if (dir == Direction::ToServer && (type == PduType::Response || type == PduType::Fault)) {
        anomalies_.count(DcerpcAnomaly::ResponseFromClient);
        return;
    }
    switch (type) {
    case PduType::Bind: onBind(pdu, false); break;
    case PduType::AlterContext: onBind(pdu, true); break;
    case PduType::BindAck: onBindAck(pdu, false); break;
    case PduType::AlterContextResp: onBindAck(pdu, true); break;
    case PduType::BindNak: onBindNak(pdu); break;
    case PduType::Auth3: onAuth(pdu); break;
    case PduType::Request: onRequest(pdu, ts); break;
    case PduType::Response: onResponse(pdu, ts, false); break;
    case PduType::Fault: onResponse(pdu, ts, true); break;
    case PduType::Orphaned: {
        // C706 12.6.4.8: the client abandoned the call; report it without a reply.
        auto it = calls_.find(pdu.hdr.call_id);
        if (it != calls_.end()) {
            emit(it->second, std::nullopt, 0);
            calls_.erase(it);
        }
        break;
    }
    default: break;  // shutdown, co_cancel: nothing to report
    }
}

void Connection::onAuth(const Pdu& pdu) {
    if (!pdu.auth) return;
    assoc_auth_ = true;
    assoc_auth_type_ = pdu.auth->auth_type;
    assoc_auth_level_ = pdu.auth->auth_level;
    NtlmMessage m;
    if (parseNtlmssp(pdu.auth->token, m) == ParseState::Success && m.type == 3) {
        auth_user_ = m.user;
        auth_domain_ = m.domain;
        auth_workstation_ = m.workstation;
    }
}

void Connection::onBind(const Pdu& pdu, bool alter) {
    BindBody b;
    if (parseBind(pdu, b) != ParseState::Success) {
        anomalies_.count(DcerpcAnomaly::BindInvalid);
        return;
    }
    onAuth(pdu);
    if (b.max_recv_frag >= kMinNegotiatedFrag) max_frag_[di(Direction::FromServer)] = b.max_recv_frag;
    if (pending_binds_.size() >= kMaxPendingBinds && !pending_binds_.count(pdu.hdr.call_id))
        pending_binds_.erase(pending_binds_.begin());
    pending_binds_[pdu.hdr.call_id] = PendingBind{alter, std::move(b.items)};
}

void Connection::onBindAck(const Pdu& pdu, bool alter) {
    BindAckBody a;
    if (parseBindAck(pdu, a) != ParseState::Success) {
        anomalies_.count(DcerpcAnomaly::BindAckInvalid);
        return;
    }
    onAuth(pdu);
    if (a.max_recv_frag >= kMinNegotiatedFrag) max_frag_[di(Direction::ToServer)] = a.max_recv_frag;
    auto it = pending_binds_.find(pdu.hdr.call_id);
    if (it == pending_binds_.end()) {
        anomalies_.count(DcerpcAnomaly::UnmatchedBindAck);
        return;
    }
    PendingBind pb = std::move(it->second);
    pending_binds_.erase(it);
    DceBind report;
    report.packet_type = alter ? "alter_context" : "bind";
    report.call_id = pdu.hdr.call_id;
    report.secondary_addr = a.secondary_addr;
    report.contexts.reserve(pb.items.size());
    for (size_t i = 0; i < pb.items.size(); i++) {
        const ContextItem& ci = pb.items[i];
        const InterfaceInfo* info = findInterface(ci.abstract.uuid);
        DceBindContext& j = report.contexts.emplace_back();
        j.context_id = ci.context_id;
        j.uuid = ci.abstract.uuid;
        if (info) j.name = info->name;
        j.ver_major = ci.abstract.ver_major;
        j.ver_minor = ci.abstract.ver_minor;
        if (i >= a.results.size()) {
            // C706 12.6.4.4 wants one result per proposed context; a shorter list neither
            // accepts nor rejects this one. The client's requests on it can only mean the
            // proposed interface (and a server answering them shows it took it), so name them
            // by the proposal rather than let a malformed bind_ack hide the interface.
            if (i == a.results.size()) anomalies_.count(DcerpcAnomaly::BindAckMissingResults);
            adoptProposal(ci);
            continue;
        }
        const ContextResultItem& r = a.results[i];
        j.result = contextResultName(r.result);
        if (r.result != uint16_t(ContextResult::Acceptance)) {
            adoptProposal(ci, true);
            continue;
        }
        if (!contexts_.count(ci.context_id) && contexts_.size() >= cfg_.max_contexts) {
            anomalies_.count(DcerpcAnomaly::ContextTableFull);
            continue;
        }
        Context c;
        c.abstract = ci.abstract;
        c.info = info;
        c.ndr64 = r.transfer.uuid == ndr64Syntax();
        contexts_[ci.context_id] = c;
        for (auto& [id, call] : calls_)
            if (call.ctx && call.ctx->adopted && call.context_id == ci.context_id &&
                call.ctx->abstract.uuid == ci.abstract.uuid)
                call.ctx = c;
    }
    addBindReport(std::move(report));
}

void Connection::adoptProposal(const ContextItem& ci, bool rejected) {
    if (contexts_.count(ci.context_id)) return;  // an accepted context stays as it is
    if (contexts_.size() >= cfg_.max_contexts) {
        anomalies_.count(DcerpcAnomaly::ContextTableFull);
        return;
    }
    Context c;
    c.abstract = ci.abstract;
    c.info = findInterface(ci.abstract.uuid);
    // Which transfer syntax the server picked is unknown: NDR64 only if nothing else was offered.
    c.ndr64 = !ci.transfer.empty() && std::all_of(ci.transfer.begin(), ci.transfer.end(), [](const SyntaxId& t) {
        return t.uuid == ndr64Syntax();
    });
    c.rejected = rejected;
    c.adopted = true;
    contexts_[ci.context_id] = c;
}

void Connection::onBindNak(const Pdu& pdu) {
    uint16_t reason = 0;
    if (parseBindNak(pdu, reason) != ParseState::Success) {
        anomalies_.count(DcerpcAnomaly::BindNakInvalid);
        return;
    }
    // Every context of a refused bind is rejected; keep what was proposed (see Context).
    if (auto it = pending_binds_.find(pdu.hdr.call_id); it != pending_binds_.end())
        for (const ContextItem& ci : it->second.items) adoptProposal(ci, true);
    pending_binds_.erase(pdu.hdr.call_id);
    DceBind nak;
    nak.packet_type = "bind_nak";
    nak.call_id = pdu.hdr.call_id;
    nak.reason = bindNakReasonName(reason);
    addBindReport(std::move(nak));
}

void Connection::addBindReport(DceBind&& report) {
    if (bind_report_.empty()) first_bind_ts_ = last_ts_;
    bind_report_.push_back(std::move(report));
    if (bind_report_.size() >= kMaxPendingBinds) flushBinds();
}

void Connection::flushBinds() {
    // Binds no call followed (an interface-UUID brute force binds and never calls; a client
    // refused everywhere gives up): reported on their own so they are never lost. Proposals
    // still waiting for an answer are included with result "no_response".
    for (auto& [call_id, pb] : pending_binds_) {
        DceBind b;
        b.packet_type = pb.alter ? "alter_context" : "bind";
        b.call_id = call_id;
        for (const ContextItem& ci : pb.items) {
            DceBindContext& j = b.contexts.emplace_back();
            j.context_id = ci.context_id;
            j.uuid = ci.abstract.uuid;
            if (const InterfaceInfo* info = findInterface(ci.abstract.uuid)) j.name = info->name;
            j.ver_major = ci.abstract.ver_major;
            j.ver_minor = ci.abstract.ver_minor;
            j.result = "no_response";
        }
        if (bind_report_.empty()) first_bind_ts_ = last_ts_;
        bind_report_.push_back(std::move(b));
    }
    pending_binds_.clear();
    if (bind_report_.empty()) return;
    Json rec = makeRecord(flow_, first_bind_ts_, "dcerpc_bind");
    rec["rpc"] = {{"family", "dcerpc"}, {"bind", toJson(bind_report_)}};
    if (pipe_ && !pipe_->pipe_name.empty()) rec["rpc"]["named_pipe"] = pipe_->pipe_name;
    if (pipe_ && !pipe_->smb.empty()) rec["smb"] = toJson(pipe_->smb);
    bind_report_.clear();
    sink_.emit(std::move(rec));
}

Connection::Call& Connection::newCall(uint32_t call_id, TimeNs ts) {
    // A full table gives up its oldest call (reported without a reply).
    Call& c = calls_.insert(call_id, Call{}, [&](uint32_t, Call& oldest) {
                        anomalies_.count(DcerpcAnomaly::PendingEvicted);
                        emit(oldest, std::nullopt, 0);
                    })->second;
    c.call_id = call_id;
    c.ts_req = ts;
    return c;
}

bool Connection::appendFragment(std::vector<uint8_t>& buf, size_t& frags, bool& truncated, Bytes stub) {
    frags++;
    if (truncated) return false;
    if (frags > kMaxFragmentsPerCall || buf.size() + stub.size() > kMaxStubBytes) {
        anomalies_.count(DcerpcAnomaly::ReassemblyLimit);
        truncated = true;
        buf.clear();
        buf.shrink_to_fit();
        return false;
    }
    buf.insert(buf.end(), stub.begin(), stub.end());
    return true;
}

void Connection::onRequest(const Pdu& pdu, TimeNs ts) {
    RequestBody rq;
    if (parseRequest(pdu, rq) != ParseState::Success) {
        anomalies_.count(DcerpcAnomaly::RequestInvalid);
        return;
    }
    const uint32_t id = pdu.hdr.call_id;
    auto it = calls_.find(id);
    Call* c = nullptr;
    if (pdu.hdr.first()) {
        if (it != calls_.end()) {
            // A new call reusing a pending call_id: the old one will never get its reply.
            anomalies_.count(DcerpcAnomaly::DuplicateCallId);
            emit(it->second, std::nullopt, 0);
            calls_.erase(it);
        }
        c = &newCall(id, ts);
        c->context_id = rq.context_id;
        c->opnum = rq.opnum;
        c->object = rq.object;
        c->little_endian = pdu.hdr.littleEndian();
        if (pdu.auth) {
            c->has_auth = true;
            c->auth_type = pdu.auth->auth_type;
            c->auth_level = pdu.auth->auth_level;
        }
        if (!contexts_.count(rq.context_id)) {
            // The bind_ack was not seen (lost, or the client did not wait for it): the newest
            // pending proposal of this context id is what the client is calling.
            const ContextItem* proposed = nullptr;
            for (const auto& [bind_call_id, pb] : pending_binds_)
                for (const ContextItem& ci : pb.items)
                    if (ci.context_id == rq.context_id) proposed = &ci;
            if (proposed) adoptProposal(*proposed);
            else anomalies_.count(DcerpcAnomaly::UnknownContext);
        }
        if (auto ctx = contexts_.find(rq.context_id); ctx != contexts_.end()) c->ctx = ctx->second;
    } else {
        if (it == calls_.end() || it->second.req_done) {
            anomalies_.count(DcerpcAnomaly::OrphanFragment);
            return;
        }
        c = &it->second;
    }
    appendFragment(c->req_stub, c->req_frags, c->req_truncated, rq.stub);
    if (pdu.hdr.last()) completeRequest(*c);
}

const Connection::Context* Connection::contextOf(Call& c) {
    if (!c.ctx) {
        // Unknown when the call started: a bind seen since may name it.
        auto it = contexts_.find(c.context_id);
        if (it == contexts_.end()) return nullptr;
        c.ctx = it->second;
    }
    return &*c.ctx;
}

void Connection::completeRequest(Call& c) {
    c.req_done = true;
    const Context* ctx = contextOf(c);
    if (c.req_truncated || !ctx || !ctx->info) return;
    // pkt_privacy stubs are encrypted: nothing to decode (not an anomaly).
    if (c.has_auth && c.auth_level == uint8_t(AuthLevel::PktPrivacy)) return;
    DecodeResult r = decoder_.request(*ctx->info, c.opnum,
                                      Bytes(c.req_stub.data(), c.req_stub.size()), c.little_endian, c.args,
                                      ctx->ndr64);
    if (r == DecodeResult::Failed) {
        anomalies_.count(DcerpcAnomaly::NdrDecodeFailed);
        c.args = CallArgs{};
    }
    // The request stub is no longer needed once decoded.
    c.req_stub.clear();
    c.req_stub.shrink_to_fit();
}

void Connection::onResponse(const Pdu& pdu, TimeNs ts, bool fault) {
    ResponseBody rb;
    if ((fault ? parseFault(pdu, rb) : parseResponse(pdu, rb)) != ParseState::Success) {
        anomalies_.count(fault ? DcerpcAnomaly::FaultInvalid : DcerpcAnomaly::ResponseInvalid);
        return;
    }
    auto it = calls_.find(pdu.hdr.call_id);
    if (it == calls_.end()) {
        anomalies_.count(DcerpcAnomaly::UnmatchedResponse);
        return;
    }
    Call& c = it->second;
    if (!c.resp_started) {
        c.resp_started = true;
        c.ts_resp = ts;
    }
    if (fault) {
        c.ts_resp = ts;
        finishCall(c, "fault", rb.status);
        calls_.erase(it);
        return;
    }
    appendFragment(c.resp_stub, c.resp_frags, c.resp_truncated, rb.stub);
    // The return value is the last 4 bytes of the whole stub: track them across fragments
    // even when reassembly stopped at the limit.
    for (uint8_t b : rb.stub.size() > 4 ? rb.stub.last(4) : rb.stub) {
        std::memmove(c.resp_tail, c.resp_tail + 1, 3);
        c.resp_tail[3] = b;
    }
    c.resp_total += rb.stub.size();
    if (!pdu.hdr.last()) return;
    c.ts_resp = ts;
    std::optional<uint32_t> status;
    const Context* ctx = contextOf(c);
    const InterfaceInfo* info = ctx ? ctx->info : nullptr;
    bool encrypted = c.has_auth && c.auth_level == uint8_t(AuthLevel::PktPrivacy);
    if (info && info->returns_status && c.resp_total >= 4 && !encrypted) {
        ByteReader r(Bytes(c.resp_tail, 4));
        status = c.little_endian ? r.le32() : r.be32();
    }
    if (info && !encrypted && !c.resp_truncated && !c.req_truncated) {
        DecodeResult r = decoder_.response(*info, c.opnum, Bytes(c.resp_stub.data(), c.resp_stub.size()),
                                           pdu.hdr.littleEndian(), c.args, ctx->ndr64);
        if (r == DecodeResult::Failed) anomalies_.count(DcerpcAnomaly::NdrDecodeFailed);
        else if (r == DecodeResult::Decoded) learn(c.args, ts);
    }
    finishCall(c, "response", status);
    calls_.erase(it);
}

void Connection::learn(const CallArgs& a, TimeNs ts) {
    learnEndpoints(learner_, flow_, a, ts, cfg_.endpoint_ttl);
}

void Connection::finishCall(Call& c, const char* packet_type, std::optional<uint32_t> status) {
    emit(c, DceReply{packet_type, status}, c.ts_resp);
}

void Connection::emit(Call& c, const std::optional<DceReply>& reply, TimeNs reply_ts) {
    CallRecord r;
    r.call_id = c.call_id;
    r.ts_req = c.ts_req;
    if (const Context* ctx = contextOf(c)) {
        r.iface = ctx->abstract;
        r.context_rejected = ctx->rejected;
    } else {
        r.context_id = c.context_id;
    }
    r.opnum = c.opnum;
    if (c.has_auth) {
        r.auth.type = authTypeName(c.auth_type);
        r.auth.level = authLevelName(c.auth_level);
        r.auth.user = auth_user_;
        r.auth.domain = auth_domain_;
        r.auth.workstation = auth_workstation_;
    } else if (assoc_auth_ && assoc_auth_level_ == uint8_t(AuthLevel::Connect)) {
        // Connect level authenticates the association only; requests carry no verifier.
        r.auth.type = authTypeName(assoc_auth_type_);
        r.auth.level = authLevelName(assoc_auth_level_);
    }
    r.pipe = pipe_ ? &*pipe_ : nullptr;
    r.object = c.object;
    r.reply = reply;
    r.reply_ts = reply_ts;
    r.truncated = c.req_truncated || c.resp_truncated;
    r.args = &c.args;
    r.bind = std::move(bind_report_);
    bind_report_.clear();
    sink_.emitEvent(buildCallEvent(flow_, std::move(r)));
}

// ---- entry points ----

TcpConsumer::TcpConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                         EndpointLearner* learner, ConnectionConfig cfg)
    : anomalies_(anomalies), conn_(flow, sink, anomalies, learner, std::nullopt, cfg) {}

size_t TcpConsumer::onData(Direction dir, Bytes data, TimeNs ts) { return conn_.consume(dir, data, ts); }
void TcpConsumer::onGap(Direction dir, uint64_t) { conn_.gap(dir); }
void TcpConsumer::onDatagram(Direction, Bytes, TimeNs) { anomalies_.count(DcerpcAnomaly::UnexpectedDatagram); }
void TcpConsumer::onTick(TimeNs now) { conn_.tick(now); }
void TcpConsumer::onClose(TimeNs now) { conn_.close(now); }

namespace {
class PipeStream : public EmbeddedStream {
public:
    PipeStream(const FlowContext& flow, const PipeInfo& pipe, RecordSink& sink,
               AnomalyCounter& anomalies, EndpointLearner* learner, ConnectionConfig cfg)
        : conn_(flow, sink, anomalies, learner, pipe, cfg) {}
    void feed(Direction dir, Bytes data, TimeNs ts) override { conn_.feed(dir, data, ts); }
    void onGap(Direction dir) override { conn_.gap(dir); }
    void onTick(TimeNs now) override { conn_.tick(now); }
    void onClose(TimeNs now) override { conn_.close(now); }

private:
    Connection conn_;
};
}  // namespace

std::unique_ptr<EmbeddedStream> makePipeStream(const FlowContext& flow, const PipeInfo& pipe,
                                               RecordSink& sink, AnomalyCounter& anomalies,
                                               EndpointLearner* learner, ConnectionConfig cfg) {
    return std::make_unique<PipeStream>(flow, pipe, sink, anomalies, learner, cfg);
}

}  // namespace rpcmon::dcerpc
