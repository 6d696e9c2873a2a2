// SPDX-License-Identifier: Apache-2.0
// Hostile traffic through the whole offline pipeline (the kernel's classifier compiled for user
// space, the stream layer, the protocol layers): floods and hostile lengths must end in named
// counters and bounded state, and legitimate calls arriving during the attack must still be
// reported.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "capture/offline_classifier.h"
#include "cli/limits.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "support/packet_builder.h"

using namespace rpcmon;
using rpcmon::test::PacketBuilder;

namespace {

constexpr TimeNs kSec = 1000000000ull;

// Keeps the most recent rpc records (bounded, so floods do not make the test itself grow).
struct CountingSink : RecordSink {
    std::deque<Json> rpc;
    uint64_t total = 0;
    void emit(Json&& r) override {
        total++;
        if (r["event_type"] != "rpc") return;
        rpc.push_back(std::move(r));
        if (rpc.size() > 1000) rpc.pop_front();
    }
};

struct NullLearner : EndpointLearner {
    void learn(const LearnedEndpoint&) override {}
};

// Under AddressSanitizer, freed memory sits in a quarantine and shadow memory is mapped, so RSS
// says nothing about our own bounds there; the structural bounds are still asserted.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssBudgetKb = 1L << 40;
#else
constexpr long kRssBudgetKb = 64 * 1024;  // 64 MiB of growth per attack
#endif

long maxRssKb() {
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

std::vector<uint8_t> be32s(std::initializer_list<uint32_t> words) {
    std::vector<uint8_t> v;
    for (uint32_t w : words) {
        v.push_back(uint8_t(w >> 24)); v.push_back(uint8_t(w >> 16)); v.push_back(uint8_t(w >> 8)); v.push_back(uint8_t(w));
    }
    return v;
}

// Drives frames through classifier + pipeline as `rpcmon analyze` does.
struct Harness {
    explicit Harness(PipelineOptions o = {}) : pipe(o, sink, learner, makeDissectors(o.dissectors)) {}
    void frame(const std::vector<uint8_t>& f) {
        ts += 1000;  // 1 us apart
        if (cls.classify(f, ts, rec))
            OfflineClassifier::forEachRecord(rec, [&](std::span<const uint8_t> r) { pipe.onRecord(r, ts); });
        if ((++n & 1023) == 0) pipe.onIdle(ts);
    }
    uint64_t anomaly(const std::string& name) const {
        Json a = pipe.stats()["anomalies"];
        return a.contains(name) ? a[name].get<uint64_t>() : 0;
    }
    // `calls` NFSv3 NULL calls without replies on one connection from client port 801.
    void xidFlood(uint32_t calls) {
        frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(801, 2049, 1, 0x02).build());
        uint32_t seq = 2;
        for (uint32_t xid = 0; xid < calls; xid++) {
            auto call = test::oncCallTcp(xid, 100003, 3, 0);
            frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(801, 2049, seq, 0x18).payload(call).build());
            seq += uint32_t(call.size());
        }
    }
    // A legitimate NFSv3 NULL call + reply on a fresh connection: must be reported.
    bool legitimateCallReported(uint16_t client_port, uint32_t xid) {
        auto call = test::oncCallTcp(xid, 100003, 3, 0);
        frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(client_port, 2049, 1, 0x02).build());
        frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(client_port, 2049, 2, 0x18).payload(call).build());
        auto reply = be32s({0x80000018u, xid, 1, 0, 0, 0, 0});
        frame(PacketBuilder().ipv4("10.9.0.2", "10.9.0.1").tcp(2049, client_port, 100, 0x18).payload(reply).build());
        for (const Json& r : sink.rpc)
            if (r["rpc"]["xid"] == xid && !r["rpc"]["reply"].is_null() && r["src_port"] == client_port) return true;
        return false;
    }
    CountingSink sink;
    NullLearner learner;
    OfflineClassifier cls;
    Pipeline pipe;
    std::vector<uint8_t> rec;
    TimeNs ts = 1700000000ull * kSec;
    uint64_t n = 0;
};

TEST(HostileTraffic, SynFloodIsBoundedByTheFlowTable) {
    PipelineOptions o;
    o.flows.max_flows = 2000;
    Harness h(o);
    long rss0 = maxRssKb();
    for (uint32_t i = 0; i < 100000; i++) {
        std::string src = "10.8." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
        h.frame(PacketBuilder().ipv4(src, "10.9.0.2").tcp(uint16_t(1024 + i % 60000), 2049, i, 0x02).build());
    }
    Json st = h.pipe.stats();
    EXPECT_LE(st["flows"]["active"].get<uint64_t>(), 2000u);
    EXPECT_GE(h.anomaly("flow.evicted_table_full"), 98000u);
    EXPECT_TRUE(h.legitimateCallReported(700, 0xabc)) << "a call during the flood was lost";
    EXPECT_LT(maxRssKb() - rss0, kRssBudgetKb) << "SYN flood grew memory by more than 64 MiB";
}

