// SPDX-License-Identifier: Apache-2.0
// Transport-layer anomaly counters (TCP reassembly, flow table, IP reassembly, checksums): an
// enum per component and the one table naming each.
#pragma once

#include "stream/anomaly_table.h"

namespace rpcmon {

// tcp_reassembler.cc
enum class TcpAnomaly : uint8_t {
    Gaps,
    GapBytes,
    PendingLimitExceeded,
    GlobalBudgetExceeded,
    KernelLossBytes,
    KernelSkippedBytes,
    KernelLossHoleExpired,
    CaptureLossAcked,
    RetransmittedSegments,
    OverlappingSegments,
    OverlapMismatch,
    SnapTruncatedSegments,
    OutOfOrderSegments,
    OutOfOrderLimitExceeded,
    kCount
};

inline constexpr AnomalyInfo kTcpAnomalies[] = {
    anomaly(TcpAnomaly::Gaps, "tcp.gaps"),
    anomaly(TcpAnomaly::GapBytes, "tcp.gap_bytes"),
    anomaly(TcpAnomaly::PendingLimitExceeded, "tcp.pending_limit_exceeded"),
    anomaly(TcpAnomaly::GlobalBudgetExceeded, "tcp.global_budget_exceeded"),
    anomaly(TcpAnomaly::KernelLossBytes, "tcp.kernel_loss_bytes"),
    // Bulk payload the kernel skipped on purpose (READ/WRITE data): work saved, nothing lost.
    volume(TcpAnomaly::KernelSkippedBytes, "tcp.kernel_skipped_bytes"),
    anomaly(TcpAnomaly::KernelLossHoleExpired, "tcp.kernel_loss_hole_expired"),
    anomaly(TcpAnomaly::CaptureLossAcked, "tcp.capture_loss_acked"),
    anomaly(TcpAnomaly::RetransmittedSegments, "tcp.retransmitted_segments"),
    anomaly(TcpAnomaly::OverlappingSegments, "tcp.overlapping_segments"),
    anomaly(TcpAnomaly::OverlapMismatch, "tcp.overlap_mismatch"),
    anomaly(TcpAnomaly::SnapTruncatedSegments, "tcp.snap_truncated_segments"),
    anomaly(TcpAnomaly::OutOfOrderSegments, "tcp.out_of_order_segments"),
    anomaly(TcpAnomaly::OutOfOrderLimitExceeded, "tcp.out_of_order_limit_exceeded"),
};
static_assert(namesEveryValue<TcpAnomaly>(kTcpAnomalies));
constexpr const AnomalyInfo& anomalyInfo(TcpAnomaly a) { return kTcpAnomalies[static_cast<size_t>(a)]; }

// flow_table.cc
enum class FlowAnomaly : uint8_t {
    EvictedTableFull,
    NoDissector,
    UdpTruncatedDatagrams,
    kCount
};

inline constexpr AnomalyInfo kFlowAnomalies[] = {
    anomaly(FlowAnomaly::EvictedTableFull, "flow.evicted_table_full"),
    anomaly(FlowAnomaly::NoDissector, "flow.no_dissector"),
    anomaly(FlowAnomaly::UdpTruncatedDatagrams, "udp.truncated_datagrams"),
};
static_assert(namesEveryValue<FlowAnomaly>(kFlowAnomalies));
constexpr const AnomalyInfo& anomalyInfo(FlowAnomaly a) { return kFlowAnomalies[static_cast<size_t>(a)]; }

// ip_defrag.cc
enum class DefragAnomaly : uint8_t {
    Fragments,
    Datagrams,
    BadLength,
    Truncated,
    Oversize,
    TableFull,
    MemoryLimit,
    Duplicates,
    DuplicateMismatch,
    Overlaps,
    TooManyFragments,
    Timeouts,
    kCount
};

inline constexpr AnomalyInfo kDefragAnomalies[] = {
    // Fragments taken in and datagrams rebuilt: how much reassembly work, not a fault.
    volume(DefragAnomaly::Fragments, "defrag.fragments"),
    volume(DefragAnomaly::Datagrams, "defrag.datagrams"),
    anomaly(DefragAnomaly::BadLength, "defrag.bad_length"),
    anomaly(DefragAnomaly::Truncated, "defrag.truncated"),
    anomaly(DefragAnomaly::Oversize, "defrag.oversize"),
    anomaly(DefragAnomaly::TableFull, "defrag.table_full"),
    anomaly(DefragAnomaly::MemoryLimit, "defrag.memory_limit"),
    anomaly(DefragAnomaly::Duplicates, "defrag.duplicates"),
    anomaly(DefragAnomaly::DuplicateMismatch, "defrag.duplicate_mismatch"),
    anomaly(DefragAnomaly::Overlaps, "defrag.overlaps"),
    anomaly(DefragAnomaly::TooManyFragments, "defrag.too_many_fragments"),
    anomaly(DefragAnomaly::Timeouts, "defrag.timeouts"),
};
static_assert(namesEveryValue<DefragAnomaly>(kDefragAnomalies));
constexpr const AnomalyInfo& anomalyInfo(DefragAnomaly a) { return kDefragAnomalies[static_cast<size_t>(a)]; }

// checksum.cc (offline: stats.capture.anomalies; live, kernel verdicts: stats.pipeline.anomalies)
enum class ChecksumAnomaly : uint8_t {
    IpBad,
    IpOffloaded,
    IpUnprovenSource,
    TcpBad,
    UdpBad,
    TcpOffloaded,
    UdpOffloaded,
    TcpUnprovenSource,
    UdpUnprovenSource,
    Unverified,
    SourcesFull,
    UdpPartialAccepted,
    TcpPartialBare,
    TcpBadInsertion,
    TcpBadAcked,
    TcpBadHoldFull,
    TcpBadExpired,
    TcpPartialInsertion,
    TcpPartialAcked,
    TcpPartialHoldFull,
    TcpPartialExpired,
    kCount
};

inline constexpr AnomalyInfo kChecksumAnomalies[] = {
    anomaly(ChecksumAnomaly::IpBad, "ip.bad_checksum"),
    anomaly(ChecksumAnomaly::IpOffloaded, "ip.checksum_offloaded"),
    anomaly(ChecksumAnomaly::IpUnprovenSource, "ip.checksum_unproven_source"),
    anomaly(ChecksumAnomaly::TcpBad, "tcp.bad_checksum"),
    anomaly(ChecksumAnomaly::UdpBad, "udp.bad_checksum"),
    anomaly(ChecksumAnomaly::TcpOffloaded, "tcp.checksum_offloaded"),
    anomaly(ChecksumAnomaly::UdpOffloaded, "udp.checksum_offloaded"),
    anomaly(ChecksumAnomaly::TcpUnprovenSource, "tcp.checksum_unproven_source"),
    anomaly(ChecksumAnomaly::UdpUnprovenSource, "udp.checksum_unproven_source"),
    anomaly(ChecksumAnomaly::Unverified, "checksum.unverified"),
    anomaly(ChecksumAnomaly::SourcesFull, "checksum.sources_full"),
    anomaly(ChecksumAnomaly::UdpPartialAccepted, "udp.checksum_partial_accepted"),
    anomaly(ChecksumAnomaly::TcpPartialBare, "tcp.checksum_partial_bare"),
    anomaly(ChecksumAnomaly::TcpBadInsertion, "tcp.bad_checksum_insertion"),
    anomaly(ChecksumAnomaly::TcpBadAcked, "tcp.bad_checksum_acked"),
    anomaly(ChecksumAnomaly::TcpBadHoldFull, "tcp.bad_checksum_hold_full"),
    anomaly(ChecksumAnomaly::TcpBadExpired, "tcp.bad_checksum_expired"),
    anomaly(ChecksumAnomaly::TcpPartialInsertion, "tcp.partial_checksum_insertion"),
    anomaly(ChecksumAnomaly::TcpPartialAcked, "tcp.partial_checksum_acked"),
    anomaly(ChecksumAnomaly::TcpPartialHoldFull, "tcp.partial_checksum_hold_full"),
    anomaly(ChecksumAnomaly::TcpPartialExpired, "tcp.partial_checksum_expired"),
};
static_assert(namesEveryValue<ChecksumAnomaly>(kChecksumAnomalies));
constexpr const AnomalyInfo& anomalyInfo(ChecksumAnomaly a) { return kChecksumAnomalies[static_cast<size_t>(a)]; }

}  // namespace rpcmon
