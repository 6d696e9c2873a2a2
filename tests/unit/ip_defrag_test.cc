// SPDX-License-Identifier: Apache-2.0
// IP fragment reassembly (userspace/stream/ip_defrag.h), checksum verdicts
// (userspace/stream/checksum.h), TCP overlaps that disagree, and the live consumption path:
// RPCMON_REC_IP_FRAGMENT records built by hand, fed to the Pipeline, come out as rpc records.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "capture/offline_classifier.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "stream/checksum.h"
#include "stream/ip_defrag.h"
#include "stream/tcp_reassembler.h"
#include "support/fragmenter.h"
#include "support/packet_builder.h"

using namespace rpcmon;
using rpcmon::test::PacketBuilder;
using namespace rpcmon::test;

namespace {

constexpr TimeNs kSec = 1000000000ull;
using Frame = std::vector<uint8_t>;

struct Counter : AnomalyCounter {
    std::map<std::string, uint64_t> n;
    void count(const char* name, uint64_t k) override { n[name] += k; }
    uint64_t operator[](const std::string& k) const { return n.count(k) ? n.at(k) : 0; }
};

Frame udpCall(bool v6 = false, size_t pad = 400) {
    auto payload = test::oncCallUdp(0x11223344, 100003, 3, 0);
    payload.resize(payload.size() + pad, 0x5a);
    PacketBuilder b;
    if (v6) b.ipv6("fd00::1", "fd00::2");
    else b.ipv4("10.1.0.1", "10.1.0.2");
    Frame f = b.udp(800, 2049).payload(payload).build();
    fixL4Checksum(f);
    return f;
}

struct DefragFixture : ::testing::Test {
    Counter c;
    DefragLimits limits;
    Frame out;
};

TEST_F(DefragFixture, WholeDatagramsAreNotFragments) {
    IpDefrag d(limits, c);
    EXPECT_EQ(d.offer(udpCall(), 0, out), IpDefrag::Result::NotFragment);
    EXPECT_EQ(d.offer(udpCall(true), 0, out), IpDefrag::Result::NotFragment);
    // An IPv6 atomic fragment (offset 0, M clear) is a whole datagram (RFC 6946).
    auto atomic = fragmentV6(udpCall(true), 4096);
    ASSERT_EQ(atomic.size(), 1u);
    EXPECT_EQ(d.offer(atomic[0], 0, out), IpDefrag::Result::NotFragment);
    EXPECT_EQ(c["defrag.fragments"], 0u);
}

TEST_F(DefragFixture, Ipv4InOrderAndReversedGiveTheOriginalFrame) {
    for (bool reverse : {false, true}) {
        Counter cc;
        IpDefrag d(limits, cc);
        Frame orig = udpCall();
        auto frags = fragmentV4(orig, 184);
        ASSERT_GT(frags.size(), 2u);
        if (reverse) std::reverse(frags.begin(), frags.end());
        for (size_t i = 0; i + 1 < frags.size(); i++) EXPECT_EQ(d.offer(frags[i], i, out), IpDefrag::Result::Held);
        ASSERT_EQ(d.offer(frags.back(), 9, out), IpDefrag::Result::Complete);
        EXPECT_EQ(out, orig) << "reverse=" << reverse;
        EXPECT_EQ(d.datagrams(), 0u);
        EXPECT_EQ(d.heldBytes(), 0u);
        EXPECT_EQ(cc["defrag.datagrams"], 1u);
        EXPECT_EQ(cc["defrag.fragments"], frags.size());
    }
}

TEST_F(DefragFixture, Ipv6TinyFragmentsOutOfOrderGiveTheOriginalFrame) {
    IpDefrag d(limits, c);
    Frame orig = udpCall(true);
    auto frags = fragmentV6(orig, 24);
    std::swap(frags[0], frags[3]);
    std::swap(frags[1], frags.back());
    IpDefrag::Result r = IpDefrag::Result::Held;
    for (auto& f : frags) r = d.offer(f, 0, out);
    ASSERT_EQ(r, IpDefrag::Result::Complete);
    EXPECT_EQ(out, orig);
}

TEST_F(DefragFixture, DuplicateInsideQueuedDataIsIgnoredFirstCopyWins) {
    IpDefrag d(limits, c);
    Frame orig = udpCall();
    auto frags = fragmentV4(orig, 96);
    ASSERT_GE(frags.size(), 4u);
    EXPECT_EQ(d.offer(frags[0], 0, out), IpDefrag::Result::Held);
    EXPECT_EQ(d.offer(frags[1], 0, out), IpDefrag::Result::Held);
    // Exact duplicate, then a copy of fragment 1 with other bytes: both ignored (Linux
    // IPFRAG_DUP), the queue is kept and the first bytes stay.
    EXPECT_EQ(d.offer(frags[1], 0, out), IpDefrag::Result::Dropped);
    Frame liar = frags[1];
    liar[liar.size() - 5] ^= 0xff;
    EXPECT_EQ(d.offer(liar, 0, out), IpDefrag::Result::Dropped);
    IpDefrag::Result r = IpDefrag::Result::Held;
    for (size_t i = 2; i < frags.size(); i++) r = d.offer(frags[i], 0, out);
    ASSERT_EQ(r, IpDefrag::Result::Complete);
    EXPECT_EQ(out, orig);
    EXPECT_EQ(c["defrag.duplicates"], 2u);
    EXPECT_EQ(c["defrag.duplicate_mismatch"], 1u);
}

TEST_F(DefragFixture, PartialOverlapDropsTheWholeDatagram) {
    for (bool v6 : {false, true}) {
        Counter cc;
        IpDefrag d(limits, cc);
        Frame orig = udpCall(v6);
        auto small = v6 ? fragmentV6(orig, 96) : fragmentV4(orig, 96);
        auto big = v6 ? fragmentV6(orig, 192) : fragmentV4(orig, 192);
        EXPECT_EQ(d.offer(small[0], 0, out), IpDefrag::Result::Held);
        EXPECT_EQ(d.offer(small[2], 0, out), IpDefrag::Result::Held);  // bytes 192..288
        // Bytes 192..384 start inside the last run (192..288) and go past it: overlap.
        EXPECT_EQ(d.offer(big[1], 0, out), IpDefrag::Result::Dropped);
        EXPECT_EQ(cc["defrag.overlaps"], 1u) << "v6=" << v6;
        EXPECT_EQ(d.datagrams(), 0u);
        EXPECT_EQ(d.heldBytes(), 0u);
        // The rest does not complete anything: the datagram is gone (a new queue starts).
        IpDefrag::Result r = IpDefrag::Result::Held;
        for (size_t i = 1; i < small.size(); i++) r = d.offer(small[i], 0, out);
        EXPECT_NE(r, IpDefrag::Result::Complete);
    }
}

TEST_F(DefragFixture, TimeoutsTooManyFragmentsAndBadLengthsAreCounted) {
    limits.max_fragments = 8;
    IpDefrag d(limits, c);
    Frame orig = udpCall();
    auto frags = fragmentV4(orig, 184);
    EXPECT_EQ(d.offer(frags[0], 1 * kSec, out), IpDefrag::Result::Held);
    d.expire(30 * kSec);
    EXPECT_EQ(d.datagrams(), 1u);
    d.expire(31 * kSec);  // ipfrag_time 30 s after the first fragment
    EXPECT_EQ(d.datagrams(), 0u);
    EXPECT_EQ(c["defrag.timeouts"], 1u);

    auto tiny = fragmentV4(orig, 24, 8);
    ASSERT_GT(tiny.size(), 8u);
    IpDefrag::Result r = IpDefrag::Result::Held;
    for (auto& f : tiny) r = d.offer(f, 40 * kSec, out);
    EXPECT_NE(r, IpDefrag::Result::Complete);
    // Each time the limit is hit the datagram goes; its later fragments start a new one.
    EXPECT_GE(c["defrag.too_many_fragments"], 1u);
    d.expire(1000 * kSec);
    EXPECT_EQ(d.datagrams(), 0u);

    // A second last fragment with another end: corrupt, the datagram goes.
    auto a = fragmentV4(orig, 184, 9);
    EXPECT_EQ(d.offer(a.back(), 1000 * kSec, out), IpDefrag::Result::Held);
    Frame shorter = a.back();
    put16(&shorter[16], uint16_t(be16(&shorter[16]) - 8));
    shorter.resize(shorter.size() - 8);
    EXPECT_EQ(d.offer(shorter, 1000 * kSec, out), IpDefrag::Result::Dropped);
    EXPECT_EQ(c["defrag.bad_length"], 1u);
    EXPECT_EQ(d.datagrams(), 0u);

    // Cut by the snap length: cannot be reassembled.
    Frame cut = a[0];
    cut.resize(cut.size() - 10);
    EXPECT_EQ(d.offer(cut, 1000 * kSec, out), IpDefrag::Result::Dropped);
    EXPECT_EQ(c["defrag.truncated"], 1u);
}

TEST_F(DefragFixture, FloodOfIncompleteDatagramsStaysWithinItsBudget) {
    limits.max_bytes = 64 << 10;
    limits.max_datagrams = 100000;
    IpDefrag d(limits, c);
    Frame orig = udpCall(false, 1200);
    for (uint32_t id = 0; id < 5000; id++) {
        auto frags = fragmentV4(orig, 512, uint16_t(id));
        d.offer(frags[0], 0, out);  // first fragments only: never complete
        ASSERT_LE(d.heldBytes(), limits.max_bytes);
    }
    EXPECT_GT(c["defrag.memory_limit"], 0u);
    // A complete datagram is refused while the budget is full (as the host refuses it), and
    // accepted again once the flood has timed out.
    auto ok = fragmentV4(orig, 512, 60000);
    d.expire(31 * kSec);
    EXPECT_EQ(d.heldBytes(), 0u);
    IpDefrag::Result r = IpDefrag::Result::Held;
    for (auto& f : ok) r = d.offer(f, 32 * kSec, out);
    EXPECT_EQ(r, IpDefrag::Result::Complete);

    limits.max_datagrams = 10;
    IpDefrag small(limits, c);
    for (uint16_t id = 0; id < 20; id++) small.offer(fragmentV4(orig, 512, id)[0], 0, out);
    EXPECT_EQ(small.datagrams(), 10u);
    EXPECT_EQ(c["defrag.table_full"], 10u);
}

TEST(Checksums, BadOffloadedAndOff) {
    Counter c;
    Frame good = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 445).payloadSize(50).build();
    fixL4Checksum(good);
    EXPECT_TRUE(checksumsAccept(good, ChecksumMode::On, c));
    Frame bad = good;
    bad[14 + 20 + 16] ^= 0x55;
    EXPECT_FALSE(checksumsAccept(bad, ChecksumMode::On, c));
    EXPECT_FALSE(checksumsAccept(bad, ChecksumMode::Auto, c));
    EXPECT_TRUE(checksumsAccept(bad, ChecksumMode::Off, c));
    EXPECT_EQ(c["tcp.bad_checksum"], 2u);
    // Transmit offload: the field holds the pseudo-header sum only.
    Frame partial = good;
    uint32_t pseudo = onesComplementAdd(0, Bytes(&partial[26], 8)) + 6 + 70;
    while (pseudo >> 16) pseudo = (pseudo & 0xffff) + (pseudo >> 16);
    put16(&partial[14 + 20 + 16], uint16_t(pseudo));
    EXPECT_TRUE(checksumsAccept(partial, ChecksumMode::Auto, c));
    EXPECT_FALSE(checksumsAccept(partial, ChecksumMode::On, c));
    EXPECT_EQ(c["tcp.checksum_offloaded"], 1u);
    // IPv4 header checksum.
    Frame badip = good;
    badip[14 + 8] ^= 1;  // TTL changed, checksum not
    EXPECT_FALSE(checksumsAccept(badip, ChecksumMode::Auto, c));
    EXPECT_EQ(c["ip.bad_checksum"], 1u);
    // UDP over IPv4 without a checksum is fine; IPv6 UDP must carry one.
    Frame u4 = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").udp(800, 111).payloadSize(40).build();
    EXPECT_TRUE(checksumsAccept(u4, ChecksumMode::On, c));
    Frame u6 = udpCall(true);
    EXPECT_TRUE(checksumsAccept(u6, ChecksumMode::On, c));
    u6[u6.size() - 1] ^= 1;
    EXPECT_FALSE(checksumsAccept(u6, ChecksumMode::On, c));
    EXPECT_EQ(c["udp.bad_checksum"], 1u);
}

