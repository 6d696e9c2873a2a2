// SPDX-License-Identifier: Apache-2.0
#include "output/arg_list.h"

#include <ostream>

#include "output/json_writer.h"

namespace rpcmon {

ArgList::ArgList(std::initializer_list<ArgItem> items) {
    items_.reserve(items.size());
    for (const ArgItem& i : items) (*this)[i.key] = i.value;
}

ArgValue& ArgList::operator[](std::string_view key) {
    if (ArgValue* v = find(key)) return *v;
    items_.push_back(ArgItem{std::string(key), ArgValue()});
    return items_.back().value;
}

const ArgValue* ArgList::find(std::string_view key) const {
    // A handful of members: a scan beats any index.
    for (const ArgItem& i : items_)
        if (i.key == key) return &i.value;
    return nullptr;
}

ArgValue* ArgList::find(std::string_view key) {
    return const_cast<ArgValue*>(static_cast<const ArgList*>(this)->find(key));
}

void ArgList::update(const ArgList& other) {
    for (const ArgItem& i : other.items_) (*this)[i.key] = i.value;
}

std::vector<ArgItem>::const_iterator ArgList::begin() const { return items_.begin(); }
std::vector<ArgItem>::const_iterator ArgList::end() const { return items_.end(); }

bool operator==(const ArgList& a, const ArgList& b) {
    if (a.size() != b.size()) return false;
    auto i = a.begin(), j = b.begin();
    for (; i != a.end(); ++i, ++j)
        if (i->key != j->key || i->value != j->value) return false;
    return true;
}

ArgValue& ArgValue::operator[](std::string_view key) {
    if (is_null()) v_ = ArgList();
    if (ArgList* o = object()) return (*o)[key];
    // Not an object: the tree would throw; a decoder bug must not crash the sensor, so the
    // write goes to a scratch value nobody reads.
    thread_local ArgValue scratch;
    scratch = ArgValue();
    return scratch;
}

ArgValue& ArgValue::operator[](size_t i) {
    if (auto* l = std::get_if<List>(&v_); l && i < l->size()) return (*l)[i];
    thread_local ArgValue scratch;
    scratch = ArgValue();
    return scratch;
}

const ArgValue& ArgValue::operator[](size_t i) const {
    static const ArgValue kNull;
    const List* l = list();
    return l && i < l->size() ? (*l)[i] : kNull;
}

void ArgValue::push_back(ArgValue v) {
    if (is_null()) v_ = List();
    if (auto* l = std::get_if<List>(&v_)) l->push_back(std::move(v));
}

size_t ArgValue::size() const {
    if (const List* l = list()) return l->size();
    if (const ArgList* o = object()) return o->size();
    return 0;
}

bool operator==(const ArgValue& a, const ArgValue& b) {
    // Integers compare by value across signedness, as the tree compares them.
    if (a.is_number_integer() && b.is_number_integer()) {
        const bool an = std::holds_alternative<int64_t>(a.v_) && std::get<int64_t>(a.v_) < 0;
        const bool bn = std::holds_alternative<int64_t>(b.v_) && std::get<int64_t>(b.v_) < 0;
        if (an != bn) return false;
        return an ? a.get<int64_t>() == b.get<int64_t>() : a.get<uint64_t>() == b.get<uint64_t>();
    }
    return a.v_ == b.v_;
}

std::string ArgValue::dump() const {
    JsonWriter w;
    writeArgValue(w, *this);
    return w.str();
}

std::ostream& operator<<(std::ostream& os, const ArgValue& v) { return os << v.dump(); }

std::ostream& operator<<(std::ostream& os, const ArgList& a) {
    JsonWriter w;
    writeArgs(w, a);
    return os << w.str();
}

void writeArgValue(JsonWriter& w, const ArgValue& v) {
    switch (v.v_.index()) {
        case 0: w.null(); break;
        case 1: w.boolean(std::get<bool>(v.v_)); break;
        case 2: w.number(std::get<uint64_t>(v.v_)); break;
        case 3: w.number(std::get<int64_t>(v.v_)); break;
        // Doubles only come from files read back; the tree prints them (shortest round trip).
        case 4: w.json(Json(std::get<double>(v.v_))); break;
        case 5: w.string(std::get<std::string>(v.v_)); break;
        case 6:
            w.openArray();
            for (const ArgValue& e : std::get<ArgValue::List>(v.v_)) writeArgValue(w, e);
            w.closeArray();
            break;
        case 7: writeArgs(w, std::get<ArgList>(v.v_)); break;
    }
}

void writeArgs(JsonWriter& w, const ArgList& args) {
    w.openObject();
    for (const ArgItem& i : args) {
        w.key(i.key);
        writeArgValue(w, i.value);
    }
    w.closeObject();
}

Json toJson(const ArgValue& v) {
    switch (v.v_.index()) {
        case 1: return std::get<bool>(v.v_);
        case 2: return std::get<uint64_t>(v.v_);
        case 3: return std::get<int64_t>(v.v_);
        case 4: return std::get<double>(v.v_);
        case 5: return std::get<std::string>(v.v_);
        case 6: {
            Json a = Json::array();
            for (const ArgValue& e : std::get<ArgValue::List>(v.v_)) a.push_back(toJson(e));
            return a;
        }
        case 7: return toJson(std::get<ArgList>(v.v_));
    }
    return nullptr;
}

Json toJson(const ArgList& args) {
    Json o = Json::object();
    for (const ArgItem& i : args) o[i.key] = toJson(i.value);
    return o;
}

ArgValue argValueFromJson(const Json& j) {
    switch (j.type()) {
        case Json::value_t::boolean: return j.get<bool>();
        case Json::value_t::number_unsigned: return j.get<uint64_t>();
        case Json::value_t::number_integer: return j.get<int64_t>();
        case Json::value_t::number_float: return j.get<double>();
        case Json::value_t::string: return j.get_ref<const std::string&>();
        case Json::value_t::array: {
            ArgValue::List l;
            l.reserve(j.size());
            for (const Json& e : j) l.push_back(argValueFromJson(e));
            return l;
        }
        case Json::value_t::object: {
            ArgList o;
            argsFromJson(j, o);
            return o;
        }
        default: return ArgValue();
    }
}

bool argsFromJson(const Json& j, ArgList& out) {
    if (!j.is_object()) return false;
    out = ArgList();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = argValueFromJson(it.value());
    return true;
}

}  // namespace rpcmon
