// SPDX-License-Identifier: Apache-2.0
// Call/reply joining, timeouts, retransmissions, TCP framing and resync, UDP, portmap
// learning — on synthetic fixtures and on payloads replayed from public captures.
#include "protocols/onc/consumer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "protocols/onc/test_util.h"

namespace rpcmon::onc {
namespace {

using test::Xdr;

constexpr TimeNs kSec = 1000000000ull;
constexpr TimeNs kT0 = 1764000000ull * kSec;  // 2025-11-24T16:00:00Z

FlowContext makeFlow(uint8_t l4, uint16_t server_port = 2049) {
    FlowContext f;
    f.key.client = test::v4(10, 0, 0, 1);
    f.key.server = test::v4(10, 0, 0, 2);
    f.key.client_port = 800;
    f.key.server_port = server_port;
    f.key.l4proto = l4;
    f.flow_id = 42;
    f.app = RPCMON_APP_ONC;
    return f;
}

// NFSv3 LOOKUP call: AUTH_SYS credential, args = fh + "passwd".
std::vector<uint8_t> lookupCall(uint32_t xid, const std::string& name = "passwd") {
    Xdr cred;
    cred.u32(0x5f000001).str("ws1").u32(1000).u32(1000).u32(1).u32(10);
    Xdr x;
    x.u32(xid).u32(0).u32(2).u32(100003).u32(3).u32(3).u32(1).opaque(cred.b).u32(0).u32(0);
    x.opaque({1, 2, 3, 4, 5, 6, 7, 8}).str(name);
    return x.b;
}

// Accepted SUCCESS reply carrying nfsstat3 `status` (+ post_op_attr absent).
std::vector<uint8_t> nfs3Reply(uint32_t xid, uint32_t status) {
    Xdr x;
    x.reply(xid).u32(status).u32(0);
    return x.b;
}

// Plays the stream layer: keeps unconsumed bytes per direction and presents them again.
struct Harness {
    explicit Harness(uint8_t l4 = IPPROTO_TCP, OncConfig cfg = {}, uint16_t port = 2049)
        : flow(makeFlow(l4, port)), consumer(flow, sink, anomalies, &learner, cfg) {}

    void tcp(Direction d, const std::vector<uint8_t>& bytes, TimeNs ts) {
        auto& buf = pending[size_t(d)];
        buf.insert(buf.end(), bytes.begin(), bytes.end());
        size_t used = consumer.onData(d, buf, ts);
        ASSERT_LE(used, buf.size());
        buf.erase(buf.begin(), buf.begin() + used);
    }
    void gap(Direction d) {
        pending[size_t(d)].clear();
        consumer.onGap(d, 1000);
    }
    void udp(Direction d, const std::vector<uint8_t>& bytes, TimeNs ts) {
        consumer.onDatagram(d, bytes, ts);
    }

    FlowContext flow;
    test::FakeSink sink;
    test::FakeCounter anomalies;
    test::FakeLearner learner;
    OncConsumer consumer;
    std::vector<uint8_t> pending[2];
};

const Direction C = Direction::ToServer;
const Direction S = Direction::FromServer;

TEST(OncConsumer, TcpCallAndReplyJoinedIntoOneRecord) {
    Harness h;
    h.tcp(C, test::recordMark(lookupCall(0x1234)), kT0);
    EXPECT_TRUE(h.sink.records.empty());
    h.tcp(S, test::recordMark(nfs3Reply(0x1234, 2)), kT0 + 1500 * 1000);  // +1.5 ms
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0], Json::parse(R"({
        "timestamp":"2025-11-24T16:00:00.000000+0000","flow_id":42,"event_type":"rpc",
        "src_ip":"10.0.0.1","src_port":800,"dest_ip":"10.0.0.2","dest_port":2049,"proto":"TCP",
        "rpc":{"family":"onc","xid":4660,"program":100003,"program_name":"nfs","version":3,
               "procedure":3,"procedure_name":"LOOKUP",
               "cred":{"flavor":"AUTH_UNIX","machine_name":"ws1","uid":1000,"gid":1000,
                       "gids":[10],"stamp":1593835521},
               "verifier":{"flavor":"AUTH_NULL"},
               "reply":{"status":"accepted","accept_status":"success"},
               "latency_us":1500},
        "nfs":{"name":"passwd","status":"NFS3ERR_NOENT"}})"));
    EXPECT_EQ(h.consumer.pendingCalls(), 0u);
    EXPECT_TRUE(h.anomalies.counts.empty());
}

