// SPDX-License-Identifier: Apache-2.0
// SyslogSink: RFC 5424 formatting, transport spec parsing, delivery to a loopback UDP and TCP
// (octet-counting) receiver run by the test, and bounded-queue overflow accounting.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "detect/syslog_sink.h"
#include "detect/test_util.h"

namespace rpcmon::detect::test {
namespace {

Json sampleAlert() {
    Json a = dce("10.9.9.9", "10.1.1.10", "e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3);
    a["event_type"] = "alert";
    a["alert"] = {{"signature_id", 1000003}, {"rev", 1}, {"signature", "DCSync: DRSGetNCChanges \"quoted\" [x]"},
                  {"category", "credential-access"}, {"severity", 1}, {"kind", "signature"}, {"rule", "dcsync"},
                  {"count", 1},
                  {"metadata", {{"mitre_technique_id", {"T1003.006"}}, {"mitre_tactic", {"credential-access"}}}}};
    return a;
}

TEST(Syslog, Rfc5424Format) {
    SyslogOptions o;
    o.hostname = "sensor1";
    std::string line = formatRfc5424(sampleAlert(), o, 4242);
    EXPECT_EQ(line,
              "<82>1 2026-11-24T10:00:00.000000Z sensor1 rpcmon 4242 ALERT [rpcmon@32473 sid=\"1000003\" rev=\"1\" "
              "severity=\"1\" kind=\"signature\" rule=\"dcsync\" category=\"credential-access\" "
              "technique=\"T1003.006\" tactic=\"credential-access\" count=\"1\" src=\"10.9.9.9\" sport=\"49700\" "
              "dst=\"10.1.1.10\" dport=\"49667\" proto=\"TCP\" flow_id=\"1\"] "
              "DCSync: DRSGetNCChanges \"quoted\" [x]");
    Json low = sampleAlert();
    low["alert"]["severity"] = 3;
    low["alert"]["signature"] = "a]b";
    o.facility = 16;
    EXPECT_EQ(formatRfc5424(low, o, 1).rfind("<133>1 ", 0), 0u);  // local0.notice
}

TEST(Syslog, EscapesStructuredData) {
    Json a = sampleAlert();
    a["alert"]["rule"] = "x\"y]z\\";
    SyslogOptions o;
    o.hostname = "h";
    EXPECT_NE(formatRfc5424(a, o, 1).find("rule=\"x\\\"y\\]z\\\\\""), std::string::npos);
}

TEST(Syslog, SpecParsing) {
    EXPECT_EQ(parseSyslogSpec("local").transport, SyslogOptions::Transport::Local);
    EXPECT_EQ(parseSyslogSpec("local:/run/x.sock").local_path, "/run/x.sock");
    auto u = parseSyslogSpec("udp://127.0.0.1:5514");
    EXPECT_EQ(u.transport, SyslogOptions::Transport::Udp);
    EXPECT_EQ(u.port, 5514);
    auto t = parseSyslogSpec("tcp://[::1]:601");
    EXPECT_EQ(t.host, "::1");
    EXPECT_EQ(t.port, 601);
    EXPECT_THROW(parseSyslogSpec("tcp://host"), std::invalid_argument);
    EXPECT_THROW(parseSyslogSpec("http://x:1"), std::invalid_argument);
    EXPECT_THROW(parseSyslogSpec("udp://x:99999"), std::invalid_argument);
}

int boundSocket(int type, uint16_t& port) {
    int fd = socket(AF_INET, type, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
    return fd;
}

std::string readSome(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return "";
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, size_t(n)) : "";
}

TEST(Syslog, DeliversOverUdp) {
    uint16_t port = 0;
    int fd = boundSocket(SOCK_DGRAM, port);
    SyslogOptions o = parseSyslogSpec("udp://127.0.0.1:" + std::to_string(port));
    o.hostname = "h";
    SyslogSink sink(o);
    sink.emit(sampleAlert());
    Json not_alert = sampleAlert();
    not_alert["event_type"] = "rpc";
    sink.emit(std::move(not_alert));
    EXPECT_TRUE(sink.drain(2000));
    std::string got = readSome(fd, 2000);
    EXPECT_EQ(got.rfind("<82>1 ", 0), 0u) << got;
    EXPECT_EQ(sink.stats()["sent"], 1);
    close(fd);
}

TEST(Syslog, DeliversOverTcpWithOctetCounting) {
    uint16_t port = 0;
    int lfd = boundSocket(SOCK_STREAM, port);
    listen(lfd, 1);
    SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
    o.hostname = "h";
    SyslogSink sink(o);
    sink.emit(sampleAlert());
    sink.emit(sampleAlert());
    pollfd p{lfd, POLLIN, 0};
    ASSERT_GT(poll(&p, 1, 2000), 0);
    int cfd = accept(lfd, nullptr, nullptr);
    EXPECT_TRUE(sink.drain(2000));
    std::string got;
    while (got.size() < 2 * 300) {
        std::string s = readSome(cfd, 500);
        if (s.empty()) break;
        got += s;
    }
    std::string one = formatRfc5424(sampleAlert(), o, int(getpid()));
    EXPECT_EQ(got, std::to_string(one.size()) + " " + one + std::to_string(one.size()) + " " + one);
    close(cfd);
    close(lfd);
}

TEST(Syslog, BoundedQueueCountsDropsWhileServerDown) {
    uint16_t port = 0;
    int lfd = boundSocket(SOCK_STREAM, port);
    close(lfd);  // nothing listens: connects are refused
    SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
    o.queue_size = 5;
    o.retry_ms = 50;
    SyslogSink sink(o);
    for (int i = 0; i < 12; i++) sink.emit(sampleAlert());
    Json st = sink.stats();
    EXPECT_EQ(st["queued"], 12);
    EXPECT_EQ(st["dropped"], 7);
    EXPECT_LE(st["pending"].get<int>(), 5);
    EXPECT_FALSE(sink.drain(200));
    EXPECT_GT(sink.stats()["send_errors"].get<int>(), 0);
}

}  // namespace
}  // namespace rpcmon::detect::test
