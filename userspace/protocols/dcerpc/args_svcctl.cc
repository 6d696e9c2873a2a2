// SPDX-License-Identifier: Apache-2.0
// Service control manager ([MS-SCMR]) argument decoders: the service name and binary path of
// remote service creation and reconfiguration (PsExec-style execution).
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

DecodeResult createService(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // [MS-SCMR] 3.1.4.12 RCreateServiceW (A: 3.1.4.24): hSCManager, lpServiceName,
    // lpDisplayName, access, type, start type, error control, lpBinaryPathName, ...
    bool wide = op == 12 || op == 45;
    n.contextHandle();
    std::string svc = wide ? n.wstringBody() : n.cstringBody();
    auto disp = wide ? n.uniqueWString() : n.uniqueCString();
    n.u32();
    uint32_t type = n.u32(), start = n.u32();
    n.u32();
    std::string bin = wide ? n.wstringBody() : n.cstringBody();
    a["service_name"] = svc;
    if (disp) a["display_name"] = *disp;
    a["binary_path"] = bin;
    a["service_type"] = type;
    a["start_type"] = start;
    return finish(n, out, std::move(a));
}

DecodeResult changeServiceConfig(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // 3.1.4.11 RChangeServiceConfigW: hService, type, start, error, [unique] lpBinaryPathName
    n.contextHandle();
    n.u32();
    uint32_t start = n.u32();
    n.u32();
    auto bin = op == 11 ? n.uniqueWString() : n.uniqueCString();
    if (bin) a["binary_path"] = *bin;
    a["start_type"] = start;
    return finish(n, out, std::move(a));
}

DecodeResult openService(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // 3.1.4.16 ROpenServiceW: hSCManager, lpServiceName, dwDesiredAccess.
    n.contextHandle();
    a["service_name"] = op == 16 ? n.wstringBody() : n.cstringBody();
    return finish(n, out, std::move(a));
}

}  // namespace

const DecoderGroup& svcctlDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"svcctl", {12, 24, 44, 45}, createService, kNdr64},
            {"svcctl", {11, 23}, changeServiceConfig, kNdr64},
            {"svcctl", {16, 28}, openService, kNdr64},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
