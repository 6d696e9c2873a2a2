// SPDX-License-Identifier: Apache-2.0
#include "detect/detector.h"

#include "output/reply_outcome.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace rpcmon::detect {
namespace {

constexpr TimeNs kSec = 1000000000ull;
// Same-flow duplicates of a replied ONC call are only replays after this delay: the longest
// NFS-over-UDP retransmission back-off is 60 s (nfs(5) timeo/retrans).
constexpr TimeNs kReplaySameFlowDelay = 60 * kSec;
constexpr size_t kMaxAnonymousFlows = 65536;
constexpr int kStateVersion = 1;
// Top-level record keys that are not copied into alerts (the alert sets its own).
const char* const kCommonKeys[] = {"timestamp", "flow_id", "event_type", "src_ip", "src_port",
                                   "dest_ip", "dest_port", "proto", "stats"};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// The values a record contributes to a Distinct aggregation. Interface brute force also counts
// the UUIDs of every bind / alter_context context attached to the call, accepted or rejected:
// a scanner binds many interfaces but calls few.
std::vector<std::string> distinctValues(DistinctOf d, const Json& rec) {
    std::vector<std::string> out;
    auto add = [&](std::optional<std::string> v) {
        if (v && !v->empty()) out.push_back(*v);
    };
    auto num = [&](const char* path) {
        auto p = fieldInt(rec, path);
        add(p ? std::optional<std::string>(std::to_string(*p)) : std::nullopt);
    };
    switch (d) {
        case DistinctOf::DestIp: add(fieldString(rec, "dest_ip")); break;
        case DistinctOf::DestPort: num("dest_port"); break;
        case DistinctOf::PortmapProgram: num("portmap.program"); break;
        case DistinctOf::CredUid: num("rpc.cred.uid"); break;
        case DistinctOf::OncProgram: num("rpc.program"); break;
        case DistinctOf::FlowId: num("flow_id"); break;
        case DistinctOf::InterfaceUuid: {
            add(fieldString(rec, "rpc.interface.uuid"));
            if (const Json* binds = field(rec, "rpc.bind"); binds && binds->is_array())
                for (const auto& b : *binds)
                    if (b.is_object() && b.contains("contexts") && b["contexts"].is_array())
                        for (const auto& c : b["contexts"])
                            if (c.is_object() && c.contains("uuid") && c["uuid"].is_string())
                                add(c["uuid"].get<std::string>());
            for (auto& v : out) v = lower(v);
            break;
        }
        default: break;
    }
    return out;
}

const char* distinctName(DistinctOf d) {
    switch (d) {
        case DistinctOf::DestIp: return "dest_ip";
        case DistinctOf::DestPort: return "dest_port";
        case DistinctOf::InterfaceUuid: return "rpc.interface.uuid";
        case DistinctOf::PortmapProgram: return "portmap.program";
        case DistinctOf::CredUid: return "rpc.cred.uid";
        case DistinctOf::OncProgram: return "rpc.program";
        case DistinctOf::FlowId: return "flow_id";
        default: return "";
    }
}

// Writes `data` to `path` atomically: tmp file, fsync, rename, fsync of the directory.
bool atomicWrite(const std::string& path, const std::string& data, std::string& err) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = "open " + tmp + ": " + std::strerror(errno);
        return false;
    }
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = "write " + tmp + ": " + std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return false;
        }
        off += size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        err = "fsync " + tmp + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        err = "rename " + tmp + ": " + std::strerror(errno);
        ::unlink(tmp.c_str());
        return false;
    }
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

}  // namespace

Detector::Detector(const DetectorOptions& opts, RecordSink& alerts)
    : opts_(opts), sink_(alerts),
      cfg_(opts.config                ? *opts.config
           : !opts.rules_text.empty() ? parseConfig(opts.rules_text, "<inline>")
           : !opts.rules_file.empty() ? loadConfig(opts.rules_file)
                                      : parseConfig("", "")),
      baselines_(cfg_.baseline) {
    for (const auto& def : builtinSignatures()) {
        ActiveSig s;
        s.def = def;
        auto it = cfg_.signatures.find(def.name);
        if (it != cfg_.signatures.end()) {
            const SignatureOverride& o = it->second;
            if (o.enabled) s.enabled = *o.enabled;
            if (o.severity) s.def.severity = *o.severity, s.severity_set = true;
            if (o.threshold) s.def.threshold = *o.threshold;
            if (o.window) s.def.window_s = *o.window;
            if (o.suppress) s.def.suppress_s = *o.suppress;
            if (o.items) s.def.items = *o.items;
            if (o.servers) s.def.servers = *o.servers;
            if (o.exempt_admin_hosts) {
                if (*o.exempt_admin_hosts) s.def.exempt |= kExemptAdminHosts;
                else s.def.exempt &= uint8_t(~kExemptAdminHosts);
            }
            s.ignore_src = o.ignore_src;
            s.ignore_dest = o.ignore_dest;
        }
        sig_by_sid_[def.sid] = sigs_.size();
        sigs_.push_back(std::move(s));
    }
    loadState();
}

Detector::~Detector() = default;

