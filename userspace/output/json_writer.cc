// SPDX-License-Identifier: Apache-2.0
#include "output/json_writer.h"

#include <charconv>
#include <cstring>

namespace rpcmon {
namespace {

// True when s is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF).
bool validUtf8(std::string_view s) {
    size_t i = 0, n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c == 0xe0) len = 3, lo = 0xa0;
        else if (c >= 0xe1 && c <= 0xec) len = 3;
        else if (c == 0xed) len = 3, hi = 0x9f;
        else if (c >= 0xee && c <= 0xef) len = 3;
        else if (c == 0xf0) len = 4, lo = 0x90;
        else if (c >= 0xf1 && c <= 0xf3) len = 4;
        else if (c == 0xf4) len = 4, hi = 0x8f;
        else return false;
        if (i + len > n) return false;
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if (c1 < lo || c1 > hi) return false;
        for (size_t k = 2; k < len; k++) {
            auto ck = static_cast<unsigned char>(s[i + k]);
            if (ck < 0x80 || ck > 0xbf) return false;
        }
        i += len;
    }
    return true;
}

// True when one of the eight bytes of x is not plain (SWAR: a byte below 0x20 or from 0x80 up,
// a quote or a backslash). Exact as a yes/no answer (no false alarm without such a byte).
bool wordNeedsCare(uint64_t x) {
    constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    auto has_zero = [&](uint64_t v) { return (v - ones) & ~v & highs; };
    const uint64_t below_space = (x - ones * 0x20) & ~x & highs;
    return (x & highs) || below_space || has_zero(x ^ (ones * '"')) || has_zero(x ^ (ones * '\\'));
}

}  // namespace

void JsonWriter::escape(std::string& out, std::string_view s) {
    // Most text (names, addresses, timestamps) needs no escaping: find that out eight bytes at
    // a time (the tail padded with a plain byte) and copy it whole.
    bool needs_care = false;
    size_t i = 0;
    for (uint64_t x; i + 8 <= s.size() && !needs_care; i += 8) {
        std::memcpy(&x, s.data() + i, 8);
        needs_care = wordNeedsCare(x);
    }
    if (!needs_care && i < s.size()) {
        uint64_t x = 0x6161616161616161ull;  // "aaaaaaaa"
        std::memcpy(&x, s.data() + i, s.size() - i);
        needs_care = wordNeedsCare(x);
    }
    if (!needs_care) {
        out.append(s);
        return;
    }
    if (!validUtf8(s)) {
        // Rare (hostile or legacy-encoded names): nlohmann's own replacement rules, so the
        // bytes stay exactly what dump() prints.
        std::string quoted = Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
        out.append(quoted, 1, quoted.size() - 2);
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    size_t run = 0;  // start of the bytes not yet copied
    for (size_t i = 0; i < s.size(); i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xf]);
        }
    }
    out.append(s.data() + run, s.size() - run);
}

void JsonWriter::clear() {
    buf_.clear();
    first_.clear();
    after_key_ = false;
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (first_.empty()) return;
    if (first_.back()) first_.back() = false;
    else buf_.push_back(',');
}

void JsonWriter::openObject() {
    separate();
    buf_.push_back('{');
    first_.push_back(true);
}

void JsonWriter::closeObject() {
    buf_.push_back('}');
    first_.pop_back();
}

void JsonWriter::openArray() {
    separate();
    buf_.push_back('[');
    first_.push_back(true);
}

void JsonWriter::closeArray() {
    buf_.push_back(']');
    first_.pop_back();
}

void JsonWriter::key(std::string_view k) {
    separate();
    buf_.push_back('"');
    escape(buf_, k);
    buf_ += "\":";
    after_key_ = true;
}

void JsonWriter::string(std::string_view v) {
    separate();
    buf_.push_back('"');
    escape(buf_, v);
    buf_.push_back('"');
}

void JsonWriter::number(uint64_t v) {
    separate();
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    buf_.append(b, r.ptr);
}

void JsonWriter::number(int64_t v) {
    separate();
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    buf_.append(b, r.ptr);
}

void JsonWriter::boolean(bool v) {
    separate();
    buf_ += v ? "true" : "false";
}

void JsonWriter::null() {
    separate();
    buf_ += "null";
}

void JsonWriter::json(const Json& v) {
    switch (v.type()) {
        case Json::value_t::object:
            openObject();
            for (auto it = v.begin(); it != v.end(); ++it) {
                key(it.key());
                json(it.value());
            }
            closeObject();
            break;
        case Json::value_t::array:
            openArray();
            for (const Json& e : v) json(e);
            closeArray();
            break;
        case Json::value_t::string: string(v.get_ref<const std::string&>()); break;
        case Json::value_t::number_unsigned: number(v.get<uint64_t>()); break;
        case Json::value_t::number_integer: number(v.get<int64_t>()); break;
        case Json::value_t::boolean: boolean(v.get<bool>()); break;
        case Json::value_t::null: null(); break;
        default:
            // Floats (baseline statistics), binary and discarded: nlohmann's own formatting.
            separate();
            buf_ += v.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
}

JsonWriter::Mark JsonWriter::mark() const {
    return {buf_.size(), first_.size(), first_.empty() ? true : bool(first_.back())};
}

void JsonWriter::rollback(const Mark& m) {
    buf_.resize(m.size);
    first_.resize(m.depth);
    if (!first_.empty()) first_.back() = m.first;
    after_key_ = false;
}

}  // namespace rpcmon
