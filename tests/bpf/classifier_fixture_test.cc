// SPDX-License-Identifier: Apache-2.0
// Katran-style fixture table run through BPF_PROG_TEST_RUN on the real XDP and socket-filter
// programs, and through the same classifier compiled for user space (offline mode). Every
// runner must produce the same verdict (XDP_PASS, packet unaltered) and the same record.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <functional>
#include <memory>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "capture/offline_classifier.h"
#include "loader/bpf_loader.h"
#include "capture/packet_source.h"
#include "support/packet_builder.h"

using rpcmon::test::PacketBuilder;
using namespace rpcmon;

namespace {

struct Expected {
    uint8_t app, role, match;
    uint16_t sport, dport;
    uint8_t family = 4;
    uint16_t vlan = 0;
    uint32_t payload_len;
    uint32_t captured_len;
    uint16_t flags = 0;  // without the checksum verdict, checked on its own:
    // the verdict the kernel programs give on ingress (offline frames are judged before the
    // classifier: RPCMON_CSUM_NOT_CHECKED there)
    uint8_t csum = RPCMON_CSUM_GOOD;
};

struct Fixture {
    const char* description;
    std::vector<uint8_t> packet;
    std::optional<Expected> record;         // nullopt: no record expected
    int counter = -1;                       // a counter that must have risen, or -1
    // BPF_PROG_TEST_RUN cannot build an skb whose IPv4 header is cut (it pulls the header and
    // returns EINVAL), so the socket-filter runner skips such frames; XDP and offline run them.
    bool skb_cannot_build = false;
    // An IP fragment: the kernel programs deliver the whole frame as an RPCMON_REC_IP_FRAGMENT
    // record (user space reassembles); the offline classifier leaves it to the pcap reader's
    // reassembly and returns nothing.
    bool fragment = false;
};

std::vector<uint8_t> httpPayload() {
    std::string s = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
    return {s.begin(), s.end()};
}

// Server 10.0.0.2:40001/TCP is put in the watched map before the table runs.
constexpr uint16_t kWatchedPort = 40001;

std::vector<Fixture> fixtures() {
    auto onc = test::oncCallTcp(0x1234, 100003, 3, 3);
    auto oncUdp = test::oncCallUdp(0x99, 100000, 2, 3);
    auto bind = test::dceBind();
    std::vector<uint8_t> truncIp = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2049).build();
    truncIp.resize(14 + 12);
    std::vector<uint8_t> truncTcp = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2049).build();
    truncTcp.resize(14 + 20 + 10);
    std::vector<uint8_t> padded = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 2049, 1, 0x10).build();
    padded.resize(60, 0);  // Ethernet minimum frame: padding is not payload
    return {
        {"ONC call to NFS 2049/tcp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 2049).payload(onc).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40000, 2049, 4, 0, 44, 44}},
        {"NFS reply from 2049/tcp (privileged client port 993 does not matter)",
         PacketBuilder().ipv4("10.0.0.2", "10.0.0.1").tcp(2049, 993).payloadSize(100).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_FROM_SERVER, RPCMON_MATCH_PORT, 2049, 993, 4, 0, 100, 100}},
        {"portmapper call 111/udp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").udp(5000, 111).payload(oncUdp).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 5000, 111, 4, 0, 40, 40}},
        {"DCE/RPC bind to endpoint mapper 135/tcp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(50000, 135).payload(bind).build(),
         Expected{RPCMON_APP_DCERPC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 50000, 135, 4, 0, 72, 72}},
        {"SMB 445/tcp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(50001, 445).payloadSize(64).build(),
         Expected{RPCMON_APP_SMB, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 50001, 445, 4, 0, 64, 64}},
        {"NetBIOS session 139/tcp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(50002, 139).payloadSize(8).build(),
         Expected{RPCMON_APP_NBSS, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 50002, 139, 4, 0, 8, 8}},
        {"IPv6 NFS call", PacketBuilder().ipv6("fd00::1", "fd00::2").tcp(40000, 2049).payload(onc).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40000, 2049, 6, 0, 44, 44}},
        {"VLAN 7 tagged SMB", PacketBuilder().vlan(7).ipv4("10.0.0.1", "10.0.0.2").tcp(50003, 445).payloadSize(32).build(),
         Expected{RPCMON_APP_SMB, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 50003, 445, 4, 7, 32, 32}},
        {"VLAN-tagged IPv6 UDP portmapper", PacketBuilder().vlan(12).ipv6("fd00::1", "fd00::2").udp(6000, 111).payload(oncUdp).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 6000, 111, 6, 12, 40, 40}},
        {"HTTP on 80/tcp is not RPC", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 80).payload(httpPayload()).build(), std::nullopt},
        {"DNS-sized UDP is not RPC", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").udp(40000, 53).payloadSize(30, 0x01).build(), std::nullopt},
        {"ICMP is ignored", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").icmp().build(), std::nullopt},
        {"ARP is not IP", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").etherType(0x0806).udp(1, 111).build(), std::nullopt, RPCMON_CNT_NON_IP},
        {"truncated IPv4 header", truncIp, std::nullopt, RPCMON_CNT_TRUNCATED_HEADERS, true},
        {"truncated TCP header", truncTcp, std::nullopt, RPCMON_CNT_TRUNCATED_HEADERS},
        {"non-first IPv4 fragment", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").ipv4Fragment(185).udp(1, 111).payloadSize(20).build(),
         std::nullopt, RPCMON_CNT_IP_FRAGMENTS, false, true},
        // MF set, offset 0: it has ports, but only part of the datagram - never a stream segment.
        {"first IPv4 fragment", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").ipv4Fragment(0x2000).tcp(40000, 445).payloadSize(64).build(),
         std::nullopt, RPCMON_CNT_IP_FRAGMENTS, false, true},
        {"Ethernet padding is not payload", padded,
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 1000, 2049, 4, 0, 0, 0}},
        {"watched endpoint hit (call)", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, kWatchedPort).payloadSize(10).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_WATCHED, 40000, kWatchedPort, 4, 0, 10, 10}},
        {"watched endpoint hit (reply)", PacketBuilder().ipv4("10.0.0.2", "10.0.0.1").tcp(kWatchedPort, 40000).payloadSize(10).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_FROM_SERVER, RPCMON_MATCH_WATCHED, kWatchedPort, 40000, 4, 0, 10, 10}},
        {"watched port but other address is not watched", PacketBuilder().ipv4("10.0.0.1", "10.0.0.9").tcp(40000, kWatchedPort).payloadSize(10).build(),
         std::nullopt},
        {"ONC call signature on odd port 7777/tcp", PacketBuilder().ipv4("10.0.0.1", "10.0.0.3").tcp(40000, 7777).payload(onc).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_SIGNATURE, 40000, 7777, 4, 0, 44, 44}, RPCMON_CNT_SIGNATURE_LEARNED},
        {"reply from the signature-learned endpoint", PacketBuilder().ipv4("10.0.0.3", "10.0.0.1").tcp(7777, 40000).payloadSize(28).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_FROM_SERVER, RPCMON_MATCH_WATCHED, 7777, 40000, 4, 0, 28, 28}},
        {"DCE/RPC bind signature on dynamic port 49700", PacketBuilder().ipv4("10.0.0.1", "10.0.0.4").tcp(50000, 49700).payload(bind).build(),
         Expected{RPCMON_APP_DCERPC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_SIGNATURE, 50000, 49700, 4, 0, 72, 72}},
        {"ONC UDP call signature on odd port", PacketBuilder().ipv4("10.0.0.1", "10.0.0.5").udp(800, 32768).payload(oncUdp).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_SIGNATURE, 800, 32768, 4, 0, 40, 40}},
        {"DCE/RPC connectionless request signature on UDP", PacketBuilder().ipv4("10.0.0.1", "10.0.0.6").udp(80, 8000).payload(test::dceClRequest()).build(),
         Expected{RPCMON_APP_DCERPC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_SIGNATURE, 80, 8000, 4, 0, 80, 80}},
        {"UDP payload that merely starts with 4 is not DCE/RPC", PacketBuilder().ipv4("10.0.0.1", "10.0.0.6").udp(81, 8001).payload({4, 0, 0xFF, 0xFF, 0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}).build(),
         std::nullopt},
        // Checksums (the builder writes right ones unless told): judged on every classified
        // ingress packet, carried in the record flags; nothing is dropped in the kernel.
        {"ONC call with a bad TCP checksum", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40010, 2049).payload(onc).checksum(PacketBuilder::Csum::Bad).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40010, 2049, 4, 0, 44, 44, 0, RPCMON_CSUM_BAD}},
        {"ONC call with only the pseudo-header sum (transmit offload)", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40011, 2049).payload(onc).checksum(PacketBuilder::Csum::Partial).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40011, 2049, 4, 0, 44, 44, 0, RPCMON_CSUM_PARTIAL}},
        {"IPv6 SMB with a bad TCP checksum", PacketBuilder().ipv6("fd00::1", "fd00::2").tcp(40012, 445).payloadSize(33).checksum(PacketBuilder::Csum::Bad).build(),
         Expected{RPCMON_APP_SMB, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40012, 445, 6, 0, 33, 33, 0, RPCMON_CSUM_BAD}},
        {"IPv6 UDP portmapper, partial checksum", PacketBuilder().ipv6("fd00::1", "fd00::2").udp(6001, 111).payload(oncUdp).checksum(PacketBuilder::Csum::Partial).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 6001, 111, 6, 0, 40, 40, 0, RPCMON_CSUM_PARTIAL}},
        {"IPv4 UDP without a checksum (0) is accepted", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").udp(5001, 111).payload(oncUdp).checksum(PacketBuilder::Csum::Zero).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 5001, 111, 4, 0, 40, 40}},
        {"odd length over three chunks, right checksum", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40013, 445).payloadSize(1401, 0xc3).build(),
         Expected{RPCMON_APP_SMB, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40013, 445, 4, 0, 1401, 256, RPCMON_RECF_TRUNCATED}},
        {"odd length over three chunks, wrong checksum", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40014, 445).payloadSize(1401, 0xc3).checksum(PacketBuilder::Csum::Bad).build(),
         Expected{RPCMON_APP_SMB, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40014, 445, 4, 0, 1401, 256, RPCMON_RECF_TRUNCATED, RPCMON_CSUM_BAD}},
        {"a bad checksum on non-RPC traffic is not even looked at", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40015, 80).payload(httpPayload()).checksum(PacketBuilder::Csum::Bad).build(), std::nullopt},
        {"payload beyond snap length is cut and flagged", PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 2049).payloadSize(1400).build(),
         Expected{RPCMON_APP_ONC, RPCMON_ROLE_TO_SERVER, RPCMON_MATCH_PORT, 40000, 2049, 4, 0, 1400, 256, RPCMON_RECF_TRUNCATED}},
    };
}

