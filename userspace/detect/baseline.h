// SPDX-License-Identifier: Apache-2.0
// Per-host behaviour baselines: the operations, peers and named pipes each client and server
// uses, and EWMA models of its call rate and error ratio (maths in README.md). Bounded in size,
// serialisable to JSON for the state file.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "detect/config.h"
#include "output/record.h"

namespace rpcmon::detect {

struct Profile {
    TimeNs first_seen = 0, last_seen = 0;
    std::unordered_map<std::string, TimeNs> ops, peers, pipes;  // item -> last seen
    // Rate model: calls per bucket, EWMA mean and variance; error-ratio EWMA.
    TimeNs bucket_start = 0;
    uint64_t bucket_calls = 0, bucket_errors = 0;
    double rate_mean = 0, rate_var = 0;
    uint32_t rate_n = 0;
    double err_mean = 0;
    uint32_t err_n = 0;
};

// One baseline finding, turned into an alert (kind "anomaly") by the detector.
struct Anomaly {
    uint32_t sid;
    std::string message;
    std::string src_ip, dest_ip;  // the host pair the finding is about
    Json detail;                  // goes to alert.baseline
    bool from_record;             // true: the current record triggered it
};

class Baselines {
public:
    explicit Baselines(const BaselineConfig& cfg) : cfg_(cfg) {}

    // Learns from one event (rpc or smb_pipe) and appends first-seen / rate findings.
    void observe(const Event& ev, TimeNs ts, bool error, std::vector<Anomaly>& out);
    // Closes rate buckets that ended before `now` (idle hosts), appending rate findings.
    void tick(TimeNs now, std::vector<Anomaly>& out);

    Json toJson() const;
    // Replaces the content; throws std::runtime_error naming what is wrong.
    void fromJson(const Json& j);

    size_t clients() const { return clients_.size(); }
    size_t servers() const { return servers_.size(); }
    Json stats() const;

private:
    enum class Role { Client, Server };
    Profile& profile(std::unordered_map<std::string, Profile>& table, const std::string& ip, TimeNs ts);
    bool learning(const Profile& p, TimeNs ts) const;
    // Records `item` in `set`; true when it is new and the host has finished learning.
    bool learn(Profile& p, std::unordered_map<std::string, TimeNs>& set, const std::string& item, TimeNs ts);
    void closeBuckets(Profile& p, TimeNs ts, Role role, const std::string& ip, std::vector<Anomaly>& out,
                      bool from_record);
    void closeOne(Profile& p, uint64_t calls, uint64_t errors, TimeNs end, Role role, const std::string& ip,
                  std::vector<Anomaly>& out, bool from_record);

    BaselineConfig cfg_;
    std::unordered_map<std::string, Profile> clients_, servers_;
    TimeNs last_sweep_ = 0;
    uint64_t hosts_evicted_ = 0, items_evicted_ = 0;
};

}  // namespace rpcmon::detect
