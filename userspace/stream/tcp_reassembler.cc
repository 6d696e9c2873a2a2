// SPDX-License-Identifier: Apache-2.0
#include "stream/tcp_reassembler.h"

#include <algorithm>
#include <cstring>

#include "stream/anomalies.h"

namespace rpcmon {

namespace {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04;
}

TcpReassembler::TcpReassembler(Direction dir, const ReassemblyLimits& limits, ReassemblyBudget& budget,
                               AnomalyCounter& anomalies)
    : dir_(dir), limits_(limits), budget_(budget), anomalies_(anomalies) {}

TcpReassembler::~TcpReassembler() { release(pending_.size() + ooo_bytes_); }

void TcpReassembler::charge(size_t n) { budget_.used += n; }
void TcpReassembler::release(size_t n) { budget_.used -= std::min(n, budget_.used); }

void TcpReassembler::gap(uint64_t bytes, StreamConsumer& consumer, bool counted) {
    // Unconsumed bytes the consumer was still waiting on are dropped too: they are part of
    // what it will never see contiguously, so the reported gap includes them.
    uint64_t lost = bytes + pending_.size();
    if (counted) {
        anomalies_.count(TcpAnomaly::Gaps);
        anomalies_.count(TcpAnomaly::GapBytes, lost);
    }
    release(pending_.size());
    pending_.clear();
    consumer.onGap(dir_, lost);
}

void TcpReassembler::deliver(Bytes data, TimeNs ts, StreamConsumer& consumer) {
    if (data.empty()) return;
    if (!pending_.empty()) {
        if (pending_.size() + data.size() <= limits_.max_pending && budget_.used + data.size() <= budget_.limit) {
            pending_.insert(pending_.end(), data.begin(), data.end());
            charge(data.size());
            size_t used = std::min(consumer.onData(dir_, pending_, ts), pending_.size());
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(used));
            release(used);
            return;
        }
        // The consumer waits for a frame larger than we keep: give up on that frame.
        anomalies_.count(pending_.size() + data.size() > limits_.max_pending ? TcpAnomaly::PendingLimitExceeded
                                                                             : TcpAnomaly::GlobalBudgetExceeded);
        gap(0, consumer);
    }
    // Parse straight from the segment; keep only what is left over, within the limits.
    size_t used = std::min(consumer.onData(dir_, data, ts), data.size());
    data = data.subspan(used);
    if (data.empty()) return;
    if (data.size() > limits_.max_pending || budget_.used + data.size() > budget_.limit) {
        anomalies_.count(data.size() > limits_.max_pending ? TcpAnomaly::PendingLimitExceeded : TcpAnomaly::GlobalBudgetExceeded);
        gap(data.size(), consumer);
        return;
    }
    pending_.assign(data.begin(), data.end());
    charge(pending_.size());
}

void TcpReassembler::skipTo(uint32_t seq, StreamConsumer& consumer) {
    uint64_t lost = static_cast<uint32_t>(seq - next_seq_);
    next_seq_ = seq;
    gap(lost, consumer);
}

void TcpReassembler::skipped(uint32_t seq, uint32_t len, bool lost, TimeNs ts, StreamConsumer& consumer) {
    if (len == 0) return;
    if (!synced_) {
        // First sight of this direction: nothing was expected before the delivered bytes.
        synced_ = true;
        next_seq_ = seq + len;
        return;
    }
    if (lost) {
        // The kernel's range can reach back over bytes already here (segments it delivered
        // out of order do not move its delivered_end): only what is missing is a hole.
        if (seqBefore(seq, next_seq_)) {
            if (!seqBefore(next_seq_, seq + len)) return;
            len -= next_seq_ - seq;
            seq = next_seq_;
        }
        anomalies_.count(TcpAnomaly::KernelLossBytes, len);
        // The kernel saw the sequence numbers jump: bytes lost to a full ring, or segments
        // reordered on the wire whose earlier bytes are still coming (an attacker's reordering
        // or the network's). Left as an ordinary hole: the bytes fill it if they come; the
        // peer's ACK, kMaxLossHoleWait further segments or the out-of-order bounds end it.
        if (!loss_hole_wait_) loss_hole_wait_ = 1;
        return;
    }
    anomalies_.count(TcpAnomaly::KernelSkippedBytes, len);
    // A segment with no captured bytes: it takes the same path as a snap-truncated tail (in
    // order: a gap now; after a hole: held until the hole fills).
    tail_ = Tail::KernelSkip;
    segment(seq, 0, Bytes(), len, ts, consumer);
    tail_ = Tail::Snap;
}

