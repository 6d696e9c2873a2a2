// SPDX-License-Identifier: Apache-2.0
// Program bodies: NFSv2/v3/v4, MOUNT, portmap/rpcbind (with learned endpoints), NLM, NSM.
#include "protocols/onc/body.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "protocols/onc/programs.h"
#include "protocols/onc/test_util.h"

namespace rpcmon::onc {
namespace {

using test::Xdr;

using test::callHeader;

const std::vector<uint8_t> kFh3 = {0x01, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00, 0x00};
const Address kServer = test::v4(192, 168, 1, 10);

struct BodyTest : ::testing::Test {
    test::FakeCounter anomalies;
    Json call(uint32_t prog, uint32_t vers, uint32_t proc, const Xdr& args) {
        return toJson(decodeCallBody(callHeader(prog, vers, proc), args.b, true, anomalies).fields);
    }
    ReplyBody reply(uint32_t prog, uint32_t vers, uint32_t proc, const Xdr& res,
                    const CallMemo& memo = {}) {
        return decodeReplyBody(callHeader(prog, vers, proc), memo, res.b, true, kServer, anomalies);
    }
};

// ---- NFSv3 ----

TEST_F(BodyTest, Nfs3LookupName) {
    // LOOKUP3args: diropargs3 { nfs_fh3 dir; filename3 name; }
    const std::vector<uint8_t> args = {
        0x00, 0x00, 0x00, 0x08,                          // fh length 8
        0x01, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00, 0x00,  // fh
        0x00, 0x00, 0x00, 0x05,                          // name length 5
        'h',  'o',  'm',  'e',  's',  0x00, 0x00, 0x00,  // "homes" + 3 pad
    };
    Json f = toJson(decodeCallBody(callHeader(kProgNfs, 3, 3), args, true, anomalies).fields);
    EXPECT_EQ(f, Json::parse(R"({"nfs":{"name":"homes"}})"));
}

TEST_F(BodyTest, Nfs3RenameFromTo) {
    Xdr a;
    a.opaque(kFh3).str("old.txt").opaque(kFh3).str("new.txt");
    EXPECT_EQ(call(kProgNfs, 3, 14, a),
              Json::parse(R"({"nfs":{"name":"old.txt","rename_to":"new.txt"}})"));
}

TEST_F(BodyTest, Nfs3LinkNameIsNewLink) {
    Xdr a;
    a.opaque(kFh3).opaque(kFh3).str("hardlink");
    EXPECT_EQ(call(kProgNfs, 3, 15, a)["nfs"]["name"], "hardlink");
}

TEST_F(BodyTest, Nfs3SymlinkTarget) {
    Xdr a;
    a.opaque(kFh3).str("lnk")
        .u32(1).u32(0777)        // sattr3: mode set
        .u32(0).u32(0).u32(0)    // uid, gid, size not set
        .u32(0).u32(2).u64(5);   // atime DONT_CHANGE, mtime SET_TO_CLIENT_TIME
    a.str("/etc/shadow");
    EXPECT_EQ(call(kProgNfs, 3, 10, a),
              Json::parse(R"({"nfs":{"name":"lnk","symlink_target":"/etc/shadow"}})"));
}

TEST_F(BodyTest, Nfs3ReadOffsetCount) {
    Xdr a;
    a.opaque(kFh3).u64(0x100000000ull).u32(32768);
    EXPECT_EQ(call(kProgNfs, 3, 6, a),
              Json::parse(R"({"nfs":{"offset":4294967296,"count":32768}})"));
}

TEST_F(BodyTest, Nfs3WriteOffsetCountFromPrefix) {
    // WRITE3args whose data was cut off (prefix-only record): offset/count still reported.
    Xdr a;
    a.opaque(kFh3).u64(8192).u32(65536).u32(2).u32(65536).zeros(12);
    Json f = toJson(decodeCallBody(callHeader(kProgNfs, 3, 7), a.b, false, anomalies).fields);
    EXPECT_EQ(f["nfs"]["offset"], 8192);
    EXPECT_EQ(f["nfs"]["count"], 65536);
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs3ReplyStatusNames) {
    Xdr noent;
    noent.u32(2);
    EXPECT_EQ(toJson(reply(kProgNfs, 3, 3, noent).fields), Json::parse(R"({"nfs":{"status":"NFS3ERR_NOENT"}})"));
    Xdr ok;
    ok.u32(0).zeros(100);
    EXPECT_EQ(toJson(reply(kProgNfs, 3, 6, ok).fields)["nfs"]["status"], "NFS3_OK");
    Xdr unknown;
    unknown.u32(12345);
    EXPECT_EQ(toJson(reply(kProgNfs, 3, 1, unknown).fields)["nfs"]["status"], "12345");
}

TEST_F(BodyTest, Nfs3NameTooLongIsNotReported) {
    Xdr a;
    a.opaque(kFh3).u32(0x7fffffff);  // hostile name length
    EXPECT_EQ(call(kProgNfs, 3, 3, a), Json::object());
}

// ---- NFSv2 ----

TEST_F(BodyTest, Nfs2LookupAndStatus) {
    Xdr a;
    a.zeros(32).str("passwd");  // fhandle is fixed 32 bytes in v2
    EXPECT_EQ(call(kProgNfs, 2, 4, a)["nfs"]["name"], "passwd");
    Xdr r;
    r.u32(70);
    EXPECT_EQ(toJson(reply(kProgNfs, 2, 4, r).fields)["nfs"]["status"], "NFSERR_STALE");
}

// ---- NFSv4 ----

// COMPOUND4args { tag "", minorversion 0, ops: PUTROOTFH, LOOKUP "a", LOOKUP "b", GETFH }
const std::vector<uint8_t> kCompoundLookup = {
    0x00, 0x00, 0x00, 0x00,  // tag length 0
    0x00, 0x00, 0x00, 0x00,  // minorversion 0
    0x00, 0x00, 0x00, 0x04,  // 4 operations
    0x00, 0x00, 0x00, 0x18,  // op 24 PUTROOTFH (void)
    0x00, 0x00, 0x00, 0x0f,  // op 15 LOOKUP
    0x00, 0x00, 0x00, 0x01,  //   component length 1
    'a',  0x00, 0x00, 0x00,  //   "a" + pad
    0x00, 0x00, 0x00, 0x0f,  // op 15 LOOKUP
    0x00, 0x00, 0x00, 0x01,  //   component length 1
    'b',  0x00, 0x00, 0x00,  //   "b" + pad
    0x00, 0x00, 0x00, 0x0a,  // op 10 GETFH (void)
};

TEST_F(BodyTest, Nfs4CompoundLookupOpsAndNames) {
    Json f = toJson(decodeCallBody(callHeader(kProgNfs, 4, 1), kCompoundLookup, true, anomalies).fields);
    EXPECT_EQ(f, Json::parse(R"({"nfs":{"tag":"","minor_version":0,
        "ops":["PUTROOTFH","LOOKUP","LOOKUP","GETFH"],"name":"a","names":["a","b"]}})"));
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4CompoundReplyOpStatus) {
    // COMPOUND4res { status NFS4ERR_NOENT, tag "", 3 results: PUTROOTFH OK, LOOKUP OK,
    // LOOKUP NOENT } — the failing op ends the compound.
    Xdr r;
    r.u32(2).str("").u32(3).u32(24).u32(0).u32(15).u32(0).u32(15).u32(2);
    EXPECT_EQ(toJson(reply(kProgNfs, 4, 1, r).fields), Json::parse(R"({"nfs":{"status":"NFS4ERR_NOENT",
        "op_status":["NFS4_OK","NFS4_OK","NFS4ERR_NOENT"]}})"));
}

