// SPDX-License-Identifier: Apache-2.0
// The argument decoder table: each interface group (args_<group>.cc) registers which
// (interface, opnum) pairs it decodes, and args.cc dispatches a stub to its decoder. Internal
// to rpcmon_dcerpc (args.h is the public face); also what the table tests read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocols/dcerpc/args.h"
#include "protocols/dcerpc/ndr.h"

namespace rpcmon::dcerpc::decoders {

// Largest opaque blob (MInterfacePointer, tower, activation properties) we will walk: DCOM
// activation blobs are a few hundred bytes; towers ~75 bytes.
constexpr uint32_t kMaxBlob = 64 * 1024;

// One stub being decoded and what a decoder may fill.
struct DecodeCall {
    NdrReader& n;       // positioned after anything the dispatcher read (ORPCTHIS)
    uint16_t op;
    Bytes stub;         // the whole stub (responses read the words before the status)
    bool le;
    CallArgs& out;
    ArgList& a;         // requests: values for rpc.args, merged by finish()
    RegistryKeyNames& keys;
};
using DecodeFn = DecodeResult (*)(DecodeCall&);

// The decoder also reads NDR64 stubs (the string-argument calls native Windows clients make);
// without it an NDR64 stub of the operation is not decoded.
inline constexpr bool kNdr64 = true;

struct OpDecoder {
    std::string_view iface;  // InterfaceInfo::name (both efsrpc UUIDs share "efsrpc")
    std::vector<uint16_t> opnums;
    DecodeFn decode;
    bool ndr64 = false;
};

struct DecoderGroup {
    std::vector<OpDecoder> requests;
    std::vector<OpDecoder> responses;
};

// One per interface group; args.cc lists them all.
const DecoderGroup& dcomDecoders();
const DecoderGroup& drsuapiDecoders();
const DecoderGroup& efsrDecoders();
const DecoderGroup& epmDecoders();
const DecoderGroup& lsaDecoders();
const DecoderGroup& netlogonDecoders();
const DecoderGroup& samrDecoders();
const DecoderGroup& spoolssDecoders();
const DecoderGroup& srvsvcDecoders();
const DecoderGroup& svcctlDecoders();
const DecoderGroup& tschDecoders();
const DecoderGroup& winregDecoders();

// Every registered group, for the dispatcher and the table tests.
std::span<const DecoderGroup* const> allGroups();

// Shared by several groups.
// Merges the request values into out.args when the reader is still good.
DecodeResult finish(NdrReader& n, CallArgs& out, ArgList&& a);
bool allZero(Bytes b);
// The ulong an [out] parameter list ends with, just before the 4-byte return status (NDR aligns
// both to 4, so they are the stub's last 8 bytes); nullopt when the stub cannot hold them.
std::optional<uint32_t> wordBeforeStatus(Bytes stub, bool le);
// [MS-DCOM] 2.2.13.1 ORPCTHIS, which every ORPC request starts with (args_dcom.cc).
bool readOrpcThis(NdrReader& n, Uuid& cid);

}  // namespace rpcmon::dcerpc::decoders
