// SPDX-License-Identifier: Apache-2.0
// Per-transport-connection DCE/RPC state (C706 12.x association + [MS-RPCE] 3.3): PDU framing
// with resynchronisation, presentation context table from bind/alter_context, security context
// identity from NTLMSSP, request/response fragment reassembly, call matching by call_id, and
// one `event_type: "rpc"` record per call (SCHEMA.md). Entry points for the pipeline:
// TcpConsumer (direct TCP), makePipeStream (SMB named pipes).
#pragma once

#include <algorithm>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"
#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/interfaces.h"
#include "protocols/dcerpc/parse.h"
#include "stream/consumer.h"
#include "stream/pending_table.h"

namespace rpcmon::dcerpc {

constexpr TimeNs kNsPerSec = 1'000'000'000ull;
// A call without reply after this long is reported with rpc.reply = null. Windows' default
// RPC call timeout is unbounded but clients give up within a minute for nearly all interfaces.
constexpr TimeNs kDefaultCallTimeout = 60 * kNsPerSec;
// Outstanding calls per connection: MS-RPCE clients pipeline few (< 10) calls; 256 leaves room
// for multiplexed DCOM connections while bounding memory (each call can hold kMaxStubBytes).
constexpr size_t kDefaultMaxPendingCalls = 256;
// Presentation contexts per connection: Windows allows up to 65535 but uses a handful;
// past this the bind is still parsed but new contexts are dropped (dcerpc.context_table_full).
constexpr size_t kDefaultMaxContexts = 256;
// Binds awaiting their ack (a client sends one at a time; slack for alter_context bursts).
constexpr size_t kMaxPendingBinds = 16;
// Internal buffering for embedded (pipe) streams: two maximal fragments.
constexpr size_t kDefaultMaxBuffer = 2 * kMaxFragLen;
// Smallest fragment size a peer may advertise (C706 12.6.3.1: MustRecvFragSize = 1432); a
// smaller advertised limit is not believed, so a bogus bind cannot make every PDU "oversized".
constexpr size_t kMinNegotiatedFrag = 1432;
// Endpoint-mapper answers are valid while the server keeps the port, usually until reboot;
// re-learned on every ept_map, so an hour keeps the watch list fresh without growing forever.
constexpr TimeNs kEndpointTtl = 3600 * kNsPerSec;

struct ConnectionConfig {
    TimeNs call_timeout = kDefaultCallTimeout;
    size_t max_pending_calls = kDefaultMaxPendingCalls;
    size_t max_contexts = kDefaultMaxContexts;
    size_t max_buffer = kDefaultMaxBuffer;
    TimeNs endpoint_ttl = kEndpointTtl;
};

class Connection {
public:
    // `pipe` is set when the bytes come from an SMB named pipe (rpc.named_pipe, smb.*).
    Connection(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
               EndpointLearner* learner, std::optional<PipeInfo> pipe = std::nullopt,
               ConnectionConfig cfg = {});

    // StreamConsumer semantics: parses whole PDUs from the front of `data`, returns bytes used.
    size_t consume(Direction dir, Bytes data, TimeNs ts);
    // EmbeddedStream semantics: buffers (bounded) and parses what is complete.
    void feed(Direction dir, Bytes data, TimeNs ts);
    // Bytes lost in `dir`: drop partial buffers, resynchronise on the next PDU header.
    void gap(Direction dir);
    // Expire calls older than the timeout (reported with rpc.reply = null).
    void tick(TimeNs now);
    // Report every pending call and forget all state.
    void close(TimeNs now);

    size_t pendingCalls() const { return calls_.size(); }
    // Accepted (or adopted) contexts; rejected ones are kept apart for naming only.
    size_t contextCount() const {
        return static_cast<size_t>(std::count_if(contexts_.begin(), contexts_.end(),
                                                 [](const auto& kv) { return !kv.second.rejected; }));
    }

private:
    struct Context {
        SyntaxId abstract;
        const InterfaceInfo* info = nullptr;
        bool ndr64 = false;
        // The server rejected it (bind_ack result or bind_nak); requests on it are still what
        // the client tried to call, which matters to detections (refused coercion, DCOM...).
        bool rejected = false;
        // Installed from the client's proposal before (or without) a bind_ack result: calls
        // that started on it take the server's answer when it comes.
        bool adopted = false;
    };
    struct PendingBind {
        bool alter = false;
        std::vector<ContextItem> items;
    };
    struct Call {
        uint32_t call_id = 0;
        TimeNs ts_req = 0, ts_resp = 0;
        uint16_t context_id = 0;
        // The context as bound when the call started: an alter_context re-binding the id
        // while the call is in flight must not rename it (or its reply).
        std::optional<Context> ctx;
        uint16_t opnum = 0;
        std::optional<Uuid> object;
        bool little_endian = true;
        bool has_auth = false;
        uint8_t auth_type = 0, auth_level = 0;
        std::vector<uint8_t> req_stub, resp_stub;
        size_t req_frags = 0, resp_frags = 0;
        bool req_done = false, req_truncated = false;
        bool resp_started = false, resp_truncated = false;
        uint8_t resp_tail[4]{};
        size_t resp_total = 0;
        CallArgs args;
    };

