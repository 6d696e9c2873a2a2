// SPDX-License-Identifier: Apache-2.0
// Netlogon ([MS-NRPC]) argument decoders: secure-channel setup and password set, with whether
// the credential or new password is all zero (Zerologon). The zero tests are kept, never the
// bytes.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult serverAuthenticate(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // [MS-NRPC] 3.5.4.4.2 NetrServerAuthenticate3: PrimaryName, AccountName,
    // SecureChannelType (enum: 2 bytes in NDR), ComputerName, ClientCredential[8], flags.
    auto primary = n.uniqueWString();
    if (primary) a["primary_name"] = *primary;
    if (op == 4) {
        // NetrServerReqChallenge: PrimaryName, ComputerName, ClientChallenge[8].
        a["computer_name"] = n.wstringBody();
        Bytes ch = n.bytes(8);
        if (n.ok()) a["client_challenge_zero"] = allZero(ch);
        return finish(n, out, std::move(a));
    }
    a["account_name"] = n.wstringBody();
    a["secure_channel_type"] = n.enum16();
    a["computer_name"] = n.wstringBody();
    Bytes cred = n.bytes(8);
    if (!n.ok()) return DecodeResult::Failed;
    a["client_credential_zero"] = allZero(cred);
    if (op == 26 || op == 15) a["negotiate_flags"] = n.u32();
    if (op == 30) {
        // NetrServerPasswordSet2: Authenticator {Credential[8], Timestamp}, ClearNewPassword.
        n.u32();
        Bytes pw = n.bytes(516);
        if (n.ok()) a["new_password_zero"] = allZero(pw);
    }
    return finish(n, out, std::move(a));
}

}  // namespace

const DecoderGroup& netlogonDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"netlogon", {26, 15, 30, 4}, serverAuthenticate, kNdr64},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
