// SPDX-License-Identifier: Apache-2.0
// What `rpcmon agent` adds for `rpcmon top` and for Prometheus: a record sink that feeds the
// live state on the way to the EVE writer, and, from the agent's idle loop, the period tick
// (the stats line's counters, BPF run time while a `top` client is connected), the control
// socket and the metrics endpoint (--metrics-listen), which exports the same counters.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "metrics/http_server.h"
#include "output/record.h"
#include "top/bpf_stats.h"
#include "top/control_server.h"
#include "top/live_state.h"

namespace rpcmon::top {

struct AgentControlOptions {
    std::string socket_path = kDefaultControlSocket;  // "" or "none": no control socket
    std::string group;                                // --control-group
    std::string metrics_listen;                       // --metrics-listen ADDR:PORT ("": off)
};

class AgentControl : public RecordSink {
public:
    // Opens the control socket. If that fails (another agent holds it, bad group) the agent
    // keeps monitoring without it: the failure is logged, never fatal. The metrics endpoint,
    // asked for explicitly, is: throws std::runtime_error when it cannot listen.
    AgentControl(RecordSink& out, const AgentControlOptions& opts);
    ~AgentControl() override;

    // Observes the record, then passes it on unchanged: events stay events (typed to the live
    // state and downstream, never turned into JSON here), JSON records stay JSON.
    void emit(Json&& record) override;
    void emitView(const Json& record) override;
    void emitEvent(Event&& ev) override;
    void emitEventView(const Event& ev) override;
    // From the agent's loop at any rate: ends periods on time and serves clients.
    void onIdle(TimeNs now);

    // The agent's counters: the `stats` object of a stats line ({"capture": ..., "pipeline":
    // ..., "detect": ..., "output": ...}), read once per period; the health/loss lines and the
    // metrics are made from it.
    void setStats(std::function<Json()> f) { stats_fn_ = std::move(f); }

    // The Prometheus exposition as the endpoint serves it now (last period's counters).
    std::string metricsText() const;

    const LiveState& state() const { return state_; }
    bool serving() const { return server_ != nullptr; }
    const metrics::HttpServer* metricsServer() const { return metrics_.get(); }

private:
    RecordSink& out_;
    LiveState state_;
    std::unique_ptr<ControlServer> server_;
    std::unique_ptr<metrics::HttpServer> metrics_;
    BpfRunStats bpf_;
    std::string bpf_why_;
    std::function<Json()> stats_fn_;
    Json stats_ = Json::object();  // the last period's
};

}  // namespace rpcmon::top
