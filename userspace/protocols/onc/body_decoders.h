// SPDX-License-Identifier: Apache-2.0
// What the per-program body decoders (body_<program>.cc) share: the XDR reader, the length
// limits every decoder checks against (each with its source) and the entry points body.cc
// dispatches to by program number. Internal to rpcmon_onc; body.h is the public face.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_reader.h"
#include "output/record.h"
#include "protocols/onc/body.h"
#include "protocols/onc/parse.h"
#include "protocols/onc/types.h"

namespace rpcmon::onc {

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

inline std::string toString(Bytes b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

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

// ---- Program decoders: arguments into `obj` (the record's `nfs`, `mount`, ... object) ----
// NFSv4 COMPOUND (body_nfs4.cc).
void decodeNfs4Call(Xdr& x, ArgList& nfs, bool complete, AnomalyCounter& anomalies);
void decodeNfs4Reply(Xdr& x, ArgList& nfs, bool complete, AnomalyCounter& anomalies);
// NFSv2 / v3 (body_nfs.cc).
void decodeNfs2Call(uint32_t proc, Xdr& x, ArgList& nfs);
void decodeNfs3Call(uint32_t proc, Xdr& x, ArgList& nfs);
void decodeNfs2or3Reply(uint32_t vers, uint32_t proc, Xdr& x, ArgList& nfs);
// MOUNT (body_mount.cc).
void decodeMountCall(uint32_t proc, Xdr& x, ArgList& mount);
void decodeMountReply(uint32_t proc, Xdr& x, ArgList& mount);
// Portmapper / rpcbind (body_portmap.cc): replies also yield endpoints to learn.
void decodePortmapCall(const CallHeader& call, Xdr& x, ArgList& pm, CallMemo& memo);
void decodePortmapReply(const CallHeader& call, const CallMemo& memo, Xdr& x, ArgList& pm,
                        const Address& server, ReplyBody& out);
// NLM (body_nlm.cc) and NSM (body_nsm.cc).
void decodeNlmCall(uint32_t vers, uint32_t proc, Xdr& x, ArgList& nlm);
void decodeNlmReply(uint32_t proc, Xdr& x, ArgList& nlm);
void decodeNsmCall(uint32_t proc, Xdr& x, ArgList& nsm);
void decodeNsmReply(uint32_t proc, Xdr& x, ArgList& nsm);

}  // namespace rpcmon::onc
