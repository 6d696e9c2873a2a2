// SPDX-License-Identifier: Apache-2.0
// A streaming JSON writer into a reused buffer (the manner of Suricata's JsonBuilder): records
// are written key by key as bytes on their way out, never built as a tree first. Its output is
// byte for byte what nlohmann's dump(-1, ' ', false, error_handler_t::replace) prints for the
// same document, so switching a record to the writer leaves every EVE line unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace rpcmon {

class JsonWriter {
public:
    // Empties the buffer (keeping its capacity) for the next document.
    void clear();
    const std::string& str() const { return buf_; }
    std::string take() { return std::move(buf_); }

    void openObject();
    void closeObject();
    void openArray();
    void closeArray();
    // The key of the next value inside an object.
    void key(std::string_view k);

    // Values: inside an array directly, inside an object after key().
    void string(std::string_view v);
    void number(uint64_t v);
    void number(int64_t v);
    void number(uint32_t v) { number(uint64_t(v)); }
    void number(int v) { number(int64_t(v)); }
    void boolean(bool v);
    void null();
    // Any JSON value, serialised as nlohmann's dump would.
    void json(const Json& v);

    // key() + value in one call.
    template <typename T>
    void member(std::string_view k, const T& v) {
        key(k);
        value(v);
    }
    // The same for a key written as a string literal in the program: such keys are plain ASCII
    // names (SCHEMA.md), so the escape scan is skipped - a record has about sixty of them.
    template <size_t N, typename T>
    void member(const char (&k)[N], const T& v) {
        literalKey(std::string_view(k, N - 1));
        value(v);
    }
    void literalKey(std::string_view k) {
        separate();
        buf_.push_back('"');
        buf_.append(k);
        buf_.append("\":", 2);
        after_key_ = true;
    }

    // Rollback point: an optional part written and then found empty is cut again.
    struct Mark {
        size_t size;
        size_t depth;
        bool first;
    };
    Mark mark() const;
    void rollback(const Mark& m);

    // Appends s to out as JSON string contents (no quotes), as dump() escapes it: ", \ and
    // control characters escaped, UTF-8 kept, invalid UTF-8 replaced by U+FFFD.
    static void escape(std::string& out, std::string_view s);

private:
    void value(std::string_view v) { string(v); }
    void value(const std::string& v) { string(v); }
    void value(const char* v) { string(v); }
    void value(bool v) { boolean(v); }
    void value(uint64_t v) { number(v); }
    void value(int64_t v) { number(v); }
    void value(uint32_t v) { number(uint64_t(v)); }
    void value(uint16_t v) { number(uint64_t(v)); }
    void value(uint8_t v) { number(uint64_t(v)); }
    void value(int v) { number(int64_t(v)); }
    void value(const Json& v) { json(v); }

    // Comma before the second and later members / elements of the current container.
    void separate();

    std::string buf_;
    std::vector<uint8_t> first_;  // per open container: 1 while nothing is written in it yet
    bool after_key_ = false;
};

}  // namespace rpcmon