void Detector::loadState() {
    if (opts_.state_file.empty()) return;
    std::ifstream in(opts_.state_file);
    if (!in) return;  // first run
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        Json j = Json::parse(ss.str());
        if (!j.is_object() || j.value("format", "") != "rpcmon-detect-state")
            throw std::runtime_error("not an rpcmon detection state file");
        if (j.value("version", 0) != kStateVersion)
            throw std::runtime_error("unsupported state version " + j.value("version", Json(0)).dump());
        baselines_.fromJson(j.at("baselines"));
        state_loaded_ = true;
    } catch (const std::exception& e) {
        state_load_errors_++;
        state_load_error_ = opts_.state_file + ": " + e.what() + " (moved to " + opts_.state_file +
                            ".corrupt; starting with empty baselines)";
        std::error_code ec;
        std::filesystem::rename(opts_.state_file, opts_.state_file + ".corrupt", ec);
        baselines_ = Baselines(cfg_.baseline);
    }
}

bool Detector::saveState() {
    if (opts_.state_file.empty()) return true;
    Json j = {{"format", "rpcmon-detect-state"}, {"version", kStateVersion},
              {"saved_at", formatTimestamp(now_)}, {"baselines", baselines_.toJson()}};
    std::string err;
    if (!atomicWrite(opts_.state_file, j.dump() + "\n", err)) {
        state_save_errors_++;
        state_save_error_ = err;
        return false;
    }
    state_saves_++;
    return true;
}

void Detector::onRecord(const Json& record) {
    auto ts = record.contains("timestamp") && record["timestamp"].is_string()
                  ? parseTimestamp(record["timestamp"].get<std::string>())
                  : std::nullopt;
    if (!ts) records_no_ts_++;
    onRecord(record, ts ? *ts : now_);
}

void Detector::advance(TimeNs ts) {
    if (ts <= now_) return;
    now_ = ts;
    expireSuppressions(now_, false);
    if (now_ >= last_sweep_ + 60 * kSec) {
        sweepAggregates(now_);
        last_sweep_ = now_;
    }
}

bool Detector::isError(const Json& rec) {
    // The reply verdict is shared with `rpcmon top` and alert outcomes (output/reply_outcome.h);
    // a refused SMB session or pipe open is an error too.
    return replyIsError(rec) || isAuthFailure(rec);
}

void Detector::onRecord(const std::shared_ptr<const Json>& record) {
    if (!record) return;
    cur_shared_ = record;
    onRecord(*record);
    cur_shared_.reset();
}

void Detector::onRecord(const Json& rec, TimeNs ts) {
    if (!(cur_shared_ && cur_shared_.get() == &rec)) cur_shared_.reset();
    cur_rec_ = &rec;
    process(rec, ts);
    cur_rec_ = nullptr;
    cur_shared_.reset();
}

std::shared_ptr<const Json> Detector::keepRecord(const Json& rec) {
    if (&rec != cur_rec_) return std::make_shared<const Json>(rec);
    if (!cur_shared_) cur_shared_ = std::make_shared<const Json>(rec);
    return cur_shared_;
}

void Detector::process(const Json& rec, TimeNs ts) {
    if (!rec.is_object()) return;
    const std::string et = fieldString(rec, "event_type").value_or("");
    if (et != "rpc" && et != "smb_session" && et != "smb_pipe" && et != "dcerpc_bind") return;
    records_++;
    advance(ts);

    if (et == "smb_session" && fieldString(rec, "smb.auth").value_or("") == "anonymous") {
        if (auto flow = fieldInt(rec, "flow_id")) {
            if (anonymous_flows_.size() >= kMaxAnonymousFlows) {
                anonymous_flows_.clear();  // rare; losing old flows only weakens the null-session check
                anonymous_set_.clear();
            }
            anonymous_flows_[uint64_t(*flow)] = ts;
            anonymous_set_.insert(uint64_t(*flow));
        }
    }

    Keys k;
    k.et = et;
    k.pipe = lower(fieldString(rec, "smb.pipe").value_or(""));
    const std::string family = fieldString(rec, "rpc.family").value_or("");
    if (family == "dcerpc") {
        auto uuid = fieldString(rec, "rpc.interface.uuid");
        auto op = fieldInt(rec, "rpc.opnum");
        if (uuid && op) k.uuid = lower(*uuid), k.opnum = *op;
    } else if (family == "onc") {
        k.program = fieldInt(rec, "rpc.program").value_or(-1);
        k.procedure = fieldInt(rec, "rpc.procedure").value_or(-1);
    }
    std::string key = k.et + '\x1f' + k.pipe + '\x1f' + k.uuid + '\x1f' + std::to_string(k.opnum) + '\x1f' +
                      std::to_string(k.program) + '\x1f' + std::to_string(k.procedure);
    auto sel = selected_.find(key);
    if (sel == selected_.end()) {
        if (selected_.size() >= kMaxSelectedKeys) selected_.clear();
        std::vector<uint32_t> idx;
        for (uint32_t i = 0; i < sigs_.size(); i++)
            if (sigs_[i].enabled && selects(sigs_[i].def, k)) idx.push_back(i);
        sel = selected_.emplace(std::move(key), std::move(idx)).first;
    }
    for (uint32_t i : sel->second) evaluateSignature(sigs_[i], rec, ts);

    for (const auto& r : cfg_.rules) {
        if (!r.enabled || (!r.event_type.empty() && r.event_type != et)) continue;
        bool all = std::all_of(r.conditions.begin(), r.conditions.end(),
                               [&](const Condition& c) { return c.matches(rec); });
        if (!all) continue;
        Hit h{r.sid, r.message, r.category, "user_rule", "signature", r.severity,
              r.techniques, r.tactics, r.suppress, 1, Json::object()};
        h.extra["rule_line"] = r.line;
        raise(h, rec, fieldString(rec, "src_ip").value_or(""), fieldString(rec, "dest_ip").value_or(""), ts);
    }

    if (et == "rpc" || et == "smb_pipe") {
        std::vector<Anomaly> found;
        baselines_.observe(rec, ts, isError(rec), found);
        baselineFindings(found, &rec, ts);
    }
}

