// SPDX-License-Identifier: Apache-2.0
// LSA ([MS-LSAT]) argument decoders: how many SIDs or names one lookup carries and how many
// mapped - what SID-enumeration detections weigh.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult lsaLookupRequest(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // [MS-LSAT] 3.1.4.x LsarLookupSids/2/3 and LsarLookupNames/2/3/4: a policy handle
    // (not for the *3/4 variants on a plain binding handle), then the count of SIDs
    // (LSAPR_SID_ENUM_BUFFER.Entries) or names. One call can look up thousands: the count
    // is what SID-enumeration detections weigh.
    if (op != 76 && op != 77) n.contextHandle();
    uint32_t count = n.u32();
    if (!n.ok()) return DecodeResult::Failed;
    a[(op == 15 || op == 57 || op == 76) ? "sid_count" : "name_count"] = count;
    return finish(n, out, std::move(a));
}

DecodeResult lsaLookupResponse(DecodeCall& c) {
    CallArgs& out = c.out;
    const Bytes stub = c.stub;
    const bool le = c.le;
    // [MS-LSAT] 3.1.4.x LsarLookupSids/2/3, LsarLookupNames/2/3/4: the out parameters
    // end with [in,out] MappedCount, then the NTSTATUS. Names (or SIDs) actually mapped:
    // never more than the request asked for. Reported as mapped_count, not entries_read:
    // a SID brute force is weighed by the SIDs it tries (sid_count), of which few map.
    auto mapped = wordBeforeStatus(stub, le);
    if (!mapped) return DecodeResult::Failed;
    for (const char* k : {"sid_count", "name_count"})
        if (out.args.contains(k) && out.args[k].is_number_unsigned() && *mapped > out.args[k].get<uint64_t>())
            return DecodeResult::Failed;
    out.args["mapped_count"] = *mapped;
    return DecodeResult::Decoded;
}

}  // namespace

const DecoderGroup& lsaDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"lsarpc", {14, 15, 57, 58, 68, 76, 77}, lsaLookupRequest, kNdr64},
        },
        .responses = {
            {"lsarpc", {14, 15, 57, 58, 68, 76, 77}, lsaLookupResponse},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