TEST_F(BodyTest, Nfs4Minor1SequenceOpenCreate) {
    // SEQUENCE, PUTFH, OPEN(create UNCHECKED, CLAIM_NULL "new.c"), GETFH, GETATTR
    Xdr a;
    a.str("open").u32(1).u32(5);
    a.u32(53).zeros(16).u32(1).u32(0).u32(0).u32(1);          // SEQUENCE
    a.u32(22).opaque(kFh3);                                    // PUTFH
    a.u32(18).u32(0).u32(2).u32(0).u64(0x1234).str("open id:1")  // OPEN seqid, access, deny, owner
        .u32(1).u32(0)                                          //   OPEN4_CREATE, UNCHECKED4
        .u32(2).u32(0x10).u32(0x2).str(std::string(12, '\0'))   //   fattr4 bitmap + attrlist
        .u32(0).str("new.c");                                   //   CLAIM_NULL "new.c"
    a.u32(10);                                                 // GETFH
    a.u32(9).u32(1).u32(0x2);                                  // GETATTR bitmap
    Json f = call(kProgNfs, 4, 1, a);
    EXPECT_EQ(f["nfs"]["tag"], "open");
    EXPECT_EQ(f["nfs"]["minor_version"], 1);
    EXPECT_EQ(f["nfs"]["ops"], Json::parse(R"(["SEQUENCE","PUTFH","OPEN","GETFH","GETATTR"])"));
    EXPECT_EQ(f["nfs"]["name"], "new.c");
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4RenameAndWriteSkipped) {
    // PUTFH, WRITE 5 bytes (skipped by length), SAVEFH, PUTFH, RENAME "x" -> "y"
    Xdr a;
    a.str("").u32(0).u32(5);
    a.u32(22).opaque(kFh3);
    a.u32(38).zeros(16).u64(4096).u32(2).opaque({'h', 'e', 'l', 'l', 'o'});
    a.u32(32);
    a.u32(22).opaque(kFh3);
    a.u32(29).str("x").str("y");
    Json f = call(kProgNfs, 4, 1, a);
    EXPECT_EQ(f["nfs"]["ops"], Json::parse(R"(["PUTFH","WRITE","SAVEFH","PUTFH","RENAME"])"));
    EXPECT_EQ(f["nfs"]["names"], Json::parse(R"(["x","y"])"));
    EXPECT_EQ(f["nfs"]["name"], "x");
    EXPECT_EQ(f["nfs"]["rename_to"], "y");
    EXPECT_EQ(f["nfs"]["offset"], 4096);
    EXPECT_EQ(f["nfs"]["count"], 5);
}

