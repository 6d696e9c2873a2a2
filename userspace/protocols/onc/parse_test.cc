// SPDX-License-Identifier: Apache-2.0
// Header parsing, record marking and resynchronisation: one test per outcome.
#include "protocols/onc/parse.h"

#include <gtest/gtest.h>

#include "protocols/onc/test_util.h"

namespace rpcmon::onc {
namespace {

using test::Xdr;

// NFSv3 LOOKUP call, AUTH_SYS credential (76 bytes).
const std::vector<uint8_t> kLookupCall = {
    0x3a, 0x0b, 0x1c, 0x2d,  // xid 0x3a0b1c2d
    0x00, 0x00, 0x00, 0x00,  // msg_type CALL
    0x00, 0x00, 0x00, 0x02,  // rpcvers 2
    0x00, 0x01, 0x86, 0xa3,  // prog 100003 (nfs)
    0x00, 0x00, 0x00, 0x03,  // vers 3
    0x00, 0x00, 0x00, 0x03,  // proc 3 (LOOKUP)
    0x00, 0x00, 0x00, 0x01,  // cred flavor AUTH_SYS
    0x00, 0x00, 0x00, 0x20,  // cred length 32
    0x12, 0x34, 0x56, 0x78,  //   stamp
    0x00, 0x00, 0x00, 0x04,  //   machine name length 4
    'h',  'o',  's',  't',   //   "host"
    0x00, 0x00, 0x03, 0xe8,  //   uid 1000
    0x00, 0x00, 0x00, 0x64,  //   gid 100
    0x00, 0x00, 0x00, 0x02,  //   gids count 2
    0x00, 0x00, 0x00, 0x64,  //   gid 100
    0x00, 0x00, 0x00, 0x1b,  //   gid 27
    0x00, 0x00, 0x00, 0x00,  // verifier flavor AUTH_NONE
    0x00, 0x00, 0x00, 0x00,  // verifier length 0
    0xaa, 0xbb, 0xcc, 0xdd,  // (arguments begin here)
};
constexpr size_t kLookupArgsOffset = 72;

TEST(OncParse, CallAuthSysComplete) {
    Message m;
    ParseResult r = parseMessage(kLookupCall, m);
    ASSERT_EQ(r.state, ParseState::Success);
    ASSERT_EQ(m.type, MsgType::Call);
    EXPECT_EQ(m.call.xid, 0x3a0b1c2du);
    EXPECT_EQ(m.call.rpcvers, 2u);
    EXPECT_EQ(m.call.prog, 100003u);
    EXPECT_EQ(m.call.vers, 3u);
    EXPECT_EQ(m.call.proc, 3u);
    EXPECT_EQ(m.call.cred.flavor, uint32_t(AUTH_SYS));
    ASSERT_TRUE(m.call.cred.has_sys);
    EXPECT_EQ(m.call.cred.stamp, 0x12345678u);
    EXPECT_EQ(m.call.cred.machine_name, "host");
    EXPECT_EQ(m.call.cred.uid, 1000u);
    EXPECT_EQ(m.call.cred.gid, 100u);
    EXPECT_EQ(m.call.cred.gids, (std::vector<uint32_t>{100, 27}));
    EXPECT_EQ(m.call.verifier_flavor, uint32_t(AUTH_NONE));
    EXPECT_EQ(m.call.args_offset, kLookupArgsOffset);
}

TEST(OncParse, CallTruncatedAtEveryOffsetNeedsMoreData) {
    for (size_t n = 0; n < kLookupArgsOffset; n++) {
        Message m;
        ParseResult r = parseMessage(Bytes(kLookupCall).first(n), m);
        EXPECT_EQ(r.state, ParseState::NeedsMoreData) << "prefix " << n;
    }
}

TEST(OncParse, CallHostileCredLengthInvalid) {
    std::vector<uint8_t> b(kLookupCall.begin(), kLookupCall.begin() + 28);
    Xdr x;
    x.u32(0xFFFFFFF0u);  // cred length: far beyond opaque_auth body<400>
    b.insert(b.end(), x.b.begin(), x.b.end());
    Message m;
    ParseResult r = parseMessage(b, m);
    EXPECT_EQ(r.state, ParseState::Invalid);
    EXPECT_STREQ(r.anomaly, "onc.bad_cred_length");
}

TEST(OncParse, CallCredLength401Invalid) {
    Xdr x;
    x.u32(1).u32(0).u32(2).u32(100003).u32(3).u32(0).u32(1).u32(401).zeros(404).u32(0).u32(0);
    Message m;
    EXPECT_EQ(parseMessage(x.b, m).state, ParseState::Invalid);
}

TEST(OncParse, CallHostileGidsCountInvalid) {
    std::vector<uint8_t> b = kLookupCall;
    // gids count at offset 52: 1e9 entries (authsys_parms allows 16).
    b[52] = 0x3b; b[53] = 0x9a; b[54] = 0xca; b[55] = 0x00;
    Message m;
    ParseResult r = parseMessage(b, m);
    EXPECT_EQ(r.state, ParseState::Invalid);
    EXPECT_STREQ(r.anomaly, "onc.bad_cred");
}

TEST(OncParse, CallMachineNameTooLongInvalid) {
    Xdr cred;
    cred.u32(0).str(std::string(256, 'm')).u32(0).u32(0).u32(0);  // name<255> exceeded
    Xdr x;
    x.u32(1).u32(0).u32(2).u32(100003).u32(3).u32(0).u32(1).opaque(cred.b).u32(0).u32(0);
    Message m;
    EXPECT_EQ(parseMessage(x.b, m).state, ParseState::Invalid);
}

TEST(OncParse, CallBadRpcVersionInvalid) {
    std::vector<uint8_t> b = kLookupCall;
    b[11] = 3;  // rpcvers 3
    Message m;
    ParseResult r = parseMessage(b, m);
    EXPECT_EQ(r.state, ParseState::Invalid);
    EXPECT_STREQ(r.anomaly, "onc.bad_rpc_version");
}

TEST(OncParse, BadMsgTypeInvalid) {
    std::vector<uint8_t> b = kLookupCall;
    b[7] = 2;
    Message m;
    ParseResult r = parseMessage(b, m);
    EXPECT_EQ(r.state, ParseState::Invalid);
    EXPECT_STREQ(r.anomaly, "onc.bad_msg_type");
}

TEST(OncParse, CallRpcsecGss) {
    Xdr cred;
    cred.u32(1)           // version RPCSEC_GSS_VERS_1
        .u32(0)           // gss_proc DATA
        .u32(77)          // seq_num
        .u32(2)           // service integrity
        .opaque({1, 2, 3, 4, 5, 6, 7, 8});  // context handle
    Xdr x;
    x.u32(9).u32(0).u32(2).u32(100003).u32(4).u32(1).u32(6).opaque(cred.b);
    x.u32(6).opaque(std::vector<uint8_t>(20, 0xee));  // verifier RPCSEC_GSS, MIC
    Message m;
    ASSERT_EQ(parseMessage(x.b, m).state, ParseState::Success);
    EXPECT_EQ(m.call.cred.flavor, uint32_t(RPCSEC_GSS));
    ASSERT_TRUE(m.call.cred.has_gss);
    EXPECT_EQ(m.call.cred.gss_version, 1u);
    EXPECT_EQ(m.call.cred.gss_proc, 0u);
    EXPECT_EQ(m.call.cred.gss_seq, 77u);
    EXPECT_EQ(m.call.cred.gss_service, 2u);
    EXPECT_EQ(m.call.verifier_flavor, uint32_t(RPCSEC_GSS));
    EXPECT_EQ(m.call.args_offset, x.b.size());
}

// Accepted SUCCESS reply with an AUTH_NONE verifier.
const std::vector<uint8_t> kAcceptedReply = {
    0x3a, 0x0b, 0x1c, 0x2d,  // xid
    0x00, 0x00, 0x00, 0x01,  // msg_type REPLY
    0x00, 0x00, 0x00, 0x00,  // reply_stat MSG_ACCEPTED
    0x00, 0x00, 0x00, 0x00,  // verifier flavor AUTH_NONE
    0x00, 0x00, 0x00, 0x00,  // verifier length 0
    0x00, 0x00, 0x00, 0x00,  // accept_stat SUCCESS
    0x00, 0x00, 0x00, 0x02,  // (results: nfsstat3 NFS3ERR_NOENT)
};

TEST(OncParse, ReplyAcceptedSuccess) {
    Message m;
    ASSERT_EQ(parseMessage(kAcceptedReply, m).state, ParseState::Success);
    ASSERT_EQ(m.type, MsgType::Reply);
    EXPECT_EQ(m.reply.xid, 0x3a0b1c2du);
    EXPECT_EQ(m.reply.status, ReplyStat::Accepted);
    EXPECT_EQ(m.reply.accept_stat, AcceptStat::Success);
    EXPECT_EQ(m.reply.results_offset, 24u);
    EXPECT_FALSE(m.reply.has_mismatch);
}

TEST(OncParse, ReplyTruncatedNeedsMoreData) {
    for (size_t n = 0; n < 24; n++) {
        Message m;
        EXPECT_EQ(parseMessage(Bytes(kAcceptedReply).first(n), m).state,
                  ParseState::NeedsMoreData) << n;
    }
}

TEST(OncParse, ReplyProgMismatch) {
    Xdr x;
    x.u32(5).u32(1).u32(0).u32(0).u32(0)
        .u32(2)            // accept_stat PROG_MISMATCH
        .u32(2).u32(4);    // low 2, high 4
    Message m;
    ASSERT_EQ(parseMessage(x.b, m).state, ParseState::Success);
    EXPECT_EQ(m.reply.accept_stat, AcceptStat::ProgMismatch);
    ASSERT_TRUE(m.reply.has_mismatch);
    EXPECT_EQ(m.reply.mismatch_low, 2u);
    EXPECT_EQ(m.reply.mismatch_high, 4u);
}

TEST(OncParse, ReplyDeniedAuthError) {
    Xdr x;
    x.u32(5).u32(1)
        .u32(1)   // reply_stat MSG_DENIED
        .u32(1)   // reject_stat AUTH_ERROR
        .u32(5);  // auth_stat AUTH_TOOWEAK
    Message m;
    ASSERT_EQ(parseMessage(x.b, m).state, ParseState::Success);
    EXPECT_EQ(m.reply.status, ReplyStat::Denied);
    EXPECT_EQ(m.reply.reject_stat, RejectStat::AuthError);
    EXPECT_EQ(m.reply.auth_stat, AuthStat::TooWeak);
}

TEST(OncParse, ReplyDeniedRpcMismatch) {
    Xdr x;
    x.u32(5).u32(1).u32(1).u32(0).u32(2).u32(2);  // RPC_MISMATCH low 2 high 2
    Message m;
    ASSERT_EQ(parseMessage(x.b, m).state, ParseState::Success);
    EXPECT_EQ(m.reply.reject_stat, RejectStat::RpcMismatch);
    EXPECT_TRUE(m.reply.has_mismatch);
    EXPECT_EQ(m.reply.mismatch_high, 2u);
}

TEST(OncParse, ReplyBadStatsInvalid) {
    Message m;
    Xdr bad_reply_stat;
    bad_reply_stat.u32(5).u32(1).u32(7);
    EXPECT_STREQ(parseMessage(bad_reply_stat.b, m).anomaly, "onc.bad_reply_stat");
    Xdr bad_accept;
    bad_accept.u32(5).u32(1).u32(0).u32(0).u32(0).u32(99);
    EXPECT_STREQ(parseMessage(bad_accept.b, m).anomaly, "onc.bad_accept_stat");
    Xdr bad_verf;
    bad_verf.u32(5).u32(1).u32(0).u32(0).u32(0x7fffffff);
    EXPECT_STREQ(parseMessage(bad_verf.b, m).anomaly, "onc.bad_verifier_length");
}

// ---- Record marking ----

TEST(OncRecord, SingleFragment) {
    std::vector<uint8_t> wire = test::recordMark(kLookupCall);
    RecordAssembler a;
    std::vector<Record> out;
    auto fr = a.feed(wire, out);
    EXPECT_EQ(fr.consumed, wire.size());
    EXPECT_EQ(fr.anomaly, nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes, kLookupCall);
    EXPECT_EQ(out[0].wire_size, kLookupCall.size());
    EXPECT_FALSE(out[0].prefix_only());
    EXPECT_TRUE(a.idle());
}

TEST(OncRecord, MultiFragmentConcatenatedFedByteByByte) {
    // Three fragments: 10 bytes (not last), 30 bytes (not last), rest (last).
    std::vector<uint8_t> wire;
    auto frag = [&](size_t from, size_t to, bool last) {
        Xdr m;
        m.u32((last ? 0x80000000u : 0) | uint32_t(to - from));
        wire.insert(wire.end(), m.b.begin(), m.b.end());
        wire.insert(wire.end(), kLookupCall.begin() + from, kLookupCall.begin() + to);
    };
    frag(0, 10, false);
    frag(10, 40, false);
    frag(40, kLookupCall.size(), true);
    RecordAssembler a;
    std::vector<Record> out;
    std::vector<uint8_t> unconsumed;
    for (uint8_t byte : wire) {  // like the stream layer: unconsumed bytes are presented again
        unconsumed.push_back(byte);
        auto fr = a.feed(unconsumed, out);
        ASSERT_EQ(fr.anomaly, nullptr);
        unconsumed.erase(unconsumed.begin(), unconsumed.begin() + fr.consumed);
    }
    EXPECT_TRUE(unconsumed.empty());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes, kLookupCall);
    EXPECT_EQ(out[0].wire_size, kLookupCall.size());
}

TEST(OncRecord, PartialMarkLeftUnconsumed) {
    std::vector<uint8_t> wire = test::recordMark(kLookupCall);
    RecordAssembler a;
    std::vector<Record> out;
    EXPECT_EQ(a.feed(Bytes(wire).first(3), out).consumed, 0u);
    EXPECT_TRUE(out.empty());
}

TEST(OncRecord, HostileMarkLengthIsBadRecordMark) {
    const std::vector<uint8_t> wire = {
        0xff, 0xff, 0xff, 0xff,  // last fragment, length 0x7FFFFFFF
        0x00, 0x00, 0x00, 0x01,
    };
    RecordAssembler a;
    std::vector<Record> out;
    auto fr = a.feed(wire, out);
    EXPECT_STREQ(fr.anomaly, "onc.bad_record_mark");
    EXPECT_EQ(fr.consumed, 0u);
    EXPECT_TRUE(out.empty());
}

TEST(OncRecord, GarbageMsgTypeIsBadRecordMark) {
    Xdr x;
    x.u32(0x80000010u).u32(1).u32(0x47455420).u32(0).u32(0);  // "GET " where msg_type goes
    RecordAssembler a;
    std::vector<Record> out;
    EXPECT_STREQ(a.feed(x.b, out).anomaly, "onc.bad_record_mark");
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(a.idle());
}

TEST(OncRecord, LargeRecordKeepsPrefixOnly) {
    // A 4 KiB WRITE-like record with a 100-byte kept limit: the header survives, the tail is
    // skipped, the next record is intact.
    Xdr big;
    big.call(1, 100003, 3, 7).zeros(4096);
    std::vector<uint8_t> wire = test::recordMark(big.b);
    std::vector<uint8_t> next = test::recordMark(kLookupCall);
    wire.insert(wire.end(), next.begin(), next.end());
    RecordAssembler a(100);
    std::vector<Record> out;
    auto fr = a.feed(wire, out);
    EXPECT_EQ(fr.consumed, wire.size());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].bytes.size(), 100u);
    EXPECT_EQ(out[0].wire_size, big.b.size());
    EXPECT_TRUE(out[0].prefix_only());
    EXPECT_TRUE(std::equal(out[0].bytes.begin(), out[0].bytes.end(), big.b.begin()));
    EXPECT_EQ(out[1].bytes, kLookupCall);
}

