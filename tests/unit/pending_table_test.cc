// SPDX-License-Identifier: Apache-2.0
// The pending-request table every protocol uses (stream/pending_table.h): lookup by key,
// arrival order, oldest-first eviction through the caller's callback, timeouts from the front.
#include "stream/pending_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rpcmon {
namespace {

using Table = PendingTable<int, std::string>;

std::vector<int> keys(const Table& t) {
    std::vector<int> out;
    for (const auto& [k, v] : t) out.push_back(k);
    return out;
}

TEST(PendingTable, FindsByKeyAndKeepsArrivalOrder) {
    Table t(8);
    auto none = [](int, std::string&) { FAIL() << "nothing to evict"; };
    t.insert(30, "c", none);
    t.insert(10, "a", none);
    t.insert(20, "b", none);
    EXPECT_EQ(keys(t), (std::vector<int>{30, 10, 20}));
    ASSERT_NE(t.find(10), t.end());
    EXPECT_EQ(t.find(10)->second, "a");
    EXPECT_EQ(t.find(99), t.end());
    EXPECT_TRUE(t.contains(20));
    t.erase(t.find(10));
    EXPECT_FALSE(t.contains(10));
    EXPECT_EQ(keys(t), (std::vector<int>{30, 20}));
}

TEST(PendingTable, AFullTableEvictsItsOldestArrivalThroughTheCallback) {
    Table t(2);
    std::vector<std::pair<int, std::string>> evicted;
    auto note = [&](int k, std::string& v) { evicted.emplace_back(k, v); };
    t.insert(5, "first", note);
    t.insert(1, "second", note);
    EXPECT_TRUE(evicted.empty());
    t.insert(3, "third", note);
    ASSERT_EQ(evicted.size(), 1u);
    EXPECT_EQ(evicted[0], (std::pair<int, std::string>{5, "first"}));  // arrival, not key order
    EXPECT_EQ(t.size(), 2u);
    EXPECT_FALSE(t.contains(5));
    EXPECT_EQ(keys(t), (std::vector<int>{1, 3}));
}

TEST(PendingTable, ExpireTakesFromTheFrontWhileTheOldestHasExpired) {
    PendingTable<int, int> t(8);  // value: the request's time
    auto none = [](int, int&) {};
    t.insert(1, 100, none);
    t.insert(2, 200, none);
    t.insert(3, 150, none);  // arrived after a newer one: waits behind it
    std::vector<int> expired;
    t.expire([](int ts) { return ts <= 160; }, [&](int k, int&) { expired.push_back(k); });
    EXPECT_EQ(expired, (std::vector<int>{1}));
    t.expire([](int ts) { return ts <= 250; }, [&](int k, int&) { expired.push_back(k); });
    EXPECT_EQ(expired, (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(t.empty());
}

TEST(PendingTable, DrainReportsEveryRequestOldestFirst) {
    Table t(4);
    auto none = [](int, std::string&) {};
    t.insert(2, "x", none);
    t.insert(1, "y", none);
    std::vector<int> drained;
    t.drain([&](int k, std::string&) { drained.push_back(k); });
    EXPECT_EQ(drained, (std::vector<int>{2, 1}));
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.find(2), t.end());
}

TEST(PendingTable, ZeroCapacityStillHoldsOneRequest) {
    Table t(0);
    int evictions = 0;
    auto count = [&](int, std::string&) { evictions++; };
    t.insert(1, "a", count);
    t.insert(2, "b", count);
    EXPECT_EQ(evictions, 1);
    EXPECT_EQ(keys(t), (std::vector<int>{2}));
}

}  // namespace
}  // namespace rpcmon
