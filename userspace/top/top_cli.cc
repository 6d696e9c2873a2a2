// SPDX-License-Identifier: Apache-2.0
#include "top/top_cli.h"

#include <cstdio>
#include <memory>

#include "top/snapshot_source.h"
#include "top/tui.h"

namespace rpcmon::top {

int runTopCommand(const TopCommandOptions& opts) {
    std::unique_ptr<SnapshotSource> src;
    try {
        if (!opts.pcap.empty()) {
            ReplayOptions ro;
            ro.path = opts.pcap;
            ro.fast = opts.fast;
            src = std::make_unique<PcapReplay>(ro);
        } else {
            src = std::make_unique<AgentSnapshotSource>(opts.socket, /*bpf_stats=*/true);
        }
        return runTui(*src, opts.interval_s);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rpcmon: error: %s\n", e.what());
        return 1;
    }
}

int runStatsCommand(const StatsCommandOptions& opts) {
    try {
        SnapshotOptions so;
        so.limit = opts.limit;
        Json snap;
        if (!opts.pcap.empty()) {
            ReplayOptions ro;
            ro.path = opts.pcap;
            ro.fast = true;
            PcapReplay replay(ro);
            replay.wait();
            snap = replay.fetch(so);
        } else {
            AgentSnapshotSource agent(opts.socket, /*bpf_stats=*/false);
            snap = agent.fetch(so);
        }
        std::string line = snap.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rpcmon: error: %s\n", e.what());
        return 1;
    }
}

}  // namespace rpcmon::top
