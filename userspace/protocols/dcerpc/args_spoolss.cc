// SPDX-License-Identifier: Apache-2.0
// Print spooler ([MS-RPRN], [MS-PAR]) argument decoders: the callback host of change
// notifications (PrinterBug), printer names, and driver installs (PrintNightmare).
#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc::decoders {
namespace {

// RPC_DRIVER_INFO_N sizes in NDR 2.0 ([MS-RPRN] 2.2.1.5.x): pointers are 4 bytes; levels 6 and
// 8 contain FILETIME/DWORDLONG and are 8-aligned. The deferred strings follow the struct.
size_t driverInfoSize(uint32_t level) {
    switch (level) {
    case 2: return 24;
    case 3: return 44;
    case 4: return 52;
    case 6: return 88;
    case 8: return 136;
    }
    return 0;
}

// DRIVER_CONTAINER ([MS-RPRN] 2.2.1.2.3): Level, union tag, unique pointer to DRIVER_INFO.
DecodeResult driverContainer(NdrReader& n, ArgList& a) {
    uint32_t level = n.u32();
    uint32_t tag = n.u32();
    uint32_t ptr = n.pointer();
    if (!n.ok() || tag != level) return DecodeResult::Failed;
    a["level"] = level;
    size_t size = driverInfoSize(level);
    if (!ptr || size == 0) return DecodeResult::Decoded;
    if (level >= 6) n.align(8);
    size_t start = n.offset();
    n.u32();  // cVersion
    uint32_t p[5];
    for (auto& x : p) x = n.pointer();
    if (!n.ok() || !n.skip(size - (n.offset() - start))) return DecodeResult::Failed;
    static const char* const kNames[5] = {"driver_name", "environment", "driver_path",
                                          "data_file", "config_file"};
    for (int i = 0; i < 5; i++) {
        if (!p[i]) continue;
        std::string s = n.wstringBody();
        if (!n.ok()) return DecodeResult::Failed;
        a[kNames[i]] = s;
    }
    return DecodeResult::Decoded;
}

DecodeResult printerChangeNotification(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-RPRN] 3.1.4.10.3/.4: hPrinter, fdwFlags, fdwOptions, [unique] pszLocalMachine, ...
    n.contextHandle();
    n.u32();
    n.u32();
    auto lm = n.uniqueWString();
    if (lm) a["local_machine"] = *lm;
    return finish(n, out, std::move(a));
}

DecodeResult openPrinter(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // RpcOpenPrinter(Ex) / RpcAsyncOpenPrinter: [unique, string] pPrinterName first.
    auto p = n.uniqueWString();
    if (p) a["printer_name"] = *p;
    return finish(n, out, std::move(a));
}

DecodeResult addPrinterDriver(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // RpcAddPrinterDriver(Ex) / RpcAsyncAddPrinterDriver: [unique] pName, DRIVER_CONTAINER,
    // (Ex: dwFileCopyFlags).
    auto server = n.uniqueWString();
    if (server) a["server"] = *server;
    if (driverContainer(n, a) != DecodeResult::Decoded) return DecodeResult::Failed;
    if (op != 9) a["file_copy_flags"] = n.u32();
    return finish(n, out, std::move(a));
}

}  // namespace

const DecoderGroup& spoolssDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"spoolss", {62, 65}, printerChangeNotification, kNdr64},
            {"spoolss", {1, 69}, openPrinter, kNdr64},
            {"IRemoteWinspool", {0}, openPrinter, kNdr64},
            {"spoolss", {9, 89}, addPrinterDriver},
            {"IRemoteWinspool", {39}, addPrinterDriver},
        },
        .responses = {},
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
