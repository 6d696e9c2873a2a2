// SPDX-License-Identifier: Apache-2.0
// Authentication tokens: the SMB security blob parser (SPNEGO DER → NTLMSSP or Kerberos
// AP-REQ), its NTLMSSP and Kerberos entry points on their own, and the DCE/RPC auth-verifier
// NTLMSSP parser — all on the same bytes.
//
// Input: one token (a session-setup security blob or an auth_value).
#include "fuzz_util.h"
#include "protocols/dcerpc/parse.h"
#include "protocols/smb/auth.h"

using namespace rpcmon;

namespace {

void check(ParseState st, const smb::AuthInfo& a) {
    FUZZ_CHECK(smb::authMechName(a.mech) != nullptr);
    if (st == ParseState::NeedsMoreData) return;  // allowed, but a token is always whole
    // Names are converted from at most kMaxNtlmNameBytes of UTF-16 (≤ 3 UTF-8 bytes per 2) or
    // OEM (≤ 2 per byte): never more than twice the wire limit.
    FUZZ_CHECK(a.user.size() <= 2 * smb::kMaxNtlmNameBytes);
    FUZZ_CHECK(a.domain.size() <= 2 * smb::kMaxNtlmNameBytes);
    FUZZ_CHECK(a.host.size() <= 2 * smb::kMaxNtlmNameBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Bytes token(data, size);
    {
        smb::AuthInfo a;
        check(smb::parseSecurityBlob(token, a), a);
    }
    {
        smb::AuthInfo a;
        check(smb::parseNtlmssp(token, a), a);
    }
    {
        smb::AuthInfo a;
        check(smb::parseKerberosToken(token, a), a);
    }
    {
        dcerpc::NtlmMessage m;
        if (dcerpc::parseNtlmssp(token, m) == ParseState::Success) {
            Json j = {{"user", m.user}, {"domain", m.domain}, {"workstation", m.workstation}};
            FUZZ_CHECK(!j.dump(-1, ' ', false, Json::error_handler_t::replace).empty());
        }
    }
    return 0;
}
