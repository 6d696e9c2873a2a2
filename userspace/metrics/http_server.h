// SPDX-License-Identifier: Apache-2.0
// A minimal HTTP/1.x server for one resource (GET /metrics), made to live inside the agent's
// own loop: non-blocking TCP, polled (no thread), one request per connection (Connection:
// close). Everything a client can make it hold is bounded: the number of connections, the
// request size, the time to send the request and to take the answer. What it refuses is
// counted by name (stats()) and the connection closed; nothing a client sends can block the
// loop that calls poll().
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "output/record.h"

namespace rpcmon::metrics {

struct HttpServerOptions {
    std::string listen;                 // "127.0.0.1:9464", "[::1]:9464", "localhost:9464" (port 0: any)
    std::string path = "/metrics";      // the one resource served
    std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
    size_t max_clients = 16;            // more are answered 503 and closed
    size_t max_request = 8192;          // request line + headers; more: 431
    int request_timeout_ms = 5000;      // to send the whole request (slow clients: closed)
    int write_timeout_ms = 10000;       // to take the whole answer
    int linger_ms = 1000;               // after the answer, read what the client still sends
                                        // until it closes (closing with unread bytes sends a
                                        // RST that can destroy the answer in flight)
};

// Every outcome of a connection, by name (exported as rpcmon_metrics_http_*_total).
struct HttpServerStats {
    uint64_t connections = 0;       // accepted
    uint64_t scrapes = 0;           // 200 answers
    uint64_t not_found = 0;         // 404: another path
    uint64_t method_not_allowed = 0;// 405: not GET
    uint64_t bad_requests = 0;      // 400: not an HTTP request line
    uint64_t too_large = 0;         // 431: request over max_request
    uint64_t timeouts = 0;          // request or answer not done in time: closed
    uint64_t too_many_clients = 0;  // 503: over max_clients
    uint64_t aborted = 0;           // closed (or reset) by the client before a whole request
    uint64_t write_errors = 0;      // the answer could not be sent
    Json toJson() const;
};

class HttpServer {
public:
    // The body of a 200 answer, made when a request for `path` is complete.
    using Body = std::function<std::string()>;
    using Clock = std::chrono::steady_clock;

    // Resolves and binds. Throws std::runtime_error("cannot listen on ADDR: reason") for a
    // malformed address, a name that does not resolve, or a failed bind/listen.
    explicit HttpServer(const HttpServerOptions& opts);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Accepts, reads, answers, writes and expires without blocking.
    void poll(const Body& body) { poll(body, Clock::now()); }
    void poll(const Body& body, Clock::time_point now);  // (tests drive the clock)

    const HttpServerStats& stats() const { return stats_; }
    size_t clients() const { return clients_.size(); }
    std::string address() const;  // what it is bound to, "127.0.0.1:9464" (the real port for 0)
    int port() const;

private:
    enum class Phase { Reading, Writing, Draining };
    struct Client {
        int fd = -1;
        Phase phase = Phase::Reading;
        std::string in, out;
        Clock::time_point deadline;
        size_t drained = 0;
        bool dead = false;
    };
    void readRequest(Client& c, const Body& body, Clock::time_point now);
    void answer(Client& c, int code, const std::string& body, Clock::time_point now, const char* extra = "");
    void writeAnswer(Client& c, Clock::time_point now);
    void drain(Client& c);

    HttpServerOptions opts_;
    int fd_ = -1;
    sockaddr_storage bound_{};
    std::vector<Client> clients_;
    HttpServerStats stats_;
};

}  // namespace rpcmon::metrics
