// SPDX-License-Identifier: Apache-2.0
// The one downstream pipeline for live and offline input: dispatches ring-buffer records by
// type, keeps per-flow state, hands payload to the protocol layers, emits records and stats.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "capture/offline_classifier.h"
#include "capture/packet_source.h"
#include "output/record.h"
#include "pipeline/dissectors.h"
#include "stream/consumer.h"
#include "stream/checksum.h"
#include "stream/flow_table.h"
#include "stream/ip_defrag.h"

namespace rpcmon::npa {
class HostPipes;
class WireSessions;
}
namespace rpcmon::host {
class ProcessTable;
}

namespace rpcmon {

struct PipelineOptions {
    bool packet_records = false;  // also emit one `event_type: "packet"` line per packet
    FlowLimits flows;
    DissectorLimits dissectors;  // for makeDissectors(); the Pipeline uses the maker it is given
                                 // (and the DCE/RPC settings for host named pipes)
    TimeNs tick_interval_ns = 1000000000ull;  // how often flows expire and calls time out
    // Memory cap (resident set, KiB; 0 = none), checked once per tick: above it the least
    // recently seen half of the flows end (memory.cap_exceeded per episode, memory.flows_shed).
    uint64_t memory_limit_kb = 256 * 1024;
    // IP fragments (RPCMON_REC_IP_FRAGMENT records): reassembled, then classified here.
    DefragLimits defrag;
    // Checksums of fragments and reassembled datagrams (analyze also checks whole frames itself).
    ChecksumMode checksums = ChecksumMode::Auto;
    // Tests: replaces reading /proc/self/statm for the cap check.
    std::function<uint64_t()> rss_kb_probe;
};

class Pipeline : public RecordHandler, public AnomalyCounter {
public:
    Pipeline(const PipelineOptions& opts, RecordSink& sink, EndpointLearner& learner, ConsumerMaker maker);
    ~Pipeline() override;

    void onRecord(Bytes record, TimeNs wall_ts) override;
    void onIdle(TimeNs now) override;
    void count(const char* name, uint64_t n = 1) override;
    using AnomalyCounter::count;  // count(PipelineAnomaly::...)

    // Ends every flow (reports pending calls) - end of capture or agent shutdown.
    void finish(TimeNs now);
    // The pipeline's counters (records by type, anomalies by name, flows) for stats lines.
    Json stats() const;

private:
    using Handler = void (Pipeline::*)(Bytes record, TimeNs ts);
    void onPacketRecord(Bytes record, TimeNs ts);
    // An IP fragment (struct rpcmon_frame_record): into the reassembler; a complete datagram is
    // classified by frag_cls_ and continues as a packet record.
    void onFragmentRecord(Bytes record, TimeNs ts);
    // Host-socket records (Samba's np/ sockets, include/rpcmon/host_wire.h).
    void onHostRecord(Bytes record, TimeNs ts);
    // A local process's TCP connection (process attribution of wire records).
    void onHostConnRecord(Bytes record, TimeNs ts);
    void emitPacketRecord(const rpcmon_packet_record& rec, const FlowContext& flow, TimeNs ts);
    // The memory cap: sheds flows while the resident set is above opts_.memory_limit_kb.
    void checkMemory(TimeNs now);

    // Endpoints the protocol layers learn go to the source's learner (kernel map live, pcap
    // classifier offline) and to frag_cls_, so reassembled datagrams to a port learned from a
    // portmapper or endpoint-mapper reply are classified as the kernel classifies whole ones.
    class TeeLearner : public EndpointLearner {
    public:
        TeeLearner(EndpointLearner& next, OfflineClassifier& cls) : next_(next), cls_(cls) {}
        void learn(const LearnedEndpoint& ep) override;

    private:
        EndpointLearner& next_;
        OfflineClassifier& cls_;
    };

    PipelineOptions opts_;
    RecordSink& sink_;
    EndpointLearner& learner_;
    // The classifier of reassembled datagrams: the kernel's code, run in user space.
    OfflineClassifier frag_cls_{RPCMON_OFFLINE_MAX_SNAPLEN, false};
    TeeLearner tee_{learner_, frag_cls_};
    std::unique_ptr<IpDefrag> defrag_;
    std::vector<uint8_t> datagram_, frag_rec_;
    std::map<uint16_t, Handler> handlers_;   // record type -> handler (Tetragon's table)
    std::map<std::string, uint64_t> anomalies_;
    uint64_t records_ = 0, unknown_record_types_ = 0, bad_record_sizes_ = 0;
    std::array<uint64_t, RPCMON_APP_COUNT> packets_by_app_{};  // by enum rpcmon_app
    ConsumerMaker maker_;
    std::unique_ptr<FlowTable> flows_;
    std::unique_ptr<host::ProcessTable> processes_;    // wire records gain process.*
    std::unique_ptr<npa::WireSessions> wire_sessions_;  // the protocol layers' sink (host dedup)
    std::unique_ptr<npa::HostPipes> host_pipes_;
    TimeNs last_tick_ = 0;
    bool over_memory_cap_ = false;  // inside an episode above the cap (warned once)
};

}  // namespace rpcmon