TEST(OncConsumer, TcpMultiFragmentCallAcrossSegments) {
    std::vector<uint8_t> msg = lookupCall(7);
    // Fragment 1: 20 bytes, not last; fragment 2: the rest, last.
    Xdr wire;
    wire.u32(20).raw({msg.begin(), msg.begin() + 20});
    wire.u32(0x80000000u | uint32_t(msg.size() - 20)).raw({msg.begin() + 20, msg.end()});
    Harness h;
    for (size_t i = 0; i < wire.b.size(); i += 7) {  // 7-byte segments
        size_t n = std::min<size_t>(7, wire.b.size() - i);
        h.tcp(C, {wire.b.begin() + i, wire.b.begin() + i + n}, kT0);
    }
    h.tcp(S, test::recordMark(nfs3Reply(7, 0)), kT0 + kSec);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["nfs"]["name"], "passwd");
    EXPECT_EQ(h.sink.records[0]["nfs"]["status"], "NFS3_OK");
    EXPECT_EQ(h.sink.records[0]["rpc"]["latency_us"], 1000000);
}

// RFC 5531 §11 lets a sender cut a record anywhere: every byte of the call in its own
// record-marking fragment (mark 0x00000001, the final one 0x80000001), as Linux's server
// accepts. The call still decodes, from the first record of the stream.
std::vector<uint8_t> oneByteFragments(const std::vector<uint8_t>& msg) {
    Xdr wire;
    for (size_t i = 0; i < msg.size(); i++) {
        wire.u32((i + 1 == msg.size() ? 0x80000000u : 0u) | 1u);  // last flag | length 1
        wire.raw({msg[i]});
    }
    return wire.b;
}

TEST(OncConsumer, OneByteRecordFragmentsAtStreamStartStillDecode) {
    Harness h;
    h.tcp(C, oneByteFragments(lookupCall(0x51)), kT0);
    h.tcp(S, oneByteFragments(nfs3Reply(0x51, 0)), kT0 + kSec);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 0x51);
    EXPECT_EQ(h.sink.records[0]["rpc"]["cred"]["machine_name"], "ws1");
    EXPECT_EQ(h.sink.records[0]["nfs"]["name"], "passwd");
    EXPECT_EQ(h.sink.records[0]["nfs"]["status"], "NFS3_OK");
    EXPECT_EQ(h.anomalies.get("onc.resync_skipped_bytes"), 0u);
}

// The same with every TCP segment 1 byte long: the start test waits for the header bytes.
TEST(OncConsumer, OneByteFragmentsInOneByteSegmentsStillDecode) {
    Harness h;
    for (uint8_t b : oneByteFragments(lookupCall(0x52, "shadow"))) h.tcp(C, {b}, kT0);
    for (uint8_t b : oneByteFragments(nfs3Reply(0x52, 13))) h.tcp(S, {b}, kT0 + kSec);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["nfs"]["name"], "shadow");
    EXPECT_EQ(h.sink.records[0]["nfs"]["status"], "NFS3ERR_ACCES");
    EXPECT_EQ(h.anomalies.get("onc.resync_skipped_bytes"), 0u);
}

// After a gap the resynchronisation scan judges a candidate record from the header gathered
// across its tiny fragments, so a 1-byte-fragmented call behind the gap is found.
TEST(OncConsumer, ResyncAfterGapFindsCallInOneByteFragments) {
    Harness h;
    std::vector<uint8_t> a = test::recordMark(lookupCall(1, "lost"));
    h.tcp(C, {a.begin(), a.begin() + 30}, kT0);
    h.gap(C);
    std::vector<uint8_t> resumed(a.begin() + 50, a.end());
    std::vector<uint8_t> b = oneByteFragments(lookupCall(2, "found"));
    resumed.insert(resumed.end(), b.begin(), b.end());
    h.tcp(C, resumed, kT0 + 1);
    h.tcp(S, test::recordMark(nfs3Reply(2, 0)), kT0 + 2);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 2);
    EXPECT_EQ(h.sink.records[0]["nfs"]["name"], "found");
}