TEST_F(BodyTest, Nfs4ExchangeIdClientId) {
    Xdr a;
    a.str("").u32(1).u32(1);
    a.u32(42).zeros(8).str("Linux NFSv4.1 client7")  // client_owner4
        .u32(1)                                       // flags
        .u32(0)                                       // SP4_NONE
        .u32(1).str("kernel.org").str("Linux 6.1").u64(0).u32(0);  // impl id
    Json f = call(kProgNfs, 4, 1, a);
    EXPECT_EQ(f["nfs"]["client_id"], "Linux NFSv4.1 client7");
    EXPECT_EQ(f["nfs"]["ops"], Json::parse(R"(["EXCHANGE_ID"])"));
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4UnknownOpStopsAndCounts) {
    Xdr a;
    a.str("").u32(0).u32(3).u32(24).u32(9999).u32(15).str("never");
    Json f = call(kProgNfs, 4, 1, a);
    EXPECT_EQ(f["nfs"]["ops"], Json::parse(R"(["PUTROOTFH","9999"])"));
    EXPECT_FALSE(f["nfs"].contains("names"));
    EXPECT_EQ(anomalies.get("onc.nfs4_undecoded_op"), 1u);
}

TEST_F(BodyTest, Nfs4ReplySkipsCommonResults) {
    // SEQUENCE OK (36 bytes), PUTFH OK, GETATTR OK (fattr4), GETFH OK (fh), ACCESS OK
    Xdr r;
    r.u32(0).str("").u32(5);
    r.u32(53).u32(0).zeros(36);
    r.u32(22).u32(0);
    r.u32(9).u32(0).u32(1).u32(0x10).opaque({0, 0, 0, 0, 0, 0, 0, 7});
    r.u32(10).u32(0).opaque(kFh3);
    r.u32(3).u32(13).u32(0).u32(0);
    EXPECT_EQ(toJson(reply(kProgNfs, 4, 1, r).fields)["nfs"]["op_status"],
              Json::parse(R"(["NFS4_OK","NFS4_OK","NFS4_OK","NFS4_OK","NFS4ERR_ACCESS"])"));
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4ReplyStopsAtUnwalkableResult) {
    Xdr r;
    r.u32(0).str("").u32(3).u32(68).u32(0).zeros(40).u32(10).u32(0).u32(24).u32(0);
    ReplyBody b = reply(kProgNfs, 4, 1, r);
    EXPECT_EQ(toJson(b.fields)["nfs"]["status"], "NFS4_OK");
    EXPECT_EQ(toJson(b.fields)["nfs"]["op_status"], Json::parse(R"(["NFS4_OK"])"));
    EXPECT_EQ(anomalies.get("onc.nfs4_undecoded_result"), 1u);
}

