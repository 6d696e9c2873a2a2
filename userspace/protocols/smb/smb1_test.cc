// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/smb1.h"

#include <gtest/gtest.h>

#include <cstring>

#include "protocols/smb/auth.h"
#include "protocols/smb/test_util.h"
#include "protocols/smb/types.h"

namespace rpcmon::smb {
namespace {

using namespace rpcmon::smb::test;

// Real SMB1 messages from zeek/dssetup_DsRoleGetPrimaryDomainInformation.pcap (frames 3-6),
// NBSS header removed. Zeek's dce_rpc.log names the pipe "\PIPE\lsass" (the bind_ack's
// secondary address) and tshark shows NT Create "\lsarpc" → FID 0x400b.
const char* kNtCreateRequest =
    "ff534d42" "a2" "00000000" "08" "01c8" "0000" "0000000000000000" "0000"  // header: NT_CREATE_ANDX
    "0008" "ff11" "0008" "3600"                    // TID 0x0800, PID 0x11ff, UID 0x0800, MID 0x36
    "18"                                           // WordCount = 24
    "ff" "00" "0000"                               // AndXCommand none, AndXReserved, AndXOffset
    "00" "0e00"                                    // Reserved, NameLength = 14
    "00000000" "00000000" "9f010200"               // Flags, RootDirectoryFID, DesiredAccess
    "0000000000000000" "00000000" "03000000"       // AllocationSize, ExtFileAttributes, ShareAccess
    "01000000" "00000000" "02000000" "00"          // Disposition OPEN, Options, Impersonation, SecFlags
    "1100"                                         // ByteCount = 17
    "00" "5c006c00730061007200700063000000";       // Pad, FileName "\lsarpc" (UTF-16LE, NUL)

const char* kNtCreateResponse =
    "ff534d42a2000000008801c80000000000000000000000000008ff1100083600"  // header, FLAGS reply
    "22"                                           // WordCount = 34
    "ff006700" "00" "0b40" "01000000"              // AndX, OplockLevel, FID = 0x400b, CreateAction
    "0000000000000000000000000000000000000000000000000000000000000000"  // four timestamps
    "80000000" "0010000000000000" "0000000000000000"  // ExtFileAttributes, AllocationSize, EndOfFile
    "0200" "ff05" "00"                             // ResourceType = message-mode pipe, NMPipeStatus, Directory
    "0000";                                        // ByteCount

const char* kTransactResponse =
    "ff534d4225000000008801c80000000000000000000000000008ff1100083700"  // header, reply
    "0a"                                           // WordCount = 10 (SetupCount 0)
    "0000" "4400" "0000" "0000" "3800" "0000"      // TotalParam, TotalData = 68, Rsvd, ParamCount, ParamOffset, ParamDisp
    "4400" "3800" "0000" "00" "00"                 // DataCount = 68, DataOffset = 56, DataDisp, SetupCount, Rsvd
    "4500"                                         // ByteCount = 69
    "00"                                           // Pad
    "05000c0310000000440000001d000000b810b810736c00000c005c504950455c6c736173730000000100000000"
    "000000045d888aeb1cc9119fe808002b10486002000000";  // bind_ack (68 bytes)

std::vector<smb1::Block> blocks(const std::vector<uint8_t>& msg, smb1::Header& h) {
    EXPECT_EQ(smb1::parseHeader(msg, h), ParseState::Success);
    std::vector<smb1::Block> out;
    EXPECT_EQ(smb1::splitAndX(msg, h, out), ParseState::Success);
    return out;
}

TEST(Smb1, RealNtCreateAndX) {
    auto req = hex(kNtCreateRequest);
    smb1::Header h;
    auto b = blocks(req, h);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(h.command, smb1::kNtCreateAndX);
    EXPECT_FALSE(h.isResponse());
    EXPECT_TRUE(h.unicode());
    EXPECT_EQ(h.tid, 0x0800);
    EXPECT_EQ(h.mid, 0x36);
    smb1::NtCreateRequest cr;
    ASSERT_EQ(smb1::parseNtCreateRequest(h, b[0], cr), ParseState::Success);
    EXPECT_EQ(cr.name, "\\lsarpc");
    EXPECT_EQ(pipeNameFromPath(cr.name), "lsarpc");
    EXPECT_EQ(cr.desired_access, 0x0002019Fu);

    auto resp = hex(kNtCreateResponse);
    smb1::Header rh;
    auto rb = blocks(resp, rh);
    ASSERT_EQ(rb.size(), 1u);
    EXPECT_TRUE(rh.isResponse());
    smb1::NtCreateResponse r;
    ASSERT_EQ(smb1::parseNtCreateResponse(rb[0], r), ParseState::Success);
    EXPECT_EQ(r.fid, 0x400b);
    EXPECT_EQ(r.resource_type, 2);
}

TEST(Smb1, RealTransactNmPipe) {
    auto req = hex(kTransactRequest);
    smb1::Header h;
    auto b = blocks(req, h);
    ASSERT_EQ(b.size(), 1u);
    smb1::TransactionRequest t;
    ASSERT_EQ(smb1::parseTransactionRequest(req, h, b[0], t), ParseState::Success);
    EXPECT_EQ(t.name, "\\PIPE\\");
    ASSERT_EQ(t.setup.size(), 2u);
    EXPECT_EQ(t.setup[0], smb1::kTransTransactNmPipe);
    EXPECT_EQ(t.setup[1], 0x400b);
    ASSERT_EQ(t.data.size(), 72u);
    EXPECT_EQ(t.data[0], 0x05);  // DCE/RPC version 5
    EXPECT_EQ(t.data[2], 0x0b);  // ptype bind

    auto resp = hex(kTransactResponse);
    smb1::Header rh;
    auto rb = blocks(resp, rh);
    smb1::TransactionResponse tr;
    ASSERT_EQ(smb1::parseTransactionResponse(resp, rb[0], tr), ParseState::Success);
    ASSERT_EQ(tr.data.size(), 68u);
    EXPECT_EQ(tr.data[2], 0x0c);  // bind_ack

    req[32 + 1 + 22] = 0xF0;  // DataCount (word offset 22) → 0x00F0: beyond the message
    smb1::Header h2;
    std::vector<smb1::Block> b2;
    ASSERT_EQ(smb1::parseHeader(req, h2), ParseState::Success);
    ASSERT_EQ(smb1::splitAndX(req, h2, b2), ParseState::Success);
    // Clamped to the 72 bytes the message carries (the bind is still there), and flagged.
    smb1::TransactionRequest clamped;
    ASSERT_EQ(smb1::parseTransactionRequest(req, h2, b2[0], clamped), ParseState::Success);
    EXPECT_TRUE(clamped.beyond_record);
    ASSERT_EQ(clamped.data.size(), 72u);
    EXPECT_EQ(clamped.data[2], 0x0b);
    EXPECT_FALSE(t.beyond_record);
}

TEST(Smb1, NegotiateDialects) {
    std::vector<uint8_t> m = hex("ff534d4272000000001843c8000000000000000000000000fffffeff00000000");
    m.push_back(0x00);                 // WordCount = 0
    std::vector<uint8_t> bytes;
    for (const char* d : {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"}) {
        bytes.push_back(0x02);         // BufferFormat: dialect
        bytes.insert(bytes.end(), d, d + strlen(d) + 1);
    }
    put16(m, uint16_t(bytes.size()));  // ByteCount
    m = cat(m, bytes);
    smb1::Header h;
    auto b = blocks(m, h);
    smb1::NegotiateRequest nr;
    ASSERT_EQ(smb1::parseNegotiateRequest(b[0], nr), ParseState::Success);
    ASSERT_EQ(nr.dialects.size(), 3u);
    EXPECT_EQ(nr.dialects[2], "NT LM 0.12");
}

// SESSION_SETUP_ANDX (extended security, raw NTLMSSP AUTHENTICATE) + TREE_CONNECT_ANDX chain.
std::vector<uint8_t> sessionSetupChain(uint16_t andx_offset) {
    std::vector<uint8_t> m = hex("ff534d4273000000001807c8000000000000000000000000ffff1234000801");
    m.push_back(0x00);  // MID high byte (MID = 0x0100)
    // NTLMSSP AUTHENTICATE, OEM strings: user "eve", domain "LAB", workstation "PC1".
    std::vector<uint8_t> ntlm = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3, 0, 0, 0};
    auto field = [&](uint16_t len, uint32_t off) { put16(ntlm, len); put16(ntlm, len); put32(ntlm, off); };
    field(0, 64); field(0, 64);   // LM, NT responses
    field(3, 64); field(3, 67);   // DomainName "LAB" @64, UserName "eve" @67
    field(3, 70); field(0, 64);   // Workstation "PC1" @70, session key
    put32(ntlm, 0x00000002);      // NegotiateFlags: OEM
    for (char c : std::string("LABevePC1")) ntlm.push_back(uint8_t(c));
    m.push_back(12);                              // WordCount = 12 (extended security)
    m.push_back(0x75); m.push_back(0); put16(m, andx_offset);  // AndX → TREE_CONNECT_ANDX
    put16(m, 0x1104); put16(m, 50); put16(m, 0);  // MaxBufferSize, MaxMpxCount, VcNumber
    put32(m, 0);                                  // SessionKey
    put16(m, uint16_t(ntlm.size()));              // SecurityBlobLength
    put32(m, 0); put32(m, 0x8000e3fc);            // Reserved, Capabilities
    put16(m, uint16_t(ntlm.size()));              // ByteCount
    m = cat(m, ntlm);
    if (andx_offset < m.size()) return m;         // malformed variants stop here
    m.resize(andx_offset, 0);
    m.push_back(4);                               // WordCount = 4
    m.push_back(0xFF); m.push_back(0); put16(m, 0);  // no further AndX
    put16(m, 0); put16(m, 1);                     // Flags, PasswordLength = 1
    std::vector<uint8_t> tb = {0x00};             // Password (NUL)
    for (char c : std::string("\\\\SRV\\IPC$")) tb.push_back(uint8_t(c)), tb.push_back(0);  // Path
    tb.push_back(0); tb.push_back(0);
    for (char c : std::string("?????")) tb.push_back(uint8_t(c));  // Service (OEM)
    tb.push_back(0);
    put16(m, uint16_t(tb.size()));
    return cat(m, tb);
}

TEST(Smb1, SessionSetupAndXChainWithNtlmAndTreeConnect) {
    auto m = sessionSetupChain(0);
    uint16_t off = uint16_t(m.size() + 2);       // tree connect block after a 2-byte gap
    m = sessionSetupChain(off);
    smb1::Header h;
    auto b = blocks(m, h);
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].command, smb1::kSessionSetupAndX);
    EXPECT_EQ(b[1].command, smb1::kTreeConnectAndX);
    smb1::SessionSetupRequest ss;
    ASSERT_EQ(smb1::parseSessionSetupRequest(m, h, b[0], ss), ParseState::Success);
    EXPECT_TRUE(ss.extended);
    AuthInfo a;
    ASSERT_EQ(parseSecurityBlob(ss.security_blob, a), ParseState::Success);
    EXPECT_EQ(a.user, "eve");
    EXPECT_EQ(a.domain, "LAB");
    EXPECT_EQ(a.host, "PC1");
    smb1::TreeConnectRequest tc;
    ASSERT_EQ(smb1::parseTreeConnectRequest(h, b[1], tc), ParseState::Success);
    EXPECT_EQ(tc.path, "\\\\SRV\\IPC$");
    EXPECT_EQ(tc.service, "?????");
}

