// SPDX-License-Identifier: Apache-2.0
#include "protocols/npa/handshake.h"

#include <cstring>

#include "core/byte_reader.h"

namespace rpcmon::npa {
namespace {

// Bounds on what a real session info holds (checked before any loop or allocation).
constexpr uint32_t kMaxSids = 4096;         // group SIDs in a token (Windows caps at 1015)
constexpr uint32_t kMaxSubAuths = 15;       // MS-DTYP 2.4.2: at most 15 sub-authorities
constexpr uint32_t kMaxGroups = 65536;      // Unix groups (NGROUPS_MAX)
constexpr uint32_t kMaxString = 1024;       // names and addresses in the handshake
constexpr uint32_t kSessionKeyLen = 16;     // SMB3 application key / NTLM session key

// NDR cursor over the whole message: the big-endian length is the marshalled struct's first
// member, so NDR alignment counts from it.
class Ndr {
public:
    explicit Ndr(std::span<uint8_t> body) : r_(Bytes(body.data(), body.size())), body_(body) {}
    bool ok() const { return r_.ok(); }
    void fail() { r_.fail(); }
    uint8_t u8() { return r_.u8(); }
    uint16_t u16() { r_.align(2); return r_.le16(); }
    uint32_t u32() { r_.align(4); return r_.le32(); }
    uint64_t hyper() { r_.align(8); return r_.le64(); }
    uint64_t udlong() { r_.align(4); return r_.le64(); }  // NTTIME: 4-byte aligned
    void align(size_t a) { r_.align(a); }
    void skip(size_t n) { r_.skip(n); }
    size_t offset() const { return r_.offset(); }
    uint32_t ptr() { return u32(); }  // unique pointer referent id; 0 = NULL
    // [string] conformant varying array of 8-bit chars, NUL terminated.
    std::string string() {
        uint32_t max = u32(), off = u32(), actual = u32();
        if (!ok() || off != 0 || actual > max || actual > kMaxString) {
            fail();
            return {};
        }
        Bytes b = r_.bytes(actual);
        if (!ok()) return {};
        std::string s(reinterpret_cast<const char*>(b.data()), b.size());
        while (!s.empty() && s.back() == '\0') s.pop_back();
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                fail();
                return {};
            }
        return s;
    }
    std::string optString(uint32_t ptr) { return ptr ? string() : std::string(); }
    // Zeroes n bytes at the cursor and steps over them.
    void wipeAndSkip(size_t n) {
        size_t at = r_.offset();
        if (!r_.skip(n)) return;
        wipe(body_.data() + at, n);
    }

private:
    ByteReader r_;
    std::span<uint8_t> body_;
};

// dom_sid: revision, num_auths, 6-byte authority, num_auths x u32.
void skipSid(Ndr& n) {
    n.align(4);
    n.u8();
    uint8_t auths = n.u8();
    if (auths > kMaxSubAuths) return n.fail();
    n.skip(6);
    for (uint8_t i = 0; i < auths && n.ok(); i++) n.u32();
}

// auth_session_info_transport -> auth_session_info (auth.idl; this layout up to the session
// key is the one of the auth.idl releases sending levels 4-8 share; the security token after
// it gained claims in 4.20, so a level-8 session info may not parse - the key is wiped first):
//   transport: { auth_session_info *session_info; DATA_BLOB exported_gssapi_credentials }
//   session_info: { security_token *; security_unix_token *; auth_user_info *;
//                   auth_user_info_unix *; auth_user_info_torture *; DATA_BLOB session_key;
//                   cli_credentials * (NULL on the wire); GUID unique_session_token }
// The session key is zeroed as soon as its position is known, before anything else is read.
bool parseSessionInfo(Ndr& n, Handshake& h) {
    uint32_t p_session = n.ptr();
    uint32_t gss_len = n.u32();  // exported GSSAPI credentials (delegated Kerberos creds)
    if (!n.ok() || gss_len > kMaxHandshake) return false;
    n.wipeAndSkip(gss_len);      // credentials are secrets too
    if (!p_session) return false;
    uint32_t p_token = n.ptr(), p_unix = n.ptr(), p_info = n.ptr(), p_uinfo = n.ptr(), p_torture = n.ptr();
    uint32_t key_len = n.u32();
    if (!n.ok() || key_len > kMaxString) return false;
    n.wipeAndSkip(key_len);
    if (key_len != 0 && key_len != kSessionKeyLen) return false;
    n.ptr();      // credentials
    n.skip(16);   // unique_session_token (GUID)
    if (!n.ok() || p_torture) return false;
    if (p_token) {  // security_token: [conformance] num_sids sids[] privilege_mask rights_mask
        n.align(8);  // as Samba 4.17 marshals it (fixture testdata/npam_level7_samba4.17.bin)
        uint32_t conf = n.u32();
        uint32_t sids = n.u32();
        if (!n.ok() || sids != conf || sids > kMaxSids) return false;
        for (uint32_t i = 0; i < sids && n.ok(); i++) skipSid(n);
        n.hyper();  // privilege_mask
        n.u32();    // rights_mask
    }
    if (p_unix) {  // security_unix_token: [conformance] uid gid ngroups groups[] (hyper ids)
        uint32_t conf = n.u32();
        h.unix_uid = n.hyper();  // aligned to 8 after the conformance
        n.hyper();
        uint32_t ngroups = n.u32();
        if (!n.ok() || ngroups != conf || ngroups > kMaxGroups) return false;
        for (uint32_t i = 0; i < ngroups && n.ok(); i++) n.hyper();
        h.unix_uid_known = n.ok();
    }
    if (!p_info) return false;
    // auth_user_info: pointers, then 6 NTTIMEs and counters, then the deferred strings in order.
    uint32_t p_account = n.ptr(), p_upn = n.ptr();
    n.u8();  // user_principal_constructed
    uint32_t p_domain = n.ptr(), p_dns = n.ptr(), p_full = n.ptr(), p_script = n.ptr(), p_profile = n.ptr(),
             p_home = n.ptr(), p_drive = n.ptr(), p_server = n.ptr();
    for (int i = 0; i < 6; i++) n.udlong();  // last_logon ... force_password_change
    n.u16();  // logon_count
    n.u16();  // bad_password_count
    n.u32();  // acct_flags
    n.u32();  // user_flags
    if (!n.ok()) return false;
    h.account = n.optString(p_account);
    n.optString(p_upn);
    h.domain = n.optString(p_domain);
    for (uint32_t p : {p_dns, p_full, p_script, p_profile, p_home, p_drive, p_server}) n.optString(p);
    (void)p_uinfo;
    return n.ok() && !h.account.empty();
}

}  // namespace

