// SPDX-License-Identifier: Apache-2.0
// `rpcmon top` and `rpcmon stats --json`: the client commands over the agent's control socket
// (or a pcap replayed in-process). Kept here so main.cc only parses options.
#pragma once

#include <string>

#include "top/control_server.h"

namespace rpcmon::top {

struct TopCommandOptions {
    std::string socket = kDefaultControlSocket;
    double interval_s = 1.0;  // refresh period
    std::string pcap;         // replay this capture instead of attaching to an agent
    bool fast = false;        // replay as fast as possible instead of at capture pace
};
// Returns the exit code: 0 after `q`, 1 with a message on stderr when no agent answers (or the
// capture cannot be read, or there is no terminal).
int runTopCommand(const TopCommandOptions& opts);

struct StatsCommandOptions {
    std::string socket = kDefaultControlSocket;
    std::string pcap;    // snapshot at the end of this capture instead of a live agent
    size_t limit = 1000; // rows per view
};
// Prints one snapshot as one JSON line on stdout. Exit code 0, or 1 with a message.
int runStatsCommand(const StatsCommandOptions& opts);

}  // namespace rpcmon::top
