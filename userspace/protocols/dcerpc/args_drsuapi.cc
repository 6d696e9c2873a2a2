// SPDX-License-Identifier: Apache-2.0
// Directory replication ([MS-DRSR]) argument decoders: the naming context and extended
// operation of DRSGetNCChanges (DCSync).
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult getNcChanges(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-DRSR] 4.1.10 IDL_DRSGetNCChanges: hDrs, dwInVersion, union DRS_MSG_GETCHGREQ.
    n.contextHandle();
    uint32_t ver = n.u32();
    uint32_t tag = n.u32();
    if (!n.ok() || tag != ver) return DecodeResult::Failed;
    a["version"] = ver;
    if (ver != 5 && ver != 8 && ver != 10) return finish(n, out, std::move(a));
    n.align(8);
    n.uuid();  // uuidDsaObjDest
    n.uuid();  // uuidInvocIdSrc
    uint32_t pnc = n.pointer();
    n.align(8);
    n.skip(24);  // usnvecFrom
    n.pointer(); // pUpToDateVecDest
    n.u32();     // ulFlags
    n.u32();     // cMaxObjects
    n.u32();     // cMaxBytes
    uint32_t exop = n.u32();
    n.u64();     // liFsmoInfo
    if (ver >= 8) {
        n.pointer();  // pPartialAttrSet
        n.pointer();  // pPartialAttrSetEx
        n.u32();      // PrefixTableDest.PrefixCount
        n.pointer();  // PrefixTableDest.pPrefixEntry
    }
    if (ver == 10) n.u32();  // ulMoreFlags
    a["extended_op"] = exop;
    if (pnc) {
        // DSNAME (4.1.4.1.1... [MS-DRSR] 5.50): conformant struct, max_count first.
        uint32_t max = n.u32();
        n.u32();  // structLen
        n.u32();  // SidLen
        Uuid g = n.uuid();
        n.skip(28);  // Sid
        uint32_t namelen = n.u32();
        if (!n.ok() || namelen > kMaxNdrStringUnits || namelen + 1 != max) return DecodeResult::Failed;
        Bytes s = n.bytes(size_t(max) * 2);
        if (!n.ok()) return DecodeResult::Failed;
        std::string dn = utf16leToUtf8(s);
        if (!dn.empty()) a["naming_context"] = dn;
        if (!g.isNil()) a["naming_context_guid"] = g.toString();
    }
    return finish(n, out, std::move(a));
}

}  // namespace

const DecoderGroup& drsuapiDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"drsuapi", {3}, getNcChanges},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