TEST(OncConsumer, UdpCallAndReply) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(99), kT0);
    h.udp(S, nfs3Reply(99, 70), kT0 + 10 * 1000);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["proto"], "UDP");
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 99);
    EXPECT_EQ(h.sink.records[0]["rpc"]["latency_us"], 10);
    EXPECT_EQ(h.sink.records[0]["nfs"]["status"], "NFS3ERR_STALE");
}

// A reply stamped before its call: latency unknown, so omitted (as for DCE/RPC), never 0.
TEST(OncConsumer, ReplyBeforeCallOmitsLatency) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(98), kT0 + 10 * 1000);
    h.udp(S, nfs3Reply(98, 0), kT0);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_FALSE(h.sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_FALSE(h.sink.records[0]["rpc"].contains("latency_us"));
}

TEST(OncConsumer, TimeoutReportsReplyNull) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(5), kT0);
    h.consumer.onTick(kT0 + 29 * kSec);
    EXPECT_TRUE(h.sink.records.empty());
    h.consumer.onTick(kT0 + 30 * kSec);
    ASSERT_EQ(h.sink.records.size(), 1u);
    const Json& rpc = h.sink.records[0]["rpc"];
    EXPECT_TRUE(rpc.contains("reply"));
    EXPECT_TRUE(rpc["reply"].is_null());
    EXPECT_FALSE(rpc.contains("latency_us"));
    EXPECT_EQ(h.sink.records[0]["timestamp"], "2025-11-24T16:00:00.000000+0000");
    EXPECT_EQ(h.sink.records[0]["nfs"], Json::parse(R"({"name":"passwd"})"));
    // A late reply is now an orphan.
    h.udp(S, nfs3Reply(5, 0), kT0 + 31 * kSec);
    EXPECT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.anomalies.get("onc.orphan_reply"), 1u);
}

TEST(OncConsumer, CloseReportsPendingCalls) {
    Harness h;
    h.tcp(C, test::recordMark(lookupCall(1)), kT0);
    h.tcp(C, test::recordMark(lookupCall(2)), kT0 + 1);
    h.consumer.onClose(kT0 + 2);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 1);
    EXPECT_EQ(h.sink.records[1]["rpc"]["xid"], 2);
    EXPECT_TRUE(h.sink.records[1]["rpc"]["reply"].is_null());
    EXPECT_EQ(h.consumer.pendingCalls(), 0u);
}

TEST(OncConsumer, RetransmissionReportedOnce) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(77), kT0);
    h.udp(C, lookupCall(77), kT0 + kSec);
    h.udp(C, lookupCall(77), kT0 + 2 * kSec);
    h.udp(S, nfs3Reply(77, 0), kT0 + 2 * kSec + 500);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["retransmissions"], 2);
    EXPECT_EQ(h.sink.records[0]["rpc"]["latency_us"], 2000000);  // from the first send
}

TEST(OncConsumer, XidReusedForAnotherCallReportsTheOld) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(8), kT0);
    Xdr getattr;
    getattr.call(8, 100003, 3, 1).opaque({1, 2, 3, 4});
    h.udp(C, getattr.b, kT0 + 1);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["procedure_name"], "LOOKUP");
    EXPECT_TRUE(h.sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_EQ(h.anomalies.get("onc.xid_reused"), 1u);
    h.udp(S, nfs3Reply(8, 0), kT0 + 2);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.sink.records[1]["rpc"]["procedure_name"], "GETATTR");
}

TEST(OncConsumer, OrphanReplyCounted) {
    Harness h;
    h.tcp(S, test::recordMark(nfs3Reply(1, 0)), kT0);
    EXPECT_TRUE(h.sink.records.empty());
    EXPECT_EQ(h.anomalies.get("onc.orphan_reply"), 1u);
}

TEST(OncConsumer, ResyncAfterGap) {
    Harness h;
    std::vector<uint8_t> a = test::recordMark(lookupCall(1, "lost"));
    std::vector<uint8_t> b = test::recordMark(lookupCall(2, "found"));
    h.tcp(C, {a.begin(), a.begin() + 30}, kT0);  // first part of A
    h.gap(C);                                    // A's middle is lost
    // The stream resumes inside A's tail, followed by B.
    std::vector<uint8_t> resumed(a.begin() + 50, a.end());
    resumed.insert(resumed.end(), b.begin(), b.end());
    h.tcp(C, resumed, kT0 + 1);
    h.tcp(S, test::recordMark(nfs3Reply(2, 0)), kT0 + 2);
    h.consumer.onClose(kT0 + 3);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 2);
    EXPECT_EQ(h.sink.records[0]["nfs"]["name"], "found");
    EXPECT_EQ(h.anomalies.get("onc.resync_skipped_bytes"), a.size() - 50);
}