bool Detector::selects(const SignatureDef& d, const Keys& k) {
    const Selector& sel = d.sel;
    if (sel.event_type && k.et != sel.event_type) return false;
    if (sel.dce.empty() && sel.onc.empty() && sel.pipes.empty()) return true;
    for (const char* p : sel.pipes)
        if (k.pipe == p) return true;
    if (k.opnum >= 0)
        for (const auto& d2 : sel.dce)
            if (k.uuid == d2.uuid && (d2.opnums.empty() || std::find(d2.opnums.begin(), d2.opnums.end(),
                                                                     int(k.opnum)) != d2.opnums.end()))
                return true;
    if (k.program >= 0 && k.procedure >= 0)
        for (const auto& o : sel.onc)
            if (k.program == int64_t(o.program) &&
                (o.procedures.empty() ||
                 std::find(o.procedures.begin(), o.procedures.end(), int(k.procedure)) != o.procedures.end()))
                return true;
    return false;
}

// Items a call works on, for count aggregation: rpc.args.sid_count / name_count, else 1.
static uint64_t itemCount(const Json& rec) {
    auto rpc = rec.find("rpc");
    if (rpc == rec.end()) return 1;
    auto args = rpc->find("args");
    if (args == rpc->end() || !args->is_object()) return 1;
    for (const char* k : {"sid_count", "name_count"}) {
        auto it = args->find(k);
        if (it != args->end() && it->is_number_unsigned()) return it->get<uint64_t>();
    }
    return 1;
}

