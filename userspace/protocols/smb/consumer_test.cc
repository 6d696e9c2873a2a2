// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/consumer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "protocols/smb/test_util.h"
#include "protocols/smb/types.h"

#ifndef SMB_TESTDATA_DIR
#define SMB_TESTDATA_DIR "userspace/protocols/smb/testdata"
#endif

namespace rpcmon::smb {
namespace {

using namespace rpcmon::smb::test;
using V = std::vector<uint8_t>;

constexpr uint32_t R = smb2::kFlagServerToRedir;
constexpr uint64_t kSid = 0x0000100000000009ull;
constexpr uint32_t kTid = 5;
const smb2::FileId kFid{0x11, 0x22};

// --- SMB2 message builders; every body field is written in wire order ([MS-SMB2] 2.2.x).

void putFid(V& v, smb2::FileId f) { put64(v, f.persistent); put64(v, f.volatile_); }

V negotiateResp(uint16_t dialect) {
    V v = smb2Header({.command = smb2::kNegotiate, .flags = R});
    put16(v, 65);       // StructureSize
    put16(v, 1);        // SecurityMode
    put16(v, dialect);  // DialectRevision
    v.resize(v.size() + 58, 0);  // NegotiateContextCount .. Reserved2, no security buffer
    return v;
}

V sessionSetupReq(uint64_t mid, uint64_t sid, const V& blob) {
    V v = smb2Header({.command = smb2::kSessionSetup, .message_id = mid, .session_id = sid});
    put16(v, 25);                      // StructureSize
    v.push_back(0); v.push_back(1);    // Flags, SecurityMode
    put32(v, 1); put32(v, 0);          // Capabilities, Channel
    put16(v, 88);                      // SecurityBufferOffset = 64 + 24
    put16(v, uint16_t(blob.size()));   // SecurityBufferLength
    put64(v, 0);                       // PreviousSessionId
    return cat(v, blob);
}

V sessionSetupResp(uint64_t mid, uint64_t sid, uint32_t status, uint16_t flags) {
    V v = smb2Header({.command = smb2::kSessionSetup, .status = status, .flags = R,
                      .message_id = mid, .session_id = sid});
    put16(v, 9); put16(v, flags);      // StructureSize, SessionFlags
    put16(v, 0); put16(v, 0);          // SecurityBufferOffset/Length
    return v;
}

V errorResp(uint16_t cmd, uint64_t mid, uint64_t sid, uint32_t tid, uint32_t status) {
    V v = smb2Header({.command = cmd, .status = status, .flags = R, .message_id = mid,
                      .tree_id = tid, .session_id = sid});
    put16(v, 9); v.push_back(0); v.push_back(0); put32(v, 0);  // ERROR: StructureSize, counts
    v.push_back(0);                                            // ErrorData (1 byte)
    return v;
}

V treeConnectReq(uint64_t mid, uint64_t sid, const std::string& path) {
    V v = smb2Header({.command = smb2::kTreeConnect, .message_id = mid, .session_id = sid});
    put16(v, 9); put16(v, 0);                                  // StructureSize, Flags
    put16(v, 72); put16(v, uint16_t(path.size() * 2));        // PathOffset, PathLength
    putUtf16(v, path);
    return v;
}

V treeConnectResp(uint64_t mid, uint64_t sid, uint32_t tid, uint8_t type, uint32_t share_flags = 0) {
    V v = smb2Header({.command = smb2::kTreeConnect, .flags = R, .message_id = mid,
                      .tree_id = tid, .session_id = sid});
    put16(v, 16); v.push_back(type); v.push_back(0);           // StructureSize, ShareType, Reserved
    put32(v, share_flags); put32(v, 0); put32(v, 0x1f01ff);    // ShareFlags, Capabilities, MaximalAccess
    return v;
}

V createReq(uint64_t mid, uint64_t sid, uint32_t tid, const std::string& name, uint32_t flags = 0,
            uint32_t next = 0) {
    V v = smb2Header({.command = smb2::kCreate, .flags = flags, .next_command = next,
                      .message_id = mid, .tree_id = tid, .session_id = sid});
    V body(56, 0);
    body[0] = 57;                      // StructureSize
    body[36] = 1;                      // CreateDisposition = FILE_OPEN
    body[44] = 120;                    // NameOffset
    body[46] = uint8_t(name.size() * 2);  // NameLength
    v = cat(v, body);
    putUtf16(v, name);
    return v;
}

V createResp(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, uint32_t next = 0) {
    V v = smb2Header({.command = smb2::kCreate, .flags = R, .next_command = next, .message_id = mid,
                      .tree_id = tid, .session_id = sid});
    put16(v, 89); v.push_back(0); v.push_back(0);  // StructureSize, OplockLevel, Flags
    put32(v, 1);                                   // CreateAction = FILE_OPENED
    v.resize(v.size() + 32 + 8 + 8 + 4 + 4, 0);    // times, AllocationSize, EndofFile, attrs
    putFid(v, fid);                                // FileId
    put32(v, 0); put32(v, 0);                      // CreateContextsOffset/Length
    return v;
}

V writeReq(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, const V& data) {
    V v = smb2Header({.command = smb2::kWrite, .message_id = mid, .tree_id = tid, .session_id = sid});
    put16(v, 49); put16(v, 112);                   // StructureSize, DataOffset = 64 + 48
    put32(v, uint32_t(data.size())); put64(v, 0);  // Length, Offset
    putFid(v, fid);
    put32(v, 0); put32(v, 0); put16(v, 0); put16(v, 0); put32(v, 0);  // Channel .. Flags
    return cat(v, data);
}

V readReq(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, uint32_t len) {
    V v = smb2Header({.command = smb2::kRead, .message_id = mid, .tree_id = tid, .session_id = sid});
    put16(v, 49); v.push_back(0x50); v.push_back(0);  // StructureSize, Padding, Flags
    put32(v, len); put64(v, 0);                       // Length, Offset
    putFid(v, fid);
    put32(v, 0); put32(v, 0); put32(v, 0); put16(v, 0); put16(v, 0);  // MinimumCount .. ChannelInfo
    v.push_back(0);                                   // Buffer
    return v;
}

V readResp(uint64_t mid, uint64_t sid, uint32_t tid, uint32_t status, const V& data,
           uint32_t declared = 0) {
    V v = smb2Header({.command = smb2::kRead, .status = status, .flags = R, .message_id = mid,
                      .tree_id = tid, .session_id = sid});
    put16(v, 17); v.push_back(80); v.push_back(0);    // StructureSize, DataOffset, Reserved
    put32(v, declared ? declared : uint32_t(data.size()));  // DataLength
    put32(v, 0); put32(v, 0);                         // DataRemaining, Reserved2
    return cat(v, data);
}

V ioctlReq(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, const V& in, uint32_t flags = 0) {
    V v = smb2Header({.command = smb2::kIoctl, .flags = flags, .message_id = mid, .tree_id = tid,
                      .session_id = sid});
    put16(v, 57); put16(v, 0);                        // StructureSize, Reserved
    put32(v, smb2::kFsctlPipeTransceive);             // CtlCode
    putFid(v, fid);
    put32(v, 120); put32(v, uint32_t(in.size()));     // InputOffset, InputCount
    put32(v, 0); put32(v, 120); put32(v, 0);          // MaxInputResponse, OutputOffset, OutputCount
    put32(v, 1024); put32(v, 1); put32(v, 0);         // MaxOutputResponse, Flags = FSCTL, Reserved2
    return cat(v, in);
}

V ioctlResp(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, const V& out,
            uint32_t flags = R, uint64_t async_id = 0) {
    V v = smb2Header({.command = smb2::kIoctl, .flags = flags, .message_id = mid, .tree_id = tid,
                      .session_id = sid, .async_id = async_id});
    put16(v, 49); put16(v, 0);
    put32(v, smb2::kFsctlPipeTransceive);
    putFid(v, fid);
    put32(v, 112); put32(v, 0);                       // InputOffset, InputCount
    put32(v, 112); put32(v, uint32_t(out.size()));    // OutputOffset, OutputCount
    put32(v, 0); put32(v, 0);                         // Flags, Reserved2
    return cat(v, out);
}

V closeReq(uint64_t mid, uint64_t sid, uint32_t tid, smb2::FileId fid, uint32_t flags = 0) {
    V v = smb2Header({.command = smb2::kClose, .flags = flags, .message_id = mid, .tree_id = tid,
                      .session_id = sid});
    put16(v, 24); put16(v, 0); put32(v, 0);           // StructureSize, Flags, Reserved
    putFid(v, fid);
    return v;
}

V closeResp(uint64_t mid, uint64_t sid, uint32_t tid, uint32_t flags = R) {
    V v = smb2Header({.command = smb2::kClose, .flags = flags, .message_id = mid, .tree_id = tid,
                      .session_id = sid});
    put16(v, 60); v.resize(v.size() + 58, 0);
    return v;
}

// NTLMSSP NEGOTIATE and AUTHENTICATE (Unicode) as raw security blobs.
V ntlmNegotiate() {
    V m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0};
    put32(m, 0xe2088297);  // NegotiateFlags
    m.resize(32, 0);
    return m;
}
V ntlmAuth(const std::string& user, const std::string& domain, const std::string& host) {
    V m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 3, 0, 0, 0};
    uint32_t off = 64;
    auto field = [&](size_t len) { put16(m, uint16_t(len)); put16(m, uint16_t(len)); put32(m, off); off += uint32_t(len); };
    field(0);                      // LmChallengeResponse
    field(24);                     // NtChallengeResponse
    field(domain.size() * 2);      // DomainName
    field(user.size() * 2);        // UserName
    field(host.size() * 2);        // Workstation
    field(0);                      // EncryptedRandomSessionKey
    put32(m, 0x00000001);          // NegotiateFlags: UNICODE
    m.resize(m.size() + 24, 0x5A); // NT response
    putUtf16(m, domain);
    putUtf16(m, user);
    putUtf16(m, host);
    return m;
}

