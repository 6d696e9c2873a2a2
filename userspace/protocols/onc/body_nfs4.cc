// SPDX-License-Identifier: Apache-2.0
// NFSv4.x COMPOUND (RFC 7530, RFC 8881, RFC 7862, RFC 8276): walks the operations of a call to
// name them and harvest file names, client ids and I/O ranges, and the per-operation statuses
// of a reply. An operation whose arguments are not understood ends the walk (the following
// operations cannot be located) and is counted.
#include "protocols/onc/anomalies.h"
#include "protocols/onc/body_decoders.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {
namespace {

constexpr uint32_t kNfs4Ok = 0;
constexpr uint32_t kNfs4ErrDenied = 10010;
constexpr uint32_t kNfs4ErrClidInuse = 10017;
constexpr uint32_t kNfs4ErrTooSmall = 10005;
constexpr uint32_t kNfs4ErrLayoutTryLater = 10058;
constexpr uint32_t kNfs4ErrOffloadNoReqs = 10094;

// What NFSv4 argument walking collects.
struct Nfs4CallInfo {
    ArgValue::List ops;
    ArgValue::List names;
    std::string rename_to;
    std::string client_id;
    bool have_io = false;
    uint64_t offset = 0;
    uint32_t count = 0;
};

// Skips (and harvests) the arguments of one NFSv4 operation. False: the operation is unknown
// or its arguments did not parse, so the following operations cannot be found.
bool nfs4SkipArgs(uint32_t op, Xdr& x, Nfs4CallInfo& info) {
    auto name = [&](uint32_t max = kMaxName) {
        std::string s = x.str(max);
        if (x.ok() && info.names.size() < kMaxReportedNames) info.names.push_back(s);
        return s;
    };
    auto io = [&](uint64_t off, uint32_t cnt) {
        if (!x.ok() || info.have_io) return;
        info.have_io = true;
        info.offset = off;
        info.count = cnt;
    };
    switch (Nfs4Op(op)) {
    case Nfs4Op::Access: x.u32(); break;
    case Nfs4Op::Close: x.u32(); x.stateid(); break;
    case Nfs4Op::Commit: x.u64(); x.u32(); break;
    case Nfs4Op::Create: {
        uint32_t type = x.u32();
        if (type == 5) x.opaque(kMaxPath);                    // NF4LNK: linkdata
        else if (type == 3 || type == 4) x.words(2);          // NF4BLK/NF4CHR: specdata4
        name();
        x.fattr();
        break;
    }
    case Nfs4Op::Delegpurge: x.u64(); break;
    case Nfs4Op::Delegreturn: x.stateid(); break;
    case Nfs4Op::Getattr: x.bitmap(); break;
    case Nfs4Op::Getfh: break;
    case Nfs4Op::Link: name(); break;
    case Nfs4Op::Lock:
        x.u32(); x.boolean(); x.u64(); x.u64();
        if (x.boolean()) { x.u32(); x.stateid(); x.u32(); x.lockOwner(); }
        else { x.stateid(); x.u32(); }
        break;
    case Nfs4Op::Lockt: x.u32(); x.u64(); x.u64(); x.lockOwner(); break;
    case Nfs4Op::Locku: x.u32(); x.u32(); x.stateid(); x.u64(); x.u64(); break;
    case Nfs4Op::Lookup: name(); break;
    case Nfs4Op::Lookupp: break;
    case Nfs4Op::Nverify: x.fattr(); break;
    case Nfs4Op::Open: {
        x.words(3);
        x.lockOwner();  // open_owner4 has the lock_owner4 shape
        uint32_t opentype = x.u32();
        if (opentype == 1) {
            uint32_t mode = x.u32();
            if (mode == 0 || mode == 1) x.fattr();
            else if (mode == 2) x.verifier();
            else if (mode == 3) { x.verifier(); x.fattr(); }
            else return false;
        } else if (opentype != 0) {
            return false;
        }
        uint32_t claim = x.u32();
        switch (claim) {
        case 0: name(); break;                                // CLAIM_NULL
        case 1: x.u32(); break;                               // CLAIM_PREVIOUS
        case 2: x.stateid(); name(); break;                   // CLAIM_DELEGATE_CUR
        case 3: name(); break;                                // CLAIM_DELEGATE_PREV
        case 4: case 6: break;                                // CLAIM_FH, CLAIM_DELEG_PREV_FH
        case 5: x.stateid(); break;                           // CLAIM_DELEG_CUR_FH
        default: return false;
        }
        break;
    }
    case Nfs4Op::Openattr: x.boolean(); break;
    case Nfs4Op::OpenConfirm: x.stateid(); x.u32(); break;
    case Nfs4Op::OpenDowngrade: x.stateid(); x.words(3); break;
    case Nfs4Op::Putfh: x.opaque(kNfs4FhMax); break;
    case Nfs4Op::Putpubfh: case Nfs4Op::Putrootfh: break;
    case Nfs4Op::Read: {
        x.stateid();
        uint64_t off = x.u64();
        uint32_t cnt = x.u32();
        io(off, cnt);
        break;
    }
    case Nfs4Op::Readdir: x.u64(); x.verifier(); x.words(2); x.bitmap(); break;
    case Nfs4Op::Readlink: break;
    case Nfs4Op::Remove: name(); break;
    case Nfs4Op::Rename: {
        name();
        std::string to = name();
        if (x.ok() && info.rename_to.empty()) info.rename_to = to;
        break;
    }
    case Nfs4Op::Renew: x.u64(); break;
    case Nfs4Op::Restorefh: case Nfs4Op::Savefh: break;
    case Nfs4Op::Secinfo: name(); break;
    case Nfs4Op::Setattr: x.stateid(); x.fattr(); break;
    case Nfs4Op::Setclientid: {
        x.verifier();
        Bytes id = x.opaque(kNfs4OpaqueLimit);
        if (x.ok() && info.client_id.empty()) info.client_id = printableOrHex(id);
        x.u32();
        x.netaddr();
        x.u32();
        break;
    }
    case Nfs4Op::SetclientidConfirm: x.u64(); x.verifier(); break;
    case Nfs4Op::Verify: x.fattr(); break;
    case Nfs4Op::Write: {
        x.stateid();
        uint64_t off = x.u64();
        x.u32();                                              // stable_how4
        uint32_t len = x.u32();                               // data<>: never read, skipped
        io(off, len);
        if (len > kMaxFragmentBytes) x.r.fail();
        x.skip((size_t(len) + 3) & ~size_t(3));
        break;
    }
    case Nfs4Op::ReleaseLockowner: x.lockOwner(); break;
    case Nfs4Op::BackchannelCtl: x.u32(); x.callbackSecParms(); break;
    case Nfs4Op::BindConnToSession: x.sessionid(); x.u32(); x.boolean(); break;
    case Nfs4Op::ExchangeId: {
        x.verifier();
        Bytes id = x.opaque(kNfs4OpaqueLimit);
        if (x.ok() && info.client_id.empty()) info.client_id = printableOrHex(id);
        x.u32();
        x.stateProtectArgs();
        x.implId();
        break;
    }
    case Nfs4Op::CreateSession:
        x.u64(); x.words(2); x.channelAttrs(); x.channelAttrs(); x.u32();
        x.callbackSecParms();
        break;
    case Nfs4Op::DestroySession: x.sessionid(); break;
    case Nfs4Op::FreeStateid: x.stateid(); break;
    case Nfs4Op::GetDirDelegation:
        x.boolean(); x.bitmap(); x.nfstime(); x.nfstime(); x.bitmap(); x.bitmap();
        break;
    case Nfs4Op::Getdeviceinfo: x.skip(16); x.words(2); x.bitmap(); break;
    case Nfs4Op::Getdevicelist: x.words(2); x.u64(); x.verifier(); break;
    case Nfs4Op::Layoutcommit:
        x.u64(); x.u64(); x.boolean(); x.stateid();
        if (x.boolean()) x.u64();
        if (x.boolean()) x.nfstime();
        x.layoutupdate();
        break;
    case Nfs4Op::Layoutget:
        x.boolean(); x.words(2); x.u64(); x.u64(); x.u64(); x.stateid(); x.u32();
        break;
    case Nfs4Op::Layoutreturn: {
        x.boolean(); x.words(2);
        uint32_t type = x.u32();
        if (type == 1) { x.u64(); x.u64(); x.stateid(); x.opaque(kMaxBlob); }
        else if (type != 2 && type != 3) return false;
        break;
    }
    case Nfs4Op::SecinfoNoName: x.u32(); break;
    case Nfs4Op::Sequence: x.sessionid(); x.words(3); x.boolean(); break;
    case Nfs4Op::SetSsv: x.opaque(kMaxBlob); x.opaque(kMaxBlob); break;
    case Nfs4Op::TestStateid: x.skip(16 * size_t(x.count(kMaxArray))); break;
    case Nfs4Op::WantDelegation: {
        x.u32();
        uint32_t claim = x.u32();
        if (claim == 1) x.u32();
        else if (claim != 4 && claim != 6) return false;
        break;
    }
    case Nfs4Op::DestroyClientid: x.u64(); break;
    case Nfs4Op::ReclaimComplete: x.boolean(); break;
    case Nfs4Op::Allocate: case Nfs4Op::Deallocate: x.stateid(); x.u64(); x.u64(); break;
    case Nfs4Op::Copy: {
        x.stateid(); x.stateid(); x.u64(); x.u64(); x.u64(); x.boolean(); x.boolean();
        uint32_t n = x.count(16);
        for (uint32_t i = 0; i < n && x.ok(); i++) x.netloc();
        break;
    }
    case Nfs4Op::CopyNotify: x.stateid(); x.netloc(); break;
    case Nfs4Op::IoAdvise: x.stateid(); x.u64(); x.u64(); x.bitmap(); break;
    case Nfs4Op::Layouterror:
        x.u64(); x.u64(); x.stateid(); x.skip(24 * size_t(x.count(kMaxArray)));
        break;
    case Nfs4Op::Layoutstats:
        x.u64(); x.u64(); x.stateid(); x.skip(32); x.skip(16); x.layoutupdate();
        break;
    case Nfs4Op::OffloadCancel: case Nfs4Op::OffloadStatus: x.stateid(); break;
    case Nfs4Op::ReadPlus: {
        x.stateid();
        uint64_t off = x.u64();
        uint32_t cnt = x.u32();
        io(off, cnt);
        break;
    }
    case Nfs4Op::Seek: x.stateid(); x.u64(); x.u32(); break;
    case Nfs4Op::WriteSame:
        x.stateid(); x.u32(); x.u64(); x.u64(); x.u64(); x.u64(); x.u32(); x.u64();
        x.opaque(kMaxBlob);
        break;
    case Nfs4Op::Clone: x.stateid(); x.stateid(); x.u64(); x.u64(); x.u64(); break;
    case Nfs4Op::Getxattr: case Nfs4Op::Removexattr: x.opaque(kMaxName); break;
    case Nfs4Op::Setxattr: x.u32(); x.opaque(kMaxName); x.opaque(kMaxBlob); break;
    case Nfs4Op::Listxattrs: x.u64(); x.u32(); break;
    case Nfs4Op::Illegal: break;
    default: return false;
    }
    return x.ok();
}

// Skips the result body of one NFSv4 operation whose status was `st`. False: unknown op or
// unparsable body; the per-op status list stops there.
bool nfs4SkipResult(uint32_t op, uint32_t st, Xdr& x) {
    // Bodies that exist for a non-OK status.
    switch (Nfs4Op(op)) {
    case Nfs4Op::Lock: case Nfs4Op::Lockt:
        if (st == kNfs4ErrDenied) { x.lockDenied(); return x.ok(); }
        break;
    case Nfs4Op::Setattr: x.bitmap(); return x.ok();  // attrsset always
    case Nfs4Op::Setclientid:
        if (st == kNfs4ErrClidInuse) { x.netaddr(); return x.ok(); }
        break;
    case Nfs4Op::Getdeviceinfo:
        if (st == kNfs4ErrTooSmall) { x.u32(); return x.ok(); }
        break;
    case Nfs4Op::Layoutget:
        if (st == kNfs4ErrLayoutTryLater) { x.boolean(); return x.ok(); }
        break;
    case Nfs4Op::Copy:
        if (st == kNfs4ErrOffloadNoReqs) { x.boolean(); x.boolean(); return x.ok(); }
        break;
    default: break;
    }
    if (st != kNfs4Ok) return nfs4OpName(op) != nullptr;     // every other error body is void
    switch (Nfs4Op(op)) {
    case Nfs4Op::Access: x.words(2); break;
    case Nfs4Op::Close: case Nfs4Op::Locku: case Nfs4Op::OpenConfirm: case Nfs4Op::OpenDowngrade:
        x.stateid();
        break;
    case Nfs4Op::Commit: x.verifier(); break;
    case Nfs4Op::Create: x.changeInfo(); x.bitmap(); break;
    case Nfs4Op::Delegpurge: case Nfs4Op::Delegreturn: case Nfs4Op::Lookup: case Nfs4Op::Lookupp:
    case Nfs4Op::Nverify: case Nfs4Op::Openattr: case Nfs4Op::Putfh: case Nfs4Op::Putpubfh:
    case Nfs4Op::Putrootfh: case Nfs4Op::Renew:
    case Nfs4Op::Restorefh: case Nfs4Op::Savefh: case Nfs4Op::SetclientidConfirm:
    case Nfs4Op::Verify: case Nfs4Op::ReleaseLockowner: case Nfs4Op::BackchannelCtl:
    case Nfs4Op::DestroySession: case Nfs4Op::FreeStateid: case Nfs4Op::DestroyClientid:
    case Nfs4Op::ReclaimComplete:
    case Nfs4Op::Allocate: case Nfs4Op::Deallocate: case Nfs4Op::Layouterror:
    case Nfs4Op::Layoutstats: case Nfs4Op::OffloadCancel: case Nfs4Op::Clone: case Nfs4Op::Illegal:
        break;                                                // void results
    case Nfs4Op::Getattr: x.fattr(); break;
    case Nfs4Op::Getfh: x.opaque(kNfs4FhMax); break;
    case Nfs4Op::Link: case Nfs4Op::Remove: case Nfs4Op::Setxattr: case Nfs4Op::Removexattr:
        x.changeInfo();
        break;
    case Nfs4Op::Lock: x.stateid(); break;
    case Nfs4Op::Lockt: break;
    case Nfs4Op::Open:
        x.stateid(); x.changeInfo(); x.u32(); x.bitmap(); x.openDelegation();
        break;
    case Nfs4Op::Read: {
        x.boolean();
        uint32_t len = x.u32();
        if (len > kMaxFragmentBytes) x.r.fail();
        x.skip((size_t(len) + 3) & ~size_t(3));
        break;
    }
    case Nfs4Op::Readdir: {
        x.verifier();
        while (x.ok() && x.boolean()) {  // each entry consumes bytes, so this terminates
            x.u64();
            x.opaque(kMaxName);
            x.fattr();
        }
        x.boolean();
        break;
    }
    case Nfs4Op::Readlink: x.opaque(kMaxPath); break;
    case Nfs4Op::Rename: x.changeInfo(); x.changeInfo(); break;
    case Nfs4Op::Secinfo: case Nfs4Op::SecinfoNoName: {
        uint32_t n = x.count(kMaxArray);
        for (uint32_t i = 0; i < n && x.ok(); i++)
            if (x.u32() == RPCSEC_GSS) { x.opaque(kMaxAuthBody); x.words(2); }
        break;
    }
    case Nfs4Op::Setclientid: x.u64(); x.verifier(); break;
    case Nfs4Op::Write: x.words(2); x.verifier(); break;
    case Nfs4Op::BindConnToSession: x.sessionid(); x.u32(); x.boolean(); break;
    case Nfs4Op::ExchangeId:
        x.u64(); x.words(2); x.stateProtectResult();
        x.u64(); x.opaque(kNfs4OpaqueLimit);                  // server_owner4
        x.opaque(kNfs4OpaqueLimit);                           // server_scope
        x.implId();
        break;
    case Nfs4Op::CreateSession:
        x.sessionid(); x.words(2); x.channelAttrs(); x.channelAttrs();
        break;
    case Nfs4Op::Getdeviceinfo: x.u32(); x.opaque(kMaxBlob); x.bitmap(); break;
    case Nfs4Op::Getdevicelist:
        x.u64(); x.verifier(); x.skip(16 * size_t(x.count(kMaxArray))); x.boolean();
        break;
    case Nfs4Op::Layoutcommit: if (x.boolean()) x.u64(); break;
    case Nfs4Op::Layoutget: {
        x.boolean(); x.stateid();
        uint32_t n = x.count(kMaxArray);
        for (uint32_t i = 0; i < n && x.ok(); i++) { x.u64(); x.u64(); x.u32(); x.layoutupdate(); }
        break;
    }
    case Nfs4Op::Layoutreturn: if (x.boolean()) x.stateid(); break;
    case Nfs4Op::Sequence: x.sessionid(); x.words(5); break;
    case Nfs4Op::SetSsv: x.opaque(kMaxBlob); break;
    case Nfs4Op::TestStateid: x.words(x.count(kMaxArray)); break;
    case Nfs4Op::WantDelegation: x.openDelegation(); break;
    case Nfs4Op::Copy: x.writeResponse(); x.boolean(); x.boolean(); break;
    case Nfs4Op::IoAdvise: x.bitmap(); break;
    case Nfs4Op::OffloadStatus: x.u64(); x.words(x.count(1)); break;
    case Nfs4Op::Seek: x.boolean(); x.u64(); break;
    case Nfs4Op::WriteSame: x.writeResponse(); break;
    case Nfs4Op::Getxattr: x.opaque(kMaxBlob); break;
    case Nfs4Op::Listxattrs: {
        x.u64();
        uint32_t n = x.count(kMaxArray);
        for (uint32_t i = 0; i < n && x.ok(); i++) x.opaque(kMaxName);
        x.boolean();
        break;
    }
    default: return false;  // GET_DIR_DELEGATION, COPY_NOTIFY, READ_PLUS: not walked
    }
    return x.ok();
}

}  // namespace

