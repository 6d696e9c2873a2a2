// SPDX-License-Identifier: Apache-2.0
#include "detect/syslog_sink.h"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rpcmon::detect {
namespace {

// RFC 5424 6.3.3: inside PARAM-VALUE, '"', '\' and ']' must be escaped.
std::string sdEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\' || c == ']') o.push_back('\\');
        o.push_back(c);
    }
    return o;
}

std::string joinList(const Json& v) {
    std::string o;
    if (!v.is_array()) return o;
    for (const auto& e : v) {
        if (!o.empty()) o += ",";
        o += e.is_string() ? e.get<std::string>() : e.dump();
    }
    return o;
}

std::string str(const Json& j, const char* k) {
    if (!j.contains(k)) return {};
    return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
}

// RFC 5424 printable-ASCII fields (HOSTNAME, APP-NAME): no spaces, 1..255 chars, "-" when empty.
std::string token(std::string s, size_t max) {
    for (char& c : s)
        if (c <= 32 || c >= 127) c = '_';
    if (s.empty()) return "-";
    return s.substr(0, max);
}

}  // namespace

const char* const kTlsOptionsNeedTls =
    "syslog: --syslog-ca, --syslog-cert, --syslog-key and --syslog-name need --syslog tls://HOST:PORT";

SyslogOptions parseSyslogSpec(const std::string& spec, const SyslogTlsOptions& tls) {
    SyslogOptions o;
    std::string rest;
    if (spec == "local" || spec.rfind("local:", 0) == 0) {
        if (spec != "local") {
            o.local_path = spec.substr(6);
            if (o.local_path.empty()) throw std::invalid_argument("syslog: empty socket path");
        }
    } else if (spec.rfind("udp://", 0) == 0) {
        o.transport = SyslogOptions::Transport::Udp, rest = spec.substr(6);
    } else if (spec.rfind("tcp://", 0) == 0) {
        o.transport = SyslogOptions::Transport::Tcp, rest = spec.substr(6);
    } else if (spec.rfind("tls://", 0) == 0) {
        o.transport = SyslogOptions::Transport::Tls, rest = spec.substr(6);
    } else {
        throw std::invalid_argument(
            "syslog: expected local, local:PATH, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT");
    }
    if (o.transport != SyslogOptions::Transport::Tls && !tls.empty())
        throw std::invalid_argument(kTlsOptionsNeedTls);
    if (tls.cert_file.empty() != tls.key_file.empty())
        throw std::invalid_argument("syslog: --syslog-cert and --syslog-key go together (certificate and its key)");
    o.tls = tls;
    if (o.transport == SyslogOptions::Transport::Local) return o;
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) throw std::invalid_argument("syslog: missing :PORT in " + spec);
    o.host = rest.substr(0, colon);
    if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    int port = 0;
    try {
        size_t pos = 0;
        port = std::stoi(rest.substr(colon + 1), &pos);
        if (pos != rest.size() - colon - 1) port = 0;
    } catch (...) {
    }
    if (port <= 0 || port > 65535) throw std::invalid_argument("syslog: bad port in " + spec);
    o.port = uint16_t(port);
    if (o.transport == SyslogOptions::Transport::Tls && o.tls.server_name.empty()) o.tls.server_name = o.host;
    return o;
}

std::string formatRfc5424(const Json& alert, const SyslogOptions& opts, int pid) {
    const Json& a = alert.contains("alert") ? alert["alert"] : Json::object();
    int sev = a.value("severity", 3);
    // EVE severity 1 (high) .. 3 (low) -> syslog 2 crit, 4 warning, 5 notice.
    int syslog_sev = sev <= 1 ? 2 : sev == 2 ? 4 : 5;
    int pri = opts.facility * 8 + syslog_sev;
    std::string host = opts.hostname;
    if (host.empty()) {
        char buf[256] = {};
        gethostname(buf, sizeof buf - 1);
        host = buf;
    }
    // EVE "2026-11-24T09:18:01.123456+0000" -> RFC 3339 "2026-11-24T09:18:01.123456Z".
    std::string ts = str(alert, "timestamp");
    if (ts.size() > 5 && ts.compare(ts.size() - 5, 5, "+0000") == 0) ts = ts.substr(0, ts.size() - 5) + "Z";
    if (ts.empty()) ts = "-";
    std::string sd = "[rpcmon@32473";
    auto param = [&](const char* name, const std::string& v) {
        if (!v.empty()) sd += std::string(" ") + name + "=\"" + sdEscape(v) + "\"";
    };
    param("sid", str(a, "signature_id"));
    param("rev", str(a, "rev"));
    param("severity", str(a, "severity"));
    param("kind", str(a, "kind"));
    param("rule", str(a, "rule"));
    param("category", str(a, "category"));
    if (a.contains("metadata")) {
        param("technique", joinList(a["metadata"].value("mitre_technique_id", Json::array())));
        param("tactic", joinList(a["metadata"].value("mitre_tactic", Json::array())));
    }
    param("count", str(a, "count"));
    param("src", str(alert, "src_ip"));
    param("sport", str(alert, "src_port"));
    param("dst", str(alert, "dest_ip"));
    param("dport", str(alert, "dest_port"));
    param("proto", str(alert, "proto"));
    param("flow_id", str(alert, "flow_id"));
    sd += "]";
    std::string msg = str(a, "signature");
    return "<" + std::to_string(pri) + ">1 " + ts + " " + token(host, 255) + " " + token(opts.app_name, 48) + " " +
           std::to_string(pid) + " ALERT " + sd + (msg.empty() ? "" : " " + msg);
}

