// SPDX-License-Identifier: Apache-2.0
// ONC RPC anomaly counters: the enum call sites use and the one table naming them.
#pragma once

#include "stream/anomaly_table.h"

namespace rpcmon::onc {

enum class OncAnomaly : uint8_t {
    BadRecordMark,
    RecordTooLarge,
    ResyncSkippedBytes,
    BadMsgType,
    BadRpcVersion,
    BadCred,
    BadCredLength,
    BadVerifierLength,
    BadReplyStat,
    BadAcceptStat,
    BadRejectStat,
    TruncatedCall,
    TruncatedReply,
    OrphanReply,
    XidReused,
    PendingEvicted,
    BadArgs,
    BadResults,
    Nfs4UndecodedOp,
    Nfs4UndecodedResult,
    Nfs4TooManyOps,
    RecordCutByGap,
    IncompleteRecordAtClose,
    InvalidMessage,
    kCount
};

inline constexpr AnomalyInfo kOncAnomalies[] = {
    anomaly(OncAnomaly::BadRecordMark, "onc.bad_record_mark"),
    anomaly(OncAnomaly::RecordTooLarge, "onc.record_too_large"),
    anomaly(OncAnomaly::ResyncSkippedBytes, "onc.resync_skipped_bytes"),
    anomaly(OncAnomaly::BadMsgType, "onc.bad_msg_type"),
    anomaly(OncAnomaly::BadRpcVersion, "onc.bad_rpc_version"),
    anomaly(OncAnomaly::BadCred, "onc.bad_cred"),
    anomaly(OncAnomaly::BadCredLength, "onc.bad_cred_length"),
    anomaly(OncAnomaly::BadVerifierLength, "onc.bad_verifier_length"),
    anomaly(OncAnomaly::BadReplyStat, "onc.bad_reply_stat"),
    anomaly(OncAnomaly::BadAcceptStat, "onc.bad_accept_stat"),
    anomaly(OncAnomaly::BadRejectStat, "onc.bad_reject_stat"),
    anomaly(OncAnomaly::TruncatedCall, "onc.truncated_call"),
    anomaly(OncAnomaly::TruncatedReply, "onc.truncated_reply"),
    anomaly(OncAnomaly::OrphanReply, "onc.orphan_reply"),
    anomaly(OncAnomaly::XidReused, "onc.xid_reused"),
    anomaly(OncAnomaly::PendingEvicted, "onc.pending_evicted"),
    anomaly(OncAnomaly::BadArgs, "onc.bad_args"),
    anomaly(OncAnomaly::BadResults, "onc.bad_results"),
    anomaly(OncAnomaly::Nfs4UndecodedOp, "onc.nfs4_undecoded_op"),
    anomaly(OncAnomaly::Nfs4UndecodedResult, "onc.nfs4_undecoded_result"),
    anomaly(OncAnomaly::Nfs4TooManyOps, "onc.nfs4_too_many_ops"),
    anomaly(OncAnomaly::RecordCutByGap, "onc.record_cut_by_gap"),
    anomaly(OncAnomaly::IncompleteRecordAtClose, "onc.incomplete_record_at_close"),
    anomaly(OncAnomaly::InvalidMessage, "onc.invalid_message"),
};
static_assert(namesEveryValue<OncAnomaly>(kOncAnomalies));

constexpr const AnomalyInfo& anomalyInfo(OncAnomaly a) { return kOncAnomalies[static_cast<size_t>(a)]; }

}  // namespace rpcmon::onc