void Detector::evaluateSignature(ActiveSig& s, const Json& rec, TimeNs ts) {
    const SignatureDef& d = s.def;
    const std::string src = fieldString(rec, "src_ip").value_or("");
    const std::string dst = fieldString(rec, "dest_ip").value_or("");
    if ((d.exempt & kExemptAdminHosts) && cfg_.admin_hosts.contains(src)) return;
    if ((d.exempt & kExemptDomainControllers) && cfg_.domain_controllers.contains(src)) return;
    if ((d.exempt & kExemptNfsRootClients) && cfg_.nfs_root_clients.contains(src)) return;
    if (s.ignore_src.contains(src) || s.ignore_dest.contains(dst)) return;
    if (d.pred) {
        SigContext ctx{d.threshold, &cfg_.sensitive_files, &anonymous_set_};
        if (!d.pred(rec, ctx)) return;
    }
    if (d.agg == Agg::Enumeration) return enumerationHit(s, rec, src, dst, ts);
    if (d.agg == Agg::Attempt) return attemptHit(s, rec, src, dst, ts);
    std::string reason;
    // The Hit (strings, technique lists) is built only when the signature fires: most
    // evaluations of aggregating signatures end below their threshold.
    uint64_t weight = 1;
    Json extra = Json::object();
    const TimeNs window = TimeNs(d.window_s) * kSec;
    // Records reach us in completion order, not call order (a call is reported when its reply
    // arrives or it times out), so time within one aggregation key is clamped to be monotonic.
    const std::string key = std::to_string(d.sid) + "|" + src + "|" + (d.group == GroupBy::SrcDst ? dst : "*");
    switch (d.agg) {
        case Agg::None: break;
        case Agg::Count: {
            AggState& a = agg_[key];
            const TimeNs t = std::max(ts, a.last);
            a.last = t;
            // One lookup call can carry thousands of SIDs or names: it weighs what it carries.
            uint64_t w = std::clamp<uint64_t>(itemCount(rec), 1, std::max<uint64_t>(d.threshold, 1));
            for (uint64_t i = 0; i < w; i++) a.times.push_back(t);
            while (a.times.size() > d.threshold) a.times.pop_front();
            if (a.times.size() < d.threshold || t - a.times.front() > window) {
                a.fired = false;
                return;
            }
            weight = a.fired ? 1 : d.threshold;
            a.fired = true;
            extra = {{"threshold", d.threshold}, {"window_s", d.window_s},
                     {"first_call", formatTimestamp(a.times.front())}, {"last_call", formatTimestamp(t)}};
            reason = std::to_string(d.threshold) + " matching calls (a lookup call weighs the SIDs/names it carries) within " +
                     std::to_string((t - a.times.front()) / kSec) + " s (threshold " + std::to_string(d.threshold) +
                     " per " + std::to_string(d.window_s) + " s), first at " + formatTimestamp(a.times.front()) +
                     ", last at " + formatTimestamp(t) + "; last call: " + describeRecord(rec);
            break;
        }
        case Agg::Distinct: {
            std::vector<std::string> vals = distinctValues(d.distinct, rec);
            if (vals.empty()) return;
            AggState& a = agg_[key];
            const TimeNs t = std::max(ts, a.last);
            a.last = t;
            for (auto it = a.values.begin(); it != a.values.end();)
                it = t - it->second > window ? a.values.erase(it) : std::next(it);
            bool fresh = false;
            for (const auto& v : vals) {
                fresh = fresh || !a.values.count(v);
                a.values[v] = t;
            }
            // Keep the value set bounded: once past the threshold only the newest matter.
            if (a.values.size() > size_t(d.threshold) * 4 + 16) {
                auto oldest = std::min_element(a.values.begin(), a.values.end(),
                                               [](auto& x, auto& y) { return x.second < y.second; });
                a.values.erase(oldest);
            }
            if (a.values.size() < d.threshold || !fresh) return;
            weight = a.fired ? 1 : a.values.size();
            a.fired = true;
            Json sample = Json::array();
            for (const auto& [val, t] : a.values) {
                if (sample.size() >= 16) break;
                sample.push_back(val);
            }
            std::sort(sample.begin(), sample.end());
            TimeNs first = t;
            for (const auto& [val, vt] : a.values) first = std::min(first, vt);
            extra = {{"threshold", d.threshold}, {"window_s", d.window_s},
                       {"distinct_field", distinctName(d.distinct)}, {"distinct_count", a.values.size()},
                       {"distinct_values", sample}, {"first_call", formatTimestamp(first)},
                       {"last_call", formatTimestamp(t)}};
            std::string list;
            for (const auto& v : sample) list += (list.empty() ? "" : ", ") + v.get<std::string>();
            reason = std::to_string(a.values.size()) + " distinct " + distinctName(d.distinct) + " values " +
                     (d.group == GroupBy::Src ? "from " + src : "from " + src + " to " + dst) + " within " +
                     std::to_string(d.window_s) + " s (threshold " + std::to_string(d.threshold) + "): " + list +
                     "; first at " + formatTimestamp(first) + ", last at " + formatTimestamp(t) + "; last call: " +
                     describeRecord(rec);
            break;
        }
        case Agg::Replay:
            if (!replayCheck(rec, ts, extra)) return;
            reason = "same XID, program, version, procedure, AUTH_UNIX credential and arguments as the call from " +
                     extra.value("original_src_ip", std::string("?")) + " on flow " +
                     extra.value("original_flow_id", Json(0)).dump() + " at " +
                     extra.value("original_timestamp", std::string("?")) + "; this one: " + describeRecord(rec);
            break;
        case Agg::Enumeration:
        case Agg::Attempt: return;  // handled above
    }
    if (agg_.size() > cfg_.max_tracked_keys) {
        sweepAggregates(now_);
        while (agg_.size() > cfg_.max_tracked_keys) agg_.erase(agg_.begin()), agg_evicted_++;
    }
    s.hits++;
    Hit h{d.sid, d.message, d.category, d.name, "signature", d.severity,
          std::vector<std::string>(d.techniques.begin(), d.techniques.end()),
          std::vector<std::string>(d.tactics.begin(), d.tactics.end()), d.suppress_s, weight, std::move(extra)};
    h.reason = reason.empty() ? d.message + std::string(": ") + describeRecord(rec) : std::move(reason);
    raise(h, rec, src, d.group == GroupBy::SrcDst ? dst : "", ts);
}

