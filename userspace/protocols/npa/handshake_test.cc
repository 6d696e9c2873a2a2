// SPDX-License-Identifier: Apache-2.0
// NPAM handshake parser and the host-pipe layer on byte fixtures. testdata/
// npam_level7_samba4.17.bin is the request smbd 4.17.12 wrote on np/samr for an encrypted
// rpcclient session in the lab (alice@LABSMB from 10.203.1.1:51282 to 10.203.1.2:445):
//   0x000 00 00 02 fe            length 766 (big-endian)
//   0x004 "NPAM" 07 00 00 00     magic, level 7;  0x00c 07 00 00 00  union switch
//   0x010 01 .. .. ..            transport; then ptrs remote_client_name/addr, port 0xc852,
//                                local_server_name/addr, port 445, session_info ptr
//   0x030 ..                     deferred strings "hx14226-srv", "10.203.1.1", ...
//   0x090                        auth_session_info_transport, auth_session_info pointers
//   0x0ac 10 00 00 00            session key length 16; 0x0b0..0x0bf the key
//   0x0d8 09 00 00 00 x2         security_token: 9 SIDs; 0x194 unix token (uid 20001)
//   0x1b8                        auth_user_info pointers; 0x220 "alice", 0x23c "LABSMB"
#include "protocols/npa/handshake.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "protocols/dcerpc/test_util.h"
#include "protocols/npa/host_pipes.h"

using namespace rpcmon;
using namespace rpcmon::npa;

namespace {

constexpr size_t kKeyOffset = 0xb0;

std::vector<uint8_t> fixture() {
    std::ifstream f(std::string(NPA_TESTDATA) + "/npam_level7_samba4.17.bin", std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

bool allZero(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

TEST(NpaHandshake, Level7SambaFixture) {
    auto b = fixture();
    ASSERT_EQ(b.size(), 770u);
    ASSERT_FALSE(allZero(b.data() + kKeyOffset, 16));  // the fixture really holds a key
    Handshake h;
    size_t used = 0;
    ASSERT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::Ok);
    EXPECT_EQ(used, 770u);
    EXPECT_EQ(h.level, 7u);
    EXPECT_EQ(h.transport, 1);
    EXPECT_EQ(h.client_addr, "10.203.1.1");
    EXPECT_EQ(h.client_port, 51282);
    EXPECT_EQ(h.server_addr, "10.203.1.2");
    EXPECT_EQ(h.server_port, 445);
    EXPECT_TRUE(h.session_parsed);
    EXPECT_EQ(h.account, "alice");
    EXPECT_EQ(h.domain, "LABSMB");
    EXPECT_TRUE(h.unix_uid_known);
    EXPECT_EQ(h.unix_uid, 20001u);
    // The parser wiped the session key in place, and nothing else around it.
    EXPECT_TRUE(allZero(b.data() + kKeyOffset, 16));
    EXPECT_EQ(b[kKeyOffset - 4], 0x10);
}

TEST(NpaHandshake, EveryPrefixNeedsMore) {
    auto b = fixture();
    for (size_t n = 0; n < b.size(); n++) {
        std::vector<uint8_t> part(b.begin(), b.begin() + n);
        Handshake h;
        size_t used = 0;
        ASSERT_EQ(parseRequest(std::span<uint8_t>(part), h, used), Parse::NeedMore) << n;
    }
}

TEST(NpaHandshake, BadMagicAndLengthAreInvalid) {
    auto b = fixture();
    b[5] = 'X';
    Handshake h;
    size_t used = 0;
    EXPECT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::Invalid);
    std::vector<uint8_t> huge = {0x7f, 0xff, 0xff, 0xff, 'N', 'P', 'A', 'M'};
    EXPECT_EQ(parseRequest(std::span<uint8_t>(huge), h, used), Parse::Invalid);
    EXPECT_EQ(used, 0u);
}

TEST(NpaHandshake, UnknownLevelKeepsExtent) {
    auto b = fixture();
    b[8] = b[12] = 5;  // level 5 (Samba 4.x before 4.16), same switch
    Handshake h;
    size_t used = 0;
    EXPECT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::UnknownLevel);
    EXPECT_EQ(used, b.size());
    EXPECT_EQ(h.level, 5u);
}

TEST(NpaHandshake, DamagedSessionInfoKeepsAddresses) {
    auto b = fixture();
    b[0xdc] = 0xff;  // num_sids no longer matches its conformance
    Handshake h;
    size_t used = 0;
    ASSERT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::Ok);
    EXPECT_FALSE(h.session_parsed);
    EXPECT_TRUE(h.account.empty());
    EXPECT_EQ(h.client_addr, "10.203.1.1");
    EXPECT_TRUE(allZero(b.data() + kKeyOffset, 16));  // the key comes before the token
}

