// SPDX-License-Identifier: Apache-2.0
// Live input: the BPF programs on the chosen interfaces, records from the ring buffer.
#include <bpf/libbpf.h>
#include <net/if.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "capture/packet_source.h"
#include "loader/bpf_loader.h"

namespace rpcmon {
namespace {

TimeNs clockNs(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return TimeNs(ts.tv_sec) * 1000000000ull + TimeNs(ts.tv_nsec);
}

// Used when a layer gives no expiry: the endpoint mapper's and portmapper's usual lifetime.
constexpr TimeNs kDefaultTtlNs = 600ull * 1000000000ull;

class KernelLearner : public EndpointLearner {
public:
    explicit KernelLearner(BpfLoader& l) : loader_(l) {}
    void learn(const LearnedEndpoint& ep) override {
        rpcmon_endpoint_key k;
        rpcmon_endpoint_value v;
        watchedEntry(ep, k, v);
        TimeNs mono = clockNs(CLOCK_MONOTONIC), wall = clockNs(CLOCK_REALTIME);
        v.added_ns = mono;
        // ep.expires is wall-clock (record time); the kernel map keeps monotonic time.
        v.expires_ns = ep.expires > wall ? mono + (ep.expires - wall) : mono + kDefaultTtlNs;
        if (loader_.addWatched(k, v)) {
            learned_++;
            spdlog::debug("watching {}:{} ({})", formatAddress(ep.addr), ep.port, ep.name);
        } else {
            failed_++;
        }
    }
    uint64_t learned() const { return learned_; }
    uint64_t failed() const { return failed_; }

private:
    BpfLoader& loader_;
    uint64_t learned_ = 0, failed_ = 0;
};

class LiveSource : public PacketSource {
public:
    explicit LiveSource(const LiveOptions& o) : opts_(o) {
        std::vector<int> ifindexes;
        for (const auto& name : o.interfaces) {
            unsigned idx = if_nametoindex(name.c_str());
            if (!idx) throw std::runtime_error("no such interface: " + name);
            ifindexes.push_back(int(idx));
        }
        if (ifindexes.empty()) throw std::runtime_error("no interface to monitor (none given, no default route)");
        LoaderOptions lo;
        lo.snaplen = o.snaplen;
        lo.socket_all_directions = !o.xdp;
        loader_ = std::make_unique<BpfLoader>(lo);
        // Any throw below destroys loader_, which detaches what was attached so far.
        for (int idx : ifindexes) {
            if (o.xdp) loader_->attachXdp(idx);
            loader_->attachSocket(idx);
        }
        learner_ = std::make_unique<KernelLearner>(*loader_);
        rb_ = ring_buffer__new(loader_->ringbufFd(), &LiveSource::onSample, this, nullptr);
        if (!rb_) throw std::runtime_error(std::string("cannot open ring buffer: ") + strerror(errno));
        // Kernel timestamps are CLOCK_MONOTONIC; records carry wall-clock time.
        mono_to_wall_ = clockNs(CLOCK_REALTIME) - clockNs(CLOCK_MONOTONIC);
    }
    ~LiveSource() override {
        ring_buffer__free(rb_);
        loader_.reset();  // detaches XDP and closes the sockets before anything else goes
    }

    void run(RecordHandler& h, const std::atomic<bool>& stop) override {
        handler_ = &h;
        TimeNs next_expiry = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            int n = ring_buffer__poll(rb_, opts_.poll_timeout_ms);
            if (n < 0 && n != -EINTR) throw std::runtime_error(std::string("ring buffer poll: ") + strerror(-n));
            h.onIdle(now());
            TimeNs mono = clockNs(CLOCK_MONOTONIC);
            if (mono >= next_expiry) {
                expired_ += loader_->expireWatched(mono);
                next_expiry = mono + 1000000000ull;
            }
        }
        // Drain what is already in the ring so nothing received before the stop is lost.
        ring_buffer__consume(rb_);
        h.onIdle(now());
        handler_ = nullptr;
    }

    Json stats() const override {
        Json j;
        j["source"] = "live";
        j["interfaces"] = opts_.interfaces;
        j["xdp"] = opts_.xdp;
        const char* hooks[2] = {"xdp", "socket"};
        for (uint32_t slot = 0; slot < 2; slot++) {
            KernelCounters c = loader_->readCounters(slot);
            for (int i = 0; i < RPCMON_CNT_MAX; i++) j["kernel"][hooks[slot]][counterName(i)] = c[i];
        }
        j["endpoints_learned"] = learner_->learned();
        j["endpoint_learn_failures"] = learner_->failed();
        j["endpoints_expired"] = expired_;
        j["watched_endpoints"] = loader_->watchedCount();
        return j;
    }
    EndpointLearner& learner() override { return *learner_; }
    TimeNs now() const override { return clockNs(CLOCK_REALTIME); }

private:
    static int onSample(void* ctx, void* data, size_t size) {
        auto* self = static_cast<LiveSource*>(ctx);
        if (size < sizeof(rpcmon_record_header)) return 0;
        rpcmon_record_header hdr;
        std::memcpy(&hdr, data, sizeof hdr);
        self->handler_->onRecord(Bytes(static_cast<const uint8_t*>(data), size), hdr.timestamp_ns + self->mono_to_wall_);
        return 0;
    }

    LiveOptions opts_;
    std::unique_ptr<BpfLoader> loader_;
    std::unique_ptr<KernelLearner> learner_;
    ring_buffer* rb_ = nullptr;
    RecordHandler* handler_ = nullptr;
    TimeNs mono_to_wall_ = 0;
    uint64_t expired_ = 0;
};

}  // namespace

std::unique_ptr<PacketSource> makeLiveSource(const LiveOptions& opts) {
    return std::make_unique<LiveSource>(opts);
}

std::string defaultRouteInterface() {
    std::ifstream f("/proc/net/route");
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        std::istringstream s(line);
        std::string iface, dest;
        s >> iface >> dest;
        if (dest == "00000000") return iface;
    }
    return "";
}

}  // namespace rpcmon
