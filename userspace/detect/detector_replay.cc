// SPDX-License-Identifier: Apache-2.0
// ONC RPC replay detection (sid 1000084): an AUTH_UNIX call with the same XID, credential and
// request arguments seen again from another flow or source, or on the same flow longer after
// its reply than any retransmission back-off. The table is bounded (oldest eighth dropped,
// counted).
#include "detect/detector.h"

#include "detect/detector_internal.h"

namespace rpcmon::detect {
namespace {

// Same-flow duplicates of a replied ONC call are only replays after this delay: the longest
// NFS-over-UDP retransmission back-off is 60 s (nfs(5) timeo/retrans).
constexpr TimeNs kReplaySameFlowDelay = 60 * kSec;

}  // namespace

bool Detector::replayCheck(const Event& ev, TimeNs ts, Json& extra) {
    const OncCall* c = ev.onc();
    if (!c) return false;
    // AUTH_NULL calls carry no identity worth replaying; RPCSEC_GSS sequence numbers are not in
    // the record, so only AUTH_UNIX (whose stamp + ids make the credential) is judged.
    if (c->cred.flavor != "AUTH_UNIX") return false;
    // Request-side arguments only: reply fields (status, port, exports) differ between the
    // original and a replay by design.
    static const std::pair<const char*, const char*> kArgs[] = {
        {"nfs", "name"}, {"nfs", "rename_to"}, {"nfs", "offset"}, {"nfs", "count"}, {"nfs", "ops"},
        {"nfs", "names"}, {"nfs", "symlink_target"}, {"nfs", "tag"}, {"mount", "path"},
        {"portmap", "program"}, {"portmap", "version"}, {"nlm", "owner"}, {"nlm", "svid"},
        {"nlm", "offset"}, {"nlm", "length"}};
    // The key: xid, program, version, procedure, the whole AUTH_UNIX credential and the
    // arguments, each part length-delimited by its separator.
    const OncCredential& cr = c->cred;
    std::string& key = replay_key_;
    key.clear();
    for (uint64_t v : {uint64_t(c->xid), uint64_t(c->program), uint64_t(c->version), uint64_t(c->procedure)}) {
        appendNumber(key, v);
        key += '|';
    }
    key += cr.flavor;
    key += cr.has_sys ? "|1:" : "|0:";
    appendNumber(key, cr.machine_name.size());
    key += ':';
    key += cr.machine_name;
    key += '|';
    for (uint64_t v : {uint64_t(cr.uid), uint64_t(cr.gid), uint64_t(cr.stamp)}) {
        appendNumber(key, v);
        key += '|';
    }
    for (uint32_t g : cr.gids) {
        appendNumber(key, g);
        key += ',';
    }
    key += '|';
    for (const auto& [prog, k] : kArgs) {
        if (const ArgValue* f = oncField(ev, prog, k)) {
            key += prog;
            key += '.';
            key += k;
            key += '=';
            key += f->dump();
            key += '|';
        }
    }
    const std::string src = srcIp(ev);
    const bool replied = c->reply.has_value();
    const uint64_t flow = ev.flow_id;
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
        replay_[key] = {flow, src, ts, replied};
        return false;
    }
    ReplayEntry& e = it->second;
    bool other_flow = e.flow_id != flow;
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

}  // namespace rpcmon::detect
