// SPDX-License-Identifier: Apache-2.0
#include "protocols/onc/consumer.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {

namespace {

size_t idx(Direction d) { return static_cast<size_t>(d); }

OncCredential credential(const Credential& c) {
    OncCredential out;
    out.flavor = nameOr(authFlavorName(c.flavor), c.flavor);
    out.has_sys = c.has_sys;
    if (c.has_sys) {
        out.machine_name = c.machine_name;
        out.uid = c.uid;
        out.gid = c.gid;
        out.gids = c.gids;
        out.stamp = c.stamp;
    }
    out.has_gss = c.has_gss;
    if (c.has_gss) {
        static constexpr const char* kProcs[] = {"DATA", "INIT", "CONTINUE_INIT", "DESTROY"};
        static constexpr const char* kServices[] = {nullptr, "none", "integrity", "privacy"};
        out.gss_version = c.gss_version;
        out.gss_procedure = nameOr(c.gss_proc < 4 ? kProcs[c.gss_proc] : nullptr, c.gss_proc);
        out.gss_seq = c.gss_seq;
        out.gss_service = nameOr(c.gss_service < 4 ? kServices[c.gss_service] : nullptr, c.gss_service);
    }
    return out;
}

OncReply replyOf(const ReplyHeader& r) {
    OncReply out;
    out.accepted = r.status == ReplyStat::Accepted;
    if (out.accepted) {
        out.accept_status = nameOr(acceptStatName(uint32_t(r.accept_stat)), uint32_t(r.accept_stat));
    } else {
        out.reject_status = nameOr(rejectStatName(uint32_t(r.reject_stat)), uint32_t(r.reject_stat));
        if (r.reject_stat == RejectStat::AuthError)
            out.auth_status = nameOr(authStatName(uint32_t(r.auth_stat)), uint32_t(r.auth_stat));
    }
    out.has_mismatch = r.has_mismatch;
    out.mismatch_low = r.mismatch_low;
    out.mismatch_high = r.mismatch_high;
    return out;
}

// First bytes of a direction's stream look like a record mark + rpc_msg (capture started at a
// record boundary), so the first record need not be a call to be accepted.
enum class Start { Yes, No, Unknown };
Start startsLikeRecord(Bytes b) {
    // xid, msg_type and the third word (rpcvers / reply_stat), gathered across fragments:
    // senders may cut a record anywhere, even into 1-byte fragments.
    RecordPrefix p;
    switch (gatherRecordPrefix(b, 12, p)) {
    case Gather::NeedMore: return Start::Unknown;
    case Gather::Bad: return Start::No;
    case Gather::Done: break;
    }
    // A last fragment holds a whole message, which is at least a minimal reply.
    if (p.first_last && p.first_len < kMinReplyBytes) return Start::No;
    if (p.complete && p.bytes.size() < kMinReplyBytes) return Start::No;
    ByteReader r(Bytes(p.bytes.data(), p.bytes.size()));
    r.be32();  // xid
    uint32_t type = r.be32(), third = r.be32();
    if (!r.ok()) return Start::No;
    if (type > uint32_t(MsgType::Reply)) return Start::No;
    if (type == uint32_t(MsgType::Call)) return third == kRpcVersion ? Start::Yes : Start::No;
    return third <= 1 ? Start::Yes : Start::No;
}

}  // namespace

OncConsumer::OncConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                         EndpointLearner* learner, OncConfig config)
    : flow_(flow),
      sink_(sink),
      anomalies_(anomalies),
      learner_(learner),
      config_(config),
      streams_{Stream(config.max_kept_record), Stream(config.max_kept_record)},
      pending_{Calls(config.max_pending), Calls(config.max_pending)} {}

bool OncConsumer::xidPending(Direction reply_dir, uint32_t xid) const {
    return pending_[idx(reverse(reply_dir))].contains(xid);
}