TEST(HostileTraffic, HugeRecordMarkIsCountedAndTheFlowRecovers) {
    Harness h;
    // A valid call (the stream is in sync), then a record mark claiming 2 GiB followed by
    // garbage, then a real call on the same connection.
    auto first = test::oncCallTcp(0x76, 100003, 3, 0);
    auto bad = be32s({0xFFFFFFFFu, 1, 0, 2, 100003, 3, 0});
    auto call = test::oncCallTcp(0x77, 100003, 3, 0);
    uint32_t seq = 2;
    h.frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(800, 2049, 1, 0x02).build());
    for (const auto* p : {&first, &bad, &call}) {
        h.frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.2").tcp(800, 2049, seq, 0x18).payload(*p).build());
        seq += uint32_t(p->size());
    }
    h.pipe.finish(h.ts);
    EXPECT_GT(h.anomaly("onc.bad_record_mark") + h.anomaly("onc.record_too_large"), 0u);
    std::set<uint64_t> xids;
    for (const Json& r : h.sink.rpc) xids.insert(r["rpc"]["xid"].get<uint64_t>());
    EXPECT_EQ(xids, (std::set<uint64_t>{0x76, 0x77})) << "the call after the hostile record mark was not found by resync";
}

TEST(HostileTraffic, XidFloodWithoutRepliesIsBounded) {
    Harness h;
    long rss0 = maxRssKb();
    h.xidFlood(50000);
    EXPECT_GT(h.anomaly("onc.pending_evicted"), 40000u) << "pending calls must be bounded (oldest reported)";
    EXPECT_GT(h.sink.total, 40000u) << "evicted calls are reported with reply null, not dropped";
    EXPECT_TRUE(h.legitimateCallReported(802, 0xdef));
    EXPECT_LT(maxRssKb() - rss0, kRssBudgetKb);
}

// DCE/RPC bind with 10 000 context items claimed, then an endless chain of request fragments
// without the last-fragment flag.
TEST(HostileTraffic, DceBindFloodAndEndlessFragmentsAreBounded) {
    Harness h;
    long rss0 = maxRssKb();
    h.frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.3").tcp(900, 135, 1, 0x02).build());
    uint32_t seq = 2;
    auto send = [&](const std::vector<uint8_t>& pdu) {
        h.frame(PacketBuilder().ipv4("10.9.0.1", "10.9.0.3").tcp(900, 135, seq, 0x18).payload(pdu).build());
        seq += uint32_t(pdu.size());
    };
    // bind: 16-byte header + max_xmit/max_recv/assoc (8) + n_context_elem claimed 0xFF..
    std::vector<uint8_t> bind = {5, 0, 11, 0x03, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                                 0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0xFF, 0, 0, 0};
    bind.resize(1024, 0x41);
    bind[8] = uint8_t(bind.size() & 0xff);
    bind[9] = uint8_t(bind.size() >> 8);
    send(bind);
    for (int i = 0; i < 20000; i++) {
        // request, flags = first fragment only (never last), frag_len 1024, call_id 2
        std::vector<uint8_t> req = {5, 0, 0, uint8_t(i == 0 ? 0x01 : 0x00), 0x10, 0, 0, 0, 0, 4, 0, 0, 2, 0, 0, 0,
                                    0, 0, 1, 0, 0, 0, 0, 0};
        req.resize(1024, 0x42);
        send(req);
    }
    h.pipe.finish(h.ts);
    uint64_t named = 0;
    for (const char* a : {"dcerpc.bind_invalid", "dcerpc.reassembly_limit", "dcerpc.unknown_context",
                          "dcerpc.orphan_fragment", "dcerpc.context_table_full"})
        named += h.anomaly(a);
    EXPECT_GT(named, 0u) << h.pipe.stats()["anomalies"].dump();
    EXPECT_LT(maxRssKb() - rss0, kRssBudgetKb) << "20 MB of fragments must not be held";
    EXPECT_TRUE(h.legitimateCallReported(803, 0x1234));
}

