// SPDX-License-Identifier: Apache-2.0
// DCE/RPC anomaly counters (connection-oriented, connectionless, over SMB pipes): the enum call
// sites use and the one table naming them.
#pragma once

#include "stream/anomaly_table.h"

namespace rpcmon::dcerpc {

enum class DcerpcAnomaly : uint8_t {
    // Common header rejected (HeaderError).
    BadVersion,
    FragLenInvalid,
    AuthLenInvalid,
    BadPtype,
    // Connection-oriented PDUs and their state.
    FragLenOverNegotiated,
    BufferOverflow,
    Gap,
    RequestFromServer,
    ResponseFromClient,
    BindInvalid,
    BindAckInvalid,
    UnmatchedBindAck,
    BindAckMissingResults,
    ContextTableFull,
    BindNakInvalid,
    PendingEvicted,
    ReassemblyLimit,
    RequestInvalid,
    DuplicateCallId,
    UnknownContext,
    OrphanFragment,
    NdrDecodeFailed,
    FaultInvalid,
    ResponseInvalid,
    UnmatchedResponse,
    UnexpectedDatagram,
    // Connectionless (UDP).
    UnexpectedStream,
    ClInvalid,
    ClFragmentGap,
    kCount
};

inline constexpr AnomalyInfo kDcerpcAnomalies[] = {
    anomaly(DcerpcAnomaly::BadVersion, "dcerpc.bad_version"),
    anomaly(DcerpcAnomaly::FragLenInvalid, "dcerpc.frag_len_invalid"),
    anomaly(DcerpcAnomaly::AuthLenInvalid, "dcerpc.auth_len_invalid"),
    anomaly(DcerpcAnomaly::BadPtype, "dcerpc.bad_ptype"),
    anomaly(DcerpcAnomaly::FragLenOverNegotiated, "dcerpc.frag_len_over_negotiated"),
    anomaly(DcerpcAnomaly::BufferOverflow, "dcerpc.buffer_overflow"),
    anomaly(DcerpcAnomaly::Gap, "dcerpc.gap"),
    anomaly(DcerpcAnomaly::RequestFromServer, "dcerpc.request_from_server"),
    anomaly(DcerpcAnomaly::ResponseFromClient, "dcerpc.response_from_client"),
    anomaly(DcerpcAnomaly::BindInvalid, "dcerpc.bind_invalid"),
    anomaly(DcerpcAnomaly::BindAckInvalid, "dcerpc.bind_ack_invalid"),
    anomaly(DcerpcAnomaly::UnmatchedBindAck, "dcerpc.unmatched_bind_ack"),
    anomaly(DcerpcAnomaly::BindAckMissingResults, "dcerpc.bind_ack_missing_results"),
    anomaly(DcerpcAnomaly::ContextTableFull, "dcerpc.context_table_full"),
    anomaly(DcerpcAnomaly::BindNakInvalid, "dcerpc.bind_nak_invalid"),
    anomaly(DcerpcAnomaly::PendingEvicted, "dcerpc.pending_evicted"),
    anomaly(DcerpcAnomaly::ReassemblyLimit, "dcerpc.reassembly_limit"),
    anomaly(DcerpcAnomaly::RequestInvalid, "dcerpc.request_invalid"),
    anomaly(DcerpcAnomaly::DuplicateCallId, "dcerpc.duplicate_call_id"),
    anomaly(DcerpcAnomaly::UnknownContext, "dcerpc.unknown_context"),
    anomaly(DcerpcAnomaly::OrphanFragment, "dcerpc.orphan_fragment"),
    anomaly(DcerpcAnomaly::NdrDecodeFailed, "dcerpc.ndr_decode_failed"),
    anomaly(DcerpcAnomaly::FaultInvalid, "dcerpc.fault_invalid"),
    anomaly(DcerpcAnomaly::ResponseInvalid, "dcerpc.response_invalid"),
    anomaly(DcerpcAnomaly::UnmatchedResponse, "dcerpc.unmatched_response"),
    anomaly(DcerpcAnomaly::UnexpectedDatagram, "dcerpc.unexpected_datagram"),
    anomaly(DcerpcAnomaly::UnexpectedStream, "dcerpc.unexpected_stream"),
    anomaly(DcerpcAnomaly::ClInvalid, "dcerpc.cl_invalid"),
    anomaly(DcerpcAnomaly::ClFragmentGap, "dcerpc.cl_fragment_gap"),
};
static_assert(namesEveryValue<DcerpcAnomaly>(kDcerpcAnomalies));

constexpr const AnomalyInfo& anomalyInfo(DcerpcAnomaly a) { return kDcerpcAnomalies[static_cast<size_t>(a)]; }

}  // namespace rpcmon::dcerpc