size_t OncConsumer::onData(Direction dir, Bytes data, TimeNs ts) {
    Stream& s = streams_[idx(dir)];
    s.last_ts = ts;
    // A record's time is that of its first segment (SCHEMA: "time of the first packet of the
    // call"), not of the one completing it: a record in progress keeps its start time.
    if (s.assembler.idle()) s.record_start_ts = ts;
    auto pending = [this, dir](uint32_t xid) { return xidPending(dir, xid); };
    std::vector<Record> records;
    size_t pos = 0;
    while (pos < data.size()) {
        if (s.resync) {
            Bytes rest = data.subspan(pos);
            if (s.fresh) {
                Start st = startsLikeRecord(rest);
                if (st == Start::Unknown) return pos;  // wait for 16 bytes
                s.fresh = false;
                if (st == Start::Yes) s.resync = false;
            }
        }
        if (s.resync) {
            Boundary b = findRecordBoundary(data.subspan(pos), pending);
            if (b.offset) anomalies_.count(OncAnomaly::ResyncSkippedBytes, b.offset);
            pos += b.offset;
            if (!b.found) return pos;
            s.resync = false;
            s.assembler.reset();
            s.record_start_ts = ts;
        }
        s.fresh = false;
        records.clear();
        RecordAssembler::FeedResult fr = s.assembler.feed(data.subspan(pos), records);
        pos += fr.consumed;
        for (Record& rec : records) {
            TimeNs rec_ts = s.record_start_ts ? s.record_start_ts : ts;
            s.record_start_ts = ts;  // later records of this batch started in this data
            if (!handleMessage(dir, rec.bytes, !rec.prefix_only(), rec_ts)) {
                // A well-framed record that is not a valid rpc_msg: the framing we followed
                // is suspect, so look for the next plausible record from here on.
                s.resync = true;
                s.assembler.reset();
            }
        }
        if (fr.anomaly) {
            anomalies_.count(fr.anomaly);
            s.resync = true;
            continue;
        }
        if (!s.resync) break;  // all consumed except a partial record mark
    }
    return pos;
}

void OncConsumer::onGap(Direction dir, uint64_t bytes) {
    Stream& s = streams_[idx(dir)];
    s.fresh = false;
    if (!s.resync) {
        // A gap inside a record's payload (typically NFS READ/WRITE data beyond the snap
        // length) keeps the framing: the record is reported from its kept prefix.
        std::vector<Record> done;
        if (s.assembler.skipGap(bytes, done)) {
            for (Record& rec : done) handleMessage(dir, rec.bytes, false, s.record_start_ts ? s.record_start_ts : s.last_ts);
            return;
        }
    }
    handlePartial(dir, s, OncAnomaly::RecordCutByGap);
    s.resync = true;
}

void OncConsumer::handlePartial(Direction dir, Stream& s, OncAnomaly anomaly) {
    Record partial;
    if (!s.assembler.takePartial(partial)) return;
    anomalies_.count(anomaly);
    handleMessage(dir, partial.bytes, false, s.record_start_ts ? s.record_start_ts : s.last_ts);
}

void OncConsumer::onDatagram(Direction dir, Bytes data, TimeNs ts) {
    handleMessage(dir, data, true, ts);
}

bool OncConsumer::handleMessage(Direction dir, Bytes msg, bool complete, TimeNs ts) {
    Message m;
    ParseResult pr = parseMessage(msg, m);
    if (pr.state == ParseState::Invalid) {
        anomalies_.count(pr.anomaly ? pr.anomaly : counterName(OncAnomaly::InvalidMessage));
        return false;
    }
    if (pr.state == ParseState::NeedsMoreData) {
        // The record or datagram is all there is: a header that does not fit is truncated.
        anomalies_.count(m.type == MsgType::Reply ? OncAnomaly::TruncatedReply : OncAnomaly::TruncatedCall);
        return false;
    }
    if (m.type == MsgType::Call)
        handleCall(dir, m.call, msg.subspan(m.call.args_offset), complete, ts);
    else
        handleReply(dir, m.reply, msg.subspan(m.reply.results_offset), complete, ts);
    return true;
}