void decodeNfs4Call(Xdr& x, ArgList& nfs, bool complete, AnomalyCounter& anomalies) {
    std::string tag = x.str(kMaxNfs4Tag);
    uint32_t minor = x.u32();
    uint32_t n = x.u32();
    if (!x.ok()) {
        if (complete) anomalies.count(OncAnomaly::BadArgs);
        return;
    }
    nfs["tag"] = tag;
    nfs["minor_version"] = minor;
    Nfs4CallInfo info;
    if (n > kMaxCompoundOps) anomalies.count(OncAnomaly::Nfs4TooManyOps);
    uint32_t limit = n < kMaxCompoundOps ? n : kMaxCompoundOps;
    for (uint32_t i = 0; i < limit; i++) {
        uint32_t op = x.u32();
        if (!x.ok()) break;
        info.ops.push_back(nameOr(nfs4OpName(op), op));
        if (!nfs4SkipArgs(op, x, info)) {
            // Later ops cannot be located. Either the op (or a union arm of it) is not known
            // here, or its arguments ran out / had an impossible length — expected only in a
            // prefix-only record.
            if (x.ok()) anomalies.count(OncAnomaly::Nfs4UndecodedOp);
            else if (complete) anomalies.count(OncAnomaly::BadArgs);
            break;
        }
    }
    nfs["ops"] = std::move(info.ops);
    if (!info.names.empty()) {
        nfs["name"] = info.names[0];
        nfs["names"] = std::move(info.names);
    }
    if (!info.rename_to.empty()) nfs["rename_to"] = info.rename_to;
    if (!info.client_id.empty()) nfs["client_id"] = info.client_id;
    if (info.have_io) {
        nfs["offset"] = info.offset;
        nfs["count"] = info.count;
    }
}

void decodeNfs4Reply(Xdr& x, ArgList& nfs, bool complete, AnomalyCounter& anomalies) {
    uint32_t status = x.u32();
    if (!x.ok()) return;
    nfs["status"] = nameOr(nfsstat4Name(status), status);
    x.str(kMaxNfs4Tag);
    uint32_t n = x.u32();
    if (!x.ok()) return;
    ArgValue::List op_status;
    uint32_t limit = n < kMaxCompoundOps ? n : kMaxCompoundOps;
    for (uint32_t i = 0; i < limit; i++) {
        uint32_t op = x.u32();
        uint32_t st = x.u32();
        if (!x.ok()) break;
        op_status.push_back(nameOr(nfsstat4Name(st), st));
        if (i + 1 == limit) break;  // the last result's body is not needed
        if (!nfs4SkipResult(op, st, x)) {
            if (x.ok()) anomalies.count(OncAnomaly::Nfs4UndecodedResult);
            else if (complete) anomalies.count(OncAnomaly::BadResults);
            break;
        }
    }
    nfs["op_status"] = std::move(op_status);
}

}  // namespace rpcmon::onc
