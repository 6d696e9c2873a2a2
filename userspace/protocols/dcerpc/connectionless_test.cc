// SPDX-License-Identifier: Apache-2.0
// Connectionless DCE/RPC v4 (UDP): header parsing, call matching, fragments, faults.
#include "protocols/dcerpc/connectionless.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "protocols/dcerpc/test_util.h"

namespace rpcmon::dcerpc {
namespace {

using namespace test;

constexpr TimeNs kT0 = 1'611'319'282ull * kNsPerSec;

Buf unhex(const std::string& h) {
    Buf v;
    for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
    return v;
}

// suricata-verify dcerpc-udp-scapy, packets 1 and 2 (big-endian data representation):
// 04 ver, 00 request / 02 response, 01 flags1, 00 flags2, 00 00 00 drep (BE), 00 serial_hi,
// object (16), interface (16), activity 4e32dcdd-d803-4eaf-86ee-7650df599e40 (16),
// server_boot 0, if_vers 0x00000001, seqnum 0, opnum 0, ihint/ahint 0xffff, len 0,
// fragnum 0, auth_proto 0, serial_lo 0.
const char* kReq1 =
    "04000100000000001012bab13908446aafbb458037b48ad18f8ab4370c524b49a2ae33aa20bc561f"
    "4e32dcddd8034eaf86ee7650df599e400000000000000001000000000000ffffffff000000000000";
const char* kResp1 =
    "04020100000000003ecf9fbb038d460287997e1011512e19609cbe7898e640c295f0e82c377351df"
    "4e32dcddd8034eaf86ee7650df599e400000000000000001000000000000ffffffff000000000000";
const char* kReq2 =
    "0400010000000000d55f31d5ee1e458fa693ff3045f27e25bacab84e569d4acdbd978f9c56f37701"
    "491bd88332454b1e9e9db3264564992e0000000000000001000000020000ffffffff000000000000";

FlowContext udpFlow() {
    FlowContext f;
    f.key.client = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 0, 1};
    f.key.server = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255};
    f.key.client_port = 80;
    f.key.server_port = 8000;
    f.key.l4proto = IPPROTO_UDP;
    f.flow_id = 7;
    return f;
}

TEST(ClParse, ScapyRequestHeader) {
    Buf d = unhex(kReq1);
    ClHeader h;
    Bytes body;
    ASSERT_EQ(parseClPdu(view(d), h, body), ParseState::Success);
    EXPECT_EQ(h.rpc_vers, 4);
    EXPECT_EQ(h.ptype, 0);
    EXPECT_FALSE(h.littleEndian());
    // Follows drep (big-endian), as Wireshark does; Suricata prints this activity byte-swapped
    // ("dddc324e-03d8-af4e-...").
    EXPECT_EQ(h.activity.toString(), "4e32dcdd-d803-4eaf-86ee-7650df599e40");
    EXPECT_EQ(h.if_id.toString(), "8f8ab437-0c52-4b49-a2ae-33aa20bc561f");
    EXPECT_EQ(h.if_ver_major, 1);
    EXPECT_EQ(h.seqnum, 0u);
    EXPECT_EQ(h.opnum, 0);
    EXPECT_TRUE(h.lastFragment());
    EXPECT_TRUE(body.empty());
}

TEST(ClParse, TruncatedOrWrongVersionInvalid) {
    Buf d = unhex(kReq1);
    ClHeader h;
    Bytes body;
    EXPECT_EQ(parseClPdu(view(d).first(79), h, body), ParseState::Invalid);
    d[0] = 5;
    EXPECT_EQ(parseClPdu(view(d), h, body), ParseState::Invalid);
    d[0] = 4;
    d[74] = 0x01;  // len 256 (BE) > remaining 0
    EXPECT_EQ(parseClPdu(view(d), h, body), ParseState::Invalid);
}

TEST(UdpConsumer, ScapyRequestResponseMatchedByActivityAndSeq) {
    RecordingSink sink;
    RecordingCounter counter;
    UdpConsumer u(udpFlow(), sink, counter, nullptr);
    Buf q1 = unhex(kReq1), r1 = unhex(kResp1), q2 = unhex(kReq2);
    // Both directions arrive as ToServer (broadcast destination): matching ignores direction.
    u.onDatagram(Direction::ToServer, view(q1), kT0);
    u.onDatagram(Direction::ToServer, view(q2), kT0 + 100);
    u.onDatagram(Direction::ToServer, view(r1), kT0 + 463000);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& r = sink.records[0];
    EXPECT_EQ(r["proto"], "UDP");
    EXPECT_EQ(r["rpc"]["call_id"], 0);
    EXPECT_EQ(r["rpc"]["activity_uuid"], "4e32dcdd-d803-4eaf-86ee-7650df599e40");
    EXPECT_EQ(r["rpc"]["interface"]["uuid"], "8f8ab437-0c52-4b49-a2ae-33aa20bc561f");
    EXPECT_EQ(r["rpc"]["interface"]["version"], "1.0");
    EXPECT_EQ(r["rpc"]["reply"]["packet_type"], "response");
    EXPECT_EQ(r["rpc"]["latency_us"], 463);
    EXPECT_EQ(u.pendingCalls(), 1u);
    u.onClose(kT0 + 1);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[1]["rpc"]["call_id"], 2);
    EXPECT_TRUE(sink.records[1]["rpc"]["reply"].is_null());
}

