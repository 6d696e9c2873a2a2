// SPDX-License-Identifier: Apache-2.0
// SyslogSink: RFC 5424 formatting, transport spec parsing, delivery to a loopback UDP and TCP
// (octet-counting) receiver run by the test, bounded-queue overflow accounting, what a broken or
// stalled connection does to the queue (nothing lost), bounded connects and TLS handshakes, TLS
// settings checked at start. TLS delivery and verification run against a real rsyslogd: tests/syslog/.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <cstdio>
#include <fstream>
#include <set>

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

TEST(Syslog, TlsSpecParsing) {
    auto t = parseSyslogSpec("tls://collector.example:6514");
    EXPECT_EQ(t.transport, SyslogOptions::Transport::Tls);
    EXPECT_EQ(t.host, "collector.example");
    EXPECT_EQ(t.port, 6514);
    EXPECT_EQ(t.tls.server_name, "collector.example");  // the name verified defaults to HOST
    SyslogTlsOptions tls;
    tls.server_name = "siem.example";
    tls.ca_file = "/etc/ca.pem";
    auto n = parseSyslogSpec("tls://127.0.0.1:6514", tls);
    EXPECT_EQ(n.tls.server_name, "siem.example");
    EXPECT_EQ(n.tls.ca_file, "/etc/ca.pem");
    EXPECT_THROW(parseSyslogSpec("tls://host"), std::invalid_argument);
    // TLS settings with a clear-text target would silently not protect anything.
    EXPECT_THROW(parseSyslogSpec("tcp://127.0.0.1:514", tls), std::invalid_argument);
    EXPECT_THROW(parseSyslogSpec("local", tls), std::invalid_argument);
    SyslogTlsOptions half;
    half.cert_file = "/etc/sensor.pem";  // a certificate without its key
    EXPECT_THROW(parseSyslogSpec("tls://h:1", half), std::invalid_argument);
    half = {};
    half.key_file = "/etc/sensor.key";
    EXPECT_THROW(parseSyslogSpec("tls://h:1", half), std::invalid_argument);
}

// A public self-signed certificate (its key was never kept): loads as a CA bundle and as a client
// certificate, so the key checks after it are reached.
constexpr const char* kUnitCert = R"(-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUApHO7Wjv4qdM1wPKtOKlChad75gwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQcnBjbW9uIHVuaXQgdGVzdDAgFw0yNjEyMDQyMjIwMjNaGA8y
MTI2MTExMDIyMjAyM1owGzEZMBcGA1UEAwwQcnBjbW9uIHVuaXQgdGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIIp+wwTaaZNYtBaCcq9QEickim9MWGiPAQS
f6zQFmj6yKKn8rr+SozCHfGgU6GK76GZ9wt8+Y0P3aq7oQ2y76ijUzBRMB0GA1Ud
DgQWBBTrKqvP6cSEi5Jbzwz9WuaWP9zhGzAfBgNVHSMEGDAWgBTrKqvP6cSEi5Jb
zwz9WuaWP9zhGzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDU
PBcdAIJN/dkJVMD+Q1kAFrg7RQgcHaNX0I9tOlfqdAIgfn8mzlx7v6ZxTPMHb2AL
3Bx/G8nO5xA+7LPsBwmjg68=
-----END CERTIFICATE-----
)";

std::string writeTemp(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "/rpcmon_syslog_" + std::to_string(getpid()) + "_" + name;
    std::ofstream(path) << text;
    return path;
}

