// SPDX-License-Identifier: Apache-2.0
// Forwards alert records to syslog: local /dev/log or remote RFC 5424 over UDP or TCP
// (RFC 6587 octet counting), through a bounded queue drained by a sender thread that retries
// while the server is down. Overflow drops the oldest alert and is counted, never silent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "output/record.h"

namespace rpcmon::detect {

struct SyslogOptions {
    enum class Transport { Local, Udp, Tcp };
    Transport transport = Transport::Local;
    std::string local_path = "/dev/log";
    std::string host = "127.0.0.1";
    uint16_t port = 514;
    int facility = 10;            // authpriv (security/authorization messages)
    std::string hostname;         // empty: gethostname()
    std::string app_name = "rpcmon";
    size_t queue_size = 10000;    // alerts held while the server is unreachable
    uint32_t retry_ms = 1000;     // reconnect back-off
};

// Parses "local", "local:/dev/log", "udp://host:port", "tcp://host:port" (the --syslog value).
// Throws std::invalid_argument on a malformed spec.
SyslogOptions parseSyslogSpec(const std::string& spec);

// One RFC 5424 line (no framing) for an alert record: PRI from alert.severity, structured data
// [rpcmon@32473 sid= rev= severity= technique= tactic= kind= src= dst= ...], MSG = the signature.
std::string formatRfc5424(const Json& alert, const SyslogOptions& opts, int pid);

class SyslogSink : public RecordSink {
public:
    explicit SyslogSink(SyslogOptions opts);
    ~SyslogSink() override;  // tries to send what is queued for up to one retry period

    // Queues alert records (event_type "alert"); other records are ignored.
    void emit(Json&& record) override;

    Json stats() const;
    // Blocks until the queue is empty or timeout_ms passes; true when empty (tests, shutdown).
    bool drain(uint32_t timeout_ms);

private:
    void run();
    bool sendOne(const std::string& line);
    void closeSocket();

    SyslogOptions opts_;
    int pid_;
    mutable std::mutex mu_;
    std::condition_variable cv_, drained_;
    std::deque<std::string> queue_;
    bool stop_ = false;
    bool busy_ = false;
    int fd_ = -1;
    std::atomic<uint64_t> queued_{0}, sent_{0}, dropped_{0}, send_errors_{0}, reconnects_{0};
    std::thread worker_;
};

}  // namespace rpcmon::detect
