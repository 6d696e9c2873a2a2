// SPDX-License-Identifier: Apache-2.0
// Connectionless DCE/RPC v4 over UDP (C706 chapter 12.5; UDP 135 and learned ncadg_ip_udp
// ports): calls are keyed by (activity UUID, sequence number), the interface comes from every
// request's header, fragments are reassembled in order, replies are response/fault/reject.
#pragma once

#include <cstring>

#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/parse.h"
#include "stream/consumer.h"
#include "stream/pending_table.h"

namespace rpcmon::dcerpc {

class UdpConsumer : public StreamConsumer {
public:
    UdpConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                EndpointLearner* learner, ConnectionConfig cfg = {});
    size_t onData(Direction dir, Bytes data, TimeNs ts) override;
    void onGap(Direction dir, uint64_t bytes) override;
    void onDatagram(Direction dir, Bytes data, TimeNs ts) override;
    void onTick(TimeNs now) override;
    void onClose(TimeNs now) override;

    size_t pendingCalls() const { return calls_.size(); }

private:
    struct Key {
        Uuid activity;
        uint32_t seqnum = 0;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const {
            uint64_t tail;
            std::memcpy(&tail, k.activity.d4.data(), sizeof tail);
            uint64_t h = (uint64_t(k.activity.d1) << 32 | uint64_t(k.activity.d2) << 16 | k.activity.d3) *
                         0x9e3779b97f4a7c15ull;
            h ^= tail + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
            h ^= k.seqnum + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
            return size_t(h);
        }
    };
    struct Call {
        ClHeader req;
        TimeNs ts_req = 0, ts_resp = 0;
        std::vector<uint8_t> req_stub, resp_stub;
        uint16_t next_req_frag = 0, next_resp_frag = 0;
        size_t req_frags = 0, resp_frags = 0;
        bool req_done = false, truncated = false;
        CallArgs args;
    };

    void onRequest(const ClHeader& h, Bytes body, TimeNs ts);
    void onReply(const ClHeader& h, Bytes body, TimeNs ts);
    bool append(std::vector<uint8_t>& buf, uint16_t& next, size_t& frags, Call& c, const ClHeader& h, Bytes body);
    void emit(Call& c, const Key& k, const std::optional<DceReply>& reply, TimeNs reply_ts);

    FlowContext flow_;
    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    EndpointLearner* learner_;
    ConnectionConfig cfg_;
    PendingTable<Key, Call, KeyHash> calls_;  // oldest first
    ArgsDecoder decoder_;
};

}  // namespace rpcmon::dcerpc