struct SmbConsumerTest : ::testing::Test {
    RecordingSink sink;
    CountingAnomalies anomalies;
    FakePipeOpener opener;
    SmbConsumer c{testFlow(), sink, anomalies, &opener, false};
    TimeNs t = 1700000000000000000ull;

    void toServer(const V& smb) { EXPECT_EQ(c.onData(Direction::ToServer, nbss(smb), ++t), smb.size() + 4); }
    void fromServer(const V& smb) { EXPECT_EQ(c.onData(Direction::FromServer, nbss(smb), ++t), smb.size() + 4); }

    // NEGOTIATE 3.1.1 + two-leg NTLM logon + TREE_CONNECT \\srv\IPC$ + CREATE srvsvc.
    void logonAndOpenPipe(uint16_t session_flags = 0) {
        fromServer(negotiateResp(0x0311));
        toServer(sessionSetupReq(1, 0, ntlmNegotiate()));
        fromServer(sessionSetupResp(1, kSid, kStatusMoreProcessingRequired, 0));
        toServer(sessionSetupReq(2, kSid, ntlmAuth("alice", "CORP", "WS01")));
        fromServer(sessionSetupResp(2, kSid, kStatusSuccess, session_flags));
        toServer(treeConnectReq(3, kSid, "\\\\srv\\IPC$"));
        fromServer(treeConnectResp(3, kSid, kTid, smb2::kShareTypePipe));
        toServer(createReq(4, kSid, kTid, "srvsvc"));
        fromServer(createResp(4, kSid, kTid, kFid));
    }
};

// Requests awaiting a response are bounded (the shared pending table): past kMaxPending the one
// that arrived first is given up and counted; its response then matches nothing.
TEST_F(SmbConsumerTest, PendingRequestsGiveUpTheOldestArrival) {
    logonAndOpenPipe();
    ASSERT_EQ(c.pendingCount(), 0u);
    for (uint64_t i = 0; i <= kMaxPending; i++) toServer(treeConnectReq(100 + i, kSid, "\\\\srv\\data"));
    EXPECT_EQ(anomalies.get("smb.too_many_pending"), 1u);
    EXPECT_EQ(c.pendingCount(), kMaxPending);
    fromServer(errorResp(smb2::kTreeConnect, 100, kSid, 0, 0xc0000022));  // the oldest: given up
    EXPECT_EQ(c.pendingCount(), kMaxPending);
    fromServer(errorResp(smb2::kTreeConnect, 101, kSid, 0, 0xc0000022));
    EXPECT_EQ(c.pendingCount(), kMaxPending - 1);
}

TEST_F(SmbConsumerTest, NtlmSessionTreeConnectCreateWriteReadClose) {
    logonAndOpenPipe();
    auto sessions = sink.ofType("smb_session");
    ASSERT_EQ(sessions.size(), 1u);
    const Json& s = sessions[0]["smb"];
    EXPECT_EQ(s["user"], "alice");
    EXPECT_EQ(s["domain"], "CORP");
    EXPECT_EQ(s["host"], "WS01");
    EXPECT_EQ(s["dialect"], "3.1.1");
    EXPECT_EQ(s["auth"], "ntlmssp");
    EXPECT_EQ(s["encrypted"], false);
    EXPECT_EQ(s["status"], "STATUS_SUCCESS");
    EXPECT_EQ(s["session_id"], kSid);
    EXPECT_EQ(sessions[0]["dest_port"], 445);
    EXPECT_EQ(sessions[0]["src_ip"], "10.0.0.1");

    auto pipes = sink.ofType("smb_pipe");
    ASSERT_EQ(pipes.size(), 1u);
    EXPECT_EQ(pipes[0]["smb"]["pipe"], "srvsvc");
    EXPECT_EQ(pipes[0]["smb"]["share"], "IPC$");
    EXPECT_EQ(pipes[0]["smb"]["status"], "STATUS_SUCCESS");
    EXPECT_EQ(pipes[0]["smb"]["user"], "alice");

    ASSERT_EQ(opener.infos.size(), 1u);
    EXPECT_EQ(opener.infos[0].pipe_name, "srvsvc");
    EXPECT_EQ(opener.infos[0].smb.user, "alice");
    EXPECT_EQ(opener.infos[0].smb.domain, "CORP");
    EXPECT_EQ(opener.infos[0].smb.host, "WS01");
    EXPECT_EQ(opener.infos[0].smb.share, "IPC$");
    EXPECT_EQ(opener.infos[0].smb.dialect, "3.1.1");
    FakePipe* pipe = opener.opened[0];

    const V bind = {0x05, 0x00, 0x0b, 0x03, 0x10, 0, 0, 0};
    const V bind_ack = {0x05, 0x00, 0x0c, 0x03, 0x10, 0, 0, 0, 0xAA};
    toServer(writeReq(5, kSid, kTid, kFid, bind));
    toServer(readReq(6, kSid, kTid, kFid, 1024));
    fromServer(readResp(6, kSid, kTid, kStatusSuccess, bind_ack));
    EXPECT_EQ(pipe->to_server, bind);
    EXPECT_EQ(pipe->from_server, bind_ack);
    EXPECT_EQ(c.openPipeCount(), 1u);

    toServer(closeReq(7, kSid, kTid, kFid));
    EXPECT_EQ(pipe->closes, 0);  // closed when the server confirms
    fromServer(closeResp(7, kSid, kTid));
    EXPECT_EQ(c.openPipeCount(), 0u);  // FakePipe freed: do not touch `pipe` any more
    EXPECT_EQ(c.pendingCount(), 0u);
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(SmbConsumerTest, IoctlTransceiveWithAsyncPendingThenFinal) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V request = {0x05, 0x00, 0x00, 0x03, 1, 2, 3};
    const V response = {0x05, 0x00, 0x02, 0x03, 9, 8, 7, 6};
    toServer(ioctlReq(8, kSid, kTid, kFid, request));
    EXPECT_EQ(pipe->to_server, request);
    // Interim: ASYNC flag, STATUS_PENDING, ERROR body. Must be ignored, request stays pending.
    V interim = smb2Header({.command = smb2::kIoctl, .status = kStatusPending,
                            .flags = R | smb2::kFlagAsync, .message_id = 8, .session_id = kSid,
                            .async_id = 0x77});
    put16(interim, 9); interim.resize(interim.size() + 7, 0);
    fromServer(interim);
    EXPECT_TRUE(pipe->from_server.empty());
    EXPECT_EQ(c.pendingCount(), 1u);
    fromServer(ioctlResp(8, kSid, kTid, kFid, response, R | smb2::kFlagAsync, 0x77));
    EXPECT_EQ(pipe->from_server, response);
    EXPECT_EQ(c.pendingCount(), 0u);
}

