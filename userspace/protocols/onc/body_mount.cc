// SPDX-License-Identifier: Apache-2.0
// MOUNT (RFC 1813 App. I; RFC 1094 App. A): the exported path a client mounts and the export
// and mount lists a server returns.
#include "protocols/onc/body_decoders.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {

// ---- MOUNT (RFC 1813 App. I; RFC 1094 App. A) ----
void decodeMountCall(uint32_t proc, Xdr& x, ArgList& mount) {
    if (proc != 1 && proc != 3) return;  // MNT, UMNT
    std::string path = x.str(kMntPathLen);
    if (x.ok()) mount["path"] = path;
}

void decodeMountReply(uint32_t proc, Xdr& x, ArgList& mount) {
    if (proc == 1) {  // MNT: v3 mountstat3, v1/v2 fhstatus (a Unix errno with the same values)
        uint32_t st = x.u32();
        if (x.ok()) mount["status"] = nameOr(mountstat3Name(st), st);
        return;
    }
    if (proc == 5 || proc == 6) {  // EXPORT, EXPORTALL: exportnode list
        ArgValue::List exports;
        while (x.ok() && x.boolean()) {
            std::string dir = x.str(kMntPathLen);
            while (x.ok() && x.boolean()) x.opaque(kMntNameLen);  // groups
            if (x.ok() && exports.size() < kMaxReportedEntries) exports.push_back(dir);
        }
        if (!exports.empty()) mount["exports"] = std::move(exports);
        return;
    }
    if (proc == 2) {  // DUMP: mountlist of (hostname, directory)
        ArgValue::List mounts;
        while (x.ok() && x.boolean()) {
            std::string host = x.str(kMntNameLen);
            std::string dir = x.str(kMntPathLen);
            if (x.ok() && mounts.size() < kMaxReportedEntries)
                mounts.push_back(ArgList{{"hostname", host}, {"path", dir}});
        }
        if (!mounts.empty()) mount["mounts"] = std::move(mounts);
    }
}

}  // namespace rpcmon::onc
