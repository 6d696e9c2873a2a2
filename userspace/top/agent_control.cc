// SPDX-License-Identifier: Apache-2.0
#include "top/agent_control.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>

#include "metrics/exposition.h"
#include "rpcmon_version.h"  // generated: RPCMON_VERSION, RPCMON_GIT_REVISION

namespace rpcmon::top {
namespace {

// BPF_ENABLE_STATS needs CAP_SYS_ADMIN, which the agent drops after start-up (README
// "Privileges"). The kernel still collects run time when an administrator turned it on for
// the whole host (sysctl kernel.bpf_stats_enabled=1): then the numbers are read anyway.
bool hostStatsEnabled() {
    std::ifstream f("/proc/sys/kernel/bpf_stats_enabled");
    int v = 0;
    return (f >> v) && v == 1;
}

bool enableStats(BpfRunStats& bpf, std::string& why) {
    if (bpf.enable(&why)) return true;
    if (errno == EPERM)
        why = "off: CAP_SYS_ADMIN dropped (sysctl kernel.bpf_stats_enabled=1)";
    return false;
}

}  // namespace

AgentControl::AgentControl(RecordSink& out, const AgentControlOptions& opts) : out_(out), state_({}, "live") {
    if (!opts.socket_path.empty() && opts.socket_path != "none") {
        try {
            ControlServerOptions so;
            so.path = opts.socket_path;
            so.group = opts.group;
            server_ = std::make_unique<ControlServer>(so);
            spdlog::info("control socket {} (for rpcmon top / rpcmon stats)", so.path);
        } catch (const std::exception& e) {
            spdlog::warn("no control socket ({}); `rpcmon top` cannot attach to this agent", e.what());
        }
    }
    if (!opts.metrics_listen.empty()) {
        metrics::HttpServerOptions mo;
        mo.listen = opts.metrics_listen;
        try {
            metrics_ = std::make_unique<metrics::HttpServer>(mo);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("--metrics-listen: ") + e.what());
        }
        spdlog::info("metrics on http://{}/metrics (Prometheus)", metrics_->address());
    }
}

AgentControl::~AgentControl() = default;

void AgentControl::emit(Json&& record) {
    state_.observe(record);
    out_.emit(std::move(record));
}

void AgentControl::emitView(const Json& record) {
    state_.observe(record);
    out_.emitView(record);
}

void AgentControl::emitEvent(Event&& ev) {
    state_.observe(ev);
    out_.emitEvent(std::move(ev));
}

void AgentControl::emitEventView(const Event& ev) {
    state_.observe(ev);
    out_.emitEventView(ev);
}

void AgentControl::onIdle(TimeNs now) {
    // Run-time stats cost every program run a clock read: on only while a `top` is watching.
    bool want_bpf = server_ && server_->bpfClients() > 0;
    if (want_bpf && !bpf_.enabled()) {
        bpf_why_.clear();
        if (!enableStats(bpf_, bpf_why_)) spdlog::debug("BPF run-time stats unavailable: {}", bpf_why_);
    } else if (!want_bpf && bpf_.enabled()) {
        bpf_.disable();
    }
    if (state_.periodDue(now)) {
        if (stats_fn_) stats_ = stats_fn_();
        auto part = [&](const char* k) { return stats_.is_object() ? stats_.value(k, Json::object()) : Json::object(); };
        state_.observeHealth(part("capture"), part("pipeline"), part("detect"), part("output"));
        if (bpf_.enabled()) state_.observeBpf(BpfRunStats::readOwnPrograms(), true);
        else if (want_bpf && hostStatsEnabled()) state_.observeBpf(BpfRunStats::readOwnPrograms(), true, "kernel.bpf_stats_enabled=1");
        else state_.observeBpf({}, false, want_bpf ? bpf_why_ : "off (no top client connected)");
        state_.tick(now);
    }
    if (metrics_) metrics_->poll([&] { return metricsText(); });
    if (!server_) return;
    server_->poll([&](const Json& req) -> Json {
        std::string cmd = req.value("cmd", std::string("snapshot"));
        if (cmd != "snapshot") return Json{{"error", "unknown command: " + cmd + " (try: snapshot)"}};
        // A `top` that just connected wants run-time stats now, not after the next period.
        if (req.value("bpf_stats", false) && !bpf_.enabled()) {
            if (enableStats(bpf_, bpf_why_)) state_.observeBpf(BpfRunStats::readOwnPrograms(), true);
            else if (hostStatsEnabled()) state_.observeBpf(BpfRunStats::readOwnPrograms(), true, "kernel.bpf_stats_enabled=1");
            else state_.observeBpf({}, false, bpf_why_);
        }
        SnapshotOptions so;
        so.limit = req.value("limit", so.limit);
        so.filter = req.value("filter", std::string());
        return state_.snapshot(now, so);
    });
}

std::string AgentControl::metricsText() const {
    // The stats line's sections as they are, plus what only the agent's live state and this
    // endpoint count.
    Json j = stats_.is_object() ? stats_ : Json::object();
    j["calls"] = {{"seen", state_.calls()}, {"errors", state_.errors()}, {"no_reply", state_.noReply()}};
    if (metrics_) j["metrics_http"] = metrics_->stats().toJson();
    j["build"] = {{"version", RPCMON_VERSION}, {"revision", RPCMON_GIT_REVISION}};
    metrics::ExpositionOptions eo;
    eo.origins = {{"calls", "Calls and errors as rpcmon top counts them (stats --json totals):"},
                  {"metrics_http", "Requests to this endpoint:"},
                  {"build", "The running binary's"}};
    return metrics::renderExposition(j, eo).text;
}

}  // namespace rpcmon::top
