// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/auth.h"

#include <cstring>

#include "protocols/smb/types.h"

namespace rpcmon::smb {

namespace {

// DER OIDs (content octets only).
constexpr uint8_t kOidSpnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};  // 1.3.6.1.5.5.2
constexpr uint8_t kOidKrb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};  // 1.2.840.113554.1.2.2
constexpr uint8_t kOidMsKrb5[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};  // 1.2.840.48018.1.2.2
constexpr uint8_t kOidNtlm[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};  // 1.3.6.1.4.1.311.2.2.10
constexpr uint8_t kNtlmSignature[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

bool equals(Bytes b, const uint8_t* p, size_t n) {
    return b.size() == n && std::memcmp(b.data(), p, n) == 0;
}

// One DER TLV. Only single-byte tags (tag number < 31) occur in SPNEGO and Kerberos.
struct Tlv {
    uint8_t tag = 0;
    Bytes value;
};

// Reads the TLV at the reader's position. Fails the reader on a truncated header, a high tag
// number, indefinite or over-long length forms, or a length beyond what remains.
bool readTlv(ByteReader& r, Tlv& t) {
    t.tag = r.u8();
    if (!r.ok() || (t.tag & 0x1F) == 0x1F) return r.fail(), false;
    uint8_t l0 = r.u8();
    if (!r.ok()) return false;
    uint64_t len = l0;
    if (l0 & 0x80) {
        unsigned n = l0 & 0x7F;
        if (n == 0 || n > 4) return r.fail(), false;  // indefinite form / > 4 GiB is hostile
        len = 0;
        for (unsigned i = 0; i < n; i++) len = (len << 8) | r.u8();
        if (!r.ok()) return false;
    }
    if (len > r.remaining()) return r.fail(), false;
    t.value = r.bytes(static_cast<size_t>(len));
    return r.ok();
}

// Finds the context-tagged element [n] (tag 0xA0|n) inside a SEQUENCE's contents.
bool findContext(Bytes seq, uint8_t n, Bytes& out, bool& malformed) {
    ByteReader r(seq);
    while (r.remaining() > 0) {
        Tlv t;
        if (!readTlv(r, t)) return malformed = true, false;
        if (t.tag == (0xA0 | n)) return out = t.value, true;
    }
    return false;
}

// Unwraps one TLV that must have `tag` and fill `in` exactly (trailing bytes tolerated).
bool unwrap(Bytes in, uint8_t tag, Bytes& out) {
    ByteReader r(in);
    Tlv t;
    if (!readTlv(r, t) || t.tag != tag) return false;
    out = t.value;
    return true;
}

std::string readGeneralString(Bytes b) {
    Bytes s;
    if (!unwrap(b, 0x1B, s)) return {};  // GeneralString
    return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

ParseState parseMechToken(Bytes token, AuthInfo& out) {
    if (token.size() >= sizeof kNtlmSignature && std::memcmp(token.data(), kNtlmSignature, 8) == 0)
        return parseNtlmssp(token, out);
    if (!token.empty() && (token[0] == 0x60 || token[0] == 0x6E)) return parseKerberosToken(token, out);
    return ParseState::Ignored;
}

// NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] }
ParseState parseNegTokenInit(Bytes body, AuthInfo& out) {
    Bytes seq;
    if (!unwrap(body, 0x30, seq)) return ParseState::Invalid;
    bool bad = false;
    Bytes mech_types;
    if (findContext(seq, 0, mech_types, bad)) {
        Bytes list;
        if (unwrap(mech_types, 0x30, list)) {
            ByteReader r(list);
            Tlv first;  // the client's preferred mechanism is listed first
            if (readTlv(r, first) && first.tag == 0x06) {
                if (equals(first.value, kOidKrb5, sizeof kOidKrb5) ||
                    equals(first.value, kOidMsKrb5, sizeof kOidMsKrb5))
                    out.mech = AuthMech::Kerberos;
                else if (equals(first.value, kOidNtlm, sizeof kOidNtlm))
                    out.mech = AuthMech::Ntlmssp;
            }
        }
    }
    if (bad) return ParseState::Invalid;
    Bytes tok_ctx, tok;
    if (findContext(seq, 2, tok_ctx, bad)) {
        if (!unwrap(tok_ctx, 0x04, tok)) return ParseState::Invalid;
        return parseMechToken(tok, out);
    }
    if (bad) return ParseState::Invalid;
    return out.mech == AuthMech::Unknown ? ParseState::Ignored : ParseState::Success;
}

// NegTokenResp ::= SEQUENCE { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] }
ParseState parseNegTokenResp(Bytes body, AuthInfo& out) {
    Bytes seq;
    if (!unwrap(body, 0x30, seq)) return ParseState::Invalid;
    bool bad = false;
    Bytes mech;
    if (findContext(seq, 1, mech, bad)) {
        Bytes oid;
        if (unwrap(mech, 0x06, oid)) {
            if (equals(oid, kOidNtlm, sizeof kOidNtlm)) out.mech = AuthMech::Ntlmssp;
            if (equals(oid, kOidKrb5, sizeof kOidKrb5) || equals(oid, kOidMsKrb5, sizeof kOidMsKrb5))
                out.mech = AuthMech::Kerberos;
        }
    }
    Bytes tok_ctx, tok;
    if (!bad && findContext(seq, 2, tok_ctx, bad)) {
        if (!unwrap(tok_ctx, 0x04, tok)) return ParseState::Invalid;
        return parseMechToken(tok, out);
    }
    if (bad) return ParseState::Invalid;
    return ParseState::Ignored;
}

// Reads an NTLM "fields" triple (Len, MaxLen, BufferOffset) and returns the payload it names.
bool ntlmField(ByteReader& r, Bytes msg, Bytes& out) {
    uint16_t len = r.le16();
    r.le16();  // MaxLen
    uint32_t off = r.le32();
    if (!r.ok()) return false;
    if (len == 0) return out = {}, true;
    if (off > msg.size() || len > msg.size() - off) return false;
    out = msg.subspan(off, len);
    return true;
}

}  // namespace

const char* authMechName(AuthMech m) {
    switch (m) {
    case AuthMech::Ntlmssp: return "ntlmssp";
    case AuthMech::Kerberos: return "kerberos";
    case AuthMech::Unknown: break;
    }
    return "";
}

ParseState parseNtlmssp(Bytes msg, AuthInfo& out) {
    ByteReader r(msg);
    Bytes sig = r.bytes(8);
    uint32_t type = r.le32();
    if (!r.ok() || !equals(sig, kNtlmSignature, 8)) return ParseState::Invalid;
    out.mech = AuthMech::Ntlmssp;
    out.ntlm_message_type = type;
    if (type != 3) return ParseState::Success;  // NEGOTIATE / CHALLENGE name nobody we log

    // [MS-NLMP] 2.2.1.3 AUTHENTICATE_MESSAGE
    Bytes lm, nt, domain, user, host, session_key;
    if (!ntlmField(r, msg, lm) || !ntlmField(r, msg, nt) || !ntlmField(r, msg, domain) ||
        !ntlmField(r, msg, user) || !ntlmField(r, msg, host) || !ntlmField(r, msg, session_key))
        return ParseState::Invalid;
    uint32_t flags = r.le32();
    if (!r.ok()) return ParseState::Invalid;
    if (domain.size() > kMaxNtlmNameBytes || user.size() > kMaxNtlmNameBytes ||
        host.size() > kMaxNtlmNameBytes)
        return ParseState::Invalid;
    constexpr uint32_t kNegotiateUnicode = 0x00000001;
    constexpr uint32_t kNegotiateAnonymous = 0x00000800;
    auto str = [&](Bytes b) { return (flags & kNegotiateUnicode) ? utf16ToUtf8(b) : oemToUtf8(b); };
    out.domain = str(domain);
    out.user = str(user);
    out.host = str(host);
    // [MS-NLMP] 3.2.5.1.2: anonymous = empty user, empty NT response, LM response empty or Z(1).
    bool lm_empty = lm.empty() || (lm.size() == 1 && lm[0] == 0);
    out.anonymous = (flags & kNegotiateAnonymous) || (user.empty() && nt.empty() && lm_empty);
    return ParseState::Success;
}

ParseState parseKerberosToken(Bytes token, AuthInfo& out) {
    out.mech = AuthMech::Kerberos;
    Bytes ap_req = token;
    if (!token.empty() && token[0] == 0x60) {
        // InitialContextToken: [APPLICATION 0] { thisMech OID, innerToken }
        Bytes inner;
        if (!unwrap(token, 0x60, inner)) return ParseState::Invalid;
        ByteReader r(inner);
        Tlv oid;
        if (!readTlv(r, oid) || oid.tag != 0x06) return ParseState::Invalid;
        if (!equals(oid.value, kOidKrb5, sizeof kOidKrb5) &&
            !equals(oid.value, kOidMsKrb5, sizeof kOidMsKrb5))
            return ParseState::Ignored;
        uint16_t tok_id = r.be16();
        if (!r.ok()) return ParseState::Invalid;
        if (tok_id != 0x0100) return ParseState::Success;  // AP-REP / KRB-ERROR: nothing to name
        ap_req = r.rest();
    }
    // AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno[0], msg-type[1], ap-options[2], ticket[3], ... }
    // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno[0], realm[1], sname[2], enc-part[3] }
    Bytes app, seq, ticket_ctx, ticket_app, ticket_seq, realm, sname;
    bool bad = false;
    if (!unwrap(ap_req, 0x6E, app) || !unwrap(app, 0x30, seq)) return ParseState::Invalid;
    if (!findContext(seq, 3, ticket_ctx, bad) || !unwrap(ticket_ctx, 0x61, ticket_app) ||
        !unwrap(ticket_app, 0x30, ticket_seq))
        return ParseState::Invalid;
    if (findContext(ticket_seq, 1, realm, bad)) out.krb_realm = readGeneralString(realm);
    if (!bad && findContext(ticket_seq, 2, sname, bad)) {
        // PrincipalName ::= SEQUENCE { name-type[0], name-string[1] SEQUENCE OF GeneralString }
        Bytes pn, names_ctx, names;
        if (unwrap(sname, 0x30, pn) && findContext(pn, 1, names_ctx, bad) &&
            unwrap(names_ctx, 0x30, names)) {
            ByteReader r(names);
            std::string joined;
            while (r.remaining() > 0) {
                Tlv t;
                if (!readTlv(r, t) || t.tag != 0x1B) break;
                if (!joined.empty()) joined += '/';
                joined.append(reinterpret_cast<const char*>(t.value.data()), t.value.size());
            }
            out.krb_sname = joined;
        }
    }
    return bad ? ParseState::Invalid : ParseState::Success;
}

ParseState parseSecurityBlob(Bytes blob, AuthInfo& out) {
    if (blob.empty()) return ParseState::Ignored;
    if (blob.size() >= 8 && std::memcmp(blob.data(), kNtlmSignature, 8) == 0) return parseNtlmssp(blob, out);
    if (blob[0] == 0x60) {
        // GSS-API InitialContextToken: [APPLICATION 0] { thisMech OID, innerContextToken }
        Bytes inner;
        if (!unwrap(blob, 0x60, inner)) return ParseState::Invalid;
        ByteReader r(inner);
        Tlv oid;
        if (!readTlv(r, oid) || oid.tag != 0x06) return ParseState::Invalid;
        if (equals(oid.value, kOidSpnego, sizeof kOidSpnego)) {
            Bytes nego;
            if (!unwrap(r.rest(), 0xA0, nego)) return ParseState::Invalid;  // negTokenInit [0]
            return parseNegTokenInit(nego, out);
        }
        return parseKerberosToken(blob, out);
    }
    Bytes body;
    if (blob[0] == 0xA0) {  // negTokenInit without the GSS wrapper (server's negTokenInit2)
        if (!unwrap(blob, 0xA0, body)) return ParseState::Invalid;
        return parseNegTokenInit(body, out);
    }
    if (blob[0] == 0xA1) {
        if (!unwrap(blob, 0xA1, body)) return ParseState::Invalid;
        return parseNegTokenResp(body, out);
    }
    return ParseState::Ignored;
}

}  // namespace rpcmon::smb