TEST_F(BodyTest, Nfs4TruncatedArgsCountedOnlyInCompleteRecords) {
    Xdr a;
    a.str("").u32(0).u32(2).u32(22).u32(64).zeros(10);  // PUTFH claims 64 bytes, has 10
    Json prefix = toJson(decodeCallBody(callHeader(kProgNfs, 4, 1), a.b, false, anomalies).fields);
    EXPECT_EQ(prefix["nfs"]["ops"], Json::parse(R"(["PUTFH"])"));
    EXPECT_TRUE(anomalies.counts.empty());
    decodeCallBody(callHeader(kProgNfs, 4, 1), a.b, true, anomalies);
    EXPECT_EQ(anomalies.get("onc.bad_args"), 1u);
    EXPECT_EQ(anomalies.get("onc.nfs4_undecoded_op"), 0u);
}

TEST_F(BodyTest, Nfs4SetclientidV40) {
    Xdr a;
    a.str("setclid").u32(0).u32(2);
    a.u32(35).zeros(8).opaque({0x00, 0x01, 0xfe})  // binary client id -> hex
        .u32(0x40000000).str("tcp").str("10.0.0.1.3.232").u32(1);
    a.u32(36).u64(7).zeros(8);
    Json f = call(kProgNfs, 4, 1, a);
    EXPECT_EQ(f["nfs"]["client_id"], "0001fe");
    EXPECT_EQ(f["nfs"]["ops"], Json::parse(R"(["SETCLIENTID","SETCLIENTID_CONFIRM"])"));
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4ReplyOpenWithReadDelegationThenGetfh) {
    Xdr r;
    r.u32(0).str("").u32(3);
    r.u32(18).u32(0)                              // OPEN OK
        .zeros(16)                                //   stateid
        .u32(1).u64(1).u64(2)                     //   change_info4
        .u32(4)                                   //   rflags
        .u32(1).u32(0x2)                          //   attrset bitmap
        .u32(1).zeros(16).u32(0)                  //   OPEN_DELEGATE_READ: stateid, recall
        .u32(0).u32(0).u32(1).str("OWNER@");      //   nfsace4
    r.u32(10).u32(0).opaque(kFh3);                // GETFH OK
    r.u32(9).u32(10008);                          // GETATTR NFS4ERR_DELAY
    EXPECT_EQ(toJson(reply(kProgNfs, 4, 1, r).fields)["nfs"]["op_status"],
              Json::parse(R"(["NFS4_OK","NFS4_OK","NFS4ERR_DELAY"])"));
    EXPECT_TRUE(anomalies.counts.empty());
}

TEST_F(BodyTest, Nfs4ReplyLockDeniedBodySkipped) {
    Xdr r;
    // Servers stop at the first failure; a result after the denied LOCK is placed here only
    // to prove that the LOCK4denied body was skipped to the right offset.
    r.u32(10010).str("").u32(3);
    r.u32(22).u32(0);                                                 // PUTFH OK
    r.u32(12).u32(10010).u64(0).u64(10).u32(2).u64(9).str("owner");   // LOCK DENIED + LOCK4denied
    r.u32(10).u32(0);                                                 // GETFH OK
    EXPECT_EQ(toJson(reply(kProgNfs, 4, 1, r).fields)["nfs"]["op_status"],
              Json::parse(R"(["NFS4_OK","NFS4ERR_DENIED","NFS4_OK"])"));
    EXPECT_TRUE(anomalies.counts.empty());
}

// ---- MOUNT ----

