// SPDX-License-Identifier: Apache-2.0
// EFSRPC ([MS-EFSR]) argument decoders: the file name of the calls PetitPotam uses to make a
// server authenticate to a UNC path.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult efsFileName(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // [MS-EFSR] 3.1.4.2: FileName is the first [in, string] parameter of these calls.
    switch (op) {
    case 0: case 4: case 5: case 6: case 7: case 8: case 9: case 12: case 13:
    case 18: case 19: case 21: case 22:
        a["file_name"] = n.wstringBody();
        if (op == 13) a["dest_file_name"] = n.wstringBody();
        return finish(n, out, std::move(a));
    case 15: case 16:
        // EfsRpcAddUsersToFileEx / EfsRpcFileKeyInfoEx: flags, [unique] Reserved, FileName.
        n.u32();
        if (n.pointer() != 0) return DecodeResult::Failed;  // Reserved must be NULL
        a["file_name"] = n.wstringBody();
        return finish(n, out, std::move(a));
    }
    return DecodeResult::NotApplicable;
}

}  // namespace

const DecoderGroup& efsrDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"efsrpc", {0, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 18, 19, 21, 22}, efsFileName, kNdr64},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
