// SPDX-License-Identifier: Apache-2.0
#include "protocols/onc/body.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "protocols/onc/parse.h"
#include "protocols/onc/programs.h"

namespace rpcmon::onc {

namespace {

// ---- Length limits (every one with its source) ----
// RFC 1813 §2.5: NFS3_FHSIZE; RFC 1094 §2.3.3: FHSIZE; RFC 7530 §2.2: NFS4_FHSIZE.
constexpr uint32_t kNfs3FhMax = 64;
constexpr uint32_t kNfs2FhSize = 32;
constexpr uint32_t kNfs4FhMax = 128;
// filename3/nfspath3/component4 are unbounded in XDR; PATH_MAX (4096) is the most any Unix
// server accepts, so longer is malformed rather than an exotic name.
constexpr uint32_t kMaxName = 4096;
constexpr uint32_t kMaxPath = 4096;
// RFC 1094 §2.3.6: MAXNAMLEN 255, MAXPATHLEN 1024.
constexpr uint32_t kNfs2MaxName = 255;
constexpr uint32_t kNfs2MaxPath = 1024;
// RFC 1094 §2.3.7: NFS_MAXDATA 8192.
constexpr uint32_t kNfs2MaxData = 8192;
// RFC 1813 App. I: MNTPATHLEN 1024, MNTNAMLEN 255.
constexpr uint32_t kMntPathLen = 1024;
constexpr uint32_t kMntNameLen = 255;
// RFC 7530 §2.2: NFS4_OPAQUE_LIMIT 1024 (client ids, owners, server owners).
constexpr uint32_t kNfs4OpaqueLimit = 1024;
// NFSv4 tags are unbounded utf8str_cs; Linux nfsd rejects tags above 128 bytes
// (NFSD4_MAX_TAGLEN) — allow headroom for other servers.
constexpr uint32_t kMaxNfs4Tag = 1024;
// NFSv4 attribute bitmaps: attributes go to ~90 (three words); 8 words leaves room for
// extensions without walking a hostile count.
constexpr uint32_t kMaxBitmapWords = 8;
// Attribute lists, layouts, device addresses, xattr values: bounded by the kept record.
constexpr uint32_t kMaxBlob = kMaxKeptRecordBytes;
// Generic XDR arrays (stateids, device ids, secinfo entries) — far above real use.
constexpr uint32_t kMaxArray = 1024;
// netid and universal address strings (RFC 5665): short tokens; 256 is generous.
constexpr uint32_t kMaxNetid = 256;
constexpr uint32_t kMaxUaddr = 256;
constexpr uint32_t kMaxOwner = 256;
// NLM (RFC 1813 App. II): LM_MAXSTRLEN 1024, MAXNETOBJ_SZ 1024. NSM: SM_MAXSTRLEN 1024.
constexpr uint32_t kLmMaxStrLen = 1024;
constexpr uint32_t kMaxNetObj = 1024;
constexpr uint32_t kSmMaxStrLen = 1024;

// Names reported per COMPOUND: bounds what a pending call holds (a compound of hundreds of
// LOOKUPs is legal; the first names identify it).
constexpr size_t kMaxReportedNames = 64;

constexpr uint32_t kNfs4Ok = 0;
constexpr uint32_t kNfs4ErrDenied = 10010;
constexpr uint32_t kNfs4ErrClidInuse = 10017;
constexpr uint32_t kNfs4ErrTooSmall = 10005;
constexpr uint32_t kNfs4ErrLayoutTryLater = 10058;
constexpr uint32_t kNfs4ErrOffloadNoReqs = 10094;

std::string toString(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// XDR helpers over ByteReader. A failed read sticks (ByteReader semantics), so decoders read a
// whole structure and test ok() once.
class Xdr {
public:
    explicit Xdr(Bytes b) : r(b) {}
    ByteReader r;

    bool ok() const { return r.ok(); }
    uint32_t u32() { return r.be32(); }
    uint64_t u64() { return r.be64(); }
    bool boolean() {
        uint32_t v = r.be32();
        if (v > 1) r.fail();  // XDR bool is 0 or 1 (RFC 4506 §4.4)
        return v == 1;
    }
    void skip(size_t n) { r.skip(n); }
    void words(size_t n) { r.skip(4 * n); }
    Bytes opaque(uint32_t max) { return r.xdrOpaque(max); }
    std::string str(uint32_t max) { return r.xdrString(max); }
    uint32_t count(uint32_t max) {
        uint32_t n = r.be32();
        if (n > max) r.fail();
        return r.ok() ? n : 0;
    }

    // ---- NFSv4 building blocks (RFC 7530 §2, RFC 8881 §3) ----
    void stateid() { skip(16); }
    void verifier() { skip(8); }
    void sessionid() { skip(16); }
    void nfstime() { skip(12); }
    void changeInfo() { skip(20); }
    void bitmap() { words(count(kMaxBitmapWords)); }
    void fattr() { bitmap(); opaque(kMaxBlob); }
    void lockOwner() { u64(); opaque(kNfs4OpaqueLimit); }
    void netaddr() { opaque(kMaxNetid); opaque(kMaxUaddr); }
    void nfsace() { words(3); opaque(kNfs4OpaqueLimit); }
    void layoutupdate() { u32(); opaque(kMaxBlob); }
    void channelAttrs() { words(6); words(count(1)); }
    void opaqueArray(uint32_t max_count, uint32_t max_len) {
        uint32_t n = count(max_count);
        for (uint32_t i = 0; i < n && ok(); i++) opaque(max_len);
    }
    // RFC 5531 App. A authsys_parms, as embedded in callback_sec_parms4.
    void authsys() {
        u32();
        opaque(kMaxMachineName);
        words(2);
        words(count(kMaxGids));
    }
    // RFC 8881 §18.36: callback_sec_parms4<>.
    void callbackSecParms() {
        uint32_t n = count(16);
        for (uint32_t i = 0; i < n && ok(); i++) {
            uint32_t flavor = u32();
            if (flavor == AUTH_NONE) continue;
            if (flavor == AUTH_SYS) authsys();
            else if (flavor == RPCSEC_GSS) { u32(); opaque(kMaxAuthBody); opaque(kMaxAuthBody); }
            else r.fail();
        }
    }
    // RFC 8881 §18.35: state_protect4_a.
    void stateProtectArgs() {
        uint32_t how = u32();
        if (how == 0) return;
        bitmap();
        bitmap();
        if (how == 1) return;
        if (how != 2) { r.fail(); return; }
        opaqueArray(16, kNfs4OpaqueLimit);
        opaqueArray(16, kNfs4OpaqueLimit);
        words(2);
    }
    // RFC 8881 §18.35: state_protect4_r.
    void stateProtectResult() {
        uint32_t how = u32();
        if (how == 0) return;
        bitmap();
        bitmap();
        if (how == 1) return;
        if (how != 2) { r.fail(); return; }
        words(4);
        opaqueArray(kMaxArray, kMaxAuthBody);
    }
    void implId() {
        uint32_t n = count(1);
        if (n) { opaque(kNfs4OpaqueLimit); opaque(kNfs4OpaqueLimit); nfstime(); }
    }
    // RFC 7862 §4.3: netloc4.
    void netloc() {
        uint32_t type = u32();
        if (type == 1 || type == 2) opaque(kMaxUaddr);
        else if (type == 3) netaddr();
        else r.fail();
    }
    // RFC 7530 §16.16: open_delegation4 (+ RFC 8881 OPEN_DELEGATE_NONE_EXT).
    void openDelegation() {
        uint32_t type = u32();
        switch (type) {
        case 0: return;
        case 1: stateid(); boolean(); nfsace(); return;
        case 2: {
            stateid();
            boolean();
            uint32_t limitby = u32();
            if (limitby == 1) u64();
            else if (limitby == 2) words(2);
            else r.fail();
            nfsace();
            return;
        }
        case 3: {
            uint32_t why = u32();
            if (why == 1 || why == 2) boolean();
            return;
        }
        default: r.fail();
        }
    }
    // RFC 7862 §15.2: write_response4.
    void writeResponse() {
        words(4 * count(1));
        u64();
        u32();
        verifier();
    }
    void lockDenied() { u64(); u64(); u32(); lockOwner(); }
};

// What NFSv4 argument walking collects.
struct Nfs4CallInfo {
    Json ops = Json::array();
    Json names = Json::array();
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
    switch (op) {
    case 3: x.u32(); break;                                   // ACCESS
    case 4: x.u32(); x.stateid(); break;                      // CLOSE
    case 5: x.u64(); x.u32(); break;                          // COMMIT
    case 6: {                                                 // CREATE
        uint32_t type = x.u32();
        if (type == 5) x.opaque(kMaxPath);                    // NF4LNK: linkdata
        else if (type == 3 || type == 4) x.words(2);          // NF4BLK/NF4CHR: specdata4
        name();
        x.fattr();
        break;
    }
    case 7: x.u64(); break;                                   // DELEGPURGE
    case 8: x.stateid(); break;                               // DELEGRETURN
    case 9: x.bitmap(); break;                                // GETATTR
    case 10: break;                                           // GETFH
    case 11: name(); break;                                   // LINK
    case 12:                                                  // LOCK
        x.u32(); x.boolean(); x.u64(); x.u64();
        if (x.boolean()) { x.u32(); x.stateid(); x.u32(); x.lockOwner(); }
        else { x.stateid(); x.u32(); }
        break;
    case 13: x.u32(); x.u64(); x.u64(); x.lockOwner(); break; // LOCKT
    case 14: x.u32(); x.u32(); x.stateid(); x.u64(); x.u64(); break;  // LOCKU
    case 15: name(); break;                                   // LOOKUP
    case 16: break;                                           // LOOKUPP
    case 17: x.fattr(); break;                                // NVERIFY
    case 18: {                                                // OPEN
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
    case 19: x.boolean(); break;                              // OPENATTR
    case 20: x.stateid(); x.u32(); break;                     // OPEN_CONFIRM
    case 21: x.stateid(); x.words(3); break;                  // OPEN_DOWNGRADE
    case 22: x.opaque(kNfs4FhMax); break;                     // PUTFH
    case 23: case 24: break;                                  // PUTPUBFH, PUTROOTFH
    case 25: {                                                // READ
        x.stateid();
        uint64_t off = x.u64();
        uint32_t cnt = x.u32();
        io(off, cnt);
        break;
    }
    case 26: x.u64(); x.verifier(); x.words(2); x.bitmap(); break;  // READDIR
    case 27: break;                                           // READLINK
    case 28: name(); break;                                   // REMOVE
    case 29: {                                                // RENAME
        name();
        std::string to = name();
        if (x.ok() && info.rename_to.empty()) info.rename_to = to;
        break;
    }
    case 30: x.u64(); break;                                  // RENEW
    case 31: case 32: break;                                  // RESTOREFH, SAVEFH
    case 33: name(); break;                                   // SECINFO
    case 34: x.stateid(); x.fattr(); break;                   // SETATTR
    case 35: {                                                // SETCLIENTID
        x.verifier();
        Bytes id = x.opaque(kNfs4OpaqueLimit);
        if (x.ok() && info.client_id.empty()) info.client_id = printableOrHex(id);
        x.u32();
        x.netaddr();
        x.u32();
        break;
    }
    case 36: x.u64(); x.verifier(); break;                    // SETCLIENTID_CONFIRM
    case 37: x.fattr(); break;                                // VERIFY
    case 38: {                                                // WRITE
        x.stateid();
        uint64_t off = x.u64();
        x.u32();                                              // stable_how4
        uint32_t len = x.u32();                               // data<>: never read, skipped
        io(off, len);
        if (len > kMaxFragmentBytes) x.r.fail();
        x.skip((size_t(len) + 3) & ~size_t(3));
        break;
    }
    case 39: x.lockOwner(); break;                            // RELEASE_LOCKOWNER
    case 40: x.u32(); x.callbackSecParms(); break;            // BACKCHANNEL_CTL
    case 41: x.sessionid(); x.u32(); x.boolean(); break;      // BIND_CONN_TO_SESSION
    case 42: {                                                // EXCHANGE_ID
        x.verifier();
        Bytes id = x.opaque(kNfs4OpaqueLimit);
        if (x.ok() && info.client_id.empty()) info.client_id = printableOrHex(id);
        x.u32();
        x.stateProtectArgs();
        x.implId();
        break;
    }
    case 43:                                                  // CREATE_SESSION
        x.u64(); x.words(2); x.channelAttrs(); x.channelAttrs(); x.u32();
        x.callbackSecParms();
        break;
    case 44: x.sessionid(); break;                            // DESTROY_SESSION
    case 45: x.stateid(); break;                              // FREE_STATEID
    case 46:                                                  // GET_DIR_DELEGATION
        x.boolean(); x.bitmap(); x.nfstime(); x.nfstime(); x.bitmap(); x.bitmap();
        break;
    case 47: x.skip(16); x.words(2); x.bitmap(); break;       // GETDEVICEINFO
    case 48: x.words(2); x.u64(); x.verifier(); break;        // GETDEVICELIST
    case 49:                                                  // LAYOUTCOMMIT
        x.u64(); x.u64(); x.boolean(); x.stateid();
        if (x.boolean()) x.u64();
        if (x.boolean()) x.nfstime();
        x.layoutupdate();
        break;
    case 50:                                                  // LAYOUTGET
        x.boolean(); x.words(2); x.u64(); x.u64(); x.u64(); x.stateid(); x.u32();
        break;
    case 51: {                                                // LAYOUTRETURN
        x.boolean(); x.words(2);
        uint32_t type = x.u32();
        if (type == 1) { x.u64(); x.u64(); x.stateid(); x.opaque(kMaxBlob); }
        else if (type != 2 && type != 3) return false;
        break;
    }
    case 52: x.u32(); break;                                  // SECINFO_NO_NAME
    case 53: x.sessionid(); x.words(3); x.boolean(); break;   // SEQUENCE
    case 54: x.opaque(kMaxBlob); x.opaque(kMaxBlob); break;   // SET_SSV
    case 55: x.skip(16 * size_t(x.count(kMaxArray))); break;  // TEST_STATEID
    case 56: {                                                // WANT_DELEGATION
        x.u32();
        uint32_t claim = x.u32();
        if (claim == 1) x.u32();
        else if (claim != 4 && claim != 6) return false;
        break;
    }
    case 57: x.u64(); break;                                  // DESTROY_CLIENTID
    case 58: x.boolean(); break;                              // RECLAIM_COMPLETE
    case 59: case 62: x.stateid(); x.u64(); x.u64(); break;   // ALLOCATE, DEALLOCATE
    case 60: {                                                // COPY
        x.stateid(); x.stateid(); x.u64(); x.u64(); x.u64(); x.boolean(); x.boolean();
        uint32_t n = x.count(16);
        for (uint32_t i = 0; i < n && x.ok(); i++) x.netloc();
        break;
    }
    case 61: x.stateid(); x.netloc(); break;                  // COPY_NOTIFY
    case 63: x.stateid(); x.u64(); x.u64(); x.bitmap(); break;  // IO_ADVISE
    case 64:                                                  // LAYOUTERROR
        x.u64(); x.u64(); x.stateid(); x.skip(24 * size_t(x.count(kMaxArray)));
        break;
    case 65:                                                  // LAYOUTSTATS
        x.u64(); x.u64(); x.stateid(); x.skip(32); x.skip(16); x.layoutupdate();
        break;
    case 66: case 67: x.stateid(); break;                     // OFFLOAD_CANCEL/STATUS
    case 68: {                                                // READ_PLUS
        x.stateid();
        uint64_t off = x.u64();
        uint32_t cnt = x.u32();
        io(off, cnt);
        break;
    }
    case 69: x.stateid(); x.u64(); x.u32(); break;            // SEEK
    case 70:                                                  // WRITE_SAME
        x.stateid(); x.u32(); x.u64(); x.u64(); x.u64(); x.u64(); x.u32(); x.u64();
        x.opaque(kMaxBlob);
        break;
    case 71: x.stateid(); x.stateid(); x.u64(); x.u64(); x.u64(); break;  // CLONE
    case 72: case 75: x.opaque(kMaxName); break;              // GETXATTR, REMOVEXATTR
    case 73: x.u32(); x.opaque(kMaxName); x.opaque(kMaxBlob); break;  // SETXATTR
    case 74: x.u64(); x.u32(); break;                         // LISTXATTRS
    case 10044: break;                                        // ILLEGAL
    default: return false;
    }
    return x.ok();
}

// Skips the result body of one NFSv4 operation whose status was `st`. False: unknown op or
// unparsable body; the per-op status list stops there.
bool nfs4SkipResult(uint32_t op, uint32_t st, Xdr& x) {
    // Bodies that exist for a non-OK status.
    switch (op) {
    case 12: case 13:                                         // LOCK, LOCKT
        if (st == kNfs4ErrDenied) { x.lockDenied(); return x.ok(); }
        break;
    case 34: x.bitmap(); return x.ok();                       // SETATTR: attrsset always
    case 35:                                                  // SETCLIENTID
        if (st == kNfs4ErrClidInuse) { x.netaddr(); return x.ok(); }
        break;
    case 47:                                                  // GETDEVICEINFO
        if (st == kNfs4ErrTooSmall) { x.u32(); return x.ok(); }
        break;
    case 50:                                                  // LAYOUTGET
        if (st == kNfs4ErrLayoutTryLater) { x.boolean(); return x.ok(); }
        break;
    case 60:                                                  // COPY
        if (st == kNfs4ErrOffloadNoReqs) { x.boolean(); x.boolean(); return x.ok(); }
        break;
    }
    if (st != kNfs4Ok) return nfs4OpName(op) != nullptr;     // every other error body is void
    switch (op) {
    case 3: x.words(2); break;                                // ACCESS
    case 4: case 14: case 20: case 21: x.stateid(); break;    // CLOSE, LOCKU, OPEN_*
    case 5: x.verifier(); break;                              // COMMIT
    case 6: x.changeInfo(); x.bitmap(); break;                // CREATE
    case 7: case 8: case 15: case 16: case 17: case 19: case 22: case 23: case 24: case 30:
    case 31: case 32: case 36: case 37: case 39: case 40: case 44: case 45: case 57: case 58:
    case 59: case 62: case 64: case 65: case 66: case 71: case 10044:
        break;                                                // void results
    case 9: x.fattr(); break;                                 // GETATTR
    case 10: x.opaque(kNfs4FhMax); break;                     // GETFH
    case 11: case 28: case 73: case 75: x.changeInfo(); break;  // LINK, REMOVE, *XATTR
    case 12: x.stateid(); break;                              // LOCK
    case 13: break;                                           // LOCKT
    case 18:                                                  // OPEN
        x.stateid(); x.changeInfo(); x.u32(); x.bitmap(); x.openDelegation();
        break;
    case 25: {                                                // READ
        x.boolean();
        uint32_t len = x.u32();
        if (len > kMaxFragmentBytes) x.r.fail();
        x.skip((size_t(len) + 3) & ~size_t(3));
        break;
    }
    case 26: {                                                // READDIR
        x.verifier();
        while (x.ok() && x.boolean()) {  // each entry consumes bytes, so this terminates
            x.u64();
            x.opaque(kMaxName);
            x.fattr();
        }
        x.boolean();
        break;
    }
    case 27: x.opaque(kMaxPath); break;                       // READLINK
    case 29: x.changeInfo(); x.changeInfo(); break;           // RENAME
    case 33: case 52: {                                       // SECINFO, SECINFO_NO_NAME
        uint32_t n = x.count(kMaxArray);
        for (uint32_t i = 0; i < n && x.ok(); i++)
            if (x.u32() == RPCSEC_GSS) { x.opaque(kMaxAuthBody); x.words(2); }
        break;
    }
    case 35: x.u64(); x.verifier(); break;                    // SETCLIENTID
    case 38: x.words(2); x.verifier(); break;                 // WRITE
    case 41: x.sessionid(); x.u32(); x.boolean(); break;      // BIND_CONN_TO_SESSION
    case 42:                                                  // EXCHANGE_ID
        x.u64(); x.words(2); x.stateProtectResult();
        x.u64(); x.opaque(kNfs4OpaqueLimit);                  // server_owner4
        x.opaque(kNfs4OpaqueLimit);                           // server_scope
        x.implId();
        break;
    case 43: x.sessionid(); x.words(2); x.channelAttrs(); x.channelAttrs(); break;
    case 47: x.u32(); x.opaque(kMaxBlob); x.bitmap(); break;  // GETDEVICEINFO
    case 48: x.u64(); x.verifier(); x.skip(16 * size_t(x.count(kMaxArray))); x.boolean(); break;
    case 49: if (x.boolean()) x.u64(); break;                 // LAYOUTCOMMIT
    case 50: {                                                // LAYOUTGET
        x.boolean(); x.stateid();
        uint32_t n = x.count(kMaxArray);
        for (uint32_t i = 0; i < n && x.ok(); i++) { x.u64(); x.u64(); x.u32(); x.layoutupdate(); }
        break;
    }
    case 51: if (x.boolean()) x.stateid(); break;             // LAYOUTRETURN
    case 53: x.sessionid(); x.words(5); break;                // SEQUENCE
    case 54: x.opaque(kMaxBlob); break;                       // SET_SSV
    case 55: x.words(x.count(kMaxArray)); break;              // TEST_STATEID
    case 56: x.openDelegation(); break;                       // WANT_DELEGATION
    case 60: x.writeResponse(); x.boolean(); x.boolean(); break;  // COPY
    case 63: x.bitmap(); break;                               // IO_ADVISE
    case 67: x.u64(); x.words(x.count(1)); break;             // OFFLOAD_STATUS
    case 69: x.boolean(); x.u64(); break;                     // SEEK
    case 70: x.writeResponse(); break;                        // WRITE_SAME
    case 72: x.opaque(kMaxBlob); break;                       // GETXATTR
    case 74: {                                                // LISTXATTRS
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

void decodeNfs4Call(Xdr& x, Json& nfs, bool complete, AnomalyCounter& anomalies) {
    std::string tag = x.str(kMaxNfs4Tag);
    uint32_t minor = x.u32();
    uint32_t n = x.u32();
    if (!x.ok()) {
        if (complete) anomalies.count("onc.bad_args");
        return;
    }
    nfs["tag"] = tag;
    nfs["minor_version"] = minor;
    Nfs4CallInfo info;
    if (n > kMaxCompoundOps) anomalies.count("onc.nfs4_too_many_ops");
    uint32_t limit = n < kMaxCompoundOps ? n : kMaxCompoundOps;
    for (uint32_t i = 0; i < limit; i++) {
        uint32_t op = x.u32();
        if (!x.ok()) break;
        info.ops.push_back(nameOr(nfs4OpName(op), op));
        if (!nfs4SkipArgs(op, x, info)) {
            // Later ops cannot be located. Either the op (or a union arm of it) is not known
            // here, or its arguments ran out / had an impossible length — expected only in a
            // prefix-only record.
            if (x.ok()) anomalies.count("onc.nfs4_undecoded_op");
            else if (complete) anomalies.count("onc.bad_args");
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

void decodeNfs4Reply(Xdr& x, Json& nfs, bool complete, AnomalyCounter& anomalies) {
    uint32_t status = x.u32();
    if (!x.ok()) return;
    nfs["status"] = nameOr(nfsstat4Name(status), status);
    x.str(kMaxNfs4Tag);
    uint32_t n = x.u32();
    if (!x.ok()) return;
    Json op_status = Json::array();
    uint32_t limit = n < kMaxCompoundOps ? n : kMaxCompoundOps;
    for (uint32_t i = 0; i < limit; i++) {
        uint32_t op = x.u32();
        uint32_t st = x.u32();
        if (!x.ok()) break;
        op_status.push_back(nameOr(nfsstat4Name(st), st));
        if (i + 1 == limit) break;  // the last result's body is not needed
        if (!nfs4SkipResult(op, st, x)) {
            if (x.ok()) anomalies.count("onc.nfs4_undecoded_result");
            else if (complete) anomalies.count("onc.bad_results");
            break;
        }
    }
    nfs["op_status"] = std::move(op_status);
}

// ---- NFSv3 (RFC 1813 §3.3) ----
void skipSattr3(Xdr& x) {
    if (x.boolean()) x.u32();  // mode
    if (x.boolean()) x.u32();  // uid
    if (x.boolean()) x.u32();  // gid
    if (x.boolean()) x.u64();  // size
    for (int i = 0; i < 2; i++)  // atime, mtime: time_how SET_TO_CLIENT_TIME carries nfstime3
        if (x.u32() == 2) x.u64();
}

void decodeNfs3Call(uint32_t proc, Xdr& x, Json& nfs) {
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
void decodeNfs2Call(uint32_t proc, Xdr& x, Json& nfs) {
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

// ---- MOUNT (RFC 1813 App. I; RFC 1094 App. A) ----
void decodeMountCall(uint32_t proc, Xdr& x, Json& mount) {
    if (proc != 1 && proc != 3) return;  // MNT, UMNT
    std::string path = x.str(kMntPathLen);
    if (x.ok()) mount["path"] = path;
}

void decodeMountReply(uint32_t proc, Xdr& x, Json& mount) {
    if (proc == 1) {  // MNT: v3 mountstat3, v1/v2 fhstatus (a Unix errno with the same values)
        uint32_t st = x.u32();
        if (x.ok()) mount["status"] = nameOr(mountstat3Name(st), st);
        return;
    }
    if (proc == 5 || proc == 6) {  // EXPORT, EXPORTALL: exportnode list
        Json exports = Json::array();
        while (x.ok() && x.boolean()) {
            std::string dir = x.str(kMntPathLen);
            while (x.ok() && x.boolean()) x.opaque(kMntNameLen);  // groups
            if (x.ok() && exports.size() < kMaxReportedEntries) exports.push_back(dir);
        }
        if (!exports.empty()) mount["exports"] = std::move(exports);
        return;
    }
    if (proc == 2) {  // DUMP: mountlist of (hostname, directory)
        Json mounts = Json::array();
        while (x.ok() && x.boolean()) {
            std::string host = x.str(kMntNameLen);
            std::string dir = x.str(kMntPathLen);
            if (x.ok() && mounts.size() < kMaxReportedEntries)
                mounts.push_back(Json{{"hostname", host}, {"path", dir}});
        }
        if (!mounts.empty()) mount["mounts"] = std::move(mounts);
    }
}

// ---- Portmapper v2 / rpcbind v3, v4 (RFC 1833) ----
const char* protoName(uint32_t p) {
    return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : nullptr;
}

void putProgram(Json& pm, uint32_t prog, uint32_t vers) {
    pm["program"] = prog;
    if (const char* n = programName(prog)) pm["program_name"] = n;
    pm["version"] = vers;
}

void decodePortmapCall(const CallHeader& call, Xdr& x, Json& pm, CallMemo& memo) {
    uint32_t proc = call.proc;
    if (call.vers == 2) {
        if (proc >= 1 && proc <= 3) {  // SET, UNSET, GETPORT: struct mapping
            uint32_t prog = x.u32(), vers = x.u32(), prot = x.u32(), port = x.u32();
            if (!x.ok()) return;
            putProgram(pm, prog, vers);
            pm["protocol"] = nameOr(protoName(prot), prot);
            if (proc == 1) pm["port"] = port;
            memo.pm_program = prog;
            memo.pm_version = vers;
            memo.pm_l4proto = (prot == IPPROTO_TCP || prot == IPPROTO_UDP) ? uint8_t(prot) : 0;
        } else if (proc == 5) {  // CALLIT
            uint32_t prog = x.u32(), vers = x.u32(), rproc = x.u32();
            if (!x.ok()) return;
            putProgram(pm, prog, vers);
            pm["procedure"] = rproc;
            if (const char* n = procedureName(prog, vers, rproc)) pm["procedure_name"] = n;
        }
        return;
    }
    bool v4 = call.vers == 4;
    bool rpcb_args = proc == 1 || proc == 2 || proc == 3 || (v4 && (proc == 9 || proc == 11));
    if (rpcb_args) {  // struct rpcb
        uint32_t prog = x.u32(), vers = x.u32();
        std::string netid = x.str(kMaxNetid), uaddr = x.str(kMaxUaddr), owner = x.str(kMaxOwner);
        if (!x.ok()) return;
        putProgram(pm, prog, vers);
        pm["netid"] = netid;
        if (!uaddr.empty()) pm["uaddr"] = uaddr;
        if (!owner.empty()) pm["owner"] = owner;
        memo.pm_program = prog;
        memo.pm_version = vers;
        memo.pm_l4proto = netidToL4(netid);
        memo.pm_ipv6 = !netid.empty() && netid.back() == '6';
    } else if (proc == 5 || (v4 && proc == 10)) {  // CALLIT/BCAST, INDIRECT: rpcb_rmtcallargs
        uint32_t prog = x.u32(), vers = x.u32(), rproc = x.u32();
        if (!x.ok()) return;
        putProgram(pm, prog, vers);
        pm["procedure"] = rproc;
        if (const char* n = procedureName(prog, vers, rproc)) pm["procedure_name"] = n;
    }
}

LearnedEndpoint endpoint(const Address& addr, uint16_t port, uint8_t l4, uint32_t prog) {
    LearnedEndpoint ep;
    ep.addr = addr;
    ep.port = port;
    ep.l4proto = l4;
    ep.app = RPCMON_APP_ONC;
    ep.program = prog;
    if (const char* n = programName(prog)) ep.name = n;
    return ep;
}

bool isUnspecified(const Address& a) {
    Address zero{};
    Address v4zero{};
    v4zero[10] = v4zero[11] = 0xff;
    return a == zero || a == v4zero;
}

// Learns from a universal address (GETADDR reply, DUMP/GETADDRLIST entries).
void learnUaddr(const std::string& uaddr, uint8_t l4, uint32_t prog, const Address& server,
                ReplyBody& out) {
    Address a;
    uint16_t port;
    if (!l4 || !parseUaddr(uaddr, a, port) || port == 0) return;
    out.endpoints.push_back(endpoint(isUnspecified(a) ? server : a, port, l4, prog));
}

void decodePortmapReply(const CallHeader& call, const CallMemo& memo, Xdr& x, Json& pm,
                        const Address& server, ReplyBody& out) {
    uint32_t proc = call.proc;
    bool v4 = call.vers == 4;
    if (call.vers == 2 && proc == 3) {  // GETPORT
        uint32_t port = x.u32();
        if (!x.ok()) return;
        pm["port"] = port;
        if (port != 0 && port <= 0xffff && memo.pm_l4proto)
            out.endpoints.push_back(endpoint(server, uint16_t(port), memo.pm_l4proto,
                                             memo.pm_program));
        return;
    }
    if (proc == 1 || proc == 2) {  // SET, UNSET
        bool ok = x.boolean();
        if (x.ok()) pm["result"] = ok;
        return;
    }
    if (call.vers == 2 && proc == 4) {  // DUMP: pmaplist
        Json entries = Json::array();
        while (x.ok() && x.boolean()) {
            uint32_t prog = x.u32(), vers = x.u32(), prot = x.u32(), port = x.u32();
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries) {
                Json e;
                putProgram(e, prog, vers);
                e["protocol"] = nameOr(protoName(prot), prot);
                e["port"] = port;
                entries.push_back(std::move(e));
            }
            if (protoName(prot) && port != 0 && port <= 0xffff)
                out.endpoints.push_back(endpoint(server, uint16_t(port), uint8_t(prot), prog));
        }
        pm["entries"] = std::move(entries);
        return;
    }
    if (call.vers == 2) return;
    if (proc == 3 || (v4 && proc == 9)) {  // GETADDR, GETVERSADDR: universal address
        std::string uaddr = x.str(kMaxUaddr);
        if (!x.ok()) return;
        if (!uaddr.empty()) pm["uaddr"] = uaddr;
        Address a;
        uint16_t port;
        if (parseUaddr(uaddr, a, port)) pm["port"] = port;
        learnUaddr(uaddr, memo.pm_l4proto, memo.pm_program, server, out);
        return;
    }
    if (proc == 4) {  // DUMP: rpcblist
        Json entries = Json::array();
        while (x.ok() && x.boolean()) {
            uint32_t prog = x.u32(), vers = x.u32();
            std::string netid = x.str(kMaxNetid), uaddr = x.str(kMaxUaddr),
                        owner = x.str(kMaxOwner);
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries) {
                Json e;
                putProgram(e, prog, vers);
                e["netid"] = netid;
                e["uaddr"] = uaddr;
                if (!owner.empty()) e["owner"] = owner;
                entries.push_back(std::move(e));
            }
            learnUaddr(uaddr, netidToL4(netid), prog, server, out);
        }
        pm["entries"] = std::move(entries);
        return;
    }
    if (v4 && proc == 11) {  // GETADDRLIST: rpcb_entry_list
        Json entries = Json::array();
        while (x.ok() && x.boolean()) {
            std::string maddr = x.str(kMaxUaddr), netid = x.str(kMaxNetid);
            x.u32();                                     // r_nc_semantics
            x.str(kMaxNetid);                            // r_nc_protofmly
            x.str(kMaxNetid);                            // r_nc_proto
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries)
                entries.push_back(Json{{"netid", netid}, {"uaddr", maddr}});
            learnUaddr(maddr, netidToL4(netid), memo.pm_program, server, out);
        }
        pm["entries"] = std::move(entries);
    }
}

// ---- NLM v1/v3/v4 (X/Open XNFS; RFC 1813 App. II) ----
void decodeNlmLock(uint32_t vers, Xdr& x, Json& nlm) {
    std::string caller = x.str(kLmMaxStrLen);
    x.opaque(kMaxNetObj);  // fh
    Bytes oh = x.opaque(kMaxNetObj);
    uint32_t svid = x.u32();
    uint64_t off, len;
    if (vers >= 4) { off = x.u64(); len = x.u64(); }
    else { off = x.u32(); len = x.u32(); }
    if (!x.ok()) return;
    nlm["caller_name"] = caller;
    nlm["owner"] = printableOrHex(oh);
    nlm["svid"] = svid;
    nlm["offset"] = off;
    nlm["length"] = len;
}

void decodeNlmCall(uint32_t vers, uint32_t proc, Xdr& x, Json& nlm) {
    switch (proc) {
    case 1: case 5: case 6: case 10: {  // TEST, GRANTED (+ _MSG): testargs
        x.opaque(kMaxNetObj);
        bool excl = x.boolean();
        if (x.ok()) nlm["exclusive"] = excl;
        decodeNlmLock(vers, x, nlm);
        break;
    }
    case 2: case 7: case 22: {  // LOCK, LOCK_MSG, NM_LOCK: lockargs
        x.opaque(kMaxNetObj);
        bool block = x.boolean(), excl = x.boolean();
        if (x.ok()) { nlm["block"] = block; nlm["exclusive"] = excl; }
        decodeNlmLock(vers, x, nlm);
        bool reclaim = x.boolean();
        uint32_t state = x.u32();
        if (x.ok()) { nlm["reclaim"] = reclaim; nlm["state"] = state; }
        break;
    }
    case 3: case 8: {  // CANCEL (+ _MSG): cancargs
        x.opaque(kMaxNetObj);
        bool block = x.boolean(), excl = x.boolean();
        if (x.ok()) { nlm["block"] = block; nlm["exclusive"] = excl; }
        decodeNlmLock(vers, x, nlm);
        break;
    }
    case 4: case 9:  // UNLOCK (+ _MSG): unlockargs
        x.opaque(kMaxNetObj);
        decodeNlmLock(vers, x, nlm);
        break;
    case 11: case 12: case 13: case 14: case 15: {  // *_RES: results sent as calls
        x.opaque(kMaxNetObj);
        uint32_t st = x.u32();
        if (x.ok()) nlm["status"] = nameOr(nlm4StatName(st), st);
        break;
    }
    case 20: case 21: {  // SHARE, UNSHARE: shareargs
        x.opaque(kMaxNetObj);
        std::string caller = x.str(kLmMaxStrLen);
        x.opaque(kMaxNetObj);
        Bytes oh = x.opaque(kMaxNetObj);
        if (x.ok()) { nlm["caller_name"] = caller; nlm["owner"] = printableOrHex(oh); }
        break;
    }
    case 23: {  // FREE_ALL: nlm_notify
        std::string name = x.str(kLmMaxStrLen);
        uint32_t state = x.u32();
        if (x.ok()) { nlm["caller_name"] = name; nlm["state"] = state; }
        break;
    }
    default: break;
    }
}

void decodeNlmReply(uint32_t proc, Xdr& x, Json& nlm) {
    // Synchronous procedures reply with a cookie then a status; _MSG/_RES replies are void.
    bool has_status = (proc >= 1 && proc <= 5) || (proc >= 20 && proc <= 22);
    if (!has_status) return;
    x.opaque(kMaxNetObj);
    uint32_t st = x.u32();
    if (x.ok()) nlm["status"] = nameOr(nlm4StatName(st), st);
}

// ---- NSM (status monitor, program 100024 v1) ----
void decodeNsmCall(uint32_t proc, Xdr& x, Json& nsm) {
    switch (proc) {
    case 1: case 2: case 3: {  // STAT (sm_name), MON (mon), UNMON (mon_id)
        std::string mon = x.str(kSmMaxStrLen);
        if (!x.ok()) return;
        nsm["mon_name"] = mon;
        if (proc == 1) return;
        std::string my = x.str(kSmMaxStrLen);
        if (x.ok()) nsm["my_name"] = my;
        break;
    }
    case 4: {  // UNMON_ALL: my_id
        std::string my = x.str(kSmMaxStrLen);
        if (x.ok()) nsm["my_name"] = my;
        break;
    }
    case 6: {  // NOTIFY: stat_chge
        std::string mon = x.str(kSmMaxStrLen);
        uint32_t state = x.u32();
        if (x.ok()) { nsm["mon_name"] = mon; nsm["state"] = state; }
        break;
    }
    default: break;
    }
}

void decodeNsmReply(uint32_t proc, Xdr& x, Json& nsm) {
    if (proc == 1 || proc == 2) {  // sm_stat_res
        uint32_t res = x.u32(), state = x.u32();
        if (!x.ok()) return;
        nsm["status"] = res == 0 ? "stat_succ" : res == 1 ? "stat_fail" : std::to_string(res);
        nsm["state"] = state;
    } else if (proc == 3 || proc == 4) {  // sm_stat
        uint32_t state = x.u32();
        if (x.ok()) nsm["state"] = state;
    }
}

}  // namespace

CallBody decodeCallBody(const CallHeader& call, Bytes args, bool complete,
                        AnomalyCounter& anomalies) {
    CallBody out;
    Xdr x(args);
    Json obj = Json::object();
    const char* key = nullptr;
    switch (call.prog) {
    case kProgNfs:
        key = "nfs";
        if (call.vers == 2) decodeNfs2Call(call.proc, x, obj);
        else if (call.vers == 3) decodeNfs3Call(call.proc, x, obj);
        else if (call.vers == 4 && call.proc == 1) decodeNfs4Call(x, obj, complete, anomalies);
        break;
    case kProgMount: key = "mount"; decodeMountCall(call.proc, x, obj); break;
    case kProgPortmap: key = "portmap"; decodePortmapCall(call, x, obj, out.memo); break;
    case kProgNlm: key = "nlm"; decodeNlmCall(call.vers, call.proc, x, obj); break;
    case kProgNsm: key = "nsm"; decodeNsmCall(call.proc, x, obj); break;
    default: break;
    }
    if (key && !obj.empty()) out.fields[key] = std::move(obj);
    return out;
}

ReplyBody decodeReplyBody(const CallHeader& call, const CallMemo& memo, Bytes results,
                          bool complete, const Address& server, AnomalyCounter& anomalies) {
    ReplyBody out;
    Xdr x(results);
    Json obj = Json::object();
    const char* key = nullptr;
    if (call.proc == 0) return out;  // NULL: void results in every program
    switch (call.prog) {
    case kProgNfs: {
        key = "nfs";
        if (call.vers == 4) {
            if (call.proc == 1) decodeNfs4Reply(x, obj, complete, anomalies);
            break;
        }
        // Every NFSv2/v3 result starts with its status, except v2 ROOT/WRITECACHE (void).
        if (call.vers == 2 && (call.proc == 3 || call.proc == 7)) break;
        uint32_t st = x.u32();
        if (!x.ok()) break;
        obj["status"] = call.vers == 2 ? nameOr(nfsstat2Name(st), st)
                                       : nameOr(nfsstat3Name(st), st);
        break;
    }
    case kProgMount: key = "mount"; decodeMountReply(call.proc, x, obj); break;
    case kProgPortmap:
        key = "portmap";
        decodePortmapReply(call, memo, x, obj, server, out);
        break;
    case kProgNlm: key = "nlm"; decodeNlmReply(call.proc, x, obj); break;
    case kProgNsm: key = "nsm"; decodeNsmReply(call.proc, x, obj); break;
    default: break;
    }
    if (key && !obj.empty()) out.fields[key] = std::move(obj);
    return out;
}

bool parseUaddr(std::string_view uaddr, Address& addr, uint16_t& port) {
    size_t p2 = uaddr.rfind('.');
    if (p2 == std::string_view::npos || p2 == 0) return false;
    size_t p1 = uaddr.rfind('.', p2 - 1);
    if (p1 == std::string_view::npos || p1 == 0) return false;
    auto octet = [](std::string_view s, unsigned& v) {
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && ptr == s.data() + s.size() && !s.empty() && v <= 255;
    };
    unsigned hi, lo;
    if (!octet(uaddr.substr(p1 + 1, p2 - p1 - 1), hi) || !octet(uaddr.substr(p2 + 1), lo))
        return false;
    std::string host(uaddr.substr(0, p1));
    addr = Address{};
    if (host.find(':') != std::string::npos) {
        if (inet_pton(AF_INET6, host.c_str(), addr.data()) != 1) return false;
    } else {
        addr[10] = addr[11] = 0xff;
        if (inet_pton(AF_INET, host.c_str(), addr.data() + 12) != 1) return false;
    }
    port = uint16_t(hi << 8 | lo);
    return true;
}

uint8_t netidToL4(std::string_view netid) {
    if (netid == "tcp" || netid == "tcp6") return IPPROTO_TCP;
    if (netid == "udp" || netid == "udp6") return IPPROTO_UDP;
    return 0;
}

void mergeFields(Json& record, const Json& fields) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        Json& dst = record[it.key()];
        if (dst.is_object() && it.value().is_object()) dst.update(it.value());
        else dst = it.value();
    }
}

std::string printableOrHex(Bytes b) {
    bool printable = !b.empty();
    for (uint8_t c : b)
        if (c < 0x20 || c > 0x7e) { printable = false; break; }
    if (printable) return toString(b);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (uint8_t c : b) { s += kHex[c >> 4]; s += kHex[c & 15]; }
    return s;
}

}  // namespace rpcmon::onc
