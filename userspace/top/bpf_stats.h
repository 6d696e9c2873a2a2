// SPDX-License-Identifier: Apache-2.0
// The kernel's run-time statistics of the agent's own BPF programs (what bpftop shows).
// Collection costs a clock read per program run, so it is on only while held: the agent
// enables it while a `rpcmon top` client is connected and closes the fd when the last leaves.
#pragma once

#include <string>
#include <vector>

#include "top/live_state.h"

namespace rpcmon::top {

class BpfRunStats {
public:
    BpfRunStats() = default;
    ~BpfRunStats() { disable(); }
    BpfRunStats(const BpfRunStats&) = delete;
    BpfRunStats& operator=(const BpfRunStats&) = delete;

    // BPF_ENABLE_STATS(BPF_STATS_RUN_TIME); false with the reason (old kernel, no CAP_SYS_ADMIN).
    bool enable(std::string* why);
    // Closes the stats fd: the kernel stops collecting once no holder is left.
    void disable();
    bool enabled() const { return fd_ >= 0; }

    // run_time_ns / run_cnt of every BPF program this process holds an fd for (the agent's
    // XDP and socket-filter programs), found through /proc/self/fd; sorted by program id.
    static std::vector<BpfProgRunStats> readOwnPrograms();

private:
    int fd_ = -1;
};

}  // namespace rpcmon::top