void wipe(void* p, size_t n) {
    if (!p || !n) return;
    std::memset(p, 0, n);
    // Keeps the stores: the compiler must assume the memory is read afterwards.
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

namespace {

// The fields of named_pipe_auth_req_info<level> up to the session info pointer, and the
// deferred strings (librpc/idl/named_pipe_auth.idl of each release):
//   level 4 (Samba 4.0 - 4.15, libcli/named_pipe_auth/npa_tstream.c): client name, addr, port,
//           server name, addr, port, auth_session_info_transport *
//   level 5 (4.16, samba-dcerpcd): a leading `uint8 transport`, the same fields, and a
//           trailing `uint8 need_idle_server`; 6 and 7 (4.16.x - 4.19; 7 verified on 4.17.12)
//           and 8 (4.20+, whose session info carries claims) have the transport byte only.
// Each of the two bytes takes a 4-byte slot (the members around it are 4-aligned), so it
// moves everything after it. Not every release between the bumps is at hand: the parser tries
// the level's layout first and the others after it. A wrong layout reads a pointer or a port
// as a string's counts and fails on the first deferred string, so it never yields addresses.
struct Layout {
    bool transport, idle_byte;
};
constexpr Layout kLayouts[] = {{true, false}, {true, true}, {false, false}, {false, true}};

Layout primaryLayout(uint32_t level) {
    if (level == 4) return {false, false};
    if (level == 5) return {true, true};
    return {true, false};
}

bool parseInfo(Ndr n, Layout l, Handshake& out) {
    out.transport = l.transport ? n.u8() : 0;
    uint32_t p_cname = n.ptr(), p_caddr = n.ptr();
    out.client_port = n.u16();
    uint32_t p_sname = n.ptr(), p_saddr = n.ptr();
    out.server_port = n.u16();
    uint32_t p_session = n.ptr();
    if (l.idle_byte) n.u8();  // need_idle_server
    if (!n.ok()) return false;
    out.client_name = n.optString(p_cname);
    out.client_addr = n.optString(p_caddr);
    out.server_name = n.optString(p_sname);
    out.server_addr = n.optString(p_saddr);
    if (!n.ok()) return false;
    out.transport_known = l.transport;
    if (p_session) {
        Ndr tail = n;  // a session info this parser cannot follow leaves the addresses valid
        out.session_parsed = parseSessionInfo(tail, out);
        if (!out.session_parsed) out.account.clear(), out.domain.clear(), out.unix_uid_known = false;
    }
    return true;
}

}  // namespace

bool knownLevel(uint32_t level) { return level >= kFirstLevel && level <= kLastLevel; }

Parse parseRequest(std::span<uint8_t> buf, Handshake& out, size_t& consumed) {
    consumed = kLengthPrefix;
    if (buf.size() < kLengthPrefix) return Parse::NeedMore;
    uint32_t len = uint32_t(buf[0]) << 24 | uint32_t(buf[1]) << 16 | uint32_t(buf[2]) << 8 | buf[3];
    if (len < 12 || len > kMaxHandshake) {
        consumed = 0;  // unknown extent: not a handshake
        return Parse::Invalid;
    }
    consumed = kLengthPrefix + len;
    if (buf.size() < consumed) return Parse::NeedMore;
    if (std::memcmp(buf.data() + kLengthPrefix, "NPAM", 4) != 0) return Parse::Invalid;
    Ndr n(buf.first(consumed));
    n.skip(kLengthPrefix + 4);
    out = Handshake{};
    out.level = n.u32();
    uint32_t sw = n.u32();
    if (!n.ok() || sw != out.level) return Parse::Invalid;
    if (!knownLevel(out.level)) {
        // A level this parser has no layout for: the pipe bytes follow all the same. The
        // message may hold a session key at an offset this parser does not know: the caller
        // wipes the whole message.
        return Parse::UnknownLevel;
    }
    uint32_t level = out.level;
    Layout first = primaryLayout(level);
    if (parseInfo(n, first, out)) return Parse::Ok;
    for (Layout l : kLayouts) {
        if (l.transport == first.transport && l.idle_byte == first.idle_byte) continue;
        out = Handshake{};
        out.level = level;
        if (parseInfo(n, l, out)) return Parse::Ok;
    }
    out = Handshake{};
    out.level = level;
    return Parse::Unparsed;
}

Parse parseReply(std::span<const uint8_t> buf, size_t& consumed) {
    consumed = kLengthPrefix;
    if (buf.size() < kLengthPrefix) return Parse::NeedMore;
    uint32_t len = uint32_t(buf[0]) << 24 | uint32_t(buf[1]) << 16 | uint32_t(buf[2]) << 8 | buf[3];
    if (len < 8 || len > 4096) {
        consumed = 0;
        return Parse::Invalid;
    }
    consumed = kLengthPrefix + len;
    if (buf.size() < consumed) return Parse::NeedMore;
    return std::memcmp(buf.data() + kLengthPrefix, "NPAM", 4) == 0 ? Parse::Ok : Parse::Invalid;
}

}  // namespace rpcmon::npa
