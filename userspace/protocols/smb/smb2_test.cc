// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/smb2.h"

#include <gtest/gtest.h>

#include "protocols/smb/auth.h"
#include "protocols/smb/test_util.h"
#include "protocols/smb/types.h"

namespace rpcmon::smb {
namespace {

using namespace rpcmon::smb::test;

smb2::Message one(const std::vector<uint8_t>& bytes) {
    std::vector<smb2::Message> chain;
    EXPECT_EQ(smb2::splitCompound(bytes, chain), ParseState::Success);
    EXPECT_EQ(chain.size(), 1u);
    return chain.empty() ? smb2::Message{} : chain[0];
}

TEST(Smb2Header, SyncRequest) {
    const uint8_t h[] = {
        0xFE, 'S', 'M', 'B',     // ProtocolId
        0x40, 0x00,              // StructureSize = 64
        0x01, 0x00,              // CreditCharge
        0x00, 0x00, 0x00, 0x00,  // Status (ChannelSequence in requests)
        0x05, 0x00,              // Command = CREATE
        0x1F, 0x00,              // CreditRequest
        0x00, 0x00, 0x00, 0x00,  // Flags: request, sync
        0x00, 0x00, 0x00, 0x00,  // NextCommand
        0x07, 0, 0, 0, 0, 0, 0, 0,  // MessageId = 7
        0xFF, 0xFE, 0x00, 0x00,  // ProcessId
        0x01, 0x00, 0x00, 0x00,  // TreeId = 1
        0x15, 0, 0, 0, 0x08, 0, 0, 0,  // SessionId = 0x0000000800000015
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // Signature
    };
    smb2::Header hdr;
    ASSERT_EQ(smb2::parseHeader(h, hdr), ParseState::Success);
    EXPECT_EQ(hdr.command, smb2::kCreate);
    EXPECT_EQ(hdr.message_id, 7u);
    EXPECT_EQ(hdr.tree_id, 1u);
    EXPECT_EQ(hdr.session_id, 0x0000000800000015ull);
    EXPECT_FALSE(hdr.isResponse());
    EXPECT_FALSE(hdr.isAsync());
    EXPECT_EQ(smb2::parseHeader(Bytes(h, 63), hdr), ParseState::NeedsMoreData);
}

TEST(Smb2Header, AsyncPendingResponse) {
    auto b = smb2Header({.command = smb2::kIoctl, .status = kStatusPending,
                         .flags = smb2::kFlagServerToRedir | smb2::kFlagAsync, .message_id = 9,
                         .session_id = 5, .async_id = 0x1234});
    smb2::Header hdr;
    ASSERT_EQ(smb2::parseHeader(b, hdr), ParseState::Success);
    EXPECT_TRUE(hdr.isResponse());
    EXPECT_TRUE(hdr.isAsync());
    EXPECT_EQ(hdr.async_id, 0x1234u);
    EXPECT_EQ(hdr.status, kStatusPending);
    EXPECT_EQ(hdr.tree_id, 0u);
}

TEST(Smb2Header, WrongStructureSizeIsInvalid) {
    auto b = smb2Header({.command = smb2::kEcho});
    b[4] = 0x41;  // StructureSize = 65
    smb2::Header hdr;
    EXPECT_EQ(smb2::parseHeader(b, hdr), ParseState::Invalid);
}

TEST(Smb2Negotiate, RequestDialectsAndResponseDialect) {
    auto req = cat(smb2Header({.command = smb2::kNegotiate}), {
        0x24, 0x00,              // StructureSize = 36
        0x03, 0x00,              // DialectCount = 3
        0x01, 0x00,              // SecurityMode: signing enabled
        0x00, 0x00,              // Reserved
        0x7F, 0x00, 0x00, 0x00,  // Capabilities
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // ClientGuid
        0, 0, 0, 0, 0, 0, 0, 0,  // NegotiateContextOffset/Count, Reserved2
        0x02, 0x02,              // 2.0.2
        0x10, 0x02,              // 2.1
        0x11, 0x03,              // 3.1.1
    });
    smb2::NegotiateRequest nreq;
    ASSERT_EQ(smb2::parseNegotiateRequest(one(req), nreq), ParseState::Success);
    EXPECT_EQ(nreq.dialects, (std::vector<uint16_t>{0x0202, 0x0210, 0x0311}));

    auto resp = cat(smb2Header({.command = smb2::kNegotiate, .flags = smb2::kFlagServerToRedir}), {
        0x41, 0x00,  // StructureSize = 65
        0x01, 0x00,  // SecurityMode
        0x11, 0x03,  // DialectRevision = 0x0311
        0x00, 0x00,  // NegotiateContextCount
    });
    resp.resize(resp.size() + 64 - 8, 0);  // ServerGuid .. Reserved2 (not read)
    smb2::NegotiateResponse nresp;
    ASSERT_EQ(smb2::parseNegotiateResponse(one(resp), nresp), ParseState::Success);
    EXPECT_EQ(smb2::dialectName(nresp.dialect), "3.1.1");
    EXPECT_EQ(smb2::dialectName(0x0202), "2.0.2");
    EXPECT_EQ(smb2::dialectName(0x0210), "2.1");
    EXPECT_EQ(smb2::dialectName(0x0300), "3.0");
    EXPECT_EQ(smb2::dialectName(0x0302), "3.0.2");
    EXPECT_EQ(smb2::dialectName(0x0abc), "0x0abc");

    resp[64] = 0x40;  // StructureSize 64 instead of 65: malformed
    EXPECT_EQ(smb2::parseNegotiateResponse(one(resp), nresp), ParseState::Invalid);
}

TEST(Smb2Compound, TwoElements) {
    // CREATE (NextCommand = 0x78 → next element 8-aligned) + related CLOSE.
    auto create = cat(smb2Header({.command = smb2::kCreate, .next_command = 0x78, .message_id = 3,
                                  .tree_id = 1, .session_id = 9}),
                      std::vector<uint8_t>(0x78 - 64, 0));
    auto close = smb2Header({.command = smb2::kClose, .flags = smb2::kFlagRelated, .message_id = 4,
                             .tree_id = smb2::kRelatedTreeId, .session_id = smb2::kRelatedSessionId});
    auto frame = cat(create, close);
    std::vector<smb2::Message> chain;
    ASSERT_EQ(smb2::splitCompound(frame, chain), ParseState::Success);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0].hdr.command, smb2::kCreate);
    EXPECT_EQ(chain[0].msg.size(), 0x78u);
    EXPECT_EQ(chain[1].hdr.command, smb2::kClose);
    EXPECT_TRUE(chain[1].hdr.isRelated());
    EXPECT_EQ(chain[1].hdr.message_id, 4u);
}

