// SPDX-License-Identifier: Apache-2.0
// Remote registry ([MS-RRP]) argument decoders. Keys are opened relative to a handle, so the
// per-connection handle → key name table (RegistryKeyNames) lets BaseRegSaveKey name the hive
// it dumps.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

std::string trimNul(std::string s) {
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

DecodeResult openOrCreateKey(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-RRP] 3.1.5.16 BaseRegOpenKey / 3.1.5.7 BaseRegCreateKey: hKey, lpSubKey, ...
    n.align(4);
    Bytes h = n.bytes(20);
    uint32_t p = n.unicodeStringHeader();
    std::string sub = p ? trimNul(n.unicodeStringBody()) : std::string{};
    if (!n.ok()) return DecodeResult::Failed;
    std::string parent = c.keys.name(h);
    a["key"] = parent.empty() ? sub : parent + "\\" + sub;
    return finish(n, out, std::move(a));
}

DecodeResult saveKey(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // 3.1.5.20 BaseRegSaveKey / 3.1.5.30 BaseRegSaveKeyEx: hKey, lpFile, ...
    n.align(4);
    Bytes h = n.bytes(20);
    uint32_t p = n.unicodeStringHeader();
    std::string file = p ? trimNul(n.unicodeStringBody()) : std::string{};
    if (!n.ok()) return DecodeResult::Failed;
    if (auto k = c.keys.name(h); !k.empty()) a["key"] = k;
    a["file"] = file;
    return finish(n, out, std::move(a));
}

DecodeResult registryHandleResponse(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // Remember handle → key name so BaseRegSaveKey can name the key it saves.
    static const char* const kRoots[] = {"HKCR", "HKCU", "HKLM", "HKPD", "HKU"};
    n.align(4);
    Bytes h = n.bytes(20);
    if (!n.ok()) return DecodeResult::Failed;
    std::string key;
    if (op <= 4) key = kRoots[op];
    else if (op == 27) key = "HKCC";
    else if (out.args.contains("key")) key = out.args["key"].get<std::string>();
    if (!key.empty() && !allZero(h)) c.keys.remember(h, key);
    return DecodeResult::Decoded;
}

}  // namespace

const DecoderGroup& winregDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"winreg", {15, 6}, openOrCreateKey, kNdr64},
            {"winreg", {20, 31}, saveKey, kNdr64},
        },
        .responses = {
            {"winreg", {0, 1, 2, 3, 4, 27, 15, 6}, registryHandleResponse, kNdr64},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
