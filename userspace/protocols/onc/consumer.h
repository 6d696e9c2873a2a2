// SPDX-License-Identifier: Apache-2.0
// ONC RPC stream consumer: one per transport flow. Frames TCP record marking (resynchronising
// after gaps and invalid records) or takes UDP datagrams whole, joins each call with its reply
// by XID and emits one `event_type: "rpc"` record per call (SCHEMA.md), with `rpc.reply: null`
// for calls that time out or are still pending when the flow closes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "protocols/onc/anomalies.h"
#include "protocols/onc/body.h"
#include "protocols/onc/parse.h"
#include "protocols/onc/types.h"
#include "stream/consumer.h"
#include "stream/pending_table.h"

namespace rpcmon::onc {

struct OncConfig {
    // A call without a reply after this long is reported with rpc.reply = null.
    TimeNs call_timeout = 30ull * 1000000000ull;
    // Pending calls per flow and direction; the oldest is reported (reply null) and counted
    // (onc.pending_evicted) when a new call would exceed it.
    size_t max_pending = 4096;
    // How long an endpoint learned from a portmapper reply stays watched.
    TimeNs endpoint_ttl = 10ull * 60 * 1000000000ull;
    // Kept bytes per TCP record (headers + argument prefix); the rest is skipped.
    size_t max_kept_record = kMaxKeptRecordBytes;
};

class OncConsumer : public StreamConsumer {
public:
    // `learner` may be null (no portmapper learning). References must outlive the consumer.
    OncConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                EndpointLearner* learner, OncConfig config = {});

    size_t onData(Direction dir, Bytes data, TimeNs ts) override;
    void onGap(Direction dir, uint64_t bytes) override;
    void onDatagram(Direction dir, Bytes data, TimeNs ts) override;
    void onTick(TimeNs now) override;
    void onClose(TimeNs now) override;

    // Calls awaiting a reply (both directions), for stats and tests.
    size_t pendingCalls() const { return pending_[0].size() + pending_[1].size(); }

private:
    struct Pending {
        CallHeader call;
        TimeNs ts = 0;
        Direction dir = Direction::ToServer;
        ArgList fields;  // decoded arguments: {"nfs": {...}}
        CallMemo memo;
        uint32_t retransmissions = 0;
    };
    // Calls sent in one direction, oldest first, by XID.
    using Calls = PendingTable<uint32_t, Pending>;
    struct Stream {
        RecordAssembler assembler;
        bool resync = true;  // start of capture may be mid-record
        bool fresh = true;   // no byte of this direction seen yet
        TimeNs last_ts = 0;  // time of the newest bytes
        TimeNs record_start_ts = 0;  // time of the first bytes of the record being assembled
        explicit Stream(size_t max_kept) : assembler(max_kept) {}
    };

    bool handleMessage(Direction dir, Bytes msg, bool complete, TimeNs ts);
    // Dissects the record a gap or the end of the flow cut short (its header is usually there).
    void handlePartial(Direction dir, Stream& s, OncAnomaly anomaly);
    void handleCall(Direction dir, const CallHeader& call, Bytes args, bool complete, TimeNs ts);
    void handleReply(Direction dir, const ReplyHeader& reply, Bytes results, bool complete,
                     TimeNs ts);
    // Emits `p` (reply null when `reply` is null); the caller removes it from its table.
    void finish(Pending& p, const ReplyHeader* reply, const ReplyBody* body, TimeNs reply_ts);
    bool xidPending(Direction reply_dir, uint32_t xid) const;

    FlowContext flow_;
    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    EndpointLearner* learner_;
    OncConfig config_;
    Stream streams_[2];
    std::array<Calls, 2> pending_;  // indexed by the direction the call travelled
};

}  // namespace rpcmon::onc
