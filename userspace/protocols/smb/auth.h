// SPDX-License-Identifier: Apache-2.0
// The security blob of an SMB session setup: SPNEGO (RFC 4178, ASN.1 DER) wrapping NTLMSSP
// ([MS-NLMP]) or a Kerberos AP-REQ (RFC 4121 / RFC 4120). Parsed minimally and defensively:
// only the fields that say who is logging on; every length is checked against its container.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_reader.h"

namespace rpcmon::smb {

enum class AuthMech : uint8_t { Unknown, Ntlmssp, Kerberos };

struct AuthInfo {
    AuthMech mech = AuthMech::Unknown;
    uint32_t ntlm_message_type = 0;  // 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE
    bool anonymous = false;          // NTLM AUTHENTICATE with empty user and responses
    std::string user, domain, host;  // NTLM AUTHENTICATE (UTF-8)
    std::string krb_realm, krb_sname;  // Kerberos AP-REQ ticket: service realm and name
    // True once the blob carried the leg that identifies the client (NTLM AUTHENTICATE or a
    // Kerberos AP-REQ): the session setup that follows is the final one.
    bool identifies_client() const {
        return ntlm_message_type == 3 || mech == AuthMech::Kerberos;
    }
};

// NTLM user/domain/workstation names are at most 256 characters ([MS-NLMP] 2.2.1.3 leaves it
// open; Windows limits user names to 104 and NetBIOS names to 15) — longer is hostile.
inline constexpr size_t kMaxNtlmNameBytes = 512;

// Parses a session-setup security blob: SPNEGO negTokenInit / negTokenResp, raw NTLMSSP, or a
// raw GSS-API Kerberos token. Returns Success when something was recognised, Ignored for an
// empty blob or an unknown mechanism, Invalid for a malformed structure (fields decoded before
// the error are kept in `out`).
ParseState parseSecurityBlob(Bytes blob, AuthInfo& out);

// Parses one NTLMSSP message ("NTLMSSP\0" + type). Invalid when a field's offset/length lies
// outside the message.
ParseState parseNtlmssp(Bytes msg, AuthInfo& out);

// Parses a GSS-API Kerberos token (RFC 4121 §4.1: 0x60, krb5 OID, TOK_ID 01 00, AP-REQ).
ParseState parseKerberosToken(Bytes token, AuthInfo& out);

const char* authMechName(AuthMech m);  // "ntlmssp", "kerberos", ""

}  // namespace rpcmon::smb
