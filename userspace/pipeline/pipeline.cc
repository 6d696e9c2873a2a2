// SPDX-License-Identifier: Apache-2.0
#include "pipeline/pipeline.h"

#include "pipeline/dissectors.h"

#include "host/process_table.h"
#include "pipeline/anomalies.h"
#include "protocols/npa/host_pipes.h"
#include "rpcmon/host_wire.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace rpcmon {
namespace {

// Resident set size of this process in KiB (/proc/self/statm, second field), 0 if unreadable;
// with `anonymous`, without file-backed and shared pages (statm's third field): the memory the
// process's own state takes - a capture file mapped for reading is not state.
uint64_t currentRssKb(bool anonymous = false) {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size = 0, resident = 0, shared = 0;
    int n = std::fscanf(f, "%llu %llu %llu", &size, &resident, &shared);
    std::fclose(f);
    if (n != 3) return 0;
    if (anonymous) resident = resident > shared ? resident - shared : 0;
    return resident * uint64_t(sysconf(_SC_PAGESIZE)) / 1024;
}

// Peak resident set size in KiB: VmHWM of /proc/self/status. Not getrusage's ru_maxrss, which
// Linux carries over execve from the parent (a large parent that forks rpcmon would show).
uint64_t peakRssKb() {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) break;
    std::fclose(f);
    return kb;
}

const char* matchName(uint8_t m) {
    switch (m) {
    case RPCMON_MATCH_PORT: return "port";
    case RPCMON_MATCH_WATCHED: return "watched";
    case RPCMON_MATCH_SIGNATURE: return "signature";
    }
    return "none";
}

const char* hookName(uint8_t h) {
    switch (h) {
    case RPCMON_HOOK_XDP: return "xdp";
    case RPCMON_HOOK_SOCKET: return "socket";
    case RPCMON_HOOK_PCAP: return "pcap";
    case RPCMON_HOOK_SOCKET_INGRESS: return "socket_ingress";
    }
    return "unknown";
}

}  // namespace

Pipeline::Pipeline(const PipelineOptions& opts, RecordSink& sink, EndpointLearner& learner, ConsumerMaker maker)
    : opts_(opts), sink_(sink), learner_(learner), maker_(std::move(maker)) {
    handlers_[RPCMON_REC_PACKET] = &Pipeline::onPacketRecord;
    handlers_[RPCMON_REC_IP_FRAGMENT] = &Pipeline::onFragmentRecord;
    defrag_ = std::make_unique<IpDefrag>(opts.defrag, *this);
    processes_ = std::make_unique<host::ProcessTable>(sink_);
    wire_sessions_ = std::make_unique<npa::WireSessions>(*processes_);
    flows_ = std::make_unique<FlowTable>(
        opts.flows,
        [this](const FlowContext& ctx) -> std::unique_ptr<StreamConsumer> {
            return maker_ ? maker_(ctx, *wire_sessions_, *this, tee_) : nullptr;
        },
        *this);
    handlers_[RPCMON_REC_HOST_MSG] = &Pipeline::onHostRecord;
    handlers_[RPCMON_REC_HOST_CONN] = &Pipeline::onHostConnRecord;
    // Host named pipes get the DCE/RPC settings wire connections get (makeDissectors).
    host_pipes_ = std::make_unique<npa::HostPipes>(
        sink_, *this, [this](const FlowKey& k) { return flows_->flowId(k); }, wire_sessions_.get(),
        opts.dissectors.dcerpc);
}

Pipeline::~Pipeline() = default;

void Pipeline::count(const char* name, uint64_t n) { anomalies_[name] += n; }

void Pipeline::onRecord(Bytes record, TimeNs ts) {
    records_++;
    if (record.size() < sizeof(rpcmon_record_header)) {
        bad_record_sizes_++;
        return;
    }
    rpcmon_record_header hdr;
    std::memcpy(&hdr, record.data(), sizeof hdr);
    // The kernel reserves ring space in size classes: the record is the first hdr.size bytes.
    if (hdr.size < sizeof hdr || hdr.size > record.size()) {
        bad_record_sizes_++;
        return;
    }
    record = record.first(hdr.size);
    auto it = handlers_.find(hdr.type);
    if (it == handlers_.end()) {
        unknown_record_types_++;
        return;
    }
    (this->*(it->second))(record, ts);
}

void Pipeline::TeeLearner::learn(const LearnedEndpoint& ep) {
    next_.learn(ep);
    rpcmon_endpoint_key k;
    rpcmon_endpoint_value v;
    watchedEntry(ep, k, v);
    v.expires_ns = ep.expires;  // pipeline time, the clock frag_cls_ is given
    cls_.addWatched(k, v);
}

// A record type's fixed part T, followed by exactly T::captured_len bytes; false otherwise.
template <typename T>
static bool readRecord(Bytes record, T& out) {
    if (record.size() < sizeof out) return false;
    std::memcpy(&out, record.data(), sizeof out);
    return sizeof out + out.captured_len == record.size();
}

