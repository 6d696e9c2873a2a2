// SPDX-License-Identifier: Apache-2.0
// ONC RPC message header types (RFC 5531) and credential bodies (RFC 5531 App. A, RFC 2203).
// Pure data: parse.cc fills these, consumer.cc and body.cc read them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rpcmon::onc {

// RFC 5531 §9: enum msg_type.
enum class MsgType : uint32_t { Call = 0, Reply = 1 };

// RFC 5531 §9: enum reply_stat.
enum class ReplyStat : uint32_t { Accepted = 0, Denied = 1 };

// RFC 5531 §9: enum accept_stat.
enum class AcceptStat : uint32_t {
    Success = 0,
    ProgUnavail = 1,
    ProgMismatch = 2,
    ProcUnavail = 3,
    GarbageArgs = 4,
    SystemErr = 5,
};

// RFC 5531 §9: enum reject_stat.
enum class RejectStat : uint32_t { RpcMismatch = 0, AuthError = 1 };

// RFC 5531 §9: enum auth_stat (8..12 Kerberos, 13..14 RPCSEC_GSS per RFC 2203 §5.3.3.3).
enum class AuthStat : uint32_t {
    Ok = 0,
    BadCred = 1,
    RejectedCred = 2,
    BadVerf = 3,
    RejectedVerf = 4,
    TooWeak = 5,
    InvalidResp = 6,
    Failed = 7,
    KerbGeneric = 8,
    TimeExpire = 9,
    TktFile = 10,
    Decode = 11,
    NetAddr = 12,
    RpcsecGssCredProblem = 13,
    RpcsecGssCtxProblem = 14,
};

// RFC 5531 §8.2 and the IANA "RPC Authentication Flavor Numbers" registry; AUTH_TLS is
// RFC 9289 §4.1.
enum AuthFlavor : uint32_t {
    AUTH_NONE = 0,  // a.k.a. AUTH_NULL
    AUTH_SYS = 1,   // a.k.a. AUTH_UNIX
    AUTH_SHORT = 2,
    AUTH_DH = 3,
    AUTH_KERB4 = 4,
    AUTH_RSA = 5,
    RPCSEC_GSS = 6,
    AUTH_TLS = 7,
};

// RFC 2203 §5: rpc_gss_proc_t and rpc_gss_service_t.
enum class GssProc : uint32_t { Data = 0, Init = 1, ContinueInit = 2, Destroy = 3 };
enum class GssService : uint32_t { None = 1, Integrity = 2, Privacy = 3 };

// The call's credential: flavor always, the body decoded for AUTH_SYS and RPCSEC_GSS.
struct Credential {
    uint32_t flavor = AUTH_NONE;
    // AUTH_SYS (RFC 5531 App. A: struct authsys_parms)
    bool has_sys = false;
    uint32_t stamp = 0;
    std::string machine_name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> gids;
    // RPCSEC_GSS (RFC 2203 §5: rpc_gss_cred_vers_1_t)
    bool has_gss = false;
    uint32_t gss_version = 0;
    uint32_t gss_proc = 0;
    uint32_t gss_seq = 0;
    uint32_t gss_service = 0;
};

// RFC 5531 §9: call_body, plus the xid of the enclosing rpc_msg.
struct CallHeader {
    uint32_t xid = 0;
    uint32_t rpcvers = 0;
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    Credential cred;
    uint32_t verifier_flavor = AUTH_NONE;
    size_t args_offset = 0;  // where the procedure arguments start in the message
};

// RFC 5531 §9: reply_body (accepted_reply / rejected_reply), plus the xid.
struct ReplyHeader {
    uint32_t xid = 0;
    ReplyStat status = ReplyStat::Accepted;
    // accepted
    uint32_t verifier_flavor = AUTH_NONE;
    AcceptStat accept_stat = AcceptStat::Success;
    // PROG_MISMATCH (accepted) or RPC_MISMATCH (denied)
    bool has_mismatch = false;
    uint32_t mismatch_low = 0;
    uint32_t mismatch_high = 0;
    // denied
    RejectStat reject_stat = RejectStat::RpcMismatch;
    AuthStat auth_stat = AuthStat::Ok;
    size_t results_offset = 0;  // where the procedure results start (accepted SUCCESS)
};

struct Message {
    MsgType type = MsgType::Call;
    CallHeader call;    // valid when type == Call
    ReplyHeader reply;  // valid when type == Reply
};

// RFC 7530 §16 (3..39), RFC 8881 §18 (40..58), RFC 7862 §15 (59..71), RFC 8276 §8 (72..75):
// enum nfs_opnum4. Names on the wire and in records come from programs.cc (nfs4OpName), which
// checks at compile time that its table agrees with these numbers.
enum class Nfs4Op : uint32_t {
    Access = 3,
    Close = 4,
    Commit = 5,
    Create = 6,
    Delegpurge = 7,
    Delegreturn = 8,
    Getattr = 9,
    Getfh = 10,
    Link = 11,
    Lock = 12,
    Lockt = 13,
    Locku = 14,
    Lookup = 15,
    Lookupp = 16,
    Nverify = 17,
    Open = 18,
    Openattr = 19,
    OpenConfirm = 20,
    OpenDowngrade = 21,
    Putfh = 22,
    Putpubfh = 23,
    Putrootfh = 24,
    Read = 25,
    Readdir = 26,
    Readlink = 27,
    Remove = 28,
    Rename = 29,
    Renew = 30,
    Restorefh = 31,
    Savefh = 32,
    Secinfo = 33,
    Setattr = 34,
    Setclientid = 35,
    SetclientidConfirm = 36,
    Verify = 37,
    Write = 38,
    ReleaseLockowner = 39,
    BackchannelCtl = 40,
    BindConnToSession = 41,
    ExchangeId = 42,
    CreateSession = 43,
    DestroySession = 44,
    FreeStateid = 45,
    GetDirDelegation = 46,
    Getdeviceinfo = 47,
    Getdevicelist = 48,
    Layoutcommit = 49,
    Layoutget = 50,
    Layoutreturn = 51,
    SecinfoNoName = 52,
    Sequence = 53,
    SetSsv = 54,
    TestStateid = 55,
    WantDelegation = 56,
    DestroyClientid = 57,
    ReclaimComplete = 58,
    Allocate = 59,
    Copy = 60,
    CopyNotify = 61,
    Deallocate = 62,
    IoAdvise = 63,
    Layouterror = 64,
    Layoutstats = 65,
    OffloadCancel = 66,
    OffloadStatus = 67,
    ReadPlus = 68,
    Seek = 69,
    WriteSame = 70,
    Clone = 71,
    Getxattr = 72,
    Setxattr = 73,
    Listxattrs = 74,
    Removexattr = 75,
    Illegal = 10044,
};

}  // namespace rpcmon::onc
