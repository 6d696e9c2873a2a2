// SPDX-License-Identifier: Apache-2.0
// Forwards alert records to syslog: local /dev/log or remote RFC 5424 over UDP, TCP (RFC 6587
// octet counting) or TLS (RFC 5425), through a bounded queue drained by a sender thread that
// retries with back-off while the server is down. Over TCP and TLS an alert leaves the queue only
// once the server's TCP stack acknowledged its bytes, so a broken connection re-sends what it may
// have swallowed. Overflow drops the oldest alert and is counted, never silent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "output/record.h"

namespace rpcmon::detect {

// TLS settings (--syslog-ca, --syslog-cert, --syslog-key, --syslog-name). Verification of the
// server's certificate chain and of its name is always on: there is no setting to turn it off.
struct SyslogTlsOptions {
    std::string ca_file;      // PEM CA bundle; empty: the system store (/etc/ssl/certs)
    std::string cert_file;    // client certificate chain (PEM), for servers that require one
    std::string key_file;     // its private key (PEM, unencrypted); never logged
    std::string server_name;  // DNS name or IP the server certificate must match; empty: HOST
    bool empty() const { return ca_file.empty() && cert_file.empty() && key_file.empty() && server_name.empty(); }
};

struct SyslogOptions {
    enum class Transport { Local, Udp, Tcp, Tls };
    Transport transport = Transport::Local;
    std::string local_path = "/dev/log";
    std::string host = "127.0.0.1";
    uint16_t port = 514;
    int facility = 10;            // authpriv (security/authorization messages)
    std::string hostname;         // empty: gethostname()
    std::string app_name = "rpcmon";
    size_t queue_size = 10000;    // alerts held while the server is unreachable
    uint32_t retry_ms = 1000;     // first reconnect back-off, doubled per failed attempt ...
    uint32_t max_retry_ms = 30000;  // ... up to this
    // Bounds every blocking step of the sender thread: connect, TLS handshake, a write the
    // server does not take, and bytes written but not acknowledged (a black-holed server).
    uint32_t io_timeout_ms = 10000;
    // After a TLS handshake, how long to watch for the server refusing us (TLS 1.3 servers check
    // a client certificate, and rsyslog its peer name, after the client considers the handshake
    // done) before alerts are written into a connection that would discard them.
    uint32_t tls_settle_ms = 300;
    SyslogTlsOptions tls;
};

// Parses "local", "local:/dev/log", "udp://host:port", "tcp://host:port", "tls://host:port"
// (the --syslog value) and attaches the TLS settings. Throws std::invalid_argument on a
// malformed spec, TLS settings without tls://, or a certificate without its key (or back).
SyslogOptions parseSyslogSpec(const std::string& spec, const SyslogTlsOptions& tls = {});
// The error for TLS settings without a tls:// target (also when there is no --syslog at all).
extern const char* const kTlsOptionsNeedTls;

// One RFC 5424 line (no framing) for an alert record: PRI from alert.severity, structured data
// [rpcmon@32473 sid= rev= severity= technique= tactic= kind= src= dst= ...], MSG = the signature.
std::string formatRfc5424(const Json& alert, const SyslogOptions& opts, int pid);

class TlsContext;  // OpenSSL settings, loaded once at start (syslog_sink.cc)
class Connection;  // one connection to the server (syslog_sink.cc)

class SyslogSink : public RecordSink {
public:
    // For tls:// the CA bundle, certificate and key are loaded here, before the agent drops its
    // privileges; an unreadable or mismatched file throws std::invalid_argument (never its bytes).
    explicit SyslogSink(SyslogOptions opts);
    ~SyslogSink() override;  // tries to send what is queued for up to one retry period

    // Queues alert records (event_type "alert"); other records are ignored.
    void emit(Json&& record) override;

    Json stats() const;
    // Blocks until every alert was delivered or timeout_ms passes; true when all were (tests,
    // shutdown). Meanwhile the server is tried every retry_ms, whatever the back-off had grown to.
    bool drain(uint32_t timeout_ms);

    // Why a connection attempt or a connection failed; each has its own counter in stats().
    enum class Failure { Connect, TlsVerify, TlsHandshake, Io };

private:
    struct Pending {
        std::string line;
        uint64_t end = 0;  // stream transports: connection byte offset just past its frame
    };
    void run();
    void failed(Failure why, const std::string& reason, std::unique_lock<std::mutex>& lk);
    void lost(const std::string& reason, std::unique_lock<std::mutex>& lk);
    void requeueInflight();
    void confirmAcked();
    size_t pendingLocked() const { return queue_.size() + inflight_.size() + (in_hand_ ? 1 : 0); }
    void wake();

    SyslogOptions opts_;
    std::string target_;  // "tls://host:port" for log lines
    int pid_;
    std::shared_ptr<TlsContext> tls_;
    std::unique_ptr<Connection> conn_;  // sender thread only
    int wake_fd_ = -1;                  // eventfd: interrupts the sender's I/O waits at stop
    mutable std::mutex mu_;
    std::condition_variable cv_, drained_;
    std::deque<Pending> queue_;     // not yet written
    std::deque<Pending> inflight_;  // written on conn_, not yet acknowledged by the server
    bool in_hand_ = false;          // one alert taken from queue_ and being written
    std::atomic<bool> stopping_{false};  // destructor: also read by the sender's I/O waits
    bool hurry_ = false;            // drain(): skip the rest of the back-off
    bool in_outage_ = false;        // a failure was logged; the next success is logged too
    Failure outage_kind_ = Failure::Connect;  // what was logged (a different reason is logged again)
    uint32_t backoff_ms_ = 0;
    uint64_t outage_attempts_ = 0;
    std::atomic<uint64_t> queued_{0}, sent_{0}, dropped_{0}, send_errors_{0}, reconnects_{0}, resent_{0};
    std::atomic<uint64_t> connect_failures_{0}, tls_verify_failures_{0}, tls_handshake_failures_{0}, io_failures_{0};
    std::thread worker_;
};

}  // namespace rpcmon::detect