constexpr uint32_t kSnaplen = 256;

rpcmon_endpoint_key watchedKey() {
    rpcmon_endpoint_key k{};
    k.addr[10] = k.addr[11] = 0xff;
    k.addr[12] = 10; k.addr[15] = 2;
    k.port = kWatchedPort;
    k.l4proto = 6;
    return k;
}

rpcmon_endpoint_value watchedValue() {
    rpcmon_endpoint_value v{};
    v.app = RPCMON_APP_ONC;
    v.origin = RPCMON_MATCH_WATCHED;
    v.program = 100005;
    return v;
}

// One way of running a frame through the classifier.
class Runner {
public:
    virtual ~Runner() = default;
    // Returns the records produced by this frame (0 or 1).
    virtual std::vector<std::vector<uint8_t>> run(const std::vector<uint8_t>& frame) = 0;
    virtual KernelCounters counters() = 0;
};

class BpfRunner : public Runner {
public:
    BpfRunner(bool xdp) : xdp_(xdp) {
        LoaderOptions o;
        o.snaplen = kSnaplen;
        o.test_run_skb_layout = true;
        o.bulk_skip = false;  // classification only; flow tracking: flow_track_test.cc
        loader_ = std::make_unique<BpfLoader>(o);
        EXPECT_TRUE(loader_->addWatched(watchedKey(), watchedValue()));
        rb_ = ring_buffer__new(loader_->ringbufFd(), &BpfRunner::onRecord, this, nullptr);
    }
    ~BpfRunner() override { ring_buffer__free(rb_); }

