// SPDX-License-Identifier: Apache-2.0
// The agent's control socket: a Unix stream socket (default /run/rpcmon/rpcmon.sock) where
// `rpcmon top` and `rpcmon stats` ask for the live state. One request line in, one JSON line
// out, as many times as the client likes. Non-blocking, polled from the agent's own loop (no
// thread), a bounded number of clients with bounded buffers. Access is by file permissions:
// the socket is 0600 root:root, or 0660 root:GROUP with --control-group; a directory the agent
// creates for it is 0750 root:GROUP (a directory needs x to reach the socket inside); an
// existing world-writable directory without the sticky bit is refused.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "output/record.h"

namespace rpcmon::top {

inline constexpr const char* kDefaultControlSocket = "/run/rpcmon/rpcmon.sock";

struct ControlServerOptions {
    std::string path = kDefaultControlSocket;
    std::string group;                   // group allowed to connect (empty: root only)
    size_t max_clients = 16;             // more are told so and closed
    size_t max_request = 4096;           // bytes of one request line
    size_t max_pending = 32u << 20;      // unsent answer bytes before a stuck client is dropped
};

class ControlServer {
public:
    // Answers one request (parsed; a plain word W arrives as {"cmd": W}) with one JSON line.
    using Answer = std::function<Json(const Json& request)>;

    // Creates the socket. Throws std::runtime_error with the reason: unknown group, path taken
    // by a file that is not a socket, another agent already answering there, bind failure.
    explicit ControlServer(const ControlServerOptions& opts);
    ~ControlServer();  // closes every client and removes the socket file (if it is still ours)
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Accepts, reads, answers and writes without blocking; call it from the agent's loop.
    void poll(const Answer& answer);
    size_t clients() const { return clients_.size(); }
    // Connected clients that asked for BPF run-time stats ({"bpf_stats": true}).
    size_t bpfClients() const;
    const std::string& path() const { return opts_.path; }

private:
    struct Client {
        int fd = -1;
        std::string in, out;
        bool wants_bpf = false;
        bool close_after_write = false;
        bool dead = false;
    };
    void readFrom(Client& c, const Answer& answer);
    void writeTo(Client& c);

    ControlServerOptions opts_;
    int fd_ = -1;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
    std::vector<Client> clients_;
};

// The client side, used by `rpcmon top` and `rpcmon stats`: one connection, many requests.
class ControlClient {
public:
    // Connects. Throws std::runtime_error("no rpcmon agent at PATH: is `rpcmon agent` running?
    // (reason)") when nothing answers there.
    explicit ControlClient(const std::string& path);
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;
    // Sends one request and waits at most timeout_ms for its answer. Throws on error/timeout.
    Json request(const Json& req, int timeout_ms = 3000);

private:
    int fd_ = -1;
    std::string path_, buf_;
};

}  // namespace rpcmon::top