TEST(OncConsumer, ReplyFoundByResyncWhenPending) {
    Harness h;
    h.tcp(C, test::recordMark(lookupCall(3)), kT0);
    h.gap(S);
    std::vector<uint8_t> junk = {0x01, 0x02, 0x03, 0x04, 0x05};
    std::vector<uint8_t> r = test::recordMark(nfs3Reply(3, 13));
    junk.insert(junk.end(), r.begin(), r.end());
    junk.resize(junk.size() + 40, 0);  // later bytes keep the probe window filled
    h.tcp(S, junk, kT0 + 1);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["nfs"]["status"], "NFS3ERR_ACCES");
}

TEST(OncConsumer, BadRecordMarkResynchronises) {
    Harness h;
    h.tcp(C, test::recordMark(lookupCall(10)), kT0);  // establishes the stream
    std::vector<uint8_t> bad = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
    std::vector<uint8_t> good = test::recordMark(lookupCall(11));
    bad.insert(bad.end(), good.begin(), good.end());
    h.tcp(C, bad, kT0 + 1);
    h.tcp(S, test::recordMark(nfs3Reply(11, 0)), kT0 + 2);
    EXPECT_EQ(h.anomalies.get("onc.bad_record_mark"), 1u);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 11);
}

TEST(OncConsumer, InvalidMessageInRecordCountedAndStreamRecovers) {
    Harness h;
    h.tcp(C, test::recordMark(lookupCall(20)), kT0);
    Xdr hostile;  // well-framed call with a credential length of 0xFFFFFFF0
    hostile.u32(21).u32(0).u32(2).u32(100003).u32(3).u32(3).u32(1).u32(0xFFFFFFF0u).zeros(16);
    h.tcp(C, test::recordMark(hostile.b), kT0 + 1);
    h.tcp(C, test::recordMark(lookupCall(22)), kT0 + 2);
    h.consumer.onClose(kT0 + 3);
    EXPECT_EQ(h.anomalies.get("onc.bad_cred_length"), 1u);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 20);
    EXPECT_EQ(h.sink.records[1]["rpc"]["xid"], 22);
}

TEST(OncConsumer, StreamJoinedMidRecordFindsNextCall) {
    Harness h;
    std::vector<uint8_t> a = test::recordMark(lookupCall(30));
    std::vector<uint8_t> tail(a.begin() + 40, a.end());
    std::vector<uint8_t> b = test::recordMark(lookupCall(31));
    tail.insert(tail.end(), b.begin(), b.end());
    h.tcp(C, tail, kT0);
    h.consumer.onClose(kT0 + 1);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 31);
}

TEST(OncConsumer, PendingEvictionReportsOldest) {
    OncConfig cfg;
    cfg.max_pending = 2;
    Harness h(IPPROTO_UDP, cfg);
    h.udp(C, lookupCall(1), kT0);
    h.udp(C, lookupCall(2), kT0 + 1);
    EXPECT_TRUE(h.sink.records.empty());
    h.udp(C, lookupCall(3), kT0 + 2);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 1);
    EXPECT_TRUE(h.sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_EQ(h.anomalies.get("onc.pending_evicted"), 1u);
    EXPECT_EQ(h.consumer.pendingCalls(), 2u);
}

// The oldest arrival goes first even when a later call carries an earlier timestamp.
TEST(OncConsumer, PendingEvictionFollowsArrivalNotTimestamps) {
    OncConfig cfg;
    cfg.max_pending = 2;
    Harness h(IPPROTO_UDP, cfg);
    h.udp(C, lookupCall(1), kT0 + 5);
    h.udp(C, lookupCall(2), kT0);
    h.udp(C, lookupCall(3), kT0 + 6);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 1);
}

TEST(OncConsumer, DeniedReplyAuthError) {
    Harness h(IPPROTO_UDP);
    h.udp(C, lookupCall(4), kT0);
    Xdr denied;
    denied.u32(4).u32(1).u32(1).u32(1).u32(1);  // MSG_DENIED, AUTH_ERROR, AUTH_BADCRED
    h.udp(S, denied.b, kT0 + 1000);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["reply"], Json::parse(R"({"status":"denied",
        "reject_status":"auth_error","auth_status":"AUTH_BADCRED"})"));
    EXPECT_FALSE(h.sink.records[0]["nfs"].contains("status"));
}