    std::vector<std::vector<uint8_t>> run(const std::vector<uint8_t>& frame) override {
        got_.clear();
        std::vector<uint8_t> out(frame.size() + 256);
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
                    .data_size_in = (__u32)frame.size(), .data_size_out = (__u32)out.size(), .repeat = 1);
        int fd = xdp_ ? loader_->xdpProgFd() : loader_->socketAllProgFd();
        int err = bpf_prog_test_run_opts(fd, &opts);
        EXPECT_EQ(err, 0) << strerror(-err);
        if (xdp_) {
            EXPECT_EQ(opts.retval, (uint32_t)XDP_PASS) << "monitor mode must pass every packet";
            EXPECT_EQ(opts.data_size_out, frame.size());
            EXPECT_EQ(0, memcmp(out.data(), frame.data(), frame.size())) << "XDP altered the packet";
        } else {
            EXPECT_EQ(opts.retval, 0u) << "socket filter queues nothing to its socket";
        }
        ring_buffer__consume(rb_);
        return got_;
    }
    KernelCounters counters() override { return loader_->readCounters(xdp_ ? 0 : 1); }

private:
    static int onRecord(void* ctx, void* data, size_t size) {
        auto* self = static_cast<BpfRunner*>(ctx);
        auto* b = static_cast<uint8_t*>(data);
        self->got_.emplace_back(b, b + size);
        return 0;
    }
    bool xdp_;
    std::unique_ptr<BpfLoader> loader_;
    ring_buffer* rb_ = nullptr;
    std::vector<std::vector<uint8_t>> got_;
};