TEST(Smb1, AndXOffsetBackwardsOrOutsideIsInvalid) {
    auto m = sessionSetupChain(20);  // AndXOffset 20: inside the SMB header (backwards)
    smb1::Header h;
    ASSERT_EQ(smb1::parseHeader(m, h), ParseState::Success);
    std::vector<smb1::Block> b;
    EXPECT_EQ(smb1::splitAndX(m, h, b), ParseState::Invalid);
    EXPECT_EQ(b.size(), 1u);  // the session setup block itself is kept
    auto far = sessionSetupChain(0);
    far[35] = 0xF0; far[36] = 0xFF;  // AndXOffset = 0xFFF0: beyond the message
    b.clear();
    EXPECT_EQ(smb1::splitAndX(far, h, b), ParseState::Invalid);
}

TEST(Smb1, ByteCountBeyondMessageIsTruncated) {
    auto req = hex(kNtCreateRequest);
    req.resize(req.size() - 4);  // drop the tail of FileName: ByteCount now overstates
    smb1::Header h;
    ASSERT_EQ(smb1::parseHeader(req, h), ParseState::Success);
    std::vector<smb1::Block> b;
    EXPECT_EQ(smb1::splitAndX(req, h, b), ParseState::Invalid);
    b.clear();
    EXPECT_EQ(smb1::splitAndX(req, h, b, true), ParseState::Success);  // as a large-message prefix
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(smb1::parseHeader(Bytes(req.data(), 31), h), ParseState::NeedsMoreData);
}