    void handlePdu(Direction dir, const Pdu& pdu, TimeNs ts);
    void onBind(const Pdu& pdu, bool alter);
    void onBindAck(const Pdu& pdu, bool alter);
    void onBindNak(const Pdu& pdu);
    void onAuth(const Pdu& pdu);
    void onRequest(const Pdu& pdu, TimeNs ts);
    void onResponse(const Pdu& pdu, TimeNs ts, bool fault);
    // The call's context: its snapshot, else (unknown when it started) the current one.
    const Context* contextOf(Call& c);
    void completeRequest(Call& c);
    void finishCall(Call& c, const char* packet_type, std::optional<uint32_t> status);
    void emit(Call& c, const std::optional<DceReply>& reply, TimeNs reply_ts);
    void learn(const CallArgs& a, TimeNs ts);
    void addBindReport(DceBind&& report);
    // Emits binds not attached to a call as one `dcerpc_bind` record.
    void flushBinds();
    // Installs the client's proposal for a context no bind_ack result decided (see .cc).
    void adoptProposal(const ContextItem& ci, bool rejected = false);
    Call& newCall(uint32_t call_id, TimeNs ts);
    bool appendFragment(std::vector<uint8_t>& buf, size_t& frags, bool& truncated, Bytes stub);

    FlowContext flow_;
    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    EndpointLearner* learner_;
    std::optional<PipeInfo> pipe_;
    ConnectionConfig cfg_;

    std::map<uint16_t, Context> contexts_;
    std::map<uint32_t, PendingBind> pending_binds_;
    PendingTable<uint32_t, Call> calls_;  // by call_id, oldest first
    ArgsDecoder decoder_;
    // Bind / alter_context / bind_nak outcomes since the last emitted call, attached to the
    // next call record as rpc.bind (an array, oldest first); bounded by kMaxPendingBinds.
    std::vector<DceBind> bind_report_;
    TimeNs last_ts_ = 0, first_bind_ts_ = 0;
    // Association security from the last bind / alter_context / auth3 verifier; reported for
    // requests without a verifier (connect level sends none in requests).
    uint8_t assoc_auth_type_ = 0, assoc_auth_level_ = 0;
    bool assoc_auth_ = false;
    // Security context identity (NTLMSSP AUTHENTICATE in bind / alter_context / auth3).
    std::string auth_user_, auth_domain_, auth_workstation_;
    bool resync_[2] = {false, false};
    // Largest fragment the receiver in each direction said it accepts (bind_ack max_recv_frag
    // for requests, bind max_recv_frag for responses); 0 until negotiated. Samba and Windows
    // drop the connection on a larger fragment, so a frag_length above it is not followed
    // (it would swallow the PDUs behind it): counted, and the stream resynchronised.
    size_t max_frag_[2] = {0, 0};
    std::vector<uint8_t> buf_[2];
};

// Direct TCP (port 135 and dynamic ports learned from the endpoint mapper).
class TcpConsumer : public StreamConsumer {
public:
    TcpConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                EndpointLearner* learner, ConnectionConfig cfg = {});
    size_t onData(Direction dir, Bytes data, TimeNs ts) override;
    void onGap(Direction dir, uint64_t bytes) override;
    void onDatagram(Direction dir, Bytes data, TimeNs ts) override;
    void onTick(TimeNs now) override;
    void onClose(TimeNs now) override;

private:
    AnomalyCounter& anomalies_;
    Connection conn_;
};

// DCE/RPC inside an SMB named pipe: records carry rpc.named_pipe and the session's smb.* keys.
// `cfg` carries the same limits (limits.protocols.dcerpc_*) as direct TCP connections.
std::unique_ptr<EmbeddedStream> makePipeStream(const FlowContext& flow, const PipeInfo& pipe,
                                               RecordSink& sink, AnomalyCounter& anomalies,
                                               EndpointLearner* learner, ConnectionConfig cfg = {});

// PipeOpener for the SMB layer: binds sink, counters, learner and limits once.
class DcerpcPipeOpener : public PipeOpener {
public:
    DcerpcPipeOpener(RecordSink& sink, AnomalyCounter& anomalies, EndpointLearner* learner,
                     ConnectionConfig cfg = {})
        : sink_(sink), anomalies_(anomalies), learner_(learner), cfg_(cfg) {}
    std::unique_ptr<EmbeddedStream> openPipe(const FlowContext& flow, const PipeInfo& pipe) override {
        return makePipeStream(flow, pipe, sink_, anomalies_, learner_, cfg_);
    }

private:
    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    EndpointLearner* learner_;
    ConnectionConfig cfg_;
};

}  // namespace rpcmon::dcerpc
