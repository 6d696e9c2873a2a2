// SPDX-License-Identifier: Apache-2.0
// The YAML rules configuration (config/rules.example.yaml documents every key): tuning of the
// built-in signatures, allowlists, user rules and baseline settings. Strict: unknown keys and bad
// values raise ConfigError naming file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "detect/util.h"

namespace YAML {
class Node;
}

namespace rpcmon::detect {

// what() = "FILE:LINE: key 'x': message".
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::string& file, int line, const std::string& key, const std::string& msg);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    const std::string& key() const { return key_; }

private:
    std::string file_;
    int line_;
    std::string key_;
};

// Per built-in signature tuning (`signatures: <name>: {...}`); unset fields keep the default.
struct SignatureOverride {
    std::optional<bool> enabled;
    std::optional<int> severity;
    std::optional<uint32_t> threshold, window, suppress;
    std::optional<uint32_t> items, servers;  // enumeration signatures: escalation thresholds
    std::optional<bool> exempt_admin_hosts;
    CidrList ignore_src, ignore_dest;
};

// A user-rule path (`rpc.interface.name`) resolved once, at load time, into what reads it
// from an event: a typed field, a path below a decoded-argument object (rpc.args, rpc.dcom,
// epm, an ONC program object such as nfs or mount), or - for paths naming a whole object
// (rpc.reply, smb, ...) - the event's JSON.
struct FieldRef {
    enum class Kind : uint8_t { Typed, Args, Dcom, Epm, Program, Record };
    Kind kind = Kind::Typed;
    // Typed: stores the value in `out`; false when the event does not carry it.
    bool (*typed)(const Event& ev, Json& out) = nullptr;
    std::string program;            // Program: "nfs", "mount", ...
    std::vector<std::string> rest;  // Args/Dcom/Epm/Program: path below the object
    std::string path;               // Record: the whole dotted path
    // The value, or nullptr when absent; `tmp` holds values made from typed fields.
    const Json* get(const Event& ev, Json& tmp) const;
};
// nullopt when the path names nothing an rpc / smb_session / smb_pipe record carries.
std::optional<FieldRef> resolveField(std::string_view path);

// One condition of a user rule: `field: {op: value}` (a bare scalar means equals).
struct Condition {
    enum class Op { Equals, NotEquals, In, NotIn, Contains, Regex, Gt, Ge, Lt, Le, Exists };
    std::string field;
    FieldRef ref;           // `field` resolved at load time
    Op op = Op::Equals;
    Json value;             // scalar, or array for In/NotIn
    std::regex re;          // Regex
    bool matches(const Event& ev) const;
    // Records that stay JSON (dcerpc_bind): `field` followed through the object.
    bool matches(const Json& rec) const;
    // The condition on a value (nullptr: absent).
    bool matchValue(const Json* f) const;
};

struct UserRule {
    uint32_t sid = 0;
    std::string message;
    std::string category = "user";
    int severity = 2;
    std::vector<std::string> techniques, tactics;
    std::string event_type;  // empty = every record type
    std::vector<Condition> conditions;  // all must hold
    uint32_t suppress = 300;
    bool enabled = true;
    int line = 0;
};

struct BaselineConfig {
    bool enabled = true;
    uint32_t learning_period = 86400;  // seconds per host, from the host's first record
    int severity = 3;
    uint32_t max_hosts = 10000;        // per table (clients, servers); least recently seen evicted
    uint32_t max_items = 512;          // per host and per set (ops, peers, pipes)
    bool new_operation = true, new_peer = true, new_pipe = true;
    bool rate = true, error_ratio = true;
    uint32_t bucket = 60;              // seconds per rate sample
    double alpha = 0.1;                // EWMA weight of the newest bucket
    double rate_sigma = 4.0;           // alert when calls > mean + sigma * stddev
    uint32_t min_calls = 100;          // ... and calls in the bucket at least this
    uint32_t min_buckets = 30;         // samples before the rate model is trusted
    double error_ratio_delta = 0.3;    // alert when ratio exceeds its mean by this
    uint32_t min_error_calls = 20;     // calls in the bucket needed to judge the ratio
    uint32_t suppress = 3600;
};

// `limits:` bounds of the user-space tables hostile traffic can grow (flows, TCP reassembly,
// per-connection protocol state) and the agent's memory cap. Unset = the table's built-in default
// (documented in config/rules.example.yaml); applied to PipelineOptions by the command line.
struct RuntimeLimits {
    std::optional<uint64_t> memory_mb;                   // RSS cap; 0 = none
    std::optional<uint64_t> max_flows;                   // flows.max
    std::optional<uint64_t> tcp_idle, udp_idle;          // flows.*_idle, seconds
    std::optional<uint64_t> max_pending;                 // reassembly.max_pending, bytes per direction
    std::optional<uint64_t> max_out_of_order;            // reassembly.max_out_of_order, bytes per direction
    std::optional<uint64_t> max_out_of_order_segments;   // reassembly.max_out_of_order_segments
    std::optional<uint64_t> reassembly_budget;           // reassembly.budget, bytes for all flows
    std::optional<uint64_t> defrag_max_bytes;            // ip_reassembly.max_bytes, all datagrams
    std::optional<uint64_t> defrag_max_datagrams;        // ip_reassembly.max_datagrams
    std::optional<uint64_t> defrag_max_fragments;        // ip_reassembly.max_fragments, per datagram
    std::optional<uint64_t> defrag_ipv4_timeout, defrag_ipv6_timeout;  // ip_reassembly.*_timeout, seconds
    // protocols.<key>: the keys each protocol registers (ProtocolLimit, pipeline/dissectors.h),
    // by key; only the keys the file sets.
    std::map<std::string, uint64_t> protocols;
};

struct DetectConfig {
    std::string file;  // empty: built-in defaults only
    CidrList domain_controllers, admin_hosts, nfs_root_clients;
    std::vector<std::string> sensitive_files;  // lower-case base names / directory names
    std::map<std::string, SignatureOverride> signatures;  // by built-in name
    std::vector<UserRule> rules;
    BaselineConfig baseline;
    uint32_t max_tracked_keys = 200000;  // aggregation + suppression entries, oldest evicted
    uint32_t summary_min_count = 2;      // emit an end-of-window summary when count >= this
    RuntimeLimits runtime;               // the rest of `limits:` (pipeline tables, memory cap)
    // Where each `limits:` key was set: dotted key -> place and value. A key may be set once, in
    // the rules file or in the agent file (mergeLimits), never in both.
    struct LimitSource {
        std::string file;
        int line = 0;
        uint64_t value = 0;
    };
    std::map<std::string, LimitSource> limit_sources;
};

std::vector<std::string> defaultSensitiveFiles();

// Reads and validates a config file; throws ConfigError (also for an unreadable file, line 0).
DetectConfig loadConfig(const std::string& path);
// Same, from text; `file` names it in errors.
DetectConfig parseConfig(const std::string& text, const std::string& file);

// The agent file's `limits:` section (cli/agent_config.cc) read onto cfg by the same reader; a
// key cfg already has from its rules file is ConfigError "FILE:LINE: key ...: also set in ...".
void mergeLimits(const YAML::Node& limits, const std::string& file, DetectConfig& cfg);
// Every `limits:` key the reader knows, dotted ("limits.flows.max"), in table order.
std::vector<std::string> limitKeys();

}  // namespace rpcmon::detect