void Detector::enumerationHit(ActiveSig& s, const Json& rec, const std::string& src, const std::string& dst,
                              TimeNs ts) {
    const SignatureDef& d = s.def;
    const TimeNs window = TimeNs(d.window_s) * kSec;
    const std::string base = std::to_string(d.sid) + "|" + src;
    if (enum_.size() >= cfg_.max_tracked_keys) {
        for (auto it = enum_.begin(); it != enum_.end();)
            it = now_ - it->second.last > 3600 * kSec ? enum_.erase(it) : std::next(it);
        while (enum_.size() >= cfg_.max_tracked_keys) enum_.erase(enum_.begin()), agg_evicted_++;
    }
    if (enum_servers_.size() >= cfg_.max_tracked_keys) enum_servers_.clear(), agg_evicted_++;
    EnumState& e = enum_[base + "|" + dst];
    // Completion order, not call order: time per key is clamped to be monotonic (as for Count).
    const TimeNs t = std::max(ts, e.last);
    if (e.calls && t - e.first > window) e = EnumState{};
    if (!e.calls) e.first = t;
    e.last = t;
    e.calls++;
    if (auto n = recordItems(rec)) e.items += *n;
    else e.uncounted++;
    auto& servers = enum_servers_[base];
    for (auto it = servers.begin(); it != servers.end();)
        it = t - it->second > window ? servers.erase(it) : std::next(it);
    servers[dst] = t;
    if (servers.size() > size_t(d.servers) * 4 + 16) {
        auto oldest = std::min_element(servers.begin(), servers.end(),
                                       [](auto& x, auto& y) { return x.second < y.second; });
        servers.erase(oldest);
    }
    const uint64_t items = e.items + e.uncounted;
    const bool by_items = d.items && items >= d.items;
    const bool by_calls = d.threshold && e.calls >= d.threshold;
    const bool by_servers = d.servers && servers.size() >= d.servers;
    const bool escalated = by_items || by_calls || by_servers;

    std::string item_text;
    if (e.uncounted == 0)
        item_text = std::to_string(items) + " " + d.item_noun;
    else if (e.items == 0)
        item_text = std::to_string(items) + " " + d.item_noun + " counted as 1 per call (the reply's item count is not decoded)";
    else
        item_text = "at least " + std::to_string(items) + " " + d.item_noun + " (" + std::to_string(e.items) +
                    " counted in the records, " + std::to_string(e.uncounted) +
                    (e.uncounted == 1 ? " call" : " calls") + " without a decoded count as 1 each)";
    const std::string figures =
        item_text + " in " + std::to_string(e.calls) + (e.calls == 1 ? " call" : " calls") + " from " + src + " to " +
        dst + " and " + std::to_string(servers.size()) + (servers.size() == 1 ? " server" : " distinct servers") +
        " enumerated by " + src + " between " + formatTimestamp(e.first) + " and " + formatTimestamp(e.last) +
        " (window " + std::to_string(d.window_s) + " s)";
    std::string limits;
    if (d.items) limits += "≥" + std::to_string(d.items) + " " + d.item_noun;
    if (d.threshold) limits += std::string(limits.empty() ? "" : ", ") + "≥" + std::to_string(d.threshold) + " calls";
    if (d.servers) limits += std::string(limits.empty() ? "" : " or ") + "≥" + std::to_string(d.servers) + " servers";

    Json extra = {{"items", items}, {"items_from_replies", e.items}, {"calls_without_item_count", e.uncounted},
                  {"calls", e.calls}, {"distinct_servers", servers.size()}, {"window_s", d.window_s},
                  {"first_call", formatTimestamp(e.first)}, {"last_call", formatTimestamp(e.last)},
                  {"escalation", {{"items", d.items}, {"calls", d.threshold}, {"servers", d.servers},
                                  {"severity", d.escalate_to}}}};
    Hit h{d.sid, d.message, d.category, d.name, "signature", escalated ? d.escalate_to : d.severity,
          std::vector<std::string>(d.techniques.begin(), d.techniques.end()),
          std::vector<std::string>(d.tactics.begin(), d.tactics.end()), d.suppress_s, 1, Json::object()};
    std::string reached;
    if (escalated) {
        Json by = Json::array();
        if (by_items) by.push_back("items"), reached += "≥" + std::to_string(d.items) + " " + d.item_noun;
        if (by_calls) by.push_back("calls"), reached += std::string(reached.empty() ? "" : ", ") + "≥" + std::to_string(d.threshold) + " calls";
        if (by_servers) by.push_back("servers"), reached += std::string(reached.empty() ? "" : ", ") + "≥" + std::to_string(d.servers) + " servers";
        extra["escalated_by"] = by;
        h.dedup = "escalated";
        h.reason = std::string(by_servers && !by_items && !by_calls ? "Breadth" : "Volume") + " (" + reached +
                   " within " + std::to_string(d.window_s) + " s): " + figures + "; last call: " + describeRecord(rec);
    } else {
        h.reason = "First " + std::string(d.message) + " from " + src + " to " + dst + " in this " +
                   std::to_string(d.suppress_s) + " s window: " + describeRecord(rec) + "; so far " + figures +
                   "; severity " + std::to_string(d.escalate_to) + " at " + limits;
    }
    h.extra = std::move(extra);
    s.hits++;
    // Breadth is one finding per source, not one per server.
    raise(h, rec, src, escalated && by_servers && !by_items && !by_calls ? "" : dst, ts);
}

void Detector::attemptHit(ActiveSig& s, const Json& rec, const std::string& src, const std::string& dst, TimeNs ts) {
    const SignatureDef& d = s.def;
    const std::string et = fieldString(rec, "event_type").value_or("");
    struct Found {
        const LateralInterface* li;
        std::string how, outcome;
    };
    std::vector<Found> found;
    auto seen = [&](const LateralInterface* li) {
        for (const auto& f : found)
            if (std::string(f.li->label) == li->label) return true;
        return false;
    };
    if (et == "smb_pipe") {
        const std::string pipe = lower(fieldString(rec, "smb.pipe").value_or(""));
        auto st = fieldString(rec, "smb.status");
        if (!st || *st == "STATUS_SUCCESS" || pipe.empty()) return;
        for (const auto& li : lateralInterfaces())
            if (li.pipe && pipe == li.pipe && !seen(&li))
                found.push_back({&li, "open of \\pipe\\" + pipe + " failed (" + *st + ")", "failed"});
    } else if (et == "rpc" || et == "dcerpc_bind") {
        const Json* binds = field(rec, "rpc.bind");
        if (!binds || !binds->is_array()) return;
        const std::string called = lower(fieldString(rec, "rpc.interface.uuid").value_or(""));
        for (const auto& b : *binds) {
            if (!b.is_object() || !b.contains("contexts") || !b["contexts"].is_array()) continue;
            const std::string pt = b.value("packet_type", "bind");
            for (const auto& c : b["contexts"]) {
                if (!c.is_object() || !c.contains("uuid") || !c["uuid"].is_string()) continue;
                const std::string uuid = lower(c["uuid"].get<std::string>());
                const std::string result = c.value("result", "");
                const bool accepted = result == "acceptance";
                // A call on the context is judged by the call's own signature.
                if (et == "rpc" && (accepted || uuid == called)) continue;
                for (const auto& li : lateralInterfaces()) {
                    if (uuid != li.uuid || seen(&li)) continue;
                    std::string how = pt + " of " + li.label + " " +
                                      (accepted ? std::string("accepted but no call followed")
                                                : result == "no_response" ? std::string("not answered")
                                                                          : "rejected (" + result + ")");
                    found.push_back({&li, how, accepted || result == "no_response" ? "attempt" : "failed"});
                }
            }
        }
    }
    for (const auto& f : found) {
        Hit h{d.sid, d.message, d.category, d.name, "signature", s.severity_set ? d.severity : f.li->severity,
              std::vector<std::string>(f.li->techniques.begin(), f.li->techniques.end()),
              std::vector<std::string>(f.li->tactics.begin(), f.li->tactics.end()), d.suppress_s, 1,
              {{"interface", f.li->label}}};
        h.dedup = f.li->label;
        h.outcome = f.outcome;
        h.reason = "Attempt on " + std::string(f.li->label) + ": " + f.how + " — " + describeRecord(rec);
        s.hits++;
        raise(h, rec, src, dst, ts);
    }
}

