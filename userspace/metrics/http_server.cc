// SPDX-License-Identifier: Apache-2.0
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rpcmon::metrics {
namespace {

// Bytes read and thrown away after the answer before the connection is closed anyway.
constexpr size_t kMaxDrain = 64 * 1024;
// Connections taken from the listen queue per poll: a flood waits in the kernel's queue
// instead of keeping the agent's loop here.
constexpr size_t kAcceptsPerPoll = 64;

const char* reason(int code) {
    switch (code) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 503: return "Service Unavailable";
    }
    return "Error";
}

// "127.0.0.1:9464", "[::1]:9464", "localhost:9464" -> host, port. Empty host refused: which
// addresses serve the metrics is a choice the operator makes explicitly (0.0.0.0 for all).
void splitAddress(const std::string& text, std::string& host, std::string& port) {
    auto bad = [&](const std::string& why) {
        return std::runtime_error("cannot listen on '" + text + "': " + why + " (expected ADDR:PORT, e.g. 127.0.0.1:9464)");
    };
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') throw bad("malformed [IPv6]:PORT");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) throw bad("no port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) throw bad("an IPv6 address goes in brackets");
    }
    if (host.empty()) throw bad("no address");
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoul(port) > 65535)
        throw bad("port must be a number from 0 to 65535");
}

std::string formatAddress(const sockaddr_storage& a) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (a.ss_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(&a);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
    }
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

bool isTokenChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

// "GET /metrics HTTP/1.1" -> method, target. False when it is not an HTTP/1.x request line.
bool parseRequestLine(const std::string& line, std::string& method, std::string& target) {
    auto s1 = line.find(' ');
    if (s1 == std::string::npos) return false;
    auto s2 = line.find(' ', s1 + 1);
    if (s2 == std::string::npos || line.find(' ', s2 + 1) != std::string::npos) return false;
    method = line.substr(0, s1);
    target = line.substr(s1 + 1, s2 - s1 - 1);
    std::string version = line.substr(s2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), isTokenChar)) return false;
    if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
            return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
        }))
        return false;
    return version == "HTTP/1.1" || version == "HTTP/1.0";
}

}  // namespace

Json HttpServerStats::toJson() const {
    return {{"connections", connections}, {"scrapes", scrapes},       {"not_found", not_found},
            {"method_not_allowed", method_not_allowed},            {"bad_requests", bad_requests},
            {"too_large", too_large},     {"timeouts", timeouts},     {"too_many_clients", too_many_clients},
            {"aborted", aborted},         {"write_errors", write_errors}};
}

HttpServer::HttpServer(const HttpServerOptions& opts) : opts_(opts) {
    std::string host, port;
    splitAddress(opts_.listen, host, port);
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res)
        throw std::runtime_error("cannot listen on " + opts_.listen + ": " + gai_strerror(rc));
    std::string why;
    for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            why = strerror(errno);
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart while old connections linger
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            why = strerror(errno);
            close(fd);
            continue;
        }
        fd_ = fd;
    }
    freeaddrinfo(res);
    if (fd_ < 0) throw std::runtime_error("cannot listen on " + opts_.listen + ": " + why);
    socklen_t len = sizeof bound_;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&bound_), &len);
}

HttpServer::~HttpServer() {
    for (auto& c : clients_) close(c.fd);
    if (fd_ >= 0) close(fd_);
}

std::string HttpServer::address() const { return formatAddress(bound_); }

int HttpServer::port() const {
    if (bound_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&bound_)->sin_port);
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound_)->sin6_port);
}