TEST(OncRecord, RecordLargerThanWireLimitRejected) {
    // Non-last fragments of kMaxFragmentBytes each; the fifth pushes past kMaxRecordWireBytes.
    RecordAssembler a(64);
    std::vector<Record> out;
    std::vector<uint8_t> frag(kMaxFragmentBytes + 4, 0);
    frag[0] = uint8_t(kMaxFragmentBytes >> 24);  // mark: not last, length kMaxFragmentBytes
    const char* anomaly = nullptr;
    for (int i = 0; i < 5 && !anomaly; i++) anomaly = a.feed(frag, out).anomaly;
    EXPECT_STREQ(anomaly, "onc.record_too_large");
    EXPECT_TRUE(out.empty());
}

// ---- Resynchronisation ----

TEST(OncResync, FindsCallAfterGarbage) {
    std::vector<uint8_t> data = {0x00, 0x12, 0xff, 0x00, 0x00, 0x80, 0x00, 0x10, 0x41};
    size_t expect = data.size();
    std::vector<uint8_t> rec = test::recordMark(kLookupCall);
    data.insert(data.end(), rec.begin(), rec.end());
    Boundary b = findRecordBoundary(data, nullptr);
    ASSERT_TRUE(b.found);
    EXPECT_EQ(b.offset, expect);
}