namespace {

using Clock = std::chrono::steady_clock;

// The OpenSSL error queue as one line (library reasons only: never key or certificate bytes).
std::string sslErrors(const char* fallback) {
    std::string o;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!o.empty()) o += "; ";
        o += buf;
    }
    return o.empty() ? fallback : o;
}

bool isIpLiteral(const std::string& s) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

int msLeft(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : int(std::min<long long>(left, 1 << 30));
}

}  // namespace

// The SSL_CTX every connection is made from: TLS 1.2 or later, the server's chain verified
// against the CA bundle (or the system store), the client certificate when one is given.
class TlsContext {
public:
    explicit TlsContext(const SyslogTlsOptions& o) : ctx_(SSL_CTX_new(TLS_client_method())) {
        ERR_clear_error();
        if (!ctx_) throw std::invalid_argument("syslog: TLS: " + sslErrors("cannot create a context"));
        SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);  // RFC 9662 (updates RFC 5425)
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        // A passphrase-protected key fails here instead of prompting on the agent's terminal.
        SSL_CTX_set_default_passwd_cb(ctx_, [](char*, int, int, void*) { return 0; });
        bool ca_ok = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_) == 1
                                       : SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr) == 1;
        if (!ca_ok) fail("cannot load the CA bundle " + (o.ca_file.empty() ? "(system store)" : o.ca_file));
        if (!o.cert_file.empty()) {
            if (SSL_CTX_use_certificate_chain_file(ctx_, o.cert_file.c_str()) != 1)
                fail("cannot load the client certificate " + o.cert_file);
            if (SSL_CTX_use_PrivateKey_file(ctx_, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
                unsigned long e = ERR_peek_last_error();
                if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
                    fail("the client key " + o.key_file + " does not match the certificate " + o.cert_file);
                fail("cannot load the client key " + o.key_file + " (PEM, not passphrase-protected)");
            }
            if (SSL_CTX_check_private_key(ctx_) != 1)
                fail("the client key " + o.key_file + " does not match the certificate " + o.cert_file);
        }
    }
    ~TlsContext() { SSL_CTX_free(ctx_); }
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;
    SSL_CTX* get() const { return ctx_; }

private:
    [[noreturn]] void fail(const std::string& what) {
        std::string why = sslErrors("unknown error");
        SSL_CTX_free(ctx_);
        ctx_ = nullptr;
        throw std::invalid_argument("syslog: TLS: " + what + ": " + why);
    }
    SSL_CTX* ctx_;
};

// One connection to the syslog server, used by the sender thread only. Every wait is bounded by
// io_timeout_ms and ends early at stop (the wake eventfd), so the agent never hangs on a
// black-holed or slow server, at exit included.
class Connection {
public:
    Connection(const SyslogOptions& o, TlsContext* tls, int wake_fd, const std::atomic<bool>& stopping)
        : o_(o), tls_(tls), wake_fd_(wake_fd), stopping_(stopping) {}
    ~Connection() { close(); }

    bool isOpen() const { return fd_ >= 0; }
    bool stream() const {
        return o_.transport == SyslogOptions::Transport::Tcp || o_.transport == SyslogOptions::Transport::Tls;
    }

