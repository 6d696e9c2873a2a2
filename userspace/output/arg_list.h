// SPDX-License-Identifier: Apache-2.0
// Decoded arguments as a small typed key/value list (ArgList) instead of a JSON tree: the
// protocol decoders append to it on the hot path, the detector reads it, and the EVE writer
// prints it once on the way out (writeArgs), byte for byte as nlohmann's dump() printed the tree
// it replaces: members in insertion order, unsigned and signed integers, true/false, strings
// escaped by JsonWriter::escape. Object semantics are those of the ordered JSON tree it
// replaces: assigning an existing key replaces the value in place, a new key is appended.
// The query names (is_string, get<T>, dump, ...) follow nlohmann's so a reader reads a value
// the same way whether it is a decoded argument or a JSON record's field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/json.h"

namespace rpcmon {

class JsonWriter;
class ArgValue;
struct ArgItem;

// An ordered list of key/value pairs: one decoded-argument object (rpc.args, nfs, portmap, ...).
class ArgList {
public:
    // Declared here, defined below ArgItem: they need it complete (clang's libFuzzer builds check).
    ArgList();
    ~ArgList();
    ArgList(const ArgList&);
    ArgList(ArgList&&) noexcept;
    ArgList& operator=(const ArgList&);
    ArgList& operator=(ArgList&&) noexcept;
    ArgList(std::initializer_list<ArgItem> items);

    bool empty() const;
    size_t size() const;
    // The value of `key`, appended as null when absent (the tree's operator[]).
    ArgValue& operator[](std::string_view key);
    // nullptr when absent.
    const ArgValue* find(std::string_view key) const;
    ArgValue* find(std::string_view key);
    bool contains(std::string_view key) const { return find(key) != nullptr; }
    // Every member of `other` assigned here in order (the tree's update()).
    void update(const ArgList& other);

    std::vector<ArgItem>::const_iterator begin() const;
    std::vector<ArgItem>::const_iterator end() const;

private:
    std::vector<ArgItem> items_;
};

// One value: null, bool, integer (unsigned or signed, printed alike but kept apart as the tree
// kept them), double (only when read back from a file), string, list or nested ArgList.
class ArgValue {
public:
    using List = std::vector<ArgValue>;

    ArgValue() = default;
    ArgValue(bool b) : v_(b) {}
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    ArgValue(T n) {
        if constexpr (std::is_unsigned_v<T>) v_ = uint64_t(n);
        else v_ = int64_t(n);
    }
    ArgValue(double d) : v_(d) {}
    ArgValue(const char* s) : v_(std::string(s)) {}
    ArgValue(std::string s) : v_(std::move(s)) {}
    ArgValue(std::string_view s) : v_(std::string(s)) {}
    ArgValue(List l) : v_(std::move(l)) {}
    ArgValue(ArgList o) : v_(std::move(o)) {}

    bool is_null() const { return v_.index() == 0; }
    bool is_boolean() const { return std::holds_alternative<bool>(v_); }
    bool is_number_unsigned() const { return std::holds_alternative<uint64_t>(v_); }
    bool is_number_integer() const { return is_number_unsigned() || std::holds_alternative<int64_t>(v_); }
    bool is_number() const { return is_number_integer() || std::holds_alternative<double>(v_); }
    bool is_string() const { return std::holds_alternative<std::string>(v_); }
    bool is_array() const { return std::holds_alternative<List>(v_); }
    bool is_object() const { return std::holds_alternative<ArgList>(v_); }

    // Typed views; nullptr when the value is of another kind.
    const std::string* string() const { return std::get_if<std::string>(&v_); }
    const List* list() const { return std::get_if<List>(&v_); }
    const ArgList* object() const { return std::get_if<ArgList>(&v_); }
    ArgList* object() { return std::get_if<ArgList>(&v_); }

    // The value converted as nlohmann's get<T>() converts it (numbers to numbers, bool, string);
    // a value of another kind gives T{}.
    template <typename T>
    T get() const {
        if constexpr (std::is_same_v<T, std::string>) {
            const std::string* s = string();
            return s ? *s : std::string();
        } else if constexpr (std::is_same_v<T, bool>) {
            const bool* b = std::get_if<bool>(&v_);
            return b && *b;
        } else {
            if (auto* u = std::get_if<uint64_t>(&v_)) return T(*u);
            if (auto* i = std::get_if<int64_t>(&v_)) return T(*i);
            if (auto* d = std::get_if<double>(&v_)) return T(*d);
            return T{};
        }
    }

    // Object member (a null value becomes an empty object first); nullptr / no-op otherwise.
    ArgValue& operator[](std::string_view key);
    // List element; a scratch null value when out of range or not a list.
    ArgValue& operator[](size_t i);
    const ArgValue& operator[](size_t i) const;
    // List element append (a null value becomes an empty list first).
    void push_back(ArgValue v);
    // Members of an object, elements of a list, 0 otherwise.
    size_t size() const;
    bool empty() const { return size() == 0; }

    // The value as dump() printed the JSON tree it replaces.
    std::string dump() const;

    friend bool operator==(const ArgValue& a, const ArgValue& b);
    friend bool operator!=(const ArgValue& a, const ArgValue& b) { return !(a == b); }

private:
    friend void writeArgValue(JsonWriter& w, const ArgValue& v);
    friend Json toJson(const ArgValue& v);
    std::variant<std::monostate, bool, uint64_t, int64_t, double, std::string, List, ArgList> v_;
};

struct ArgItem {
    std::string key;  // short keys fit the string's inline buffer: no allocation
    ArgValue value;
};

// Defined here, where ArgItem is complete (clang insists; libFuzzer builds use it).
inline ArgList::ArgList() = default;
inline ArgList::~ArgList() = default;
inline ArgList::ArgList(const ArgList&) = default;
inline ArgList::ArgList(ArgList&&) noexcept = default;
inline ArgList& ArgList::operator=(const ArgList&) = default;
inline ArgList& ArgList::operator=(ArgList&&) noexcept = default;
inline bool ArgList::empty() const { return items_.empty(); }
inline size_t ArgList::size() const { return items_.size(); }

bool operator==(const ArgList& a, const ArgList& b);
inline bool operator!=(const ArgList& a, const ArgList& b) { return !(a == b); }

// The dump() text (test failure messages).
std::ostream& operator<<(std::ostream& os, const ArgValue& v);
std::ostream& operator<<(std::ostream& os, const ArgList& a);

// Writers into the streaming JSON writer, byte for byte what dump() printed for the tree.
void writeArgValue(JsonWriter& w, const ArgValue& v);
void writeArgs(JsonWriter& w, const ArgList& args);
// Trees, for the edges that still want one (tests, rule paths naming a whole object).
Json toJson(const ArgValue& v);
Json toJson(const ArgList& args);
// From a JSON tree (EVE files read back): any value converts; an object becomes an ArgList.
ArgValue argValueFromJson(const Json& j);
// false when `j` is not an object.
bool argsFromJson(const Json& j, ArgList& out);

}  // namespace rpcmon
