// SPDX-License-Identifier: Apache-2.0
// The live state behind `rpcmon top` and `rpcmon stats --json`: an aggregator fed every record
// the pipeline emits, keeping bounded per-entity counters for five views (client hosts, server
// endpoints, RPC interfaces/programs, operations, and (client, operation) pairs), the most
// recent alerts, the agent's health (capture and pipeline counters) and the BPF programs' run
// time. Calls (rpc, smb_session, smb_pipe) are read as typed events (output/event.h); alerts,
// packets and stats stay JSON. No I/O, no clock: time comes from the caller (wall clock live,
// capture time offline), so tests drive it directly.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "output/record.h"
#include "top/latency_histogram.h"

namespace rpcmon::top {

// Calls: who calls what, one entity per (client host, operation), named pairName(host, op).
enum class View { Hosts = 0, Servers, Interfaces, Operations, Calls };
inline constexpr int kViewCount = 5;
const char* viewName(View v);  // "hosts", "servers", "interfaces", "operations", "calls"
// "10.0.0.7 -> nfs v3 READ": the Calls view's entity name (split again by splitPair).
std::string pairName(const std::string& host, const std::string& op);
bool splitPair(const std::string& name, std::string& host, std::string& op);

struct EntityStats {
    RateCounter calls, errors, bytes, alerts;
    uint64_t no_reply = 0;  // calls whose reply never came (also counted in errors)
    LatencyHistogram latency;
    TimeNs first_seen = 0, last_seen = 0;
};

// A map from entity name to stats holding at most `capacity` entries; when full, the least
// recently seen entity is evicted (and counted).
class EntityTable {
public:
    explicit EntityTable(size_t capacity) : capacity_(capacity) {}
    // The entity's stats, created if needed; marks it most recently seen at `now`.
    EntityStats& touch(const std::string& name, TimeNs now);
    const EntityStats* find(const std::string& name) const;
    size_t size() const { return map_.size(); }
    uint64_t evicted() const { return evicted_; }
    template <class F> void forEach(F&& f) const {
        for (const auto& name : lru_) f(name, map_.at(name).stats);
    }
    template <class F> void forEachMutable(F&& f) {
        for (auto& [name, e] : map_) f(e.stats);
    }

private:
    struct Entry {
        EntityStats stats;
        std::list<std::string>::iterator pos;
    };
    size_t capacity_;
    std::list<std::string> lru_;  // front: most recently seen
    std::unordered_map<std::string, Entry> map_;
    uint64_t evicted_ = 0;
};

struct BpfProgRunStats {
    uint32_t id = 0;
    std::string name, type;
    uint64_t run_time_ns = 0, run_cnt = 0;
};

struct LiveStateOptions {
    size_t max_entities = 4096;       // per view
    size_t recent_alerts = 64;        // kept for the alerts pane
    TimeNs period_ns = 1000000000ull; // rates are per this period
    TimeNs decay_ns = 10000000000ull; // latency weights halve this often
};

struct SnapshotOptions {
    size_t limit = 1000;   // rows per view (the busiest first)
    std::string filter;    // substring an entity name must contain (case-insensitive)
};

class LiveState {
public:
    explicit LiveState(const LiveStateOptions& opts = {}, std::string source = "live");

    // One call as the pipeline emitted it: an rpc call, an SMB session or a pipe open.
    void observe(const Event& ev);
    // One JSON record (alert, packet, stats, dcerpc_bind...). An rpc, smb_session or smb_pipe
    // record (an EVE file, a test) is read into its event first; one that cannot be (no
    // timestamp, a mistyped key) is counted by type and in totals.unreadable_records only.
    void observe(const Json& rec);
    // The capture, pipeline, detect and output `stats` objects (the same ones stats lines
    // carry; the agent passes output as {"write_errors": N}). Also feeds the loss counters.
    void observeHealth(const Json& capture, const Json& pipeline, const Json& detect = Json::object(),
                       const Json& output = Json::object());
    // Cumulative run time of each BPF program (empty: stats off); `enabled` says whether the
    // kernel is collecting them (BPF_ENABLE_STATS held).
    void observeBpf(const std::vector<BpfProgRunStats>& progs, bool enabled, const std::string& why = "");

