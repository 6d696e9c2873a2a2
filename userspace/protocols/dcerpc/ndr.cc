// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/ndr.h"

namespace rpcmon::dcerpc {

static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xc0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += char(0xe0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    } else {
        out += char(0xf0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3f));
        out += char(0x80 | ((cp >> 6) & 0x3f));
        out += char(0x80 | (cp & 0x3f));
    }
}

std::string utf16leToUtf8(Bytes b) {
    std::string out;
    out.reserve(b.size() / 2);
    for (size_t i = 0; i + 1 < b.size(); i += 2) {
        uint32_t u = b[i] | uint32_t(b[i + 1]) << 8;
        if (u == 0) break;
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < b.size()) {
            uint32_t lo = b[i + 2] | uint32_t(b[i + 3]) << 8;
            if (lo >= 0xdc00 && lo < 0xe000) {
                appendUtf8(out, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
                i += 2;
                continue;
            }
        }
        if (u >= 0xd800 && u < 0xe000) u = 0xfffd;
        appendUtf8(out, u);
    }
    return out;
}

std::string latin1ToUtf8(Bytes b) {
    std::string out;
    for (uint8_t c : b) {
        if (c == 0) break;
        appendUtf8(out, c);
    }
    return out;
}

Uuid readUuid(ByteReader& r, bool le) {
    Uuid u;
    u.d1 = le ? r.le32() : r.be32();
    u.d2 = le ? r.le16() : r.be16();
    u.d3 = le ? r.le16() : r.be16();
    Bytes b = r.bytes(8);
    if (b.size() == 8)
        for (int i = 0; i < 8; i++) u.d4[i] = b[i];
    return r.ok() ? u : Uuid{};
}

std::string NdrReader::wstringBody() {
    uint32_t max = count(), off = count(), actual = count();
    // C706 14.3.3.4: offset + actual_count must fit in max_count.
    if (!ok() || max > kMaxNdrStringUnits || actual > max || off > max - actual) {
        fail();
        return {};
    }
    Bytes b = r_.bytes(size_t(actual) * 2);
    if (!ok()) return {};
    if (le_) return utf16leToUtf8(b);
    std::string swapped(b.size(), '\0');  // big-endian NDR: swap each unit
    for (size_t i = 0; i + 1 < b.size(); i += 2) { swapped[i] = char(b[i + 1]); swapped[i + 1] = char(b[i]); }
    return utf16leToUtf8(Bytes(reinterpret_cast<const uint8_t*>(swapped.data()), swapped.size()));
}

std::string NdrReader::cstringBody() {
    uint32_t max = count(), off = count(), actual = count();
    if (!ok() || max > kMaxNdrStringUnits * 2 || actual > max || off > max - actual) {
        fail();
        return {};
    }
    Bytes b = r_.bytes(actual);
    return ok() ? latin1ToUtf8(b) : std::string{};
}

std::optional<std::string> NdrReader::uniqueWString() {
    if (pointer() == 0 || !ok()) return std::nullopt;
    std::string s = wstringBody();
    if (!ok()) return std::nullopt;
    return s;
}

std::optional<std::string> NdrReader::uniqueCString() {
    if (pointer() == 0 || !ok()) return std::nullopt;
    std::string s = cstringBody();
    if (!ok()) return std::nullopt;
    return s;
}

uint32_t NdrReader::unicodeStringHeader() {
    structAlign();
    uint16_t len = u16(), maxlen = u16();
    uint32_t ptr = pointer();
    // [MS-DTYP] 2.3.10: Length <= MaximumLength, both byte counts of UTF-16 text.
    if (len > maxlen) fail();
    return ok() ? ptr : 0;
}

Bytes NdrReader::conformantBytes(uint32_t max) {
    uint32_t n = count();
    if (!ok() || n > max) {
        fail();
        return {};
    }
    return r_.bytes(n);
}

}  // namespace rpcmon::dcerpc