// Little-endian CL request builder.
Buf clPdu(uint8_t ptype, uint8_t flags1, const char* iface, uint32_t seq, uint16_t opnum, uint16_t frag,
          const Buf& body) {
    Buf b = {4, ptype, flags1, 0, 0x10, 0, 0, 0};
    putUuid(b, "00000000-0000-0000-0000-000000000000");
    putUuid(b, iface);
    putUuid(b, "11111111-2222-3333-4444-555555555555");
    put32(b, 0);
    put32(b, 1);    // if_vers 1.0
    put32(b, seq);
    put16(b, opnum);
    put16(b, 0xffff);
    put16(b, 0xffff);
    put16(b, uint16_t(body.size()));
    put16(b, frag);
    b.push_back(0);
    b.push_back(0);
    b.insert(b.end(), body.begin(), body.end());
    return b;
}

TEST(UdpConsumer, FragmentedRequestDecodedAndStatus) {
    RecordingSink sink;
    RecordingCounter counter;
    UdpConsumer u(udpFlow(), sink, counter, nullptr);
    const char* srvsvc = "4b324fc8-1670-01d3-1278-5a47bf6ee188";
    Buf stub = Ndr{}.uniqueWstr(std::nullopt).wstr("\\..\\x").u32(1).wstr("\\").u32(0).u32(0).b;
    Buf a(stub.begin(), stub.begin() + 16), b(stub.begin() + 16, stub.end());
    u.onDatagram(Direction::ToServer, view(clPdu(0, CL_FLAG_FRAG, srvsvc, 9, 31, 0, a)), kT0);
    u.onDatagram(Direction::ToServer, view(clPdu(0, CL_FLAG_FRAG | CL_FLAG_LASTFRAG, srvsvc, 9, 31, 1, b)), kT0);
    u.onDatagram(Direction::FromServer, view(clPdu(2, 0, srvsvc, 9, 31, 0, Buf{0, 0, 0, 0, 0x7b, 0, 0, 0})), kT0 + 1000);
    ASSERT_EQ(sink.records.size(), 1u);
    const Json& rpc = sink.records[0]["rpc"];
    EXPECT_EQ(rpc["operation"], "NetprPathCanonicalize");
    EXPECT_EQ(rpc["args"]["path"], "\\..\\x");
    EXPECT_EQ(rpc["reply"]["status"], "0x0000007b");
}

TEST(UdpConsumer, MissingFragmentTruncatesAndFaultReported) {
    RecordingSink sink;
    RecordingCounter counter;
    UdpConsumer u(udpFlow(), sink, counter, nullptr);
    const char* samr = "12345778-1234-abcd-ef00-0123456789ac";
    u.onDatagram(Direction::ToServer, view(clPdu(0, CL_FLAG_FRAG, samr, 3, 1, 0, Buf(8, 0))), kT0);
    u.onDatagram(Direction::ToServer, view(clPdu(0, CL_FLAG_FRAG | CL_FLAG_LASTFRAG, samr, 3, 1, 2, Buf(8, 0))), kT0);
    EXPECT_EQ(counter.get("dcerpc.cl_fragment_gap"), 1u);
    u.onDatagram(Direction::FromServer, view(clPdu(3, 0, samr, 3, 1, 0, Buf{0x05, 0, 0, 0})), kT0);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["truncated"], true);
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["packet_type"], "fault");
    EXPECT_EQ(sink.records[0]["rpc"]["reply"]["status"], "0x00000005");
}

// A full table gives up the call that arrived first (the shared pending table), even when a later
// arrival carries an earlier timestamp (per-CPU ring buffers deliver slightly out of time order).
TEST(UdpConsumer, PendingEvictionFollowsArrival) {
    RecordingSink sink;
    RecordingCounter counter;
    ConnectionConfig cfg;
    cfg.max_pending_calls = 1;
    UdpConsumer u(udpFlow(), sink, counter, nullptr, cfg);
    u.onDatagram(Direction::ToServer, view(unhex(kReq1)), kT0 + 50);
    u.onDatagram(Direction::ToServer, view(unhex(kReq2)), kT0);
    EXPECT_EQ(counter.get("dcerpc.pending_evicted"), 1u);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0]["rpc"]["activity_uuid"], "4e32dcdd-d803-4eaf-86ee-7650df599e40");  // kReq1's
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
    EXPECT_EQ(u.pendingCalls(), 1u);
}

TEST(UdpConsumer, InvalidDatagramCountedAndTimeout) {
    RecordingSink sink;
    RecordingCounter counter;
    UdpConsumer u(udpFlow(), sink, counter, nullptr);
    u.onDatagram(Direction::ToServer, view(Buf(20, 4)), kT0);
    EXPECT_EQ(counter.get("dcerpc.cl_invalid"), 1u);
    u.onDatagram(Direction::ToServer, view(unhex(kReq1)), kT0);
    u.onTick(kT0 + kDefaultCallTimeout);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_TRUE(sink.records[0]["rpc"]["reply"].is_null());
}

}  // namespace
}  // namespace rpcmon::dcerpc