void TcpReassembler::segment(uint32_t seq, uint8_t flags, Bytes data, uint32_t wire_len, TimeNs ts,
                             StreamConsumer& consumer) {
    if (flags & kRst) rst_ = true;
    if (flags & kSyn) {
        // SYN consumes one sequence number; data on a SYN (TFO) starts after it.
        if (!synced_ || seqBefore(next_seq_, seq + 1)) {
            synced_ = true;
            next_seq_ = seq + 1;
        }
        seq += 1;
    }
    if (!synced_) {
        // Picked up mid-stream: start here; the consumer finds the next frame boundary itself.
        synced_ = true;
        next_seq_ = seq;
    }
    if (flags & kFin) {
        fin_ = true;
        // FIN takes one sequence number after the segment's data; the peer acknowledges it.
        fin_seq_ = seq + wire_len;
    }
    if (wire_len == 0) return;
    data = data.first(std::min<size_t>(data.size(), wire_len));

    // Trim what was already delivered (retransmission or overlap). Linux keeps the bytes it
    // queued first (tcp_data_queue: only the part after rcv_nxt is queued), so does rpcmon;
    // a copy that says something else is counted where the first bytes are still held.
    if (seqBefore(seq, next_seq_)) {
        checkOverlap(seq, data);
        uint32_t old = next_seq_ - seq;
        if (old >= wire_len) {
            anomalies_.count(TcpAnomaly::RetransmittedSegments);
            return;
        }
        anomalies_.count(TcpAnomaly::OverlappingSegments);
        data = data.subspan(std::min<size_t>(old, data.size()));
        wire_len -= old;
        seq = next_seq_;
    }
    uint32_t missing_tail = wire_len - static_cast<uint32_t>(data.size());

    if (seq == next_seq_) {
        next_seq_ = seq + wire_len;
        deliver(data, ts, consumer);
        if (missing_tail) {
            if (tail_ == Tail::Snap) anomalies_.count(TcpAnomaly::SnapTruncatedSegments);
            gap(missing_tail, consumer, tail_ != Tail::KernelSkip);
        }
        drainOutOfOrder(ts, consumer);
        return;
    }

    // Out of order: hold it until the hole before it fills (bounded).
    if (ooo_.count(seq) && ooo_[seq].size() >= data.size()) {
        anomalies_.count(TcpAnomaly::RetransmittedSegments);
        return;
    }
    if (ooo_bytes_ + data.size() > limits_.max_out_of_order || ooo_.size() >= limits_.max_out_of_order_segments ||
        budget_.used + data.size() > budget_.limit) {
        // Give up on the hole: it is lost. Skip to the earliest held segment and go on.
        anomalies_.count(TcpAnomaly::OutOfOrderLimitExceeded);
        uint32_t first = ooo_.empty() ? seq : ooo_.begin()->first;
        if (seqBefore(seq, first)) first = seq;
        skipTo(first, consumer);
        if (first == seq) {
            next_seq_ = seq + wire_len;
            deliver(data, ts, consumer);
            if (missing_tail) gap(missing_tail, consumer);
        } else {
            hold(seq, data, missing_tail);
        }
        drainOutOfOrder(ts, consumer);
        return;
    }
    anomalies_.count(TcpAnomaly::OutOfOrderSegments);
    checkOverlap(seq, data);
    hold(seq, data, missing_tail);
    if (loss_hole_wait_ && ++loss_hole_wait_ > kMaxLossHoleWait) {
        // The bytes the kernel reported missing did not come: lost after all.
        anomalies_.count(TcpAnomaly::KernelLossHoleExpired);
        loss_hole_wait_ = 0;
        skipTo(ooo_.begin()->first, consumer);
        drainOutOfOrder(ts, consumer);
    }
}

