// SPDX-License-Identifier: Apache-2.0
// NLM v1/v3/v4 (X/Open XNFS; RFC 1813 App. II): lock owner, caller and range of lock calls.
#include "protocols/onc/body_decoders.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {
namespace {

// ---- NLM v1/v3/v4 (X/Open XNFS; RFC 1813 App. II) ----
void decodeNlmLock(uint32_t vers, Xdr& x, ArgList& nlm) {
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

}  // namespace

void decodeNlmCall(uint32_t vers, uint32_t proc, Xdr& x, ArgList& nlm) {
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

void decodeNlmReply(uint32_t proc, Xdr& x, ArgList& nlm) {
    // Synchronous procedures reply with a cookie then a status; _MSG/_RES replies are void.
    bool has_status = (proc >= 1 && proc <= 5) || (proc >= 20 && proc <= 22);
    if (!has_status) return;
    x.opaque(kMaxNetObj);
    uint32_t st = x.u32();
    if (x.ok()) nlm["status"] = nameOr(nlm4StatName(st), st);
}

}  // namespace rpcmon::onc
