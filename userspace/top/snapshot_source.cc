// SPDX-License-Identifier: Apache-2.0
#include "top/snapshot_source.h"

#include <filesystem>

#include <chrono>
#include <functional>

#include "capture/packet_source.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#ifdef RPCMON_TOP_DETECT
#include "detect/detecting_sink.h"
#endif

namespace rpcmon::top {

AgentSnapshotSource::AgentSnapshotSource(std::string path, bool bpf_stats)
    : path_(std::move(path)), bpf_stats_(bpf_stats), client_(std::make_unique<ControlClient>(path_)) {}

Json AgentSnapshotSource::fetch(const SnapshotOptions& so) {
    if (!client_) client_ = std::make_unique<ControlClient>(path_);
    Json req{{"cmd", "snapshot"}, {"limit", so.limit}, {"filter", so.filter}, {"bpf_stats", bpf_stats_}};
    try {
        return client_->request(req);
    } catch (...) {
        client_.reset();  // reconnect next time (the agent may have restarted)
        throw;
    }
}

namespace {

// Feeds the replay's records into the shared state, under its lock; events are read typed.
class LockedStateSink : public RecordSink {
public:
    LockedStateSink(LiveState& s, std::mutex& mu) : state_(s), mu_(mu) {}
    void emit(Json&& record) override { emitView(record); }
    void emitView(const Json& record) override {
        std::lock_guard lock(mu_);
        state_.observe(record);
    }
    void emitEvent(Event&& ev) override { emitEventView(ev); }
    void emitEventView(const Event& ev) override {
        std::lock_guard lock(mu_);
        state_.observe(ev);
    }

private:
    LiveState& state_;
    std::mutex& mu_;
};

TimeNs monoNs() {
    return TimeNs(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

PcapReplay::PcapReplay(const ReplayOptions& opts) : opts_(opts), state_({}, "pcap") {
    PcapOptions po;
    po.path = opts.path;
    src_ = makePcapSource(po);
    thread_ = std::thread([this] { run(); });
}

PcapReplay::~PcapReplay() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
}

void PcapReplay::wait() {
    if (thread_.joinable()) thread_.join();
}

std::string PcapReplay::describe() const {
    // State first and the file's base name: the header must show "[end]" in 80 columns even
    // for a capture deep in a directory tree.
    std::string d = "replay";
    if (done_.load()) {
        std::lock_guard lock(mu_);
        d += damage_.empty() ? " [end]" : " [" + damage_ + "]";
    }
    return d + " " + std::filesystem::path(opts_.path).filename().string() + (opts_.fast ? " (fast)" : "");
}

std::string PcapReplay::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

Json PcapReplay::fetch(const SnapshotOptions& so) {
    std::lock_guard lock(mu_);
    if (!error_.empty()) throw std::runtime_error(error_);
    return state_.snapshot(now_.load(), so);
}

void PcapReplay::run() {
    LockedStateSink state_sink(state_, mu_);
    RecordSink* sink = &state_sink;
#ifdef RPCMON_TOP_DETECT
    // The built-in detections, as `rpcmon analyze` runs them, so the alerts pane fills too.
    std::unique_ptr<detect::DetectingSink> det;
    try {
        det = std::make_unique<detect::DetectingSink>(state_sink, detect::DetectorOptions{}, "");
        sink = det.get();
    } catch (const std::exception&) {
        // a replay without detections is still a replay
    }
    auto tick = [&](TimeNs now) {
        if (det) det->onTick(now);
    };
    auto finishDetect = [&] {
        if (det) det->finish();
    };
#else
    auto tick = [](TimeNs) {};
    auto finishDetect = [] {};
#endif
    struct Handler : RecordHandler {
        PcapReplay& r;
        Pipeline& pipe;
        std::function<void(TimeNs)> tick;
        TimeNs cap0 = 0, mono0 = 0;
        Handler(PcapReplay& rr, Pipeline& p, std::function<void(TimeNs)> t) : r(rr), pipe(p), tick(std::move(t)) {}
        void onRecord(Bytes rec, TimeNs ts) override {
            if (!r.opts_.fast) pace(ts);
            r.now_.store(ts);
            pipe.onRecord(rec, ts);
        }
        void onIdle(TimeNs now) override {
            pipe.onIdle(now);
            tick(now);
            std::lock_guard lock(r.mu_);
            if (r.state_.periodDue(now)) {
                r.state_.observeHealth(r.src_->stats(), pipe.stats());
                r.state_.tick(now);
            }
        }
        // Sleeps until the packet's capture-time offset has passed on the wall clock (in
        // slices, so a quit is never kept waiting by a long gap in the capture).
        void pace(TimeNs ts) {
            TimeNs mono = monoNs();
            if (!cap0) cap0 = ts, mono0 = mono;
            TimeNs target = mono0 + (ts > cap0 ? ts - cap0 : 0);
            while (mono < target && !r.stop_.load()) {
                TimeNs slice = std::min<TimeNs>(target - mono, 50000000ull);
                std::this_thread::sleep_for(std::chrono::nanoseconds(slice));
                mono = monoNs();
            }
            // Between records, ticks on capture time keep rates alive during the pacing.
            onIdle(ts);
        }
    };
    try {
        PipelineOptions popts;
        Pipeline pipe(popts, *sink, src_->learner(), makeDissectors());
        Handler h(*this, pipe, tick);
        src_->run(h, stop_);
        pipe.finish(src_->now());
        finishDetect();
        std::lock_guard lock(mu_);
        now_.store(src_->now());
        state_.observeHealth(src_->stats(), pipe.stats());
        state_.tick(src_->now());
        Json st = src_->stats();
        if (st.contains("read_error")) damage_ = "capture damaged: " + st["read_error"].get<std::string>();
    } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        error_ = e.what();
    }
    done_.store(true);
}

}  // namespace rpcmon::top