TEST(Smb2Compound, NextCommandBackwardsOutOfRangeOrUnaligned) {
    auto frame = cat(smb2Header({.command = smb2::kEcho, .next_command = 0x40}),
                     smb2Header({.command = smb2::kEcho}));
    std::vector<smb2::Message> chain;
    ASSERT_EQ(smb2::splitCompound(frame, chain), ParseState::Success);  // baseline: valid
    EXPECT_EQ(chain.size(), 2u);

    frame[20] = 0x08;  // NextCommand = 8: points back into the header
    chain.clear();
    EXPECT_EQ(smb2::splitCompound(frame, chain), ParseState::Invalid);
    EXPECT_TRUE(chain.empty());

    frame[20] = 0x00; frame[21] = 0x10;  // NextCommand = 0x1000: beyond the 128-byte frame
    chain.clear();
    EXPECT_EQ(smb2::splitCompound(frame, chain), ParseState::Invalid);

    frame[20] = 0x44; frame[21] = 0x00;  // NextCommand = 0x44: not 8-aligned
    chain.clear();
    EXPECT_EQ(smb2::splitCompound(frame, chain), ParseState::Invalid);
}

TEST(Smb2Compound, ChainLongerThanBoundIsInvalid) {
    std::vector<uint8_t> frame;
    for (size_t i = 0; i <= smb2::kMaxCompound; i++)
        frame = cat(frame, smb2Header({.command = smb2::kEcho, .next_command = 64}));
    std::vector<smb2::Message> chain;
    EXPECT_EQ(smb2::splitCompound(frame, chain), ParseState::Invalid);
    EXPECT_EQ(chain.size(), smb2::kMaxCompound);
}

