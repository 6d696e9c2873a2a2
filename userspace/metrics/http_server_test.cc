// SPDX-License-Identifier: Apache-2.0
// The metrics endpoint's HTTP server on a loopback port: GET /metrics answered; other paths,
// other methods, garbage, oversized and slow requests, too many clients and clients that do
// not read are each answered or closed and counted by name, and poll() never blocks.
#include "metrics/http_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace rpcmon::metrics {
namespace {

using namespace std::chrono_literals;
using Clock = HttpServer::Clock;

HttpServerOptions loopback() {
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    return o;
}

int connectTo(const HttpServer& s) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void sendAll(int fd, const std::string& s) { ASSERT_EQ(send(fd, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }

// Everything the server sends until it closes (the server is polled in between).
std::string readAll(int fd, HttpServer& s, const HttpServer::Body& body) {
    std::string out;
    char buf[65536];
    for (int i = 0; i < 200; i++) {
        s.poll(body);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) break;
        if (n > 0) out.append(buf, size_t(n));
        else std::this_thread::sleep_for(5ms);
    }
    return out;
}

std::string exchange(HttpServer& s, const std::string& request, const HttpServer::Body& body) {
    int fd = connectTo(s);
    sendAll(fd, request);
    std::string r = readAll(fd, s, body);
    close(fd);
    s.poll(body);  // the server sees the close and lets the connection go
    return r;
}

const HttpServer::Body kBody = [] { return std::string("rpcmon_x_total 1\n"); };

TEST(HttpServer, ServesGetMetrics) {
    HttpServer s(loopback());
    EXPECT_GT(s.port(), 0);
    EXPECT_EQ(s.address(), "127.0.0.1:" + std::to_string(s.port()));
    std::string r = exchange(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n", kBody);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("Content-Length: 17\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "rpcmon_x_total 1\n");
    // HTTP/1.0, bare LF line ends and a query string are fine too.
    r = exchange(s, "GET /metrics?x=1 HTTP/1.0\n\n", kBody);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_EQ(s.stats().scrapes, 2u);
    EXPECT_EQ(s.stats().connections, 2u);
    EXPECT_EQ(s.clients(), 0u);
}

TEST(HttpServer, OtherPathsMethodsAndGarbageAreAnsweredAndCounted) {
    HttpServer s(loopback());
    int bodies = 0;
    auto body = [&] { bodies++; return std::string("x\n"); };
    EXPECT_EQ(exchange(s, "GET / HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
    EXPECT_EQ(exchange(s, "GET /metricsx HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 404 ", 0), 0u);
    std::string r = exchange(s, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", body);
    EXPECT_EQ(r.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Allow: GET\r\n"), std::string::npos) << r;
    EXPECT_EQ(exchange(s, "HEAD /metrics HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 405 ", 0), 0u);
    // Not HTTP: answered as soon as the first line is complete, without waiting for headers.
    EXPECT_EQ(exchange(s, std::string("\x16\x03\x01\x02\x00garbage\n", 13), body).rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
    EXPECT_EQ(exchange(s, "GET /metrics HTTP/2.0\r\n", body).rfind("HTTP/1.1 400 ", 0), 0u);
    EXPECT_EQ(exchange(s, "GET  /metrics HTTP/1.1\r\n", body).rfind("HTTP/1.1 400 ", 0), 0u);
    EXPECT_EQ(exchange(s, "GET /a\x01 HTTP/1.1\r\n", body).rfind("HTTP/1.1 400 ", 0), 0u);
    EXPECT_EQ(s.stats().not_found, 2u);
    EXPECT_EQ(s.stats().method_not_allowed, 2u);
    EXPECT_EQ(s.stats().bad_requests, 4u);
    EXPECT_EQ(s.stats().scrapes, 0u);
    EXPECT_EQ(bodies, 0);  // the metrics are only made for a real scrape
    EXPECT_EQ(s.clients(), 0u);
}

TEST(HttpServer, OversizedRequestsAreRefused) {
    HttpServerOptions o = loopback();
    o.max_request = 1024;
    HttpServer s(o);
    // A first line that never ends, and headers that never end.
    EXPECT_EQ(exchange(s, std::string(5000, 'A'), kBody).rfind("HTTP/1.1 431 ", 0), 0u);
    std::string big = "GET /metrics HTTP/1.1\r\n";
    for (int i = 0; i < 100; i++) big += "X-Filler-" + std::to_string(i) + ": 0123456789012345678901234567890123456789\r\n";
    EXPECT_EQ(exchange(s, big, kBody).rfind("HTTP/1.1 431 ", 0), 0u);
    EXPECT_EQ(s.stats().too_large, 2u);
    EXPECT_EQ(s.stats().scrapes, 0u);
}

TEST(HttpServer, SlowAndSilentClientsAreClosedOnTime) {
    HttpServerOptions o = loopback();
    o.request_timeout_ms = 5000;
    HttpServer s(o);
    auto t0 = Clock::now();
    int silent = connectTo(s);
    int slow = connectTo(s);
    sendAll(slow, "GET /metr");  // and then nothing
    s.poll(kBody, t0);
    EXPECT_EQ(s.clients(), 2u);
    s.poll(kBody, t0 + 4s);
    EXPECT_EQ(s.clients(), 2u);
    EXPECT_EQ(s.stats().timeouts, 0u);
    s.poll(kBody, t0 + 6s);
    EXPECT_EQ(s.clients(), 0u);
    EXPECT_EQ(s.stats().timeouts, 2u);
    char c;
    EXPECT_LE(recv(slow, &c, 1, 0), 0);  // closed without an answer
    close(silent);
    close(slow);
    // And the server still answers.
    EXPECT_EQ(exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", kBody).rfind("HTTP/1.1 200 ", 0), 0u);
}

TEST(HttpServer, ClientThatDoesNotReadDoesNotBlockThePoll) {
    HttpServerOptions o = loopback();
    o.write_timeout_ms = 10000;
    HttpServer s(o);
    const std::string huge(64u << 20, 'x');  // far more than the socket buffers hold
    auto body = [&] { return huge; };
    int fd = connectTo(s);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sendAll(fd, "GET /metrics HTTP/1.1\r\n\r\n");
    auto t0 = Clock::now();
    auto wall = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; i++) s.poll(body, t0 + std::chrono::seconds(i));
    EXPECT_LT(std::chrono::steady_clock::now() - wall, 2s);  // never waited for the client
    EXPECT_EQ(s.clients(), 1u);
    s.poll(body, t0 + 11s);
    EXPECT_EQ(s.clients(), 0u);
    EXPECT_EQ(s.stats().timeouts, 1u);
    close(fd);
}

TEST(HttpServer, TooManyClientsAreTurnedAway) {
    HttpServerOptions o = loopback();
    o.max_clients = 2;
    HttpServer s(o);
    int a = connectTo(s), b = connectTo(s);
    s.poll(kBody);
    int c = connectTo(s);
    s.poll(kBody);
    EXPECT_EQ(s.clients(), 2u);
    EXPECT_EQ(s.stats().too_many_clients, 1u);
    std::string r;
    char buf[256];
    ssize_t n;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) r.append(buf, size_t(n));
    EXPECT_EQ(r.rfind("HTTP/1.1 503 ", 0), 0u) << r;
    // The two waiting ones are still served.
    sendAll(a, "GET /metrics HTTP/1.1\r\n\r\n");
    EXPECT_EQ(readAll(a, s, kBody).rfind("HTTP/1.1 200 ", 0), 0u);
    for (int fd : {a, b, c}) close(fd);
}

TEST(HttpServer, ClientsThatGoAwayEarlyAreCounted) {
    HttpServer s(loopback());
    int fd = connectTo(s);
    sendAll(fd, "GET /met");
    s.poll(kBody);
    close(fd);
    s.poll(kBody);
    EXPECT_EQ(s.clients(), 0u);
    EXPECT_EQ(s.stats().aborted, 1u);
    Json j = s.stats().toJson();
    EXPECT_EQ(j["aborted"], 1);
    EXPECT_EQ(j["connections"], 1);
}

TEST(HttpServer, BadAddressesAndBusyPortsThrowWithTheReason) {
    auto why = [](const std::string& listen) {
        HttpServerOptions o;
        o.listen = listen;
        try {
            HttpServer s(o);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    EXPECT_NE(why("9464").find("no port"), std::string::npos) << why("9464");
    EXPECT_NE(why(":9464").find("no address"), std::string::npos);
    EXPECT_NE(why("127.0.0.1:99999").find("port must be a number"), std::string::npos);
    EXPECT_NE(why("127.0.0.1:http").find("port must be a number"), std::string::npos);
    EXPECT_NE(why("::1:9464").find("brackets"), std::string::npos);
    EXPECT_NE(why("[::1:9464").find("malformed"), std::string::npos);
    EXPECT_NE(why("no-such-host.invalid:9464").find("cannot listen on no-such-host.invalid:9464"), std::string::npos);
    HttpServer taken(loopback());
    std::string busy = why("127.0.0.1:" + std::to_string(taken.port()));
    EXPECT_NE(busy.find("Address already in use"), std::string::npos) << busy;
    // IPv6 loopback, where the host has it.
    HttpServerOptions v6;
    v6.listen = "[::1]:0";
    try {
        HttpServer s(v6);
        EXPECT_EQ(s.address().rfind("[::1]:", 0), 0u) << s.address();
    } catch (const std::runtime_error&) {
    }
}

}  // namespace
}  // namespace rpcmon::metrics