void Pipeline::onFragmentRecord(Bytes record, TimeNs ts) {
    rpcmon_frame_record fr;
    if (!readRecord(record, fr)) {
        bad_record_sizes_++;
        return;
    }
    Bytes frame = record.subspan(sizeof fr);
    // The host drops a fragment with a bad IPv4 header checksum before reassembly.
    if (!checksumsAccept(frame, opts_.checksums, *this)) return;
    if (defrag_->offer(frame, ts, datagram_) != IpDefrag::Result::Complete) return;
    if (!checksumsAccept(datagram_, opts_.checksums, *this)) return;
    // Records say where the fragments were seen, not the user-space classifier's own hook; a
    // reassembled datagram can be larger than one record: classify() may have split it.
    if (!frag_cls_.classify(datagram_, ts, frag_rec_, fr.hook, fr.ifindex)) {
        count(PipelineAnomaly::DefragDatagramsNotRpc);
        return;
    }
    OfflineClassifier::forEachRecord(frag_rec_, [&](std::span<const uint8_t> piece) { onPacketRecord(piece, ts); });
}

void Pipeline::onPacketRecord(Bytes record, TimeNs ts) {
    rpcmon_packet_record rec;
    if (!readRecord(record, rec)) {
        bad_record_sizes_++;
        return;
    }
    packets_by_app_[rec.app < packets_by_app_.size() ? rec.app : 0]++;
    if (rec.match == RPCMON_MATCH_SIGNATURE && rec.role == RPCMON_ROLE_TO_SERVER) {
        // The kernel learned this server from a call's signature; its fragmented datagrams
        // (large UDP replies) must be classified in user space the same way.
        rpcmon_endpoint_key k{};
        std::memcpy(k.addr, rec.flow.daddr, 16);
        k.port = rec.flow.dport;
        k.l4proto = rec.flow.l4proto;
        if (!frag_cls_.isWatched(k)) {
            rpcmon_endpoint_value v{};
            v.app = rec.app;
            v.origin = RPCMON_MATCH_SIGNATURE;
            v.added_ns = ts;
            v.expires_ns = ts + RPCMON_SIGNATURE_TTL_NS;
            frag_cls_.addWatched(k, v);
        }
    }
    if (rec.role == RPCMON_ROLE_UNKNOWN) {
        count(PipelineAnomaly::PacketWithoutRole);
        return;
    }
    PacketInfo p;
    bool from_server = rec.role == RPCMON_ROLE_FROM_SERVER;
    std::memcpy(p.key.client.data(), from_server ? rec.flow.daddr : rec.flow.saddr, 16);
    std::memcpy(p.key.server.data(), from_server ? rec.flow.saddr : rec.flow.daddr, 16);
    p.key.client_port = from_server ? rec.flow.dport : rec.flow.sport;
    p.key.server_port = from_server ? rec.flow.sport : rec.flow.dport;
    p.key.l4proto = rec.flow.l4proto;
    p.key.vlan_id = rec.flow.vlan_id;
    p.dir = from_server ? Direction::FromServer : Direction::ToServer;
    p.app = rec.app;
    p.tcp_seq = rec.tcp_seq;
    p.tcp_ack = rec.tcp_ack;
    p.tcp_flags = rec.tcp_flags;
    p.payload = record.subspan(sizeof rec);
    p.payload_len = rec.payload_len;
    p.skipped_before = rec.skipped_before;
    p.loss_before = (rec.hdr.flags & RPCMON_RECF_LOSS_BEFORE) != 0;
    p.kernel_tracked = (rec.hdr.flags & RPCMON_RECF_TRACKED) != 0;
    p.ts = ts;
    const FlowContext& flow = flows_->packet(p);
    if (opts_.packet_records) emitPacketRecord(rec, flow, ts);
}

static_assert(RPCMON_REC_HOST_MSG != RPCMON_REC_PACKET && RPCMON_REC_HOST_MSG != RPCMON_REC_IP_FRAGMENT &&
                  RPCMON_REC_HOST_CONN != RPCMON_REC_PACKET && RPCMON_REC_HOST_CONN != RPCMON_REC_IP_FRAGMENT,
              "host-socket records need their own record type");

void Pipeline::onHostRecord(Bytes record, TimeNs ts) {
    rpcmon_host_msg_record rec;
    if (!readRecord(record, rec) || rec.captured_len > RPCMON_HOST_CHUNK) {
        bad_record_sizes_++;
        return;
    }
    host_pipes_->onRecord(rec, record.subspan(sizeof rec), ts);
}

void Pipeline::onHostConnRecord(Bytes record, TimeNs) {
    rpcmon_host_conn_record rec;
    if (record.size() != sizeof rec) {
        bad_record_sizes_++;
        return;
    }
    std::memcpy(&rec, record.data(), sizeof rec);
    processes_->onConnection(rec);
}

