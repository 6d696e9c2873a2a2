// SPDX-License-Identifier: Apache-2.0
#include "top/agent_control.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>

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
    if (opts.socket_path.empty() || opts.socket_path == "none") return;
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

AgentControl::~AgentControl() = default;

void AgentControl::emit(Json&& record) {
    state_.observe(record);
    out_.emit(std::move(record));
}

void AgentControl::onIdle(TimeNs now, const PacketSource& src, const Pipeline& pipe) {
    // Run-time stats cost every program run a clock read: on only while a `top` is watching.
    bool want_bpf = server_ && server_->bpfClients() > 0;
    if (want_bpf && !bpf_.enabled()) {
        bpf_why_.clear();
        if (!enableStats(bpf_, bpf_why_)) spdlog::debug("BPF run-time stats unavailable: {}", bpf_why_);
    } else if (!want_bpf && bpf_.enabled()) {
        bpf_.disable();
    }
    if (state_.periodDue(now)) {
        Json extra = extra_ ? extra_() : Json::object();
        state_.observeHealth(src.stats(), pipe.stats(), extra.value("detect", Json::object()),
                             extra.value("output", Json::object()));
        if (bpf_.enabled()) state_.observeBpf(BpfRunStats::readOwnPrograms(), true);
        else if (want_bpf && hostStatsEnabled()) state_.observeBpf(BpfRunStats::readOwnPrograms(), true, "kernel.bpf_stats_enabled=1");
        else state_.observeBpf({}, false, want_bpf ? bpf_why_ : "off (no top client connected)");
        state_.tick(now);
    }
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

}  // namespace rpcmon::top