TEST_F(BodyTest, MountMntPathAndStatus) {
    Xdr a;
    a.str("/export/home");
    EXPECT_EQ(call(kProgMount, 3, 1, a), Json::parse(R"({"mount":{"path":"/export/home"}})"));
    Xdr r;
    r.u32(13);  // MNT3ERR_ACCES
    EXPECT_EQ(toJson(reply(kProgMount, 3, 1, r).fields), Json::parse(R"({"mount":{"status":"MNT3ERR_ACCES"}})"));
}

TEST_F(BodyTest, MountExportList) {
    Xdr r;
    r.u32(1).str("/srv").u32(1).str("10.0.0.0/8").u32(0)  // exportnode, one group
        .u32(1).str("/pub").u32(0)                         // exportnode, no groups
        .u32(0);                                           // end of list
    EXPECT_EQ(toJson(reply(kProgMount, 3, 5, r).fields),
              Json::parse(R"({"mount":{"exports":["/srv","/pub"]}})"));
}

// ---- Portmapper / rpcbind ----

TEST_F(BodyTest, PortmapGetportArgsReplyAndEndpoint) {
    Xdr a;
    a.u32(100005).u32(3).u32(IPPROTO_TCP).u32(0);
    CallBody cb = decodeCallBody(callHeader(kProgPortmap, 2, 3), a.b, true, anomalies);
    EXPECT_EQ(toJson(cb.fields), Json::parse(R"({"portmap":{"program":100005,"program_name":"mountd",
        "version":3,"protocol":"tcp"}})"));
    Xdr r;
    r.u32(20048);
    ReplyBody rb = reply(kProgPortmap, 2, 3, r, cb.memo);
    EXPECT_EQ(toJson(rb.fields)["portmap"]["port"], 20048);
    ASSERT_EQ(rb.endpoints.size(), 1u);
    EXPECT_EQ(rb.endpoints[0].addr, kServer);
    EXPECT_EQ(rb.endpoints[0].port, 20048);
    EXPECT_EQ(rb.endpoints[0].l4proto, IPPROTO_TCP);
    EXPECT_EQ(rb.endpoints[0].app, RPCMON_APP_ONC);
    EXPECT_EQ(rb.endpoints[0].program, 100005u);
    EXPECT_EQ(rb.endpoints[0].name, "mountd");
}

TEST_F(BodyTest, PortmapGetportZeroLearnsNothing) {
    Xdr a;
    a.u32(100021).u32(4).u32(IPPROTO_UDP).u32(0);
    CallBody cb = decodeCallBody(callHeader(kProgPortmap, 2, 3), a.b, true, anomalies);
    Xdr r;
    r.u32(0);  // not registered
    EXPECT_TRUE(reply(kProgPortmap, 2, 3, r, cb.memo).endpoints.empty());
}

TEST_F(BodyTest, RpcbindGetaddrUaddr) {
    Xdr a;
    a.u32(100003).u32(3).str("tcp").str("").str("");
    CallBody cb = decodeCallBody(callHeader(kProgPortmap, 3, 3), a.b, true, anomalies);
    EXPECT_EQ(toJson(cb.fields), Json::parse(R"({"portmap":{"program":100003,"program_name":"nfs",
        "version":3,"netid":"tcp"}})"));
    Xdr r;
    r.str("10.1.2.3.8.1");  // port 8*256+1 = 2049
    ReplyBody rb = reply(kProgPortmap, 3, 3, r, cb.memo);
    EXPECT_EQ(toJson(rb.fields)["portmap"]["uaddr"], "10.1.2.3.8.1");
    EXPECT_EQ(toJson(rb.fields)["portmap"]["port"], 2049);
    ASSERT_EQ(rb.endpoints.size(), 1u);
    EXPECT_EQ(rb.endpoints[0].addr, test::v4(10, 1, 2, 3));
    EXPECT_EQ(rb.endpoints[0].port, 2049);
    EXPECT_EQ(rb.endpoints[0].l4proto, IPPROTO_TCP);
}