TEST(Smb2Bodies, TreeConnectCreateReadWriteIoctl) {
    auto tc = cat(smb2Header({.command = smb2::kTreeConnect}), {
        0x09, 0x00,  // StructureSize = 9
        0x00, 0x00,  // Flags
        0x48, 0x00,  // PathOffset = 72
        0x1E, 0x00,  // PathLength = 30
    });
    putUtf16(tc, "\\\\10.0.0.2\\IPC$");  // 15 characters = 30 bytes
    smb2::TreeConnectRequest tcr;
    ASSERT_EQ(smb2::parseTreeConnectRequest(one(tc), tcr), ParseState::Success);
    EXPECT_EQ(tcr.path, "\\\\10.0.0.2\\IPC$");
    EXPECT_EQ(shareFromPath(tcr.path), "IPC$");
    tc[70] = 0x40;  // PathLength = 64: beyond the message
    EXPECT_EQ(smb2::parseTreeConnectRequest(one(tc), tcr), ParseState::Invalid);

    std::vector<uint8_t> cr = smb2Header({.command = smb2::kCreate});
    std::vector<uint8_t> body(56, 0);
    body[0] = 57;                // StructureSize = 57
    body[24] = 0x9F; body[25] = 0x01; body[26] = 0x12;  // DesiredAccess 0x0012019f
    body[36] = 0x01;             // CreateDisposition = FILE_OPEN
    body[44] = 0x78;             // NameOffset = 120
    body[46] = 0x0C;             // NameLength = 12
    cr = cat(cr, body);
    putUtf16(cr, "srvsvc");
    smb2::CreateRequest creq;
    ASSERT_EQ(smb2::parseCreateRequest(one(cr), creq), ParseState::Success);
    EXPECT_EQ(creq.name, "srvsvc");
    EXPECT_EQ(creq.desired_access, 0x0012019Fu);
    EXPECT_EQ(creq.create_disposition, 1u);

    auto rr = cat(smb2Header({.command = smb2::kRead, .flags = smb2::kFlagServerToRedir}), {
        0x11, 0x00,              // StructureSize = 17
        0x50,                    // DataOffset = 80
        0x00,                    // Reserved
        0x05, 0x00, 0x00, 0x00,  // DataLength = 5
        0x00, 0x00, 0x00, 0x00,  // DataRemaining
        0x00, 0x00, 0x00, 0x00,  // Reserved2
        'h', 'e', 'l', 'l', 'o',  // Buffer
    });
    smb2::ReadResponse rresp;
    ASSERT_EQ(smb2::parseReadResponse(one(rr), rresp), ParseState::Success);
    EXPECT_EQ(std::string(rresp.data.begin(), rresp.data.end()), "hello");
    rr[68] = 0x50;  // DataLength = 80: outside a complete message → clamped to the 5 bytes present
    ASSERT_EQ(smb2::parseReadResponse(one(rr), rresp), ParseState::Success);
    EXPECT_TRUE(rresp.beyond_record);
    EXPECT_EQ(rresp.data_length, 5u);
    EXPECT_EQ(std::string(rresp.data.begin(), rresp.data.end()), "hello");
    rr[66] = 0x20;  // DataOffset = 32: inside the header → malformed
    EXPECT_EQ(smb2::parseReadResponse(one(rr), rresp), ParseState::Invalid);
    rr[66] = 0x50;
    // The same message as a truncated prefix of a large read: keep what is present.
    ASSERT_EQ(smb2::parseReadResponse(one(rr), rresp, true), ParseState::Success);
    EXPECT_FALSE(rresp.beyond_record);
    EXPECT_EQ(rresp.data_length, 80u);
    EXPECT_EQ(rresp.data.size(), 5u);

    auto io = cat(smb2Header({.command = smb2::kIoctl}), {
        0x39, 0x00,              // StructureSize = 57
        0x00, 0x00,              // Reserved
        0x17, 0xC0, 0x11, 0x00,  // CtlCode = FSCTL_PIPE_TRANSCEIVE
        1, 0, 0, 0, 0, 0, 0, 0,  // FileId.Persistent = 1
        2, 0, 0, 0, 0, 0, 0, 0,  // FileId.Volatile = 2
        0x78, 0x00, 0x00, 0x00,  // InputOffset = 120
        0x03, 0x00, 0x00, 0x00,  // InputCount = 3
        0x00, 0x00, 0x00, 0x00,  // MaxInputResponse
        0x78, 0x00, 0x00, 0x00,  // OutputOffset
        0x00, 0x00, 0x00, 0x00,  // OutputCount
        0x00, 0x04, 0x00, 0x00,  // MaxOutputResponse = 1024
        0x01, 0x00, 0x00, 0x00,  // Flags = SMB2_0_IOCTL_IS_FSCTL
        0x00, 0x00, 0x00, 0x00,  // Reserved2
        0x05, 0x00, 0x0B,        // Buffer: input bytes
    });
    smb2::IoctlRequest ioreq;
    ASSERT_EQ(smb2::parseIoctlRequest(one(io), ioreq), ParseState::Success);
    EXPECT_EQ(ioreq.ctl_code, smb2::kFsctlPipeTransceive);
    EXPECT_EQ(ioreq.file_id, (smb2::FileId{1, 2}));
    EXPECT_EQ(ioreq.input.size(), 3u);
    EXPECT_EQ(ioreq.input[2], 0x0B);
}

