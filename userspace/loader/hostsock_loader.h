// SPDX-License-Identifier: Apache-2.0
// RAII owner of the host-socket BPF object (bpf/hostsock.bpf.c): picks the hook type the
// kernel allows at start-up (fentry/fexit, else syscall tracepoints), loads, attaches through
// BPF links (released on destruction or when the process dies), and reads the per-CPU counters.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "rpcmon/host_wire.h"

struct hostsock_bpf;
struct bpf_link;

namespace rpcmon {

using HostCounters = std::array<unsigned long long, RPCMON_HOST_CNT_MAX>;

class HostSockLoader {
public:
    // Throws std::runtime_error with the reason when no hook type loads or attaches.
    HostSockLoader();
    ~HostSockLoader();
    HostSockLoader(const HostSockLoader&) = delete;
    HostSockLoader& operator=(const HostSockLoader&) = delete;

    // "fentry" or "syscall_tracepoints" (the hook type in use; logged and in the stats line).
    const std::string& mode() const { return mode_; }
    // Why fentry/fexit were not used (empty when they are).
    const std::string& fallback() const { return fallback_; }
    int ringbufFd() const;
    HostCounters readCounters() const;

private:
    // Opens, loads and attaches the message capture on one hook type (plus the attribution
    // tracepoints); false with the reason, nothing left loaded.
    bool tryLoad(bool fentry, std::string& why);
    ::hostsock_bpf* skel_ = nullptr;
    std::vector<bpf_link*> links_;
    std::string mode_, fallback_;
};

// JSON names of enum rpcmon_host_counter, in order.
const char* hostCounterName(int id);

}  // namespace rpcmon
