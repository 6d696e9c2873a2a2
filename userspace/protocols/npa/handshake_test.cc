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
    b[8] = b[12] = 9;  // a level no release has used yet, same switch
    Handshake h;
    size_t used = 0;
    EXPECT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::UnknownLevel);
    EXPECT_EQ(used, b.size());
    EXPECT_EQ(h.level, 9u);
    EXPECT_TRUE(h.client_addr.empty());
}

// ---- every level with a layout, on constructed handshakes ----

// NDR writer for constructed handshakes: alignment counts from the big-endian length, as in
// the messages Samba writes; unique pointers get Samba's referent ids (0x00020000 + 4n).
struct NdrOut {
    std::vector<uint8_t> b;
    uint32_t next_ref = 0x00020000;
    void align(size_t a) {
        while (b.size() % a) b.push_back(0);
    }
    void u8(uint8_t v) { b.push_back(v); }
    void u16(uint16_t v) {
        align(2);
        b.push_back(uint8_t(v)), b.push_back(uint8_t(v >> 8));
    }
    void u32(uint32_t v) {
        align(4);
        for (int i = 0; i < 4; i++) b.push_back(uint8_t(v >> (8 * i)));
    }
    void u64(uint64_t v, size_t a = 8) {
        align(a);
        for (int i = 0; i < 8; i++) b.push_back(uint8_t(v >> (8 * i)));
    }
    void ptr(bool present = true) {
        u32(present ? next_ref : 0);
        if (present) next_ref += 4;
    }
    void str(const std::string& s) {  // [string] uint8 *: max, offset 0, actual, bytes with NUL
        u32(uint32_t(s.size() + 1)), u32(0), u32(uint32_t(s.size() + 1));
        b.insert(b.end(), s.begin(), s.end());
        b.push_back(0);
    }
    void bytes(const std::vector<uint8_t>& v) { b.insert(b.end(), v.begin(), v.end()); }
};

struct Session {
    std::string client_addr = "192.0.2.10", server_addr = "192.0.2.20";
    uint16_t client_port = 50123, server_port = 445;
    std::string account = "bob", domain = "EXAMPLE";
    uint64_t uid = 3001;
    std::vector<uint8_t> key = std::vector<uint8_t>{0xc1, 0x9e, 0x5a, 0x77, 0x03, 0xd8, 0x41, 0xee,
                                                    0x92, 0x6b, 0x1f, 0x30, 0xa4, 0x5c, 0x88, 0x2d};
    bool need_idle_server = false;  // level 5's extra byte, right after the session pointer
    bool with_session = true;
};

// A request of `level` as the layouts in handshake.cc describe it; `key_at` receives the
// offset of the 16 session-key bytes in the message.
std::vector<uint8_t> buildRequest(uint32_t level, bool transport, const Session& s, size_t* key_at = nullptr) {
    NdrOut n;
    n.bytes({0, 0, 0, 0, 'N', 'P', 'A', 'M'});
    n.u32(level);
    n.u32(level);  // union switch
    if (transport) n.u8(1);  // NCACN_NP
    n.ptr(), n.ptr();
    n.u16(s.client_port);
    n.ptr(), n.ptr();
    n.u16(s.server_port);
    n.ptr(s.with_session);
    if (s.need_idle_server) n.u8(1);
    n.str("client-host"), n.str(s.client_addr), n.str("server-host"), n.str(s.server_addr);
    if (s.with_session) {
        n.ptr();   // auth_session_info_transport.session_info
        n.u32(0);  // exported_gssapi_credentials: empty DATA_BLOB
        n.ptr(), n.ptr(), n.ptr();  // security_token, unix_token, auth_user_info
        n.ptr(false), n.ptr(false);  // unix_info, torture
        n.u32(16);
        if (key_at) *key_at = n.b.size();
        n.bytes(s.key);
        n.ptr(false);  // credentials
        n.bytes(std::vector<uint8_t>(16, 0x5e));  // unique_session_token
        // security_token: one SID (S-1-5-21-1-2-3-1000), privilege and rights masks
        n.align(8);
        n.u32(1), n.u32(1);
        n.u8(1), n.u8(5), n.bytes({0, 0, 0, 0, 0, 5});
        for (uint32_t a : {21u, 1u, 2u, 3u, 1000u}) n.u32(a);
        n.u64(0), n.u32(0);
        // security_unix_token: uid, gid, one group
        n.u32(1), n.u64(s.uid), n.u64(100), n.u32(1), n.u64(100);
        // auth_user_info: account, upn, constructed, domain, seven more strings (NULL)
        n.ptr(), n.ptr(false), n.u8(0), n.ptr();
        for (int i = 0; i < 7; i++) n.ptr(false);
        for (int i = 0; i < 6; i++) n.u64(0, 4);
        n.u16(0), n.u16(0), n.u32(0x10), n.u32(0);
        n.str(s.account), n.str(s.domain);
    }
    uint32_t len = uint32_t(n.b.size() - 4);
    n.b[0] = uint8_t(len >> 24), n.b[1] = uint8_t(len >> 16), n.b[2] = uint8_t(len >> 8), n.b[3] = uint8_t(len);
    return n.b;
}

