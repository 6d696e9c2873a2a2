// SPDX-License-Identifier: Apache-2.0
// The detection engine: built-in signatures, user rules, baselines and alert suppression over the
// records the pipeline emits. Alerts are EVE "alert" lines (../shared/SCHEMA.md) sent to a sink.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "detect/baseline.h"
#include "detect/config.h"
#include "detect/signatures.h"
#include "output/record.h"

namespace rpcmon::detect {

struct DetectorOptions {
    std::string rules_file;   // YAML (config/rules.example.yaml); empty = built-in defaults
    std::string rules_text;   // inline YAML instead of rules_file (tests); named "<inline>"
    // The rules file already loaded by the caller (it also bounds the pipeline: limits:), used
    // instead of reading rules_file again.
    std::shared_ptr<const DetectConfig> config;
    std::string state_file;   // baselines; empty = not persisted
    uint32_t state_save_interval = 300;  // seconds between automatic saves from onTick; 0 = never
};

class Detector {
public:
    // Loads the built-ins and the config (throws ConfigError) and restores the state file.
    // A corrupt state file does not throw: it is renamed to STATE.corrupt, counted in stats()
    // and reported by stateLoadError(); the detector starts with empty baselines.
    Detector(const DetectorOptions& opts, RecordSink& alerts);
    ~Detector();

    // The typed records (rpc calls, SMB sessions and pipe opens): the main entry. Time is the
    // event's, so offline and live runs raise the same alerts. A suppression window keeps the
    // shared event for its end-of-window summary instead of a copy.
    void onEvent(const std::shared_ptr<const Event>& ev);
    // Same, for an event the caller keeps: copied at most once, on its first suppressed hit.
    void onEvent(const Event& ev);
    // The JSON edge (EVE files replayed, records that stay JSON such as dcerpc_bind; other
    // types such as stats are ignored). rpc / smb_session / smb_pipe records are read into an
    // event (eventFromJson) and judged on the typed path; one it refuses is counted
    // (records_without_timestamp, or records_unreadable when the timestamp was fine).
    void onRecord(const Json& record);
    // Same, for a caller that shares the record (DetectingSink): a suppression window keeps a
    // dcerpc_bind record without a copy.
    void onRecord(const std::shared_ptr<const Json>& record);
    // Periodic call (live: about once a second with wall-clock time): ends suppression windows
    // (emitting summaries), closes idle baseline buckets, saves state every state_save_interval.
    void onTick(TimeNs now);
    // End of input (offline): emits every pending summary as if all windows had ended.
    void flush();
    // Atomic write of the baselines (tmp + fsync + rename + fsync dir). Returns false and
    // counts the error on failure (never throws).
    bool saveState();

    Json stats() const;
    const std::string& stateLoadError() const { return state_load_error_; }
    const DetectConfig& config() const { return cfg_; }

    // The baselines' error verdict: output/reply_outcome.h's (shared with `rpcmon top` and
    // alert outcomes) or a refused SMB session / pipe open.
    static bool isError(const Event& ev);

private:
    struct ActiveSig {
        SignatureDef def;
        bool enabled = true;
        bool severity_set = false;  // the config set `severity` (overrides per-interface ones)
        CidrList ignore_src, ignore_dest;
        uint64_t hits = 0, alerts = 0, suppressed = 0, summaries = 0;
    };
    struct AggState {
        std::deque<TimeNs> times;                        // Count: last `threshold` hit times
        std::unordered_map<std::string, TimeNs> values;  // Distinct: value -> last seen
        TimeNs oldest = 0;  // Distinct: at most the oldest last-seen time (a scan finds the expired)
        TimeNs last = 0;
        bool fired = false;
    };
    struct Hit;
    struct Suppression {
        TimeNs first = 0, last = 0, until = 0;
        uint64_t count = 0;
        // The most recent suppressed hit and its record (an event, or a record that stays
        // JSON): the summary is built from them.
        std::shared_ptr<const Hit> last_hit;
        std::shared_ptr<const Event> last_ev;
        std::shared_ptr<const Json> last_json;
        std::string src, dst;
    };
    struct ReplayEntry {
        uint64_t flow_id = 0;
        std::string src;
        TimeNs ts = 0;
        bool replied = false;
    };
    // A matched rule of any kind, ready to alert.
    struct Hit {
        uint32_t sid;
        std::string message, category, name, kind;
        int severity;
        std::vector<std::string> techniques, tactics;
        uint32_t suppress_s;
        uint64_t weight = 1;
        Json extra;  // merged into alert{}; null (no allocation) until a key is set
        std::string dedup = {};  // appended to the suppression key (baseline: the new item)
        std::string reason = {};   // alert.reason; empty: built from the record
        std::string outcome = {};  // alert.metadata.outcome; empty: from the record
        // Aggregating signatures: the hit's figures, put into words (reason, and the keys
        // added to `extra`) only when an alert or summary is written - most hits of a busy
        // source fall in a suppression window. `described` is describe() of the record.
        std::function<void(const std::string& described, std::string& reason, Json& extra)> explain = {};
    };
    // Agg::Enumeration, per (sid, src, dst): calls and items since `first` (reset after window_s).
    struct EnumState {
        TimeNs first = 0, last = 0;
        uint64_t calls = 0, items = 0, uncounted = 0;  // uncounted: calls whose item count is not decoded
    };

