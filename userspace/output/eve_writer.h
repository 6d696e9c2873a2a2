// SPDX-License-Identifier: Apache-2.0
// Writes records as JSON lines to stdout or a file. A failed write (disk full, closed pipe) is
// counted and logged once per burst, never fatal: the agent keeps monitoring, and logs again
// when writing works again. Lines are written whole: a line cut by a full disk is removed
// from a regular file again, so the file never holds a partial JSON line.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "output/json_writer.h"
#include "output/record.h"

namespace rpcmon {

class EveWriter : public RecordSink {
public:
    // path "" or "-" = stdout. Throws std::runtime_error if the file cannot be opened.
    explicit EveWriter(const std::string& path);
    ~EveWriter() override;
    EveWriter(const EveWriter&) = delete;
    EveWriter& operator=(const EveWriter&) = delete;
    // Buffers the line; writes when the buffer is full (kFlushBytes) or on flush().
    void emit(Json&& record) override;
    void emitView(const Json& record) override;
    void emitEvent(Event&& ev) override;
    void emitEventView(const Event& ev) override;
    // Writes the buffered lines. On failure they are dropped (counted in recordsLost()).
    void flush();
    // Reopens the file by name (log rotation moved it away: SIGHUP). The old file is kept
    // when the new one cannot be opened (logged, counted in reopenFailures). No-op on stdout.
    void reopen();
    uint64_t reopens() const { return reopens_; }
    uint64_t reopenFailures() const { return reopen_failures_; }

    // Records that reached the destination (write(2) accepted the whole line).
    uint64_t written() const { return written_; }
    // Failed write(2) calls (ENOSPC, EIO, EPIPE...): stats output.write_errors.
    uint64_t writeErrors() const { return write_errors_; }
    // Records dropped because their write failed: stats output.records_lost.
    uint64_t recordsLost() const { return records_lost_; }
    // True while the destination refuses data (between a failure and the next good write).
    bool failing() const { return in_error_; }
    // The file name, or "stdout" (for messages).
    const std::string& name() const { return name_; }
    // Records written per event_type.
    std::map<std::string, uint64_t> byType() const;

    static constexpr size_t kFlushBytes = 64 * 1024;

private:
    void noteError(int err, uint64_t lost);
    void append(const std::string& line);

    int fd_ = -1;
    bool owned_ = false;
    std::string path_;
    std::string name_;
    std::string buf_;       // complete lines not written yet
    uint64_t buf_lines_ = 0;
    uint64_t written_ = 0, write_errors_ = 0, records_lost_ = 0, reopens_ = 0, reopen_failures_ = 0;
    uint64_t errors_at_burst_ = 0, lost_at_burst_ = 0;
    bool in_error_ = false;
    std::map<std::string, uint64_t> by_type_;  // JSON records
    std::array<uint64_t, kEventTypeCount> by_event_type_{};  // typed events, by EventType
    JsonWriter line_;                           // reused for every line
};

}  // namespace rpcmon