void expectSession(std::vector<uint8_t> b, uint32_t level, const Session& s, size_t key_at, bool transport) {
    ASSERT_FALSE(allZero(b.data() + key_at, 16));
    Handshake h;
    size_t used = 0;
    ASSERT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::Ok) << "level " << level;
    EXPECT_EQ(used, b.size());
    EXPECT_EQ(h.level, level);
    EXPECT_EQ(h.transport_known, transport);
    if (transport) {
        EXPECT_EQ(h.transport, 1);
    }
    EXPECT_EQ(h.client_addr, s.client_addr);
    EXPECT_EQ(h.client_port, s.client_port);
    EXPECT_EQ(h.server_addr, s.server_addr);
    EXPECT_EQ(h.server_port, s.server_port);
    EXPECT_EQ(h.client_name, "client-host");
    EXPECT_TRUE(h.session_parsed) << "level " << level;
    EXPECT_EQ(h.account, s.account);
    EXPECT_EQ(h.domain, s.domain);
    EXPECT_EQ(h.unix_uid, s.uid);
    // Zeroed in place at once, whatever the level.
    EXPECT_TRUE(allZero(b.data() + key_at, 16)) << "level " << level;
    EXPECT_EQ(b[key_at - 4], 16);
}

TEST(NpaHandshake, Level4HasNoTransportByte) {
    Session s;
    size_t key_at = 0;
    auto b = buildRequest(4, false, s, &key_at);
    expectSession(b, 4, s, key_at, false);
}

TEST(NpaHandshake, Level5WithNeedIdleServer) {
    Session s;
    s.need_idle_server = true;
    s.client_addr = "2001:db8::10";
    s.server_addr = "2001:db8::20";
    size_t key_at = 0;
    auto b = buildRequest(5, true, s, &key_at);
    expectSession(b, 5, s, key_at, true);
}

TEST(NpaHandshake, Level6And8) {
    for (uint32_t level : {6u, 8u}) {
        Session s;
        s.account = "svc_" + std::to_string(level);
        s.client_port = uint16_t(40000 + level);
        size_t key_at = 0;
        auto b = buildRequest(level, true, s, &key_at);
        expectSession(b, level, s, key_at, true);
    }
}

// A release that put (or dropped) the transport byte other than the level table says: the
// second layout is tried, and the wrong one never yields addresses.
TEST(NpaHandshake, OtherLayoutIsTriedSecond) {
    Session s;
    size_t key_at = 0;
    auto b5 = buildRequest(5, false, s, &key_at);  // level 5 without either extra byte
    expectSession(b5, 5, s, key_at, false);
    auto b4 = buildRequest(4, true, s, &key_at);
    expectSession(b4, 4, s, key_at, true);
    s.need_idle_server = true;
    auto b6 = buildRequest(6, true, s, &key_at);  // level 6 with level 5's trailing byte
    expectSession(b6, 6, s, key_at, true);
}

