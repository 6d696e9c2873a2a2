// SPDX-License-Identifier: Apache-2.0
// Name tables for ONC RPC: program numbers, procedures per (program, version), NFSv4
// operations, and the status enums of NFS, MOUNT and NLM. All data lives in programs.cc.
// Every lookup returns nullptr for an unknown value; callers print the number instead.
#pragma once

#include <cstdint>
#include <string>

namespace rpcmon::onc {

// Program numbers used by code (the full name table is in programs.cc).
inline constexpr uint32_t kProgPortmap = 100000;
inline constexpr uint32_t kProgNfs = 100003;
inline constexpr uint32_t kProgMount = 100005;
inline constexpr uint32_t kProgRquota = 100011;
inline constexpr uint32_t kProgNlm = 100021;
inline constexpr uint32_t kProgNsm = 100024;
inline constexpr uint32_t kProgNfsAcl = 100227;

// The object a decoded program's arguments and results go into, next to `rpc` (SCHEMA.md:
// `nfs.name`, `mount.path`, `portmap.port`, ...): one row per program body.cc decodes. User-rule
// paths may walk into these objects (detect/config.cc resolveField); onc_program_objects_test
// checks that body.cc writes exactly these.
struct ProgramObject {
    uint32_t prog;
    const char* object;
};
inline constexpr ProgramObject kProgramObjects[] = {
    {kProgNfs, "nfs"}, {kProgMount, "mount"}, {kProgPortmap, "portmap"}, {kProgNlm, "nlm"}, {kProgNsm, "nsm"},
};
// The object `prog`'s decoded fields go into; nullptr for a program without a decoder.
constexpr const char* programObject(uint32_t prog) {
    for (const ProgramObject& p : kProgramObjects)
        if (p.prog == prog) return p.object;
    return nullptr;
}

const char* programName(uint32_t prog);                              // "nfs", "portmapper"
const char* procedureName(uint32_t prog, uint32_t vers, uint32_t proc);  // "LOOKUP"
const char* nfs4OpName(uint32_t op);       // RFC 7530/8881/7862/8276 nfs_opnum4: "PUTFH"
const char* authFlavorName(uint32_t f);    // "AUTH_NULL", "AUTH_UNIX", "RPCSEC_GSS"
const char* acceptStatName(uint32_t s);    // "success", "prog_unavail", ...
const char* rejectStatName(uint32_t s);    // "rpc_mismatch", "auth_error"
const char* authStatName(uint32_t s);      // "AUTH_BADCRED", ...
const char* nfsstat2Name(uint32_t s);      // RFC 1094 §2.3.1: "NFS_OK", "NFSERR_NOENT"
const char* nfsstat3Name(uint32_t s);      // RFC 1813 §2.6: "NFS3_OK", "NFS3ERR_NOENT"
const char* nfsstat4Name(uint32_t s);      // RFC 7530 §13 / 8881 §15 / 7862 §11: "NFS4_OK"
const char* mountstat3Name(uint32_t s);    // RFC 1813 App. I: "MNT3_OK", "MNT3ERR_ACCES"
const char* nlm4StatName(uint32_t s);      // NLM v4 (X/Open XNFS, RFC 1813 App. II)

// `name` if non-null, else the decimal value: keeps every status key a string.
std::string nameOr(const char* name, uint32_t value);

}  // namespace rpcmon::onc