// The TCP overlap policy: bytes queued first win (Linux tcp_data_queue), and a copy that says
// something else is counted.
Bytes str(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST(TcpOverlap, FirstCopyWinsAndMismatchIsCounted) {
    // Consumer that never consumes: every delivered byte stays held, so overlaps are checked.
    struct Hold : StreamConsumer {
        std::string seen;
        size_t onData(Direction, Bytes d, TimeNs) override {
            seen.assign(d.begin(), d.end());
            return 0;
        }
        void onGap(Direction, uint64_t) override {}
        void onDatagram(Direction, Bytes, TimeNs) override {}
        void onTick(TimeNs) override {}
        void onClose(TimeNs) override {}
    } hold;
    Counter c;
    ReassemblyLimits lim;
    ReassemblyBudget budget;
    TcpReassembler r(Direction::ToServer, lim, budget, c);
    r.segment(1000, 0x02, {}, 0, 0, hold);  // SYN
    r.segment(1001, 0x18, str("ABCDEFGH"), 8, 0, hold);
    r.segment(1005, 0x18, str("XXXXIJKL"), 8, 0, hold);  // overlaps EFGH with other bytes
    EXPECT_EQ(hold.seen, "ABCDEFGHIJKL");
    EXPECT_EQ(c["tcp.overlap_mismatch"], 1u);
    r.segment(1001, 0x18, str("ABCD"), 4, 0, hold);  // an honest retransmission
    EXPECT_EQ(c["tcp.overlap_mismatch"], 1u);
    // Out of order: a later copy over held bytes.
    r.segment(1020, 0x18, str("uvwx"), 4, 0, hold);
    r.segment(1018, 0x18, str("stUVwx"), 6, 0, hold);
    EXPECT_EQ(c["tcp.overlap_mismatch"], 2u);
}

// The live consumption path: fragment records (as the kernel programs emit them) in, rpc out.
struct Sink : RecordSink {
    std::vector<Json> rpc;
    void emit(Json&& r) override {
        if (r["event_type"] == "rpc") rpc.push_back(std::move(r));
    }
};
struct NoLearner : EndpointLearner {
    void learn(const LearnedEndpoint&) override {}
};

Frame frameRecord(const Frame& frame, uint8_t hook, uint32_t ifindex) {
    rpcmon_frame_record fr{};
    fr.hdr.type = RPCMON_REC_IP_FRAGMENT;
    fr.hdr.size = uint32_t(sizeof fr + frame.size());
    fr.ifindex = ifindex;
    fr.hook = hook;
    fr.frame_len = fr.captured_len = uint32_t(frame.size());
    Frame rec(sizeof fr);
    std::memcpy(rec.data(), &fr, sizeof fr);
    rec.insert(rec.end(), frame.begin(), frame.end());
    return rec;
}

TEST(PipelineFragments, FragmentRecordsBecomeRpcRecords) {
    for (bool v6 : {false, true}) {
        Sink sink;
        NoLearner learner;
        PipelineOptions o;
        Pipeline pipe(o, sink, learner, makeDissectors(o.dissectors));
        Frame call = udpCall(v6, 600);
        auto frags = v6 ? fragmentV6(call, 24) : fragmentV4(call, 184);
        std::reverse(frags.begin(), frags.end());
        for (auto& f : frags) pipe.onRecord(frameRecord(f, RPCMON_HOOK_XDP, 3), 5 * kSec);
        // A fragment record cut short of its frame is counted, not reassembled.
        Frame cut = frameRecord(frags[0], RPCMON_HOOK_XDP, 3);
        cut.resize(cut.size() - 4);
        pipe.onRecord(cut, 5 * kSec);
        pipe.finish(6 * kSec);
        ASSERT_EQ(sink.rpc.size(), 1u) << "v6=" << v6;
        EXPECT_EQ(sink.rpc[0]["rpc"]["xid"], 0x11223344u);
        EXPECT_EQ(sink.rpc[0]["rpc"]["program"], 100003u);
        Json st = pipe.stats();
        EXPECT_EQ(st["anomalies"]["defrag.datagrams"], 1u);
        EXPECT_EQ(st["anomalies"]["defrag.fragments"], frags.size());
        EXPECT_EQ(st["bad_record_sizes"], 1u);
        EXPECT_EQ(st["defrag"]["held_datagrams"], 0u);
    }
}

TEST(PipelineFragments, BadChecksumDatagramIsDroppedAsTheHostWould) {
    Sink sink;
    NoLearner learner;
    PipelineOptions o;
    Pipeline pipe(o, sink, learner, makeDissectors(o.dissectors));
    Frame call = udpCall(false, 600);
    call[call.size() - 1] ^= 0x01;  // payload changed, UDP checksum not
    for (auto& f : fragmentV4(call, 184)) pipe.onRecord(frameRecord(f, RPCMON_HOOK_XDP, 3), kSec);
    pipe.finish(2 * kSec);
    EXPECT_TRUE(sink.rpc.empty());
    EXPECT_EQ(pipe.stats()["anomalies"]["udp.bad_checksum"], 1u);
}


// The agent's side of checksums (stream/checksum.h RecordChecksums): packet records as the
// kernel hands them over, with its checksum verdict in the header flags, through the pipeline.
struct LiveChecksumFixture : ::testing::Test {
    Sink sink;
    NoLearner learner;
    PipelineOptions o;
    Pipeline pipe{o, sink, learner, makeDissectors(o.dissectors)};
    Counter counters;
    RecordChecksums judge{counters, {8, 1u << 20, 10 * kSec}};
    OfflineClassifier cls{RPCMON_OFFLINE_MAX_SNAPLEN, false};
    uint32_t cseq = 1000, sseq = 9000;

    // The kernel's record for `frame` (hook XDP), with verdict `csum`, through the judge.
    void feed(const Frame& frame, unsigned csum, TimeNs ts) {
        std::vector<uint8_t> out;
        ASSERT_TRUE(cls.classify(frame, ts, out, RPCMON_HOOK_XDP, 3));
        OfflineClassifier::forEachRecord(out, [&](std::span<const uint8_t> r) {
            std::vector<uint8_t> rec(r.begin(), r.end());
            rpcmon_record_header h;
            std::memcpy(&h, rec.data(), sizeof h);
            h.flags = uint16_t((h.flags & ~RPCMON_RECF_CSUM_MASK) | (csum << RPCMON_RECF_CSUM_SHIFT));
            std::memcpy(rec.data(), &h, sizeof h);
            judge.judge(rec, ts, [&](Bytes d, TimeNs t) { pipe.onRecord(d, t); });
        });
    }
    Frame call(uint32_t xid, bool zeros = false, uint8_t flags = 0x18) {
        auto p = test::oncCallTcp(xid, 100003, 3, 1);
        if (zeros) std::fill(p.begin(), p.end(), 0);
        return PacketBuilder().ipv4("10.1.0.1", "10.1.0.2").tcp(900, 2049, cseq, flags).ack(sseq).payload(p).build();
    }
    Frame reply(uint32_t xid, uint32_t ack) {
        std::vector<uint8_t> p;
        for (uint32_t w : {0x80000018u, xid, 1u, 0u, 0u, 0u, 0u}) {
            p.push_back(uint8_t(w >> 24)); p.push_back(uint8_t(w >> 16)); p.push_back(uint8_t(w >> 8)); p.push_back(uint8_t(w));
        }
        return PacketBuilder().ipv4("10.1.0.2", "10.1.0.1").tcp(2049, 900, sseq, 0x18).ack(ack).payload(p).build();
    }
    Frame bare(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack) {
        return from_client ? PacketBuilder().ipv4("10.1.0.1", "10.1.0.2").tcp(900, 2049, seq, flags).ack(ack).build()
                           : PacketBuilder().ipv4("10.1.0.2", "10.1.0.1").tcp(2049, 900, seq, flags).ack(ack).build();
    }
    const Json* rpcWithXid(uint32_t xid) {
        for (const Json& r : sink.rpc)
            if (r["rpc"]["xid"] == xid) return &r;
        return nullptr;
    }
};

TEST_F(LiveChecksumFixture, BadChecksumInsertionIsDroppedWhenTheRealSegmentArrives) {
    for (unsigned decoy : {RPCMON_CSUM_BAD, RPCMON_CSUM_PARTIAL}) {
        SCOPED_TRACE(decoy);
        uint32_t xid = 0x100 + decoy;
        feed(call(0, true), decoy, kSec);  // zeroed payload, same sequence numbers
        EXPECT_EQ(judge.held(), 1u);
        feed(call(xid), RPCMON_CSUM_GOOD, kSec);
        EXPECT_EQ(judge.held(), 0u);
        feed(reply(xid, cseq + 44), RPCMON_CSUM_NOT_CHECKED, kSec);  // egress: not judged
        cseq += 44;
        sseq += 28;
    }
    pipe.finish(2 * kSec);
    ASSERT_EQ(sink.rpc.size(), 2u);
    for (uint32_t xid : {0x100u + RPCMON_CSUM_BAD, 0x100u + RPCMON_CSUM_PARTIAL}) {
        const Json* r = rpcWithXid(xid);
        ASSERT_TRUE(r) << xid;
        EXPECT_FALSE((*r)["rpc"]["reply"].is_null()) << xid;
    }
    EXPECT_EQ(counters["tcp.bad_checksum_insertion"], 1u);
    EXPECT_EQ(counters["tcp.partial_checksum_insertion"], 1u);
    EXPECT_EQ(counters["tcp.bad_checksum"], 1u);
}

TEST_F(LiveChecksumFixture, PartialChecksumFromAnOffloadingPeerIsTakenOnTheAck) {
    // Every client segment partial (a veth peer with transmit offload); the server's replies,
    // egress, not judged: each call is held until the reply acknowledges it, then reported.
    for (uint32_t xid = 1; xid <= 3; xid++) {
        feed(call(xid), RPCMON_CSUM_PARTIAL, xid * kSec);
        EXPECT_EQ(judge.held(), 1u);
        feed(reply(xid, cseq + 44), RPCMON_CSUM_NOT_CHECKED, xid * kSec);
        EXPECT_EQ(judge.held(), 0u);
        cseq += 44;
        sseq += 28;
    }
    // A partial bare ACK from the client is used as it is.
    feed(bare(true, 0x10, cseq, sseq), RPCMON_CSUM_PARTIAL, 4 * kSec);
    pipe.finish(5 * kSec);
    ASSERT_EQ(sink.rpc.size(), 3u);
    for (const Json& r : sink.rpc) EXPECT_FALSE(r["rpc"]["reply"].is_null());
    EXPECT_EQ(counters["tcp.partial_checksum_acked"], 3u);
    EXPECT_EQ(counters["tcp.checksum_partial_bare"], 1u);
    EXPECT_EQ(counters["tcp.partial_checksum_insertion"], 0u);
}

TEST_F(LiveChecksumFixture, HeldSegmentIsReleasedBeforeTheAckThatDecidesIt) {
    // The server acknowledges with a bare ACK first (its reply comes later): the call is in the
    // stream before anything that follows the ACK.
    feed(call(7), RPCMON_CSUM_BAD, kSec);
    feed(bare(false, 0x10, sseq, cseq + 44), RPCMON_CSUM_NOT_CHECKED, kSec);
    EXPECT_EQ(judge.held(), 0u);
    EXPECT_EQ(counters["tcp.bad_checksum_acked"], 1u);
    feed(reply(7, cseq + 44), RPCMON_CSUM_NOT_CHECKED, kSec);
    pipe.finish(2 * kSec);
    ASSERT_EQ(sink.rpc.size(), 1u);
    EXPECT_EQ(sink.rpc[0]["rpc"]["xid"], 7u);
    EXPECT_FALSE(sink.rpc[0]["rpc"]["reply"].is_null());
}

TEST_F(LiveChecksumFixture, BadRstAndBadAckAreDroppedPartialRstWaits) {
    feed(call(5), RPCMON_CSUM_GOOD, kSec);
    feed(bare(true, 0x14, cseq + 44, sseq), RPCMON_CSUM_BAD, kSec);  // RST with a broken checksum
    feed(bare(true, 0x10, cseq + 44, sseq), RPCMON_CSUM_BAD, kSec);
    EXPECT_EQ(judge.held(), 0u);
    EXPECT_EQ(counters["tcp.bad_checksum"], 2u);
    feed(bare(true, 0x14, cseq + 44, sseq), RPCMON_CSUM_PARTIAL, kSec);
    EXPECT_EQ(judge.held(), 1u);  // nothing acknowledges a RST: it waits, then expires
    feed(reply(5, cseq + 44), RPCMON_CSUM_NOT_CHECKED, kSec);
    EXPECT_EQ(judge.held(), 1u);
    judge.expire(20 * kSec);
    EXPECT_EQ(judge.held(), 0u);
    EXPECT_EQ(counters["tcp.partial_checksum_expired"], 1u);
    pipe.finish(21 * kSec);
    ASSERT_EQ(sink.rpc.size(), 1u);
    EXPECT_FALSE(sink.rpc[0]["rpc"]["reply"].is_null()) << "the bad RST closed nothing";
}

TEST_F(LiveChecksumFixture, UdpBadDroppedPartialAccepted) {
    Frame good = udpCall(false, 0);
    Frame bad = good;
    feed(bad, RPCMON_CSUM_BAD, kSec);
    EXPECT_EQ(counters["udp.bad_checksum"], 1u);
    feed(good, RPCMON_CSUM_PARTIAL, kSec);
    EXPECT_EQ(counters["udp.checksum_partial_accepted"], 1u);
    pipe.finish(2 * kSec);
    EXPECT_EQ(sink.rpc.size(), 1u);
}

TEST_F(LiveChecksumFixture, HoldIsBoundedAndCounted) {
    // 8 segments at most (the fixture's limit): a flood of undecided segments on many
    // connections drops the oldest, counted, and memory stays bounded.
    for (uint16_t port = 1; port <= 20; port++) {
        auto p = test::oncCallTcp(port, 100003, 3, 1);
        feed(PacketBuilder().ipv4("10.1.0.9", "10.1.0.2").tcp(port, 2049, 1, 0x18).payload(p).build(), RPCMON_CSUM_BAD, kSec);
        EXPECT_LE(judge.held(), 8u);
    }
    EXPECT_EQ(judge.held(), 8u);
    EXPECT_EQ(counters["tcp.bad_checksum_hold_full"], 12u);
    judge.expire(kSec + 10 * kSec + 1);
    EXPECT_EQ(judge.held(), 0u);
    EXPECT_EQ(counters["tcp.bad_checksum_expired"], 8u);
}

}  // namespace
