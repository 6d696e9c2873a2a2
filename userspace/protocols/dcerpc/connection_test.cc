// SPDX-License-Identifier: Apache-2.0
// Connection state machine: binds → contexts, call matching, reassembly, faults, timeouts,
// bounds, endpoint learning, pipes; then corpus replays with values from the pcaps' public
// expectations (suricata-verify yaml, tshark dissection).
#include "protocols/dcerpc/connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "protocols/dcerpc/replay_util.h"
#include "protocols/dcerpc/test_util.h"

namespace rpcmon::dcerpc {
namespace {

using namespace test;

constexpr TimeNs kT0 = 1'700'000'000ull * kNsPerSec;
const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";
const char* kSrvsvc = "4b324fc8-1670-01d3-1278-5a47bf6ee188";
const char* kEpm = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";

FlowContext flow() {
    FlowContext f;
    f.key.client = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    f.key.server = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
    f.key.client_port = 50000;
    f.key.server_port = 135;
    f.key.l4proto = IPPROTO_TCP;
    f.flow_id = 42;
    return f;
}

struct Fixture : ::testing::Test {
    RecordingSink sink;
    RecordingCounter counter;
    RecordingLearner learner;
    ConnectionConfig cfg;
    std::unique_ptr<Connection> conn;
    void SetUp() override { conn = std::make_unique<Connection>(flow(), sink, counter, &learner, std::nullopt, cfg); }
    void reset(ConnectionConfig c) {
        cfg = c;
        conn = std::make_unique<Connection>(flow(), sink, counter, &learner, std::nullopt, cfg);
    }
    void toServer(const Buf& b, TimeNs ts = kT0) { EXPECT_EQ(conn->consume(Direction::ToServer, view(b), ts), b.size()); }
    void fromServer(const Buf& b, TimeNs ts = kT0) { EXPECT_EQ(conn->consume(Direction::FromServer, view(b), ts), b.size()); }
    // bind 3 samr items; the server rejects ctx 0, accepts ctx 1, negotiate_ack for ctx 2.
    void bindSamr() {
        toServer(bind(2, {{0, kSamr, 1, 0}, {1, kSamr, 1, 0}, {2, kSamr, 1, 0}}));
        fromServer(bindAck(2, {2, 0, 3}));
    }
};

TEST_F(Fixture, BindThreeItemsThenRequestResponseOnAcceptedContext) {
    bindSamr();
    EXPECT_EQ(conn->contextCount(), 1u);
    Buf stub(24, 0);  // SamrEnumerateUsersInDomain args (not decoded)
    toServer(request(3, 1, 13, stub), kT0 + 1000);
    Buf resp = Ndr{}.u32(0).u32(0).u32(0).u32(0x00000105).b;  // ... STATUS_MORE_ENTRIES
    fromServer(response(3, 1, resp), kT0 + 251000);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& r = sink.records[0];
    EXPECT_EQ(r["event_type"], "rpc");
    EXPECT_EQ(r["src_ip"], "10.0.0.1");
    EXPECT_EQ(r["dest_port"], 135);
    const Json& rpc = r["rpc"];
    EXPECT_EQ(rpc["family"], "dcerpc");
    EXPECT_EQ(rpc["call_id"], 3);
    EXPECT_EQ(rpc["interface"]["uuid"], kSamr);
    EXPECT_EQ(rpc["interface"]["name"], "samr");
    EXPECT_EQ(rpc["interface"]["version"], "1.0");
    EXPECT_EQ(rpc["opnum"], 13);
    EXPECT_EQ(rpc["operation"], "SamrEnumerateUsersInDomain");
    EXPECT_EQ(rpc["auth"]["level"], "none");
    EXPECT_EQ(rpc["reply"]["packet_type"], "response");
    EXPECT_EQ(rpc["reply"]["status"], "0x00000105");
    EXPECT_EQ(rpc["latency_us"], 250);
    ASSERT_EQ(rpc["bind"].size(), 1u);
    const Json& ctxs = rpc["bind"][0]["contexts"];
    ASSERT_EQ(ctxs.size(), 3u);
    EXPECT_EQ(ctxs[0]["result"], "provider_rejection");
    EXPECT_EQ(ctxs[1]["result"], "acceptance");
    EXPECT_EQ(ctxs[2]["result"], "negotiate_ack");
    EXPECT_EQ(rpc["bind"][0]["secondary_addr"], "49155");
    EXPECT_EQ(conn->pendingCalls(), 0u);
}

// Binds no call follows (interface-UUID brute force, a client refused everywhere) are reported
// at close as one dcerpc_bind record, including proposals never answered.
TEST_F(Fixture, BindsWithoutCallsAreReportedAtClose) {
    bindSamr();                                     // answered: 1 accepted, 2 rejected
    toServer(bind(5, {{0, kSamr, 1, 0}}));          // never answered
    conn->close(kT0 + 1);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& r = sink.records[0];
    EXPECT_EQ(r["event_type"], "dcerpc_bind");
    ASSERT_EQ(r["rpc"]["bind"].size(), 2u);
    EXPECT_EQ(r["rpc"]["bind"][0]["contexts"].size(), 3u);
    EXPECT_EQ(r["rpc"]["bind"][1]["contexts"][0]["result"], "no_response");
    EXPECT_EQ(r["rpc"]["bind"][1]["contexts"][0]["name"], "samr");
}

TEST_F(Fixture, BindReportOnlyOnFirstCall) {
    bindSamr();
    toServer(request(3, 1, 1, Buf(20, 0)));
    fromServer(response(3, 1, Buf(24, 0)));
    toServer(request(4, 1, 1, Buf(20, 0)));
    fromServer(response(4, 1, Buf(24, 0)));
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_TRUE(sink.records[0]["rpc"].contains("bind"));
    EXPECT_FALSE(sink.records[1]["rpc"].contains("bind"));
}

// A request on a context the server rejected is still what the client tried to call (a refused
// coercion or DCOM activation matters to detections): named after the proposal, flagged.
TEST_F(Fixture, RequestOnRejectedContextKeepsProposedInterfaceFlagged) {
    bindSamr();
    toServer(request(3, 0, 13, Buf(8, 0)));
    fromServer(fault(3, 0x1c010002));  // nca_s_unk_if
    EXPECT_EQ(counter.get("dcerpc.unknown_context"), 0u);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& rpc = sink.records[0]["rpc"];
    EXPECT_EQ(rpc["interface"]["name"], "samr");
    EXPECT_EQ(rpc["operation"], "SamrEnumerateUsersInDomain");
    EXPECT_EQ(rpc["context_rejected"], true);
    EXPECT_FALSE(rpc.contains("context_id"));
    EXPECT_EQ(rpc["reply"]["packet_type"], "fault");
    EXPECT_EQ(rpc["reply"]["status"], "0x1c010002");
}

TEST_F(Fixture, RequestOnNeverProposedContextCountsUnknownContext) {
    bindSamr();
    toServer(request(3, 7, 13, Buf(8, 0)));
    fromServer(response(3, 7, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.unknown_context"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_FALSE(sink.records[0]["rpc"].contains("interface"));
    EXPECT_EQ(sink.records[0]["rpc"]["context_id"], 7);
    EXPECT_FALSE(sink.records[0]["rpc"]["reply"].contains("status"));  // unknown interface
}

// arkime dcerpc_synthetic.pcap: the bind_ack's result list is empty for the one proposed
// context (C706 12.6.4.4 wants one result per context) and the server answers the request on it.
TEST_F(Fixture, BindAckWithoutResultsKeepsProposedInterface) {
    toServer(bind(1, {{0, kSamr, 1, 0}}));
    fromServer(bindAck(1, {}));
    EXPECT_EQ(counter.get("dcerpc.bind_ack_missing_results"), 1u);
    toServer(request(2, 0, 13, Buf(24, 0)));
    fromServer(response(2, 0, Ndr{}.u32(0).u32(0xc0000022).b));
    EXPECT_EQ(counter.get("dcerpc.unknown_context"), 0u);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& rpc = sink.records[0]["rpc"];
    EXPECT_EQ(rpc["interface"]["name"], "samr");
    EXPECT_EQ(rpc["operation"], "SamrEnumerateUsersInDomain");
    EXPECT_FALSE(rpc["bind"][0]["contexts"][0].contains("result"));
    EXPECT_EQ(rpc["reply"]["status"], "0xc0000022");
}

// The bind_ack never seen (lost, or the request sent before it): the pending proposal names the
// interface.
TEST_F(Fixture, RequestBeforeBindAckUsesPendingProposal) {
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}));
    toServer(request(2, 0, 15, Buf(24, 0)));
    fromServer(response(2, 0, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.unknown_context"), 0u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["interface"]["name"], "srvsvc");
    EXPECT_FALSE(sink.records[0]["rpc"].contains("context_id"));
}

TEST_F(Fixture, FragmentedRequestReassembledAndDecoded) {
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}));
    fromServer(bindAck(1, {0}));
    Buf stub = Ndr{}.uniqueWstr(std::nullopt).wstr("\\..\\..\\AAAAAAAAAAAAAAAAAAAA").u32(100).wstr("\\").u32(1).u32(0).b;
    size_t third = stub.size() / 3;
    Buf a(stub.begin(), stub.begin() + third), b(stub.begin() + third, stub.begin() + 2 * third),
        c(stub.begin() + 2 * third, stub.end());
    toServer(request(7, 0, 31, a, PFC_FIRST_FRAG));
    toServer(request(7, 0, 31, b, 0));
    EXPECT_TRUE(sink.records.empty());
    toServer(request(7, 0, 31, c, PFC_LAST_FRAG));
    fromServer(response(7, 0, Ndr{}.u32(0).u32(0).u32(0).b));
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& rpc = sink.records[0]["rpc"];
    EXPECT_EQ(rpc["operation"], "NetprPathCanonicalize");
    EXPECT_EQ(rpc["args"]["path"], "\\..\\..\\AAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(rpc["reply"]["status"], "0x00000000");
}

// Two calls fragmented and interleaved on one connection (call 7 first, call 8 first, call 7
// last, call 8 last; replies interleaved the same way): each reassembles from its own call_id.
TEST_F(Fixture, InterleavedFragmentsOfConcurrentCallsReassembleByCallId) {
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}));
    fromServer(bindAck(1, {0}));
    auto canon = [](const std::string& path) {
        return Ndr{}.uniqueWstr(std::nullopt).wstr(path).u32(100).wstr("\\").u32(1).u32(0).b;
    };
    Buf s7 = canon("\\..\\..\\seven"), s8 = canon("\\..\\..\\eight");
    auto half = [](const Buf& b, bool second) {
        size_t h = b.size() / 2;
        return second ? Buf(b.begin() + long(h), b.end()) : Buf(b.begin(), b.begin() + long(h));
    };
    toServer(request(7, 0, 31, half(s7, false), PFC_FIRST_FRAG));
    toServer(request(8, 0, 31, half(s8, false), PFC_FIRST_FRAG));
    toServer(request(7, 0, 31, half(s7, true), PFC_LAST_FRAG));
    toServer(request(8, 0, 31, half(s8, true), PFC_LAST_FRAG));
    fromServer(response(8, 0, Buf{0, 0, 0, 0}, PFC_FIRST_FRAG));
    fromServer(response(7, 0, Buf{0, 0, 0, 0}, PFC_FIRST_FRAG));
    fromServer(response(8, 0, Buf{0, 0, 0, 0, 0x22, 0, 0, 0xc0}, PFC_LAST_FRAG));  // ends 0xc0000022
    fromServer(response(7, 0, Buf{0, 0, 0, 0, 0, 0, 0, 0}, PFC_LAST_FRAG));
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 8);
    EXPECT_EQ(sink.records[0]["rpc"]["args"]["path"], "\\..\\..\\eight");
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["status"], "0xc0000022");
    EXPECT_EQ(sink.records[1]["rpc"]["call_id"], 7);
    EXPECT_EQ(sink.records[1]["rpc"]["args"]["path"], "\\..\\..\\seven");
    EXPECT_EQ(sink.records[1]["rpc"]["reply"]["status"], "0x00000000");
    EXPECT_EQ(counter.get("dcerpc.orphan_fragment"), 0u);
    EXPECT_EQ(counter.get("dcerpc.ndr_decode_failed"), 0u);
}