TEST_F(BodyTest, RpcbindGetaddrUnspecifiedMeansServer) {
    Xdr a;
    a.u32(100005).u32(3).str("udp6").str("").str("");
    CallBody cb = decodeCallBody(callHeader(kProgPortmap, 4, 3), a.b, true, anomalies);
    Xdr r;
    r.str("::.78.80");  // port 20048
    ReplyBody rb = reply(kProgPortmap, 4, 3, r, cb.memo);
    ASSERT_EQ(rb.endpoints.size(), 1u);
    EXPECT_EQ(rb.endpoints[0].addr, kServer);
    EXPECT_EQ(rb.endpoints[0].port, 20048);
    EXPECT_EQ(rb.endpoints[0].l4proto, IPPROTO_UDP);
}

TEST_F(BodyTest, PortmapDumpV2Entries) {
    Xdr r;
    r.u32(1).u32(100000).u32(2).u32(IPPROTO_TCP).u32(111)
        .u32(1).u32(100021).u32(4).u32(IPPROTO_UDP).u32(40001)
        .u32(0);
    ReplyBody rb = reply(kProgPortmap, 2, 4, r);
    EXPECT_EQ(toJson(rb.fields)["portmap"]["entries"], Json::parse(R"([
        {"program":100000,"program_name":"portmapper","version":2,"protocol":"tcp","port":111},
        {"program":100021,"program_name":"nlockmgr","version":4,"protocol":"udp","port":40001}])"));
    ASSERT_EQ(rb.endpoints.size(), 2u);
    EXPECT_EQ(rb.endpoints[1].port, 40001);
    EXPECT_EQ(rb.endpoints[1].l4proto, IPPROTO_UDP);
    EXPECT_EQ(rb.endpoints[1].addr, kServer);
}

TEST_F(BodyTest, RpcbindDumpV3EntriesLearnTcpUdpOnly) {
    Xdr r;
    r.u32(1).u32(100003).u32(3).str("tcp").str("0.0.0.0.8.1").str("superuser")
        .u32(1).u32(100024).u32(1).str("udp6").str("fe80::1.3.232").str("")
        .u32(1).u32(100000).u32(4).str("local").str("/run/rpcbind.sock").str("superuser")
        .u32(0);
    ReplyBody rb = reply(kProgPortmap, 3, 4, r);
    ASSERT_EQ(toJson(rb.fields)["portmap"]["entries"].size(), 3u);
    EXPECT_EQ(toJson(rb.fields)["portmap"]["entries"][0]["netid"], "tcp");
    EXPECT_EQ(toJson(rb.fields)["portmap"]["entries"][0]["owner"], "superuser");
    ASSERT_EQ(rb.endpoints.size(), 2u);
    EXPECT_EQ(rb.endpoints[0].addr, kServer);  // 0.0.0.0 -> the rpcbind server itself
    EXPECT_EQ(rb.endpoints[0].port, 2049);
    EXPECT_EQ(rb.endpoints[1].port, 1000);
    EXPECT_EQ(formatAddress(rb.endpoints[1].addr), "fe80::1");
    EXPECT_EQ(rb.endpoints[1].program, 100024u);
}

TEST_F(BodyTest, PortmapCallitArgs) {
    Xdr a;
    a.u32(100232).u32(10).u32(1).opaque({1, 2, 3, 4});
    EXPECT_EQ(call(kProgPortmap, 2, 5, a), Json::parse(R"({"portmap":{"program":100232,
        "program_name":"sadmind","version":10,"procedure":1}})"));
}

TEST(OncUaddr, Formats) {
    Address a;
    uint16_t port = 0;
    ASSERT_TRUE(parseUaddr("192.168.0.1.0.111", a, port));
    EXPECT_EQ(a, test::v4(192, 168, 0, 1));
    EXPECT_EQ(port, 111);
    ASSERT_TRUE(parseUaddr("2001:db8::5.8.1", a, port));
    EXPECT_EQ(formatAddress(a), "2001:db8::5");
    EXPECT_EQ(port, 2049);
    EXPECT_FALSE(parseUaddr("192.168.0.1.256.1", a, port));
    EXPECT_FALSE(parseUaddr("1.2.3.4", a, port));   // "1.2" + port 3.4: host "1.2" invalid
    EXPECT_FALSE(parseUaddr("", a, port));
    EXPECT_FALSE(parseUaddr("nonsense.1.1", a, port));
}