TEST(Smb2Transform, Header) {
    std::vector<uint8_t> t = {0xFD, 'S', 'M', 'B'};  // ProtocolId
    t.resize(4 + 16 + 16, 0xAA);                     // Signature, Nonce
    put32(t, 146);                                   // OriginalMessageSize
    put16(t, 0);                                     // Reserved
    put16(t, 1);                                     // Flags = Encrypted
    put64(t, 79167320227901ull);                     // SessionId
    smb2::TransformHeader th;
    ASSERT_EQ(smb2::parseTransformHeader(t, th), ParseState::Success);
    EXPECT_EQ(th.original_size, 146u);
    EXPECT_EQ(th.session_id, 79167320227901ull);
    EXPECT_EQ(smb2::parseTransformHeader(Bytes(t.data(), 51), th), ParseState::NeedsMoreData);
}

// Real SESSION_SETUP request (NTLMSSP AUTHENTICATE in SPNEGO negTokenResp) from
// zeek/smb2-zero-byte-error-ioctl.pcapng frame 34; Zeek's ntlm.log and tshark agree on
// user "justin", domain "65A2D0F0A866", workstation "JUSTIN-AZOFF".
const char* kRealNtlmSessionSetup =
    "fe534d4240000100000000000100000100000000000000000300000000000000fffe000000000000b62bf103"
    "00000000000000000000000000000000000000001900000101000000000000005800ba010000000000000000"
    "a18201b6308201b2a282019a048201964e544c4d53535000030000001800180094000000da00da00ac000000"
    "18001800580000000c000c0070000000180018007c0000001000100086010000158288620601b01d0f000000"
    "1ceab8618ca48462f8bfe1c4ea3dc3623600350041003200440030004600300041003800360036006a007500"
    "7300740069006e004a0055005300540049004e002d0041005a004f0046004600000000000000000000000000"
    "00000000000000000000000033ab6ee40a12daf6b5ed7b11f746088201010000000000000051997d94a6d801"
    "e4521ab53b2a88d8000000000100180036003500410032004400300046003000410038003600360002001800"
    "3600350041003200440030004600300041003800360036000300180036003500610032006400300066003000"
    "61003800360036000400000006000400020000000700080080f7217e94a6d801090022006300690066007300"
    "2f003100390032002e003100360038002e0032002e00360039000a0010000000000000000000000000000000"
    "0000000000000000000054b5a166ff7ece8134dfd943166ce623a3120410010000003b3cd005ef54c3f10000"
    "0000";