class OfflineRunner : public Runner {
public:
    OfflineRunner() : cls_(kSnaplen) { cls_.addWatched(watchedKey(), watchedValue()); }
    std::vector<std::vector<uint8_t>> run(const std::vector<uint8_t>& frame) override {
        std::vector<uint8_t> out;
        std::vector<std::vector<uint8_t>> recs;
        if (cls_.classify(frame, 1, out))
            OfflineClassifier::forEachRecord(out, [&](std::span<const uint8_t> r) { recs.emplace_back(r.begin(), r.end()); });
        return recs;
    }
    KernelCounters counters() override { return cls_.counters(); }

private:
    OfflineClassifier cls_;
};

void runTable(Runner& r, uint8_t expected_hook) {
    for (const Fixture& f : fixtures()) {
        SCOPED_TRACE(f.description);
        if (f.skb_cannot_build && expected_hook == RPCMON_HOOK_SOCKET_INGRESS) continue;
        KernelCounters before = r.counters();
        auto recs = r.run(f.packet);
        KernelCounters after = r.counters();
        EXPECT_EQ(after[RPCMON_CNT_PACKETS_SEEN], before[RPCMON_CNT_PACKETS_SEEN] + 1);
        if (f.counter >= 0) {
            EXPECT_GT(after[f.counter], before[f.counter]);
        }
        // One verdict counted per judged packet; none for what is not delivered (non-RPC pays
        // nothing) nor offline.
        uint64_t judged = 0;
        for (int id : {RPCMON_CNT_CSUM_GOOD, RPCMON_CNT_CSUM_BAD, RPCMON_CNT_CSUM_PARTIAL, RPCMON_CNT_CSUM_NOT_CHECKED})
            judged += after[id] - before[id];
        EXPECT_EQ(judged, f.record && expected_hook != RPCMON_HOOK_PCAP ? 1u : 0u);
        if (f.record && expected_hook != RPCMON_HOOK_PCAP) {
            int id = f.record->csum == RPCMON_CSUM_BAD       ? RPCMON_CNT_CSUM_BAD
                     : f.record->csum == RPCMON_CSUM_PARTIAL ? RPCMON_CNT_CSUM_PARTIAL
                                                             : RPCMON_CNT_CSUM_GOOD;
            EXPECT_EQ(after[id], before[id] + 1) << counterName(id);
        }
        if (f.fragment && expected_hook != RPCMON_HOOK_PCAP) {
            ASSERT_EQ(recs.size(), 1u);
            rpcmon_frame_record fr;
            ASSERT_GE(recs[0].size(), sizeof fr);
            memcpy(&fr, recs[0].data(), sizeof fr);
            EXPECT_EQ(fr.hdr.type, RPCMON_REC_IP_FRAGMENT);
            EXPECT_EQ(fr.hook, expected_hook);
            EXPECT_EQ(fr.frame_len, f.packet.size());
            EXPECT_EQ(fr.captured_len, f.packet.size());
            ASSERT_EQ(fr.hdr.size, sizeof fr + f.packet.size());
            ASSERT_LE(fr.hdr.size, recs[0].size());
            EXPECT_TRUE(std::equal(f.packet.begin(), f.packet.end(), recs[0].begin() + sizeof fr));
            EXPECT_GT(r.counters()[RPCMON_CNT_FRAGMENTS_DELIVERED], before[RPCMON_CNT_FRAGMENTS_DELIVERED]);
            continue;
        }
        if (!f.record) {
            EXPECT_TRUE(recs.empty());
            continue;
        }
        ASSERT_EQ(recs.size(), 1u);
        ASSERT_GE(recs[0].size(), sizeof(rpcmon_packet_record));
        rpcmon_packet_record rec;
        memcpy(&rec, recs[0].data(), sizeof rec);
        const Expected& e = *f.record;
        EXPECT_EQ(rec.hdr.type, RPCMON_REC_PACKET);
        // Ring records come in size classes; the used part is hdr.size.
        ASSERT_LE(rec.hdr.size, recs[0].size());
        recs[0].resize(rec.hdr.size);
        EXPECT_EQ(rec.hdr.flags & ~RPCMON_RECF_CSUM_MASK, e.flags);
        EXPECT_EQ((rec.hdr.flags & RPCMON_RECF_CSUM_MASK) >> RPCMON_RECF_CSUM_SHIFT,
                  expected_hook == RPCMON_HOOK_PCAP ? uint8_t(RPCMON_CSUM_NOT_CHECKED) : e.csum);
        EXPECT_EQ(rec.hook, expected_hook);
        EXPECT_EQ(rec.app, e.app);
        EXPECT_EQ(rec.role, e.role);
        EXPECT_EQ(rec.match, e.match);
        EXPECT_EQ(rec.flow.sport, e.sport);
        EXPECT_EQ(rec.flow.dport, e.dport);
        EXPECT_EQ(rec.flow.family, e.family);
        EXPECT_EQ(rec.flow.vlan_id, e.vlan);
        EXPECT_EQ(rec.payload_len, e.payload_len);
        EXPECT_EQ(rec.captured_len, e.captured_len);
        ASSERT_EQ(recs[0].size(), sizeof rec + e.captured_len);
        // The payload prefix is the frame's last payload_len bytes, cut to captured_len.
        size_t off = f.packet.size() - e.payload_len;
        if (e.payload_len == 0) off = 0;
        EXPECT_EQ(0, memcmp(recs[0].data() + sizeof rec, f.packet.data() + off, e.captured_len));
        if (rec.flow.l4proto == 6 && e.payload_len) {
            EXPECT_EQ(rec.tcp_seq, 1000u);
        }
    }
}

