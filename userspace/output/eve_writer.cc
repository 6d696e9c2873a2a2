// SPDX-License-Identifier: Apache-2.0
#include "output/eve_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rpcmon {

namespace {

int openAppend(const std::string& path) {
    return open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
}

}  // namespace

EveWriter::EveWriter(const std::string& path)
    : path_(path.empty() ? "-" : path), name_(path_ == "-" ? "stdout" : path_) {
    if (path_ == "-") {
        fd_ = STDOUT_FILENO;
        owned_ = false;
    } else {
        fd_ = openAppend(path_);
        if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + strerror(errno));
        owned_ = true;
    }
}

EveWriter::~EveWriter() {
    flush();
    if (owned_) close(fd_);
}

void EveWriter::emit(Json&& record) { emitView(record); }

void EveWriter::emitView(const Json& record) {
    auto it = record.find("event_type");
    if (it != record.end() && it->is_string()) by_type_[it->get<std::string>()]++;
    line_.clear();
    line_.json(record);
    append(line_.str());
}

void EveWriter::emitEvent(Event&& ev) { emitEventView(ev); }

void EveWriter::emitEventView(const Event& ev) {
    by_event_type_[size_t(ev.type)]++;
    line_.clear();
    writeEvent(line_, ev);
    append(line_.str());
}

void EveWriter::append(const std::string& line) {
    buf_ += line;
    buf_.push_back('\n');
    buf_lines_++;
    if (buf_.size() >= kFlushBytes) flush();
}

std::map<std::string, uint64_t> EveWriter::byType() const {
    std::map<std::string, uint64_t> all = by_type_;
    for (size_t t = 0; t < by_event_type_.size(); t++)
        if (by_event_type_[t]) all[eventTypeName(EventType(t))] += by_event_type_[t];
    return all;
}

void EveWriter::flush() {
    if (buf_.empty()) return;
    size_t done = 0;
    int err = 0;
    while (done < buf_.size()) {
        ssize_t n = write(fd_, buf_.data() + done, buf_.size() - done);
        if (n > 0) {
            done += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        err = n < 0 ? errno : EIO;
        break;
    }
    if (!err) {
        written_ += buf_lines_;
        buf_.clear();
        buf_lines_ = 0;
        if (in_error_)
            spdlog::info("EVE write to {} resumed ({} failed writes, {} records lost in this outage; "
                         "{} and {} in total)",
                         name_, write_errors_ - errors_at_burst_, records_lost_ - lost_at_burst_, write_errors_,
                         records_lost_);
        in_error_ = false;
        return;
    }
    // The lines written in full count as written; a line cut in the middle is removed again
    // from a regular file (O_APPEND: it is at the end), so readers never see half a record.
    size_t whole = done ? buf_.rfind('\n', done - 1) : std::string::npos;
    size_t keep = whole == std::string::npos ? 0 : whole + 1;
    uint64_t complete = uint64_t(std::count(buf_.begin(), buf_.begin() + long(keep), '\n'));
    if (done > keep) {
        struct stat st;
        if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= off_t(done - keep) &&
            ftruncate(fd_, st.st_size - off_t(done - keep)) != 0)
            spdlog::warn("EVE file {}: cannot remove a partly written line: {}", name_, strerror(errno));
    }
    written_ += complete;
    noteError(err, buf_lines_ - complete);
    buf_.clear();
    buf_lines_ = 0;
}

void EveWriter::noteError(int err, uint64_t lost) {
    if (!in_error_) {
        errors_at_burst_ = write_errors_;
        lost_at_burst_ = records_lost_;
        spdlog::error("EVE write to {} failed: {}; records are lost until it works again (counted in "
                      "stats output.write_errors and output.records_lost)",
                      name_, strerror(err));
    }
    write_errors_++;
    records_lost_ += lost;
    in_error_ = true;
}

void EveWriter::reopen() {
    if (!owned_) return;
    flush();
    int fd = openAppend(path_);
    if (fd < 0) {
        reopen_failures_++;
        spdlog::error("reopening {} failed: {} (still writing to the old file)", path_, strerror(errno));
        return;
    }
    close(fd_);
    fd_ = fd;
    reopens_++;
    spdlog::info("reopened {}", path_);
}

}  // namespace rpcmon