// macOS servers answer FSCTL_PIPE_TRANSCEIVE with a FileId whose persistent part is zero. The
// response belongs to the request with the same MessageId, so the reply reaches the pipe the
// request named; the differing echo is counted.
TEST_F(SmbConsumerTest, IoctlResponseEchoingZeroPersistentFileIdJoinsByMessageId) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V request = {0x05, 0x00, 0x00, 0x03, 1, 2, 3};
    const V response = {0x05, 0x00, 0x02, 0x03, 9, 8, 7, 6};
    toServer(ioctlReq(8, kSid, kTid, kFid, request));
    const smb2::FileId echoed{0, kFid.volatile_};  // FileId.Persistent = 0, Volatile as sent
    fromServer(ioctlResp(8, kSid, kTid, echoed, response));
    EXPECT_EQ(pipe->from_server, response);
    EXPECT_EQ(c.openPipeCount(), 1u);  // no phantom pipe adopted for the echoed handle
    EXPECT_EQ(anomalies.get("smb.echoed_file_id_differs"), 1u);
    EXPECT_EQ(c.pendingCount(), 0u);
}

// The same through an async exchange: interim STATUS_PENDING (AsyncId 0x99), then the final
// response with the same MessageId and AsyncId, echoing the macOS-style FileId.
TEST_F(SmbConsumerTest, AsyncFinalIoctlResponseEchoingOtherFileIdJoinsByMessageId) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V request = {0x05, 0x00, 0x00, 0x03, 1, 2, 3};
    const V response = {0x05, 0x00, 0x02, 0x03, 9, 8, 7, 6};
    toServer(ioctlReq(9, kSid, kTid, kFid, request));
    V interim = smb2Header({.command = smb2::kIoctl, .status = kStatusPending,
                            .flags = R | smb2::kFlagAsync, .message_id = 9, .session_id = kSid,
                            .async_id = 0x99});
    put16(interim, 9); interim.resize(interim.size() + 7, 0);  // ERROR body, StructureSize 9
    fromServer(interim);
    EXPECT_TRUE(pipe->from_server.empty());
    fromServer(ioctlResp(9, kSid, kTid, smb2::FileId{0, kFid.volatile_}, response,
                         R | smb2::kFlagAsync, 0x99));
    EXPECT_EQ(pipe->from_server, response);
    EXPECT_EQ(c.openPipeCount(), 1u);
    EXPECT_EQ(c.pendingCount(), 0u);
}

// Two transceives in flight on two pipes, answered in reverse order in one compound response
// whose elements echo a zero FileId: each reply goes to its request's pipe by MessageId.
TEST_F(SmbConsumerTest, CompoundResponseOutOfOrderJoinsEachElementByMessageId) {
    logonAndOpenPipe();
    const smb2::FileId fid2{0x33, 0x44};
    toServer(createReq(10, kSid, kTid, "lsarpc"));
    fromServer(createResp(10, kSid, kTid, fid2));
    ASSERT_EQ(opener.opened.size(), 2u);
    const V req_a = {0x05, 0x00, 0x00, 0x03, 'a'};
    const V req_b = {0x05, 0x00, 0x00, 0x03, 'b'};
    const V resp_a = {0x05, 0x00, 0x02, 0x03, 'A'};
    const V resp_b = {0x05, 0x00, 0x02, 0x03, 'B'};
    toServer(ioctlReq(11, kSid, kTid, kFid, req_a));
    toServer(ioctlReq(12, kSid, kTid, fid2, req_b));
    V rb = ioctlResp(12, kSid, kTid, smb2::FileId{}, resp_b);  // answer to MessageId 12 first
    rb.resize((rb.size() + 7) & ~size_t(7), 0);                 // pad to 8 bytes
    rb[20] = uint8_t(rb.size());                                 // NextCommand
    V ra = ioctlResp(11, kSid, kTid, smb2::FileId{}, resp_a);
    fromServer(cat(rb, ra));
    EXPECT_EQ(opener.opened[0]->from_server, resp_a);
    EXPECT_EQ(opener.opened[1]->from_server, resp_b);
    EXPECT_EQ(c.pendingCount(), 0u);
    EXPECT_EQ(anomalies.get("smb.echoed_file_id_differs"), 2u);
}

// A WRITE whose Length (offset 68) claims more than the NBSS record holds: the bytes present
// reach the pipe, the lie is counted, and the next message on the connection is still parsed.
TEST_F(SmbConsumerTest, WriteLengthBeyondRecordIsClampedCountedAndFramingKept) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V bind = {0x05, 0x00, 0x0b, 0x03, 0x10, 0, 0, 0};
    V w = writeReq(5, kSid, kTid, kFid, bind);
    w[68] = 0x00; w[69] = 0x10;  // Length = 4096, record holds 8 bytes of data
    toServer(w);
    EXPECT_EQ(pipe->to_server, bind);
    EXPECT_EQ(pipe->gaps, 0);
    EXPECT_EQ(anomalies.get("smb.data_beyond_record"), 1u);
    EXPECT_EQ(anomalies.get("smb.bad_body"), 0u);
    const V more = {0x05, 0x00, 0x00, 0x03, 7};
    toServer(writeReq(6, kSid, kTid, kFid, more));
    EXPECT_EQ(pipe->to_server, cat(bind, more));
}