// The Samba 4.17 fixture with its transport word removed is a level-4 message of the same
// session: real bytes through the level-4 layout.
TEST(NpaHandshake, FixtureAsLevel4) {
    auto b = fixture();
    b.erase(b.begin() + 0x10, b.begin() + 0x14);
    b[8] = b[12] = 4;
    uint32_t len = uint32_t(b.size() - 4);
    b[0] = uint8_t(len >> 24), b[1] = uint8_t(len >> 16), b[2] = uint8_t(len >> 8), b[3] = uint8_t(len);
    // (The session info after the key does not follow: the security token is 8-byte aligned
    // and its padding moved with the 4 bytes; a real level-4 sender pads where it falls.)
    Handshake h;
    size_t used = 0;
    Parse r = parseRequest(std::span<uint8_t>(b), h, used);
    ASSERT_EQ(r, Parse::Ok);
    EXPECT_FALSE(h.transport_known);
    EXPECT_EQ(h.client_addr, "10.203.1.1");
    EXPECT_EQ(h.client_port, 51282);
    EXPECT_EQ(h.server_addr, "10.203.1.2");
    EXPECT_EQ(h.server_port, 445);
    EXPECT_TRUE(allZero(b.data() + kKeyOffset - 4, 16));  // the key, 4 bytes earlier, zeroed
}