bool Detector::replayCheck(const Json& rec, TimeNs ts, Json& extra) {
    if (fieldString(rec, "rpc.family").value_or("") != "onc") return false;
    const Json* cred = field(rec, "rpc.cred");
    // AUTH_NULL calls carry no identity worth replaying; RPCSEC_GSS sequence numbers are not in
    // the record, so only AUTH_UNIX (whose stamp + ids make the credential) is judged.
    if (!cred || !cred->is_object() || cred->value("flavor", "") != "AUTH_UNIX") return false;
    auto xid = fieldInt(rec, "rpc.xid");
    auto flow = fieldInt(rec, "flow_id");
    if (!xid || !flow) return false;
    // Request-side arguments only: reply fields (status, port, exports) differ between the
    // original and a replay by design.
    Json args = Json::object();
    for (const char* p : {"nfs.name", "nfs.rename_to", "nfs.offset", "nfs.count", "nfs.ops", "nfs.names",
                          "nfs.symlink_target", "nfs.tag", "mount.path", "portmap.program",
                          "portmap.version", "nlm.owner", "nlm.svid", "nlm.offset", "nlm.length"})
        if (const Json* f = field(rec, p)) args[p] = *f;
    Json c = *cred;
    std::string key = std::to_string(*xid) + "|" + rec["rpc"].value("program", Json(0)).dump() + "|" +
                      rec["rpc"].value("version", Json(0)).dump() + "|" +
                      rec["rpc"].value("procedure", Json(0)).dump() + "|" + c.dump() + "|" + args.dump();
    const std::string src = fieldString(rec, "src_ip").value_or("");
    const bool replied = field(rec, "rpc.reply") && !field(rec, "rpc.reply")->is_null();
    auto it = replay_.find(key);
    const TimeNs window = TimeNs(sigs_[sig_by_sid_.at(1000084)].def.suppress_s) * kSec;
    if (it == replay_.end() || (ts > it->second.ts && ts - it->second.ts > std::max(window, 600 * kSec))) {
        if (replay_.size() >= cfg_.max_tracked_keys / 4) {
            // Drop the oldest eighth: bounded memory, replays of very old calls go unseen.
            std::vector<std::pair<TimeNs, std::string>> ages;
            for (auto& [k, v] : replay_) ages.emplace_back(v.ts, k);
            size_t drop = std::max<size_t>(1, ages.size() / 8);
            std::nth_element(ages.begin(), ages.begin() + (drop - 1), ages.end());
            for (size_t i = 0; i < drop; i++) replay_.erase(ages[i].second), replay_evicted_++;
        }
        replay_[key] = {uint64_t(*flow), src, ts, replied};
        return false;
    }
    ReplayEntry& e = it->second;
    bool other_flow = e.flow_id != uint64_t(*flow);
    bool other_src = e.src != src;
    bool late = e.replied && ts > e.ts && ts - e.ts >= kReplaySameFlowDelay;
    if (!other_flow && !other_src && !late) {
        e.replied = e.replied || replied;
        return false;  // ordinary retransmission on the same connection
    }
    extra = {{"original_flow_id", e.flow_id}, {"original_src_ip", e.src},
             {"original_timestamp", formatTimestamp(e.ts)}, {"original_replied", e.replied},
             {"replay_basis", "xid+program+version+procedure+AUTH_UNIX credential+decoded arguments"}};
    return true;
}