void OncConsumer::handleCall(Direction dir, const CallHeader& call, Bytes args, bool complete,
                             TimeNs ts) {
    Calls& t = pending_[idx(dir)];
    auto found = t.find(call.xid);
    if (found != t.end()) {
        Pending& p = found->second;
        if (p.call.prog == call.prog && p.call.vers == call.vers && p.call.proc == call.proc) {
            p.retransmissions++;  // same call again: reported once, with the count
            return;
        }
        // The client reused the XID for another call: the old one will never be answered.
        anomalies_.count(OncAnomaly::XidReused);
        finish(found->second, nullptr, nullptr, 0);
        t.erase(found);
    }
    CallBody body = decodeCallBody(call, args, complete, anomalies_);
    t.insert(call.xid, Pending{call, ts, dir, std::move(body.fields), body.memo, 0}, [&](uint32_t, Pending& oldest) {
        anomalies_.count(OncAnomaly::PendingEvicted);
        finish(oldest, nullptr, nullptr, 0);
    });
}

void OncConsumer::handleReply(Direction dir, const ReplyHeader& reply, Bytes results,
                              bool complete, TimeNs ts) {
    Calls& t = pending_[idx(reverse(dir))];
    auto found = t.find(reply.xid);
    if (found == t.end()) {
        anomalies_.count(OncAnomaly::OrphanReply);
        return;
    }
    const Pending& p = found->second;
    ReplyBody body;
    if (reply.status == ReplyStat::Accepted && reply.accept_stat == AcceptStat::Success) {
        // The replying side is the server of this call (the client for callbacks).
        const Address& server = dir == Direction::FromServer ? flow_.key.server : flow_.key.client;
        body = decodeReplyBody(p.call, p.memo, results, complete, server, anomalies_);
    }
    if (learner_) {
        for (LearnedEndpoint& ep : body.endpoints) {
            ep.expires = ts + config_.endpoint_ttl;
            learner_->learn(ep);
        }
    }
    finish(found->second, &reply, &body, ts);
    t.erase(found);
}

void OncConsumer::finish(Pending& p, const ReplyHeader* reply, const ReplyBody* body, TimeNs reply_ts) {
    Event ev = makeEvent(flow_, p.ts, EventType::Rpc);
    OncCall& c = ev.rpc.emplace<OncCall>();
    c.xid = p.call.xid;
    c.program = p.call.prog;
    c.program_name = programName(p.call.prog);
    c.version = p.call.vers;
    c.procedure = p.call.proc;
    c.procedure_name = procedureName(p.call.prog, p.call.vers, p.call.proc);
    c.cred = credential(p.call.cred);
    c.verifier_flavor = nameOr(authFlavorName(p.call.verifier_flavor), p.call.verifier_flavor);
    c.retransmissions = p.retransmissions;
    c.callback = p.dir == Direction::FromServer;  // call sent by the server side
    if (reply) {
        c.reply = replyOf(*reply);
        // A reply stamped before its call (per-CPU ring buffers, a stepped clock) has no
        // latency to report: omitted as unknown (SCHEMA.md), as DCE/RPC does, rather than a 0
        // that would read as a real measurement and drag a SIEM's latency statistics down.
        if (reply_ts >= p.ts) ev.latency_us = (reply_ts - p.ts) / 1000;
    }
    c.fields = std::move(p.fields);
    if (body) mergeFields(c.fields, body->fields);
    sink_.emitEvent(std::move(ev));
}

void OncConsumer::onTick(TimeNs now) {
    // Calls are queued in arrival order, so the oldest are at the front.
    for (Calls& t : pending_)
        t.expire([&](const Pending& p) { return p.ts + config_.call_timeout <= now; },
                 [&](uint32_t, Pending& p) { finish(p, nullptr, nullptr, 0); });
}

void OncConsumer::onClose(TimeNs) {
    // A record still being assembled when the flow ends (capture cut mid-record) is reported
    // from what arrived, before pending calls are flushed with reply null.
    for (int d = 0; d < 2; d++) handlePartial(static_cast<Direction>(d), streams_[d], OncAnomaly::IncompleteRecordAtClose);
    for (Calls& t : pending_) t.drain([&](uint32_t, Pending& p) { finish(p, nullptr, nullptr, 0); });
    for (Stream& s : streams_) s.assembler.reset();
}

}  // namespace rpcmon::onc