void Pipeline::emitPacketRecord(const rpcmon_packet_record& rec, const FlowContext& flow, TimeNs ts) {
    bool from_server = rec.role == RPCMON_ROLE_FROM_SERVER;
    Json j = makeRecord(flow, ts, "packet");
    Json& p = j["packet"];
    p["app"] = appName(rec.app);
    p["direction"] = from_server ? "to_client" : "to_server";
    p["match"] = matchName(rec.match);
    p["hook"] = hookName(rec.hook);
    p["ifindex"] = rec.ifindex;
    if (rec.flow.l4proto == 6) {
        p["tcp_seq"] = rec.tcp_seq;
        p["tcp_ack"] = rec.tcp_ack;
        p["tcp_flags"] = rec.tcp_flags;
    }
    p["payload_len"] = rec.payload_len;
    p["captured_len"] = rec.captured_len;
    if (rec.hdr.flags & RPCMON_RECF_TRUNCATED) p["truncated"] = true;
    if (rec.skipped_before) p["skipped_before"] = rec.skipped_before;
    if (rec.hdr.flags & RPCMON_RECF_LOSS_BEFORE) p["loss_before"] = true;
    sink_.emit(std::move(j));
}

void Pipeline::onIdle(TimeNs now) {
    if (now < last_tick_ + opts_.tick_interval_ns) return;
    last_tick_ = now;
    defrag_->expire(now);
    frag_cls_.expireWatched(now);
    flows_->tick(now);
    host_pipes_->tick(now);
    checkMemory(now);
}

void Pipeline::checkMemory(TimeNs now) {
    if (!opts_.memory_limit_kb) return;
    uint64_t rss = opts_.rss_kb_probe ? opts_.rss_kb_probe() : currentRssKb(true);
    if (!rss || rss <= opts_.memory_limit_kb) {
        over_memory_cap_ = false;  // the episode (if any) is over
        return;
    }
    size_t half = (flows_->size() + 1) / 2;
    if (!over_memory_cap_) {
        over_memory_cap_ = true;
        count(PipelineAnomaly::MemoryCapExceeded);
        spdlog::warn("memory: anonymous resident set {} KiB is above limits.memory_mb ({} KiB): ending the least recently "
                     "seen half of the flows ({} of {}) on every tick until it is below (memory.flows_shed)",
                     rss, opts_.memory_limit_kb, half, flows_->size());
    }
    if (size_t shed = flows_->shed(half, now)) {
        count(PipelineAnomaly::MemoryFlowsShed, shed);
#if defined(__GLIBC__)
        malloc_trim(0);  // hand the freed pages back so the resident set can actually fall
#endif
    }
}

void Pipeline::finish(TimeNs now) {
    flows_->closeAll(now);
    host_pipes_->closeAll(now);
}

Json Pipeline::stats() const {
    Json j;
    j["records"] = records_;
    j["unknown_record_types"] = unknown_record_types_;
    j["bad_record_sizes"] = bad_record_sizes_;
    for (uint8_t a = 0; a < packets_by_app_.size(); a++) j["packets_by_app"][appName(a)] = packets_by_app_[a];
    j["flows"]["active"] = flows_->size();
    j["flows"]["created"] = flows_->created();
    j["flows"]["evicted"] = flows_->evicted();
    j["flows"]["reassembly_buffered_bytes"] = flows_->bufferedBytes();
    // Only once fragments were seen: stats lines of captures without any stay as they were.
    if (defrag_->datagrams() || anomalies_.count(counterName(DefragAnomaly::Fragments))) {
        j["defrag"]["held_datagrams"] = defrag_->datagrams();
        j["defrag"]["held_bytes"] = defrag_->heldBytes();
        j["defrag"]["max_bytes"] = defrag_->limits().max_bytes;
    }
    j["memory"]["rss_kb"] = currentRssKb();
    j["memory"]["anon_rss_kb"] = currentRssKb(true);
    j["memory"]["max_rss_kb"] = peakRssKb();
    j["memory"]["limit_kb"] = opts_.memory_limit_kb;
    // Only once the host-socket source delivered something: offline runs (golden files) and
    // agents without host hooks keep their stats line.
    if (Json h = host_pipes_->stats(); h["records"].get<uint64_t>()) j["host_pipes"] = std::move(h);
    if (Json p = processes_->stats(); p["connections"].get<uint64_t>()) j["processes"] = std::move(p);
    j["anomalies"] = Json::object();
    for (const auto& [k, v] : anomalies_) j["anomalies"][k] = v;
    // Volume counters (bytes, messages of normal traffic) also under `volumes`; their copy under
    // `anomalies` stays for existing readers (add-only). Absent while none is set, so stats
    // lines without one stay as they were.
    Json volumes = Json::object();
    for (const auto& [k, v] : anomalies_) {
        if (const AnomalyInfo* a = findAnomaly(k); a && a->kind == CounterKind::Volume) volumes[k] = v;
    }
    if (!volumes.empty()) j["volumes"] = std::move(volumes);
    return j;
}

}  // namespace rpcmon