TEST(OncConsumer, PortmapGetportTeachesEndpoint) {
    Harness h(IPPROTO_UDP, {}, 111);
    Xdr c;
    c.call(0xabc, 100000, 2, 3).u32(100005).u32(3).u32(IPPROTO_UDP).u32(0);
    h.udp(C, c.b, kT0);
    Xdr r;
    r.reply(0xabc).u32(635);
    h.udp(S, r.b, kT0 + 2000);
    ASSERT_EQ(h.learner.learned.size(), 1u);
    const LearnedEndpoint& ep = h.learner.learned[0];
    EXPECT_EQ(ep.addr, test::v4(10, 0, 0, 2));
    EXPECT_EQ(ep.port, 635);
    EXPECT_EQ(ep.l4proto, IPPROTO_UDP);
    EXPECT_EQ(ep.app, RPCMON_APP_ONC);
    EXPECT_EQ(ep.program, 100005u);
    EXPECT_EQ(ep.expires, kT0 + 2000 + 600 * kSec);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["portmap"], Json::parse(R"({"program":100005,
        "program_name":"mountd","version":3,"protocol":"udp","port":635})"));
    EXPECT_EQ(h.sink.records[0]["rpc"]["procedure_name"], "GETPORT");
}

TEST(OncConsumer, RpcbindGetaddrAndDumpTeachEndpoints) {
    Harness h(IPPROTO_TCP, {}, 111);
    Xdr getaddr;
    getaddr.call(1, 100000, 4, 3).u32(100003).u32(4).str("tcp6").str("").str("");
    h.tcp(C, test::recordMark(getaddr.b), kT0);
    Xdr addr;
    addr.reply(1).str("fd00::2.8.1");
    h.tcp(S, test::recordMark(addr.b), kT0 + 1);
    Xdr dump;
    dump.call(2, 100000, 3, 4);
    h.tcp(C, test::recordMark(dump.b), kT0 + 2);
    Xdr list;
    list.reply(2)
        .u32(1).u32(100005).u32(3).str("udp").str("0.0.0.0.78.80").str("superuser")
        .u32(1).u32(100005).u32(3).str("tcp").str("10.0.0.9.78.80").str("superuser")
        .u32(0);
    h.tcp(S, test::recordMark(list.b), kT0 + 3);
    ASSERT_EQ(h.learner.learned.size(), 3u);
    EXPECT_EQ(formatAddress(h.learner.learned[0].addr), "fd00::2");
    EXPECT_EQ(h.learner.learned[0].port, 2049);
    EXPECT_EQ(h.learner.learned[0].l4proto, IPPROTO_TCP);
    EXPECT_EQ(h.learner.learned[0].program, 100003u);
    EXPECT_EQ(h.learner.learned[1].addr, test::v4(10, 0, 0, 2));  // 0.0.0.0 -> rpcbind server
    EXPECT_EQ(h.learner.learned[1].port, 20048);
    EXPECT_EQ(h.learner.learned[1].l4proto, IPPROTO_UDP);
    EXPECT_EQ(h.learner.learned[2].addr, test::v4(10, 0, 0, 9));
    EXPECT_EQ(h.learner.learned[2].expires, kT0 + 3 + 600 * kSec);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.sink.records[0]["portmap"]["uaddr"], "fd00::2.8.1");
    EXPECT_EQ(h.sink.records[1]["rpc"]["procedure_name"], "DUMP");
    EXPECT_EQ(h.sink.records[1]["portmap"]["entries"].size(), 2u);
}

TEST(OncConsumer, NoLearnerIsFine) {
    FlowContext flow = makeFlow(IPPROTO_UDP, 111);
    test::FakeSink sink;
    test::FakeCounter anomalies;
    OncConsumer c(flow, sink, anomalies, nullptr);
    Xdr call;
    call.call(3, 100000, 2, 3).u32(100003).u32(3).u32(IPPROTO_TCP).u32(0);
    c.onDatagram(C, call.b, kT0);
    Xdr r;
    r.reply(3).u32(2049);
    c.onDatagram(S, r.b, kT0 + 1);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["portmap"]["port"], 2049);
}