Json Detector::buildAlert(const Hit& hit, const Json& rec, const std::string& src, const std::string& dst,
                          TimeNs ts) const {
    Json a;
    a["timestamp"] = rec.contains("timestamp") ? rec["timestamp"] : Json(formatTimestamp(ts));
    if (rec.contains("flow_id")) a["flow_id"] = rec["flow_id"];
    a["event_type"] = "alert";
    for (const char* k : {"src_ip", "src_port", "dest_ip", "dest_port", "proto"})
        if (rec.contains(k)) a[k] = rec[k];
    if (!rec.contains("src_ip") && !src.empty()) a["src_ip"] = src;
    if (!rec.contains("dest_ip") && !dst.empty()) a["dest_ip"] = dst;
    Json al;
    al["action"] = "allowed";
    al["signature_id"] = hit.sid;
    al["rev"] = 1;
    al["signature"] = hit.message;
    al["category"] = hit.category;
    al["severity"] = hit.severity;
    al["kind"] = hit.kind;
    al["rule"] = hit.name;
    al["count"] = hit.weight;
    al["metadata"] = {{"mitre_technique_id", hit.techniques}, {"mitre_tactic", hit.tactics}};
    if (!hit.outcome.empty()) al["metadata"]["outcome"] = hit.outcome;
    else if (auto o = recordOutcome(rec)) al["metadata"]["outcome"] = *o;
    al["reason"] = hit.reason.empty() ? hit.message + ": " + describeRecord(rec) : hit.reason;
    if (rec.contains("event_type")) al["source_event_type"] = rec["event_type"];
    for (const auto& [k, v] : hit.extra.items()) al[k] = v;
    a["alert"] = std::move(al);
    for (const auto& [k, v] : rec.items()) {
        bool common = false;
        for (const char* c : kCommonKeys) common = common || k == c;
        if (!common && !a.contains(k)) a[k] = v;
    }
    return a;
}

void Detector::raise(const Hit& hit, const Json& rec, const std::string& src, const std::string& dst, TimeNs ts) {
    auto bump = [&](bool emitted) {
        if (auto it = sig_by_sid_.find(hit.sid); it != sig_by_sid_.end()) {
            ActiveSig& s = sigs_[it->second];
            (emitted ? s.alerts : s.suppressed)++;
        } else if (hit.kind == "anomaly") {
            if (emitted) baseline_alerts_[hit.sid]++;
        } else {
            (emitted ? user_alerts_ : user_suppressed_)[hit.sid]++;
        }
    };
    const std::string key = std::to_string(hit.sid) + "|" + src + "|" + dst + "|" + hit.dedup;
    if (hit.suppress_s > 0) {
        auto it = supp_.find(key);
        if (it != supp_.end() && ts < it->second.until) {
            Suppression& s = it->second;
            s.count += hit.weight;
            s.last = ts;
            s.last_hit = std::make_shared<const Hit>(hit);
            s.last_rec = keepRecord(rec);
            s.src = src;
            s.dst = dst;
            suppressed_++;
            bump(false);
            return;
        }
        if (it != supp_.end()) expireSuppressions(ts, false);
    }
    Json alert = buildAlert(hit, rec, src, dst, ts);
    if (hit.suppress_s > 0) {
        if (supp_.size() >= cfg_.max_tracked_keys) expireSuppressions(TimeNs(-1), true);
        Suppression s;
        s.first = s.last = ts;
        s.until = ts + TimeNs(hit.suppress_s) * kSec;
        s.count = hit.weight;
        supp_[key] = std::move(s);
        supp_expiry_.push({ts + TimeNs(hit.suppress_s) * kSec, key});
        alert["alert"]["suppress_s"] = hit.suppress_s;
    }
    alerts_++;
    bump(true);
    sink_.emit(std::move(alert));
}

void Detector::expireSuppressions(TimeNs now, bool all) {
    while (!supp_expiry_.empty() && (all || supp_expiry_.top().first <= now)) {
        auto [until, key] = supp_expiry_.top();
        supp_expiry_.pop();
        auto it = supp_.find(key);
        if (it == supp_.end() || it->second.until != until) continue;
        Suppression s = std::move(it->second);
        supp_.erase(it);
        if (s.count < cfg_.summary_min_count || !s.last_hit || !s.last_rec) continue;
        // One summary per window: the latest triggering record, with the window's total count.
        Json a = buildAlert(*s.last_hit, *s.last_rec, s.src, s.dst, s.last);
        a["alert"]["count"] = s.count;
        a["alert"]["summary"] = true;
        a["alert"]["first_seen"] = formatTimestamp(s.first);
        a["alert"]["last_seen"] = formatTimestamp(s.last);
        a["alert"]["reason"] = "Summary: " + std::to_string(s.count) + " hits between " + formatTimestamp(s.first) +
                               " and " + formatTimestamp(s.last) + " (only the first was alerted); last hit: " +
                               a["alert"]["reason"].get<std::string>();
        uint32_t sid = a["alert"]["signature_id"].get<uint32_t>();
        if (auto si = sig_by_sid_.find(sid); si != sig_by_sid_.end()) sigs_[si->second].summaries++;
        summaries_++;
        alerts_++;
        sink_.emit(std::move(a));
    }
}

void Detector::sweepAggregates(TimeNs now) {
    for (auto it = agg_.begin(); it != agg_.end();) {
        uint32_t sid = uint32_t(std::stoul(it->first.substr(0, it->first.find('|'))));
        TimeNs window = TimeNs(sigs_[sig_by_sid_.at(sid)].def.window_s) * kSec;
        it = now - it->second.last > window ? agg_.erase(it) : std::next(it);
    }
    for (auto it = replay_.begin(); it != replay_.end();)
        it = now - it->second.ts > 3600 * kSec ? replay_.erase(it) : std::next(it);
    // Enumeration windows are at most a week (config limit); idle keys go after theirs.
    for (auto it = enum_.begin(); it != enum_.end();) {
        uint32_t sid = uint32_t(std::stoul(it->first.substr(0, it->first.find('|'))));
        TimeNs window = TimeNs(sigs_[sig_by_sid_.at(sid)].def.window_s) * kSec;
        it = now > it->second.last && now - it->second.last > window ? enum_.erase(it) : std::next(it);
    }
    for (auto it = enum_servers_.begin(); it != enum_servers_.end();) {
        uint32_t sid = uint32_t(std::stoul(it->first.substr(0, it->first.find('|'))));
        TimeNs window = TimeNs(sigs_[sig_by_sid_.at(sid)].def.window_s) * kSec;
        auto& m = it->second;
        for (auto j = m.begin(); j != m.end();) j = now > j->second && now - j->second > window ? m.erase(j) : std::next(j);
        it = m.empty() ? enum_servers_.erase(it) : std::next(it);
    }
}