bool privileged(std::string* why) { return haveBpfPrivileges(why); }

TEST(ClassifierFixtures, OfflineClassifier) {
    OfflineRunner r;
    runTable(r, RPCMON_HOOK_PCAP);
}

TEST(ClassifierFixtures, XdpProgTestRun) {
    std::string why;
    if (!privileged(&why)) GTEST_SKIP() << why;
    BpfRunner r(true);
    runTable(r, RPCMON_HOOK_XDP);
}

TEST(ClassifierFixtures, SocketFilterProgTestRun) {
    std::string why;
    if (!privileged(&why)) GTEST_SKIP() << why;
    BpfRunner r(false);
    runTable(r, RPCMON_HOOK_SOCKET_INGRESS);
}

// With XDP attached the socket filter must leave ingress to XDP, so each packet is seen once.
TEST(ClassifierFixtures, SocketFilterIgnoresIngressWhenXdpOwnsIt) {
    std::string why;
    if (!privileged(&why)) GTEST_SKIP() << why;
    LoaderOptions o;
    o.test_run_skb_layout = true;
    BpfLoader loader(o);
    auto frame = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 2049).payload(test::oncCallTcp(1, 100003, 3, 0)).build();
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = (__u32)frame.size(), .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(loader.socketProgFd(), &opts), 0);
    KernelCounters c = loader.readCounters(1);
    EXPECT_EQ(c[RPCMON_CNT_PACKETS_SEEN], 0u);
    EXPECT_EQ(c[RPCMON_CNT_PACKETS_CLASSIFIED], 0u);
}

}  // namespace