TEST(OncConsumer, LargeWriteKeepsHeaderAndNextRecord) {
    OncConfig cfg;
    cfg.max_kept_record = 4096;
    Harness h(IPPROTO_TCP, cfg);
    Xdr w;
    w.call(50, 100003, 3, 7).opaque({1, 2, 3, 4}).u64(1 << 20).u32(2 << 20).u32(0)
        .u32(2 << 20).zeros(2 << 20);
    std::vector<uint8_t> wire = test::recordMark(w.b);
    std::vector<uint8_t> next = test::recordMark(lookupCall(51));
    wire.insert(wire.end(), next.begin(), next.end());
    for (size_t i = 0; i < wire.size(); i += 65536) {
        size_t n = std::min<size_t>(65536, wire.size() - i);
        h.tcp(C, {wire.begin() + i, wire.begin() + i + n}, kT0);
    }
    h.consumer.onClose(kT0 + 1);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.sink.records[0]["nfs"], Json::parse(R"({"offset":1048576,"count":2097152})"));
    EXPECT_EQ(h.sink.records[1]["nfs"]["name"], "passwd");
    EXPECT_TRUE(h.anomalies.counts.empty());
}

// The snap length cut a WRITE: 1000 bytes of its data never arrived. The framing survives the
// gap, the WRITE is reported from its header, and the next record is parsed in sync.
TEST(OncConsumer, GapInsideRecordPayloadKeepsFraming) {
    Harness h;
    Xdr w;
    w.call(60, 100003, 3, 7).opaque({1, 2, 3, 4}).u64(4096).u32(1500).u32(0).u32(1500).zeros(1500);
    std::vector<uint8_t> wire = test::recordMark(w.b);
    size_t cut = wire.size() - 1000;  // the last 1000 data bytes are the gap
    h.tcp(C, {wire.begin(), wire.begin() + cut}, kT0);
    h.consumer.onGap(C, 1000);
    h.tcp(C, test::recordMark(lookupCall(61, "shadow")), kT0 + 1);
    h.tcp(S, test::recordMark(nfs3Reply(61, 0)), kT0 + 2);
    h.consumer.onClose(kT0 + 3);
    ASSERT_EQ(h.sink.records.size(), 2u);
    const Json& lookup = h.sink.records[0];
    EXPECT_EQ(lookup["nfs"]["name"], "shadow");
    EXPECT_EQ(lookup["nfs"]["status"], "NFS3_OK");
    const Json& write = h.sink.records[1];
    EXPECT_EQ(write["rpc"]["procedure_name"], "WRITE");
    EXPECT_EQ(write["nfs"]["offset"], 4096);
    EXPECT_EQ(write["nfs"]["count"], 1500);
    EXPECT_TRUE(write["rpc"]["reply"].is_null());
    EXPECT_EQ(h.anomalies.get("onc.resync_skipped_bytes"), 0u) << "no resync was needed";
}

// A gap that reaches past the record's end loses the framing: the cut record is still
// reported from its header (counted), and the stream resynchronises on the next call.
TEST(OncConsumer, GapPastRecordEndReportsCutRecordAndResyncs) {
    Harness h;
    std::vector<uint8_t> first = test::recordMark(lookupCall(70, "id_rsa"));
    // Mark 4 + call header 24 + AUTH_SYS cred 36 + verifier 8 = 72: the header arrived, the
    // file handle and name did not.
    h.tcp(C, {first.begin(), first.begin() + 76}, kT0);
    h.consumer.onGap(C, 5000);
    h.tcp(C, test::recordMark(lookupCall(71, "b")), kT0 + 1);
    h.consumer.onClose(kT0 + 2);
    ASSERT_EQ(h.sink.records.size(), 2u);
    EXPECT_EQ(h.anomalies.get("onc.record_cut_by_gap"), 1u);
    std::set<uint64_t> xids;
    for (const Json& r : h.sink.records) xids.insert(r["rpc"]["xid"].get<uint64_t>());
    EXPECT_EQ(xids, (std::set<uint64_t>{70, 71}));
}

