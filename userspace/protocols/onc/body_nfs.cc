// SPDX-License-Identifier: Apache-2.0
// NFSv2 (RFC 1094) and NFSv3 (RFC 1813) call arguments: file handles, names, offsets and
// counts; replies contribute their status.
#include "protocols/onc/body_decoders.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {
namespace {

void skipSattr3(Xdr& x) {
    if (x.boolean()) x.u32();  // mode
    if (x.boolean()) x.u32();  // uid
    if (x.boolean()) x.u32();  // gid
    if (x.boolean()) x.u64();  // size
    for (int i = 0; i < 2; i++)  // atime, mtime: time_how SET_TO_CLIENT_TIME carries nfstime3
        if (x.u32() == 2) x.u64();
}

}  // namespace

void decodeNfs3Call(uint32_t proc, Xdr& x, ArgList& nfs) {
    auto dirop = [&](const char* key) {
        x.opaque(kNfs3FhMax);
        std::string n = x.str(kMaxName);
        if (x.ok()) nfs[key] = n;
    };
    switch (proc) {
    case 3: case 8: case 9: case 11: case 12: case 13:  // LOOKUP CREATE MKDIR MKNOD REMOVE RMDIR
        dirop("name");
        break;
    case 10: {                                            // SYMLINK
        dirop("name");
        skipSattr3(x);
        std::string target = x.str(kMaxPath);
        if (x.ok()) nfs["symlink_target"] = target;
        break;
    }
    case 14: dirop("name"); dirop("rename_to"); break;    // RENAME
    case 15: x.opaque(kNfs3FhMax); dirop("name"); break;  // LINK: new link's name
    case 6: case 7: case 21: {                            // READ WRITE COMMIT
        x.opaque(kNfs3FhMax);
        uint64_t off = x.u64();
        uint32_t cnt = x.u32();
        if (x.ok()) { nfs["offset"] = off; nfs["count"] = cnt; }
        break;
    }
    default: break;
    }
}

// ---- NFSv2 (RFC 1094 §2.2) ----
void decodeNfs2Call(uint32_t proc, Xdr& x, ArgList& nfs) {
    auto dirop = [&](const char* key) {
        x.skip(kNfs2FhSize);
        std::string n = x.str(kNfs2MaxName);
        if (x.ok()) nfs[key] = n;
    };
    switch (proc) {
    case 4: case 9: case 10: case 14: case 15: dirop("name"); break;  // LOOKUP..RMDIR
    case 11: dirop("name"); dirop("rename_to"); break;                 // RENAME
    case 12: x.skip(kNfs2FhSize); dirop("name"); break;                // LINK
    case 13: {                                                         // SYMLINK
        dirop("name");
        std::string target = x.str(kNfs2MaxPath);
        if (x.ok()) nfs["symlink_target"] = target;
        break;
    }
    case 6: {                                                          // READ
        x.skip(kNfs2FhSize);
        uint32_t off = x.u32(), cnt = x.u32();
        if (x.ok()) { nfs["offset"] = off; nfs["count"] = cnt; }
        break;
    }
    case 8: {                                                          // WRITE
        x.skip(kNfs2FhSize);
        x.u32();                                                       // beginoffset (unused)
        uint32_t off = x.u32();
        x.u32();                                                       // totalcount (unused)
        uint32_t len = x.u32();
        if (x.ok() && len <= kNfs2MaxData) { nfs["offset"] = off; nfs["count"] = len; }
        break;
    }
    default: break;
    }
}

void decodeNfs2or3Reply(uint32_t vers, uint32_t proc, Xdr& x, ArgList& nfs) {
    // Every NFSv2/v3 result starts with its status, except v2 ROOT/WRITECACHE (void).
    if (vers == 2 && (proc == 3 || proc == 7)) return;
    uint32_t st = x.u32();
    if (!x.ok()) return;
    nfs["status"] = vers == 2 ? nameOr(nfsstat2Name(st), st) : nameOr(nfsstat3Name(st), st);
}

}  // namespace rpcmon::onc
