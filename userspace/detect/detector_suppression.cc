// SPDX-License-Identifier: Apache-2.0
// Raising alerts: the alert's shape (EVE "alert", SCHEMA.md) and suppression - repeated hits
// of (sid, src, dst) within the window are counted and summarised once when it ends.
#include "detect/detector.h"

#include "detect/detector_internal.h"

namespace rpcmon::detect {
namespace {

// Top-level record keys that are not copied into alerts (the alert sets its own).
const char* const kCommonKeys[] = {"timestamp", "flow_id", "event_type", "src_ip", "src_port",
                                   "dest_ip", "dest_port", "proto", "stats"};

}  // namespace

Json Detector::buildAlert(const Hit& hit, const Rec& r, const std::string& src, const std::string& dst,
                          TimeNs ts) const {
    // The record's JSON, once per alert: its rpc / smb / program objects are copied into it.
    Json made;
    if (r.ev) made = toJson(*r.ev);
    const Json& rec = r.ev ? made : *r.json;
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
    else if (auto o = r.ev ? recordOutcome(*r.ev) : jsonRecordOutcome(rec)) al["metadata"]["outcome"] = *o;
    Json explained;
    if (hit.explain) {
        std::string reason;
        explained = hit.extra;
        hit.explain(describe(r), reason, explained);
        al["reason"] = std::move(reason);
    } else {
        al["reason"] = hit.reason.empty() ? hit.message + ": " + describe(r) : hit.reason;
    }
    if (rec.contains("event_type")) al["source_event_type"] = rec["event_type"];
    for (const auto& [k, v] : (hit.explain ? explained : hit.extra).items()) al[k] = v;
    a["alert"] = std::move(al);
    for (const auto& [k, v] : rec.items()) {
        bool common = false;
        for (const char* c : kCommonKeys) common = common || k == c;
        if (!common && !a.contains(k)) a[k] = v;
    }
    return a;
}

void Detector::raise(Hit hit, const Rec& rec, const std::string& src, const std::string& dst, TimeNs ts) {
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
    std::string& key = supp_key_;
    buildKey(key, hit.sid, {src, dst, hit.dedup});
    if (hit.suppress_s > 0) {
        auto it = supp_.find(key);
        if (it != supp_.end() && ts < it->second.until) {
            Suppression& s = it->second;
            suppressed_++;
            bump(false);
            s.count += hit.weight;
            s.last = ts;
            s.last_hit = std::make_shared<const Hit>(std::move(hit));  // hit is not read after this
            if (rec.ev) s.last_ev = keepEvent(*rec.ev), s.last_json.reset();
            else s.last_json = keepJson(*rec.json), s.last_ev.reset();
            s.src = src;
            s.dst = dst;
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
        if (s.count < cfg_.summary_min_count || !s.last_hit || (!s.last_ev && !s.last_json)) continue;
        // One summary per window: the latest triggering record, with the window's total count.
        Json a = buildAlert(*s.last_hit, s.last_ev ? recOf(*s.last_ev) : recOf(*s.last_json), s.src, s.dst, s.last);
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

}  // namespace rpcmon::detect
