// SPDX-License-Identifier: Apache-2.0
#include "top/live_state.h"

#include "output/reply_outcome.h"
#include "pipeline/anomalies.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <optional>

#include <netinet/in.h>

namespace rpcmon::top {
namespace {

// "2026-11-24T13:58:12.622937+0000" (formatTimestamp) -> ns since the epoch; 0 if malformed.
TimeNs parseTimestamp(const Json& j) {
    if (!j.is_string()) return 0;
    const std::string& s = j.get_ref<const std::string&>();
    tm t{};
    unsigned us = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6u", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                    &t.tm_min, &t.tm_sec, &us) != 7)
        return 0;
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    time_t secs = timegm(&t);
    if (secs < 0) return 0;
    return TimeNs(secs) * 1000000000ull + TimeNs(us) * 1000ull;
}

std::string str(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "10.0.0.2:2049/tcp", "[fd00::2]:2049/udp"
std::string endpointKey(std::string ip, const std::string& port, const std::string& proto) {
    if (ip.empty()) return {};
    if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
    return ip + ":" + port + "/" + lower(proto);
}
std::string serverKey(const Json& rec) {
    return endpointKey(str(rec, "dest_ip"), str(rec, "dest_port"), str(rec, "proto"));
}
std::string serverKey(const Event& ev) {
    if (!ev.ips_known) return {};
    return endpointKey(formatAddress(ev.key.server), ev.ports_known ? std::to_string(ev.key.server_port) : "",
                       ev.key.l4proto == IPPROTO_UDP ? "udp" : "tcp");
}
std::string clientKey(const Event& ev) { return ev.ips_known ? formatAddress(ev.key.client) : std::string(); }

// NFSv4 COMPOUNDs are named after their first op that is not bookkeeping (PUTFH, SEQUENCE...).
std::string compoundOp(const ArgList& nfs) {
    const ArgValue* it = nfs.find("ops");
    if (!it || !it->is_array() || it->empty()) return "COMPOUND";
    static const char* const kPlumbing[] = {"SEQUENCE", "PUTFH", "PUTROOTFH", "PUTPUBFH", "GETFH",
                                             "GETATTR", "SAVEFH", "RESTOREFH"};
    for (const ArgValue& op : *it->list()) {
        if (!op.is_string()) continue;
        const std::string& name = *op.string();
        if (std::none_of(std::begin(kPlumbing), std::end(kPlumbing), [&](const char* p) { return name == p; }))
            return name;
    }
    const ArgValue& first = it->list()->front();
    return first.is_string() ? *first.string() : "COMPOUND";
}

void oncKeys(const OncCall& c, std::string& iface, std::string& op) {
    std::string name = c.program_name ? c.program_name : "prog " + std::to_string(c.program);
    iface = name + " v" + std::to_string(c.version);
    std::string p = c.procedure_name ? c.procedure_name : "";
    if (p == "COMPOUND")
        if (const ArgValue* nfs = c.fields.find("nfs"); nfs && nfs->is_object()) p = compoundOp(*nfs->object());
    if (p.empty()) p = "proc " + std::to_string(c.procedure);
    op = iface + " " + p;
}

void dceKeys(const DceCall& c, std::string& iface, std::string& op) {
    std::string name = "dcerpc";
    if (c.iface) name = c.iface->name.empty() ? c.iface->uuid.toString() : std::string(c.iface->name);
    iface = c.iface ? name + " v" + std::to_string(c.iface->ver_major) + "." + std::to_string(c.iface->ver_minor)
                    : name;
    op = name + " " + (c.operation.empty() ? "op" + std::to_string(c.opnum) : std::string(c.operation));
}

// What an alert was raised on: the alert carries the keys of the call that raised it (rpc, nfs,
// smb...), read back as that call's event. Alerts are rare: the copy does not matter. An alert
// raised on a record that is no call (a dcerpc_bind) names no operation: none.
std::optional<Event> alertCall(const Json& alert) {
    auto it = alert.find("rpc");
    if (it == alert.end() || !it->is_object()) return std::nullopt;
    if (auto a = alert.find("alert"); a != alert.end() && a->is_object()) {
        auto src = a->find("source_event_type");
        if (src != a->end() && *src != "rpc") return std::nullopt;
    }
    Json call = alert;
    call.erase("alert");
    call["event_type"] = "rpc";
    return eventFromJson(call);
}

bool containsNoCase(const std::string& hay, const std::string& needle) {
    if (needle.empty()) return true;
    return lower(hay).find(lower(needle)) != std::string::npos;
}

Json rateJson(const RateCounter& c) { return {{"total", c.total}, {"per_s", c.rate}}; }

}  // namespace

bool isVolumeCounter(const std::string& name) {
    const AnomalyInfo* a = findAnomaly(name);
    return a && a->kind == CounterKind::Volume;
}

uint64_t parseErrors(const Json& anomalies) {
    uint64_t s = 0;
    if (anomalies.is_object())
        for (const auto& [k, v] : anomalies.items())
            if ((v.is_number_unsigned() || v.is_number_integer()) && !isVolumeCounter(k)) s += v.get<uint64_t>();
    return s;
}

void callKeys(const Event& ev, std::string& iface, std::string& op) {
    switch (ev.type) {
        case EventType::SmbSession: iface = "smb", op = "smb SESSION_SETUP"; return;
        case EventType::SmbPipe: iface = "smb", op = "smb OPEN \\pipe\\" + ev.smb.pipe; return;
        case EventType::Rpc: break;
    }
    if (const OncCall* c = ev.onc()) return oncKeys(*c, iface, op);
    if (const DceCall* c = ev.dce()) return dceKeys(*c, iface, op);
    iface = "rpc", op = "rpc call";  // an rpc event without its family: none is made so
}

const std::vector<std::string>& lossCounterNames() {
    static const std::vector<std::string> names = {"ringbuf_drops",        "watched_full",     "endpoint_learn_failures",
                                                   "bad_record_sizes",     "unknown_record_types", "syslog.dropped",
                                                   "write_errors"};
    return names;
}

bool isLossAnomaly(const std::string& name) {
    if (isVolumeCounter(name)) return false;
    static const char* const kMarks[] = {"limit", "budget", "_full", "evicted", "too_many", "overflow",
                                         "capture_loss", "bad_", "invalid", "_failed", "malformed"};
    return std::any_of(std::begin(kMarks), std::end(kMarks),
                       [&](const char* m) { return name.find(m) != std::string::npos; });
}

RateCounter& LiveState::lossCounter(const std::string& name) {
    for (auto& [n, c] : loss_)
        if (n == name) return c;
    loss_.emplace_back(name, RateCounter{});
    RateCounter& c = loss_.back().second;
    return c;
}

const char* viewName(View v) {
    switch (v) {
        case View::Hosts: return "hosts";
        case View::Servers: return "servers";
        case View::Interfaces: return "interfaces";
        case View::Operations: return "operations";
        case View::Calls: return "calls";
    }
    return "?";
}

std::string pairName(const std::string& host, const std::string& op) {
    return host.empty() || op.empty() ? std::string() : host + " -> " + op;
}

bool splitPair(const std::string& name, std::string& host, std::string& op) {
    auto at = name.find(" -> ");  // a host (IP address) never holds it
    if (at == std::string::npos) return false;
    host = name.substr(0, at);
    op = name.substr(at + 4);
    return true;
}

EntityStats& EntityTable::touch(const std::string& name, TimeNs now) {
    auto it = map_.find(name);
    if (it != map_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.pos);
    } else {
        if (map_.size() >= capacity_ && !lru_.empty()) {
            map_.erase(lru_.back());
            lru_.pop_back();
            evicted_++;
        }
        lru_.push_front(name);
        it = map_.emplace(name, Entry{EntityStats{}, lru_.begin()}).first;
        it->second.stats.first_seen = now;
    }
    if (now > it->second.stats.last_seen) it->second.stats.last_seen = now;
    return it->second.stats;
}

const EntityStats* EntityTable::find(const std::string& name) const {
    auto it = map_.find(name);
    return it == map_.end() ? nullptr : &it->second.stats;
}

bool rpcIsError(const Event& ev, bool* no_reply) {
    // The verdict is the detector's (output/reply_outcome.h); a call without reply also counts
    // among the errors here, flagged apart so the view can show it.
    ReplyOutcome o = replyOutcome(ev);
    if (no_reply) *no_reply = o == ReplyOutcome::NoReply;
    return o == ReplyOutcome::NoReply || o == ReplyOutcome::Failed;
}

LiveState::LiveState(const LiveStateOptions& opts, std::string source) : opts_(opts), source_(std::move(source)) {
    for (int i = 0; i < kViewCount; i++) tables_.emplace_back(opts_.max_entities);
}

TimeNs LiveState::stamp(TimeNs ts) {
    if (!ts) ts = last_ts_;
    if (ts > last_ts_) last_ts_ = ts;
    if (!first_ts_) first_ts_ = ts;
    return ts;
}

void LiveState::observe(const Event& ev) {
    // Microseconds, as the EVE timestamp has them: an agent shows what its EVE file says.
    TimeNs ts = stamp(ev.ts - ev.ts % 1000);
    events_by_type_[size_t(ev.type)]++;
    std::string iface, op;
    callKeys(ev, iface, op);
    bool no_reply = false, error = false;
    const uint64_t* latency = nullptr;
    if (ev.type == EventType::Rpc) {
        error = rpcIsError(ev, &no_reply);
        if (ev.latency_us) latency = &*ev.latency_us;
    } else {
        // Session setups and pipe opens: their NTSTATUS.
        error = !ev.smb.status.empty() && ev.smb.status != "STATUS_SUCCESS";
    }
    std::string host = clientKey(ev);
    const std::string keys[kViewCount] = {host, serverKey(ev), iface, op, pairName(host, op)};
    count(keys, ts, error, no_reply, latency);
}

void LiveState::observe(const Json& rec) {
    if (!rec.is_object()) return;
    std::string type = str(rec, "event_type");
    if (type == "rpc" || type == "smb_session" || type == "smb_pipe") {
        if (std::optional<Event> ev = eventFromJson(rec)) return observe(*ev);
        unreadable_++;
    }
    TimeNs ts = stamp(parseTimestamp(rec.value("timestamp", Json())));
    records_by_type_[type.empty() ? "unknown" : type]++;
    if (type == "alert") {
        observeAlert(rec, ts);
    } else if (type == "packet") {
        // Payload bytes per client and server (only when the pipeline emits packet lines).
        uint64_t n = 0;
        if (auto p = rec.find("packet"); p != rec.end() && p->is_object()) n = p->value("payload_len", uint64_t(0));
        // Packet lines carry the packet's own direction: a reply's source is the server.
        bool to_client = rec.contains("packet") && str(rec["packet"], "direction") == "to_client";
        std::string host = str(rec, to_client ? "dest_ip" : "src_ip");
        std::string server = endpointKey(str(rec, to_client ? "src_ip" : "dest_ip"),
                                         str(rec, to_client ? "src_port" : "dest_port"), str(rec, "proto"));
        if (!host.empty()) tables_[int(View::Hosts)].touch(host, ts).bytes.add(n);
        if (!server.empty()) tables_[int(View::Servers)].touch(server, ts).bytes.add(n);
    }
}

void LiveState::count(const std::string (&keys)[kViewCount], TimeNs ts, bool error, bool no_reply,
                      const uint64_t* latency_us) {
    calls_.add();
    if (error) errors_.add();
    if (no_reply) no_reply_++;
    for (int v = 0; v < kViewCount; v++) {
        if (keys[v].empty()) continue;
        EntityStats& e = tables_[v].touch(keys[v], ts);
        e.calls.add();
        if (error) e.errors.add();
        if (no_reply) e.no_reply++;
        if (latency_us) e.latency.add(*latency_us);
    }
}

void LiveState::observeAlert(const Json& rec, TimeNs ts) {
    alerts_.add();
    Json a;
    a["timestamp"] = rec.value("timestamp", Json());
    const Json al = rec.value("alert", Json::object());
    a["signature"] = al.is_object() ? al.value("signature", Json()) : Json();
    a["signature_id"] = al.is_object() ? al.value("signature_id", Json()) : Json();
    a["severity"] = al.is_object() ? al.value("severity", Json()) : Json();
    Json tech = Json::array();
    if (al.is_object() && al.contains("metadata") && al["metadata"].is_object()) {
        const Json& t = al["metadata"].value("mitre_technique_id", Json());
        if (t.is_array()) tech = t;
        else if (t.is_string()) tech.push_back(t);
    }
    a["mitre_technique_id"] = tech;
    a["src_ip"] = rec.value("src_ip", Json());
    a["dest_ip"] = rec.value("dest_ip", Json());
    a["dest_port"] = rec.value("dest_port", Json());
    recent_alerts_.push_front(std::move(a));
    while (recent_alerts_.size() > opts_.recent_alerts) recent_alerts_.pop_back();

    std::string host = str(rec, "src_ip"), server = serverKey(rec);
    if (!host.empty()) tables_[int(View::Hosts)].touch(host, ts).alerts.add();
    if (!server.empty()) tables_[int(View::Servers)].touch(server, ts).alerts.add();
    if (std::optional<Event> call = alertCall(rec)) {
        std::string iface, op;
        callKeys(*call, iface, op);
        tables_[int(View::Interfaces)].touch(iface, ts).alerts.add();
        tables_[int(View::Operations)].touch(op, ts).alerts.add();
        if (std::string pair = pairName(host, op); !pair.empty()) tables_[int(View::Calls)].touch(pair, ts).alerts.add();
    }
}

void LiveState::observeHealth(const Json& capture, const Json& pipeline, const Json& detect, const Json& output) {
    have_health_ = true;
    // Loss counters: the fixed ones first (always present, so a script sees them at zero).
    auto num = [](const Json& j, const char* k) {
        if (!j.is_object()) return uint64_t(0);
        auto it = j.find(k);
        return it != j.end() && it->is_number() ? it->get<uint64_t>() : uint64_t(0);
    };
    uint64_t watched_full = 0, ringbuf_drops = 0;
    auto kernelHook = [&](const Json& h) {
        ringbuf_drops += num(h, "ringbuf_drops");
        watched_full += num(h, "watched_full");
    };
    if (capture.contains("kernel") && capture["kernel"].is_object())
        for (const auto& [k, h] : capture["kernel"].items()) kernelHook(h);
    if (capture.contains("classifier")) kernelHook(capture["classifier"]);
    lossCounter("ringbuf_drops").set(ringbuf_drops);
    lossCounter("watched_full").set(watched_full);
    lossCounter("endpoint_learn_failures").set(num(capture, "endpoint_learn_failures"));
    lossCounter("bad_record_sizes").set(num(pipeline, "bad_record_sizes"));
    lossCounter("unknown_record_types").set(num(pipeline, "unknown_record_types"));
    // Only where the agent has them: a syslog output, an EVE writer.
    if (detect.is_object() && detect.contains("syslog")) lossCounter("syslog.dropped").set(num(detect["syslog"], "dropped"));
    if (output.is_object() && output.contains("write_errors")) lossCounter("write_errors").set(num(output, "write_errors"));
    if (pipeline.contains("anomalies") && pipeline["anomalies"].is_object()) {
        std::vector<std::string> fresh;
        for (const auto& [k, v] : pipeline["anomalies"].items()) {
            if (!isLossAnomaly(k) || !v.is_number()) continue;
            bool known = std::any_of(loss_.begin(), loss_.end(), [&](const auto& e) { return e.first == k; });
            lossCounter(k).set(v.get<uint64_t>());
            if (!known) fresh.push_back(k);
        }
        // Keep anomalies after the fixed counters, A-Z (a new one is rare: sort only then).
        if (!fresh.empty()) {
            auto fixed = [](const std::string& n) {
                const auto& f = lossCounterNames();
                return size_t(std::find(f.begin(), f.end(), n) - f.begin());
            };
            std::stable_sort(loss_.begin(), loss_.end(), [&](const auto& a, const auto& b) {
                size_t fa = fixed(a.first), fb = fixed(b.first);
                return fa != fb ? fa < fb : a.first < b.first;
            });
        }
    }
    uint64_t pkts = 0, bytes = 0, drops = 0;
    // Live: per-hook kernel counters; offline: the classifier's counters.
    auto addHook = [&](const Json& h) {
        if (!h.is_object()) return;
        pkts += h.value("packets_seen", uint64_t(0));
        bytes += h.value("bytes_seen", uint64_t(0));
        drops += h.value("ringbuf_drops", uint64_t(0));
    };
    if (capture.contains("kernel") && capture["kernel"].is_object())
        for (const auto& [k, h] : capture["kernel"].items()) addHook(h);
    if (capture.contains("classifier")) addHook(capture["classifier"]);
    packets_.set(pkts);
    bytes_.set(bytes);
    drops_.set(drops);
    watched_endpoints_ = capture.value("watched_endpoints", uint64_t(0));
    if (capture.contains("interfaces")) interfaces_ = capture["interfaces"];
    // How each interface is attached (native / generic XDP, or off: socket filter both ways).
    if (capture.contains("interface_state") && capture["interface_state"].is_object()) {
        xdp_modes_ = Json::object();
        for (const auto& [name, st] : capture["interface_state"].items())
            if (st.is_object() && st.contains("xdp_mode")) xdp_modes_[name] = st["xdp_mode"];
    }
    records_.set(pipeline.value("records", uint64_t(0)));
    // Malformed, cut or dropped input; the volume counters also listed there are not.
    parse_errors_.set(pipeline.contains("anomalies") ? parseErrors(pipeline["anomalies"]) : 0);
    if (pipeline.contains("flows") && pipeline["flows"].is_object())
        flows_active_ = pipeline["flows"].value("active", uint64_t(0));
}

void LiveState::observeBpf(const std::vector<BpfProgRunStats>& progs, bool enabled, const std::string& why) {
    bpf_enabled_ = enabled;
    bpf_why_ = why;
    for (auto& [id, p] : bpf_) p.seen = false;
    for (const auto& p : progs) {
        auto [it, fresh] = bpf_.try_emplace(p.id);
        BpfProg& b = it->second;
        b.name = p.name;
        b.type = p.type;
        b.run_time_ns.set(p.run_time_ns);
        b.run_cnt.set(p.run_cnt);
        // Kernel totals may predate this agent's interest: the first rate starts from here.
        if (fresh) b.run_time_ns.mark = b.run_time_ns.total, b.run_cnt.mark = b.run_cnt.total;
        b.seen = true;
    }
    std::erase_if(bpf_, [](const auto& kv) { return !kv.second.seen; });
}

void LiveState::tick(TimeNs now) {
    if (!period_start_) {
        period_start_ = now;
        last_decay_ = now;
        // The first period starts now: counts before it are totals, not a rate.
        auto markAll = [](RateCounter& c) { c.mark = c.total; };
        for (auto* c : {&calls_, &errors_, &alerts_, &packets_, &bytes_, &drops_, &parse_errors_, &records_}) markAll(*c);
        for (auto& t : tables_)
            t.forEachMutable([&](EntityStats& e) {
                for (auto* c : {&e.calls, &e.errors, &e.bytes, &e.alerts}) markAll(*c);
            });
        for (auto& [id, b] : bpf_) markAll(b.run_time_ns), markAll(b.run_cnt);
        for (auto& [n, c] : loss_) markAll(c);
        return;
    }
    if (now <= period_start_) return;
    double secs = double(now - period_start_) / 1e9;
    for (auto* c : {&calls_, &errors_, &alerts_, &packets_, &bytes_, &drops_, &parse_errors_, &records_}) c->roll(secs);
    bool decay = now >= last_decay_ + opts_.decay_ns;
    for (auto& t : tables_)
        t.forEachMutable([&](EntityStats& e) {
            for (auto* c : {&e.calls, &e.errors, &e.bytes, &e.alerts}) c->roll(secs);
            if (decay) e.latency.decay();
        });
    if (decay) last_decay_ = now;
    for (auto& [id, b] : bpf_) b.run_time_ns.roll(secs), b.run_cnt.roll(secs);
    for (auto& [n, c] : loss_) c.roll(secs);
    last_period_s_ = secs;
    period_start_ = now;
}

Json LiveState::snapshot(TimeNs now, const SnapshotOptions& so) const {
    Json j;
    j["timestamp"] = formatTimestamp(now);
    j["event_type"] = "top_snapshot";
    j["source"] = source_;
    j["period_s"] = last_period_s_ ? last_period_s_ : double(opts_.period_ns) / 1e9;
    j["first_record"] = first_ts_ ? Json(formatTimestamp(first_ts_)) : Json();
    Json& h = j["health"];
    h["interfaces"] = interfaces_;
    h["xdp_mode"] = xdp_modes_;
    h["packets"] = rateJson(packets_);
    h["bytes"] = rateJson(bytes_);
    h["ringbuf_drops"] = rateJson(drops_);
    h["parse_errors"] = rateJson(parse_errors_);
    h["records"] = rateJson(records_);
    h["flows_active"] = flows_active_;
    h["watched_endpoints"] = watched_endpoints_;
    h["reported"] = have_health_;
    h["loss"] = Json::object();
    for (const auto& [n, c] : loss_) h["loss"][n] = rateJson(c);
    Json& b = j["bpf"];
    b["enabled"] = bpf_enabled_;
    if (!bpf_why_.empty()) b["note"] = bpf_why_;
    b["programs"] = Json::array();
    for (const auto& [id, p] : bpf_) {
        Json pj;
        pj["id"] = id;
        pj["name"] = p.name;
        pj["type"] = p.type;
        pj["run_cnt"] = rateJson(p.run_cnt);
        pj["run_time_ns"] = rateJson(p.run_time_ns);
        // ns per run and share of one CPU over the last period (run_time per second / 1e9).
        pj["ns_per_run"] = p.run_cnt.rate > 0 ? p.run_time_ns.rate / p.run_cnt.rate : 0.0;
        pj["cpu_pct"] = p.run_time_ns.rate / 1e7;
        b["programs"].push_back(std::move(pj));
    }
    Json& t = j["totals"];
    t["calls"] = rateJson(calls_);
    t["errors"] = rateJson(errors_);
    t["no_reply"] = no_reply_;
    t["alerts"] = rateJson(alerts_);
    if (unreadable_) t["unreadable_records"] = unreadable_;
    std::map<std::string, uint64_t> by_type = records_by_type_;
    for (size_t i = 0; i < kEventTypeCount; i++)
        if (events_by_type_[i]) by_type[eventTypeName(EventType(i))] += events_by_type_[i];
    t["records_by_type"] = Json::object();
    for (const auto& [k, v] : by_type) t["records_by_type"][k] = v;

    for (int v = 0; v < kViewCount; v++) {
        const EntityTable& tab = tables_[v];
        struct Row {
            const std::string* name;
            const EntityStats* e;
        };
        std::vector<Row> rows;
        tab.forEach([&](const std::string& name, const EntityStats& e) {
            if (containsNoCase(name, so.filter)) rows.push_back({&name, &e});
        });
        // Busiest first: calls in the last period, then lifetime calls, then most recent.
        std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            if (a.e->calls.rate != b.e->calls.rate) return a.e->calls.rate > b.e->calls.rate;
            return a.e->calls.total > b.e->calls.total;
        });
        Json& vj = j["views"][viewName(View(v))];
        vj["entities"] = tab.size();
        vj["evicted"] = tab.evicted();
        vj["matched"] = rows.size();
        vj["rows"] = Json::array();
        size_t n = std::min(rows.size(), so.limit);
        for (size_t i = 0; i < n; i++) {
            const EntityStats& e = *rows[i].e;
            Json r;
            r["name"] = *rows[i].name;
            r["calls"] = e.calls.total;
            r["calls_per_s"] = e.calls.rate;
            r["errors"] = e.errors.total;
            r["errors_per_s"] = e.errors.rate;
            // Error share of the last period's calls, or of all calls when the period had none.
            double pe = e.calls.rate > 0 ? e.errors.rate / e.calls.rate
                                         : (e.calls.total ? double(e.errors.total) / double(e.calls.total) : 0);
            r["error_pct"] = std::round(pe * 1000.0) / 10.0;
            r["no_reply"] = e.no_reply;
            auto p50 = e.latency.quantile(0.5), p99 = e.latency.quantile(0.99);
            r["p50_us"] = p50 ? Json(*p50) : Json();
            r["p99_us"] = p99 ? Json(*p99) : Json();
            r["bytes"] = e.bytes.total;
            r["bytes_per_s"] = e.bytes.rate;
            r["alerts"] = e.alerts.total;
            r["last_seen"] = formatTimestamp(e.last_seen);
            r["last_seen_ago_s"] = now > e.last_seen ? double(now - e.last_seen) / 1e9 : 0.0;
            vj["rows"].push_back(std::move(r));
        }
    }
    j["alerts"]["total"] = alerts_.total;
    j["alerts"]["recent"] = Json::array();
    for (const auto& a : recent_alerts_) j["alerts"]["recent"].push_back(a);
    return j;
}

}  // namespace rpcmon::top
