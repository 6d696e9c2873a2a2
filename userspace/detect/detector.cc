// SPDX-License-Identifier: Apache-2.0
// The detection engine's entry points: construction, the per-record pipeline (selection of
// the signatures a record concerns, user rules, baselines), baseline state persistence, ticks
// and statistics. Aggregation, suppression and replay live in detector_<part>.cc.
#include "detect/detector.h"

#include "detect/detector_internal.h"

#include "output/reply_outcome.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace rpcmon::detect {
namespace {

constexpr size_t kMaxAnonymousFlows = 65536;
constexpr int kStateVersion = 1;

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

Detector::Rec Detector::recOf(const Event& ev) {
    Rec r;
    r.ev = &ev;
    r.et = eventTypeName(ev.type);
    r.src = srcIp(ev);
    r.dst = destIp(ev);
    return r;
}

Detector::Rec Detector::recOf(const Json& rec) {
    Rec r;
    r.json = &rec;
    r.et = fieldString(rec, "event_type").value_or("");
    r.src = fieldString(rec, "src_ip").value_or("");
    r.dst = fieldString(rec, "dest_ip").value_or("");
    return r;
}

std::string Detector::describe(const Rec& r) {
    return r.ev ? describeRecord(*r.ev) : describeJsonRecord(*r.json);
}

void Detector::onEvent(const std::shared_ptr<const Event>& ev) {
    if (!ev) return;
    cur_shared_ev_ = ev;
    onEvent(*ev);
}

void Detector::onEvent(const Event& ev) {
    if (!(cur_shared_ev_ && cur_shared_ev_.get() == &ev)) cur_shared_ev_.reset();
    cur_ev_ = &ev;
    process(recOf(ev), ev.ts);
    cur_ev_ = nullptr;
    cur_shared_ev_.reset();
}

void Detector::onRecord(const Json& record) {
    if (!record.is_object()) return;
    auto et = record.find("event_type");
    if (et == record.end() || !et->is_string()) return;
    const std::string& type = et->get_ref<const std::string&>();
    if (type == "rpc" || type == "smb_session" || type == "smb_pipe") {
        std::optional<Event> ev = eventFromJson(record);
        if (!ev) {
            auto ts = fieldString(record, "timestamp");
            (ts && parseTimestamp(*ts) ? records_unreadable_ : records_no_ts_)++;
            return;
        }
        // Shared from the start: a suppressed hit keeps it without a copy.
        onEvent(std::make_shared<const Event>(std::move(*ev)));
        return;
    }
    if (type != "dcerpc_bind") return;
    auto ts = fieldString(record, "timestamp");
    auto t = ts ? parseTimestamp(*ts) : std::nullopt;
    if (!t) records_no_ts_++;
    if (!(cur_shared_json_ && cur_shared_json_.get() == &record)) cur_shared_json_.reset();
    cur_json_ = &record;
    process(recOf(record), t ? *t : now_);
    cur_json_ = nullptr;
    cur_shared_json_.reset();
}

void Detector::onRecord(const std::shared_ptr<const Json>& record) {
    if (!record) return;
    cur_shared_json_ = record;
    onRecord(*record);
    cur_shared_json_.reset();
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

bool Detector::isError(const Event& ev) {
    // The reply verdict is shared with `rpcmon top` and alert outcomes (output/reply_outcome.h);
    // a refused SMB session or pipe open is an error too.
    return replyIsError(ev) || isAuthFailure(ev);
}

std::shared_ptr<const Event> Detector::keepEvent(const Event& ev) {
    if (&ev != cur_ev_) return std::make_shared<const Event>(ev);
    if (!cur_shared_ev_) cur_shared_ev_ = std::make_shared<const Event>(ev);
    return cur_shared_ev_;
}

std::shared_ptr<const Json> Detector::keepJson(const Json& rec) {
    if (&rec != cur_json_) return std::make_shared<const Json>(rec);
    if (!cur_shared_json_) cur_shared_json_ = std::make_shared<const Json>(rec);
    return cur_shared_json_;
}

void Detector::process(const Rec& rec, TimeNs ts) {
    records_++;
    advance(ts);
    const Event* ev = rec.ev;

    if (ev && ev->type == EventType::SmbSession && ev->smb.auth && std::strcmp(ev->smb.auth, "anonymous") == 0) {
        if (anonymous_flows_.size() >= kMaxAnonymousFlows) {
            anonymous_flows_.clear();  // rare; losing old flows only weakens the null-session check
            anonymous_set_.clear();
        }
        anonymous_flows_[ev->flow_id] = ts;
        anonymous_set_.insert(ev->flow_id);
    }

    Keys k;
    k.et = rec.et;
    if (ev) {
        k.pipe = lower(ev->smb.pipe);
        if (const DceCall* d = ev->dce()) {
            if (d->iface) k.uuid = d->iface->uuid, k.opnum = d->opnum;
        } else if (const OncCall* o = ev->onc()) {
            k.program = o->program;
            k.procedure = o->procedure;
        }
    }
    // Binary key: event type, pipe, interface id and numbers (built per record, so no text).
    std::string& key = sel_key_;
    key.clear();
    key += k.et;
    key += '\x1f';
    key += k.pipe;
    key += '\x1f';
    if (k.uuid) key.append(reinterpret_cast<const char*>(&*k.uuid), sizeof(Uuid));
    key += '\x1f';
    for (int64_t v : {k.opnum, k.program, k.procedure}) key.append(reinterpret_cast<const char*>(&v), sizeof v);
    auto sel = selected_.find(key);
    if (sel == selected_.end()) {
        if (selected_.size() >= kMaxSelectedKeys) selected_.clear();
        std::vector<uint32_t> idx;
        for (uint32_t i = 0; i < sigs_.size(); i++)
            if (sigs_[i].enabled && selects(sigs_[i].def, k)) idx.push_back(i);
        sel = selected_.emplace(key, std::move(idx)).first;
    }
    for (uint32_t i : sel->second) evaluateSignature(sigs_[i], rec, ts);

    for (const auto& r : cfg_.rules) {
        if (!r.enabled || (!r.event_type.empty() && r.event_type != rec.et)) continue;
        bool all = std::all_of(r.conditions.begin(), r.conditions.end(), [&](const Condition& c) {
            return ev ? c.matches(*ev) : c.matches(*rec.json);
        });
        if (!all) continue;
        Hit h{r.sid, r.message, r.category, "user_rule", "signature", r.severity,
              r.techniques, r.tactics, r.suppress, 1, Json::object()};
        h.extra["rule_line"] = r.line;
        raise(std::move(h), rec, rec.src, rec.dst, ts);
    }

    if (ev && (ev->type == EventType::Rpc || ev->type == EventType::SmbPipe)) {
        std::vector<Anomaly> found;
        baselines_.observe(*ev, ts, isError(*ev), found);
        baselineFindings(found, &rec, ts);
    }
}

bool Detector::selects(const SignatureDef& d, const Keys& k) {
    const Selector& sel = d.sel;
    if (sel.event_type && k.et != sel.event_type) return false;
    if (sel.dce.empty() && sel.onc.empty() && sel.pipes.empty()) return true;
    for (const char* p : sel.pipes)
        if (k.pipe == p) return true;
    // Only on a cache miss (see selected_): the interface id as the table spells it.
    const std::string uuid = k.uuid && !sel.dce.empty() ? k.uuid->toString() : std::string();
    if (k.uuid)
        for (const auto& d2 : sel.dce)
            if (uuid == d2.uuid &&
                (d2.opnums.empty() ||
                 std::find(d2.opnums.begin(), d2.opnums.end(), int(k.opnum)) != d2.opnums.end()))
                return true;
    if (k.program >= 0 && k.procedure >= 0)
        for (const auto& o : sel.onc)
            if (k.program == int64_t(o.program) &&
                (o.procedures.empty() ||
                 std::find(o.procedures.begin(), o.procedures.end(), int(k.procedure)) != o.procedures.end()))
                return true;
    return false;
}

void Detector::baselineFindings(std::vector<Anomaly>& found, const Rec* rec, TimeNs ts) {
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
        if (f.from_record && rec) h.reason += "; record: " + describe(*rec);
        // Each first-seen item alerts once (it is learned right away); rate findings share a key.
        if (f.detail.contains("item")) h.dedup = f.detail["item"].get<std::string>();
        if (f.from_record && rec) {
            raise(std::move(h), *rec, f.src_ip, f.dest_ip, ts);
            continue;
        }
        // No record triggered it (a bucket closed by a tick): an alert with the time and hosts.
        Json base = Json::object();
        base["timestamp"] = formatTimestamp(ts);
        if (!f.src_ip.empty()) base["src_ip"] = f.src_ip;
        if (!f.dest_ip.empty()) base["dest_ip"] = f.dest_ip;
        raise(std::move(h), recOf(base), f.src_ip, f.dest_ip, ts);
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
    Json out = {{"records", records_},
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
    // Added key, present once set: records the JSON edge could not read into an event.
    if (records_unreadable_) out["records_unreadable"] = records_unreadable_;
    return out;
}

}  // namespace rpcmon::detect
