// SPDX-License-Identifier: Apache-2.0
#include "top/control_server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rpcmon::top {
namespace {

std::runtime_error sysError(const std::string& what) { return std::runtime_error(what + ": " + strerror(errno)); }

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path)
        throw std::runtime_error("control socket path too long (max " + std::to_string(sizeof a.sun_path - 1) +
                                 " bytes): " + path);
    std::memcpy(a.sun_path, path.data(), path.size());
    return a;
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

ControlServer::ControlServer(const ControlServerOptions& opts) : opts_(opts) {
    sockaddr_un addr = unixAddress(opts_.path);
    gid_t gid = 0;
    if (!opts_.group.empty()) {
        group* g = getgrnam(opts_.group.c_str());
        if (!g) throw std::runtime_error("no such group: " + opts_.group);
        gid = g->gr_gid;
    }
    // The directory: created 0750 root:GROUP when missing; an existing one (e.g. /tmp) is
    // never changed.
    std::string dir = dirOf(opts_.path);
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) throw sysError("control socket directory " + dir);
        if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) throw sysError("cannot create " + dir);
        if (chown(dir.c_str(), 0, gid) != 0 && geteuid() == 0) throw sysError("chown " + dir);
        chmod(dir.c_str(), 0750);
    } else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        // Anyone could replace the socket with their own and answer `rpcmon top` in our name.
        throw std::runtime_error("control socket directory " + dir + " is world-writable");
    }
    // Root only: 0600; with --control-group: 0660 root:GROUP.
    const mode_t mode = opts_.group.empty() ? 0600 : 0660;
    // A leftover socket from an agent that died is replaced; a live agent or another file is not.
    if (lstat(opts_.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(opts_.path + " exists and is not a socket");
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool alive = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0) close(probe);
        if (alive) throw std::runtime_error("another rpcmon agent is answering on " + opts_.path);
        unlink(opts_.path.c_str());
    }
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw sysError("control socket");
    // Created with its final mode (umask), so there is no moment where others could connect.
    mode_t old = umask(0777 & ~mode);
    int rc = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    umask(old);
    if (rc != 0 || listen(fd_, 16) != 0) {
        auto err = sysError("cannot listen on " + opts_.path);
        close(fd_);
        throw err;
    }
    if (chown(opts_.path.c_str(), 0, gid) != 0 && geteuid() == 0) {
        auto err = sysError("chown " + opts_.path);
        close(fd_);
        unlink(opts_.path.c_str());
        throw err;
    }
    chmod(opts_.path.c_str(), mode);
    if (stat(opts_.path.c_str(), &st) == 0) dev_ = st.st_dev, ino_ = st.st_ino;
}

ControlServer::~ControlServer() {
    for (auto& c : clients_) close(c.fd);
    if (fd_ >= 0) close(fd_);
    // Only remove the file if it is still the one we bound (not a newer agent's).
    struct stat st;
    if (stat(opts_.path.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) unlink(opts_.path.c_str());
}

size_t ControlServer::bpfClients() const {
    size_t n = 0;
    for (const auto& c : clients_) n += c.wants_bpf;
    return n;
}

void ControlServer::poll(const Answer& answer) {
    for (;;) {
        int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;  // EAGAIN: nobody else waiting (other errors: try again next poll)
        Client c;
        c.fd = fd;
        if (clients_.size() >= opts_.max_clients) {
            c.out = Json{{"error", "too many clients (" + std::to_string(opts_.max_clients) + ")"}}.dump() + "\n";
            c.close_after_write = true;
        }
        clients_.push_back(std::move(c));
    }
    for (auto& c : clients_) {
        if (!c.close_after_write) readFrom(c, answer);
        if (!c.dead && !c.out.empty()) writeTo(c);
        if (c.close_after_write && c.out.empty()) c.dead = true;
    }
    std::erase_if(clients_, [](const Client& c) {
        if (c.dead) close(c.fd);
        return c.dead;
    });
}

void ControlServer::readFrom(Client& c, const Answer& answer) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n == 0) {  // the client closed: nothing more to answer
            c.dead = true;
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.dead = true;
            break;
        }
        c.in.append(buf, size_t(n));
        if (c.in.size() > opts_.max_request + sizeof buf) break;
    }
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos) {
        std::string line = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        Json req = Json::parse(line, nullptr, false);
        if (req.is_string()) req = Json{{"cmd", req}};
        else if (req.is_discarded() || !req.is_object()) req = Json{{"cmd", line}};
        if (req.value("bpf_stats", false)) c.wants_bpf = true;
        Json reply;
        try {
            reply = answer(req);
        } catch (const std::exception& e) {
            reply = Json{{"error", e.what()}};
        }
        if (c.out.size() > opts_.max_pending) {  // not reading its answers: drop it
            c.dead = true;
            return;
        }
        c.out += reply.dump(-1, ' ', false, Json::error_handler_t::replace);
        c.out += '\n';
    }
    if (c.in.size() > opts_.max_request) {
        c.out += Json{{"error", "request too long"}}.dump() + "\n";
        c.in.clear();
        c.close_after_write = true;
    }
}

void ControlServer::writeTo(Client& c) {
    while (!c.out.empty()) {
        ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.dead = true;
            return;
        }
        c.out.erase(0, size_t(n));
    }
}

ControlClient::ControlClient(const std::string& path) : path_(path) {
    sockaddr_un addr = unixAddress(path);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw sysError("socket");
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::string why = strerror(errno);
        close(fd_);
        fd_ = -1;
        throw std::runtime_error("no rpcmon agent at " + path + ": is `rpcmon agent` running? (" + why + ")");
    }
}

ControlClient::~ControlClient() {
    if (fd_ >= 0) close(fd_);
}

Json ControlClient::request(const Json& req, int timeout_ms) {
    std::string line = req.dump() + "\n";
    for (size_t off = 0; off < line.size();) {
        ssize_t n = send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw sysError("agent at " + path_ + " went away");
        }
        off += size_t(n);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t nl;
    while ((nl = buf_.find('\n')) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("agent at " + path_ + " did not answer in time");
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, int(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[65536];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n == 0) throw std::runtime_error("agent at " + path_ + " closed the connection");
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            throw sysError("agent at " + path_);
        }
        buf_.append(buf, size_t(n));
    }
    std::string answer = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    Json j = Json::parse(answer, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("agent at " + path_ + " sent a malformed answer");
    if (j.is_object() && j.contains("error")) throw std::runtime_error("agent: " + j["error"].get<std::string>());
    return j;
}

}  // namespace rpcmon::top