    // Connects (and for TLS, handshakes and verifies). On failure the socket is closed and why
    // and reason tell what went wrong.
    bool open(SyslogSink::Failure& why, std::string& reason) {
        close();
        why = SyslogSink::Failure::Connect;
        auto deadline = Clock::now() + std::chrono::milliseconds(o_.io_timeout_ms);
        if (o_.transport == SyslogOptions::Transport::Local) {
            fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::strncpy(sa.sun_path, o_.local_path.c_str(), sizeof sa.sun_path - 1);
            if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
                return fail(reason, o_.local_path + ": " + std::strerror(errno));
            return true;
        }
        addrinfo hints{}, *res = nullptr;
        hints.ai_socktype = o_.transport == SyslogOptions::Transport::Udp ? SOCK_DGRAM : SOCK_STREAM;
        int gai = getaddrinfo(o_.host.c_str(), std::to_string(o_.port).c_str(), &hints, &res);
        if (gai != 0 || !res) return fail(reason, o_.host + ": " + gai_strerror(gai));
        std::string err = "no address";
        for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
            fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fd_ < 0) {
                err = std::strerror(errno);
                continue;
            }
            if (::connect(fd_, ai->ai_addr, ai->ai_addrlen) != 0 && !connectWait(deadline, err)) close();
        }
        freeaddrinfo(res);
        if (fd_ < 0) return fail(reason, err);
        if (o_.transport != SyslogOptions::Transport::Tls) return true;
        why = SyslogSink::Failure::TlsHandshake;
        return handshake(deadline, why, reason);
    }

    // Writes one whole frame; false (with the reason) when the connection broke or the frame
    // could not go out within io_timeout_ms. The caller closes: acked() still answers until then.
    bool write(const std::string& frame, std::string& reason) {
        auto deadline = Clock::now() + std::chrono::milliseconds(o_.io_timeout_ms);
        if (ssl_) {
            ERR_clear_error();
            while (true) {
                // Not partial-write mode: success means the whole frame went out as records;
                // a retry after WANT_* repeats the same buffer, as OpenSSL requires.
                int n = SSL_write(ssl_, frame.data(), int(frame.size()));
                if (n > 0) return true;
                int e = SSL_get_error(ssl_, n);
                if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) return broken(reason, sslIoError(e));
                if (!waitFd(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, reason)) return false;
            }
        }
        size_t off = 0;
        while (off < frame.size()) {
            ssize_t n = ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) return broken(reason, std::strerror(errno));
                if (!waitFd(POLLOUT, deadline, reason)) return false;
                continue;
            }
            written_ += uint64_t(n);
            off += size_t(n);
            if (!stream()) break;  // datagram: all or nothing
        }
        return true;
    }

    // Bytes handed to the kernel on this connection (TLS: record bytes, handshake included).
    uint64_t written() const { return ssl_ ? BIO_number_written(SSL_get_wbio(ssl_)) : written_; }
    // Of those, the bytes the server's TCP stack acknowledged; datagrams count as soon as sent.
    uint64_t acked() const {
        if (!stream()) return written();
        int outq = 0;
        if (ioctl(fd_, SIOCOUTQ, &outq) != 0) return 0;
        uint64_t w = written();
        return uint64_t(outq) >= w ? 0 : w - uint64_t(outq);
    }

    // Non-blocking: false when the server closed or reset the connection or sent a TLS alert
    // (the caller closes). Data the server sends (TLS 1.3 session tickets) is read and ignored.
    bool alive(std::string& reason) {
        if (!stream()) return true;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return true;
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
            return broken(reason, err ? std::strerror(err) : "the server closed the connection");
        }
        char buf[4096];
        while (true) {
            if (ssl_) {
                ERR_clear_error();
                int n = SSL_read(ssl_, buf, sizeof buf);
                if (n > 0) continue;
                int e = SSL_get_error(ssl_, n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
                return broken(reason, sslIoError(e));
            }
            ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
            if (n < 0 && errno == EINTR) continue;
            return broken(reason, n == 0 ? "the server closed the connection" : std::strerror(errno));
        }
    }

    // Sleeps up to ms or until the server sends something or closes (or stop).
    void waitEvent(int ms) {
        pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        ::poll(p, 2, ms);
    }

    // At shutdown, on the sender thread: a TLS close_notify (one non-blocking write, no wait for
    // the answer) so the collector sees an orderly end rather than a truncated session.
    void goodbye() {
        if (ssl_ && fd_ >= 0) {
            ERR_clear_error();
            SSL_shutdown(ssl_);
            ERR_clear_error();
        }
        close();
    }

    void close() {
        if (ssl_) SSL_free(ssl_);  // no close_notify: the server may be gone (see goodbye())
        ssl_ = nullptr;
        int outq = 0;
        if (fd_ >= 0 && stream() && ioctl(fd_, SIOCOUTQ, &outq) == 0 && outq > 0) {
            // Unacknowledged bytes are re-sent on the next connection: reset this one so the
            // kernel does not deliver them as well (a duplicate) after we gave up on it.
            linger l{1, 0};
            setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        written_ = 0;
    }

private:
    static bool broken(std::string& reason, std::string why) {
        reason = std::move(why);
        return false;
    }
    bool fail(std::string& reason, std::string why) {
        close();
        return broken(reason, std::move(why));
    }

    // Waits for fd_ to be ready for events; false at the deadline or at stop.
    bool waitFd(short events, Clock::time_point deadline, std::string& reason) {
        while (true) {
            if (stopping_.load()) {
                reason = "stopping";
                return false;
            }
            int left = msLeft(deadline);
            if (left == 0) {
                reason = "timed out after " + std::to_string(o_.io_timeout_ms) + " ms";
                return false;
            }
            pollfd p[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
            int n = ::poll(p, 2, left);
            if (n < 0 && errno != EINTR) {
                reason = std::strerror(errno);
                return false;
            }
            if (n > 0 && p[0].revents) return true;
        }
    }

    bool connectWait(Clock::time_point deadline, std::string& err) {
        if (errno != EINPROGRESS) {
            err = std::strerror(errno);
            return false;
        }
        if (!waitFd(POLLOUT, deadline, err)) return false;
        int so = 0;
        socklen_t len = sizeof so;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so, &len);
        if (so != 0) err = std::strerror(so);
        return so == 0;
    }

    bool handshake(Clock::time_point deadline, SyslogSink::Failure& why, std::string& reason) {
        ERR_clear_error();
        ssl_ = SSL_new(tls_->get());
        if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return fail(reason, sslErrors("cannot create a TLS session"));
        const std::string& name = o_.tls.server_name;
        // The name to verify: an IP literal against the certificate's IP SANs, else a DNS name
        // (also sent as SNI so a collector with several certificates picks the right one).
        bool named = isIpLiteral(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str()) == 1
                                       : SSL_set1_host(ssl_, name.c_str()) == 1 &&
                                             SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1;
        if (!named) return fail(reason, "cannot verify the name " + name + ": " + sslErrors("invalid name"));
        SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        while (true) {
            int r = SSL_connect(ssl_);
            if (r == 1) break;
            int e = SSL_get_error(ssl_, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (waitFd(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, reason)) continue;
                return fail(reason, "TLS handshake " + reason);
            }
            long v = SSL_get_verify_result(ssl_);
            if (v != X509_V_OK) {
                why = SyslogSink::Failure::TlsVerify;
                std::string detail = X509_verify_cert_error_string(v);
                if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
                    detail += " (expected " + name + ")";
                ERR_clear_error();
                return fail(reason, "server certificate refused: " + detail);
            }
            return fail(reason, "TLS handshake failed: " + sslIoError(e));
        }
        // TLS 1.3 (and rsyslog's own peer checks): the server may still refuse us right after
        // the handshake. Alerts written before it does would be acknowledged by TCP and
        // discarded by the server, so watch for a refusal first.
        auto settle = Clock::now() + std::chrono::milliseconds(o_.tls_settle_ms);
        while (int left = msLeft(settle)) {
            if (stopping_.load()) return fail(reason, "stopping");
            waitEvent(left);
            std::string r;
            if (!alive(r)) return fail(reason, "the server refused the connection after the handshake: " + r);
        }
        return true;
    }

    std::string sslIoError(int e) {
        if (e == SSL_ERROR_ZERO_RETURN) return "the server closed the TLS session";
        unsigned long last = ERR_peek_last_error();
        if (ERR_GET_LIB(last) == ERR_LIB_SSL && ERR_GET_REASON(last) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            return "the server closed the connection (without TLS close_notify)";
        }
        std::string q = sslErrors("");
        if (!q.empty()) return q;
        if (e == SSL_ERROR_SYSCALL) return errno ? std::strerror(errno) : "the server closed the connection";
        return "TLS error " + std::to_string(e);
    }

    const SyslogOptions& o_;
    TlsContext* tls_;
    int wake_fd_;
    const std::atomic<bool>& stopping_;
    int fd_ = -1;
    SSL* ssl_ = nullptr;
    uint64_t written_ = 0;
};

