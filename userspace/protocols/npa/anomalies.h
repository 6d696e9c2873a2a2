// SPDX-License-Identifier: Apache-2.0
// Samba named-pipe hand-off (host vantage) anomaly counters: the enum and the one table naming them.
#pragma once

#include "stream/anomaly_table.h"

namespace rpcmon::npa {

enum class NpaAnomaly : uint8_t {
    RecordsLeftToWire,
    PipesEvicted,
    BufferBudgetExceeded,
    Truncated,
    CopyFailed,
    LostSync,
    ReplyBeforeRequest,
    HandshakeTooLong,
    BadHandshake,
    UnknownLevel,
    LevelFieldsUnparsed,
    SessionInfoUnparsed,
    InternalPipes,
    BadAddress,
    BadReply,
    EmptyMessage,
    PipesIdleEnded,
    kCount
};

inline constexpr AnomalyInfo kNpaAnomalies[] = {
    volume(NpaAnomaly::RecordsLeftToWire, "npa.records_left_to_wire"),
    anomaly(NpaAnomaly::PipesEvicted, "npa.pipes_evicted"),
    anomaly(NpaAnomaly::BufferBudgetExceeded, "npa.buffer_budget_exceeded"),
    anomaly(NpaAnomaly::Truncated, "npa.truncated"),
    anomaly(NpaAnomaly::CopyFailed, "npa.copy_failed"),
    anomaly(NpaAnomaly::LostSync, "npa.lost_sync"),
    anomaly(NpaAnomaly::ReplyBeforeRequest, "npa.reply_before_request"),
    anomaly(NpaAnomaly::HandshakeTooLong, "npa.handshake_too_long"),
    anomaly(NpaAnomaly::BadHandshake, "npa.bad_handshake"),
    anomaly(NpaAnomaly::UnknownLevel, "npa.unknown_level"),
    anomaly(NpaAnomaly::LevelFieldsUnparsed, "npa.level_fields_unparsed"),
    anomaly(NpaAnomaly::SessionInfoUnparsed, "npa.session_info_unparsed"),
    volume(NpaAnomaly::InternalPipes, "npa.internal_pipes"),
    anomaly(NpaAnomaly::BadAddress, "npa.bad_address"),
    anomaly(NpaAnomaly::BadReply, "npa.bad_reply"),
    anomaly(NpaAnomaly::EmptyMessage, "npa.empty_message"),
    anomaly(NpaAnomaly::PipesIdleEnded, "npa.pipes_idle_ended"),
};
static_assert(namesEveryValue<NpaAnomaly>(kNpaAnomalies));

constexpr const AnomalyInfo& anomalyInfo(NpaAnomaly a) { return kNpaAnomalies[static_cast<size_t>(a)]; }

}  // namespace rpcmon::npa
