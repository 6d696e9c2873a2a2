// SPDX-License-Identifier: Apache-2.0
// One direction of a TCP connection turned into an in-order byte stream for a StreamConsumer:
// out-of-order segments are held (bounded), retransmissions and overlaps are trimmed, lost
// bytes become explicit gaps (never silently glued together), and unconsumed bytes are kept
// (bounded) until the consumer can parse them.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "stream/consumer.h"

namespace rpcmon {

struct ReassemblyLimits {
    // Unconsumed in-order bytes kept per direction. A consumer that needs more than this for
    // one frame gets a gap instead (its frame is larger than any header rpcmon decodes).
    size_t max_pending = 1 << 20;
    // Out-of-order bytes held per direction waiting for a hole to fill; past it the hole is
    // declared lost (gap) and the stream moves on.
    size_t max_out_of_order = 256 << 10;
    size_t max_out_of_order_segments = 128;
};

// Shared by all flows: a global cap on buffered bytes so many flows cannot add up to
// unbounded memory. Each reassembler charges and releases what it holds.
struct ReassemblyBudget {
    size_t limit = 64 << 20;
    size_t used = 0;
};

class TcpReassembler {
public:
    TcpReassembler(Direction dir, const ReassemblyLimits& limits, ReassemblyBudget& budget,
                   AnomalyCounter& anomalies);
    ~TcpReassembler();
    TcpReassembler(const TcpReassembler&) = delete;
    TcpReassembler& operator=(const TcpReassembler&) = delete;

    // One segment of this direction. `data` is what was captured of its payload, `wire_len`
    // the payload length on the wire (larger when the snap length cut it: the tail is a gap).
    void segment(uint32_t seq, uint8_t tcp_flags, Bytes data, uint32_t wire_len, TimeNs ts,
                 StreamConsumer& consumer);
    // The kernel did not deliver `len` bytes starting at `seq` (bulk data skipped on purpose, or
    // records lost to a full ring when `lost`): they become a gap at their place in the stream.
    void skipped(uint32_t seq, uint32_t len, bool lost, TimeNs ts, StreamConsumer& consumer);
    // Whether the latest segment came from a flow the kernel tracks (RPCMON_RECF_TRACKED): its
    // undelivered bytes arrive as skipped() ranges, so the peer's ACKs prove no loss.
    void setKernelTracked(bool tracked) { kernel_tracked_ = tracked; }
    // The peer acknowledged up to `ack`: bytes below it that never arrived were lost by the
    // capture (not by the network), so they become a gap now rather than stalling the stream.
    void peerAcked(uint32_t ack, TimeNs ts, StreamConsumer& consumer);
    // End of the flow: deliver whatever is held, with gaps for missing pieces.
    void flush(TimeNs ts, StreamConsumer& consumer);

    bool finished() const { return fin_ || rst_; }
    size_t buffered() const { return pending_.size() + ooo_bytes_; }

private:
    void deliver(Bytes data, TimeNs ts, StreamConsumer& consumer);
    // `counted`: a loss (tcp.gaps); false for bytes the kernel skipped on purpose.
    void gap(uint64_t bytes, StreamConsumer& consumer, bool counted = true);
    void drainOutOfOrder(TimeNs ts, StreamConsumer& consumer);
    void drainHeld(TimeNs ts, StreamConsumer& consumer);
    void skipTo(uint32_t seq, StreamConsumer& consumer);
    // Counts tcp.overlap_mismatch when `data` at `seq` disagrees with bytes still held (the
    // unconsumed in-order tail or held out-of-order segments); consumed bytes are not kept.
    void checkOverlap(uint32_t seq, Bytes data);
    // Stores an out-of-order segment (replacing a shorter copy at the same seq).
    void hold(uint32_t seq, Bytes data, uint32_t missing_tail);
    void charge(size_t n);
    void release(size_t n);

    Direction dir_;
    ReassemblyLimits limits_;
    ReassemblyBudget& budget_;
    AnomalyCounter& anomalies_;
    bool synced_ = false;
    bool fin_ = false, rst_ = false;
    uint32_t next_seq_ = 0;                         // sequence number of the next byte expected
    uint32_t fin_seq_ = 0;                          // sequence number of the FIN, once seen
    std::vector<uint8_t> pending_;                  // in order, not yet consumed
    std::map<uint32_t, std::vector<uint8_t>> ooo_;  // seq -> bytes, all after next_seq_
    std::map<uint32_t, uint32_t> ooo_holes_;        // seq -> length of snap-truncated tails
    // What the next missing tail is: a snap-length cut, or a range the kernel skipped.
    enum class Tail { Snap, KernelSkip } tail_ = Tail::Snap;
    bool kernel_tracked_ = false;
    size_t ooo_bytes_ = 0;
    // Segments held since the kernel reported a hole as lost (0: no such hole pending).
    static constexpr uint32_t kMaxLossHoleWait = 32;
    uint32_t loss_hole_wait_ = 0;
};

// Serial-number comparison (RFC 1982): true when a comes before b.
inline bool seqBefore(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

}  // namespace rpcmon