// The capture ends in the middle of a record (tcpdump's nfs-seg-fault-1): the call is still
// reported, with reply null, and the cut is counted - never silently dropped.
TEST(OncConsumer, RecordCutByEndOfCaptureIsReported) {
    Harness h;
    std::vector<uint8_t> rec = test::recordMark(lookupCall(80, "krb5.keytab"));
    h.tcp(C, {rec.begin(), rec.end() - 3}, kT0);
    EXPECT_TRUE(h.sink.records.empty());
    h.consumer.onClose(kT0 + 1);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["xid"], 80);
    EXPECT_TRUE(h.sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_EQ(h.anomalies.get("onc.incomplete_record_at_close"), 1u);
}

TEST(OncConsumer, CallbackFromServerJoinedWithClientReply) {
    Harness h;
    Xdr cb;
    cb.call(0x900, 0x40000000, 1, 0);  // CB_NULL sent by the NFSv4 server
    h.tcp(S, test::recordMark(cb.b), kT0);
    Xdr r;
    r.reply(0x900);
    h.tcp(C, test::recordMark(r.b), kT0 + 1000);
    ASSERT_EQ(h.sink.records.size(), 1u);
    EXPECT_EQ(h.sink.records[0]["rpc"]["callback"], true);
    EXPECT_EQ(h.sink.records[0]["rpc"]["procedure_name"], "CB_NULL");
    EXPECT_EQ(h.sink.records[0]["rpc"]["reply"]["status"], "accepted");
}

// ---- Replays of real captures (payloads extracted with tshark, see testdata headers) ----

struct Payload {
    TimeNs ts;
    std::string src;
    uint16_t sport, dport;
    std::vector<uint8_t> bytes;
};

std::vector<Payload> loadPayloads(const std::string& name) {
    std::ifstream in(std::string(ONC_TESTDATA) + "/" + name);
    std::vector<Payload> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string ts, hex;
        Payload p;
        ls >> ts >> p.src >> p.sport >> p.dport >> hex;
        size_t dot = ts.find('.');
        p.ts = std::stoull(ts.substr(0, dot)) * kSec + std::stoull(ts.substr(dot + 1));
        for (size_t i = 0; i + 1 < hex.size(); i += 2)
            p.bytes.push_back(uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
        out.push_back(std::move(p));
    }
    return out;
}

const Json* findRecord(const std::vector<Json>& recs, const std::string& proc,
                       const std::string& op = "") {
    for (const Json& r : recs) {
        if (r["rpc"].value("procedure_name", "") != proc) continue;
        if (op.empty()) return &r;
        if (!r.contains("nfs") || !r["nfs"].contains("ops")) continue;
        for (const Json& o : r["nfs"]["ops"])
            if (o == op) return &r;
    }
    return nullptr;
}

TEST(OncReplay, Nfs41OverTcp) {
    std::vector<Payload> payloads = loadPayloads("nfs4-01.tcp.txt");
    ASSERT_EQ(payloads.size(), 66u);
    Harness h(IPPROTO_TCP);
    for (const Payload& p : payloads) h.tcp(p.sport == 880 ? C : S, p.bytes, p.ts);
    h.consumer.onClose(payloads.back().ts);
    // tshark counts 33 calls (rpc.msgtyp == 0), CB_NULL included; every one was answered.
    ASSERT_EQ(h.sink.records.size(), 33u);
    for (const Json& r : h.sink.records) {
        EXPECT_FALSE(r["rpc"]["reply"].is_null()) << r.dump();
        if (r.contains("nfs") && r["nfs"].value("status", "") == "NFS4_OK") {
            EXPECT_EQ(r["nfs"]["op_status"].size(), r["nfs"]["ops"].size()) << r.dump();
        }
    }
    EXPECT_TRUE(h.anomalies.counts.empty()) << testing::PrintToString(h.anomalies.counts);

    const Json* ex = findRecord(h.sink.records, "COMPOUND", "EXCHANGE_ID");
    ASSERT_NE(ex, nullptr);
    EXPECT_EQ((*ex)["rpc"]["xid"], 0x8ad3d427u);
    EXPECT_EQ((*ex)["nfs"]["minor_version"], 1);
    EXPECT_TRUE((*ex)["nfs"].contains("client_id"));
    const Json* lookup = findRecord(h.sink.records, "COMPOUND", "LOOKUP");
    ASSERT_NE(lookup, nullptr);
    EXPECT_EQ((*lookup)["nfs"]["name"], "vol1");
    EXPECT_EQ((*lookup)["nfs"]["ops"],
              Json::parse(R"(["SEQUENCE","PUTFH","LOOKUP","GETFH","GETATTR"])"));
    const Json* open = findRecord(h.sink.records, "COMPOUND", "OPEN");
    ASSERT_NE(open, nullptr);
    EXPECT_EQ((*open)["nfs"]["name"], "file");
    const Json* write = findRecord(h.sink.records, "COMPOUND", "WRITE");
    ASSERT_NE(write, nullptr);
    EXPECT_EQ((*write)["rpc"]["xid"], 2731791399u);  // suricata-verify nfs4-01 expectation
    EXPECT_EQ((*write)["nfs"]["offset"], 0);
    EXPECT_EQ((*write)["nfs"]["count"], 5);
    EXPECT_EQ((*write)["nfs"]["status"], "NFS4_OK");
    const Json* cb = findRecord(h.sink.records, "CB_NULL");
    ASSERT_NE(cb, nullptr);
    EXPECT_EQ((*cb)["rpc"]["callback"], true);
}

