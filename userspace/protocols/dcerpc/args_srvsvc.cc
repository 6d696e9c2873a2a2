// SPDX-License-Identifier: Apache-2.0
// Server service ([MS-SRVS]) argument decoders: the path of NetprPathCanonicalize (MS08-067)
// and the number of shares NetrShareEnum returned.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult pathCanonicalize(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-SRVS] 3.1.4.30 NetprPathCanonicalize: ServerName, PathName, OutbufLen, Prefix, ...
    auto server = n.uniqueWString();
    std::string path = n.wstringBody();
    n.u32();
    std::string prefix = n.wstringBody();
    if (server) a["server"] = *server;
    a["path"] = path;
    a["prefix"] = prefix;
    return finish(n, out, std::move(a));
}

DecodeResult shareEnumResponse(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    // [MS-SRVS] 3.1.4.8 NetrShareEnum: [in,out] SHARE_ENUM_STRUCT {Level, [switch_is(Level)]
    // union of container pointers}: Level, the union's discriminant (= Level), the
    // container's referent id, then the container's EntriesRead.
    uint32_t level = n.u32();
    uint32_t disc = n.u32();
    uint32_t ctr = n.pointer();
    if (!n.ok() || disc != level) return DecodeResult::Failed;
    if (!ctr) return DecodeResult::Decoded;  // no container: nothing returned
    out.args["entries_read"] = n.u32();
    return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
}

}  // namespace

const DecoderGroup& srvsvcDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"srvsvc", {31}, pathCanonicalize, kNdr64},
        },
        .responses = {
            {"srvsvc", {15}, shareEnumResponse},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