TEST(Smb2SessionSetup, RealNtlmAuthenticate) {
    auto bytes = hex(kRealNtlmSessionSetup);
    smb2::Message m = one(bytes);
    EXPECT_EQ(m.hdr.command, smb2::kSessionSetup);
    EXPECT_EQ(m.hdr.session_id, 0x03f12bb6ull);
    smb2::SessionSetupRequest r;
    ASSERT_EQ(smb2::parseSessionSetupRequest(m, r), ParseState::Success);
    EXPECT_EQ(r.security_buffer.size(), 0x1BAu);
    AuthInfo a;
    ASSERT_EQ(parseSecurityBlob(r.security_buffer, a), ParseState::Success);
    EXPECT_EQ(a.mech, AuthMech::Ntlmssp);
    EXPECT_EQ(a.ntlm_message_type, 3u);
    EXPECT_EQ(a.user, "justin");
    EXPECT_EQ(a.domain, "65A2D0F0A866");
    EXPECT_EQ(a.host, "JUSTIN-AZOFF");
    EXPECT_FALSE(a.anonymous);
    EXPECT_TRUE(a.identifies_client());
}

// Minimal DER builder for hand-made SPNEGO/Kerberos fixtures: tag + definite length + content.
std::vector<uint8_t> der(uint8_t tag, const std::vector<uint8_t>& content) {
    std::vector<uint8_t> v = {tag};
    size_t n = content.size();
    if (n < 0x80) v.push_back(uint8_t(n));
    else if (n < 0x100) v.insert(v.end(), {0x81, uint8_t(n)});
    else v.insert(v.end(), {0x82, uint8_t(n >> 8), uint8_t(n)});
    return cat(v, content);
}
std::vector<uint8_t> str(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// NTLMSSP AUTHENTICATE with the given user and NT response lengths; the payload follows the
// 64-byte fixed part (no Version/MIC).
std::vector<uint8_t> ntlmAuthenticate(const std::string& user, uint16_t nt_len, uint32_t user_off = 64) {
    std::vector<uint8_t> m = str(std::string("NTLMSSP\0", 8));  // Signature
    put32(m, 3);                                   // MessageType = AUTHENTICATE
    auto field = [&](uint16_t len, uint32_t off) { put16(m, len); put16(m, len); put32(m, off); };
    const uint16_t ulen = uint16_t(user.size() * 2);
    field(0, 64);                                  // LmChallengeResponseFields: empty
    field(nt_len, 64 + ulen);                      // NtChallengeResponseFields
    field(8, 64 + ulen + nt_len);                  // DomainNameFields: "DOM" + NUL pad (8 bytes)
    field(ulen, user_off);                         // UserNameFields
    field(0, 64);                                  // WorkstationFields: empty
    field(0, 64);                                  // EncryptedRandomSessionKeyFields
    put32(m, 0x00000001);                          // NegotiateFlags: UNICODE
    putUtf16(m, user);                             // payload: user name
    m.resize(m.size() + nt_len, 0x11);             // NT response bytes
    putUtf16(m, "DOM");                            // domain
    put16(m, 0);
    return m;
}

TEST(Smb2Auth, NtlmUserDomainAndAnonymous) {
    AuthInfo a;
    ASSERT_EQ(parseNtlmssp(ntlmAuthenticate("alice", 24), a), ParseState::Success);
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.domain, "DOM");
    EXPECT_TRUE(a.host.empty());
    EXPECT_FALSE(a.anonymous);

    AuthInfo anon;  // [MS-NLMP] 3.2.5.1.2: empty user and empty responses = anonymous
    ASSERT_EQ(parseNtlmssp(ntlmAuthenticate("", 0), anon), ParseState::Success);
    EXPECT_TRUE(anon.anonymous);
}

TEST(Smb2Auth, NtlmOffsetsOutsideBlobAreInvalid) {
    auto m = ntlmAuthenticate("alice", 24, 4000);  // UserNameFields offset 4000 > message size
    AuthInfo a;
    EXPECT_EQ(parseNtlmssp(m, a), ParseState::Invalid);
    EXPECT_TRUE(a.user.empty());
    auto wrap = ntlmAuthenticate("alice", 24, 0xFFFFFFF0u);  // offset + length overflows 32 bits
    EXPECT_EQ(parseNtlmssp(wrap, a), ParseState::Invalid);
    auto cut = ntlmAuthenticate("alice", 24);
    cut.resize(40);  // fixed part itself truncated
    EXPECT_EQ(parseNtlmssp(cut, a), ParseState::Invalid);
}