// The sender thread starts with the first alert, not here: the agent drops its capabilities
// after start-up, and capabilities are per thread (a thread started before would keep them).
SyslogSink::SyslogSink(SyslogOptions opts) : opts_(std::move(opts)), pid_(int(getpid())) {
    const char* scheme[] = {"local:", "udp://", "tcp://", "tls://"};
    std::string host = opts_.host.find(':') != std::string::npos ? "[" + opts_.host + "]" : opts_.host;  // IPv6
    target_ = scheme[int(opts_.transport)] + (opts_.transport == SyslogOptions::Transport::Local
                                                  ? opts_.local_path
                                                  : host + ":" + std::to_string(opts_.port));
    if (opts_.transport == SyslogOptions::Transport::Tls) tls_ = std::make_shared<TlsContext>(opts_.tls);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::runtime_error(std::string("syslog: eventfd: ") + std::strerror(errno));
    conn_ = std::make_unique<Connection>(opts_, tls_.get(), wake_fd_, stopping_);
}

SyslogSink::~SyslogSink() {
    if (worker_.joinable()) {
        if (!drain(opts_.retry_ms)) {
            std::lock_guard<std::mutex> g(mu_);
            spdlog::error("syslog: {}: {} alerts not delivered at exit (server unreachable)", target_, pendingLocked());
        }
        {
            std::lock_guard<std::mutex> g(mu_);
            stopping_ = true;
        }
        wake();
        cv_.notify_all();
        worker_.join();
    }
    conn_.reset();
    ::close(wake_fd_);
}