// IOCTL InputCount (offset 92) and, in the response, OutputCount (offset 100) past the record.
TEST_F(SmbConsumerTest, IoctlCountsBeyondRecordAreClampedAndCounted) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V request = {0x05, 0x00, 0x00, 0x03, 1, 2, 3};
    const V response = {0x05, 0x00, 0x02, 0x03, 9, 8, 7, 6};
    V req = ioctlReq(8, kSid, kTid, kFid, request);
    req[92] = 0xFF; req[93] = 0xFF;  // InputCount = 65535
    toServer(req);
    V resp = ioctlResp(8, kSid, kTid, kFid, response);
    resp[96] = 0xF0;                 // OutputOffset = 240: past the 120-byte message
    fromServer(resp);
    EXPECT_EQ(pipe->to_server, request);
    EXPECT_TRUE(pipe->from_server.empty());  // nothing at that offset, nothing invented
    EXPECT_EQ(pipe->gaps, 0);
    EXPECT_EQ(anomalies.get("smb.data_beyond_record"), 2u);
    EXPECT_EQ(c.pendingCount(), 0u);
    toServer(ioctlReq(9, kSid, kTid, kFid, request));
    fromServer(ioctlResp(9, kSid, kTid, kFid, response));
    EXPECT_EQ(pipe->from_server, response);
}

// READ response DataLength (offset 68) past the record: the bytes present are the reply.
TEST_F(SmbConsumerTest, ReadDataLengthBeyondRecordIsClampedAndCounted) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    const V bind_ack = {0x05, 0x00, 0x0c, 0x03, 0x10, 0, 0, 0, 0xAA};
    toServer(readReq(6, kSid, kTid, kFid, 1024));
    fromServer(readResp(6, kSid, kTid, kStatusSuccess, bind_ack, 0x8000));  // DataLength 32768
    EXPECT_EQ(pipe->from_server, bind_ack);
    EXPECT_EQ(pipe->gaps, 0);
    EXPECT_EQ(anomalies.get("smb.data_beyond_record"), 1u);
}

// SMB1 TransactNmPipe (real request, FID 0x400b) whose TotalDataCount and DataCount (word
// offsets 2 and 22) both claim 240 bytes where the message carries 72: the 72-byte bind
// reaches the pipe whole (no gap), the lie is counted.
TEST_F(SmbConsumerTest, Smb1TransactionDataCountBeyondRecordIsClampedAndCounted) {
    V req = hex(kTransactRequest);
    req[32 + 1 + 2] = 0xF0;   // TotalDataCount = 240
    req[32 + 1 + 22] = 0xF0;  // DataCount = 240
    toServer(req);
    ASSERT_EQ(opener.opened.size(), 1u);  // handle opened before the capture: adopted
    FakePipe* pipe = opener.opened[0];
    ASSERT_EQ(pipe->to_server.size(), 72u);
    EXPECT_EQ(pipe->to_server[2], 0x0b);  // DCE/RPC bind
    EXPECT_EQ(pipe->gaps, 0);
    EXPECT_EQ(anomalies.get("smb.data_beyond_record"), 1u);
    EXPECT_EQ(anomalies.get("smb.pipe_truncated"), 0u);
}

// A capture (or the agent) started after the pipe was opened: a transceive on an unknown handle
// can only be a named pipe, so its DCE/RPC traffic is followed without a name, and counted.
TEST_F(SmbConsumerTest, TransceiveOnPipeOpenedBeforeCaptureIsFollowed) {
    const V request = {0x05, 0x00, 0x00, 0x03, 1, 2, 3};
    const V response = {0x05, 0x00, 0x02, 0x03, 9, 8, 7, 6};
    toServer(ioctlReq(8, kSid, kTid, kFid, request));
    ASSERT_EQ(opener.opened.size(), 1u);
    EXPECT_EQ(opener.opened[0]->to_server, request);
    fromServer(ioctlResp(8, kSid, kTid, kFid, response));
    EXPECT_EQ(opener.opened[0]->from_server, response);
    EXPECT_EQ(anomalies.get("smb.pipe_adopted_midstream"), 1u);
}

TEST_F(SmbConsumerTest, CompoundCreateIoctlCloseWithRelatedFileId) {
    fromServer(negotiateResp(0x0302));
    toServer(sessionSetupReq(1, kSid, ntlmAuth("bob", "LAB", "H")));
    fromServer(sessionSetupResp(1, kSid, kStatusSuccess, 0));
    toServer(treeConnectReq(2, kSid, "\\\\srv\\IPC$"));
    fromServer(treeConnectResp(2, kSid, kTid, smb2::kShareTypePipe));

    const smb2::FileId related{~0ull, ~0ull};
    const V in = {0x05, 0x00, 0x0b, 0x03};
    const V out = {0x05, 0x00, 0x0c, 0x03, 0x01};
    V create = createReq(3, kSid, kTid, "lsarpc", 0, 0);
    create.resize((create.size() + 7) & ~size_t(7), 0);        // pad to 8 bytes
    create[20] = uint8_t(create.size());                        // NextCommand
    V ioctl = ioctlReq(4, kSid, kTid, related, in, smb2::kFlagRelated);
    ioctl.resize((ioctl.size() + 7) & ~size_t(7), 0);
    ioctl[20] = uint8_t(ioctl.size());
    V close = closeReq(5, kSid, kTid, related, smb2::kFlagRelated);
    toServer(cat(cat(create, ioctl), close));
    // The input names the related (not yet known) FileId: it is held until CREATE answers.
    EXPECT_EQ(c.pendingCount(), 3u);

    V cresp = createResp(3, kSid, kTid, kFid);
    cresp.resize((cresp.size() + 7) & ~size_t(7), 0);
    cresp[20] = uint8_t(cresp.size());
    V iresp = ioctlResp(4, kSid, kTid, kFid, out, R | smb2::kFlagRelated);
    ASSERT_EQ(opener.opened.size(), 0u);
    // Keep the pipe alive past the compound to inspect it: answer CREATE+IOCTL, then CLOSE.
    fromServer(cat(cresp, iresp));
    ASSERT_EQ(opener.opened.size(), 1u);
    EXPECT_EQ(opener.infos[0].pipe_name, "lsarpc");
    EXPECT_EQ(opener.infos[0].smb.dialect, "3.0.2");
    EXPECT_EQ(opener.opened[0]->to_server, in);
    EXPECT_EQ(opener.opened[0]->from_server, out);
    EXPECT_EQ(c.pendingCount(), 1u);
    fromServer(closeResp(5, kSid, kTid, R | smb2::kFlagRelated));
    EXPECT_EQ(c.openPipeCount(), 0u);
    EXPECT_EQ(anomalies.get("smb.bad_compound"), 0u);
}