TEST_F(Fixture, FragmentedResponseStatusFromLastFragment) {
    bindSamr();
    toServer(request(3, 1, 13, Buf(8, 0)));
    fromServer(response(3, 1, Buf(100, 0x11), PFC_FIRST_FRAG));
    // Stub bytes across fragments end 22 00 00 c0: status 0xc0000022 (ACCESS_DENIED).
    fromServer(response(3, 1, Buf{0x22}, 0));
    fromServer(response(3, 1, Buf{0x00, 0x00}, 0));
    fromServer(response(3, 1, Buf{0xc0}, PFC_LAST_FRAG));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["status"], "0xc0000022");
}

TEST_F(Fixture, FaultReportsStatus) {
    bindSamr();
    toServer(request(3, 1, 200, Buf(4, 0)));
    fromServer(fault(3, 0x1c010003));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["packet_type"], "fault");
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["status"], "0x1c010003");
    EXPECT_FALSE(sink.records[0]["rpc"].contains("operation"));
}

TEST_F(Fixture, TimeoutReportsNullReply) {
    bindSamr();
    toServer(request(3, 1, 13, Buf(8, 0)));
    conn->tick(kT0 + cfg.call_timeout - 1);
    EXPECT_TRUE(sink.records.empty());
    conn->tick(kT0 + cfg.call_timeout);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_FALSE(sink.records[0]["rpc"].contains("latency_us"));
    EXPECT_EQ(conn->pendingCalls(), 0u);
    // A late reply is now unmatched.
    fromServer(response(3, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.unmatched_response"), 1u);
}

TEST_F(Fixture, CloseReportsPendingCalls) {
    bindSamr();
    toServer(request(3, 1, 13, Buf(8, 0)));
    toServer(request(4, 1, 14, Buf(8, 0)));
    conn->close(kT0 + 5);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_TRUE(sink.records[1]["rpc"]["reply"].is_null());
}

TEST_F(Fixture, EndlessFragmentChainIsBounded) {
    bindSamr();
    Buf frag(5800, 0x41);  // within the negotiated max_recv_frag (5840)
    toServer(request(9, 1, 13, frag, PFC_FIRST_FRAG));
    for (int i = 0; i < 200; i++) toServer(request(9, 1, 13, frag, 0));  // 1.16 MB, never LAST
    EXPECT_EQ(counter.get("dcerpc.reassembly_limit"), 1u);
    conn->tick(kT0 + cfg.call_timeout);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["truncated"], true);
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
}

TEST_F(Fixture, TooManyFragmentsIsBounded) {
    bindSamr();
    toServer(request(9, 1, 13, Buf(1, 0), PFC_FIRST_FRAG));
    for (size_t i = 0; i < kMaxFragmentsPerCall + 5; i++) toServer(request(9, 1, 13, Buf(1, 0), 0));
    EXPECT_EQ(counter.get("dcerpc.reassembly_limit"), 1u);
}

TEST_F(Fixture, OrphanContinuationFragmentCounted) {
    bindSamr();
    toServer(request(9, 1, 13, Buf(8, 0), PFC_LAST_FRAG));
    EXPECT_EQ(counter.get("dcerpc.orphan_fragment"), 1u);
    EXPECT_EQ(conn->pendingCalls(), 0u);
}

// The shared pending table evicts by arrival: call 4, stamped earlier than call 3 before it
// (per-CPU ring buffers deliver slightly out of time order), is not the one given up.
TEST_F(Fixture, PendingCallsBoundedWithEviction) {
    ConnectionConfig c;
    c.max_pending_calls = 2;
    reset(c);
    bindSamr();
    toServer(request(3, 1, 1, Buf(4, 0)), kT0 + 5);
    toServer(request(4, 1, 1, Buf(4, 0)), kT0 + 1);
    toServer(request(5, 1, 1, Buf(4, 0)), kT0 + 6);
    EXPECT_EQ(counter.get("dcerpc.pending_evicted"), 1u);
    EXPECT_EQ(conn->pendingCalls(), 2u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 3);  // the oldest arrival
}

// A request PDU from the server side is no call of the client's, and a response from the client
// side answers nothing: counted by name, neither reported nor matched.
TEST_F(Fixture, RequestFromServerSideIsAnomalyNotCall) {
    bindSamr();
    fromServer(request(3, 1, 13, Buf(24, 0)), kT0 + 1);
    EXPECT_EQ(counter.get("dcerpc.request_from_server"), 1u);
    EXPECT_EQ(conn->pendingCalls(), 0u);
    toServer(request(4, 1, 1, Buf(4, 0)), kT0 + 2);
    toServer(response(4, 1, Ndr{}.u32(0).b), kT0 + 3);
    EXPECT_EQ(counter.get("dcerpc.response_from_client"), 1u);
    EXPECT_EQ(conn->pendingCalls(), 1u);
    conn->close(kT0 + 4);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 4);
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
}

