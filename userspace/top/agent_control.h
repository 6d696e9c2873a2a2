// SPDX-License-Identifier: Apache-2.0
// What `rpcmon agent` adds for `rpcmon top`: a record sink that feeds the live state on the
// way to the EVE writer, and, from the agent's idle loop, the period tick (capture and
// pipeline counters, BPF run time while a `top` client is connected) and the control socket.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "pipeline/pipeline.h"
#include "top/bpf_stats.h"
#include "top/control_server.h"
#include "top/live_state.h"

namespace rpcmon::top {

struct AgentControlOptions {
    std::string socket_path = kDefaultControlSocket;  // "" or "none": no control socket
    std::string group;                                // --control-group
};

class AgentControl : public RecordSink {
public:
    // Opens the control socket. If that fails (another agent holds it, bad group) the agent
    // keeps monitoring without it: the failure is logged, never fatal.
    AgentControl(RecordSink& out, const AgentControlOptions& opts);
    ~AgentControl() override;

    // Observes the record, then passes it on unchanged.
    void emit(Json&& record) override;
    // From the agent's loop at any rate: ends periods on time and serves clients.
    void onIdle(TimeNs now, const PacketSource& src, const Pipeline& pipe);

    // What else the agent counts for the health/loss lines, called once per period:
    // {"detect": <stats line's detect>, "output": {"write_errors": N}}.
    void setExtraStats(std::function<Json()> f) { extra_ = std::move(f); }

    const LiveState& state() const { return state_; }
    bool serving() const { return server_ != nullptr; }

private:
    RecordSink& out_;
    LiveState state_;
    std::unique_ptr<ControlServer> server_;
    BpfRunStats bpf_;
    std::string bpf_why_;
    std::function<Json()> extra_;
};

}  // namespace rpcmon::top
