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

}  // namespace rpcmon::detect