void TcpReassembler::checkOverlap(uint32_t seq, Bytes data) {
    if (data.empty()) return;
    auto compare = [&](uint32_t held_seq, Bytes held) {
        // Intersection of [seq, seq + data) and [held_seq, held_seq + held), in serial numbers.
        uint32_t lo = seqBefore(seq, held_seq) ? held_seq : seq;
        uint32_t hi_a = seq + uint32_t(data.size()), hi_b = held_seq + uint32_t(held.size());
        uint32_t hi = seqBefore(hi_a, hi_b) ? hi_a : hi_b;
        if (!seqBefore(lo, hi)) return false;
        return std::memcmp(data.data() + (lo - seq), held.data() + (lo - held_seq), hi - lo) != 0;
    };
    // Unconsumed in-order bytes end at next_seq_.
    bool mismatch = !pending_.empty() && compare(next_seq_ - uint32_t(pending_.size()), pending_);
    for (auto it = ooo_.begin(); !mismatch && it != ooo_.end(); ++it) mismatch = compare(it->first, it->second);
    if (mismatch) anomalies_.count(TcpAnomaly::OverlapMismatch);
}

void TcpReassembler::hold(uint32_t seq, Bytes data, uint32_t missing_tail) {
    auto& slot = ooo_[seq];
    release(slot.size());
    ooo_bytes_ -= slot.size();
    slot.assign(data.begin(), data.end());
    ooo_bytes_ += slot.size();
    charge(slot.size());
    if (missing_tail) ooo_holes_[seq] = missing_tail;
}

void TcpReassembler::drainOutOfOrder(TimeNs ts, StreamConsumer& consumer) {
    drainHeld(ts, consumer);
    if (ooo_.empty()) loss_hole_wait_ = 0;  // no hole left to wait for
}

void TcpReassembler::drainHeld(TimeNs ts, StreamConsumer& consumer) {
    while (!ooo_.empty()) {
        auto it = ooo_.begin();
        uint32_t seq = it->first;
        if (seqBefore(next_seq_, seq)) return;  // still a hole before it
        std::vector<uint8_t> data = std::move(it->second);
        ooo_.erase(it);
        ooo_bytes_ -= data.size();
        release(data.size());
        uint32_t tail = 0;
        if (auto h = ooo_holes_.find(seq); h != ooo_holes_.end()) {
            tail = h->second;
            ooo_holes_.erase(h);
        }
        uint32_t len = static_cast<uint32_t>(data.size()) + tail;
        uint32_t old = next_seq_ - seq;  // overlap with what was delivered already
        if (old >= len) continue;
        next_seq_ = seq + len;
        Bytes fresh(data);
        if (old < fresh.size()) {
            deliver(fresh.subspan(old), ts, consumer);
            if (tail) gap(tail, consumer);
        } else {
            gap(len - old, consumer);
        }
    }
}

void TcpReassembler::peerAcked(uint32_t ack, TimeNs ts, StreamConsumer& consumer) {
    if (!synced_ || !seqBefore(next_seq_, ack)) return;
    // Bytes the kernel skipped are reported with the next record of this direction, which may
    // come after the peer's ACK for them: not a loss.
    // (Held out-of-order data means a real hole: the kernel reports its skips only together
    // with the next bytes it delivers, so a skip never leaves later bytes waiting.)
    if (kernel_tracked_ && ooo_.empty()) return;
    if (fin_ && ack == fin_seq_ + 1 && next_seq_ == fin_seq_) return;  // acknowledges our FIN
    // Bytes before `ack` that we do not hold were seen by the peer but not by us.
    uint32_t target = ack;
    if (!ooo_.empty() && seqBefore(ooo_.begin()->first, target)) target = ooo_.begin()->first;
    if (target == next_seq_) return;
    anomalies_.count(TcpAnomaly::CaptureLossAcked);
    skipTo(target, consumer);
    drainOutOfOrder(ts, consumer);
}

void TcpReassembler::flush(TimeNs ts, StreamConsumer& consumer) {
    while (!ooo_.empty()) {
        skipTo(ooo_.begin()->first, consumer);
        drainOutOfOrder(ts, consumer);
    }
}

}  // namespace rpcmon