// A known level whose fields parse in neither layout: the extent is kept, no address is made up.
TEST(NpaHandshake, UnparsedFieldsKeepExtent) {
    Session s;
    auto b = buildRequest(6, true, s);
    // [0x10] transport, ptrs, ports, session ptr; [0x30] the first deferred string's max,
    // offset and [0x38] actual count, made larger than its max: the level's layout fails
    // there, the other one on the session pointer read as a string length.
    b[0x39] = 0x7f;
    Handshake h;
    size_t used = 0;
    EXPECT_EQ(parseRequest(std::span<uint8_t>(b), h, used), Parse::Unparsed);
    EXPECT_EQ(used, b.size());
    EXPECT_EQ(h.level, 6u);
    EXPECT_TRUE(h.client_addr.empty());
    EXPECT_TRUE(h.account.empty());
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

// Levels before 4.17 (4: Samba 4.0-4.15; 5, 6: 4.16) are reported like level 7: addresses,
// ports, user and domain from their handshake; the key never reaches a record.
TEST(HostPipes, OlderLevelsAreReported) {
    for (uint32_t level : {4u, 5u, 6u}) {
        Collect out;
        Counts counts;
        HostPipes pipes(out, counts);
        Feeder f{pipes};
        Session s;
        s.account = "user" + std::to_string(level);
        s.need_idle_server = level == 5;
        auto hs = buildRequest(level, level != 4, s);
        const std::vector<uint8_t> key = s.key;
        f.io(RPCMON_HOST_RECV, hs, "samba-dcerpcd");
        f.io(RPCMON_HOST_SEND, {0, 0, 0, 0x20, 'N', 'P', 'A', 'M', uint8_t(level), 0, 0, 0, uint8_t(level), 0, 0, 0, 2,
                                0, 0xff, 5, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
             "samba-dcerpcd");
        using namespace rpcmon::dcerpc::test;
        f.io(RPCMON_HOST_RECV, msg(bind(1, {{0, kSamr, 1, 0}})));
        f.io(RPCMON_HOST_SEND, msg(bindAck(1, {0})));
        f.io(RPCMON_HOST_RECV, msg(request(2, 0, 13, Buf(8, 0x11))));
        f.io(RPCMON_HOST_SEND, msg(response(2, 0, Buf{0, 0, 0, 0})));
        f.io(RPCMON_HOST_RECV, {}, "rpcd_samr", RPCMON_HOSTF_EOF);
        std::vector<Json> rpc;
        for (auto& r : out.recs)
            if (r["event_type"] == "rpc") rpc.push_back(r);
        ASSERT_EQ(rpc.size(), 1u) << "level " << level;
        const Json& r = rpc[0];
        SCOPED_TRACE(r.dump());
        EXPECT_EQ(r["rpc"]["vantage"], "host");
        EXPECT_EQ(r["rpc"]["opnum"], 13);
        EXPECT_EQ(r["smb"]["user"], s.account);
        EXPECT_EQ(r["smb"]["domain"], s.domain);
        EXPECT_EQ(r["src_ip"], s.client_addr);
        EXPECT_EQ(r["src_port"], s.client_port);
        EXPECT_EQ(r["dest_ip"], s.server_addr);
        EXPECT_EQ(r["dest_port"], 445);
        EXPECT_EQ(pipes.stats()["handshake_levels"][std::to_string(level)], 1);
        EXPECT_EQ(counts.n.count("npa.unknown_level") + counts.n.count("npa.level_fields_unparsed") +
                      counts.n.count("npa.session_info_unparsed"),
                  0u);
        std::string dump;
        for (auto& x : out.recs) dump += x.dump();
        EXPECT_EQ(dump.find(std::string(key.begin(), key.end())), std::string::npos);
        std::string hex;
        for (uint8_t c : key) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
        EXPECT_EQ(dump.find(hex), std::string::npos);
    }
}

// A level without a known layout (a future Samba): counted, its pipe's calls still dissected
// and reported with the pipe, process and vantage (no addresses: the handshake gave none).
TEST(HostPipes, UnknownLevelPipesAreStillDissected) {
    Collect out;
    Counts counts;
    HostPipes pipes(out, counts);
    Feeder f{pipes};
    auto hs = fixture();
    hs[8] = hs[12] = 9;
    f.io(RPCMON_HOST_RECV, hs, "samba-dcerpcd");
    f.io(RPCMON_HOST_SEND, {0, 0, 0, 0x20, 'N', 'P', 'A', 'M', 9, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0xff, 5,
                            0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "samba-dcerpcd");
    using namespace rpcmon::dcerpc::test;
    f.io(RPCMON_HOST_RECV, msg(bind(1, {{0, kSamr, 1, 0}})));
    f.io(RPCMON_HOST_SEND, msg(bindAck(1, {0})));
    f.io(RPCMON_HOST_RECV, msg(request(2, 0, 13, Buf(8, 0x11))));
    f.io(RPCMON_HOST_SEND, msg(response(2, 0, Buf{0, 0, 0, 0})));
    f.io(RPCMON_HOST_RECV, {}, "rpcd_samr", RPCMON_HOSTF_EOF);
    EXPECT_EQ(counts.n["npa.unknown_level"], 1u);
    std::vector<Json> rpc;
    for (auto& r : out.recs)
        if (r["event_type"] == "rpc") rpc.push_back(r);
    ASSERT_EQ(rpc.size(), 1u);
    const Json& r = rpc[0];
    EXPECT_EQ(r["rpc"]["opnum"], 13);
    EXPECT_EQ(r["rpc"]["named_pipe"], "samr");
    EXPECT_EQ(r["rpc"]["vantage"], "host");
    EXPECT_EQ(r["process"]["name"], "rpcd_samr");
    for (const char* k : {"src_ip", "src_port", "dest_ip", "dest_port"}) EXPECT_FALSE(r.contains(k)) << k;
    EXPECT_FALSE(r.contains("smb"));
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
    Event sess;
    sess.type = EventType::SmbSession;
    sess.flow_id = 99;
    sess.smb.encrypted = false;
    wire.emitEvent(std::move(sess));
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