// WRITE_ANDX to the pipe FID 0x400b (WordCount 14), 8 data bytes at DataOffset 64.
const char* kWriteAndXRequest =
    "ff534d42" "2f" "00000000" "08" "01c8" "0000" "0000000000000000" "0000"  // header: WRITE_ANDX
    "0008" "ff11" "0008" "3800"                    // TID, PID, UID, MID
    "0e"                                           // WordCount = 14
    "ff" "00" "0000"                               // AndXCommand none, AndXReserved, AndXOffset
    "0b40" "00000000" "00000000"                   // FID 0x400b, Offset, Timeout
    "0000" "0000" "0000"                           // WriteMode, Remaining, DataLengthHigh
    "0800" "4000" "00000000"                       // DataLength = 8, DataOffset = 64, OffsetHigh
    "0900"                                         // ByteCount = 9
    "00" "05000b0310000000";                       // Pad, data: a DCE/RPC bind header start

// READ_ANDX response (WordCount 12), 8 data bytes at DataOffset 60.
const char* kReadAndXResponse =
    "ff534d42" "2e" "00000000" "88" "01c8" "0000" "0000000000000000" "0000"  // header: READ_ANDX reply
    "0008" "ff11" "0008" "3900"                    // TID, PID, UID, MID
    "0c"                                           // WordCount = 12
    "ff" "00" "0000" "ffff" "0000" "0000"          // AndX, Available, DataCompactionMode, Reserved1
    "0800" "3c00" "0000" "0000000000000000"        // DataLength = 8, DataOffset = 60, DataLengthHigh, Reserved2
    "0900"                                         // ByteCount = 9
    "00" "05000c0310000000";                       // Pad, data: a DCE/RPC bind_ack header start

