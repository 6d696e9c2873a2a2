// SPDX-License-Identifier: Apache-2.0
// Bounded log-scale latency histogram with exponential decay, for p50/p99 in `rpcmon top`.
//
// Buckets (values in microseconds, kSubBits = 3, i.e. 8 sub-buckets per power of two):
//   v < 8                : bucket v, exact.
//   8 <= v < 2^kMaxExp   : e = floor(log2 v) (3..kMaxExp-1), m = the 3 bits after the leading 1,
//                          bucket 8 + (e-3)*8 + m, covering [(8+m)*2^(e-3), (9+m)*2^(e-3)).
//   v >= 2^kMaxExp       : the last bucket (about 35 minutes; "at least that long").
// A bucket's width W = 2^(e-3) is at most 1/8 of its lower bound L = (8+m)*2^(e-3), so reporting
// the bucket's midpoint is within W/2 <= L/16 of every value in it: relative error <= 6.25%.
// A quantile is the value of the sample of rank ceil(q * N); the histogram finds that sample's
// bucket exactly, so the reported quantile is that sample's value within 6.25% (exact below 8 us).
//
// Recent, not lifetime: each sample adds kOne (fixed point, 8 fractional bits) and decay()
// halves every bucket, so a sample's weight halves every decay period (10 s in LiveState); a
// lone sample is gone after 9 of them (256 >> 9 == 0). Quantiles are of this exponentially
// weighted distribution.
// Memory: kBuckets * 4 bytes = 1 KiB per entity, fixed.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>

namespace rpcmon::top {

class LatencyHistogram {
public:
    static constexpr int kSubBits = 3;
    static constexpr int kSub = 1 << kSubBits;  // sub-buckets per power of two
    static constexpr int kMaxExp = 31;          // 2^31 us ~ 35.8 minutes
    static constexpr int kBuckets = kSub + (kMaxExp - kSubBits) * kSub + 1;
    static constexpr uint32_t kOne = 256;       // weight of one fresh sample

    static int bucketOf(uint64_t us) {
        if (us < uint64_t(kSub)) return int(us);
        int e = 63 - std::countl_zero(us);
        if (e >= kMaxExp) return kBuckets - 1;
        int m = int((us >> (e - kSubBits)) & (kSub - 1));
        return kSub + (e - kSubBits) * kSub + m;
    }
    // Lowest value of bucket b and its width (the last bucket is open-ended: width 0).
    static uint64_t bucketLow(int b) {
        if (b < kSub) return uint64_t(b);
        if (b == kBuckets - 1) return uint64_t(1) << kMaxExp;
        int e = (b - kSub) / kSub + kSubBits, m = (b - kSub) % kSub;
        return uint64_t(kSub + m) << (e - kSubBits);
    }
    static uint64_t bucketWidth(int b) {
        if (b < kSub) return 1;
        if (b == kBuckets - 1) return 0;
        return uint64_t(1) << ((b - kSub) / kSub);
    }
    // The value reported for bucket b: its midpoint (exact for the one-value buckets).
    static uint64_t bucketValue(int b) {
        uint64_t w = bucketWidth(b);
        return bucketLow(b) + (w > 1 ? w / 2 : 0);
    }

    void add(uint64_t us) {
        uint32_t& c = counts_[size_t(bucketOf(us))];
        c = c > UINT32_MAX - kOne ? UINT32_MAX : c + kOne;  // saturate, never wrap
    }
    // Halves every weight (a sample seen d decay periods ago weighs kOne >> d).
    void decay() {
        for (auto& c : counts_) c >>= 1;
    }
    // Sum of weights in units of samples (fresh samples count 1).
    double weight() const {
        uint64_t t = 0;
        for (auto c : counts_) t += c;
        return double(t) / kOne;
    }
    // The q-quantile (0 < q <= 1) in microseconds, or nothing when there is no weight.
    std::optional<uint64_t> quantile(double q) const {
        uint64_t total = 0;
        for (auto c : counts_) total += c;
        if (!total) return std::nullopt;
        // rank = ceil(q * total), at least 1: the weight that must lie at or below the answer
        double want = q * double(total);
        uint64_t rank = uint64_t(want);
        if (double(rank) < want) rank++;
        if (rank < 1) rank = 1;
        uint64_t seen = 0;
        for (int b = 0; b < kBuckets; b++) {
            seen += counts_[size_t(b)];
            if (seen >= rank) return bucketValue(b);
        }
        return bucketValue(kBuckets - 1);
    }

private:
    std::array<uint32_t, kBuckets> counts_{};
};

// A monotonically growing total and its rate over the last completed period:
// rate = (total at the end of the period - total at its start) / period length.
struct RateCounter {
    uint64_t total = 0;
    uint64_t mark = 0;   // total at the start of the current period
    double rate = 0;     // per second, over the last completed period

    void add(uint64_t n = 1) { total += n; }
    // Sets the total from an external cumulative counter (kernel counters); a counter that
    // went backwards (source restarted) starts a new series instead of giving a negative rate.
    void set(uint64_t t) {
        if (t < total) mark = 0;
        total = t;
    }
    void roll(double seconds) {
        rate = seconds > 0 ? double(total - (mark <= total ? mark : total)) / seconds : 0;
        mark = total;
    }
};

}  // namespace rpcmon::top
