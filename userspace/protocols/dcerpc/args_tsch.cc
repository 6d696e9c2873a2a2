// SPDX-License-Identifier: Apache-2.0
// Task scheduler ([MS-TSCH]) argument decoders: the command of atsvc jobs and of registered
// tasks (from the task XML), and the task path of run / delete / retrieve.
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

// Task XML ([MS-TSCH] 2.5): the Exec action's command and arguments, for the record.
std::string xmlElement(const std::string& xml, const char* tag) {
    std::string open = std::string("<") + tag + ">", close = std::string("</") + tag + ">";
    auto a = xml.find(open);
    if (a == std::string::npos) return {};
    a += open.size();
    auto b = xml.find(close, a);
    if (b == std::string::npos) return {};
    return xml.substr(a, b - a);
}

DecodeResult jobAdd(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-TSCH] 3.2.5.2.1 NetrJobAdd: ServerName, AT_INFO {JobTime, DaysOfMonth,
    // DaysOfWeek, Flags, [string] Command}.
    auto server = n.uniqueWString();
    n.structAlign();
    n.int3264();  // JobTime (DWORD_PTR)
    n.u32();      // DaysOfMonth
    n.u8();       // DaysOfWeek
    n.u8();       // Flags
    uint32_t cmd = n.pointer();
    if (server) a["server"] = *server;
    if (cmd) a["command"] = n.wstringBody();
    return finish(n, out, std::move(a));
}

DecodeResult registerTask(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-TSCH] 3.2.5.4.2 SchRpcRegisterTask: [unique] path, xml, flags, [unique] sddl, ...
    auto path = n.uniqueWString();
    std::string xml = n.wstringBody();
    uint32_t flags = n.u32();
    if (path) a["path"] = *path;
    a["xml_length"] = xml.size();
    a["flags"] = flags;
    if (auto c = xmlElement(xml, "Command"); !c.empty()) a["command"] = c;
    if (auto c = xmlElement(xml, "Arguments"); !c.empty()) a["arguments"] = c;
    return finish(n, out, std::move(a));
}

DecodeResult taskPath(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // SchRpcRun / SchRpcDelete / SchRpcRetrieveTask: [string] path first.
    a["path"] = n.wstringBody();
    return finish(n, out, std::move(a));
}

}  // namespace

const DecoderGroup& tschDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"atsvc", {0}, jobAdd, kNdr64},
            {"ITaskSchedulerService", {1}, registerTask, kNdr64},
            {"ITaskSchedulerService", {12, 13, 2}, taskPath, kNdr64},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