void Detector::baselineFindings(std::vector<Anomaly>& found, const Json* rec, TimeNs ts) {
    for (auto& f : found) {
        Hit h{f.sid, f.message, "anomaly", "baseline", "anomaly", cfg_.baseline.severity, {}, {},
              cfg_.baseline.suppress, 1, Json::object()};
        h.extra["baseline"] = f.detail;
        h.reason = f.message;
        if (f.detail.contains("item")) h.reason += ": '" + f.detail["item"].get<std::string>() + "'";
        if (f.detail.contains("host"))
            h.reason += " (" + f.detail.value("role", std::string("host")) + " " + f.detail["host"].get<std::string>() + ")";
        if (f.detail.contains("z"))
            h.reason += "; " + f.detail["calls"].dump() + " calls in a " + f.detail.value("bucket_s", Json(0)).dump() +
                        " s bucket, EWMA mean " + f.detail["ewma_mean"].dump() + ", stddev " + f.detail["ewma_stddev"].dump();
        if (f.detail.contains("ratio"))
            h.reason += "; error ratio " + f.detail["ratio"].dump() + " (" + f.detail["errors"].dump() + " of " +
                        f.detail["calls"].dump() + " calls) vs EWMA " + f.detail["ewma_ratio"].dump();
        if (f.from_record && rec) h.reason += "; record: " + describeRecord(*rec);
        // Each first-seen item alerts once (it is learned right away); rate findings share a key.
        if (f.detail.contains("item")) h.dedup = f.detail["item"].get<std::string>();
        Json base;
        if (f.from_record && rec) {
            base = *rec;
        } else {
            base = Json::object();
            base["timestamp"] = formatTimestamp(ts);
            if (!f.src_ip.empty()) base["src_ip"] = f.src_ip;
            if (!f.dest_ip.empty()) base["dest_ip"] = f.dest_ip;
        }
        raise(h, base, f.src_ip, f.dest_ip, ts);
    }
}

void Detector::onTick(TimeNs now) {
    advance(now);
    std::vector<Anomaly> found;
    baselines_.tick(now_, found);
    baselineFindings(found, nullptr, now_);
    if (opts_.state_save_interval && !opts_.state_file.empty()) {
        if (last_save_ == 0) last_save_ = now;
        else if (now >= last_save_ + TimeNs(opts_.state_save_interval) * kSec) {
            saveState();
            last_save_ = now;
        }
    }
}

void Detector::flush() { expireSuppressions(0, true); }

Json Detector::stats() const {
    Json by_sid = Json::object();
    uint64_t enabled = 0;
    for (const auto& s : sigs_) {
        enabled += s.enabled;
        if (s.alerts || s.suppressed)
            by_sid[std::to_string(s.def.sid)] = {{"rule", s.def.name}, {"alerts", s.alerts},
                                                 {"suppressed", s.suppressed}, {"summaries", s.summaries}};
    }
    for (const auto& [sid, n] : user_alerts_) by_sid[std::to_string(sid)]["alerts"] = n;
    for (const auto& [sid, n] : user_suppressed_) by_sid[std::to_string(sid)]["suppressed"] = n;
    for (const auto& [sid, n] : baseline_alerts_) by_sid[std::to_string(sid)]["alerts"] = n;
    Json st = {{"file", opts_.state_file}, {"loaded", state_loaded_}, {"saves", state_saves_},
               {"save_errors", state_save_errors_}, {"load_errors", state_load_errors_}};
    if (!state_load_error_.empty()) st["load_error"] = state_load_error_;
    if (!state_save_error_.empty()) st["save_error"] = state_save_error_;
    return {{"records", records_},
            {"records_without_timestamp", records_no_ts_},
            {"alerts", alerts_},
            {"summaries", summaries_},
            {"suppressed", suppressed_},
            {"by_signature", by_sid},
            {"tracked", {{"aggregates", agg_.size()}, {"enumerations", enum_.size()}, {"suppressions", supp_.size()},
                         {"replay_calls", replay_.size()}, {"aggregates_evicted", agg_evicted_},
                         {"replay_evicted", replay_evicted_}}},
            {"baseline", baselines_.stats()},
            {"state", st},
            {"config", {{"file", cfg_.file}, {"signatures", sigs_.size()}, {"signatures_enabled", enabled},
                        {"user_rules", cfg_.rules.size()},
                        {"domain_controllers", cfg_.domain_controllers.text},
                        {"admin_hosts", cfg_.admin_hosts.text},
                        {"nfs_root_clients", cfg_.nfs_root_clients.text}}}};
}

}  // namespace rpcmon::detect
