// SPDX-License-Identifier: Apache-2.0
// Baselines: learning period, first-seen anomalies, EWMA rate / error-ratio deviations, size
// bounds, and persistence across a restart (including a corrupt state file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "detect/test_util.h"

namespace rpcmon::detect::test {
namespace {

const std::string C = "10.5.0.1", S = "10.5.0.2";
constexpr const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";

struct Harness {
    CollectSink sink;
    std::unique_ptr<Detector> d;
    Harness(const std::string& baseline_yaml, const std::string& state = "") {
        DetectorOptions o;
        o.rules_text = "baseline:\n" + baseline_yaml;
        o.state_file = state;
        d = std::make_unique<Detector>(o, sink);
    }
    void feed(const std::vector<Json>& v) {
        for (const auto& r : v) d->onRecord(r);
    }
    int count(uint32_t sid) const {
        int n = 0;
        for (const auto& a : sink.out) n += a["alert"]["signature_id"] == sid;
        return n;
    }
    const Json* first(uint32_t sid) const {
        for (const auto& a : sink.out)
            if (a["alert"]["signature_id"] == sid) return &a;
        return nullptr;
    }
};

const std::string kFirstSeen =
    "  learning_period: 60\n  rate: false\n  error_ratio: false\n";

std::string tmpFile(const std::string& name) {
    std::string p = ::testing::TempDir() + "/" + name;
    std::filesystem::remove(p);
    std::filesystem::remove(p + ".corrupt");
    return p;
}

TEST(Baseline, QuietDuringLearningThenFirstSeenAnomalies) {
    Harness h(kFirstSeen);
    h.feed({dce(C, S, kSamr, 5, 0), dce(C, S, kSamr, 17, 30), smbPipe(C, S, "samr", 31)});  // not enumeration-class calls
    EXPECT_TRUE(h.sink.out.empty());  // everything during learning is learned silently
    h.feed({dce(C, S, kSamr, 5, 100), smbPipe(C, S, "samr", 101)});
    EXPECT_TRUE(h.sink.out.empty());  // known behaviour after learning
    h.feed({dce(C, S, kSamr, 13, 120)});
    EXPECT_EQ(h.count(kSidNewClientOp), 1);
    EXPECT_EQ(h.count(kSidNewServerOp), 1);
    const Json& a = *h.first(kSidNewClientOp);
    EXPECT_EQ(a["alert"]["kind"], "anomaly");
    EXPECT_EQ(a["alert"]["severity"], 3);
    EXPECT_EQ(a["alert"]["baseline"]["item"], std::string("dcerpc:") + kSamr + ":13");
    EXPECT_EQ(a["rpc"]["opnum"], 13);
    h.feed({smbPipe(C, S, "svcctl", 121)});
    EXPECT_EQ(h.count(kSidNewClientPipe), 1);
    // A host never seen before starts its own learning; the server it contacts reports it.
    h.feed({dce("10.5.0.99", S, kSamr, 5, 130)});
    EXPECT_EQ(h.count(kSidNewServerPeer), 1);
    EXPECT_EQ(h.count(kSidNewClientOp), 1);
    // ONC pairs are (program, procedure).
    h.feed({onc(C, S, 100003, 3, 1, 140)});
    EXPECT_EQ(h.count(kSidNewClientOp), 2);
    EXPECT_EQ((*h.d).stats()["baseline"]["clients"], 2);
}

TEST(Baseline, SurvivesRestartWithoutRealerting) {
    std::string state = tmpFile("detect_state.json");
    {
        Harness h(kFirstSeen, state);
        h.feed({dce(C, S, kSamr, 5, 0), dce(C, S, kSamr, 13, 100)});
        EXPECT_EQ(h.count(kSidNewClientOp), 1);
        ASSERT_TRUE(h.d->saveState());
        EXPECT_FALSE(std::filesystem::exists(state + ".tmp"));
    }
    Harness h2(kFirstSeen, state);
    EXPECT_TRUE(h2.d->stateLoadError().empty());
    EXPECT_EQ(h2.d->stats()["state"]["loaded"], true);
    h2.feed({dce(C, S, kSamr, 13, 200), dce(C, S, kSamr, 5, 201)});
    EXPECT_EQ(h2.count(kSidNewClientOp), 0);  // learned before the restart
    h2.feed({dce(C, S, kSamr, 34, 202)});
    EXPECT_EQ(h2.count(kSidNewClientOp), 1);
}

TEST(Baseline, CorruptStateFileIsReportedMovedAsideAndStartsFresh) {
    std::string state = tmpFile("detect_corrupt.json");
    std::ofstream(state) << "{\"format\":\"rpcmon-detect-state\",\"version\":1,\"baselines\":{\"clients\":[";
    Harness h(kFirstSeen, state);
    EXPECT_NE(h.d->stateLoadError().find(state), std::string::npos);
    EXPECT_EQ(h.d->stats()["state"]["load_errors"], 1);
    EXPECT_EQ(h.d->stats()["state"]["loaded"], false);
    EXPECT_TRUE(std::filesystem::exists(state + ".corrupt"));
    h.feed({dce(C, S, kSamr, 5, 0)});
    EXPECT_TRUE(h.d->saveState());
    Harness h2(kFirstSeen, state);
    EXPECT_TRUE(h2.d->stateLoadError().empty());
}

TEST(Baseline, WrongFormatOrVersionIsRejected) {
    std::string state = tmpFile("detect_version.json");
    std::ofstream(state) << R"({"format":"rpcmon-detect-state","version":99,"baselines":{}})";
    Harness h(kFirstSeen, state);
    EXPECT_NE(h.d->stateLoadError().find("unsupported state version 99"), std::string::npos);
}

TEST(Baseline, RateDeviation) {
    Harness h("  learning_period: 0\n  new_operation: false\n  new_peer: false\n  error_ratio: false\n"
              "  bucket: 10\n  min_buckets: 5\n  min_calls: 20\n  rate_sigma: 4\n");
    std::vector<Json> v;
    double t = 0;
    for (int b = 0; b < 20; b++)
        for (int i = 0; i < 5; i++) v.push_back(dce(C, S, kSamr, 1, b * 10 + i * 1.5));
    for (int i = 0; i < 200; i++) v.push_back(dce(C, S, kSamr, 1, 200 + i * 0.04));
    h.feed(v);
    EXPECT_EQ(h.count(kSidRateDeviation), 0);  // the burst bucket has not closed yet
    h.d->onTick(parseTimestamp(ts(215)).value());
    ASSERT_EQ(h.count(kSidRateDeviation), 2);  // client and server side
    const Json& a = *h.first(kSidRateDeviation);
    EXPECT_EQ(a["alert"]["baseline"]["calls"], 200);
    EXPECT_NEAR(a["alert"]["baseline"]["ewma_mean"].get<double>(), 5.0, 0.5);
    (void)t;
}

TEST(Baseline, SteadyRateIsQuiet) {
    Harness h("  learning_period: 0\n  new_operation: false\n  new_peer: false\n  bucket: 10\n  min_buckets: 5\n"
              "  min_calls: 5\n");
    std::vector<Json> v;
    for (int b = 0; b < 50; b++)
        for (int i = 0; i < 6 + (b % 3); i++) v.push_back(dce(C, S, kSamr, 1, b * 10 + i));
    h.feed(v);
    h.d->onTick(parseTimestamp(ts(600)).value());
    EXPECT_TRUE(h.sink.out.empty()) << h.sink.out[0].dump();
}

TEST(Baseline, ErrorRatioDeviation) {
    Harness h("  learning_period: 0\n  new_operation: false\n  new_peer: false\n  rate: false\n  bucket: 10\n"
              "  min_error_calls: 10\n  error_ratio_delta: 0.3\n");
    std::vector<Json> v;
    for (int b = 0; b < 10; b++)
        for (int i = 0; i < 12; i++) v.push_back(dce(C, S, kSamr, 1, b * 10 + i * 0.5));
    for (int i = 0; i < 12; i++) {
        Json r = dce(C, S, kSamr, 1, 100 + i * 0.5);
        r["rpc"]["reply"] = {{"packet_type", "fault"}, {"status", "0x1c010002"}};
        v.push_back(r);
    }
    v.push_back(dce(C, S, kSamr, 1, 111));
    h.feed(v);
    EXPECT_EQ(h.count(kSidErrorRatioDeviation), 2);
    EXPECT_EQ((*h.first(kSidErrorRatioDeviation))["alert"]["baseline"]["ratio"], 1.0);
}

TEST(Baseline, BoundedHostsAndItems) {
    std::string state = tmpFile("detect_bounded.json");
    Harness h("  learning_period: 0\n  max_hosts: 3\n  max_items: 4\n  suppress: 0\n", state);
    std::vector<Json> v;
    for (int i = 0; i < 50; i++) v.push_back(dce("10.6.0." + std::to_string(i), S, kSamr, i, i));
    h.feed(v);
    Json st = h.d->stats()["baseline"];
    EXPECT_LE(st["clients"].get<int>(), 3);
    EXPECT_LE(st["servers"].get<int>(), 3);
    EXPECT_GT(st["hosts_evicted"].get<int>(), 0);
    EXPECT_GT(st["items_evicted"].get<int>(), 0);
    ASSERT_TRUE(h.d->saveState());
    EXPECT_LT(std::filesystem::file_size(state), 8000u);
}

}  // namespace
}  // namespace rpcmon::detect::test
