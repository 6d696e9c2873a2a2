// SPDX-License-Identifier: Apache-2.0
// The maths behind `rpcmon top`: log buckets and their error bound, quantiles, decay, rates.
#include "top/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace rpcmon::top {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
    for (uint64_t v = 0; v < 8; v++) {
        EXPECT_EQ(LatencyHistogram::bucketOf(v), int(v));
        EXPECT_EQ(LatencyHistogram::bucketValue(int(v)), v);
    }
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
    // Each bucket starts where the previous one ended; width <= low/8.
    for (int b = 8; b < LatencyHistogram::kBuckets - 1; b++) {
        uint64_t lo = LatencyHistogram::bucketLow(b), w = LatencyHistogram::bucketWidth(b);
        EXPECT_EQ(lo, LatencyHistogram::bucketLow(b - 1) + LatencyHistogram::bucketWidth(b - 1)) << b;
        EXPECT_LE(w * 8, lo) << b;
        EXPECT_EQ(LatencyHistogram::bucketOf(lo), b);
        EXPECT_EQ(LatencyHistogram::bucketOf(lo + w - 1), b);
    }
    EXPECT_EQ(LatencyHistogram::bucketOf(uint64_t(1) << 40), LatencyHistogram::kBuckets - 1);
    EXPECT_EQ(LatencyHistogram::bucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogram, ReportedValueWithinSixPointTwoFivePercent) {
    for (uint64_t v = 1; v < (uint64_t(1) << 31); v = v * 3 / 2 + 1) {
        uint64_t r = LatencyHistogram::bucketValue(LatencyHistogram::bucketOf(v));
        EXPECT_LE(std::fabs(double(r) - double(v)), double(v) / 16.0 + 0.5) << v;
    }
}

TEST(LatencyHistogram, QuantilesMatchSortedSamplesWithinBound) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(6.0, 1.5);  // ~400 us median, long tail
    LatencyHistogram h;
    std::vector<uint64_t> xs;
    for (int i = 0; i < 20000; i++) {
        uint64_t v = uint64_t(dist(rng)) + 1;
        xs.push_back(v);
        h.add(v);
    }
    std::sort(xs.begin(), xs.end());
    for (double q : {0.5, 0.9, 0.99, 1.0}) {
        uint64_t exact = xs[size_t(std::ceil(q * double(xs.size()))) - 1];
        uint64_t got = *h.quantile(q);
        EXPECT_LE(std::fabs(double(got) - double(exact)), double(exact) / 16.0 + 0.5) << q;
    }
}

TEST(LatencyHistogram, EmptyHasNoQuantileAndOneSampleIsItsOwnQuantile) {
    LatencyHistogram h;
    EXPECT_FALSE(h.quantile(0.5).has_value());
    h.add(37);
    EXPECT_EQ(*h.quantile(0.5), 38u);  // bucket [36,40): midpoint 38, within 37/16
    EXPECT_EQ(*h.quantile(0.99), 38u);
}

TEST(LatencyHistogram, P99SeesTheSlowOnePercent) {
    LatencyHistogram h;
    for (int i = 0; i < 98; i++) h.add(100);
    for (int i = 0; i < 2; i++) h.add(100000);
    EXPECT_NEAR(double(*h.quantile(0.5)), 100, 100 / 16.0);
    EXPECT_NEAR(double(*h.quantile(0.99)), 100000, 100000 / 16.0);
}

TEST(LatencyHistogram, DecayHalvesOldSamplesUntilTheyAreGone) {
    LatencyHistogram h;
    for (int i = 0; i < 10; i++) h.add(5000);
    h.decay();
    EXPECT_DOUBLE_EQ(h.weight(), 5.0);
    // Fresh fast samples now outweigh the old slow ones: the median moves to them.
    for (int i = 0; i < 6; i++) h.add(10);
    EXPECT_EQ(*h.quantile(0.5), 10u);
    for (int i = 0; i < 11; i++) h.decay();  // 6 fresh samples = 1536 -> 0 after 11
    EXPECT_FALSE(h.quantile(0.5).has_value());
}

TEST(RateCounter, RateIsChangeOverThePeriod) {
    RateCounter c;
    c.add(10);
    c.roll(1.0);
    EXPECT_DOUBLE_EQ(c.rate, 10.0);
    c.add(5);
    c.roll(0.5);  // a short period (late or early tick): 5 per 0.5 s
    EXPECT_DOUBLE_EQ(c.rate, 10.0);
    EXPECT_EQ(c.total, 15u);
    c.roll(2.0);
    EXPECT_DOUBLE_EQ(c.rate, 0.0);
}

TEST(RateCounter, ExternalCounterGoingBackwardsIsANewSeries) {
    RateCounter c;
    c.set(1000);
    c.roll(1.0);
    c.set(1500);
    c.roll(1.0);
    EXPECT_DOUBLE_EQ(c.rate, 500.0);
    c.set(40);  // source restarted
    c.roll(1.0);
    EXPECT_DOUBLE_EQ(c.rate, 40.0);
    EXPECT_GE(c.rate, 0.0);
}

}  // namespace
}  // namespace rpcmon::top