void HttpServer::poll(const Body& body, Clock::time_point now) {
    for (size_t i = 0; i < kAcceptsPerPoll; i++) {
        int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;  // EAGAIN: nobody else waiting (other errors: try again next poll)
        stats_.connections++;
        if (clients_.size() >= opts_.max_clients) {
            // Told once, without waiting for the client: it may retry later.
            stats_.too_many_clients++;
            std::string msg = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            ssize_t ignored = send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)ignored;
            close(fd);
            continue;
        }
        Client c;
        c.fd = fd;
        c.deadline = now + std::chrono::milliseconds(opts_.request_timeout_ms);
        clients_.push_back(std::move(c));
    }
    for (auto& c : clients_) {
        if (c.phase == Phase::Reading) readRequest(c, body, now);
        if (c.dead) continue;
        if (c.phase == Phase::Writing) writeAnswer(c, now);
        if (c.dead) continue;
        if (c.phase == Phase::Draining) drain(c);
        if (c.dead || now < c.deadline) continue;
        // Out of time: a slow or silent client is closed (counted); a finished answer whose
        // client has not closed yet is simply let go.
        if (c.phase != Phase::Draining) stats_.timeouts++;
        c.dead = true;
    }
    std::erase_if(clients_, [](const Client& c) {
        if (c.dead) close(c.fd);
        return c.dead;
    });
}

void HttpServer::readRequest(Client& c, const Body& body, Clock::time_point now) {
    char buf[4096];
    while (c.in.size() <= opts_.max_request) {
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            stats_.aborted++;
            c.dead = true;
            return;
        }
        if (n < 0) break;
        c.in.append(buf, size_t(n));
    }
    auto nl = c.in.find('\n');
    if (nl == std::string::npos) {
        if (c.in.size() > opts_.max_request) {
            stats_.too_large++;
            answer(c, 431, "request too large\n", now);
        }
        return;
    }
    std::string line = c.in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string method, target;
    // The request line is judged as soon as it is complete: garbage is answered at once.
    if (!parseRequestLine(line, method, target)) {
        stats_.bad_requests++;
        answer(c, 400, "not an HTTP/1.x request\n", now);
        return;
    }
    bool complete = c.in.find("\r\n\r\n") != std::string::npos || c.in.find("\n\n") != std::string::npos;
    if (!complete) {
        if (c.in.size() > opts_.max_request) {
            stats_.too_large++;
            answer(c, 431, "request too large\n", now);
        }
        return;
    }
    std::string path = target.substr(0, target.find('?'));
    if (method != "GET") {
        stats_.method_not_allowed++;
        answer(c, 405, "only GET " + opts_.path + "\n", now, "Allow: GET\r\n");
    } else if (path != opts_.path) {
        stats_.not_found++;
        answer(c, 404, "not found; the metrics are at " + opts_.path + "\n", now);
    } else {
        stats_.scrapes++;
        answer(c, 200, body(), now);
    }
}

void HttpServer::answer(Client& c, int code, const std::string& body, Clock::time_point now, const char* extra) {
    c.out = "HTTP/1.1 " + std::to_string(code) + " " + reason(code) + "\r\n";
    c.out += "Content-Type: " + (code == 200 ? opts_.content_type : std::string("text/plain; charset=utf-8")) + "\r\n";
    c.out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    c.out += extra;
    c.out += "Connection: close\r\n\r\n";
    c.out += body;
    c.in.clear();
    c.in.shrink_to_fit();
    c.phase = Phase::Writing;
    c.deadline = now + std::chrono::milliseconds(opts_.write_timeout_ms);
}

void HttpServer::writeAnswer(Client& c, Clock::time_point now) {
    while (!c.out.empty()) {
        ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            stats_.write_errors++;
            c.dead = true;
            return;
        }
        c.out.erase(0, size_t(n));
    }
    c.out.shrink_to_fit();
    shutdown(c.fd, SHUT_WR);
    c.phase = Phase::Draining;
    c.deadline = now + std::chrono::milliseconds(opts_.linger_ms);
}

void HttpServer::drain(Client& c) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        if (n <= 0) break;  // the client closed (done) or reset
        c.drained += size_t(n);
        if (c.drained > kMaxDrain) break;
    }
    c.dead = true;
}

}  // namespace rpcmon::metrics
