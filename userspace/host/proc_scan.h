// SPDX-License-Identifier: Apache-2.0
// Connections older than the agent: the connect/accept hooks (bpf/hostsock.bpf.c) only see
// connections made after they attach. At start-up the agent reads its network namespace's
// TCP tables (/proc/net/tcp, tcp6: connected sockets and their inodes) and the open files of
// every process (/proc/PID/fd -> "socket:[inode]") to find which process holds each one,
// and hands the pairs to the process table as ordinary connection records. Best effort and
// bounded (processes, descriptors, time); what it could not attribute is counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rpcmon/host_wire.h"

namespace rpcmon::host {

struct ProcScanLimits {
    size_t max_pids = 32768;        // processes looked at (a busy server has a few thousand)
    size_t max_fds = 1u << 20;      // descriptors read, all processes together
    uint64_t max_ns = 2000000000;   // wall time: start-up must not wait on a huge /proc
};

struct ProcScanResult {
    std::vector<rpcmon_host_conn_record> records;  // one per attributed socket
    uint64_t sockets = 0;     // connected TCP sockets in the tables
    uint64_t attributed = 0;  // of them, with the process holding them
    uint64_t misses = 0;      // no process found (held by a process beyond a bound, or closed meanwhile)
    uint64_t errors = 0;      // tables or process directories that could not be read (not: exited)
    uint64_t pids = 0, fds = 0;
    bool capped = false;      // a bound stopped the scan early
    uint64_t elapsed_us = 0;
};

// Scans `proc` (normally "/proc"; a directory laid out the same way in tests). `netns` goes
// into every record (the agent's network namespace: the tables are its own).
ProcScanResult scanProcConnections(const std::string& proc = "/proc", uint32_t netns = 0,
                                   const ProcScanLimits& limits = {});

// The inode of this process's network namespace (0 where /proc/self/ns/net is unreadable).
uint32_t ownNetns();

}  // namespace rpcmon::host
