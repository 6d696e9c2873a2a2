// SPDX-License-Identifier: Apache-2.0
#include "output/eve_writer.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rpcmon {

EveWriter::EveWriter(const std::string& path) : path_(path.empty() ? "-" : path) {
    if (path_ == "-") {
        out_ = stdout;
        owned_ = false;
    } else {
        out_ = fopen(path_.c_str(), "a");
        if (!out_) throw std::runtime_error("cannot open " + path_ + ": " + strerror(errno));
        owned_ = true;
    }
}

EveWriter::~EveWriter() {
    flush();
    if (owned_) fclose(out_);
}

void EveWriter::emit(Json&& record) {
    auto it = record.find("event_type");
    if (it != record.end() && it->is_string()) by_type_[it->get<std::string>()]++;
    std::string line = record.dump(-1, ' ', false, Json::error_handler_t::replace);
    line.push_back('\n');
    if (fwrite(line.data(), 1, line.size(), out_) != line.size()) {
        noteError();
        return;
    }
    written_++;
}

void EveWriter::noteError() {
    write_errors_++;
    if (!in_error_) spdlog::error("writing {} failed: {} (lost records are counted in stats output.write_errors)", path_, strerror(errno));
    in_error_ = true;
    written_at_error_ = written_;
    clearerr(out_);
}

void EveWriter::flush() {
    if (fflush(out_) != 0) {
        noteError();
        return;
    }
    // Only a successful flush proves the destination takes data again (fwrite only buffers).
    if (in_error_ && written_ > written_at_error_) spdlog::info("writing {} works again ({} write errors so far)", path_, write_errors_);
    if (written_ > written_at_error_) in_error_ = false;
}

}  // namespace rpcmon

namespace rpcmon {

void EveWriter::reopen() {
    if (!owned_) return;
    flush();
    FILE* f = fopen(path_.c_str(), "a");
    if (!f) {
        reopen_failures_++;
        spdlog::error("reopening {} failed: {} (still writing to the old file)", path_, strerror(errno));
        return;
    }
    fclose(out_);
    out_ = f;
    reopens_++;
    spdlog::info("reopened {}", path_);
}

}  // namespace rpcmon
