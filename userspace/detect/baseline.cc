// SPDX-License-Identifier: Apache-2.0
#include "detect/baseline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "detect/signatures.h"
#include "detect/util.h"

namespace rpcmon::detect {
namespace {

constexpr TimeNs kSec = 1000000000ull;
// Idle gaps longer than this many buckets are folded in as this many zero samples: after
// that the EWMA has forgotten the old level anyway ((1-alpha)^1000 ~ 0 for alpha >= 0.01).
constexpr uint64_t kMaxGapBuckets = 1000;
// Error-ratio buckets (with at least min_error_calls calls) needed before the ratio is judged.
constexpr uint32_t kMinErrorBuckets = 5;

// "dcerpc:<uuid>:<opnum>" / "onc:<program>:<procedure>"; empty when the event names neither.
// The state file keeps these keys: the text form stays the one the EVE record carries.
std::string operationKey(const Event& ev) {
    if (const DceCall* d = ev.dce()) {
        if (!d->iface) return {};
        return "dcerpc:" + d->iface->uuid.toString() + ":" + std::to_string(d->opnum);
    }
    if (const OncCall* o = ev.onc()) return "onc:" + std::to_string(o->program) + ":" + std::to_string(o->procedure);
    return {};
}

template <class Map>
void evictOldest(Map& m, size_t keep, uint64_t& counter) {
    // Evicts the least recently seen entries down to `keep` (1/16 of the table at a time so the
    // O(n) scan is amortised).
    if (m.size() <= keep) return;
    size_t drop = std::max<size_t>(m.size() - keep, m.size() / 16);
    std::vector<std::pair<TimeNs, typename Map::key_type>> ages;
    ages.reserve(m.size());
    for (const auto& [k, v] : m) {
        if constexpr (std::is_same_v<typename Map::mapped_type, TimeNs>) ages.emplace_back(v, k);
        else ages.emplace_back(v.last_seen, k);
    }
    std::nth_element(ages.begin(), ages.begin() + std::min(drop, ages.size() - 1), ages.end());
    for (size_t i = 0; i < drop && i < ages.size(); i++) m.erase(ages[i].second), counter++;
}

Json setToJson(const std::unordered_map<std::string, TimeNs>& s) {
    Json j = Json::object();
    for (const auto& [k, v] : s) j[k] = v;
    return j;
}

void setFromJson(const Json& j, std::unordered_map<std::string, TimeNs>& s, size_t cap) {
    if (!j.is_object()) throw std::runtime_error("set is not an object");
    for (const auto& [k, v] : j.items()) {
        if (!v.is_number_unsigned()) throw std::runtime_error("bad timestamp for '" + k + "'");
        if (s.size() < cap) s[k] = v.get<TimeNs>();
    }
}

}  // namespace

Profile& Baselines::profile(std::unordered_map<std::string, Profile>& table, const std::string& ip, TimeNs ts) {
    auto it = table.find(ip);
    if (it == table.end()) {
        if (table.size() >= cfg_.max_hosts) evictOldest(table, cfg_.max_hosts - 1, hosts_evicted_);
        it = table.emplace(ip, Profile{}).first;
        it->second.first_seen = ts;
        it->second.bucket_start = ts - ts % (TimeNs(cfg_.bucket) * kSec);
    }
    it->second.last_seen = std::max(it->second.last_seen, ts);
    return it->second;
}

bool Baselines::learning(const Profile& p, TimeNs ts) const {
    return ts < p.first_seen + TimeNs(cfg_.learning_period) * kSec;
}

bool Baselines::learn(Profile& p, std::unordered_map<std::string, TimeNs>& set, const std::string& item, TimeNs ts) {
    auto it = set.find(item);
    if (it != set.end()) {
        it->second = std::max(it->second, ts);
        return false;
    }
    if (set.size() >= cfg_.max_items) evictOldest(set, cfg_.max_items - 1, items_evicted_);
    set.emplace(item, ts);
    return !learning(p, ts);
}

void Baselines::observe(const Event& ev, TimeNs ts, bool error, std::vector<Anomaly>& out) {
    if (!cfg_.enabled || !ev.ips_known) return;
    const std::string src = srcIp(ev);
    const std::string dst = destIp(ev);
    Profile& c = profile(clients_, src, ts);
    Profile& s = profile(servers_, dst, ts);
    auto finding = [&](uint32_t sid, std::string msg, Json detail) {
        out.push_back({sid, std::move(msg), src, dst, std::move(detail), true});
    };
    if (ev.type == EventType::Rpc) {
        std::string op = operationKey(ev);
        if (!op.empty()) {
            bool new_c = learn(c, c.ops, op, ts);
            bool new_s = learn(s, s.ops, op, ts);
            if (cfg_.new_operation && new_c)
                finding(kSidNewClientOp, "Baseline: client used an RPC operation it never used before",
                        {{"role", "client"}, {"host", src}, {"item", op}});
            if (cfg_.new_operation && new_s)
                finding(kSidNewServerOp, "Baseline: server received an RPC operation it never served before",
                        {{"role", "server"}, {"host", dst}, {"item", op}});
        }
        closeBuckets(c, ts, Role::Client, src, out, true);
        closeBuckets(s, ts, Role::Server, dst, out, true);
        c.bucket_calls++, s.bucket_calls++;
        if (error) c.bucket_errors++, s.bucket_errors++;
    } else if (ev.type == EventType::SmbPipe) {
        const std::string& pipe = ev.smb.pipe;
        if (!pipe.empty() && learn(c, c.pipes, pipe, ts) && cfg_.new_pipe)
            finding(kSidNewClientPipe, "Baseline: client opened a named pipe it never opened before",
                    {{"role", "client"}, {"host", src}, {"item", pipe}});
    }
    bool new_peer_s = learn(s, s.peers, src, ts);
    learn(c, c.peers, dst, ts);  // tracked for stats and future use; the server side alerts
    if (cfg_.new_peer && new_peer_s)
        finding(kSidNewServerPeer, "Baseline: server contacted by a client never seen before",
                {{"role", "server"}, {"host", dst}, {"item", src}});
}

void Baselines::closeBuckets(Profile& p, TimeNs ts, Role role, const std::string& ip, std::vector<Anomaly>& out,
                             bool from_record) {
    const TimeNs width = TimeNs(cfg_.bucket) * kSec;
    if (ts < p.bucket_start + width) return;
    closeOne(p, p.bucket_calls, p.bucket_errors, p.bucket_start + width, role, ip, out, from_record);
    TimeNs next = p.bucket_start + width;
    uint64_t gaps = (ts - next) / width;
    for (uint64_t i = 0; i < std::min(gaps, kMaxGapBuckets); i++)
        closeOne(p, 0, 0, next + (i + 1) * width, role, ip, out, from_record);
    p.bucket_start = next + gaps * width;
    p.bucket_calls = p.bucket_errors = 0;
}

void Baselines::closeOne(Profile& p, uint64_t calls, uint64_t errors, TimeNs end, Role role, const std::string& ip,
                         std::vector<Anomaly>& out, bool from_record) {
    const double x = double(calls);
    const bool trusted = !learning(p, end);
    const char* r = role == Role::Client ? "client" : "server";
    auto finding = [&](uint32_t sid, std::string msg, Json detail) {
        detail["role"] = r;
        detail["host"] = ip;
        detail["bucket_s"] = cfg_.bucket;
        Anomaly a{sid, std::move(msg), role == Role::Client ? ip : "", role == Role::Server ? ip : "",
                  std::move(detail), from_record};
        out.push_back(std::move(a));
    };
    if (cfg_.rate && trusted && p.rate_n >= cfg_.min_buckets && calls >= cfg_.min_calls) {
        // Floor the deviation at the Poisson spread sqrt(mean) so a very regular host does not
        // alert on a handful of extra calls.
        double sd = std::max({std::sqrt(p.rate_var), std::sqrt(p.rate_mean), 1.0});
        if (x > p.rate_mean + cfg_.rate_sigma * sd)
            finding(kSidRateDeviation, std::string("Baseline: ") + r + " call rate far above its EWMA baseline",
                    {{"calls", calls}, {"ewma_mean", p.rate_mean}, {"ewma_stddev", sd},
                     {"z", (x - p.rate_mean) / sd}});
    }
    if (calls >= cfg_.min_error_calls) {
        double ratio = double(errors) / x;
        if (cfg_.error_ratio && trusted && p.err_n >= kMinErrorBuckets &&
            ratio - p.err_mean > cfg_.error_ratio_delta)
            finding(kSidErrorRatioDeviation,
                    std::string("Baseline: ") + r + " error ratio far above its EWMA baseline",
                    {{"calls", calls}, {"errors", errors}, {"ratio", ratio}, {"ewma_ratio", p.err_mean}});
        p.err_mean = p.err_n == 0 ? ratio : p.err_mean + cfg_.alpha * (ratio - p.err_mean);
        p.err_n++;
    }
    // Incremental EWMA mean and variance (Finch 2009): d = x - m; m += a d; v = (1-a)(v + a d^2).
    if (p.rate_n == 0) {
        p.rate_mean = x;
        p.rate_var = 0;
    } else {
        double d = x - p.rate_mean;
        p.rate_mean += cfg_.alpha * d;
        p.rate_var = (1 - cfg_.alpha) * (p.rate_var + cfg_.alpha * d * d);
    }
    p.rate_n++;
}

void Baselines::tick(TimeNs now, std::vector<Anomaly>& out) {
    if (!cfg_.enabled) return;
    const TimeNs width = TimeNs(cfg_.bucket) * kSec;
    if (now < last_sweep_ + width) return;
    last_sweep_ = now;
    for (auto& [ip, p] : clients_) closeBuckets(p, now, Role::Client, ip, out, false);
    for (auto& [ip, p] : servers_) closeBuckets(p, now, Role::Server, ip, out, false);
}

Json Baselines::toJson() const {
    auto table = [](const std::unordered_map<std::string, Profile>& t) {
        Json j = Json::object();
        for (const auto& [ip, p] : t) {
            j[ip] = {{"first_seen", p.first_seen}, {"last_seen", p.last_seen}, {"ops", setToJson(p.ops)},
                     {"peers", setToJson(p.peers)}, {"pipes", setToJson(p.pipes)},
                     {"rate", {{"mean", p.rate_mean}, {"var", p.rate_var}, {"n", p.rate_n}}},
                     {"errors", {{"mean", p.err_mean}, {"n", p.err_n}}}};
        }
        return j;
    };
    return {{"clients", table(clients_)}, {"servers", table(servers_)}};
}

void Baselines::fromJson(const Json& j) {
    auto table = [&](const Json& t, std::unordered_map<std::string, Profile>& out, const char* what) {
        if (!t.is_object()) throw std::runtime_error(std::string(what) + " is not an object");
        for (const auto& [ip, v] : t.items()) {
            if (out.size() >= cfg_.max_hosts) break;
            if (!parseIp(ip)) throw std::runtime_error(std::string(what) + ": bad address '" + ip + "'");
            try {
                Profile p;
                p.first_seen = v.at("first_seen").get<TimeNs>();
                p.last_seen = v.at("last_seen").get<TimeNs>();
                setFromJson(v.at("ops"), p.ops, cfg_.max_items);
                setFromJson(v.at("peers"), p.peers, cfg_.max_items);
                setFromJson(v.at("pipes"), p.pipes, cfg_.max_items);
                p.rate_mean = v.at("rate").at("mean").get<double>();
                p.rate_var = v.at("rate").at("var").get<double>();
                p.rate_n = v.at("rate").at("n").get<uint32_t>();
                p.err_mean = v.at("errors").at("mean").get<double>();
                p.err_n = v.at("errors").at("n").get<uint32_t>();
                p.bucket_start = p.last_seen - p.last_seen % (TimeNs(cfg_.bucket) * kSec);
                out.emplace(ip, std::move(p));
            } catch (const Json::exception& e) {
                throw std::runtime_error(std::string(what) + " '" + ip + "': " + e.what());
            }
        }
    };
    std::unordered_map<std::string, Profile> c, s;
    table(j.at("clients"), c, "clients");
    table(j.at("servers"), s, "servers");
    clients_ = std::move(c);
    servers_ = std::move(s);
}

Json Baselines::stats() const {
    size_t items = 0;
    for (const auto& t : {&clients_, &servers_})
        for (const auto& [ip, p] : *t) items += p.ops.size() + p.peers.size() + p.pipes.size();
    return {{"clients", clients_.size()}, {"servers", servers_.size()}, {"items", items},
            {"hosts_evicted", hosts_evicted_}, {"items_evicted", items_evicted_}};
}

}  // namespace rpcmon::detect
