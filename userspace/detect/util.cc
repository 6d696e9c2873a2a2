// SPDX-License-Identifier: Apache-2.0
#include "detect/util.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace rpcmon::detect {

const Json* field(const Json& rec, std::string_view dotted) {
    const Json* cur = &rec;
    while (!dotted.empty()) {
        size_t dot = dotted.find('.');
        std::string_view part = dotted.substr(0, dot);
        if (!cur->is_object()) return nullptr;
        auto it = cur->find(std::string(part));
        if (it == cur->end()) return nullptr;
        cur = &*it;
        if (dot == std::string_view::npos) break;
        dotted.remove_prefix(dot + 1);
    }
    return cur;
}

std::optional<std::string> fieldString(const Json& rec, std::string_view dotted) {
    const Json* f = field(rec, dotted);
    if (!f || !f->is_string()) return std::nullopt;
    return f->get<std::string>();
}

std::optional<int64_t> fieldInt(const Json& rec, std::string_view dotted) {
    const Json* f = field(rec, dotted);
    if (!f || !f->is_number_integer()) return std::nullopt;
    return f->get<int64_t>();
}

bool fieldTrue(const Json& rec, std::string_view dotted) {
    const Json* f = field(rec, dotted);
    return f && f->is_boolean() && f->get<bool>();
}

Uuid uuidFromText(std::string_view s) {
    Uuid u;
    if (!Uuid::parse(s, u)) return Uuid{};
    return u;
}

std::string srcIp(const Event& ev) { return ev.ips_known ? formatAddress(ev.key.client) : std::string(); }
std::string destIp(const Event& ev) { return ev.ips_known ? formatAddress(ev.key.server) : std::string(); }

const Json* member(const Json& obj, std::string_view key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(std::string(key));  // short keys: no allocation (SSO)
    return it == obj.end() ? nullptr : &*it;
}

const ArgValue* dceArg(const Event& ev, std::string_view key) {
    const DceCall* c = ev.dce();
    return c ? c->args.find(key) : nullptr;
}

const ArgValue* oncField(const Event& ev, std::string_view program, std::string_view key) {
    const OncCall* c = ev.onc();
    const ArgValue* p = c ? c->fields.find(program) : nullptr;
    return p && p->is_object() ? p->object()->find(key) : nullptr;
}

std::optional<std::string> jsonString(const ArgValue* v) {
    if (!v || !v->is_string()) return std::nullopt;
    return *v->string();
}

bool jsonTrue(const ArgValue* v) { return v && v->get<bool>(); }

std::optional<std::string> jsonString(const Json* v) {
    if (!v || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
}

bool jsonTrue(const Json* v) { return v && v->is_boolean() && v->get<bool>(); }

std::optional<TimeNs> parseTimestamp(std::string_view s) {
    // Fixed layout written by formatTimestamp(): YYYY-MM-DDTHH:MM:SS.ffffff+0000
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto num = [&](size_t pos, size_t len, int& out) {
        auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
        return r.ec == std::errc() && r.ptr == s.data() + pos + len;
    };
    struct tm tm {};
    int y, mo, d, h, mi, se;
    if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
        !num(17, 2, se))
        return std::nullopt;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (t < 0) return std::nullopt;
    uint64_t frac_ns = 0;
    if (s.size() > 20 && s[19] == '.') {
        size_t i = 20;
        uint64_t scale = 100000000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            frac_ns += uint64_t(s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    return TimeNs(t) * 1000000000ull + frac_ns;
}

std::optional<std::array<uint8_t, 16>> parseIp(std::string_view text) {
    std::array<uint8_t, 16> a{};
    std::string s(text);
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        a[10] = a[11] = 0xff;
        std::memcpy(&a[12], &v4, 4);
        return a;
    }
    in6_addr v6;
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(a.data(), &v6, 16);
        return a;
    }
    return std::nullopt;
}

std::optional<Cidr> parseCidr(std::string_view text) {
    size_t slash = text.find('/');
    auto ip = parseIp(text.substr(0, slash));
    if (!ip) return std::nullopt;
    bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    Cidr c;
    c.net = *ip;
    c.bits = 128;
    if (slash != std::string_view::npos) {
        int bits = -1;
        auto b = text.substr(slash + 1);
        auto r = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (r.ec != std::errc() || r.ptr != b.data() + b.size()) return std::nullopt;
        if (bits < 0 || bits > (v4 ? 32 : 128)) return std::nullopt;
        c.bits = v4 ? bits + 96 : bits;
    }
    // Clear host bits so contains() is a plain prefix compare.
    for (int i = 0; i < 16; i++) {
        int keep = std::clamp(c.bits - i * 8, 0, 8);
        c.net[i] &= uint8_t(keep == 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
    }
    return c;
}

bool Cidr::contains(const std::array<uint8_t, 16>& a) const {
    for (int i = 0; i < 16; i++) {
        int keep = std::clamp(bits - i * 8, 0, 8);
        if (keep == 0) return true;
        uint8_t mask = uint8_t(keep == 8 ? 0xff : (0xff << (8 - keep)) & 0xff);
        if ((a[i] & mask) != net[i]) return false;
    }
    return true;
}

bool CidrList::contains(std::string_view ip) const {
    if (items.empty()) return false;
    auto a = parseIp(ip);
    if (!a) return false;
    for (const auto& c : items)
        if (c.contains(*a)) return true;
    return false;
}

std::string uncHost(std::string_view path) {
    if (path.size() < 3 || path[0] != '\\' || path[1] != '\\') return {};
    path.remove_prefix(2);
    size_t end = path.find_first_of("\\/");
    return std::string(path.substr(0, end));
}

std::string_view baseName(std::string_view path) {
    while (!path.empty() && (path.back() == '/' || path.back() == '\\')) path.remove_suffix(1);
    size_t p = path.find_last_of("/\\");
    return p == std::string_view::npos ? path : path.substr(p + 1);
}

}  // namespace rpcmon::detect
