// SPDX-License-Identifier: Apache-2.0
#include "detect/syslog_sink.h"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

SyslogOptions parseSyslogSpec(const std::string& spec) {
    SyslogOptions o;
    if (spec == "local") return o;
    if (spec.rfind("local:", 0) == 0) {
        o.local_path = spec.substr(6);
        if (o.local_path.empty()) throw std::invalid_argument("syslog: empty socket path");
        return o;
    }
    std::string rest;
    if (spec.rfind("udp://", 0) == 0) o.transport = SyslogOptions::Transport::Udp, rest = spec.substr(6);
    else if (spec.rfind("tcp://", 0) == 0) o.transport = SyslogOptions::Transport::Tcp, rest = spec.substr(6);
    else throw std::invalid_argument("syslog: expected local, local:PATH, udp://HOST:PORT or tcp://HOST:PORT");
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

// The sender thread starts with the first alert, not here: the agent drops its capabilities
// after start-up, and capabilities are per thread (a thread started before would keep them).
SyslogSink::SyslogSink(SyslogOptions opts) : opts_(std::move(opts)), pid_(int(getpid())) {}

SyslogSink::~SyslogSink() {
    if (!worker_.joinable()) return;  // no alert ever: nothing queued, no socket
    if (!drain(opts_.retry_ms)) {
        std::lock_guard<std::mutex> g(mu_);
        spdlog::error("syslog: {} alerts not delivered at exit (server unreachable)", queue_.size());
    }
    {
        std::lock_guard<std::mutex> g(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
    closeSocket();
}

void SyslogSink::emit(Json&& record) {
    if (!record.is_object() || record.value("event_type", "") != "alert") return;
    std::string line = formatRfc5424(record, opts_, pid_);
    {
        std::lock_guard<std::mutex> g(mu_);
        if (queue_.size() >= opts_.queue_size) {
            queue_.pop_front();  // keep the newest alerts: the oldest were already late
            dropped_++;
        }
        queue_.push_back(std::move(line));
        queued_++;
        if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
    }
    cv_.notify_one();
}

bool SyslogSink::drain(uint32_t timeout_ms) {
    std::unique_lock<std::mutex> lk(mu_);
    return drained_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return queue_.empty() && !busy_; });
}

void SyslogSink::closeSocket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SyslogSink::sendOne(const std::string& line) {
    if (fd_ < 0) {
        reconnects_++;
        if (opts_.transport == SyslogOptions::Transport::Local) {
            fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            sockaddr_un sa{};
            sa.sun_family = AF_UNIX;
            std::strncpy(sa.sun_path, opts_.local_path.c_str(), sizeof sa.sun_path - 1);
            if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
                closeSocket();
                return false;
            }
        } else {
            addrinfo hints{}, *res = nullptr;
            hints.ai_socktype = opts_.transport == SyslogOptions::Transport::Udp ? SOCK_DGRAM : SOCK_STREAM;
            if (getaddrinfo(opts_.host.c_str(), std::to_string(opts_.port).c_str(), &hints, &res) != 0 || !res)
                return false;
            fd_ = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
            bool ok = fd_ >= 0 && ::connect(fd_, res->ai_addr, res->ai_addrlen) == 0;
            freeaddrinfo(res);
            if (!ok) {
                closeSocket();
                return false;
            }
        }
    }
    std::string frame = opts_.transport == SyslogOptions::Transport::Tcp
                            ? std::to_string(line.size()) + " " + line  // RFC 6587 3.4.1 octet counting
                            : line;
    size_t off = 0;
    while (off < frame.size()) {
        ssize_t n = ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            closeSocket();
            return false;
        }
        off += size_t(n);
        if (opts_.transport != SyslogOptions::Transport::Tcp) break;  // datagram: all or nothing
    }
    return true;
}

void SyslogSink::run() {
    std::unique_lock<std::mutex> lk(mu_);
    while (true) {
        cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        std::string line = queue_.front();
        busy_ = true;
        lk.unlock();
        bool ok = sendOne(line);
        lk.lock();
        busy_ = false;
        if (ok) {
            // The front may have been dropped by overflow meanwhile; only pop what was sent.
            if (!queue_.empty() && queue_.front() == line) queue_.pop_front();
            sent_++;
            if (queue_.empty()) drained_.notify_all();
        } else {
            send_errors_++;
            drained_.notify_all();
            cv_.wait_for(lk, std::chrono::milliseconds(opts_.retry_ms), [&] { return stop_; });
            if (stop_) return;
        }
    }
}

Json SyslogSink::stats() const {
    std::lock_guard<std::mutex> g(mu_);
    return {{"queued", queued_.load()}, {"sent", sent_.load()}, {"dropped", dropped_.load()},
            {"send_errors", send_errors_.load()}, {"connects", reconnects_.load()}, {"pending", queue_.size()}};
}

}  // namespace rpcmon::detect