    // True when a period has ended at `now` (the caller then observes health and calls tick).
    bool periodDue(TimeNs now) const { return !period_start_ || now >= period_start_ + opts_.period_ns; }
    // Ends the period at `now`: every rate becomes (change over the period) / its length.
    void tick(TimeNs now);

    // Totals and per-period rates side by side, every view (busiest rows first), recent alerts.
    Json snapshot(TimeNs now, const SnapshotOptions& so = {}) const;

    const EntityTable& table(View v) const { return tables_[int(v)]; }
    uint64_t calls() const { return calls_.total; }
    uint64_t errors() const { return errors_.total; }   // failed calls, no_reply included
    uint64_t noReply() const { return no_reply_; }

private:
    // Moves the clock to the record's time (0: the last one seen) and returns it.
    TimeNs stamp(TimeNs ts);
    void observeAlert(const Json& rec, TimeNs ts);
    void count(const std::string (&keys)[kViewCount], TimeNs ts, bool error, bool no_reply,
               const uint64_t* latency_us);

    LiveStateOptions opts_;
    std::string source_;
    std::vector<EntityTable> tables_;
    RateCounter calls_, errors_, alerts_;
    uint64_t no_reply_ = 0;
    std::map<std::string, uint64_t> records_by_type_;         // JSON records
    std::array<uint64_t, kEventTypeCount> events_by_type_{};  // typed events, by EventType
    uint64_t unreadable_ = 0;  // rpc/smb JSON records eventFromJson refused
    std::deque<Json> recent_alerts_;
    TimeNs first_ts_ = 0, last_ts_ = 0, period_start_ = 0, last_decay_ = 0;
    double last_period_s_ = 0;
    // health (cumulative sources -> RateCounter)
    RateCounter packets_, bytes_, drops_, parse_errors_, records_;
    uint64_t flows_active_ = 0, watched_endpoints_ = 0;
    Json interfaces_ = Json::array();
    Json xdp_modes_ = Json::object();  // interface -> native, generic or off
    bool have_health_ = false;
    // Every drop/loss counter by its stats-line name (lossCounterNames order, then anomalies A-Z).
    std::vector<std::pair<std::string, RateCounter>> loss_;
    RateCounter& lossCounter(const std::string& name);
    // BPF run time per program id
    struct BpfProg {
        std::string name, type;
        RateCounter run_time_ns, run_cnt;
        bool seen = false;
    };
    std::map<uint32_t, BpfProg> bpf_;
    bool bpf_enabled_ = false;
    std::string bpf_why_;
};

// The drop/loss counters `rpcmon top` names (snapshot health.loss, the LOSS line), in order:
// ringbuf_drops and watched_full (kernel, summed over hooks: capture.kernel.<hook>.NAME),
// endpoint_learn_failures (capture), bad_record_sizes and unknown_record_types (pipeline),
// syslog.dropped (detect.syslog.dropped: queue overflow), write_errors (output.write_errors);
// then every pipeline anomaly (pipeline.anomalies.NAME) for which isLossAnomaly() holds.
const std::vector<std::string>& lossCounterNames();
// Anomalies that mean lost or unparsed data: a bound hit (flow table full, reassembly budget,
// pending/out-of-order limits, too many sessions...), capture loss, malformed input. The
// anomaly tables say which counters are volumes (never a loss); they carry no loss flag, so
// among the others the name decides.
bool isLossAnomaly(const std::string& name);
// A volume counter of the anomaly tables (stats.pipeline.volumes; its deprecated copy under
// `anomalies` is normal traffic, not a parse error): smb.encrypted_bytes, defrag.fragments...
bool isVolumeCounter(const std::string& name);
// pipeline.anomalies summed without the volume counters: `health.parse_errors`.
uint64_t parseErrors(const Json& anomalies);

// The aggregator's classification of a call (exposed for tests).
// True when the rpc event's reply says the call failed (output/reply_outcome.h, the detector's
// definition), or when it had no reply (then *no_reply is set).
bool rpcIsError(const Event& ev, bool* no_reply = nullptr);
// The Interfaces and Operations views' keys of a call: "nfs v3" / "nfs v3 LOOKUP" (NFSv4
// COMPOUNDs by their first op that is not bookkeeping), "drsuapi v4.0" / "drsuapi
// DRSGetNCChanges", "smb" / "smb OPEN \pipe\samr" and "smb SESSION_SETUP".
void callKeys(const Event& ev, std::string& iface, std::string& op);

}  // namespace rpcmon::top