std::string constructionError(const SyslogOptions& o) {
    try {
        SyslogSink sink(o);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(Syslog, TlsFilesCheckedAtStartWithoutTheirBytes) {
    std::string cert = writeTemp("cert.pem", kUnitCert);
    // What looks like a key but is not one: its text must not reach the error message.
    const std::string secret = "c2VjcmV0LWtleS1ieXRlcy1uZXZlci1sb2dnZWQ";
    std::string key = writeTemp("key.pem", "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");
    SyslogTlsOptions tls;
    tls.ca_file = cert;
    EXPECT_EQ(constructionError(parseSyslogSpec("tls://127.0.0.1:6514", tls)), "");  // a good CA bundle
    tls.ca_file = "/nonexistent/ca.pem";
    std::string e = constructionError(parseSyslogSpec("tls://127.0.0.1:6514", tls));
    EXPECT_NE(e.find("CA bundle /nonexistent/ca.pem"), std::string::npos) << e;
    tls.ca_file = cert;
    tls.cert_file = "/nonexistent/sensor.pem";
    tls.key_file = key;
    e = constructionError(parseSyslogSpec("tls://127.0.0.1:6514", tls));
    EXPECT_NE(e.find("client certificate /nonexistent/sensor.pem"), std::string::npos) << e;
    tls.cert_file = cert;
    e = constructionError(parseSyslogSpec("tls://127.0.0.1:6514", tls));
    EXPECT_NE(e.find("client key " + key), std::string::npos) << e;
    EXPECT_EQ(e.find(secret), std::string::npos) << e;
    EXPECT_EQ(e.find(secret.substr(0, 12)), std::string::npos) << e;
    std::remove(cert.c_str());
    std::remove(key.c_str());
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

Json numberedAlert(int i) {
    Json a = sampleAlert();
    a["flow_id"] = 1000 + i;
    return a;
}

// The flow ids of the octet-counted frames in a TCP byte stream (every frame must parse).
std::vector<int> framesIn(const std::string& bytes) {
    std::vector<int> ids;
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t sp = bytes.find(' ', pos);
        if (sp == std::string::npos) break;
        size_t len = std::stoul(bytes.substr(pos, sp - pos));
        if (sp + 1 + len > bytes.size()) break;  // a frame cut by the connection's end
        std::string frame = bytes.substr(sp + 1, len);
        size_t f = frame.find("flow_id=\"");
        ids.push_back(f == std::string::npos ? -1 : std::stoi(frame.substr(f + 9)));
        pos = sp + 1 + len;
    }
    return ids;
}

std::string readAll(int fd, int idle_ms) {
    std::string got;
    while (true) {
        std::string s = readSome(fd, idle_ms);
        if (s.empty()) return got;
        got += s;
    }
}

int acceptWithin(int lfd, int ms) {
    pollfd p{lfd, POLLIN, 0};
    return poll(&p, 1, ms) > 0 ? accept(lfd, nullptr, nullptr) : -1;
}

// The server restarts (closes the connection) between alerts: the sender notices before writing
// into the dead connection, reconnects, and every alert arrives once.
TEST(Syslog, ServerClosingTheConnectionLosesNothing) {
    uint16_t port = 0;
    int lfd = boundSocket(SOCK_STREAM, port);
    listen(lfd, 4);
    SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
    o.hostname = "h";
    o.retry_ms = 50;
    SyslogSink sink(o);
    sink.emit(numberedAlert(0));
    int c1 = acceptWithin(lfd, 2000);
    ASSERT_GE(c1, 0);
    ASSERT_TRUE(sink.drain(2000));
    std::vector<int> first = framesIn(readAll(c1, 200));
    close(c1);  // the "restart"
    usleep(100 * 1000);
    for (int i = 1; i < 6; i++) sink.emit(numberedAlert(i));
    int c2 = acceptWithin(lfd, 3000);
    ASSERT_GE(c2, 0);
    EXPECT_TRUE(sink.drain(3000));
    std::vector<int> second = framesIn(readAll(c2, 300));
    EXPECT_EQ(first, std::vector<int>({1000}));
    EXPECT_EQ(second, std::vector<int>({1001, 1002, 1003, 1004, 1005}));
    Json st = sink.stats();
    EXPECT_EQ(st["sent"], 6);
    EXPECT_EQ(st["pending"], 0);
    EXPECT_EQ(st["io_failures"], 1);
    EXPECT_EQ(st["connects"], 2);
    close(c2);
    close(lfd);
}

// A server that stops taking data (its receive window stays closed): what it did not acknowledge
// within io_timeout_ms is sent again on a new connection. Every alert arrives, none twice.
TEST(Syslog, UnacknowledgedAlertsAreSentAgain) {
    uint16_t port = 0;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 2048;  // a closed window soon: the kernel then holds the rest unacknowledged
    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
    listen(lfd, 4);
    SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
    o.hostname = "h";
    o.retry_ms = 50;
    o.io_timeout_ms = 300;
    SyslogSink sink(o);
    constexpr int kAlerts = 200;  // ~80 KB: far more than the closed window takes
    for (int i = 0; i < kAlerts; i++) sink.emit(numberedAlert(i));
    int c1 = acceptWithin(lfd, 2000);
    ASSERT_GE(c1, 0);
    // Not reading c1: the sender gives up on it after io_timeout_ms and reconnects.
    int c2 = acceptWithin(lfd, 5000);
    ASSERT_GE(c2, 0);
    std::string on_c2;
    std::thread reader([&] { on_c2 = readAll(c2, 1000); });
    EXPECT_TRUE(sink.drain(5000));
    reader.join();
    std::vector<int> got = framesIn(readAll(c1, 200));  // what the first connection did take
    size_t on_first = got.size();
    for (int id : framesIn(on_c2)) got.push_back(id);
    std::multiset<int> ids(got.begin(), got.end());
    for (int i = 0; i < kAlerts; i++) EXPECT_EQ(ids.count(1000 + i), 1u) << "alert " << i;
    EXPECT_EQ(got.size(), size_t(kAlerts));
    Json st = sink.stats();
    EXPECT_LT(on_first, size_t(kAlerts));
    EXPECT_GT(st["resent"].get<int>(), 0);
    EXPECT_EQ(st["io_failures"], 1);
    EXPECT_EQ(st["sent"], kAlerts);
    EXPECT_EQ(st["dropped"], 0);
    close(c1);
    close(c2);
    close(lfd);
}

// A server that never answers the connect (its accept queue is full, so SYNs are dropped): each
// attempt ends after io_timeout_ms, and shutting down does not wait for a pending attempt.
TEST(Syslog, ConnectIsBoundedAndStopDoesNotWaitForIt) {
    uint16_t port = 0;
    int lfd = boundSocket(SOCK_STREAM, port);
    listen(lfd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    int filler = socket(AF_INET, SOCK_STREAM, 0);  // takes the only accept-queue place
    ASSERT_EQ(connect(filler, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    usleep(50 * 1000);
    {
        SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
        o.retry_ms = 50;
        o.io_timeout_ms = 300;
        SyslogSink sink(o);
        sink.emit(sampleAlert());
        EXPECT_FALSE(sink.drain(1500));
        Json st = sink.stats();
        EXPECT_GE(st["connect_failures"].get<int>(), 2);
        EXPECT_EQ(st["pending"], 1);
    }
    auto t0 = std::chrono::steady_clock::now();
    {
        SyslogOptions o = parseSyslogSpec("tcp://127.0.0.1:" + std::to_string(port));
        o.retry_ms = 100;
        o.io_timeout_ms = 60000;  // an attempt that would hang for a minute
        SyslogSink sink(o);
        sink.emit(sampleAlert());
        usleep(200 * 1000);
    }  // the destructor: one retry period to drain, then the attempt is cut short
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
    close(filler);
    close(lfd);
}

// A collector that accepts the TCP connection but never answers the TLS handshake: each attempt
// ends after io_timeout_ms and is counted as a handshake failure; nothing is sent.
TEST(Syslog, TlsHandshakeIsBounded) {
    uint16_t port = 0;
    int lfd = boundSocket(SOCK_STREAM, port);
    listen(lfd, 8);  // the kernel completes the TCP handshake; nobody speaks TLS
    std::string ca = writeTemp("silent-ca.pem", kUnitCert);
    SyslogTlsOptions tls;
    tls.ca_file = ca;
    SyslogOptions o = parseSyslogSpec("tls://127.0.0.1:" + std::to_string(port), tls);
    o.retry_ms = 50;
    o.io_timeout_ms = 300;
    auto t0 = std::chrono::steady_clock::now();
    {
        SyslogSink sink(o);
        sink.emit(sampleAlert());
        EXPECT_FALSE(sink.drain(1200));
        Json st = sink.stats();
        EXPECT_GE(st["tls_handshake_failures"].get<int>(), 2);
        EXPECT_EQ(st["tls_verify_failures"], 0);
        EXPECT_EQ(st["sent"], 0);
        EXPECT_EQ(st["pending"], 1);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
    std::remove(ca.c_str());
    close(lfd);
}

}  // namespace
}  // namespace rpcmon::detect::test