// Compound CREATE lsarpc + IOCTL on the related (all-ones) FileId; the server answers CREATE
// and an async STATUS_PENDING interim for the IOCTL; another pipe (srvsvc) is opened before the
// final IOCTL response arrives. The transceive belongs to the CREATE of its own compound, not to
// whichever CREATE completed last.
TEST_F(SmbConsumerTest, RelatedIoctlAnsweredAsyncAfterAnotherCreateStaysOnItsPipe) {
    fromServer(negotiateResp(0x0311));
    toServer(treeConnectReq(2, kSid, "\\\\srv\\IPC$"));
    fromServer(treeConnectResp(2, kSid, kTid, smb2::kShareTypePipe));
    const smb2::FileId related{~0ull, ~0ull};
    const smb2::FileId fid2{0x33, 0x44};
    const V in = {0x05, 0x00, 0x00, 0x03, 'L'};
    const V out = {0x05, 0x00, 0x02, 0x03, 'L'};
    V create = createReq(3, kSid, kTid, "lsarpc", 0, 0);
    create.resize((create.size() + 7) & ~size_t(7), 0);        // pad to 8 bytes
    create[20] = uint8_t(create.size());                        // NextCommand
    toServer(cat(create, ioctlReq(4, kSid, kTid, related, in, smb2::kFlagRelated)));

    V cresp = createResp(3, kSid, kTid, kFid);
    cresp.resize((cresp.size() + 7) & ~size_t(7), 0);
    cresp[20] = uint8_t(cresp.size());
    V interim = smb2Header({.command = smb2::kIoctl, .status = kStatusPending,
                            .flags = R | smb2::kFlagAsync | smb2::kFlagRelated, .message_id = 4,
                            .session_id = kSid, .async_id = 0x55});
    put16(interim, 9); interim.resize(interim.size() + 7, 0);  // ERROR body
    fromServer(cat(cresp, interim));
    ASSERT_EQ(opener.opened.size(), 1u);

    toServer(createReq(5, kSid, kTid, "srvsvc"));                // a second pipe opens meanwhile
    fromServer(createResp(5, kSid, kTid, fid2));
    ASSERT_EQ(opener.opened.size(), 2u);

    fromServer(ioctlResp(4, kSid, kTid, smb2::FileId{0, kFid.volatile_}, out, R | smb2::kFlagAsync, 0x55));
    EXPECT_EQ(opener.infos[0].pipe_name, "lsarpc");
    EXPECT_EQ(opener.opened[0]->to_server, in);
    EXPECT_EQ(opener.opened[0]->from_server, out);
    EXPECT_TRUE(opener.opened[1]->to_server.empty());
    EXPECT_TRUE(opener.opened[1]->from_server.empty());
    EXPECT_EQ(c.pendingCount(), 0u);
}

TEST_F(SmbConsumerTest, CompoundWithBackwardsNextCommandIsCounted) {
    V a = smb2Header({.command = smb2::kEcho, .next_command = 16, .message_id = 1});
    put16(a, 4); put16(a, 0);
    toServer(cat(a, a));
    EXPECT_EQ(anomalies.get("smb.bad_compound"), 1u);
    // The stream stays framed: a following message is still parsed.
    fromServer(negotiateResp(0x0210));
    EXPECT_EQ(c.dialect(), "2.1");
}

TEST_F(SmbConsumerTest, LogonFailureReportsStatus) {
    fromServer(negotiateResp(0x0300));
    toServer(sessionSetupReq(1, kSid, ntlmAuth("mallory", "CORP", "KALI")));
    fromServer(errorResp(smb2::kSessionSetup, 1, kSid, 0, 0xC000006D));
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["status"], "STATUS_LOGON_FAILURE");
    EXPECT_EQ(s[0]["smb"]["user"], "mallory");
    EXPECT_EQ(s[0]["smb"]["dialect"], "3.0");
}

TEST_F(SmbConsumerTest, AnonymousNullSessionAndFailedPipeOpen) {
    fromServer(negotiateResp(0x0210));
    toServer(sessionSetupReq(1, kSid, ntlmAuth("", "", "")));
    fromServer(sessionSetupResp(1, kSid, kStatusSuccess, smb2::kSessionFlagIsNull));
    toServer(treeConnectReq(2, kSid, "\\\\srv\\IPC$"));
    fromServer(treeConnectResp(2, kSid, kTid, smb2::kShareTypePipe));
    toServer(createReq(3, kSid, kTid, "atsvc"));
    fromServer(errorResp(smb2::kCreate, 3, kSid, kTid, 0xC0000022));
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["auth"], "anonymous");
    EXPECT_FALSE(s[0]["smb"].contains("user"));  // unknown keys are omitted
    auto p = sink.ofType("smb_pipe");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0]["smb"]["pipe"], "atsvc");
    EXPECT_EQ(p[0]["smb"]["status"], "STATUS_ACCESS_DENIED");
    EXPECT_TRUE(opener.opened.empty());
}

TEST_F(SmbConsumerTest, EncryptedSessionFromSetupFlagsThenTransformCounted) {
    logonAndOpenPipe(smb2::kSessionFlagEncryptData);
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["encrypted"], true);
    V t = {0xFD, 'S', 'M', 'B'};
    t.resize(36, 0x33);          // Signature, Nonce
    put32(t, 100); put16(t, 0); put16(t, 1);  // OriginalMessageSize, Reserved, Flags
    put64(t, kSid);              // SessionId
    t.resize(t.size() + 100, 0xEE);  // ciphertext
    toServer(t);
    fromServer(t);
    EXPECT_EQ(sink.ofType("smb_session").size(), 1u);  // already reported as encrypted
    EXPECT_EQ(anomalies.get("smb.encrypted_messages"), 2u);
    EXPECT_EQ(anomalies.get("smb.encrypted_bytes"), 2u * 152u);
    EXPECT_EQ(c.stats().encrypted_messages, 2u);
}

TEST_F(SmbConsumerTest, TransformOnUnencryptedSessionEmitsOnce) {
    logonAndOpenPipe();
    V t = {0xFD, 'S', 'M', 'B'};
    t.resize(36, 0);
    put32(t, 64); put16(t, 0); put16(t, 1);
    put64(t, kSid);
    t.resize(t.size() + 64, 0xEE);
    toServer(t);
    toServer(t);
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[1]["smb"]["encrypted"], true);
    EXPECT_EQ(s[1]["smb"]["user"], "alice");
    EXPECT_FALSE(s[1]["smb"].contains("status"));
    EXPECT_EQ(anomalies.get("smb.encrypted_messages"), 2u);
}