void SyslogSink::wake() {
    uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;  // only fails when the counter is already huge: the sender is awake then anyway
}

void SyslogSink::emit(Json&& record) {
    if (!record.is_object() || record.value("event_type", "") != "alert") return;
    std::string line = formatRfc5424(record, opts_, pid_);
    {
        std::lock_guard<std::mutex> g(mu_);
        if (pendingLocked() >= opts_.queue_size) {
            // Keep the newest alerts: the oldest were already late. What was written but not yet
            // acknowledged is dropped only when nothing unwritten is left to drop.
            if (!queue_.empty()) queue_.pop_front();
            else if (!inflight_.empty()) inflight_.pop_front();
            dropped_++;
        }
        queue_.push_back({std::move(line), 0});
        queued_++;
        if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
    }
    cv_.notify_one();
}

// While draining (exit), the server is tried every retry_ms again, whatever the back-off had grown to.
bool SyslogSink::drain(uint32_t timeout_ms) {
    std::unique_lock<std::mutex> lk(mu_);
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (pendingLocked() > 0) {
        auto now = Clock::now();
        if (now >= deadline) return false;
        hurry_ = true;
        cv_.notify_all();
        Clock::duration step = std::chrono::milliseconds(std::max<uint32_t>(opts_.retry_ms, 1));
        step = std::min(step, Clock::duration(deadline - now));
        drained_.wait_for(lk, step, [&] { return pendingLocked() == 0; });
    }
    return true;
}

void SyslogSink::confirmAcked() {
    if (inflight_.empty()) return;
    uint64_t acked = conn_->acked();
    while (!inflight_.empty() && inflight_.front().end <= acked) {
        inflight_.pop_front();
        sent_++;
    }
    if (pendingLocked() == 0) drained_.notify_all();
}

// After a broken connection: what it did not confirm goes back to the front, oldest first (the
// server may have received some of it: at least once, never lost), within the queue bound.
void SyslogSink::requeueInflight() {
    resent_ += inflight_.size();
    while (!inflight_.empty()) {
        queue_.push_front(std::move(inflight_.back()));
        inflight_.pop_back();
    }
    while (pendingLocked() > opts_.queue_size && !queue_.empty()) {
        queue_.pop_front();
        dropped_++;
    }
}

// A connection broke: keep what the server acknowledged before, re-queue the rest, back off.
void SyslogSink::lost(const std::string& reason, std::unique_lock<std::mutex>& lk) {
    confirmAcked();
    conn_->close();
    requeueInflight();
    failed(Failure::Io, reason, lk);
}

