// SPDX-License-Identifier: Apache-2.0
// Process attribution of wire records: the host-socket source reports every TCP connection a
// local process made (connect) or took (accept) with its pid, name and uid
// (rpcmon_host_conn_record), and the start-up scan of /proc (proc_scan.h) the connections that
// were open before the agent; records whose src/dest match such a connection gain
// process.pid / process.name / process.uid on their way out (SCHEMA "Host context").
// When both ends are on this kernel (a lab, containers), the process in the agent's own
// network namespace names the flow - the side whose interface the agent watches - and
// otherwise the serving one.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "output/record.h"
#include "rpcmon/host_wire.h"

namespace rpcmon::host {

// Connections remembered (oldest forgotten first): a busy server accepts thousands per minute,
// the records about them follow within seconds.
constexpr size_t kMaxConnections = 65536;

class ProcessTable : public RecordSink {
public:
    // Learns the agent's network namespace from /proc/self/ns/net (0 where unreadable).
    explicit ProcessTable(RecordSink& next);
    void onConnection(const rpcmon_host_conn_record& rec);
    // Adds process.* to flow-bound records that have none and match a known connection.
    void emit(Json&& rec) override;
    void emitEvent(Event&& ev) override;
    Json stats() const;
    // The network namespace whose processes name flows first (tests; 0: none).
    void setOwnNetns(uint32_t inode) { own_netns_ = inode; }

private:
    struct Process {
        uint32_t pid = 0, uid = 0;
        std::string name;
        bool server = false;
        bool own_netns = false;
    };
    uint32_t own_netns_ = 0;
    RecordSink& next_;
    std::unordered_map<std::string, Process> by_flow_;  // "client|port|server|port"
    std::deque<std::string> order_;
    uint64_t connections_ = 0, attributed_ = 0, forgotten_ = 0;
};

}  // namespace rpcmon::host
