// SPDX-License-Identifier: Apache-2.0
// NDR argument decoders (args.h): ArgsDecoder::request and ::response on a stub for an
// interface and opnum chosen by the first bytes, in NDR 2.0 or NDR64, either byte order; plus
// the protocol-tower decoder on the same bytes.
//
// Input: [flags u8][interface UUID 16, wire order LE][opnum u16 LE][stub...]
// flags bit 0: big-endian; bit 1: NDR64; bit 2: skip the request; bit 3: skip the response;
// bit 4: split the stub — the first half is the request, the second the response.
// An interface UUID not in the table picks table entry uuid[0] % size instead, so mutations of
// it still reach a decoder.
#include "fuzz_util.h"
#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/interfaces.h"
#include "protocols/dcerpc/ndr.h"
#include "output/arg_list.h"
#include "output/json_writer.h"

using namespace rpcmon;
using namespace rpcmon::dcerpc;

namespace {

// The typed list's writer must print what the tree of the same list dumps.
void checkWritten(const ArgList& l) {
    JsonWriter w;
    writeArgs(w, l);
    FUZZ_CHECK(w.str() == toJson(l).dump(-1, ' ', false, Json::error_handler_t::replace));
}

void dumpAll(const CallArgs& a) {
    checkWritten(a.args);
    checkWritten(a.dcom);
    checkWritten(a.epm);
    FUZZ_CHECK(a.endpoints.size() <= kMaxTowersPerReply);
    FUZZ_CHECK(a.dcom_bindings.size() <= kMaxDcomBindings);
    for (const auto& t : a.endpoints) checkWritten(towerArgs(t));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 19) return 0;
    fuzz::Input in(data, size);
    uint8_t flags = in.u8();
    Bytes uuid_bytes = in.take(16);
    uint16_t opnum = in.u16();
    Bytes stub = in.rest();

    ByteReader ur(uuid_bytes);
    Uuid uuid = readUuid(ur, true);
    const InterfaceInfo* iface = findInterface(uuid);
    auto all = allInterfaces();
    if (!iface) {
        if (all.empty()) return 0;
        iface = &all[uuid_bytes[0] % all.size()];
    }
    (void)operationName(iface, opnum);

    bool le = !(flags & 1), ndr64 = flags & 2;
    Bytes req = stub, resp = stub;
    if (flags & 0x10) {
        req = stub.first(stub.size() / 2);
        resp = stub.subspan(stub.size() / 2);
    }
    ArgsDecoder dec;
    CallArgs args;
    if (!(flags & 4)) (void)dec.request(*iface, opnum, req, le, args, ndr64);
    dumpAll(args);
    if (!(flags & 8)) (void)dec.response(*iface, opnum, resp, le, args, ndr64);
    dumpAll(args);

    TowerEndpoint t;
    if (decodeTower(stub, t)) checkWritten(towerArgs(t));
    NdrReader r(stub, le, ndr64);
    (void)r.uniqueWString();
    (void)utf16leToUtf8(stub);
    (void)latin1ToUtf8(stub);
    return 0;
}