namespace {

// Learned endpoints expire: after expiry the endpoint's traffic is no longer classified, in the
// kernel (expireWatched on CLOCK_MONOTONIC) and offline (on capture time) alike.
std::vector<uint8_t> toWatched() {
    return PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, kWatchedPort).payloadSize(10).build();
}

TEST(WatchedExpiry, OfflineEndpointsExpireOnCaptureTime) {
    OfflineClassifier cls;
    rpcmon_endpoint_value v = watchedValue();
    v.expires_ns = 5000;
    cls.addWatched(watchedKey(), v);
    std::vector<uint8_t> out;
    EXPECT_TRUE(cls.classify(toWatched(), 100, out));
    EXPECT_EQ(cls.expireWatched(4999), 0u);
    EXPECT_EQ(cls.expireWatched(5001), 1u);
    EXPECT_FALSE(cls.classify(toWatched(), 5002, out));
}

TEST(WatchedExpiry, KernelEndpointsExpire) {
    std::string why;
    if (!haveBpfPrivileges(&why)) GTEST_SKIP() << why;
    LoaderOptions o;
    BpfLoader loader(o);
    rpcmon_endpoint_value keep = watchedValue(), old = watchedValue();
    keep.expires_ns = UINT64_MAX;
    old.expires_ns = 1;  // long past on CLOCK_MONOTONIC
    rpcmon_endpoint_key other = watchedKey();
    other.port = 40002;
    ASSERT_TRUE(loader.addWatched(watchedKey(), old));
    ASSERT_TRUE(loader.addWatched(other, keep));
    EXPECT_EQ(loader.expireWatched(1000), 1u);
    EXPECT_EQ(loader.watchedCount(), 1u);
    auto frame = toWatched();
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = (__u32)frame.size(), .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(loader.xdpProgFd(), &opts), 0);
    EXPECT_EQ(loader.readCounters(0)[RPCMON_CNT_PACKETS_CLASSIFIED], 0u) << "expired endpoint still classified";
}

}  // namespace