// Same rule as ONC: a reply stamped before its call has no latency (omitted, never 0).
TEST_F(Fixture, ReplyBeforeCallOmitsLatency) {
    bindSamr();
    toServer(request(3, 1, 1, Buf(4, 0)), kT0 + 10000);
    fromServer(response(3, 1, Ndr{}.u32(0).b), kT0);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_FALSE(sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_FALSE(sink.records[0]["rpc"].contains("latency_us"));
}

TEST_F(Fixture, ContextTableFull) {
    ConnectionConfig c;
    c.max_contexts = 2;
    reset(c);
    toServer(bind(2, {{0, kSamr, 1, 0}, {1, kSamr, 1, 0}, {2, kSamr, 1, 0}}));
    fromServer(bindAck(2, {0, 0, 0}));
    EXPECT_EQ(conn->contextCount(), 2u);
    EXPECT_EQ(counter.get("dcerpc.context_table_full"), 1u);
}

TEST_F(Fixture, AlterContextAddsContext) {
    bindSamr();
    toServer(bind(3, {{5, kSrvsvc, 3, 0}}, true));
    fromServer(bindAck(3, {0}, "", true));
    EXPECT_EQ(conn->contextCount(), 2u);
    toServer(request(4, 5, 15, Buf(4, 0)));
    fromServer(response(4, 5, Buf(8, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["interface"]["name"], "srvsvc");
    EXPECT_EQ(sink.records[0]["rpc"]["operation"], "NetrShareEnum");
    // Both outcomes since the last call, oldest first.
    ASSERT_EQ(sink.records[0]["rpc"]["bind"].size(), 2u);
    EXPECT_EQ(sink.records[0]["rpc"]["bind"][0]["packet_type"], "bind");
    EXPECT_EQ(sink.records[0]["rpc"]["bind"][1]["packet_type"], "alter_context");
}

// alter_context re-binds context id 1 (samr) to srvsvc while call 3 on it is in flight: call 3
// stays a samr call (request and reply), call 4 after the re-bind is a srvsvc call.
TEST_F(Fixture, AlterContextRebindingContextIdMidCallKeepsEachCallsInterface) {
    bindSamr();
    toServer(request(3, 1, 13, Buf(24, 0)));                  // SamrEnumerateUsersInDomain
    toServer(bind(4, {{1, kSrvsvc, 3, 0}}, true));            // alter_context: ctx 1 → srvsvc
    fromServer(bindAck(4, {0}, "", true));                    // accepted
    fromServer(response(3, 1, Ndr{}.u32(0).u32(0).u32(0).u32(0).b));
    toServer(request(5, 1, 15, Buf(4, 0)));                   // NetrShareEnum on the new binding
    fromServer(response(5, 1, Buf(8, 0)));
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 3);
    EXPECT_EQ(sink.records[0]["rpc"]["interface"]["name"], "samr");
    EXPECT_EQ(sink.records[0]["rpc"]["operation"], "SamrEnumerateUsersInDomain");
    EXPECT_EQ(sink.records[1]["rpc"]["call_id"], 5);
    EXPECT_EQ(sink.records[1]["rpc"]["interface"]["name"], "srvsvc");
    EXPECT_EQ(sink.records[1]["rpc"]["operation"], "NetrShareEnum");
}

TEST_F(Fixture, BindNakReportedOnNextCall) {
    toServer(bind(2, {{0, kSamr, 1, 0}}));
    fromServer(pdu(uint8_t(PduType::BindNak), 0x03, 2, Buf{0x04, 0x00}));
    EXPECT_EQ(conn->contextCount(), 0u);
    toServer(request(3, 0, 1, Buf(4, 0)));
    conn->close(kT0);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["bind"][0]["packet_type"], "bind_nak");
    EXPECT_EQ(sink.records[0]["rpc"]["bind"][0]["reason"], "protocol_version_not_supported");
}

TEST_F(Fixture, NtlmIdentityFromAuth3AndVerifierLevel) {
    Auth neg{10, 5, Buf{'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0}};
    toServer(bind(2, {{0, kSamr, 1, 0}}, false, neg));
    fromServer(bindAck(2, {0}));
    Buf auth3body(4, 0);
    toServer(pdu(uint8_t(PduType::Auth3), 0x03, 2, auth3body, Auth{10, 5, ntlmAuthenticate("CORP", "bob", "WS7")}));
    toServer(request(3, 0, 1, Buf(8, 0), 0x03, std::nullopt, Auth{10, 5, Buf(16, 0)}));
    fromServer(response(3, 0, Buf(24, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& auth = sink.records[0]["rpc"]["auth"];
    EXPECT_EQ(auth["type"], "NTLMSSP");
    EXPECT_EQ(auth["level"], "pkt_integrity");
    EXPECT_EQ(auth["user"], "bob");
    EXPECT_EQ(auth["domain"], "CORP");
}

TEST_F(Fixture, ObjectUuidReported) {
    bindSamr();
    toServer(request(3, 1, 1, Buf(4, 0), 0x03, std::string("ccd8c074-d0e5-4a40-92b4-d074faa6ba28")));
    fromServer(response(3, 1, Buf(8, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["object_uuid"], "ccd8c074-d0e5-4a40-92b4-d074faa6ba28");
}

// PFC_OBJECT_UUID (0x80) puts a 16-byte object UUID between opnum and stub, in every fragment
// that carries the flag: the stub (here NetprPathCanonicalize, in two fragments) starts after it.
TEST_F(Fixture, ObjectUuidFlagShiftsStubInEveryFragment) {
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}));
    fromServer(bindAck(1, {0}));
    Buf stub = Ndr{}.uniqueWstr(std::nullopt).wstr("\\..\\obj").u32(100).wstr("\\").u32(1).u32(0).b;
    const std::string obj = "ccd8c074-d0e5-4a40-92b4-d074faa6ba28";
    size_t h = stub.size() / 2;
    toServer(request(2, 0, 31, Buf(stub.begin(), stub.begin() + long(h)), PFC_FIRST_FRAG, obj));
    toServer(request(2, 0, 31, Buf(stub.begin() + long(h), stub.end()), PFC_LAST_FRAG, obj));
    fromServer(response(2, 0, Buf(12, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["object_uuid"], obj);
    EXPECT_EQ(sink.records[0]["rpc"]["args"]["path"], "\\..\\obj");
    EXPECT_EQ(counter.get("dcerpc.ndr_decode_failed"), 0u);
}

// Auth padding: the verifier follows the stub padded to 4 bytes, auth_pad_length says by how
// much. Request stub 37 bytes (3 pad bytes) decodes whole; a pad length reaching into the
// request header is malformed (counted) and the next call is still reported.
TEST_F(Fixture, AuthPaddingStrippedFromStubAndLyingPadCounted) {
    Auth neg{10, 5, Buf{'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0}};
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}, false, neg));
    fromServer(bindAck(1, {0}));
    Buf stub = Ndr{}.uniqueWstr(std::nullopt).wstr("\\pad").u32(100).wstr("\\").u32(1).u32(0).b;
    stub.push_back(0xEE);  // one trailing byte: 16 + 8 + stub is not 4-aligned → pad
    Buf req = request(2, 0, 31, stub, 0x03, std::nullopt, Auth{10, 5, Buf(16, 0)});
    const size_t trailer = req.size() - 16 - 8;
    ASSERT_NE(req[trailer + 2], 0);  // auth_pad_length (offset 2 of the sec_trailer) non-zero
    toServer(req);
    fromServer(response(2, 0, Buf(12, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["args"]["path"], "\\pad");
    EXPECT_EQ(sink.records[0]["rpc"]["auth"]["level"], "pkt_integrity");

    Buf bad = request(3, 0, 31, stub, 0x03, std::nullopt, Auth{10, 5, Buf(16, 0)});
    bad[bad.size() - 16 - 8 + 2] = 0xF0;  // auth_pad_length 240 > stub + request header
    Buf next = request(4, 0, 15, Buf(4, 0));
    bad.insert(bad.end(), next.begin(), next.end());
    toServer(bad);
    fromServer(response(4, 0, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.auth_len_invalid"), 1u);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[1]["rpc"]["call_id"], 4);
}

TEST_F(Fixture, NdrDecodeFailureCountedWithoutArgs) {
    toServer(bind(1, {{0, kSrvsvc, 3, 0}}));
    fromServer(bindAck(1, {0}));
    toServer(request(2, 0, 31, Buf{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));
    fromServer(response(2, 0, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.ndr_decode_failed"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_FALSE(sink.records[0]["rpc"].contains("args"));
}

TEST_F(Fixture, EptMapReplyLearnsEndpointWithServerAddress) {
    toServer(bind(2, {{0, kEpm, 3, 0}}));
    fromServer(bindAck(2, {0}, "135"));
    // ept_map request: object NULL, map_tower for samr (tower from the reply is what matters).
    Buf req = Ndr{}.u32(0).u32(0).handle(0).u32(4).b;
    toServer(request(3, 0, 3, req), kT0);
    // Reply: one ncacn_ip_tcp tower, samr at 0.0.0.0:49667 (→ the EPM server's address).
    Buf t;
    put16(t, 5);
    put16(t, 19); t.push_back(0x0d); putUuid(t, kSamr); put16(t, 1); put16(t, 2); put16(t, 0);
    put16(t, 19); t.push_back(0x0d); putUuid(t, "8a885d04-1ceb-11c9-9fe8-08002b104860"); put16(t, 2); put16(t, 2); put16(t, 0);
    put16(t, 1); t.push_back(0x0b); put16(t, 2); put16(t, 0);
    put16(t, 1); t.push_back(0x07); put16(t, 2); t.push_back(0xc2); t.push_back(0x03);  // 49667
    put16(t, 1); t.push_back(0x09); put16(t, 4); t.insert(t.end(), 4, 0);
    Buf resp = Ndr{}.handle(0).u32(1).u32(4).u32(0).u32(1).u32(3).u32(uint32_t(t.size())).u32(uint32_t(t.size())).raw(t).align(4).u32(0).b;
    fromServer(response(3, 0, resp), kT0 + 2000);
    ASSERT_EQ(learner.eps.size(), 1u);
    const LearnedEndpoint& ep = learner.eps[0];
    EXPECT_EQ(ep.addr, flow().key.server);
    EXPECT_EQ(ep.port, 49667);
    EXPECT_EQ(ep.l4proto, IPPROTO_TCP);
    EXPECT_EQ(ep.app, RPCMON_APP_DCERPC);
    EXPECT_EQ(ep.name, "samr");
    EXPECT_EQ(ep.expires, kT0 + 2000 + kEndpointTtl);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["operation"], "ept_map");
    EXPECT_EQ(sink.records[0]["epm"]["endpoints"][0]["port"], 49667);
    EXPECT_EQ(sink.records[0]["epm"]["endpoints"][0]["name"], "samr");
}

TEST_F(Fixture, GarbageThenPduResynchronises) {
    bindSamr();
    Buf junk(50, 0x99);
    Buf req = request(3, 1, 1, Buf(8, 0));
    Buf all = junk;
    all.insert(all.end(), req.begin(), req.end());
    toServer(all);
    fromServer(response(3, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.bad_version"), 1u);  // counted once, then resync
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 3);
}

TEST_F(Fixture, GapMidFragmentTruncatesAndResyncs) {
    bindSamr();
    toServer(request(3, 1, 1, Buf(8, 0), PFC_FIRST_FRAG));
    conn->gap(Direction::ToServer);
    // Stream resumes in the middle of a PDU, then a fresh call.
    Buf tail(7, 0x00);
    Buf req = request(4, 1, 2, Buf(8, 0));
    tail.insert(tail.end(), req.begin(), req.end());
    toServer(tail);
    fromServer(response(4, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.gap"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 4);
    conn->close(kT0);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[1]["rpc"]["truncated"], true);
}

// frag_length smaller than the PDU sent: the PDU ends early (its call is reported with what it
// holds), the leftover bytes are garbage, counted once, and the next call is found again.
TEST_F(Fixture, FragLenSmallerThanPduResynchronisesToNextCall) {
    bindSamr();
    Buf lie = request(3, 1, 1, Buf(40, 0x99));
    lie[8] = uint8_t(lie.size() - 32);  // frag_length: 32 bytes short (stub ends after 8)
    Buf next = request(4, 1, 2, Buf(8, 0));
    Buf all = lie;
    all.insert(all.end(), next.begin(), next.end());
    toServer(all);
    fromServer(response(3, 1, Buf(8, 0)));
    fromServer(response(4, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.bad_version"), 1u);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 3);
    EXPECT_EQ(sink.records[1]["rpc"]["call_id"], 4);
}

// frag_length below the common header (16): malformed, counted, resynchronised.
TEST_F(Fixture, FragLenBelowHeaderIsCountedAndResynchronised) {
    bindSamr();
    Buf lie = request(3, 1, 1, Buf(8, 0));
    lie[8] = 8; lie[9] = 0;  // frag_length = 8
    Buf next = request(4, 1, 2, Buf(8, 0));
    Buf all = lie;
    all.insert(all.end(), next.begin(), next.end());
    toServer(all);
    fromServer(response(4, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.frag_len_invalid"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 4);
}

// frag_length larger than the bytes present but within the negotiated size: a PDU still
// arriving (TCP may deliver it in pieces): nothing is consumed until it is whole.
TEST_F(Fixture, FragLenLargerThanPresentWaitsForTheRest) {
    bindSamr();
    Buf req = request(3, 1, 1, Buf(100, 0));
    EXPECT_EQ(conn->consume(Direction::ToServer, view(req).first(60), kT0), 0u);
    EXPECT_EQ(conn->consume(Direction::ToServer, view(req), kT0), req.size());
    fromServer(response(3, 1, Buf(8, 0)));
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_TRUE(counter.counts.empty());
}

// frag_length above what the server said it receives (bind_ack max_recv_frag 5840): servers
// drop such a fragment (and the connection), so it must not swallow the PDUs behind it either:
// counted, resynchronised, and the following call is reported.
TEST_F(Fixture, FragLenBeyondNegotiatedMaximumIsCountedAndNotFollowed) {
    bindSamr();
    Buf lie = request(3, 1, 1, Buf(8, 0));
    lie[8] = 0x00; lie[9] = 0xF0;  // frag_length = 61440
    Buf next = request(4, 1, 2, Buf(8, 0));
    Buf all = lie;
    all.insert(all.end(), next.begin(), next.end());
    toServer(all);
    fromServer(response(4, 1, Buf(8, 0)));
    EXPECT_EQ(counter.get("dcerpc.frag_len_over_negotiated"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 4);
}

TEST_F(Fixture, PartialPduLeftUnconsumed) {
    Buf b = bind(2, {{0, kSamr, 1, 0}});
    EXPECT_EQ(conn->consume(Direction::ToServer, view(b).first(30), kT0), 0u);
    EXPECT_EQ(conn->consume(Direction::ToServer, view(b), kT0), b.size());
}

TEST(PipeStream, NamedPipeAndSmbKeysByteByByte) {
    RecordingSink sink;
    RecordingCounter counter;
    PipeInfo pipe;
    pipe.pipe_name = "srvsvc";
    pipe.smb.user = "alice";
    pipe.smb.domain = "CORP";
    pipe.smb.share = "IPC$";
    auto s = makePipeStream(flow(), pipe, sink, counter, nullptr);
    Buf c2s = bind(1, {{0, kSrvsvc, 3, 0}});
    Buf req = request(2, 0, 15, Buf(8, 0));
    c2s.insert(c2s.end(), req.begin(), req.end());
    for (uint8_t b : c2s) s->feed(Direction::ToServer, Bytes(&b, 1), kT0);
    Buf s2c = bindAck(1, {0}, "\\PIPE\\srvsvc");
    s->feed(Direction::FromServer, view(s2c), kT0);
    // bind_ack after the request was parsed: the context was unknown when the request arrived,
    // but the record is built at reply time, when it is known.
    s->feed(Direction::FromServer, view(response(2, 0, Buf(8, 0))), kT0 + 1000);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& r = sink.records[0];
    EXPECT_EQ(r["rpc"]["named_pipe"], "srvsvc");
    EXPECT_EQ(r["rpc"]["operation"], "NetrShareEnum");
    EXPECT_EQ(r["smb"]["user"], "alice");
    EXPECT_EQ(r["smb"]["share"], "IPC$");
}

// limits.protocols.dcerpc_* reach pipes too: the opener the SMB layer holds passes its config
// to every pipe connection it opens (a pipe used to get the built-in defaults).
TEST(PipeStream, OpenerAppliesConfiguredLimits) {
    RecordingSink sink;
    RecordingCounter counter;
    ConnectionConfig cfg;
    cfg.max_pending_calls = 1;
    cfg.max_contexts = 1;
    DcerpcPipeOpener opener(sink, counter, nullptr, cfg);
    PipeInfo pipe;
    pipe.pipe_name = "samr";
    auto s = opener.openPipe(flow(), pipe);
    s->feed(Direction::ToServer, view(bind(1, {{0, kSamr, 1, 0}, {1, kSamr, 1, 0}})), kT0);
    s->feed(Direction::FromServer, view(bindAck(1, {0, 0})), kT0);
    EXPECT_EQ(counter.get("dcerpc.context_table_full"), 1u);
    s->feed(Direction::ToServer, view(request(2, 0, 1, Buf(4, 0))), kT0 + 1);
    s->feed(Direction::ToServer, view(request(3, 0, 1, Buf(4, 0))), kT0 + 2);
    EXPECT_EQ(counter.get("dcerpc.pending_evicted"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["call_id"], 2);
}

TEST(TcpConsumer, DatagramCountedAndCloseFlushes) {
    RecordingSink sink;
    RecordingCounter counter;
    TcpConsumer c(flow(), sink, counter, nullptr);
    c.onDatagram(Direction::ToServer, Bytes{}, kT0);
    EXPECT_EQ(counter.get("dcerpc.unexpected_datagram"), 1u);
    Buf b = bind(1, {{0, kSamr, 1, 0}});
    EXPECT_EQ(c.onData(Direction::ToServer, view(b), kT0), b.size());
    Buf a = bindAck(1, {0});
    EXPECT_EQ(c.onData(Direction::FromServer, view(a), kT0), a.size());
    Buf r = request(2, 0, 64, Buf(8, 0));
    EXPECT_EQ(c.onData(Direction::ToServer, view(r), kT0), r.size());
    c.onClose(kT0 + 1);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["operation"], "SamrConnect5");
}

// Deterministic mutation of valid conversations (bit flips, byte overwrites, cuts): the
// connection must never crash, and every record it emits keeps the contract's shape.
TEST(Robustness, MutatedConversationsNeverCrash) {
    std::vector<std::pair<Direction, Buf>> convo = {
        {Direction::ToServer, bind(2, {{0, kSamr, 1, 0}, {1, kSrvsvc, 3, 0}})},
        {Direction::FromServer, bindAck(2, {0, 0})},
        {Direction::ToServer, request(3, 1, 31, Ndr{}.uniqueWstr("x").wstr("\\..\\y").u32(1).wstr("\\").u32(0).u32(0).b)},
        {Direction::FromServer, response(3, 1, Buf(12, 0))},
        {Direction::ToServer, request(4, 0, 13, Buf(30, 1), PFC_FIRST_FRAG)},
        {Direction::ToServer, request(4, 0, 13, Buf(30, 2), PFC_LAST_FRAG)},
        {Direction::FromServer, fault(4, 5)},
    };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    auto rnd = [&]() { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; };
    for (int iter = 0; iter < 3000; iter++) {
        RecordingSink sink;
        RecordingCounter counter;
        Connection c(flow(), sink, counter, nullptr);
        for (auto [dir, b] : convo) {
            int muts = int(rnd() % 4);
            for (int m = 0; m < muts && !b.empty(); m++) {
                size_t pos = rnd() % b.size();
                switch (rnd() % 3) {
                case 0: b[pos] ^= uint8_t(1u << (rnd() % 8)); break;
                case 1: b[pos] = uint8_t(rnd()); break;
                case 2: b.resize(pos); break;
                }
            }
            c.feed(dir, view(b), kT0);
        }
        c.close(kT0 + 1);
        for (const Json& r : sink.records) {
            ASSERT_EQ(r["rpc"]["family"], "dcerpc");
            if (r["event_type"] == "dcerpc_bind") {
                ASSERT_TRUE(r["rpc"]["bind"].is_array());
                ASSERT_FALSE(r["rpc"]["bind"].empty());
            } else {
                ASSERT_EQ(r["event_type"], "rpc");
                ASSERT_TRUE(r["rpc"].contains("reply"));
            }
        }
    }
}

// ---- corpus replays ----

std::string data(const char* f) { return std::string(DCERPC_TESTDATA) + "/" + f; }

const Json* findCall(const ReplayResult& r, const std::string& op) {
    for (const Json& j : r.records)
        if (j["rpc"].value("operation", "") == op) return &j;
    return nullptr;
}

TEST(Corpus, SuricataIface02MgmtBindAndRequest) {
    // suricata-verify dcerpc-dce-iface-02: call_id 27, bind results [2, 0] for afa8bd80 v1.0,
    // request opnum 4.
    ReplayResult r = replayFile(data("iface02.txt"));
    ASSERT_EQ(r.records.size(), 1u);
    const Json& rpc = r.records[0]["rpc"];
    EXPECT_EQ(rpc["call_id"], 27);
    EXPECT_EQ(rpc["interface"]["uuid"], "afa8bd80-7d8a-11c9-bef4-08002b102989");
    EXPECT_EQ(rpc["interface"]["version"], "1.0");
    EXPECT_EQ(rpc["opnum"], 4);
    EXPECT_EQ(rpc["operation"], "rpc__mgmt_inq_princ_name");
    EXPECT_EQ(rpc["bind"][0]["contexts"][0]["result"], "provider_rejection");
    EXPECT_EQ(rpc["bind"][0]["contexts"][1]["result"], "acceptance");
    EXPECT_EQ(rpc["reply"]["packet_type"], "response");
    EXPECT_EQ(r.records[0]["src_port"], 51286);
    EXPECT_EQ(r.records[0]["dest_port"], 49302);
}

TEST(Corpus, Auth3NtlmIdentityAndEncryptedSvcctl) {
    ReplayResult r = replayFile(data("auth3_5133.txt"));
    const Json* c = findCall(r, "RCreateServiceA");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ((*c)["rpc"]["auth"]["type"], "NTLMSSP");
    EXPECT_EQ((*c)["rpc"]["auth"]["level"], "pkt_privacy");
    EXPECT_EQ((*c)["rpc"]["auth"]["user"], "Backdoor");
    EXPECT_EQ((*c)["rpc"]["auth"]["domain"], "3B");
    EXPECT_FALSE((*c)["rpc"].contains("args"));  // encrypted stub: nothing decoded
    EXPECT_NE(findCall(r, "RStartServiceA"), nullptr);
    EXPECT_EQ(r.anomalies.count("dcerpc.ndr_decode_failed"), 0u);
}

TEST(Corpus, WinregOpenKeyRunKey) {
    ReplayResult r = replayFile(data("stub_data_04.txt"));
    const Json* c = findCall(r, "BaseRegOpenKey");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ((*c)["rpc"]["args"]["key"], "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
    EXPECT_EQ((*c)["rpc"]["reply"]["status"], "0x00000000");
}

TEST(Corpus, Bug5162EpmLearnsNetlogonAndZerologonStyleAuth) {
    ReplayResult r = replayFile(data("netlogon_5162.txt"));
    const Json* map = findCall(r, "ept_map");
    ASSERT_NE(map, nullptr);
    EXPECT_EQ((*map)["epm"]["endpoints"][0]["name"], "netlogon");
    bool learned_netlogon = false;
    for (const std::string& l : r.learned)
        if (l == "192.168.56.102:49674/6 netlogon") learned_netlogon = true;
    EXPECT_TRUE(learned_netlogon);
    const Json* auth = findCall(r, "NetrServerAuthenticate2");
    ASSERT_NE(auth, nullptr);
    EXPECT_EQ((*auth)["rpc"]["args"]["client_credential_zero"], true);
    EXPECT_EQ((*auth)["rpc"]["args"]["account_name"], "DC$");
    EXPECT_EQ((*auth)["rpc"]["reply"]["status"], "0xc0000022");
}

TEST(Corpus, KerberosActivationWmiClsid) {
    ReplayResult r = replayFile(data("kerberos135_auth.txt"));
    const Json* c = findCall(r, "RemoteCreateInstance");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ((*c)["rpc"]["dcom"]["clsid"], "8bc3f05e-d86b-11d0-a075-00c04fb68820");
    EXPECT_EQ((*c)["rpc"]["dcom"]["class_name"], "WbemLevel1Login");
    EXPECT_TRUE((*c)["rpc"]["dcom"].contains("causality_id"));
}

TEST(Corpus, DcomServerAlive2AndMmc20Activation) {
    ReplayResult r = replayFile(data("ctxids_dcom.txt"));
    const Json* alive = findCall(r, "ServerAlive2");
    ASSERT_NE(alive, nullptr);
    const Json& b = (*alive)["rpc"]["dcom"]["bindings"];
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0], "ncacn_ip_tcp:DC1");
    EXPECT_EQ(b[1], "ncacn_ip_tcp:192.168.56.101");
    const Json* act = findCall(r, "RemoteGetClassObject");
    ASSERT_NE(act, nullptr);
    EXPECT_EQ((*act)["rpc"]["dcom"]["class_name"], "MMC20.Application");
    EXPECT_EQ((*act)["rpc"]["auth"]["user"], "Administrator");
    EXPECT_EQ((*act)["rpc"]["auth"]["level"], "pkt_integrity");
    const Json* rem = findCall(r, "RemQueryInterface");
    ASSERT_NE(rem, nullptr);
    EXPECT_TRUE((*rem)["rpc"].contains("object_uuid"));  // IPID
    EXPECT_TRUE((*rem)["rpc"]["dcom"].contains("causality_id"));
}

TEST(Corpus, AtSchedulePipeNdr64JobAdd) {
    // suricata-verify smb2-04-at_schedule: at.exe \\admin-pc c:\mimikatz.exe, NDR64 context.
    ReplayResult r = replayPipeFile(data("at_schedule_pipe.txt"), "atsvc");
    const Json* c = findCall(r, "NetrJobAdd");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ((*c)["rpc"]["named_pipe"], "atsvc");
    EXPECT_EQ((*c)["smb"]["share"], "IPC$");
    EXPECT_EQ((*c)["rpc"]["args"]["command"], "c:\\mimikatz.exe");
    EXPECT_EQ((*c)["rpc"]["reply"]["status"], "0x00000000");
}

TEST(Corpus, SpoolssPrintNightmareDriverPaths) {
    // suricata-verify smb-dce_iface-spoolss: the rule set alerts twice on opnum 89.
    ReplayResult r = replayPipeFile(data("spoolss_pipe.txt"), "spoolss");
    const Json* c = findCall(r, "RpcAddPrinterDriverEx");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ((*c)["rpc"]["opnum"], 89);
    EXPECT_EQ((*c)["rpc"]["interface"]["uuid"], "12345678-1234-abcd-ef00-0123456789ab");
    EXPECT_EQ((*c)["rpc"]["args"]["data_file"], "\\\\ws02.cylera.lab\\security\\mimilib.dll");
    EXPECT_EQ((*c)["rpc"]["args"]["config_file"], "C:\\Windows\\System32\\winhttp.dll");
    EXPECT_EQ((*c)["rpc"]["reply"]["status"], "0x00000005");  // ERROR_ACCESS_DENIED
}

}  // namespace
}  // namespace rpcmon::dcerpc
