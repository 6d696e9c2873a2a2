// SPDX-License-Identifier: Apache-2.0
// Writes records as JSON lines to stdout or a file. A failed write (disk full, closed pipe) is
// counted and logged once per burst, never fatal: the agent keeps monitoring.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include "output/record.h"

namespace rpcmon {

class EveWriter : public RecordSink {
public:
    // path "" or "-" = stdout. Throws std::runtime_error if the file cannot be opened.
    explicit EveWriter(const std::string& path);
    ~EveWriter() override;
    void emit(Json&& record) override;
    void flush();
    // Reopens the file by name (log rotation moved it away: SIGHUP). The old stream is kept
    // when the new one cannot be opened (logged, counted in reopenFailures). No-op on stdout.
    void reopen();
    uint64_t reopens() const { return reopens_; }
    uint64_t reopenFailures() const { return reopen_failures_; }

    uint64_t written() const { return written_; }
    uint64_t writeErrors() const { return write_errors_; }
    const std::map<std::string, uint64_t>& byType() const { return by_type_; }

private:
    void noteError();

    FILE* out_;
    bool owned_;
    std::string path_;
    uint64_t written_ = 0, write_errors_ = 0, written_at_error_ = 0, reopens_ = 0, reopen_failures_ = 0;
    bool in_error_ = false;
    std::map<std::string, uint64_t> by_type_;
};

}  // namespace rpcmon