TEST_F(SmbConsumerTest, CompressedMessageCountedAndSkipped) {
    V z = {0xFC, 'S', 'M', 'B', 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    toServer(z);
    EXPECT_EQ(anomalies.get("smb.compressed_messages"), 1u);
    fromServer(negotiateResp(0x0311));
    EXPECT_EQ(c.dialect(), "3.1.1");
}

TEST_F(SmbConsumerTest, BadNbssLengthResyncsToNextFrame) {
    V junk = {0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x02};  // NBSS length 16 MiB - 1 > max
    V good = nbss(negotiateResp(0x0300));
    V all = cat(junk, good);
    EXPECT_EQ(c.onData(Direction::FromServer, all, t), all.size());
    EXPECT_EQ(anomalies.get("smb.bad_nbss"), 1u);
    EXPECT_EQ(c.dialect(), "3.0");
}

TEST_F(SmbConsumerTest, TruncatedSmb2HeaderCounted) {
    V shortmsg = {0xFE, 'S', 'M', 'B', 0x40, 0x00, 0x01, 0x00};  // 8 of the 64 header bytes
    toServer(shortmsg);
    EXPECT_EQ(anomalies.get("smb.truncated"), 1u);
    EXPECT_EQ(anomalies.get("smb.bad_header"), 0u);
    V bad = smb2Header({.command = smb2::kEcho});
    bad[4] = 0x20;  // header StructureSize 32: not SMB2
    toServer(bad);
    EXPECT_EQ(anomalies.get("smb.bad_header"), 1u);
}

TEST_F(SmbConsumerTest, BadStructureSizeCounted) {
    V r = negotiateResp(0x0311);
    r[64] = 64;  // NEGOTIATE response StructureSize must be 65
    fromServer(r);
    EXPECT_EQ(anomalies.get("smb.bad_structure_size"), 1u);
    EXPECT_EQ(c.dialect(), "");
}

TEST_F(SmbConsumerTest, GapDesyncsFramingAndNotifiesPipes) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    V w = nbss(writeReq(5, kSid, kTid, kFid, V(40, 0x42)));
    // Half a message arrives, then bytes are lost.
    EXPECT_EQ(c.onData(Direction::ToServer, Bytes(w.data(), 30), t), 0u);
    c.onGap(Direction::ToServer, 500);
    EXPECT_EQ(pipe->gaps, 1);
    EXPECT_EQ(anomalies.get("smb.gap"), 1u);
    // After the gap the stream resumes mid-message; the consumer skips to the next frame.
    V tail(w.begin() + 50, w.end());
    V next = nbss(writeReq(6, kSid, kTid, kFid, {0x05, 0x00}));
    V data = cat(tail, next);
    EXPECT_EQ(c.onData(Direction::ToServer, data, t), data.size());
    EXPECT_EQ(pipe->to_server, (V{0x05, 0x00}));
}

TEST_F(SmbConsumerTest, GapInsideKnownFrameKeepsFraming) {
    logonAndOpenPipe();
    FakePipe* pipe = opener.opened.at(0);
    // The lost bytes of this WRITE's payload happen to contain something that looks like a
    // frame boundary; skipping by the known length must not be fooled by it.
    V fake = nbss(negotiateResp(0x0202));
    V payload = cat(V(10, 0x42), fake);
    V w = nbss(writeReq(5, kSid, kTid, kFid, payload));
    EXPECT_EQ(c.onData(Direction::ToServer, Bytes(w.data(), 100), t), 0u);  // frame incomplete
    c.onGap(Direction::ToServer, 40);  // bytes 0..39 of the frame (from the unconsumed start) lost
    EXPECT_EQ(pipe->gaps, 1);
    V after(w.begin() + 40, w.end());  // the stream resumes right after the hole
    V next = nbss(writeReq(6, kSid, kTid, kFid, {0x05, 0x00, 0x0b}));
    V data = cat(after, next);
    EXPECT_EQ(c.onData(Direction::ToServer, data, ++t), data.size());
    EXPECT_EQ(pipe->to_server, (V{0x05, 0x00, 0x0b}));
    EXPECT_EQ(anomalies.get("smb.bad_nbss"), 0u);
    EXPECT_EQ(anomalies.get("smb.bad_header"), 0u);
    EXPECT_EQ(c.dialect(), "3.1.1");  // the fake NEGOTIATE inside the payload was not parsed
}

TEST_F(SmbConsumerTest, LargeFileReadIsCountedNotBuffered) {
    fromServer(negotiateResp(0x0311));
    toServer(treeConnectReq(2, kSid, "\\\\srv\\data"));
    fromServer(treeConnectResp(2, kSid, 9, smb2::kShareTypeDisk));
    toServer(createReq(3, kSid, 9, "big.iso"));
    fromServer(createResp(3, kSid, 9, smb2::FileId{7, 7}));
    toServer(readReq(4, kSid, 9, smb2::FileId{7, 7}, 1 << 20));
    // 1 MiB READ response delivered in 64 KiB segments: the consumer parses the first 4 KiB and
    // then skips, so the stream layer never holds more than one segment.
    const uint32_t n = 1 << 20;
    V hdr = readResp(4, kSid, 9, kStatusSuccess, {}, n);
    V frame = {0x00, uint8_t((hdr.size() + n) >> 16), uint8_t((hdr.size() + n) >> 8), uint8_t(hdr.size() + n)};
    frame = cat(frame, hdr);
    frame.resize(frame.size() + n, 0xAB);
    StreamDriver drv(c);
    for (size_t off = 0; off < frame.size(); off += 65536) {
        size_t end = std::min(frame.size(), off + 65536);
        drv.push(Direction::FromServer, V(frame.begin() + off, frame.begin() + end), ++t);
        EXPECT_LE(drv.pending(Direction::FromServer), 65536u);
    }
    EXPECT_EQ(drv.pending(Direction::FromServer), 0u);
    EXPECT_EQ(c.stats().file_bytes_read, n);
    EXPECT_TRUE(opener.opened.empty());
    // Framing intact afterwards.
    fromServer(negotiateResp(0x0300));
    EXPECT_EQ(c.dialect(), "3.0");
}

TEST_F(SmbConsumerTest, TooManyOpenPipesEvicts) {
    logonAndOpenPipe();
    for (uint64_t i = 0; i < kMaxOpenPipes; i++) {
        toServer(createReq(100 + i, kSid, kTid, "samr"));
        fromServer(createResp(100 + i, kSid, kTid, smb2::FileId{1000 + i, i}));
    }
    EXPECT_EQ(c.openPipeCount(), kMaxOpenPipes);
    EXPECT_EQ(anomalies.get("smb.too_many_files"), 1u);
    EXPECT_EQ(opener.opened.size(), kMaxOpenPipes + 1);  // the first (srvsvc) was evicted
}

TEST_F(SmbConsumerTest, TickExpiresPendingAndReportsUnansweredLogon) {
    toServer(sessionSetupReq(1, kSid, ntlmAuth("dave", "D", "H")));
    toServer(readReq(2, kSid, kTid, kFid, 10));
    EXPECT_EQ(c.pendingCount(), 2u);
    c.onTick(t + kPendingTimeout / 2);
    EXPECT_EQ(c.pendingCount(), 2u);
    c.onTick(t + kPendingTimeout + 1);
    EXPECT_EQ(c.pendingCount(), 0u);
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["user"], "dave");
    EXPECT_FALSE(s[0]["smb"].contains("status"));
}

TEST_F(SmbConsumerTest, OnCloseReportsLogonWithoutResponse) {
    fromServer(negotiateResp(0x0210));
    toServer(sessionSetupReq(1, kSid, ntlmAuth("carol", "D", "H")));
    c.onClose(t + 1);
    auto s = sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["user"], "carol");
    EXPECT_FALSE(s[0]["smb"].contains("status"));
}

// --- Replays of real connections (testdata/*.stream.txt, made by testdata/extract.sh).

struct Replay {
    RecordingSink sink;
    CountingAnomalies anomalies;
    FakePipeOpener opener;
    SmbConsumer c;
    explicit Replay(const char* name, bool nb139 = false)
        : c(testFlow(nb139 ? 139 : 445), sink, anomalies, &opener, nb139) {
        TimeNs last = 0;
        EXPECT_TRUE(replay(std::string(SMB_TESTDATA_DIR) + "/" + name, c, &last)) << name;
        c.onClose(last);
    }
};

