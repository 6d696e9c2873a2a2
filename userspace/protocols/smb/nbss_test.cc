// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/nbss.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocols/smb/types.h"

namespace rpcmon::smb {
namespace {

TEST(Nbss, DirectHostingSessionMessage) {
    const uint8_t f[] = {
        0x00,              // Zero (direct hosting: must be 0)
        0x01, 0x02, 0x03,  // StreamProtocolLength = 0x010203 (24-bit, big-endian)
    };
    NbssHeader h;
    ASSERT_EQ(parseNbssHeader(f, NbssMode::Direct445, h), ParseState::Success);
    EXPECT_EQ(h.type, NbssType::SessionMessage);
    EXPECT_EQ(h.length, 0x010203u);
}

TEST(Nbss, Truncated) {
    const uint8_t f[] = {0x00, 0x00, 0x10};
    NbssHeader h;
    EXPECT_EQ(parseNbssHeader(f, NbssMode::Direct445, h), ParseState::NeedsMoreData);
}

TEST(Nbss, LengthAboveMaxIsInvalid) {
    const uint8_t f[] = {
        0x00,              // Zero
        0xFF, 0xFF, 0xFF,  // 16 MiB - 1 > kNbssMaxMessage (8 MiB + 64 KiB)
    };
    NbssHeader h;
    EXPECT_EQ(parseNbssHeader(f, NbssMode::Direct445, h), ParseState::Invalid);
    const uint8_t ok[] = {0x00, 0x80, 0x00, 0x00};  // exactly 8 MiB: allowed
    EXPECT_EQ(parseNbssHeader(ok, NbssMode::Direct445, h), ParseState::Success);
}

TEST(Nbss, Port139SessionRequestAndFlags) {
    const uint8_t req[] = {
        0x81,        // Type: SESSION REQUEST
        0x00,        // Flags: E = 0
        0x00, 0x44,  // Length = 68 (two encoded NetBIOS names)
    };
    NbssHeader h;
    ASSERT_EQ(parseNbssHeader(req, NbssMode::NetBios139, h), ParseState::Success);
    EXPECT_EQ(h.type, NbssType::SessionRequest);
    EXPECT_EQ(h.length, 68u);
    // The same bytes are not valid on 445 (direct hosting knows only session messages).
    EXPECT_EQ(parseNbssHeader(req, NbssMode::Direct445, h), ParseState::Invalid);

    const uint8_t ext[] = {
        0x00,        // SESSION MESSAGE
        0x01,        // Flags: E = 1 → length bit 16
        0x00, 0x10,  // Length low 16 bits
    };
    ASSERT_EQ(parseNbssHeader(ext, NbssMode::NetBios139, h), ParseState::Success);
    EXPECT_EQ(h.length, 0x10010u);

    const uint8_t bad_flags[] = {0x00, 0x02, 0x00, 0x10};  // reserved flag bit set
    EXPECT_EQ(parseNbssHeader(bad_flags, NbssMode::NetBios139, h), ParseState::Invalid);
    const uint8_t bad_type[] = {0x42, 0x00, 0x00, 0x10};  // no such NBSS type
    EXPECT_EQ(parseNbssHeader(bad_type, NbssMode::NetBios139, h), ParseState::Invalid);
    const uint8_t keepalive[] = {0x85, 0x00, 0x00, 0x00};
    ASSERT_EQ(parseNbssHeader(keepalive, NbssMode::NetBios139, h), ParseState::Success);
    EXPECT_EQ(h.type, NbssType::Keepalive);
    // Samba sends keepalives on 445 as well.
    ASSERT_EQ(parseNbssHeader(keepalive, NbssMode::Direct445, h), ParseState::Success);
    EXPECT_EQ(h.type, NbssType::Keepalive);
    const uint8_t keepalive_len[] = {0x85, 0x00, 0x00, 0x04};
    EXPECT_EQ(parseNbssHeader(keepalive_len, NbssMode::Direct445, h), ParseState::Invalid);
    const uint8_t big_control[] = {0x81, 0x00, 0x10, 0x00};  // 4 KiB session request
    EXPECT_EQ(parseNbssHeader(big_control, NbssMode::NetBios139, h), ParseState::Invalid);
}

TEST(Nbss, ResyncFindsNextSmbFrame) {
    std::vector<uint8_t> d = {
        0x12, 0x00, 0x00, 0x00, 0x00, 0xAB,  // garbage: tail of a lost message
        0x00, 0x00, 0x00, 0x00,              // NBSS length 0: no SMB after it, not a boundary
        0x00, 0x00, 0x00, 0x48,              // NBSS session message, length 72
        0xFE, 'S', 'M', 'B',                 // SMB2 ProtocolId
    };
    NbssBoundary b = findNbssBoundary(d, NbssMode::Direct445);
    ASSERT_TRUE(b.found);
    EXPECT_EQ(b.offset, 10u);

    std::vector<uint8_t> smb1 = {0x99, 0x00, 0x00, 0x00, 0x23, 0xFF, 'S', 'M', 'B'};
    b = findNbssBoundary(smb1, NbssMode::NetBios139);
    ASSERT_TRUE(b.found);
    EXPECT_EQ(b.offset, 1u);

    std::vector<uint8_t> transform = {0x00, 0x00, 0x01, 0x00, 0xFD, 'S', 'M', 'B'};
    b = findNbssBoundary(transform, NbssMode::Direct445);
    ASSERT_TRUE(b.found);
    EXPECT_EQ(b.offset, 0u);
}

TEST(Nbss, ResyncWithoutBoundaryKeepsTail) {
    std::vector<uint8_t> d(100, 0x41);
    NbssBoundary b = findNbssBoundary(d, NbssMode::Direct445);
    EXPECT_FALSE(b.found);
    EXPECT_EQ(b.offset, 93u);  // the last 7 bytes could start a header + protocol id
    std::vector<uint8_t> tiny = {0x00, 0x00};
    b = findNbssBoundary(tiny, NbssMode::Direct445);
    EXPECT_FALSE(b.found);
    EXPECT_EQ(b.offset, 0u);
}

TEST(SmbTypes, StatusNamesAndPaths) {
    EXPECT_EQ(statusName(0), "STATUS_SUCCESS");
    EXPECT_EQ(statusName(0xC0000022), "STATUS_ACCESS_DENIED");
    EXPECT_EQ(statusName(0xC000006D), "STATUS_LOGON_FAILURE");
    EXPECT_EQ(statusName(0xC0000016), "STATUS_MORE_PROCESSING_REQUIRED");
    EXPECT_EQ(statusName(0xC0000034), "STATUS_OBJECT_NAME_NOT_FOUND");
    EXPECT_EQ(statusName(0x80000005), "STATUS_BUFFER_OVERFLOW");
    EXPECT_EQ(statusName(0x00000103), "STATUS_PENDING");
    EXPECT_EQ(statusName(0xC00000CC), "STATUS_BAD_NETWORK_NAME");
    EXPECT_EQ(statusName(0xC0DE0001), "0xc0de0001");
    EXPECT_EQ(shareFromPath("\\\\server\\IPC$"), "IPC$");
    EXPECT_EQ(pipeNameFromPath("\\PIPE\\srvsvc"), "srvsvc");
    EXPECT_EQ(pipeNameFromPath("\\srvsvc"), "srvsvc");
    EXPECT_EQ(pipeNameFromPath("atsvc"), "atsvc");
    EXPECT_EQ(pipeNameFromPath("pipe\\lsarpc"), "lsarpc");
    const uint8_t u16[] = {'a', 0, 0xE9, 0, 0x3D, 0xD8, 0x00, 0xDE, 0, 0, 'x', 0};  // "aé😀" NUL
    EXPECT_EQ(utf16ToUtf8(u16), "a\xC3\xA9\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace rpcmon::smb
