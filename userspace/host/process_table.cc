// SPDX-License-Identifier: Apache-2.0
#include "host/process_table.h"

#include <sys/stat.h>

#include <cstring>

#include "core/types.h"

namespace rpcmon::host {
namespace {

std::string flowKey(const std::string& client, uint64_t cport, const std::string& server, uint64_t sport) {
    return client + "|" + std::to_string(cport) + "|" + server + "|" + std::to_string(sport);
}

}  // namespace

ProcessTable::ProcessTable(RecordSink& next) : next_(next) {
    struct stat st;
    if (stat("/proc/self/ns/net", &st) == 0) own_netns_ = uint32_t(st.st_ino);
}

void ProcessTable::onConnection(const rpcmon_host_conn_record& rec) {
    Address local, remote;
    std::memcpy(local.data(), rec.local_addr, 16);
    std::memcpy(remote.data(), rec.remote_addr, 16);
    bool server = rec.role == RPCMON_HOST_CONN_SERVER;
    std::string key = server ? flowKey(formatAddress(remote), rec.remote_port, formatAddress(local), rec.local_port)
                             : flowKey(formatAddress(local), rec.local_port, formatAddress(remote), rec.remote_port);
    bool own = own_netns_ && rec.netns == own_netns_;
    Process p{rec.tgid, rec.uid, std::string(rec.comm, strnlen(rec.comm, sizeof rec.comm)), server, own};
    connections_++;
    auto [it, fresh] = by_flow_.try_emplace(key, p);
    if (fresh) order_.push_back(key);
    // Both ends on this host: the process on the agent's side of the link (its network
    // namespace) names the flow, then the serving one.
    else if (std::pair(own, server) >= std::pair(it->second.own_netns, it->second.server)) it->second = std::move(p);
    while (by_flow_.size() > kMaxConnections && !order_.empty()) {
        by_flow_.erase(order_.front());
        order_.pop_front();
        forgotten_++;
    }
}

void ProcessTable::emit(Json&& rec) {
    if (!by_flow_.empty() && !rec.contains("process") && rec.contains("src_ip") && rec.contains("dest_port")) {
        auto it = by_flow_.find(flowKey(rec["src_ip"].get<std::string>(), rec["src_port"].get<uint64_t>(),
                                        rec["dest_ip"].get<std::string>(), rec["dest_port"].get<uint64_t>()));
        if (it != by_flow_.end()) {
            rec["process"] = {{"pid", it->second.pid}, {"name", it->second.name}, {"uid", it->second.uid}};
            attributed_++;
        }
    }
    next_.emit(std::move(rec));
}

void ProcessTable::emitEvent(Event&& ev) {
    if (!by_flow_.empty() && !ev.process && ev.ips_known && ev.ports_known) {
        auto it = by_flow_.find(flowKey(formatAddress(ev.key.client), ev.key.client_port,
                                        formatAddress(ev.key.server), ev.key.server_port));
        if (it != by_flow_.end()) {
            ev.process = ProcessInfo{it->second.pid, it->second.uid, it->second.name};
            attributed_++;
        }
    }
    next_.emitEvent(std::move(ev));
}

Json ProcessTable::stats() const {
    return {{"connections", connections_}, {"known", by_flow_.size()}, {"records_attributed", attributed_},
            {"forgotten", forgotten_}};
}

}  // namespace rpcmon::host