TEST(OncReplay, Nfs3OverUdpWithPortmapAndMount) {
    std::vector<Payload> payloads = loadPayloads("nfs3-01.udp.txt");
    ASSERT_EQ(payloads.size(), 128u);
    test::FakeSink sink;
    test::FakeCounter anomalies;
    test::FakeLearner learner;
    std::map<std::pair<uint16_t, uint16_t>, std::unique_ptr<OncConsumer>> flows;
    const std::string client = "139.25.22.2";
    for (const Payload& p : payloads) {
        bool to_server = p.src == client;
        uint16_t cport = to_server ? p.sport : p.dport, sport = to_server ? p.dport : p.sport;
        auto& c = flows[{cport, sport}];
        if (!c) {
            FlowContext f;
            f.key.client = test::v4(139, 25, 22, 2);
            f.key.server = test::v4(139, 25, 22, 102);
            f.key.client_port = cport;
            f.key.server_port = sport;
            f.key.l4proto = IPPROTO_UDP;
            c = std::make_unique<OncConsumer>(f, sink, anomalies, &learner);
        }
        c->onDatagram(to_server ? C : S, p.bytes, p.ts);
    }
    for (auto& [k, c] : flows) c->onClose(payloads.back().ts);
    ASSERT_EQ(sink.records.size(), 64u);  // tshark: 64 calls, 64 replies
    for (const Json& r : sink.records) EXPECT_FALSE(r["rpc"]["reply"].is_null()) << r.dump();
    EXPECT_TRUE(anomalies.counts.empty()) << testing::PrintToString(anomalies.counts);

    // GETADDR replies taught the MOUNT and NFS ports (udp).
    std::set<uint16_t> ports;
    for (const LearnedEndpoint& ep : learner.learned) {
        EXPECT_EQ(ep.addr, test::v4(139, 25, 22, 102));
        EXPECT_EQ(ep.l4proto, IPPROTO_UDP);
        ports.insert(ep.port);
    }
    EXPECT_EQ(ports, (std::set<uint16_t>{1048, 2049}));

    const Json* mnt = findRecord(sink.records, "MNT");
    ASSERT_NE(mnt, nullptr);
    EXPECT_EQ((*mnt)["mount"], Json::parse(R"({"path":"/home/girlich/export","status":"MNT3_OK"})"));
    const Json* rename = findRecord(sink.records, "RENAME");
    ASSERT_NE(rename, nullptr);
    EXPECT_EQ((*rename)["rpc"]["xid"], 0x5e1d0be9u);
    EXPECT_EQ((*rename)["nfs"], Json::parse(R"({"name":"a","rename_to":"am","status":"NFS3_OK"})"));
    const Json* link = findRecord(sink.records, "LINK");
    ASSERT_NE(link, nullptr);
    EXPECT_EQ((*link)["nfs"]["name"], "bln");
    const Json* sym = findRecord(sink.records, "SYMLINK");
    ASSERT_NE(sym, nullptr);
    EXPECT_EQ((*sym)["nfs"]["name"], "blns");
    EXPECT_EQ((*sym)["nfs"]["symlink_target"], "b");
    const Json* read = findRecord(sink.records, "READ");
    ASSERT_NE(read, nullptr);
    EXPECT_TRUE((*read)["nfs"].contains("offset"));
    EXPECT_EQ((*read)["rpc"]["cred"]["flavor"], "AUTH_UNIX");
}

}  // namespace
}  // namespace rpcmon::onc