TEST(NpaHandshake, MutationsNeverCrashOrOverread) {
    auto base = fixture();
    std::mt19937 rng(12);
    for (int i = 0; i < 20000; i++) {
        auto b = base;
        int flips = 1 + int(rng() % 8);
        for (int k = 0; k < flips; k++) b[4 + rng() % (b.size() - 4)] = uint8_t(rng());
        b.resize(rng() % 3 ? b.size() : rng() % b.size());
        Handshake h;
        size_t used = 0;
        Parse r = parseRequest(std::span<uint8_t>(b), h, used);
        if (r != Parse::NeedMore && r != Parse::Invalid) {
            ASSERT_LE(used, b.size());
        }
        ASSERT_LE(h.account.size(), 1024u);
    }
}

TEST(NpaHandshake, Reply) {
    std::vector<uint8_t> rep = {0, 0, 0, 0x20, 'N', 'P', 'A', 'M', 7, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0xff, 5,
                                0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t used = 0;
    EXPECT_EQ(parseReply(rep, used), Parse::Ok);
    EXPECT_EQ(used, 36u);
    EXPECT_EQ(parseReply(std::span<const uint8_t>(rep.data(), 10), used), Parse::NeedMore);
}

// ---- the host-pipe layer: records in, rpc records out ----

struct Collect : RecordSink {
    std::vector<Json> recs;
    void emit(Json&& r) override { recs.push_back(std::move(r)); }
};
struct Counts : AnomalyCounter {
    std::map<std::string, uint64_t> n;
    void count(const char* name, uint64_t k) override { n[name] += k; }
};

struct Feeder {
    HostPipes& pipes;
    uint64_t sock = 0xffff888001234500ull, ino = 777;
    TimeNs ts = 1'700'000'000'000'000'000ull;
    // One syscall's bytes, cut into records of at most `chunk` bytes (as the kernel does).
    void io(uint8_t dir, const std::vector<uint8_t>& bytes, const char* comm = "rpcd_samr", uint16_t flags = 0,
            size_t chunk = RPCMON_HOST_CHUNK) {
        size_t off = 0;
        do {
            size_t n = std::min(chunk, bytes.size() - off);
            rpcmon_host_msg_record r{};
            r.hdr.type = RPCMON_REC_HOST_MSG;
            r.hdr.flags = flags;
            r.sock_id = sock;
            r.sock_ino = ino;
            r.pid = r.tgid = 4242;
            r.uid = 0;
            r.total_len = uint32_t(bytes.size());
            r.offset = uint32_t(off);
            r.captured_len = uint32_t(n);
            r.direction = dir;
            std::snprintf(r.comm, sizeof r.comm, "%s", comm);
            std::snprintf(r.pipe, sizeof r.pipe, "samr");
            pipes.onRecord(r, Bytes(bytes.data() + off, n), ts += 1000);
            off += n;
        } while (off < bytes.size());
    }
};

std::vector<uint8_t> msg(const std::vector<uint8_t>& pdu) {
    std::vector<uint8_t> m = {uint8_t(pdu.size()), uint8_t(pdu.size() >> 8)};
    m.insert(m.end(), pdu.begin(), pdu.end());
    return m;
}

const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";

TEST(HostPipes, HandshakeThenCallsBecomeHostRecords) {
    Collect out;
    Counts counts;
    HostPipes pipes(out, counts, [](const FlowKey& k) { return k.server_port == 445 ? 99 : 0; });
    Feeder f{pipes};
    auto hs = fixture();
    // samba-dcerpcd reads the length, then the rest (two reads, as strace shows).
    f.io(RPCMON_HOST_RECV, std::vector<uint8_t>(hs.begin(), hs.begin() + 4), "samba-dcerpcd");
    f.io(RPCMON_HOST_RECV, std::vector<uint8_t>(hs.begin() + 4, hs.end()), "samba-dcerpcd");
    f.io(RPCMON_HOST_SEND, {0, 0, 0, 0x20, 'N', 'P', 'A', 'M', 7, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0xff, 5,
                            0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "samba-dcerpcd");
    using namespace rpcmon::dcerpc::test;
    f.io(RPCMON_HOST_RECV, msg(bind(1, {{0, kSamr, 1, 0}})));
    f.io(RPCMON_HOST_SEND, msg(bindAck(1, {0})));
    // A request split over two messages and three reads: reassembled by frag_len.
    Buf stub(40, 0x11);
    auto req = request(2, 0, 13, stub);
    auto m = msg(req);
    f.io(RPCMON_HOST_RECV, std::vector<uint8_t>(m.begin(), m.begin() + 2));
    f.io(RPCMON_HOST_RECV, std::vector<uint8_t>(m.begin() + 2, m.begin() + 20));
    f.io(RPCMON_HOST_RECV, std::vector<uint8_t>(m.begin() + 20, m.end()));
    f.io(RPCMON_HOST_SEND, msg(response(2, 0, Buf{0, 0, 0, 0})));
    f.io(RPCMON_HOST_RECV, {}, "rpcd_samr", RPCMON_HOSTF_EOF);
    ASSERT_EQ(pipes.size(), 0u);
    std::vector<Json> rpc;
    for (auto& r : out.recs)
        if (r["event_type"] == "rpc") rpc.push_back(r);
    ASSERT_EQ(rpc.size(), 1u) << out.recs.size();
    const Json& r = rpc[0];
    EXPECT_EQ(r["rpc"]["vantage"], "host");
    EXPECT_EQ(r["rpc"]["named_pipe"], "samr");
    EXPECT_EQ(r["rpc"]["opnum"], 13);
    EXPECT_EQ(r["rpc"]["interface"]["name"], "samr");
    EXPECT_EQ(r["rpc"]["reply"]["packet_type"], "response");
    EXPECT_EQ(r["smb"]["user"], "alice");
    EXPECT_EQ(r["smb"]["domain"], "LABSMB");
    EXPECT_EQ(r["src_ip"], "10.203.1.1");
    EXPECT_EQ(r["src_port"], 51282);
    EXPECT_EQ(r["dest_ip"], "10.203.1.2");
    EXPECT_EQ(r["dest_port"], 445);
    EXPECT_EQ(r["flow_id"], 99);  // the wire's flow id for the same TCP connection
    EXPECT_EQ(r["process"]["name"], "rpcd_samr");
    EXPECT_EQ(r["process"]["pid"], 4242);
    EXPECT_EQ(pipes.stats()["handshake_levels"]["7"], 1);
    // The key never reaches a record.
    std::string dump;
    for (auto& x : out.recs) dump += x.dump();
    std::string key(reinterpret_cast<const char*>(fixture().data() + kKeyOffset), 16);
    EXPECT_EQ(dump.find(key), std::string::npos);
}

// The DCE/RPC limits of the rules file (limits.protocols.dcerpc_*) bound host pipes as they
// bound wire connections: three calls without replies on a pipe limited to two pending calls.
TEST(HostPipes, DcerpcLimitsApply) {
    Collect out;
    Counts counts;
    dcerpc::ConnectionConfig dce;
    dce.max_pending_calls = 2;
    HostPipes pipes(out, counts, {}, nullptr, dce);
    Feeder f{pipes};
    auto hs = fixture();
    f.io(RPCMON_HOST_RECV, hs, "samba-dcerpcd");
    f.io(RPCMON_HOST_SEND, {0, 0, 0, 0x20, 'N', 'P', 'A', 'M', 7, 0, 0, 0, 7, 0, 0, 0, 2, 0, 0xff, 5,
                            0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "samba-dcerpcd");
    using namespace rpcmon::dcerpc::test;
    f.io(RPCMON_HOST_RECV, msg(bind(1, {{0, kSamr, 1, 0}})));
    f.io(RPCMON_HOST_SEND, msg(bindAck(1, {0})));
    for (uint32_t id = 2; id <= 4; id++) f.io(RPCMON_HOST_RECV, msg(request(id, 0, 13, Buf(8, 0x11))));
    EXPECT_EQ(counts.n["dcerpc.pending_evicted"], 1u);
}

TEST(HostPipes, GarbageIsCountedAndIgnored) {
    Collect out;
    Counts counts;
    HostPipes pipes(out, counts);
    Feeder f{pipes};
    std::mt19937 rng(5);
    for (int s = 0; s < 50; s++) {
        f.sock++;
        std::vector<uint8_t> junk(1 + rng() % 3000);
        for (auto& c : junk) c = uint8_t(rng());
        f.io(RPCMON_HOST_RECV, junk, "attacker");
        f.io(RPCMON_HOST_SEND, junk, "attacker");
    }
    EXPECT_TRUE(out.recs.empty());
    EXPECT_GT(counts.n["npa.bad_handshake"] + counts.n["npa.reply_before_request"], 0u);
    pipes.closeAll(f.ts);
    EXPECT_EQ(pipes.size(), 0u);
}

TEST(HostPipes, TruncationLosesSyncByName) {
    Collect out;
    Counts counts;
    HostPipes pipes(out, counts);
    Feeder f{pipes};
    auto hs = fixture();
    f.io(RPCMON_HOST_RECV, hs);
    f.io(RPCMON_HOST_RECV, {}, "rpcd_samr", RPCMON_HOSTF_TRUNCATED);
    EXPECT_EQ(counts.n["npa.truncated"], 1u);
    EXPECT_EQ(counts.n["npa.lost_sync"], 1u);
}

}  // namespace

namespace {

// A session the wire reads in the clear: its calls are the wire's to report, not the host's.
TEST(HostPipes, CallsOfClearWireSessionsAreLeftToTheWire) {
    Collect out;
    Counts counts;
    WireSessions wire(out);
    Json sess = {{"flow_id", 99}, {"event_type", "smb_session"}, {"smb", {{"encrypted", false}}}};
    wire.emit(std::move(sess));
    HostPipes pipes(out, counts, [](const FlowKey&) { return 99; }, &wire);
    Feeder f{pipes};
    f.io(RPCMON_HOST_RECV, fixture());
    using namespace rpcmon::dcerpc::test;
    f.io(RPCMON_HOST_RECV, msg(bind(1, {{0, kSamr, 1, 0}})));
    f.io(RPCMON_HOST_RECV, msg(request(2, 0, 13, Buf(8, 0))));
    pipes.closeAll(f.ts);
    ASSERT_EQ(out.recs.size(), 1u);  // only the smb_session passed through
    EXPECT_GT(counts.n["npa.records_left_to_wire"], 0u);
    EXPECT_TRUE(wire.readableOnWire(99));
    EXPECT_FALSE(wire.readableOnWire(98));
}

}  // namespace

namespace {

// A local process holding partial handshakes on many np/ sockets cannot grow the agent.
TEST(HostPipes, BufferedBytesStayWithinBudget) {
    Collect out;
    Counts counts;
    HostPipes pipes(out, counts);
    Feeder f{pipes};
    std::vector<uint8_t> partial(60000, 0x41);
    partial[0] = 0, partial[1] = 0, partial[2] = 0xff, partial[3] = 0x00;  // claims 65280 bytes
    std::memcpy(partial.data() + 4, "NPAM", 4);
    for (int i = 0; i < 700; i++) {
        f.sock++;
        f.io(RPCMON_HOST_RECV, partial, "attacker");
        ASSERT_LE(pipes.bufferedBytes(), kMaxBufferedBytes);
    }
    EXPECT_GT(counts.n["npa.buffer_budget_exceeded"], 0u);
    pipes.closeAll(f.ts);
    EXPECT_EQ(pipes.bufferedBytes(), 0u);
}

}  // namespace
