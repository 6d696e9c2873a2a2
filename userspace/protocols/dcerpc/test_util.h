// SPDX-License-Identifier: Apache-2.0
// Test-only builders for DCE/RPC PDUs and NDR stubs, plus recording fakes for the sink,
// anomaly counter and endpoint learner. Header-only; used by the *_test.cc files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "protocols/dcerpc/connection.h"

namespace rpcmon::dcerpc::test {

using Buf = std::vector<uint8_t>;

inline void put16(Buf& b, uint16_t v) { b.push_back(uint8_t(v)); b.push_back(uint8_t(v >> 8)); }
inline void put32(Buf& b, uint32_t v) { put16(b, uint16_t(v)); put16(b, uint16_t(v >> 16)); }
inline void putUuid(Buf& b, const std::string& s) {
    Uuid u;
    Uuid::parse(s, u);
    put32(b, u.d1);
    put16(b, u.d2);
    put16(b, u.d3);
    b.insert(b.end(), u.d4.begin(), u.d4.end());
}

// NDR 2.0 (or NDR64 with n64) little-endian stub writer.
struct Ndr {
    Buf b;
    bool n64 = false;
    // Pointer referent id / conformance count: 4 bytes in NDR 2.0, 8 in NDR64.
    Ndr& ptr(uint32_t v) { return n64 ? u64(v) : u32(v); }
    Ndr& cnt(uint32_t v) { return n64 ? u64(v) : u32(v); }
    Ndr& align(size_t n) { while (b.size() % n) b.push_back(0); return *this; }
    Ndr& u8(uint8_t v) { b.push_back(v); return *this; }
    Ndr& u16(uint16_t v) { align(2); put16(b, v); return *this; }
    Ndr& u32(uint32_t v) { align(4); put32(b, v); return *this; }
    Ndr& u64(uint64_t v) { align(8); put32(b, uint32_t(v)); put32(b, uint32_t(v >> 32)); return *this; }
    Ndr& raw(const Buf& x) { b.insert(b.end(), x.begin(), x.end()); return *this; }
    Ndr& zeros(size_t n) { b.insert(b.end(), n, 0); return *this; }
    Ndr& uuid(const std::string& s) { align(4); putUuid(b, s); return *this; }
    // [string] wchar_t* body with terminating NUL (max_count, offset, actual_count, units).
    Ndr& wstr(const std::string& s) {
        uint32_t n = uint32_t(s.size() + 1);
        cnt(n).cnt(0).cnt(n);
        for (char c : s) put16(b, uint8_t(c));
        put16(b, 0);
        return *this;
    }
    Ndr& cstr(const std::string& s) {
        uint32_t n = uint32_t(s.size() + 1);
        cnt(n).cnt(0).cnt(n);
        for (char c : s) b.push_back(uint8_t(c));
        b.push_back(0);
        return *this;
    }
    Ndr& uniqueWstr(const std::optional<std::string>& s) {
        if (!s) return ptr(0);
        return ptr(0x00020000).wstr(*s);
    }
    Ndr& handle(uint8_t fill = 0xab) { align(4); b.insert(b.end(), 20, fill); return *this; }
    // RRP_UNICODE_STRING with deferred body, NUL included in Length (as Windows sends it).
    Ndr& unicodeString(const std::string& s) {
        uint16_t bytes = uint16_t((s.size() + 1) * 2);
        align(n64 ? 8 : 4);
        u16(bytes).u16(bytes).ptr(0x00020000);
        return wstr(s);
    }
};

struct Auth {
    uint8_t type = 10, level = 6;
    Buf token;
};

// Common header + body + optional verifier, little-endian.
inline Buf pdu(uint8_t ptype, uint8_t flags, uint32_t call_id, const Buf& body,
               const std::optional<Auth>& auth = std::nullopt) {
    Buf b = {5, 0, ptype, flags, 0x10, 0, 0, 0};
    Buf tail = body;
    uint16_t auth_len = 0;
    if (auth) {
        uint8_t pad = uint8_t((4 - (16 + tail.size()) % 4) % 4);
        tail.insert(tail.end(), pad, 0);
        tail.push_back(auth->type);
        tail.push_back(auth->level);
        tail.push_back(pad);
        tail.push_back(0);
        put32(tail, 0);
        tail.insert(tail.end(), auth->token.begin(), auth->token.end());
        auth_len = uint16_t(auth->token.size());
    }
    put16(b, uint16_t(16 + tail.size()));
    put16(b, auth_len);
    put32(b, call_id);
    b.insert(b.end(), tail.begin(), tail.end());
    return b;
}

struct Item {
    uint16_t ctx;
    std::string uuid;
    uint16_t major, minor;
};

inline Buf bind(uint32_t call_id, const std::vector<Item>& items, bool alter = false,
                const std::optional<Auth>& auth = std::nullopt) {
    Buf body;
    put16(body, 5840);
    put16(body, 5840);
    put32(body, 0);
    body.push_back(uint8_t(items.size()));
    body.insert(body.end(), 3, 0);
    for (const Item& i : items) {
        put16(body, i.ctx);
        body.push_back(1);
        body.push_back(0);
        putUuid(body, i.uuid);
        put16(body, i.major);
        put16(body, i.minor);
        putUuid(body, "8a885d04-1ceb-11c9-9fe8-08002b104860");
        put32(body, 2);
    }
    return pdu(alter ? 14 : 11, 0x03, call_id, body, auth);
}

inline Buf bindAck(uint32_t call_id, const std::vector<uint16_t>& results, const std::string& sec = "49155",
                   bool alter = false) {
    Buf body;
    put16(body, 5840);
    put16(body, 5840);
    put32(body, 0x1234);
    put16(body, uint16_t(sec.empty() ? 0 : sec.size() + 1));
    for (char c : sec) body.push_back(uint8_t(c));
    if (!sec.empty()) body.push_back(0);
    while ((16 + body.size()) % 4) body.push_back(0);
    body.push_back(uint8_t(results.size()));
    body.insert(body.end(), 3, 0);
    for (uint16_t r : results) {
        put16(body, r);
        put16(body, 0);
        putUuid(body, r == 0 ? "8a885d04-1ceb-11c9-9fe8-08002b104860" : "00000000-0000-0000-0000-000000000000");
        put32(body, r == 0 ? 2 : 0);
    }
    return pdu(alter ? 15 : 12, 0x03, call_id, body);
}

inline Buf request(uint32_t call_id, uint16_t ctx, uint16_t opnum, const Buf& stub, uint8_t flags = 0x03,
                   const std::optional<std::string>& object = std::nullopt,
                   const std::optional<Auth>& auth = std::nullopt) {
    Buf body;
    put32(body, uint32_t(stub.size()));
    put16(body, ctx);
    put16(body, opnum);
    if (object) {
        putUuid(body, *object);
        flags |= 0x80;
    }
    body.insert(body.end(), stub.begin(), stub.end());
    return pdu(0, flags, call_id, body, auth);
}

inline Buf response(uint32_t call_id, uint16_t ctx, const Buf& stub, uint8_t flags = 0x03) {
    Buf body;
    put32(body, uint32_t(stub.size()));
    put16(body, ctx);
    body.push_back(0);
    body.push_back(0);
    body.insert(body.end(), stub.begin(), stub.end());
    return pdu(2, flags, call_id, body);
}

inline Buf fault(uint32_t call_id, uint32_t status) {
    Buf body;
    put32(body, 0);
    put16(body, 0);
    body.push_back(0);
    body.push_back(0);
    put32(body, status);
    put32(body, 0);
    return pdu(3, 0x23, call_id, body);
}

// NTLMSSP AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3) with Unicode domain/user/workstation.
inline Buf ntlmAuthenticate(const std::string& domain, const std::string& user, const std::string& ws) {
    auto utf16 = [](const std::string& s) {
        Buf o;
        for (char c : s) put16(o, uint8_t(c));
        return o;
    };
    Buf d = utf16(domain), u = utf16(user), w = utf16(ws);
    Buf m = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    put32(m, 3);
    uint32_t off = 64;
    auto field = [&](size_t len) {
        put16(m, uint16_t(len));
        put16(m, uint16_t(len));
        put32(m, off);
        off += uint32_t(len);
    };
    field(0);         // LmChallengeResponse
    field(0);         // NtChallengeResponse
    field(d.size());  // DomainName
    field(u.size());  // UserName
    field(w.size());  // Workstation
    field(0);         // EncryptedRandomSessionKey
    put32(m, 0x00000001);  // NTLMSSP_NEGOTIATE_UNICODE
    m.insert(m.end(), d.begin(), d.end());
    m.insert(m.end(), u.begin(), u.end());
    m.insert(m.end(), w.begin(), w.end());
    return m;
}

struct RecordingSink : RecordSink {
    std::vector<Json> records;
    void emit(Json&& r) override { records.push_back(std::move(r)); }
};
struct RecordingCounter : AnomalyCounter {
    std::map<std::string, uint64_t> counts;
    void count(const char* n, uint64_t k) override { counts[n] += k; }
    uint64_t get(const std::string& n) const {
        auto it = counts.find(n);
        return it == counts.end() ? 0 : it->second;
    }
};
struct RecordingLearner : EndpointLearner {
    std::vector<LearnedEndpoint> eps;
    void learn(const LearnedEndpoint& ep) override { eps.push_back(ep); }
};

inline Bytes view(const Buf& b) { return Bytes(b.data(), b.size()); }

}  // namespace rpcmon::dcerpc::test