void SyslogSink::failed(Failure why, const std::string& reason, std::unique_lock<std::mutex>& lk) {
    if (stopping_) return;  // an I/O wait cut short by the destructor: not a server failure
    send_errors_++;
    switch (why) {
    case Failure::Connect: connect_failures_++; break;
    case Failure::TlsVerify: tls_verify_failures_++; break;
    case Failure::TlsHandshake: tls_handshake_failures_++; break;
    case Failure::Io: io_failures_++; break;
    }
    outage_attempts_++;
    // Once per outage (and again only if the reason changes kind), never per retry.
    if (!in_outage_ || why != outage_kind_)
        spdlog::warn("syslog: {}: {}; {} alerts kept in the queue, retrying", target_, reason, pendingLocked());
    in_outage_ = true;
    outage_kind_ = why;
    drained_.notify_all();
    uint32_t longest = std::max(opts_.max_retry_ms, opts_.retry_ms);
    backoff_ms_ = backoff_ms_ == 0 ? opts_.retry_ms : std::min(backoff_ms_ * 2, longest);
    if (!hurry_) cv_.wait_for(lk, std::chrono::milliseconds(backoff_ms_), [&] { return stopping_.load() || hurry_; });
    hurry_ = false;
}

void SyslogSink::run() {
    static constexpr int kAckPollMs = 20;  // how often unacknowledged bytes are checked
    // OpenSSL writes to the socket without MSG_NOSIGNAL: a server gone away must be an EPIPE
    // error here, not a SIGPIPE that ends an embedding program that did not ignore it.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    std::unique_lock<std::mutex> lk(mu_);
    uint64_t last_acked = 0;
    Clock::time_point ack_progress = Clock::now();
    while (true) {
        cv_.wait(lk, [&] { return stopping_.load() || pendingLocked() > 0; });
        if (stopping_) {
            conn_->goodbye();
            return;
        }
        if (!conn_->isOpen()) {
            Failure why;
            std::string reason;
            reconnects_++;
            lk.unlock();
            bool ok = conn_->open(why, reason);
            lk.lock();
            if (!ok) {
                failed(why, reason, lk);
                continue;
            }
            if (in_outage_)
                spdlog::info("syslog: {}: connected after {} failed attempts; delivering {} queued alerts", target_,
                             outage_attempts_, pendingLocked());
            in_outage_ = false;
            outage_attempts_ = 0;
            backoff_ms_ = 0;
            last_acked = 0;
            ack_progress = Clock::now();
        }
        confirmAcked();
        std::string reason;
        if (!queue_.empty()) {
            // A server that restarted closed this connection: find out before writing into it.
            lk.unlock();
            bool alive = conn_->alive(reason);
            lk.lock();
            if (!alive) {
                lost(reason, lk);
                continue;
            }
            Pending p = std::move(queue_.front());
            queue_.pop_front();
            in_hand_ = true;
            lk.unlock();
            // Stream transports frame by octet counting: RFC 5425 4.3 (TLS), RFC 6587 3.4.1 (TCP).
            bool ok = conn_->write(conn_->stream() ? std::to_string(p.line.size()) + " " + p.line : p.line, reason);
            p.end = conn_->written();
            lk.lock();
            in_hand_ = false;
            if (!ok) {
                queue_.push_front(std::move(p));
                lost(reason, lk);
                continue;
            }
            inflight_.push_back(std::move(p));
            ack_progress = Clock::now();  // the server has io_timeout_ms from now to acknowledge it
            confirmAcked();
            continue;
        }
        // Everything is written: wait for the server's acknowledgements, a new alert, or the
        // connection to break (then what it did not acknowledge is sent again).
        uint64_t acked = conn_->acked();
        if (acked != last_acked) last_acked = acked, ack_progress = Clock::now();
        if (Clock::now() - ack_progress > std::chrono::milliseconds(opts_.io_timeout_ms)) {
            lost("no acknowledgement from the server for " + std::to_string(opts_.io_timeout_ms) + " ms", lk);
            continue;
        }
        lk.unlock();
        conn_->waitEvent(kAckPollMs);
        bool alive = conn_->alive(reason);
        lk.lock();
        if (!alive) lost(reason, lk);
    }
}

Json SyslogSink::stats() const {
    std::lock_guard<std::mutex> g(mu_);
    return {{"queued", queued_.load()},
            {"sent", sent_.load()},
            {"dropped", dropped_.load()},
            {"send_errors", send_errors_.load()},
            {"connects", reconnects_.load()},
            {"pending", pendingLocked()},
            {"resent", resent_.load()},
            {"connect_failures", connect_failures_.load()},
            {"tls_verify_failures", tls_verify_failures_.load()},
            {"tls_handshake_failures", tls_handshake_failures_.load()},
            {"io_failures", io_failures_.load()}};
}

}  // namespace rpcmon::detect
