// SPDX-License-Identifier: Apache-2.0
// SAMR ([MS-SAMR]) argument decoders: how many accounts, groups or domains an enumeration
// returned.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult enumerationResponse(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    const Bytes stub = c.stub;
    const bool le = c.le;
    // [MS-SAMR] 3.1.5.2.1-5 SamrEnumerateDomainsInSamServer / GroupsInDomain /
    // UsersInDomain / AliasesInDomain: [in,out] EnumerationContext, [out]
    // PSAMPR_ENUMERATION_BUFFER* Buffer (unique: a referent id, then EntriesRead and the
    // entries), [out] CountReturned, then the NTSTATUS. CountReturned is the last ulong
    // before the status; EntriesRead must agree with it when the buffer is there.
    n.u32();
    uint32_t buf = n.pointer();
    uint32_t entries = buf ? n.u32() : 0;
    auto count = wordBeforeStatus(stub, le);
    if (!n.ok() || !count || (buf && entries != *count)) return DecodeResult::Failed;
    out.args["entries_read"] = *count;
    return DecodeResult::Decoded;
}

}  // namespace

const DecoderGroup& samrDecoders() {
    static const DecoderGroup group{
        .requests = {},
        .responses = {
            {"samr", {6, 11, 13, 15}, enumerationResponse},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