    // The record being judged: a typed event, or a record that stays JSON (dcerpc_bind, and
    // the synthetic base of a baseline finding that no record triggered).
    struct Rec {
        const Event* ev = nullptr;
        const Json* json = nullptr;
        std::string et, src, dst;  // event_type and endpoint addresses as the EVE line has them
    };
    static Rec recOf(const Event& ev);
    static Rec recOf(const Json& rec);
    // describeRecord / describeJsonRecord of either kind.
    static std::string describe(const Rec& r);

    void advance(TimeNs ts);
    void evaluateSignature(ActiveSig& s, const Rec& rec, TimeNs ts);
    // The selector keys of one record, extracted once and shared by every signature.
    struct Keys {
        std::string et, pipe;  // pipe lower-case
        std::optional<Uuid> uuid;
        int64_t opnum = -1, program = -1, procedure = -1;
    };
    static bool selects(const SignatureDef& d, const Keys& k);
    void process(const Rec& rec, TimeNs ts);
    // The record being processed, shared: the caller's (onEvent(shared_ptr)) or one copy made
    // on the first suppressed hit it makes; any other record is copied.
    std::shared_ptr<const Event> keepEvent(const Event& ev);
    std::shared_ptr<const Json> keepJson(const Json& rec);
    // Takes the hit: a suppression window keeps the latest one for its summary.
    void raise(Hit hit, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts);
    // The alert's JSON (alerts are rare; the record's JSON is made only here).
    Json buildAlert(const Hit& hit, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts) const;
    void expireSuppressions(TimeNs now, bool all);
    void sweepAggregates(TimeNs now);
    bool replayCheck(const Event& ev, TimeNs ts, Json& extra);
    // Agg::Enumeration / Agg::Attempt: raise their own hits.
    void enumerationHit(ActiveSig& s, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts);
    void attemptHit(ActiveSig& s, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts);
    void baselineFindings(std::vector<Anomaly>& found, const Rec* rec, TimeNs ts);
    void loadState();

    DetectorOptions opts_;
    RecordSink& sink_;
    // See keepEvent / keepJson: set for the duration of one record.
    const Event* cur_ev_ = nullptr;
    std::shared_ptr<const Event> cur_shared_ev_;
    const Json* cur_json_ = nullptr;
    std::shared_ptr<const Json> cur_shared_json_;
    DetectConfig cfg_;
    std::vector<ActiveSig> sigs_;  // fixed after construction: a Hit::explain refers to its definition
    // Which enabled signatures select a record with given keys: the same few keys recur for
    // every call, and scanning all signature selectors per record dominated detection time.
    // Bounded: cleared when full.
    std::unordered_map<std::string, std::vector<uint32_t>> selected_;
    static constexpr size_t kMaxSelectedKeys = 4096;
    std::unordered_map<uint32_t, size_t> sig_by_sid_;
    Baselines baselines_;

    std::unordered_map<std::string, AggState> agg_;
    std::unordered_map<std::string, EnumState> enum_;
    // Agg::Enumeration breadth, per (sid, src): server -> last call.
    std::unordered_map<std::string, std::unordered_map<std::string, TimeNs>> enum_servers_;
    std::unordered_map<std::string, Suppression> supp_;
    using Expiry = std::pair<TimeNs, std::string>;
    std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> supp_expiry_;
    std::unordered_map<std::string, ReplayEntry> replay_;
    std::unordered_map<uint64_t, TimeNs> anonymous_flows_;
    std::unordered_set<uint64_t> anonymous_set_;

    // Lookup keys are built into these (cleared, capacity kept): a key string per record and
    // per signature was a large part of detection's allocations. Map inserts copy them.
    std::string sel_key_, agg_key_, supp_key_, replay_key_;

    TimeNs now_ = 0, last_sweep_ = 0, last_save_ = 0;
    std::unordered_map<uint32_t, uint64_t> user_alerts_, user_suppressed_, baseline_alerts_;
    uint64_t records_ = 0, records_no_ts_ = 0, records_unreadable_ = 0, alerts_ = 0, summaries_ = 0, suppressed_ = 0;
    uint64_t agg_evicted_ = 0, replay_evicted_ = 0;
    uint64_t state_saves_ = 0, state_save_errors_ = 0, state_load_errors_ = 0;
    bool state_loaded_ = false;
    std::string state_load_error_, state_save_error_;
};

}  // namespace rpcmon::detect
