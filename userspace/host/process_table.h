// SPDX-License-Identifier: Apache-2.0
// Process attribution of wire records: the host-socket source reports every TCP connection a
// local process made (connect) or took (accept) with its pid, name and uid
// (rpcmon_host_conn_record); records whose src/dest match such a connection gain
// process.pid / process.name / process.uid on their way out (SCHEMA "Host context").
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
    explicit ProcessTable(RecordSink& next) : next_(next) {}
    void onConnection(const rpcmon_host_conn_record& rec);
    // Adds process.* to flow-bound records that have none and match a known connection.
    void emit(Json&& rec) override;
    Json stats() const;

private:
    struct Process {
        uint32_t pid = 0, uid = 0;
        std::string name;
        bool server = false;
    };
    RecordSink& next_;
    std::unordered_map<std::string, Process> by_flow_;  // "client|port|server|port"
    std::deque<std::string> order_;
    uint64_t connections_ = 0, attributed_ = 0, forgotten_ = 0;
};

}  // namespace rpcmon::host
