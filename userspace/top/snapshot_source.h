// SPDX-License-Identifier: Apache-2.0
// Where `rpcmon top` gets its snapshots: a running agent over the control socket, or a pcap
// replayed in-process through the same pipeline (makePcapSource + Pipeline + makeDissectors)
// into the same LiveState. The view does not know which.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "capture/packet_source.h"
#include "top/control_server.h"
#include "top/live_state.h"

namespace rpcmon::top {

class SnapshotSource {
public:
    virtual ~SnapshotSource() = default;
    // The current snapshot (LiveState::snapshot's shape). Throws with a reason on failure.
    virtual Json fetch(const SnapshotOptions& so) = 0;
    // One line for the header: "agent /run/rpcmon/rpcmon.sock", "replay FILE".
    virtual std::string describe() const = 0;
    // For a replay: the capture has been read to its end.
    virtual bool finished() const { return false; }
};

// A running agent. The constructor connects (throws "no rpcmon agent at PATH: ..."); later
// failures are thrown by fetch() and the next fetch() reconnects.
class AgentSnapshotSource : public SnapshotSource {
public:
    AgentSnapshotSource(std::string path, bool bpf_stats);
    Json fetch(const SnapshotOptions& so) override;
    std::string describe() const override { return "agent " + path_; }

private:
    std::string path_;
    bool bpf_stats_;
    std::unique_ptr<ControlClient> client_;
};

struct ReplayOptions {
    std::string path;
    bool fast = false;  // as fast as possible instead of at capture pace
};

// Replays a capture on a thread. The constructor opens it (throws "cannot read FILE: ...").
class PcapReplay : public SnapshotSource {
public:
    explicit PcapReplay(const ReplayOptions& opts);
    ~PcapReplay() override;  // stops and joins the replay thread
    Json fetch(const SnapshotOptions& so) override;
    std::string describe() const override;
    bool finished() const override { return done_.load(); }
    // Blocks until the replay has ended (tests, `stats`).
    void wait();
    std::string error() const;

private:
    void run();

    ReplayOptions opts_;
    std::unique_ptr<PacketSource> src_;
    mutable std::mutex mu_;
    LiveState state_;
    std::atomic<bool> stop_{false}, done_{false};
    std::atomic<uint64_t> now_{0};
    std::string error_, damage_;
    std::thread thread_;
};

}  // namespace rpcmon::top