// ---- NLM / NSM ----

TEST_F(BodyTest, Nlm4LockArgsAndStatus) {
    Xdr a;
    a.opaque({0, 0, 0, 1})        // cookie
        .u32(1).u32(1)            // block, exclusive
        .str("client.example")    // caller_name
        .opaque(kFh3)             // fh
        .opaque({0xde, 0xad, 0x00, 0x01})  // oh (binary -> hex)
        .u32(4242)                // svid
        .u64(0).u64(100)          // offset, length
        .u32(0).u32(3);           // reclaim, state
    EXPECT_EQ(call(kProgNlm, 4, 2, a), Json::parse(R"({"nlm":{"block":true,"exclusive":true,
        "caller_name":"client.example","owner":"dead0001","svid":4242,"offset":0,"length":100,
        "reclaim":false,"state":3}})"));
    Xdr r;
    r.opaque({0, 0, 0, 1}).u32(1);
    EXPECT_EQ(toJson(reply(kProgNlm, 4, 2, r).fields), Json::parse(R"({"nlm":{"status":"NLM4_DENIED"}})"));
}

TEST_F(BodyTest, NlmV1TestPrintableOwner) {
    Xdr a;
    a.opaque({}).u32(0).str("h").opaque(kFh3).str("123@h").u32(7).u32(10).u32(20);
    Json f = call(kProgNlm, 1, 1, a);
    EXPECT_EQ(f["nlm"]["owner"], "123@h");
    EXPECT_EQ(f["nlm"]["offset"], 10);
    EXPECT_EQ(f["nlm"]["length"], 20);
}

TEST_F(BodyTest, NsmMonName) {
    Xdr a;
    a.str("peer.example").str("me.example").u32(100021).u32(4).u32(16).zeros(16);
    EXPECT_EQ(call(kProgNsm, 1, 2, a),
              Json::parse(R"({"nsm":{"mon_name":"peer.example","my_name":"me.example"}})"));
    Xdr r;
    r.u32(0).u32(5);
    EXPECT_EQ(toJson(reply(kProgNsm, 1, 2, r).fields),
              Json::parse(R"({"nsm":{"status":"stat_succ","state":5}})"));
}

// ---- Tables ----

TEST(OncPrograms, NamesFromTables) {
    EXPECT_STREQ(programName(100003), "nfs");
    EXPECT_STREQ(programName(100021), "nlockmgr");
    EXPECT_STREQ(programName(100024), "status");
    EXPECT_STREQ(programName(100227), "nfs_acl");
    EXPECT_STREQ(programName(100011), "rquotad");
    EXPECT_EQ(programName(4242), nullptr);
    EXPECT_STREQ(procedureName(100000, 2, 3), "GETPORT");
    EXPECT_STREQ(procedureName(100000, 4, 11), "GETADDRLIST");
    EXPECT_STREQ(procedureName(100003, 3, 21), "COMMIT");
    EXPECT_STREQ(procedureName(100003, 4, 1), "COMPOUND");
    EXPECT_STREQ(procedureName(100021, 4, 23), "FREE_ALL");
    EXPECT_EQ(procedureName(100021, 4, 17), nullptr);
    EXPECT_STREQ(procedureName(4242, 1, 0), "NULL");
    EXPECT_STREQ(nfs4OpName(53), "SEQUENCE");
    EXPECT_STREQ(nfs4OpName(71), "CLONE");
    EXPECT_STREQ(nfs4OpName(10044), "ILLEGAL");
    EXPECT_EQ(nfs4OpName(2), nullptr);
    EXPECT_STREQ(nfsstat4Name(10052), "NFS4ERR_BADSESSION");
    EXPECT_STREQ(nfsstat3Name(10008), "NFS3ERR_JUKEBOX");
    EXPECT_STREQ(mountstat3Name(10004), "MNT3ERR_NOTSUPP");
    EXPECT_STREQ(nlm4StatName(5), "NLM4_DEADLCK");
    EXPECT_STREQ(authFlavorName(1), "AUTH_UNIX");
    EXPECT_STREQ(authFlavorName(7), "AUTH_TLS");
}

}  // namespace
}  // namespace rpcmon::onc