// The memory cap: above limits.memory_mb every tick ends the least recently seen half of the
// flows (pending calls reported), one warning and one memory.cap_exceeded per episode.
TEST(HostileTraffic, MemoryCapShedsTheLeastRecentlySeenHalfOfTheFlows) {
    uint64_t rss = 10 * 1024;  // below the cap while the flows are set up
    PipelineOptions o;
    o.memory_limit_kb = 64 * 1024;
    o.rss_kb_probe = [&] { return rss; };
    Harness h(o);
    // 1000 flows with an unanswered call each, one after the other (the first is the least recent).
    for (uint32_t i = 0; i < 1000; i++) {
        std::string src = "10.7." + std::to_string(i >> 8) + "." + std::to_string(i & 255);
        h.frame(PacketBuilder().ipv4(src, "10.9.0.2").tcp(2000, 2049, 1, 0x02).build());
        h.frame(PacketBuilder().ipv4(src, "10.9.0.2").tcp(2000, 2049, 2, 0x18).payload(test::oncCallTcp(i, 100003, 3, 0)).build());
    }
    ASSERT_EQ(h.pipe.stats()["flows"]["active"], 1000u);
    EXPECT_EQ(h.anomaly("memory.cap_exceeded"), 0u);
    h.sink.rpc.clear();
    rss = 100 * 1024;
    h.ts += 2 * kSec;
    h.pipe.onIdle(h.ts);  // above the cap: episode 1, half the flows end
    EXPECT_EQ(h.anomaly("memory.cap_exceeded"), 1u);
    EXPECT_EQ(h.anomaly("memory.flows_shed"), 500u);
    EXPECT_EQ(h.pipe.stats()["flows"]["active"], 500u);
    std::set<uint64_t> shed;
    for (const Json& r : h.sink.rpc) {
        EXPECT_TRUE(r["rpc"]["reply"].is_null());
        shed.insert(r["rpc"]["xid"].get<uint64_t>());
    }
    ASSERT_EQ(shed.size(), 500u) << "the pending call of every shed flow is reported";
    EXPECT_EQ(*shed.rbegin(), 499u) << "the least recently seen flows are the ones shed";
    h.ts += 2 * kSec;
    h.pipe.onIdle(h.ts);  // still above: same episode, shed again
    EXPECT_EQ(h.anomaly("memory.cap_exceeded"), 1u);
    EXPECT_EQ(h.anomaly("memory.flows_shed"), 750u);
    rss = 10 * 1024;
    h.ts += 2 * kSec;
    h.pipe.onIdle(h.ts);  // below: episode over, nothing shed
    EXPECT_EQ(h.anomaly("memory.flows_shed"), 750u);
    EXPECT_TRUE(h.legitimateCallReported(700, 0xabc));
    rss = 100 * 1024;
    h.ts += 2 * kSec;
    h.pipe.onIdle(h.ts);  // a second episode
    EXPECT_EQ(h.anomaly("memory.cap_exceeded"), 2u);
    Json m = h.pipe.stats()["memory"];
    EXPECT_EQ(m["limit_kb"], 64u * 1024);
    EXPECT_GT(m["rss_kb"].get<uint64_t>(), 0u);
    EXPECT_GE(m["max_rss_kb"].get<uint64_t>(), 1u);
}

TEST(HostileTraffic, NoMemoryCapWhenZero) {
    PipelineOptions o;
    o.memory_limit_kb = 0;
    o.rss_kb_probe = [] { return uint64_t(1) << 40; };
    Harness h(o);
    h.frame(PacketBuilder().ipv4("10.7.0.1", "10.9.0.2").tcp(2000, 2049, 1, 0x02).build());
    h.ts += 2 * kSec;
    h.pipe.onIdle(h.ts);
    EXPECT_EQ(h.anomaly("memory.cap_exceeded"), 0u);
    EXPECT_EQ(h.pipe.stats()["flows"]["active"], 1u);
}

// The shipped example documents the built-in defaults: applying it changes nothing.
TEST(HostileTraffic, ExampleLimitsAreTheDefaults) {
    PipelineOptions d, o;
    applyLimits(detect::loadConfig(std::string(RPCMON_SOURCE_DIR) + "/config/rules.example.yaml").runtime, o);
    EXPECT_EQ(o.memory_limit_kb, d.memory_limit_kb);
    EXPECT_EQ(o.flows.max_flows, d.flows.max_flows);
    EXPECT_EQ(o.flows.tcp_idle_ns, d.flows.tcp_idle_ns);
    EXPECT_EQ(o.flows.udp_idle_ns, d.flows.udp_idle_ns);
    EXPECT_EQ(o.flows.reassembly.max_pending, d.flows.reassembly.max_pending);
    EXPECT_EQ(o.flows.reassembly.max_out_of_order, d.flows.reassembly.max_out_of_order);
    EXPECT_EQ(o.flows.reassembly.max_out_of_order_segments, d.flows.reassembly.max_out_of_order_segments);
    EXPECT_EQ(o.flows.reassembly_budget, d.flows.reassembly_budget);
    for (const ProtocolDescriptor& p : protocolDescriptors())
        for (const ProtocolLimit& l : p.limits) EXPECT_EQ(l.field(o.dissectors), l.field(d.dissectors)) << l.key;
}

// limits.protocols reach the protocol layers.
TEST(HostileTraffic, OncPendingCallsLimitIsConfigurable) {
    PipelineOptions o;
    o.dissectors.onc.max_pending = 10;
    Harness h(o);
    h.xidFlood(100);
    EXPECT_EQ(h.anomaly("onc.pending_evicted"), 90u);
}

}  // namespace
