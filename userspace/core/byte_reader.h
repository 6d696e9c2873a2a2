// SPDX-License-Identifier: Apache-2.0
// Bounds-checked cursor over a byte span: every read either succeeds completely or marks the
// reader failed and returns a zero value, so parsers check ok() once per structure instead of
// after every field. Big-endian reads serve XDR (ONC RPC); little-endian reads serve NDR/SMB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace rpcmon {

using Bytes = std::span<const uint8_t>;

class ByteReader {
public:
    explicit ByteReader(Bytes data) : data_(data) {}

    bool ok() const { return ok_; }
    size_t offset() const { return pos_; }
    size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
    Bytes rest() const { return ok_ ? data_.subspan(pos_) : Bytes{}; }
    Bytes data() const { return data_; }
    void fail() { ok_ = false; }

    // Returns false (and fails the reader) if fewer than n bytes remain.
    bool need(size_t n) {
        if (!ok_ || data_.size() - pos_ < n) ok_ = false;
        return ok_;
    }
    bool skip(size_t n) {
        if (!need(n)) return false;
        pos_ += n;
        return true;
    }
    bool seek(size_t off) {
        if (!ok_ || off > data_.size()) return ok_ = false;
        pos_ = off;
        return true;
    }
    // Skips to the next multiple of `align` measured from the start of the span (NDR, XDR).
    bool align(size_t a) { return skip((a - pos_ % a) % a); }

    Bytes bytes(size_t n) {
        if (!need(n)) return {};
        Bytes b = data_.subspan(pos_, n);
        pos_ += n;
        return b;
    }

    uint8_t u8() { return need(1) ? data_[pos_++] : 0; }
    uint16_t be16() { return static_cast<uint16_t>(readBE(2)); }
    uint32_t be32() { return static_cast<uint32_t>(readBE(4)); }
    uint64_t be64() { return readBE(8); }
    uint16_t le16() { return static_cast<uint16_t>(readLE(2)); }
    uint32_t le32() { return static_cast<uint32_t>(readLE(4)); }
    uint64_t le64() { return readLE(8); }

    // XDR opaque<max>/string<max>: 4-byte length, data, padding to 4. A length above `max`
    // fails the reader (hostile lengths never drive allocation).
    Bytes xdrOpaque(uint32_t max) {
        uint32_t len = be32();
        if (!ok_ || len > max) { ok_ = false; return {}; }
        Bytes b = bytes(len);
        skip((4 - len % 4) % 4);
        return ok_ ? b : Bytes{};
    }
    std::string xdrString(uint32_t max) {
        Bytes b = xdrOpaque(max);
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }

private:
    uint64_t readBE(size_t n) {
        if (!need(n)) return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) v = (v << 8) | data_[pos_ + i];
        pos_ += n;
        return v;
    }
    uint64_t readLE(size_t n) {
        if (!need(n)) return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) v |= uint64_t(data_[pos_ + i]) << (8 * i);
        pos_ += n;
        return v;
    }

    Bytes data_;
    size_t pos_ = 0;
    bool ok_ = true;
};

// Outcome of parsing one frame (Pixie's ParseState): "need more data" is not "malformed".
enum class ParseState { Success, NeedsMoreData, Invalid, Ignored };

inline std::string_view toString(ParseState s) {
    switch (s) {
    case ParseState::Success: return "success";
    case ParseState::NeedsMoreData: return "needs_more_data";
    case ParseState::Invalid: return "invalid";
    case ParseState::Ignored: return "ignored";
    }
    return "?";
}

}  // namespace rpcmon
