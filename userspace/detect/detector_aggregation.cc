// SPDX-License-Identifier: Apache-2.0
// Signature aggregation: per-call, count and distinct-value windows, the enumeration class
// (first sight, then volume or breadth) and attempts on lateral-movement interfaces, and the
// sweep that forgets idle windows.
#include "detect/detector.h"

#include "detect/detector_internal.h"

namespace rpcmon::detect {
namespace {

// The interface ids of every bind / alter_context context in rpc.bind (lower case).
void bindContextUuids(const std::vector<DceBind>& binds, std::vector<std::string>& out) {
    for (const DceBind& b : binds)
        for (const DceBindContext& c : b.contexts) out.push_back(c.uuid.toString());
}

// rpc.bind of a record that stays JSON (dcerpc_bind); empty when absent or malformed.
std::vector<DceBind> jsonBinds(const Json* binds) {
    std::vector<DceBind> out;
    if (!binds || !bindsFromJson(*binds, out)) out.clear();
    return out;
}

// The values a record contributes to a Distinct aggregation. Interface brute force also counts
// the UUIDs of every bind / alter_context context attached to the call, accepted or rejected:
// a scanner binds many interfaces but calls few.
std::vector<std::string> distinctValues(DistinctOf d, const Event* ev, const Json* json, const std::string& dst) {
    std::vector<std::string> out;
    auto num = [&](std::optional<uint64_t> v) {
        if (v) out.push_back(std::to_string(*v));
    };
    const OncCall* onc = ev ? ev->onc() : nullptr;
    const DceCall* dce = ev ? ev->dce() : nullptr;
    switch (d) {
        case DistinctOf::DestIp:
            if (!dst.empty()) out.push_back(dst);
            break;
        case DistinctOf::DestPort:
            if (ev) num(ev->ports_known ? std::optional<uint64_t>(ev->key.server_port) : std::nullopt);
            else if (auto p = fieldInt(*json, "dest_port")) out.push_back(std::to_string(*p));
            break;
        case DistinctOf::PortmapProgram:
            if (const ArgValue* p = ev ? oncField(*ev, "portmap", "program") : nullptr; p && p->is_number_integer())
                out.push_back(std::to_string(p->get<int64_t>()));
            break;
        case DistinctOf::CredUid:
            if (onc && onc->cred.has_sys) num(onc->cred.uid);
            break;
        case DistinctOf::OncProgram:
            if (onc) num(onc->program);
            break;
        case DistinctOf::FlowId:
            if (ev) num(ev->flow_id);
            else if (auto f = fieldInt(*json, "flow_id")) out.push_back(std::to_string(*f));
            break;
        case DistinctOf::InterfaceUuid:
            if (dce) {
                if (dce->iface) out.push_back(dce->iface->uuid.toString());
                bindContextUuids(dce->bind, out);
            } else if (json) {
                if (auto u = fieldString(*json, "rpc.interface.uuid"); u && !u->empty()) out.push_back(lower(*u));
                bindContextUuids(jsonBinds(field(*json, "rpc.bind")), out);
            }
            break;
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

// Items a call works on, for count aggregation: rpc.args.sid_count / name_count, else 1.
uint64_t itemCount(const Event* ev) {
    for (const char* k : {"sid_count", "name_count"}) {
        const ArgValue* v = ev ? dceArg(*ev, k) : nullptr;
        if (v && v->is_number_unsigned()) return v->get<uint64_t>();
    }
    return 1;
}

}  // namespace

void Detector::evaluateSignature(ActiveSig& s, const Rec& rec, TimeNs ts) {
    const SignatureDef& d = s.def;
    const std::string& src = rec.src;
    const std::string& dst = rec.dst;
    if ((d.exempt & kExemptAdminHosts) && cfg_.admin_hosts.contains(src)) return;
    if ((d.exempt & kExemptDomainControllers) && cfg_.domain_controllers.contains(src)) return;
    if ((d.exempt & kExemptNfsRootClients) && cfg_.nfs_root_clients.contains(src)) return;
    if (s.ignore_src.contains(src) || s.ignore_dest.contains(dst)) return;
    if (d.pred) {
        SigContext ctx{d.threshold, &cfg_.sensitive_files, &anonymous_set_};
        // Records that stay JSON (dcerpc_bind) satisfy no predicate (see Predicate).
        if (!rec.ev || !d.pred(*rec.ev, ctx)) return;
    }
    if (d.agg == Agg::Enumeration) return enumerationHit(s, rec, src, dst, ts);
    if (d.agg == Agg::Attempt) return attemptHit(s, rec, src, dst, ts);
    // The Hit (strings, technique lists) is built only when the signature fires: most
    // evaluations of aggregating signatures end below their threshold. Its words (reason,
    // extra) wait for an alert to be written (Hit::explain).
    uint64_t weight = 1;
    Json extra = nullptr;
    std::function<void(const std::string&, std::string&, Json&)> explain;
    const TimeNs window = TimeNs(d.window_s) * kSec;
    // Records reach us in completion order, not call order (a call is reported when its reply
    // arrives or it times out), so time within one aggregation key is clamped to be monotonic.
    std::string& key = agg_key_;
    buildKey(key, d.sid, {src, d.group == GroupBy::SrcDst ? std::string_view(dst) : std::string_view("*")});
    auto aggregate = [&]() -> AggState& {
        auto it = agg_.find(key);
        return it != agg_.end() ? it->second : agg_.emplace(key, AggState{}).first->second;
    };
    switch (d.agg) {
        case Agg::None: break;
        case Agg::Count: {
            AggState& a = aggregate();
            const TimeNs t = std::max(ts, a.last);
            a.last = t;
            // One lookup call can carry thousands of SIDs or names: it weighs what it carries.
            uint64_t w = std::clamp<uint64_t>(itemCount(rec.ev), 1, std::max<uint64_t>(d.threshold, 1));
            for (uint64_t i = 0; i < w; i++) a.times.push_back(t);
            while (a.times.size() > d.threshold) a.times.pop_front();
            if (a.times.size() < d.threshold || t - a.times.front() > window) {
                a.fired = false;
                return;
            }
            weight = a.fired ? 1 : d.threshold;
            a.fired = true;
            explain = [threshold = d.threshold, window_s = d.window_s, first = a.times.front(), t](
                          const std::string& described, std::string& reason, Json& extra) {
                extra = {{"threshold", threshold}, {"window_s", window_s},
                         {"first_call", formatTimestamp(first)}, {"last_call", formatTimestamp(t)}};
                reason = std::to_string(threshold) + " matching calls (a lookup call weighs the SIDs/names it carries) within " +
                         std::to_string((t - first) / kSec) + " s (threshold " + std::to_string(threshold) +
                         " per " + std::to_string(window_s) + " s), first at " + formatTimestamp(first) +
                         ", last at " + formatTimestamp(t) + "; last call: " + described;
            };
            break;
        }
        case Agg::Distinct: {
            std::vector<std::string> vals = distinctValues(d.distinct, rec.ev, rec.json, dst);
            if (vals.empty()) return;
            AggState& a = aggregate();
            const TimeNs t = std::max(ts, a.last);
            a.last = t;
            // Values older than the window go; the scan runs only when one can be (a value per
            // flow or port makes the set large, and most records expire nothing).
            if (t - a.oldest > window) {
                a.oldest = t;
                for (auto it = a.values.begin(); it != a.values.end();) {
                    if (t - it->second > window) {
                        it = a.values.erase(it);
                    } else {
                        a.oldest = std::min(a.oldest, it->second);
                        ++it;
                    }
                }
            }
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
            std::vector<std::string> sample;
            for (const auto& [val, vt] : a.values) {
                if (sample.size() >= 16) break;
                sample.push_back(val);
            }
            std::sort(sample.begin(), sample.end());
            TimeNs first = t;
            for (const auto& [val, vt] : a.values) first = std::min(first, vt);
            explain = [threshold = d.threshold, window_s = d.window_s, field = d.distinct, by_src = d.group == GroupBy::Src,
                       count = a.values.size(), sample = std::move(sample), first, t, src, dst](
                          const std::string& described, std::string& reason, Json& extra) {
                extra = {{"threshold", threshold}, {"window_s", window_s},
                         {"distinct_field", distinctName(field)}, {"distinct_count", count},
                         {"distinct_values", sample}, {"first_call", formatTimestamp(first)},
                         {"last_call", formatTimestamp(t)}};
                std::string list;
                for (const auto& v : sample) list += (list.empty() ? "" : ", ") + v;
                reason = std::to_string(count) + " distinct " + distinctName(field) + " values " +
                         (by_src ? "from " + src : "from " + src + " to " + dst) + " within " +
                         std::to_string(window_s) + " s (threshold " + std::to_string(threshold) + "): " + list +
                         "; first at " + formatTimestamp(first) + ", last at " + formatTimestamp(t) + "; last call: " +
                         described;
            };
            break;
        }
        case Agg::Replay: {
            if (!rec.ev || !replayCheck(*rec.ev, ts, extra)) return;
            explain = [](const std::string& described, std::string& reason, Json& extra) {
                reason = "same XID, program, version, procedure, AUTH_UNIX credential and arguments as the call from " +
                         extra.value("original_src_ip", std::string("?")) + " on flow " +
                         extra.value("original_flow_id", Json(0)).dump() + " at " +
                         extra.value("original_timestamp", std::string("?")) + "; this one: " + described;
            };
            break;
        }
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
          std::vector<std::string>(d.tactics.begin(), d.tactics.end()), d.suppress_s, weight,
          std::move(extra)};
    // Without explain (Agg::None), buildAlert words the reason from the record.
    h.explain = std::move(explain);
    raise(std::move(h), rec, src, d.group == GroupBy::SrcDst ? dst : "", ts);
}

void Detector::enumerationHit(ActiveSig& s, const Rec& rec, const std::string& src, const std::string& dst,
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
    if (auto n = rec.ev ? recordItems(*rec.ev) : std::nullopt) e.items += *n;
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

    Hit h{d.sid, d.message, d.category, d.name, "signature", escalated ? d.escalate_to : d.severity,
          std::vector<std::string>(d.techniques.begin(), d.techniques.end()),
          std::vector<std::string>(d.tactics.begin(), d.tactics.end()), d.suppress_s, 1, Json()};
    if (escalated) h.dedup = "escalated";
    // The figures of this hit, worded only when an alert or summary is written (Hit::explain).
    h.explain = [d = &d, items, counted = e.items, uncounted = e.uncounted, calls = e.calls, first = e.first,
                 last = e.last, servers = servers.size(), by_items, by_calls, by_servers, escalated, src,
                 dst](const std::string& described, std::string& reason, Json& extra) {
        std::string item_text;
        if (uncounted == 0)
            item_text = std::to_string(items) + " " + d->item_noun;
        else if (counted == 0)
            item_text = std::to_string(items) + " " + d->item_noun + " counted as 1 per call (the reply's item count is not decoded)";
        else
            item_text = "at least " + std::to_string(items) + " " + d->item_noun + " (" + std::to_string(counted) +
                        " counted in the records, " + std::to_string(uncounted) +
                        (uncounted == 1 ? " call" : " calls") + " without a decoded count as 1 each)";
        const std::string figures =
            item_text + " in " + std::to_string(calls) + (calls == 1 ? " call" : " calls") + " from " + src + " to " +
            dst + " and " + std::to_string(servers) + (servers == 1 ? " server" : " distinct servers") +
            " enumerated by " + src + " between " + formatTimestamp(first) + " and " + formatTimestamp(last) +
            " (window " + std::to_string(d->window_s) + " s)";
        extra = {{"items", items}, {"items_from_replies", counted}, {"calls_without_item_count", uncounted},
                 {"calls", calls}, {"distinct_servers", servers}, {"window_s", d->window_s},
                 {"first_call", formatTimestamp(first)}, {"last_call", formatTimestamp(last)},
                 {"escalation", {{"items", d->items}, {"calls", d->threshold}, {"servers", d->servers},
                                 {"severity", d->escalate_to}}}};
        if (escalated) {
            Json by = Json::array();
            std::string reached;
            if (by_items) by.push_back("items"), reached += "≥" + std::to_string(d->items) + " " + d->item_noun;
            if (by_calls) by.push_back("calls"), reached += std::string(reached.empty() ? "" : ", ") + "≥" + std::to_string(d->threshold) + " calls";
            if (by_servers) by.push_back("servers"), reached += std::string(reached.empty() ? "" : ", ") + "≥" + std::to_string(d->servers) + " servers";
            extra["escalated_by"] = by;
            reason = std::string(by_servers && !by_items && !by_calls ? "Breadth" : "Volume") + " (" + reached +
                     " within " + std::to_string(d->window_s) + " s): " + figures + "; last call: " + described;
        } else {
            std::string limits;
            if (d->items) limits += "≥" + std::to_string(d->items) + " " + d->item_noun;
            if (d->threshold) limits += std::string(limits.empty() ? "" : ", ") + "≥" + std::to_string(d->threshold) + " calls";
            if (d->servers) limits += std::string(limits.empty() ? "" : " or ") + "≥" + std::to_string(d->servers) + " servers";
            reason = "First " + std::string(d->message) + " from " + src + " to " + dst + " in this " +
                     std::to_string(d->suppress_s) + " s window: " + described + "; so far " + figures +
                     "; severity " + std::to_string(d->escalate_to) + " at " + limits;
        }
    };
    s.hits++;
    // Breadth is one finding per source, not one per server.
    raise(std::move(h), rec, src, escalated && by_servers && !by_items && !by_calls ? "" : dst, ts);
}

void Detector::attemptHit(ActiveSig& s, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts) {
    const SignatureDef& d = s.def;
    const std::string& et = rec.et;
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
    if (rec.ev && rec.ev->type == EventType::SmbPipe) {
        const std::string pipe = lower(rec.ev->smb.pipe);
        const std::string& st = rec.ev->smb.status;
        if (st.empty() || st == "STATUS_SUCCESS" || pipe.empty()) return;
        for (const auto& li : lateralInterfaces())
            if (li.pipe && pipe == li.pipe && !seen(&li))
                found.push_back({&li, "open of \\pipe\\" + pipe + " failed (" + st + ")", "failed"});
    } else if (et == "rpc" || et == "dcerpc_bind") {
        const DceCall* dce = rec.ev ? rec.ev->dce() : nullptr;
        std::vector<DceBind> from_json;
        if (!dce && rec.json) from_json = jsonBinds(field(*rec.json, "rpc.bind"));
        const std::vector<DceBind>& binds = dce ? dce->bind : from_json;
        if (binds.empty()) return;
        const std::string called = dce && dce->iface ? dce->iface->uuid.toString() : std::string();
        for (const DceBind& b : binds) {
            if (b.nak()) continue;
            const std::string pt(b.packet_type);
            for (const DceBindContext& c : b.contexts) {
                const std::string uuid = c.uuid.toString();
                const std::string result(c.result);
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
        h.reason = "Attempt on " + std::string(f.li->label) + ": " + f.how + " — " + describe(rec);
        s.hits++;
        raise(h, rec, src, dst, ts);
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

}  // namespace rpcmon::detect