TEST(OncResync, FindsReplyOnlyWhenXidPending) {
    std::vector<uint8_t> data(7, 0xee);
    std::vector<uint8_t> rec = test::recordMark(kAcceptedReply);
    data.insert(data.end(), rec.begin(), rec.end());
    data.resize(data.size() + 16, 0);  // room for the probe window
    auto pending = [](uint32_t xid) { return xid == 0x3a0b1c2du; };
    auto none = [](uint32_t) { return false; };
    Boundary b = findRecordBoundary(data, pending);
    ASSERT_TRUE(b.found);
    EXPECT_EQ(b.offset, 7u);
    Boundary n = findRecordBoundary(data, none);
    EXPECT_FALSE(n.found);
    // The reply's msg_type word (00 00 00 01) reads as the mark of a 1-byte fragment; the header
    // gathered across such fragments needs bytes past the end, so everything from it is kept
    // until it can be judged (without that candidate: the last 35 bytes, a probe window).
    EXPECT_EQ(n.offset, 15u);
    std::vector<uint8_t> flat(data.begin() + 15, data.end());
    flat[3] = 0xee;  // no tiny-fragment mark left in the window
    Boundary f = findRecordBoundary(flat, none);
    EXPECT_FALSE(f.found);
    EXPECT_EQ(f.offset, flat.size() - 35);
}

TEST(OncResync, ShortInputWaits) {
    std::vector<uint8_t> data(20, 0);
    Boundary b = findRecordBoundary(data, nullptr);
    EXPECT_FALSE(b.found);
    EXPECT_EQ(b.offset, 0u);
}

TEST(OncResync, PlausibleCallRejectsReservedProgramAndBadVersion) {
    Xdr ok;
    ok.call(1, 0x20000005, 1, 0);  // user-defined program range: plausible
    EXPECT_TRUE(plausibleCall(ok.b));
    Xdr reserved;
    reserved.call(1, 0x70000000, 1, 0);  // reserved range (RFC 5531 App. B)
    EXPECT_FALSE(plausibleCall(reserved.b));
    Xdr badvers;
    badvers.call(1, 100003, 1000, 0);
    EXPECT_FALSE(plausibleCall(badvers.b));
    EXPECT_TRUE(plausibleCall(kLookupCall));
}

}  // namespace
}  // namespace rpcmon::onc
