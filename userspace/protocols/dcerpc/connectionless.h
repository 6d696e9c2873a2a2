// SPDX-License-Identifier: Apache-2.0
// Connectionless DCE/RPC v4 over UDP (C706 chapter 12.5; UDP 135 and learned ncadg_ip_udp
// ports): calls are keyed by (activity UUID, sequence number), the interface comes from every
// request's header, fragments are reassembled in order, replies are response/fault/reject.
#pragma once

#include <map>

#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/parse.h"
#include "stream/consumer.h"

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
        auto operator<=>(const Key&) const = default;
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
    std::map<Key, Call> calls_;
    ArgsDecoder decoder_;
};

}  // namespace rpcmon::dcerpc