TEST(Smb2Auth, SpnegoLengthsThatOverflow) {
    // negTokenResp [1] whose long-form length says 0xFFFFFFFF bytes follow.
    const uint8_t huge[] = {0xA1, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x30, 0x00};
    AuthInfo a;
    EXPECT_EQ(parseSecurityBlob(huge, a), ParseState::Invalid);
    // Length-of-length 5 (> 4 GiB) and the indefinite form 0x80 are refused.
    const uint8_t five[] = {0xA1, 0x85, 0x00, 0x00, 0x00, 0x00, 0x02, 0x30, 0x00};
    EXPECT_EQ(parseSecurityBlob(five, a), ParseState::Invalid);
    const uint8_t indefinite[] = {0xA1, 0x80, 0x30, 0x00, 0x00, 0x00};
    EXPECT_EQ(parseSecurityBlob(indefinite, a), ParseState::Invalid);
    // Inner responseToken longer than its container.
    auto inner = der(0xA1, der(0x30, {0xA2, 0x05, 0x04, 0x7F, 'N', 'T', 'L'}));
    EXPECT_EQ(parseSecurityBlob(inner, a), ParseState::Invalid);
    EXPECT_EQ(parseSecurityBlob({}, a), ParseState::Ignored);
}

TEST(Smb2Auth, SpnegoWrappedNtlm) {
    // GSS InitialContextToken { SPNEGO OID, negTokenInit { mechTypes {NTLMSSP}, mechToken } }
    auto ntlm_oid = der(0x06, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a});
    auto init = der(0xA0, der(0x30, cat(der(0xA0, der(0x30, ntlm_oid)),          // mechTypes [0]
                                        der(0xA2, der(0x04, ntlmAuthenticate("bob", 24))))));  // mechToken [2]
    auto blob = der(0x60, cat(der(0x06, {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}), init));
    AuthInfo a;
    ASSERT_EQ(parseSecurityBlob(blob, a), ParseState::Success);
    EXPECT_EQ(a.mech, AuthMech::Ntlmssp);
    EXPECT_EQ(a.user, "bob");
}

TEST(Smb2Auth, KerberosApReqRealmAndSname) {
    // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2] } (enc-part
    // omitted: not read). Values as in suricata-verify dcerpc-smb-test-01 frame 8.
    auto sname = der(0xA2, der(0x30, cat(der(0xA0, der(0x02, {0x02})),      // name-type = NT-SRV-INST
                                         der(0xA1, der(0x30, cat(der(0x1B, str("cifs")),
                                                                 der(0x1B, str("dc1.contoso.local"))))))));
    auto ticket = der(0x61, der(0x30, cat(cat(der(0xA0, der(0x02, {0x05})),  // tkt-vno = 5
                                              der(0xA1, der(0x1B, str("CONTOSO.LOCAL")))), sname)));
    auto ap_req = der(0x6E, der(0x30, cat(cat(cat(der(0xA0, der(0x02, {0x05})),    // pvno = 5
                                                  der(0xA1, der(0x02, {0x0E}))),   // msg-type = 14
                                              der(0xA2, der(0x03, {0x00, 0x20, 0x00, 0x00, 0x00}))),
                                          der(0xA3, ticket))));
    // RFC 4121 §4.1: 0x60 { krb5 OID, TOK_ID 01 00, AP-REQ }
    auto krb5_oid = der(0x06, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02});
    auto token = der(0x60, cat(cat(krb5_oid, {0x01, 0x00}), ap_req));
    auto ms_krb5 = der(0x06, {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02});
    auto init = der(0xA0, der(0x30, cat(der(0xA0, der(0x30, cat(ms_krb5, krb5_oid))),
                                        der(0xA2, der(0x04, token)))));
    auto blob = der(0x60, cat(der(0x06, {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}), init));
    AuthInfo a;
    ASSERT_EQ(parseSecurityBlob(blob, a), ParseState::Success);
    EXPECT_EQ(a.mech, AuthMech::Kerberos);
    EXPECT_EQ(a.krb_realm, "CONTOSO.LOCAL");
    EXPECT_EQ(a.krb_sname, "cifs/dc1.contoso.local");
    EXPECT_TRUE(a.identifies_client());
}

}  // namespace
}  // namespace rpcmon::smb
