// SPDX-License-Identifier: Apache-2.0
#include "stream/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "stream/flow_table.h"

using namespace rpcmon;

namespace {

class Counter : public AnomalyCounter {
public:
    void count(const char* name, uint64_t n) override { c[name] += n; }
    std::map<std::string, uint64_t> c;
};

// Consumes complete '\n'-terminated lines, so partial lines exercise the pending buffer.
// Gaps are recorded in the output as "<gap N>".
class LineConsumer : public StreamConsumer {
public:
    size_t onData(Direction, Bytes d, TimeNs) override {
        size_t used = 0;
        for (size_t i = 0; i < d.size(); i++) {
            if (d[i] == '\n') {
                lines.emplace_back(reinterpret_cast<const char*>(d.data()) + used, i - used);
                used = i + 1;
            }
        }
        return used;
    }
    void onGap(Direction, uint64_t n) override { lines.push_back("<gap " + std::to_string(n) + ">"); }
    void onDatagram(Direction, Bytes, TimeNs) override {}
    void onTick(TimeNs) override { ticks++; }
    void onClose(TimeNs) override { closed++; }
    std::vector<std::string> lines;
    int ticks = 0, closed = 0;
};

Bytes b(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

struct Fixture : ::testing::Test {
    Counter anomalies;
    ReassemblyBudget budget;
    ReassemblyLimits limits;
    LineConsumer c;
    std::unique_ptr<TcpReassembler> r;
    void SetUp() override { r = std::make_unique<TcpReassembler>(Direction::ToServer, limits, budget, anomalies); }
    void seg(uint32_t seq, const std::string& s, uint8_t flags = 0x18) { r->segment(seq, flags, b(s), s.size(), 0, c); }
};

using Lines = std::vector<std::string>;

TEST_F(Fixture, InOrderWithSynAndPartialFrames) {
    r->segment(999, 0x02, {}, 0, 0, c);  // SYN: data starts at 1000
    seg(1000, "hel");
    seg(1003, "lo\nwor");
    seg(1009, "ld\n");
    EXPECT_EQ(c.lines, (Lines{"hello", "world"}));
    EXPECT_EQ(r->buffered(), 0u);
}

TEST_F(Fixture, OutOfOrderIsHeldUntilTheHoleFills) {
    seg(1000, "a\n");
    seg(1006, "c\n");
    seg(1004, "b\n");  // still a hole at 1002..1003
    EXPECT_EQ(c.lines, (Lines{"a"}));
    seg(1002, "x\n");
    EXPECT_EQ(c.lines, (Lines{"a", "x", "b", "c"}));
    EXPECT_EQ(anomalies.c["tcp.out_of_order_segments"], 2u);
}

TEST_F(Fixture, RetransmissionAndOverlapAreTrimmed) {
    seg(1000, "abc\n");
    seg(1000, "abc\n");          // full retransmission
    seg(1002, "c\ndef\n");       // overlaps 2 bytes
    EXPECT_EQ(c.lines, (Lines{"abc", "def"}));
    EXPECT_EQ(anomalies.c["tcp.retransmitted_segments"], 1u);
    EXPECT_EQ(anomalies.c["tcp.overlapping_segments"], 1u);
}

TEST_F(Fixture, SequenceWrapAround) {
    seg(0xFFFFFFFEu, "ab");
    seg(0x00000000u, "c\n");
    EXPECT_EQ(c.lines, (Lines{"abc"}));
}

TEST_F(Fixture, PeerAckTurnsCaptureLossIntoGap) {
    seg(1000, "a\nparti");
    r->peerAcked(1020, 0, c);  // the peer got 1007..1019 that we never saw
    seg(1020, "z\n");
    // The unconsumed "parti" (5 bytes) is dropped with the 13 lost bytes.
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 18>", "z"}));
    EXPECT_EQ(r->buffered(), 0u) << "the partial frame before the gap is dropped";
}

TEST_F(Fixture, AckOfFinIsNotCaptureLoss) {
    seg(1000, "bye\n", 0x19);  // FIN+PSH+ACK: the FIN is sequence number 1004
    r->peerAcked(1005, 0, c);
    EXPECT_EQ(c.lines, (Lines{"bye"}));
    EXPECT_EQ(anomalies.c["tcp.capture_loss_acked"], 0u);
}

TEST_F(Fixture, SnapTruncatedSegmentTailIsAGap) {
    r->segment(1000, 0x18, b("ab\ncd"), 100, 0, c);  // 95 bytes not captured
    seg(1100, "ok\n");
    EXPECT_EQ(c.lines, (Lines{"ab", "<gap 97>", "ok"})) << "unconsumed \"cd\" + 95 missing bytes";
    EXPECT_EQ(anomalies.c["tcp.snap_truncated_segments"], 1u);
}

TEST_F(Fixture, KernelSkippedBytesAreAGapButNoLoss) {
    seg(1000, "a\n");
    r->skipped(1002, 50, false, 0, c);  // bulk data the kernel did not deliver
    seg(1052, "b\n");
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 50>", "b"}));
    EXPECT_EQ(anomalies.c["tcp.kernel_skipped_bytes"], 50u);
    EXPECT_EQ(anomalies.c["tcp.gaps"], 0u) << "a deliberate skip is not a loss";
    EXPECT_EQ(anomalies.c["tcp.snap_truncated_segments"], 0u);
    // Reported as lost (full ring, or reordered on the wire): a hole until the peer's ACK
    // passes it, then a gap that counts as one.
    r->skipped(1054, 10, true, 0, c);
    seg(1064, "c\n");
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 50>", "b"}));
    r->peerAcked(1066, 0, c);
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 50>", "b", "<gap 10>", "c"}));
    EXPECT_EQ(anomalies.c["tcp.kernel_loss_bytes"], 10u);
    EXPECT_EQ(anomalies.c["tcp.gaps"], 1u);
}

TEST_F(Fixture, KernelReportedLossFilledByReorderedSegmentsIsNoGap) {
    // Segments sent last-first: the kernel's tracker sees the sequence numbers jump and reports
    // the bytes before as lost; they arrive right after and fill the hole (issue 16: reordering
    // must not hide a call).
    seg(1000, "a\n");
    r->skipped(1002, 6, true, 0, c);
    seg(1008, "c\n");
    seg(1005, "bbb");
    seg(1002, "x\nb");
    EXPECT_EQ(c.lines, (Lines{"a", "x", "bbbbc"}));
    EXPECT_EQ(anomalies.c["tcp.gaps"], 0u);
}

TEST_F(Fixture, KernelReportedLossThatNeverFillsEndsAfterABoundedWait) {
    seg(1000, "a\n");
    r->skipped(1002, 4, true, 0, c);
    for (uint32_t i = 0; i < 40; i++) seg(1006 + 2 * i, "z\n");
    ASSERT_FALSE(c.lines.empty());
    EXPECT_EQ(c.lines[1], "<gap 4>");
    EXPECT_EQ(anomalies.c["tcp.kernel_loss_hole_expired"], 1u);
}

TEST_F(Fixture, KernelTrackedFlowIgnoresAcksUnlessAHoleIsHeld) {
    r->setKernelTracked(true);
    seg(1000, "a\n");
    // The peer acknowledges bytes whose skip report has not arrived yet: no loss inferred.
    r->peerAcked(1100, 0, c);
    EXPECT_EQ(anomalies.c["tcp.capture_loss_acked"], 0u);
    r->skipped(1002, 98, false, 0, c);
    seg(1100, "b\n");
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 98>", "b"}));
    // Later bytes held behind a hole: that hole is real, the ACK resolves it.
    seg(1200, "d\n");
    r->peerAcked(1300, 0, c);
    EXPECT_EQ(anomalies.c["tcp.capture_loss_acked"], 1u);
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 98>", "b", "<gap 98>", "d"}));
}

TEST_F(Fixture, OutOfOrderLimitDeclaresTheHoleLost) {
    limits.max_out_of_order_segments = 2;
    SetUp();
    seg(1000, "a\n");
    seg(1010, "b\n");
    seg(1020, "c\n");
    seg(1030, "d\n");  // third held segment: the first hole 1002..1009 is given up, no more
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 8>", "b"}));
    EXPECT_EQ(anomalies.c["tcp.out_of_order_limit_exceeded"], 1u);
    seg(1012, "y\n");  // a later hole can still fill normally
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 8>", "b", "y"}));
    r->flush(0, c);
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 8>", "b", "y", "<gap 6>", "c", "<gap 8>", "d"}));
}

TEST_F(Fixture, PendingLimitBoundsAFrameThatNeverEnds) {
    limits.max_pending = 64;
    SetUp();
    uint32_t seq = 1000;
    for (int i = 0; i < 100; i++) {
        seg(seq, std::string(10, 'x'));  // no newline ever
        seq += 10;
        EXPECT_LE(r->buffered(), 64u);
    }
    EXPECT_GT(anomalies.c["tcp.pending_limit_exceeded"], 0u);
    seg(seq, "\nok\n");
    EXPECT_EQ(c.lines.back(), "ok");
}

TEST_F(Fixture, GlobalBudgetIsSharedAndReleased) {
    budget.limit = 32;
    TcpReassembler other(Direction::FromServer, limits, budget, anomalies);
    other.segment(1, 0x18, b(std::string(30, 'y')), 30, 0, c);  // holds 30 of 32
    EXPECT_EQ(budget.used, 30u);
    seg(1000, "ab\ncdef");  // "ab" is parsed from the segment; "cdef" would exceed the budget
    EXPECT_EQ(anomalies.c["tcp.global_budget_exceeded"], 1u);
    EXPECT_LE(budget.used, 32u);
    EXPECT_EQ(c.lines, (Lines{"ab", "<gap 4>"}));
    other.segment(31, 0x18, b("\n"), 1, 0, c);  // the other stream consumes and releases
    EXPECT_EQ(budget.used, 0u);
    seg(1007, "gh");
    EXPECT_EQ(budget.used, 2u);
}

TEST_F(Fixture, FlushDeliversHeldSegmentsWithGaps) {
    seg(1000, "a\n");
    seg(1005, "b\n");
    r->flush(0, c);
    EXPECT_EQ(c.lines, (Lines{"a", "<gap 3>", "b"}));
    EXPECT_EQ(budget.used, 0u);
}

// Flow table: orientation, idle expiry, LRU bound, close on FIN both ways.
// Keeps what a consumer saw after the flow table destroys the consumer.
struct Recorded {
    Lines lines;
    int ticks = 0, closed = 0;
};

class RecordingConsumer : public LineConsumer {
public:
    explicit RecordingConsumer(Recorded& r) : r_(r) {}
    ~RecordingConsumer() override { r_.lines = lines; r_.ticks = ticks; r_.closed = closed; }
    void onTick(TimeNs t) override { LineConsumer::onTick(t); r_.ticks = ticks; }
    size_t onData(Direction d, Bytes data, TimeNs ts) override {
        size_t n = LineConsumer::onData(d, data, ts);
        r_.lines = lines;
        return n;
    }

private:
    Recorded& r_;
};

struct FlowFixture : ::testing::Test {
    Counter anomalies;
    std::deque<Recorded> consumers;
    FlowLimits limits;
    std::unique_ptr<FlowTable> table;
    void make() {
        table = std::make_unique<FlowTable>(limits, [this](const FlowContext&) {
            consumers.emplace_back();
            return std::make_unique<RecordingConsumer>(consumers.back());
        }, anomalies);
    }
    PacketInfo pkt(uint16_t cport, Direction d, uint32_t seq, const std::string& s, uint8_t flags, TimeNs ts) {
        PacketInfo p{};
        p.key.client[15] = 1;
        p.key.server[15] = 2;
        p.key.client_port = cport;
        p.key.server_port = 2049;
        p.key.l4proto = 6;
        p.dir = d;
        p.app = RPCMON_APP_ONC;
        p.tcp_seq = seq;
        p.tcp_flags = flags;
        p.payload = b(s);
        p.payload_len = static_cast<uint32_t>(s.size());
        p.ts = ts;
        return p;
    }
};

TEST_F(FlowFixture, BothDirectionsShareOneFlowAndCloseAfterFin) {
    make();
    std::string call = "call\n", reply = "reply\n";
    table->packet(pkt(700, Direction::ToServer, 1, call, 0x18, 1));
    table->packet(pkt(700, Direction::FromServer, 500, reply, 0x18, 2));
    ASSERT_EQ(table->size(), 1u);
    EXPECT_EQ(consumers[0].lines, (Lines{"call", "reply"}));
    table->packet(pkt(700, Direction::ToServer, 6, "", 0x11, 3));
    table->packet(pkt(700, Direction::FromServer, 506, "", 0x11, 4));
    table->tick(4 + limits.closed_linger_ns);
    EXPECT_EQ(table->size(), 0u);
    EXPECT_EQ(consumers[0].closed, 1);
}

TEST_F(FlowFixture, IdleFlowsExpireAndTicksReachConsumers) {
    make();
    table->packet(pkt(700, Direction::ToServer, 1, "x\n", 0x18, 1));
    table->tick(2);
    EXPECT_EQ(consumers[0].ticks, 1);
    table->tick(1 + limits.tcp_idle_ns);
    EXPECT_EQ(table->size(), 0u);
    EXPECT_EQ(consumers[0].closed, 1);
}

TEST_F(FlowFixture, TableIsBoundedByLru) {
    limits.max_flows = 3;
    make();
    for (uint16_t port = 1000; port < 1010; port++) {
        table->packet(pkt(port, Direction::ToServer, 1, "x\n", 0x18, port));
        EXPECT_LE(table->size(), 3u);
    }
    EXPECT_EQ(table->evicted(), 7u);
    EXPECT_EQ(anomalies.c["flow.evicted_table_full"], 7u);
    for (size_t i = 0; i < 7; i++) EXPECT_EQ(consumers[i].closed, 1) << "evicted flows report their pending calls";
}

}  // namespace