// DataLength past the end of the message (the NBSS record): clamped to the 8 bytes present,
// flagged, never Invalid (which would drop the pipe's PDU).
TEST(Smb1, WriteAndXAndReadAndXDataLengthBeyondMessageIsClamped) {
    auto w = hex(kWriteAndXRequest);
    smb1::Header h;
    auto b = blocks(w, h);
    ASSERT_EQ(b.size(), 1u);
    smb1::WriteAndXRequest wr;
    ASSERT_EQ(smb1::parseWriteAndXRequest(w, b[0], wr), ParseState::Success);
    EXPECT_FALSE(wr.beyond_record);
    EXPECT_EQ(wr.data_length, 8u);
    w[32 + 1 + 20] = 0x10;  // DataLength (word offset 20) = 0x1008
    auto b2 = blocks(w, h);
    ASSERT_EQ(smb1::parseWriteAndXRequest(w, b2[0], wr), ParseState::Success);
    EXPECT_TRUE(wr.beyond_record);
    EXPECT_EQ(wr.data_length, 8u);
    ASSERT_EQ(wr.data.size(), 8u);
    EXPECT_EQ(wr.data[2], 0x0b);
    w[32 + 1 + 22] = 0x10;  // DataOffset = 16: inside the 32-byte header → malformed
    auto b3 = blocks(w, h);
    EXPECT_EQ(smb1::parseWriteAndXRequest(w, b3[0], wr), ParseState::Invalid);

    auto r = hex(kReadAndXResponse);
    auto rb = blocks(r, h);
    smb1::ReadAndXResponse rr;
    ASSERT_EQ(smb1::parseReadAndXResponse(r, rb[0], rr), ParseState::Success);
    EXPECT_FALSE(rr.beyond_record);
    r[32 + 1 + 14] = 0x01;  // DataLengthHigh (word offset 14) = 1: 65544 bytes claimed
    rb = blocks(r, h);
    ASSERT_EQ(smb1::parseReadAndXResponse(r, rb[0], rr), ParseState::Success);
    EXPECT_TRUE(rr.beyond_record);
    EXPECT_EQ(rr.data_length, 8u);
    ASSERT_EQ(rr.data.size(), 8u);
    EXPECT_EQ(rr.data[2], 0x0c);
    // As the prefix of a large message the declared length stands (the rest was skipped).
    ASSERT_EQ(smb1::parseReadAndXResponse(r, rb[0], rr, true), ParseState::Success);
    EXPECT_FALSE(rr.beyond_record);
    EXPECT_EQ(rr.data_length, 65544u);
}

TEST(Smb1, NonExtendedSessionSetupPlaintextAccount) {
    // NT LM 0.12 without extended security: WordCount 13, account/domain as Unicode strings.
    std::vector<uint8_t> m = hex("ff534d4273000000001801c8000000000000000000000000ffff12340000");
    put16(m, 0x0200);                       // MID
    m.push_back(13);                        // WordCount = 13
    m.push_back(0xFF); m.push_back(0); put16(m, 0);  // no AndX
    put16(m, 0x1104); put16(m, 50); put16(m, 0); put32(m, 0);  // MaxBuffer, MaxMpx, Vc, SessionKey
    put16(m, 0);                            // OEMPasswordLen = 0
    put16(m, 0);                            // UnicodePasswordLen = 0 (null session)
    put32(m, 0); put32(m, 0xd4);            // Reserved, Capabilities
    std::vector<uint8_t> bytes;             // bytes start at offset 32+1+26+2 = 61 (odd)
    bytes.push_back(0);                     // Pad to even offset
    putUtf16(bytes, "guest"); put16(bytes, 0);   // AccountName
    putUtf16(bytes, "WORK"); put16(bytes, 0);    // PrimaryDomain
    put16(m, uint16_t(bytes.size()));
    m = cat(m, bytes);
    smb1::Header h;
    auto b = blocks(m, h);
    smb1::SessionSetupRequest ss;
    ASSERT_EQ(smb1::parseSessionSetupRequest(m, h, b[0], ss), ParseState::Success);
    EXPECT_FALSE(ss.extended);
    EXPECT_EQ(ss.account, "guest");
    EXPECT_EQ(ss.domain, "WORK");
    EXPECT_TRUE(ss.empty_password);
}

}  // namespace
}  // namespace rpcmon::smb
