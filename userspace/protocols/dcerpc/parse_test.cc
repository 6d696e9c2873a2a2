// SPDX-License-Identifier: Apache-2.0
// One test per outcome of the CO PDU parsers: complete, truncated, malformed.
#include "protocols/dcerpc/parse.h"

#include <gtest/gtest.h>

#include "protocols/dcerpc/test_util.h"

namespace rpcmon::dcerpc {
namespace {

using test::Buf;
using test::view;

// Bind, 3 context items for samr (NDR, NDR64, bind-time feature negotiation).
const Buf kBind3 = {
    0x05, 0x00, 0x0b, 0x03,              // rpc_vers 5, minor 0, ptype bind (11), FIRST|LAST
    0x10, 0x00, 0x00, 0x00,              // drep: little-endian, ASCII, IEEE
    0xa0, 0x00, 0x00, 0x00,              // frag_length 160, auth_length 0
    0x02, 0x00, 0x00, 0x00,              // call_id 2
    0xd0, 0x16, 0xd0, 0x16,              // max_xmit_frag 5840, max_recv_frag 5840
    0x00, 0x00, 0x00, 0x00,              // assoc_group_id 0
    0x03, 0x00, 0x00, 0x00,              // n_context_elem 3, reserved
    // item 0: context id 0, 1 transfer syntax
    0x00, 0x00, 0x01, 0x00,
    0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab,  // 12345778-1234-abcd-
    0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac,  // ef00-0123456789ac (samr)
    0x01, 0x00, 0x00, 0x00,                          // version 1.0
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,  // 8a885d04-1ceb-11c9-
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,  // 9fe8-08002b104860 (NDR)
    0x02, 0x00, 0x00, 0x00,                          // version 2
    // item 1: context id 1, NDR64
    0x01, 0x00, 0x01, 0x00,
    0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac,
    0x01, 0x00, 0x00, 0x00,
    0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49,  // 71710533-beba-4937-
    0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36,  // 8319-b5dbef9ccc36 (NDR64)
    0x01, 0x00, 0x00, 0x00,
    // item 2: context id 2, bind time feature negotiation
    0x02, 0x00, 0x01, 0x00,
    0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac,
    0x01, 0x00, 0x00, 0x00,
    0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45,  // 6cb71c2c-9812-4540-
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 0300-000000000000 (features 3)
    0x01, 0x00, 0x00, 0x00,
};

// Bind_ack answering kBind3: provider rejection, acceptance (NDR64), negotiate_ack.
const Buf kBindAck3 = {
    0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00,  // bind_ack, FIRST|LAST, LE
    0x6c, 0x00, 0x00, 0x00,                          // frag_length 108, auth_length 0
    0x02, 0x00, 0x00, 0x00,                          // call_id 2
    0xd0, 0x16, 0xd0, 0x16,                          // max_xmit / max_recv
    0x34, 0x12, 0x00, 0x00,                          // assoc_group_id 0x1234
    0x06, 0x00, '4', '9', '1', '5', '5', 0x00,       // sec_addr length 6, "49155\0" (ends at 32)
    0x03, 0x00, 0x00, 0x00,                          // n_results 3
    0x02, 0x00, 0x02, 0x00,                          // provider_rejection, reason 2
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, 0x00, 0x00, 0x00,                          // acceptance
    0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36,
    0x01, 0x00, 0x00, 0x00,
    0x03, 0x00, 0x03, 0x00,                          // negotiate_ack, features 3
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

// Request with an object UUID (PFC_OBJECT_UUID), opnum 4, 4-byte stub.
const Buf kRequestObject = {
    0x05, 0x00, 0x00, 0x83, 0x10, 0x00, 0x00, 0x00,  // request, FIRST|LAST|OBJECT_UUID
    0x2c, 0x00, 0x00, 0x00,                          // frag_length 44
    0x1b, 0x00, 0x00, 0x00,                          // call_id 27
    0x04, 0x00, 0x00, 0x00,                          // alloc_hint 4
    0x01, 0x00, 0x04, 0x00,                          // context id 1, opnum 4
    0x74, 0xc0, 0xd8, 0xcc, 0xe5, 0xd0, 0x40, 0x4a,  // object ccd8c074-d0e5-4a40-
    0x92, 0xb4, 0xd0, 0x74, 0xfa, 0xa6, 0xba, 0x28,  // 92b4-d074faa6ba28
    0xde, 0xad, 0xbe, 0xef,                          // stub
};

TEST(ParseHeader, CompleteBindHeader) {
    CommonHeader h;
    ASSERT_EQ(parseCommonHeader(view(kBind3), h), ParseState::Success);
    EXPECT_EQ(h.rpc_vers, 5);
    EXPECT_EQ(h.ptype, uint8_t(PduType::Bind));
    EXPECT_EQ(h.frag_length, 160);
    EXPECT_EQ(h.call_id, 2u);
    EXPECT_TRUE(h.first());
    EXPECT_TRUE(h.last());
    EXPECT_TRUE(h.littleEndian());
}

TEST(ParseHeader, FewerThan16BytesNeedsMoreData) {
    CommonHeader h;
    EXPECT_EQ(parseCommonHeader(view(kBind3).first(15), h), ParseState::NeedsMoreData);
}

TEST(ParseHeader, BigEndianDrepReadsFragLenBigEndian) {
    Buf b = {0x05, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,  // drep 0x00: big-endian
             0x00, 0x18, 0x00, 0x00,                          // frag_length 24 (BE)
             0x00, 0x00, 0x00, 0x07};                         // call_id 7 (BE)
    CommonHeader h;
    ASSERT_EQ(parseCommonHeader(view(b), h), ParseState::Success);
    EXPECT_FALSE(h.littleEndian());
    EXPECT_EQ(h.frag_length, 24);
    EXPECT_EQ(h.call_id, 7u);
}

TEST(ParseHeader, BadVersionIsInvalid) {
    Buf b = kBind3;
    b[0] = 4;  // connectionless version on a stream
    CommonHeader h;
    HeaderError e;
    EXPECT_EQ(parseCommonHeader(view(b), h, &e), ParseState::Invalid);
    EXPECT_EQ(e, HeaderError::BadVersion);
    EXPECT_STREQ(anomalyName(e), "dcerpc.bad_version");
}

TEST(ParseHeader, FragLenBelow16IsInvalid) {
    Buf b = kBind3;
    b[8] = 15;
    b[9] = 0;
    CommonHeader h;
    HeaderError e;
    EXPECT_EQ(parseCommonHeader(view(b), h, &e), ParseState::Invalid);
    EXPECT_EQ(e, HeaderError::FragLenInvalid);
}

TEST(ParseHeader, AuthLengthBeyondFragLenIsInvalid) {
    Buf b = kBind3;
    b[10] = 0x9c;  // auth_length 156: 16 + 8 + 156 > 160
    CommonHeader h;
    HeaderError e;
    EXPECT_EQ(parseCommonHeader(view(b), h, &e), ParseState::Invalid);
    EXPECT_EQ(e, HeaderError::AuthLenInvalid);
}

TEST(ParseHeader, ConnectionlessPtypeIsInvalid) {
    Buf b = kBind3;
    b[2] = uint8_t(PduType::Ping);
    CommonHeader h;
    HeaderError e;
    EXPECT_EQ(parseCommonHeader(view(b), h, &e), ParseState::Invalid);
    EXPECT_EQ(e, HeaderError::BadPtype);
}

TEST(ParsePdu, FragLen65535WithFewBytesNeedsMoreData) {
    Buf b = {0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
             0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    Pdu p;
    EXPECT_EQ(parsePdu(view(b), p), ParseState::NeedsMoreData);
}

TEST(ParsePdu, TruncatedBindNeedsMoreData) {
    Pdu p;
    EXPECT_EQ(parsePdu(view(kBind3).first(100), p), ParseState::NeedsMoreData);
}

TEST(ParsePdu, ParsesOnlyFirstOfTwo) {
    Buf two = kRequestObject;
    two.insert(two.end(), kBind3.begin(), kBind3.end());
    Pdu p;
    ASSERT_EQ(parsePdu(view(two), p), ParseState::Success);
    EXPECT_EQ(p.hdr.frag_length, kRequestObject.size());
    EXPECT_EQ(p.body.size(), kRequestObject.size() - 16);
}

TEST(ParseBind, ThreeContextItems) {
    Pdu p;
    ASSERT_EQ(parsePdu(view(kBind3), p), ParseState::Success);
    BindBody b;
    ASSERT_EQ(parseBind(p, b), ParseState::Success);
    EXPECT_EQ(b.max_xmit_frag, 5840);
    ASSERT_EQ(b.items.size(), 3u);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(b.items[i].context_id, i);
        EXPECT_EQ(b.items[i].abstract.uuid.toString(), "12345778-1234-abcd-ef00-0123456789ac");
        EXPECT_EQ(b.items[i].abstract.ver_major, 1);
        ASSERT_EQ(b.items[i].transfer.size(), 1u);
    }
    EXPECT_EQ(b.items[0].transfer[0].uuid, ndr20Syntax());
    EXPECT_EQ(b.items[1].transfer[0].uuid, ndr64Syntax());
    EXPECT_TRUE(isBindTimeFeatureSyntax(b.items[2].transfer[0].uuid));
}

TEST(ParseBind, HostileContextCountIsInvalidWithoutAllocation) {
    // n_context_elem is a u8 on the wire, so "10 000 items" cannot be encoded; the worst case
    // is 255 claimed with a short body, which must be rejected before looping.
    Buf b = kBind3;
    b[24] = 0xff;  // n_context_elem
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    BindBody body;
    EXPECT_EQ(parseBind(p, body), ParseState::Invalid);
    EXPECT_TRUE(body.items.empty());
}

TEST(ParseBind, ItemCountAboveLimitIsInvalid) {
    std::vector<test::Item> items;
    for (uint16_t i = 0; i < kMaxContextItems + 1; i++)
        items.push_back({i, "12345778-1234-abcd-ef00-0123456789ac", 1, 0});
    Buf b = test::bind(1, items);
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    BindBody body;
    EXPECT_EQ(parseBind(p, body), ParseState::Invalid);
}

TEST(ParseBindAck, MixedResultsAndSecondaryAddress) {
    Pdu p;
    ASSERT_EQ(parsePdu(view(kBindAck3), p), ParseState::Success);
    BindAckBody a;
    ASSERT_EQ(parseBindAck(p, a), ParseState::Success);
    EXPECT_EQ(a.assoc_group_id, 0x1234u);
    EXPECT_EQ(a.secondary_addr, "49155");
    ASSERT_EQ(a.results.size(), 3u);
    EXPECT_EQ(a.results[0].result, uint16_t(ContextResult::ProviderRejection));
    EXPECT_EQ(a.results[0].reason, 2);
    EXPECT_EQ(a.results[1].result, uint16_t(ContextResult::Acceptance));
    EXPECT_EQ(a.results[1].transfer.uuid, ndr64Syntax());
    EXPECT_EQ(a.results[2].result, uint16_t(ContextResult::NegotiateAck));
    EXPECT_EQ(contextResultName(a.results[2].result), "negotiate_ack");
}

TEST(ParseBindAck, TruncatedResultListIsInvalid) {
    Buf b = kBindAck3;
    b.erase(b.end() - 10, b.end());
    b[8] = uint8_t(b.size());
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    BindAckBody a;
    EXPECT_EQ(parseBindAck(p, a), ParseState::Invalid);
}

TEST(ParseBindNak, Reason) {
    Buf body = {0x04, 0x00};  // protocol_version_not_supported
    Buf b = test::pdu(uint8_t(PduType::BindNak), 0x03, 9, body);
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    uint16_t reason = 0;
    ASSERT_EQ(parseBindNak(p, reason), ParseState::Success);
    EXPECT_EQ(bindNakReasonName(reason), "protocol_version_not_supported");
}

TEST(ParseRequest, ObjectUuidOpnumAndStub) {
    Pdu p;
    ASSERT_EQ(parsePdu(view(kRequestObject), p), ParseState::Success);
    RequestBody r;
    ASSERT_EQ(parseRequest(p, r), ParseState::Success);
    EXPECT_EQ(r.context_id, 1);
    EXPECT_EQ(r.opnum, 4);
    ASSERT_TRUE(r.object);
    EXPECT_EQ(r.object->toString(), "ccd8c074-d0e5-4a40-92b4-d074faa6ba28");
    ASSERT_EQ(r.stub.size(), 4u);
    EXPECT_EQ(r.stub[0], 0xde);
}

TEST(ParseRequest, ObjectFlagWithoutRoomIsInvalid) {
    Buf b = test::request(1, 0, 0, {});
    b[3] |= PFC_OBJECT_UUID;  // claims an object UUID the body does not hold
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    RequestBody r;
    EXPECT_EQ(parseRequest(p, r), ParseState::Invalid);
}

TEST(ParseFault, Status) {
    Buf b = test::fault(5, 0x1c010003);  // nca_s_op_rng_error
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    ResponseBody r;
    ASSERT_EQ(parseFault(p, r), ParseState::Success);
    EXPECT_EQ(r.status, 0x1c010003u);
    EXPECT_TRUE(p.hdr.pfc_flags & PFC_DID_NOT_EXECUTE);
}

TEST(ParseAuth, VerifierSplitsStubAndPadding) {
    test::Auth a{10, 5, Buf(16, 0x11)};
    Buf b = test::request(3, 0, 7, Buf{1, 2, 3}, 0x03, std::nullopt, a);  // 3-byte stub → 1 pad
    Pdu p;
    ASSERT_EQ(parsePdu(view(b), p), ParseState::Success);
    ASSERT_TRUE(p.auth);
    EXPECT_EQ(p.auth->auth_type, 10);
    EXPECT_EQ(p.auth->auth_level, 5);
    EXPECT_EQ(p.auth->auth_pad_length, 1);
    EXPECT_EQ(p.auth->token.size(), 16u);
    RequestBody r;
    ASSERT_EQ(parseRequest(p, r), ParseState::Success);
    EXPECT_EQ(r.stub.size(), 3u);
    EXPECT_EQ(authTypeName(p.auth->auth_type), "NTLMSSP");
    EXPECT_EQ(authLevelName(p.auth->auth_level), "pkt_integrity");
}

TEST(ParseAuth, PadLengthReachingIntoHeaderIsInvalid) {
    test::Auth a{10, 5, Buf(16, 0x11)};
    Buf b = test::request(3, 0, 7, Buf{}, 0x03, std::nullopt, a);
    b[b.size() - 16 - 8 + 2] = 200;  // auth_pad_length 200 > body
    Pdu p;
    HeaderError e;
    EXPECT_EQ(parsePdu(view(b), p, &e), ParseState::Invalid);
    EXPECT_EQ(e, HeaderError::AuthLenInvalid);
}

TEST(ParseNtlmssp, AuthenticateIdentity) {
    Buf tok = test::ntlmAuthenticate("CORP", "alice", "WS01");
    Buf spnego = {0xa1, 0x82, 0x01, 0x00};  // some SPNEGO wrapping before the signature
    spnego.insert(spnego.end(), tok.begin(), tok.end());
    NtlmMessage m;
    ASSERT_EQ(parseNtlmssp(view(spnego), m), ParseState::Success);
    EXPECT_EQ(m.type, 3u);
    EXPECT_EQ(m.domain, "CORP");
    EXPECT_EQ(m.user, "alice");
    EXPECT_EQ(m.workstation, "WS01");
}

TEST(ParseNtlmssp, OffsetsOutsideMessageYieldEmptyFields) {
    Buf tok = test::ntlmAuthenticate("CORP", "alice", "WS01");
    tok[40] = 0xff;  // UserName offset → far outside
    tok[41] = 0xff;
    NtlmMessage m;
    ASSERT_EQ(parseNtlmssp(view(tok), m), ParseState::Success);
    EXPECT_EQ(m.user, "");
    EXPECT_EQ(m.domain, "CORP");
}

TEST(ParseNtlmssp, NoSignatureIsInvalid) {
    NtlmMessage m;
    EXPECT_EQ(parseNtlmssp(view(Buf(32, 0x41)), m), ParseState::Invalid);
}

TEST(FindPduBoundary, SkipsGarbageAndMidFragments) {
    Buf b(37, 0x05);  // 0x05 bytes that are not headers
    Buf cont = test::request(1, 0, 0, Buf(8, 0), 0x02);  // LAST only: not a resync point
    Buf first = test::request(2, 0, 0, Buf(8, 0), 0x01);
    size_t expect = b.size() + cont.size();
    b.insert(b.end(), cont.begin(), cont.end());
    b.insert(b.end(), first.begin(), first.end());
    auto off = findPduBoundary(view(b));
    ASSERT_TRUE(off);
    EXPECT_EQ(*off, expect);
}

TEST(FindPduBoundary, NoneInNoise) {
    EXPECT_FALSE(findPduBoundary(view(Buf(200, 0x41))));
}

TEST(Uuid, ParseFormatRoundTrip) {
    Uuid u;
    ASSERT_TRUE(Uuid::parse("E1AF8308-5D1F-11C9-91A4-08002B14A0FA", u));
    EXPECT_EQ(u.toString(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
    EXPECT_FALSE(Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0f", u));
    EXPECT_FALSE(Uuid::parse("g1af8308-5d1f-11c9-91a4-08002b14a0fa", u));
}

}  // namespace
}  // namespace rpcmon::dcerpc