TEST(SmbReplay, Smb1NtCreateAndTransactNmPipeMidstream) {
    // zeek dssetup_DsRoleGetPrimaryDomainInformation: capture starts after the tree connect;
    // NT_CREATE_ANDX "\lsarpc" → FID 0x400b (ResourceType = message-mode pipe), then
    // TransactNmPipe bind (72 bytes) / bind_ack (68 bytes) and a DsRoleGetPrimaryDomainInformation
    // request/response, as Zeek's dce_rpc.log shows.
    Replay r("smb1-dssetup-midstream.stream.txt");
    ASSERT_EQ(r.opener.infos.size(), 1u);
    EXPECT_EQ(r.opener.infos[0].pipe_name, "lsarpc");
    auto pipes = r.sink.ofType("smb_pipe");
    ASSERT_EQ(pipes.size(), 1u);
    EXPECT_EQ(pipes[0]["smb"]["pipe"], "lsarpc");
    EXPECT_EQ(pipes[0]["smb"]["status"], "STATUS_SUCCESS");
    // tshark: DCE/RPC fragments of 72 + 26 bytes to the server, 68 + 104 back.
    EXPECT_EQ(r.c.stats().pipe_bytes_to_server, 72u + 26u);
    EXPECT_EQ(r.c.stats().pipe_bytes_from_server, 68u + 104u);
    EXPECT_EQ(r.anomalies.counts.size(), 0u);
}

TEST(SmbReplay, Smb2AtSchedulePipe) {
    // suricata-verify smb2-04: midstream after logon (session and tree unknown). Suricata logs
    // CREATE "atsvc" with zero times and size; that response shape marks it as a pipe, and the
    // DCE/RPC bind to 1ff70682-0a51-30e8-076d-740be8cee98b (atsvc) reaches the pipe.
    Replay r("smb2-04-at_schedule.stream.txt");
    ASSERT_EQ(r.opener.infos.size(), 1u);
    EXPECT_EQ(r.opener.infos[0].pipe_name, "atsvc");
    EXPECT_TRUE(r.opener.infos[0].smb.user.empty());  // logon not captured
    auto pipes = r.sink.ofType("smb_pipe");
    ASSERT_EQ(pipes.size(), 1u);
    EXPECT_EQ(pipes[0]["smb"]["pipe"], "atsvc");
    EXPECT_EQ(pipes[0]["smb"]["status"], "STATUS_SUCCESS");
    EXPECT_EQ(r.c.stats().file_bytes_written, 0u);
    EXPECT_GT(r.c.stats().pipe_bytes_to_server, 0u);
    EXPECT_GT(r.c.stats().pipe_bytes_from_server, 0u);
    EXPECT_EQ(r.anomalies.get("smb.bad_nbss"), 0u);
    EXPECT_EQ(r.anomalies.get("smb.bad_header"), 0u);
    EXPECT_EQ(r.anomalies.get("smb.bad_body"), 0u);
}

TEST(SmbReplay, Smb3EncryptedShare) {
    // zeek smb3.pcap: NTLM logon administrator / SUSE, dialect 3.0, then an encrypted share:
    // zeek prints 27 transform headers, all for session 79167320227901.
    Replay r("smb3-encrypted.stream.txt");
    auto s = r.sink.ofType("smb_session");
    ASSERT_GE(s.size(), 2u);
    EXPECT_EQ(s[0]["smb"]["user"], "administrator");
    EXPECT_EQ(s[0]["smb"]["domain"], "SUSE");
    EXPECT_EQ(s[0]["smb"]["dialect"], "3.0");
    EXPECT_EQ(s[0]["smb"]["status"], "STATUS_SUCCESS");
    EXPECT_EQ(s[0]["smb"]["session_id"], 79167320227901ull);
    EXPECT_EQ(s.back()["smb"]["encrypted"], true);
    EXPECT_EQ(s.back()["smb"]["session_id"], 79167320227901ull);
    EXPECT_EQ(r.anomalies.get("smb.encrypted_messages"), r.c.stats().encrypted_messages);
    EXPECT_GE(r.c.stats().encrypted_messages, 27u);
}

TEST(SmbReplay, Smb1NamedPipeAscii) {
    // suricata-verify smb-named-pipe-ascii: SMB1 NTLMSSP, tshark: WORKGROUP\Administrateur @ HOST.
    Replay r("smb1-named-pipe-ascii.stream.txt");
    auto s = r.sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["user"], "Administrateur");
    EXPECT_EQ(s[0]["smb"]["domain"], "WORKGROUP");
    EXPECT_EQ(s[0]["smb"]["host"], "HOST");
    EXPECT_EQ(s[0]["smb"]["dialect"], "NT LM 0.12");
    EXPECT_EQ(s[0]["smb"]["status"], "STATUS_SUCCESS");
}

TEST(SmbReplay, Smb2IoctlLsarpc) {
    // zeek smb2-zero-byte-error-ioctl: justin / 65A2D0F0A866 / JUSTIN-AZOFF, LSARPC and SRVSVC
    // over FSCTL_PIPE_TRANSCEIVE (some answered with zero-byte errors).
    Replay r("smb2-ioctl-lsarpc.stream.txt");
    auto s = r.sink.ofType("smb_session");
    ASSERT_GE(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["user"], "justin");
    EXPECT_EQ(s[0]["smb"]["domain"], "65A2D0F0A866");
    EXPECT_EQ(s[0]["smb"]["host"], "JUSTIN-AZOFF");
    ASSERT_GE(r.opener.infos.size(), 1u);
    std::vector<std::string> names;
    for (auto& i : r.opener.infos) names.push_back(i.pipe_name);
    EXPECT_NE(std::find(names.begin(), names.end(), "lsarpc"), names.end());
    EXPECT_GT(r.c.stats().pipe_bytes_to_server, 0u);
    EXPECT_GT(r.c.stats().pipe_bytes_from_server, 0u);
}

TEST(SmbReplay, Smb2KerberosSvcctl) {
    // suricata-verify dcerpc-smb-test-01 (first 45 segments): Kerberos AP-REQ for
    // cifs/dc1.contoso.local in CONTOSO.LOCAL, then \\dc1\IPC$ and the svcctl pipe.
    Replay r("smb2-kerberos.stream.txt");
    auto s = r.sink.ofType("smb_session");
    ASSERT_GE(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["auth"], "kerberos");
    EXPECT_EQ(s[0]["smb"]["kerberos"]["realm"], "CONTOSO.LOCAL");
    EXPECT_EQ(s[0]["smb"]["kerberos"]["sname"], "cifs/dc1.contoso.local");
    EXPECT_EQ(s[0]["smb"]["status"], "STATUS_SUCCESS");
    ASSERT_GE(r.opener.infos.size(), 1u);
    EXPECT_EQ(r.opener.infos[0].pipe_name, "svcctl");
    EXPECT_EQ(r.opener.infos[0].smb.share, "IPC$");
    EXPECT_GT(r.c.stats().pipe_bytes_to_server, 0u);
}

TEST(SmbReplay, Smb1RawNtlm) {
    // zeek raw_ntlm_in_smb: SMB1 with raw NTLMSSP (no SPNEGO); tshark: test / TEST-F7DFBC3FE9 /
    // BABYBOOK; LSARPC and SRVSVC pipes.
    Replay r("smb1-raw-ntlm.stream.txt");
    auto s = r.sink.ofType("smb_session");
    ASSERT_GE(s.size(), 1u);
    bool found = false;
    for (auto& x : s)
        if (x["smb"].value("user", "") == "test") {
            found = true;
            EXPECT_EQ(x["smb"]["domain"], "TEST-F7DFBC3FE9");
            EXPECT_EQ(x["smb"]["host"], "BABYBOOK");
        }
    EXPECT_TRUE(found);
    EXPECT_GE(r.opener.infos.size(), 1u);
}

TEST(SmbReplay, NetBios139AnonymousSmb1) {
    // arkime wireshark-smb-on-windows10 stream 1: TCP 139 session request, SMB1 NTLMSSP with an
    // empty user (anonymous) from DESKTOP-V1FA0UQ, \\SCV\IPC$ LANMAN (not a TransactNmPipe).
    Replay r("nbss139-win10.stream.txt", true);
    auto s = r.sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["auth"], "anonymous");
    EXPECT_EQ(s[0]["smb"]["host"], "DESKTOP-V1FA0UQ");
    EXPECT_EQ(s[0]["dest_port"], 139);
    EXPECT_EQ(r.anomalies.get("smb.bad_nbss"), 0u);
}

// --- Corpus captures extracted at test time (skipped without tshark or /work/shared/corpus).

std::string extractCorpus(const char* capture, int stream, int port) {
    const std::string cap = std::string("/work/shared/corpus/") + capture;
    if (access(cap.c_str(), R_OK) != 0 || system("command -v tshark >/dev/null 2>&1") != 0) return {};
    char tmpl[] = "/tmp/smb_corpus_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) return {};
    close(fd);
    std::string cmd = std::string("sh ") + SMB_TESTDATA_DIR + "/extract.sh '" + cap + "' " +
                      std::to_string(stream) + " " + std::to_string(port) + " > " + tmpl + " 2>/dev/null";
    if (system(cmd.c_str()) != 0) return {};
    return tmpl;
}

struct CorpusReplay {
    RecordingSink sink;
    CountingAnomalies anomalies;
    FakePipeOpener opener;
    SmbConsumer c;
    bool ok = false;
    CorpusReplay(const char* capture, int stream, int port)
        : c(testFlow(uint16_t(port)), sink, anomalies, &opener, port == 139) {
        std::string path = extractCorpus(capture, stream, port);
        if (path.empty()) return;
        TimeNs last = 0;
        ok = replay(path, c, &last);
        c.onClose(last);
        unlink(path.c_str());
    }
};

TEST(SmbCorpus, ZeekSmb2FileUploadCountedNotCopied) {
    // zeek smb2.pcap: Administrator / CONTOSO / SERVER01 (tshark), SMB 2.0.2, srvsvc pipe on
    // \\10.0.0.12\IPC$, and WP_SMBPlugin.pdf written to \\10.0.0.12\smb2: Zeek's files.log says
    // seen_bytes 1508939 — the consumer counts exactly that, in 64 KiB WRITEs it never buffers.
    CorpusReplay r("zeek/smb2.pcap", 0, 445);
    if (!r.ok) GTEST_SKIP() << "corpus or tshark not available";
    auto s = r.sink.ofType("smb_session");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0]["smb"]["user"], "Administrator");
    EXPECT_EQ(s[0]["smb"]["domain"], "CONTOSO");
    EXPECT_EQ(s[0]["smb"]["host"], "SERVER01");
    EXPECT_EQ(s[0]["smb"]["dialect"], "2.0.2");
    ASSERT_EQ(r.opener.infos.size(), 1u);
    EXPECT_EQ(r.opener.infos[0].pipe_name, "srvsvc");
    EXPECT_EQ(r.c.stats().file_bytes_written, 1508939u);
    EXPECT_EQ(r.anomalies.counts.size(), 0u);
}

TEST(SmbCorpus, ZeekSmb2MultiplePdusInOneSegment) {
    // zeek smb2-multiple-pdus: CREATE + SET_INFO(delete) + CLOSE compounded (related flags as in
    // Zeek's output) and answered in one segment; nothing malformed.
    CorpusReplay r("zeek/smb2-multiple-pdus.pcap", 0, 445);
    if (!r.ok) GTEST_SKIP() << "corpus or tshark not available";
    EXPECT_EQ(r.c.stats().messages, 2u);
    EXPECT_EQ(r.anomalies.counts.size(), 0u);
    EXPECT_EQ(r.c.pendingCount(), 0u);
}

TEST(SmbCorpus, MalformedAndFuzzedCapturesAreSurvived) {
    struct Case { const char* cap; int port; };
    const Case cases[] = {
        {"tcpdump/smb_data_print-oobr.pcapng", 445}, {"tcpdump/smb_data_print-segv.pcap", 445},
        {"zeek/smb1-OSS-fuzz-54883.pcap", 139}, {"zeek/fragment-state-exhaustion.pcap", 445},
        {"zeek/SMBGhost.pcap", 445}, {"suricata-verify/smb3-02-midstream.pcap", 445},
    };
    int ran = 0;
    for (const auto& k : cases) {
        CorpusReplay r(k.cap, 0, k.port);
        if (!r.ok) continue;
        ran++;
        EXPECT_LE(r.c.pendingCount(), kMaxPending) << k.cap;
        EXPECT_EQ(r.c.openPipeCount(), 0u) << k.cap;  // onClose released everything
    }
    if (ran == 0) GTEST_SKIP() << "corpus or tshark not available";
}

// --- Deterministic mutation of the committed fixtures: flipped bytes must never crash (run
// under -fsanitize=address,undefined) and state stays within its bounds.
TEST(SmbRobustness, MutatedFixturesDoNotCrash) {
    const char* files[] = {"smb2-04-at_schedule.stream.txt", "smb3-encrypted.stream.txt",
                           "smb1-named-pipe-ascii.stream.txt", "smb2-ioctl-lsarpc.stream.txt",
                           "smb2-kerberos.stream.txt", "smb1-raw-ntlm.stream.txt",
                           "nbss139-win10.stream.txt", "smb1-dssetup-midstream.stream.txt"};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    auto next = [&] { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; };
    for (const char* f : files) {
        std::ifstream in(std::string(SMB_TESTDATA_DIR) + "/" + f);
        ASSERT_TRUE(in) << f;
        std::vector<std::pair<Direction, V>> segs;
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string d, h;
            TimeNs ts;
            ls >> d >> ts >> h;
            segs.push_back({d == "C" ? Direction::ToServer : Direction::FromServer, hex(h)});
        }
        for (int round = 0; round < 40; round++) {
            RecordingSink sink;
            CountingAnomalies an;
            FakePipeOpener op;
            SmbConsumer c(testFlow(), sink, an, &op, round % 5 == 0);
            StreamDriver drv(c);
            TimeNs ts = 1;
            for (auto seg : segs) {
                for (int k = 0; k < 3 && !seg.second.empty(); k++) {
                    size_t pos = next() % seg.second.size();
                    seg.second[pos] ^= uint8_t(1u << (next() % 8));
                    if (next() % 4 == 0) seg.second[pos] = uint8_t(next() % 2 ? 0xFF : 0x00);
                }
                if (next() % 50 == 0) c.onGap(seg.first, next() % 3000);
                else drv.push(seg.first, seg.second, ++ts);
            }
            c.onTick(ts + kPendingTimeout + 1);
            EXPECT_EQ(c.pendingCount(), 0u);
            c.onClose(ts);
            EXPECT_LE(c.sessionCount(), kMaxSessions);
            EXPECT_LE(c.treeCount(), kMaxTrees);
        }
    }
}

}  // namespace
}  // namespace rpcmon::smb
