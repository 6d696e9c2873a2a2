// SPDX-License-Identifier: Apache-2.0
// Data tables only (Zeek habit: names are data in one place, not spread across code).
#include "protocols/onc/programs.h"

#include "protocols/onc/types.h"

#include <span>
#include <string_view>

namespace rpcmon::onc {

namespace {

struct Named {
    uint32_t value;
    const char* name;
};

const char* lookup(std::span<const Named> table, uint32_t v) {
    for (const Named& n : table)
        if (n.value == v) return n.name;
    return nullptr;
}

// ---- Programs: glibc /etc/rpc, plus well-known Solaris services seen in attacks. ----
constexpr Named kPrograms[] = {
    {100000, "portmapper"}, {100001, "rstatd"},      {100002, "rusersd"},
    {100003, "nfs"},        {100004, "ypserv"},      {100005, "mountd"},
    {100007, "ypbind"},     {100008, "walld"},       {100009, "yppasswdd"},
    {100010, "etherstatd"}, {100011, "rquotad"},     {100012, "sprayd"},
    {100013, "3270_mapper"}, {100014, "rje_mapper"}, {100015, "selection_svc"},
    {100016, "database_svc"}, {100017, "rexd"},      {100018, "alis"},
    {100019, "sched"},      {100020, "llockmgr"},    {100021, "nlockmgr"},
    {100022, "x25.inr"},    {100023, "statmon"},     {100024, "status"},
    {100026, "bootparam"},  {100028, "ypupdated"},   {100029, "keyserv"},
    {100037, "tfsd"},       {100038, "nsed"},        {100039, "nsemntd"},
    {100068, "cmsd"},       {100069, "ypxfrd"},      {100083, "ttdbserverd"},
    {100227, "nfs_acl"},    {100232, "sadmind"},     {100249, "snmpXdmid"},
    {150001, "pcnfsd"},     {300019, "amd"},         {391002, "sgi_fam"},
    {545580417, "ugidd"},   {600100069, "fypxfrd"},  {788585389, "bwnfsd"},
    {0x40000000, "nfs4_cb"},  // RFC 7530 §16.33: conventional NFSv4 callback program
};

// ---- Procedures, indexed by procedure number (nullptr = unassigned). ----
constexpr const char* kPortmapV2[] = {"NULL", "SET", "UNSET", "GETPORT", "DUMP", "CALLIT"};
constexpr const char* kRpcbindV3[] = {"NULL", "SET", "UNSET", "GETADDR", "DUMP", "CALLIT",
                                      "GETTIME", "UADDR2TADDR", "TADDR2UADDR"};
constexpr const char* kRpcbindV4[] = {"NULL",    "SET",        "UNSET",       "GETADDR",
                                      "DUMP",    "BCAST",      "GETTIME",     "UADDR2TADDR",
                                      "TADDR2UADDR", "GETVERSADDR", "INDIRECT", "GETADDRLIST",
                                      "GETSTAT"};
constexpr const char* kMountV1[] = {"NULL", "MNT", "DUMP", "UMNT", "UMNTALL", "EXPORT",
                                    "EXPORTALL", "PATHCONF"};
constexpr const char* kMountV3[] = {"NULL", "MNT", "DUMP", "UMNT", "UMNTALL", "EXPORT"};
constexpr const char* kNfsV2[] = {"NULL",   "GETATTR", "SETATTR", "ROOT",   "LOOKUP",
                                  "READLINK", "READ",  "WRITECACHE", "WRITE", "CREATE",
                                  "REMOVE", "RENAME",  "LINK",    "SYMLINK", "MKDIR",
                                  "RMDIR",  "READDIR", "STATFS"};
constexpr const char* kNfsV3[] = {"NULL",   "GETATTR", "SETATTR", "LOOKUP",  "ACCESS",
                                  "READLINK", "READ",  "WRITE",   "CREATE",  "MKDIR",
                                  "SYMLINK", "MKNOD",  "REMOVE",  "RMDIR",   "RENAME",
                                  "LINK",   "READDIR", "READDIRPLUS", "FSSTAT", "FSINFO",
                                  "PATHCONF", "COMMIT"};
constexpr const char* kNfsV4[] = {"NULL", "COMPOUND"};
constexpr const char* kNfs4Cb[] = {"CB_NULL", "CB_COMPOUND"};
constexpr const char* kNlm[] = {
    "NULL",       "TEST",        "LOCK",        "CANCEL",     "UNLOCK",     "GRANTED",
    "TEST_MSG",   "LOCK_MSG",    "CANCEL_MSG",  "UNLOCK_MSG", "GRANTED_MSG", "TEST_RES",
    "LOCK_RES",   "CANCEL_RES",  "UNLOCK_RES",  "GRANTED_RES", nullptr,     nullptr,
    nullptr,      nullptr,       "SHARE",       "UNSHARE",    "NM_LOCK",    "FREE_ALL"};
constexpr const char* kNsm[] = {"NULL", "STAT", "MON", "UNMON", "UNMON_ALL", "SIMU_CRASH",
                                "NOTIFY"};
constexpr const char* kNfsAclV2[] = {"NULL", "GETACL", "SETACL", "GETATTR", "ACCESS",
                                     "GETXATTRDIR"};
constexpr const char* kNfsAclV3[] = {"NULL", "GETACL", "SETACL", "GETXATTRDIR"};
constexpr const char* kRquota[] = {"NULL", "GETQUOTA", "GETACTIVEQUOTA", "SETQUOTA",
                                   "SETACTIVEQUOTA"};
constexpr const char* kYpserv[] = {"NULL", "DOMAIN", "DOMAIN_NONACK", "MATCH", "FIRST", "NEXT",
                                   "XFR", "CLEAR", "ALL", "MASTER", "ORDER", "MAPLIST"};
constexpr const char* kYpbind[] = {"NULL", "DOMAIN", "SETDOM"};
constexpr const char* kYppasswd[] = {"NULL", "UPDATE"};
constexpr const char* kRstat[] = {"NULL", "STATS", "HAVEDISK"};
constexpr const char* kRusers[] = {"NULL", "NUM", "NAMES", "ALLNAMES"};
constexpr const char* kWall[] = {"NULL", "WALL"};
constexpr const char* kSpray[] = {"NULL", "SPRAY", "GET", "CLEAR"};
constexpr const char* kBootparam[] = {"NULL", "WHOAMI", "GETFILE"};

struct ProcTable {
    uint32_t prog;
    uint32_t vers_lo, vers_hi;
    std::span<const char* const> procs;
};

constexpr ProcTable kProcTables[] = {
    {100000, 2, 2, kPortmapV2}, {100000, 3, 3, kRpcbindV3}, {100000, 4, 4, kRpcbindV4},
    {100005, 1, 2, kMountV1},   {100005, 3, 3, kMountV3},   {100003, 2, 2, kNfsV2},
    {100003, 3, 3, kNfsV3},     {100003, 4, 4, kNfsV4},     {0x40000000, 1, 4, kNfs4Cb},
    {100021, 1, 4, kNlm},       {100024, 1, 1, kNsm},       {100227, 2, 2, kNfsAclV2},
    {100227, 3, 3, kNfsAclV3},  {100011, 1, 2, kRquota},    {100004, 1, 2, kYpserv},
    {100007, 1, 2, kYpbind},    {100009, 1, 1, kYppasswd},  {100001, 1, 4, kRstat},
    {100002, 1, 3, kRusers},    {100008, 1, 1, kWall},      {100012, 1, 1, kSpray},
    {100026, 1, 1, kBootparam},
};

// ---- NFSv4 operations (nfs_opnum4): RFC 7530 §16 (3..39), RFC 8881 §18 (40..58),
// RFC 7862 §15 (59..71), RFC 8276 §8 (72..75), OP_ILLEGAL 10044. ----
constexpr const char* kNfs4Ops[] = {
    nullptr, nullptr, nullptr,
    "ACCESS", "CLOSE", "COMMIT", "CREATE", "DELEGPURGE", "DELEGRETURN", "GETATTR", "GETFH",
    "LINK", "LOCK", "LOCKT", "LOCKU", "LOOKUP", "LOOKUPP", "NVERIFY", "OPEN", "OPENATTR",
    "OPEN_CONFIRM", "OPEN_DOWNGRADE", "PUTFH", "PUTPUBFH", "PUTROOTFH", "READ", "READDIR",
    "READLINK", "REMOVE", "RENAME", "RENEW", "RESTOREFH", "SAVEFH", "SECINFO", "SETATTR",
    "SETCLIENTID", "SETCLIENTID_CONFIRM", "VERIFY", "WRITE", "RELEASE_LOCKOWNER",
    "BACKCHANNEL_CTL", "BIND_CONN_TO_SESSION", "EXCHANGE_ID", "CREATE_SESSION",
    "DESTROY_SESSION", "FREE_STATEID", "GET_DIR_DELEGATION", "GETDEVICEINFO", "GETDEVICELIST",
    "LAYOUTCOMMIT", "LAYOUTGET", "LAYOUTRETURN", "SECINFO_NO_NAME", "SEQUENCE", "SET_SSV",
    "TEST_STATEID", "WANT_DELEGATION", "DESTROY_CLIENTID", "RECLAIM_COMPLETE",
    "ALLOCATE", "COPY", "COPY_NOTIFY", "DEALLOCATE", "IO_ADVISE", "LAYOUTERROR",
    "LAYOUTSTATS", "OFFLOAD_CANCEL", "OFFLOAD_STATUS", "READ_PLUS", "SEEK", "WRITE_SAME",
    "CLONE", "GETXATTR", "SETXATTR", "LISTXATTRS", "REMOVEXATTR",
};
constexpr uint32_t kNfs4OpIllegal = 10044;

// The operation names above and enum Nfs4Op (types.h) are one numbering.
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Access)]) == "ACCESS");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Close)]) == "CLOSE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Commit)]) == "COMMIT");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Create)]) == "CREATE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Delegpurge)]) == "DELEGPURGE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Delegreturn)]) == "DELEGRETURN");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Getattr)]) == "GETATTR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Getfh)]) == "GETFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Link)]) == "LINK");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Lock)]) == "LOCK");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Lockt)]) == "LOCKT");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Locku)]) == "LOCKU");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Lookup)]) == "LOOKUP");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Lookupp)]) == "LOOKUPP");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Nverify)]) == "NVERIFY");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Open)]) == "OPEN");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Openattr)]) == "OPENATTR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::OpenConfirm)]) == "OPEN_CONFIRM");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::OpenDowngrade)]) == "OPEN_DOWNGRADE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Putfh)]) == "PUTFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Putpubfh)]) == "PUTPUBFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Putrootfh)]) == "PUTROOTFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Read)]) == "READ");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Readdir)]) == "READDIR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Readlink)]) == "READLINK");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Remove)]) == "REMOVE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Rename)]) == "RENAME");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Renew)]) == "RENEW");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Restorefh)]) == "RESTOREFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Savefh)]) == "SAVEFH");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Secinfo)]) == "SECINFO");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Setattr)]) == "SETATTR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Setclientid)]) == "SETCLIENTID");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::SetclientidConfirm)]) == "SETCLIENTID_CONFIRM");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Verify)]) == "VERIFY");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Write)]) == "WRITE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::ReleaseLockowner)]) == "RELEASE_LOCKOWNER");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::BackchannelCtl)]) == "BACKCHANNEL_CTL");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::BindConnToSession)]) == "BIND_CONN_TO_SESSION");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::ExchangeId)]) == "EXCHANGE_ID");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::CreateSession)]) == "CREATE_SESSION");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::DestroySession)]) == "DESTROY_SESSION");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::FreeStateid)]) == "FREE_STATEID");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::GetDirDelegation)]) == "GET_DIR_DELEGATION");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Getdeviceinfo)]) == "GETDEVICEINFO");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Getdevicelist)]) == "GETDEVICELIST");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Layoutcommit)]) == "LAYOUTCOMMIT");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Layoutget)]) == "LAYOUTGET");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Layoutreturn)]) == "LAYOUTRETURN");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::SecinfoNoName)]) == "SECINFO_NO_NAME");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Sequence)]) == "SEQUENCE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::SetSsv)]) == "SET_SSV");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::TestStateid)]) == "TEST_STATEID");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::WantDelegation)]) == "WANT_DELEGATION");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::DestroyClientid)]) == "DESTROY_CLIENTID");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::ReclaimComplete)]) == "RECLAIM_COMPLETE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Allocate)]) == "ALLOCATE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Copy)]) == "COPY");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::CopyNotify)]) == "COPY_NOTIFY");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Deallocate)]) == "DEALLOCATE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::IoAdvise)]) == "IO_ADVISE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Layouterror)]) == "LAYOUTERROR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Layoutstats)]) == "LAYOUTSTATS");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::OffloadCancel)]) == "OFFLOAD_CANCEL");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::OffloadStatus)]) == "OFFLOAD_STATUS");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::ReadPlus)]) == "READ_PLUS");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Seek)]) == "SEEK");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::WriteSame)]) == "WRITE_SAME");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Clone)]) == "CLONE");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Getxattr)]) == "GETXATTR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Setxattr)]) == "SETXATTR");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Listxattrs)]) == "LISTXATTRS");
static_assert(std::string_view(kNfs4Ops[uint32_t(Nfs4Op::Removexattr)]) == "REMOVEXATTR");
static_assert(kNfs4OpIllegal == uint32_t(Nfs4Op::Illegal));

// ---- RPC header enums (RFC 5531 §9, RFC 2203 §5.3.3.3, IANA auth flavors). ----
constexpr Named kAuthFlavors[] = {
    {0, "AUTH_NULL"},  {1, "AUTH_UNIX"}, {2, "AUTH_SHORT"}, {3, "AUTH_DH"},
    {4, "AUTH_KERB4"}, {5, "AUTH_RSA"},  {6, "RPCSEC_GSS"}, {7, "AUTH_TLS"},
    {390003, "RPCSEC_GSS_KRB5"}, {390004, "RPCSEC_GSS_KRB5I"}, {390005, "RPCSEC_GSS_KRB5P"},
};
constexpr Named kAcceptStats[] = {
    {0, "success"},      {1, "prog_unavail"}, {2, "prog_mismatch"},
    {3, "proc_unavail"}, {4, "garbage_args"}, {5, "system_err"},
};
constexpr Named kRejectStats[] = {{0, "rpc_mismatch"}, {1, "auth_error"}};
constexpr Named kAuthStats[] = {
    {0, "AUTH_OK"},           {1, "AUTH_BADCRED"},     {2, "AUTH_REJECTEDCRED"},
    {3, "AUTH_BADVERF"},      {4, "AUTH_REJECTEDVERF"}, {5, "AUTH_TOOWEAK"},
    {6, "AUTH_INVALIDRESP"},  {7, "AUTH_FAILED"},      {8, "AUTH_KERB_GENERIC"},
    {9, "AUTH_TIMEEXPIRE"},   {10, "AUTH_TKT_FILE"},   {11, "AUTH_DECODE"},
    {12, "AUTH_NET_ADDR"},    {13, "RPCSEC_GSS_CREDPROBLEM"}, {14, "RPCSEC_GSS_CTXPROBLEM"},
};

// ---- RFC 1094 §2.3.1 stat ----
constexpr Named kNfsStat2[] = {
    {0, "NFS_OK"},          {1, "NFSERR_PERM"},  {2, "NFSERR_NOENT"},  {5, "NFSERR_IO"},
    {6, "NFSERR_NXIO"},     {13, "NFSERR_ACCES"}, {17, "NFSERR_EXIST"}, {19, "NFSERR_NODEV"},
    {20, "NFSERR_NOTDIR"},  {21, "NFSERR_ISDIR"}, {27, "NFSERR_FBIG"},  {28, "NFSERR_NOSPC"},
    {30, "NFSERR_ROFS"},    {63, "NFSERR_NAMETOOLONG"}, {66, "NFSERR_NOTEMPTY"},
    {69, "NFSERR_DQUOT"},   {70, "NFSERR_STALE"}, {99, "NFSERR_WFLUSH"},
};

// ---- RFC 1813 §2.6 nfsstat3 ----
constexpr Named kNfsStat3[] = {
    {0, "NFS3_OK"},             {1, "NFS3ERR_PERM"},        {2, "NFS3ERR_NOENT"},
    {5, "NFS3ERR_IO"},          {6, "NFS3ERR_NXIO"},        {13, "NFS3ERR_ACCES"},
    {17, "NFS3ERR_EXIST"},      {18, "NFS3ERR_XDEV"},       {19, "NFS3ERR_NODEV"},
    {20, "NFS3ERR_NOTDIR"},     {21, "NFS3ERR_ISDIR"},      {22, "NFS3ERR_INVAL"},
    {27, "NFS3ERR_FBIG"},       {28, "NFS3ERR_NOSPC"},      {30, "NFS3ERR_ROFS"},
    {31, "NFS3ERR_MLINK"},      {63, "NFS3ERR_NAMETOOLONG"}, {66, "NFS3ERR_NOTEMPTY"},
    {69, "NFS3ERR_DQUOT"},      {70, "NFS3ERR_STALE"},      {71, "NFS3ERR_REMOTE"},
    {10001, "NFS3ERR_BADHANDLE"}, {10002, "NFS3ERR_NOT_SYNC"}, {10003, "NFS3ERR_BAD_COOKIE"},
    {10004, "NFS3ERR_NOTSUPP"}, {10005, "NFS3ERR_TOOSMALL"}, {10006, "NFS3ERR_SERVERFAULT"},
    {10007, "NFS3ERR_BADTYPE"}, {10008, "NFS3ERR_JUKEBOX"},
};

// ---- nfsstat4: RFC 7530 §13.1, RFC 8881 §15.1, RFC 7862 §11.1, RFC 8276 §8.3 ----
constexpr Named kNfsStat4[] = {
    {0, "NFS4_OK"}, {1, "NFS4ERR_PERM"}, {2, "NFS4ERR_NOENT"}, {5, "NFS4ERR_IO"},
    {6, "NFS4ERR_NXIO"}, {13, "NFS4ERR_ACCESS"}, {17, "NFS4ERR_EXIST"}, {18, "NFS4ERR_XDEV"},
    {20, "NFS4ERR_NOTDIR"}, {21, "NFS4ERR_ISDIR"}, {22, "NFS4ERR_INVAL"}, {27, "NFS4ERR_FBIG"},
    {28, "NFS4ERR_NOSPC"}, {30, "NFS4ERR_ROFS"}, {31, "NFS4ERR_MLINK"},
    {63, "NFS4ERR_NAMETOOLONG"}, {66, "NFS4ERR_NOTEMPTY"}, {69, "NFS4ERR_DQUOT"},
    {70, "NFS4ERR_STALE"}, {10001, "NFS4ERR_BADHANDLE"}, {10003, "NFS4ERR_BAD_COOKIE"},
    {10004, "NFS4ERR_NOTSUPP"}, {10005, "NFS4ERR_TOOSMALL"}, {10006, "NFS4ERR_SERVERFAULT"},
    {10007, "NFS4ERR_BADTYPE"}, {10008, "NFS4ERR_DELAY"}, {10009, "NFS4ERR_SAME"},
    {10010, "NFS4ERR_DENIED"}, {10011, "NFS4ERR_EXPIRED"}, {10012, "NFS4ERR_LOCKED"},
    {10013, "NFS4ERR_GRACE"}, {10014, "NFS4ERR_FHEXPIRED"}, {10015, "NFS4ERR_SHARE_DENIED"},
    {10016, "NFS4ERR_WRONGSEC"}, {10017, "NFS4ERR_CLID_INUSE"}, {10018, "NFS4ERR_RESOURCE"},
    {10019, "NFS4ERR_MOVED"}, {10020, "NFS4ERR_NOFILEHANDLE"},
    {10021, "NFS4ERR_MINOR_VERS_MISMATCH"}, {10022, "NFS4ERR_STALE_CLIENTID"},
    {10023, "NFS4ERR_STALE_STATEID"}, {10024, "NFS4ERR_OLD_STATEID"},
    {10025, "NFS4ERR_BAD_STATEID"}, {10026, "NFS4ERR_BAD_SEQID"}, {10027, "NFS4ERR_NOT_SAME"},
    {10028, "NFS4ERR_LOCK_RANGE"}, {10029, "NFS4ERR_SYMLINK"}, {10030, "NFS4ERR_RESTOREFH"},
    {10031, "NFS4ERR_LEASE_MOVED"}, {10032, "NFS4ERR_ATTRNOTSUPP"}, {10033, "NFS4ERR_NO_GRACE"},
    {10034, "NFS4ERR_RECLAIM_BAD"}, {10035, "NFS4ERR_RECLAIM_CONFLICT"},
    {10036, "NFS4ERR_BADXDR"}, {10037, "NFS4ERR_LOCKS_HELD"}, {10038, "NFS4ERR_OPENMODE"},
    {10039, "NFS4ERR_BADOWNER"}, {10040, "NFS4ERR_BADCHAR"}, {10041, "NFS4ERR_BADNAME"},
    {10042, "NFS4ERR_BAD_RANGE"}, {10043, "NFS4ERR_LOCK_NOTSUPP"},
    {10044, "NFS4ERR_OP_ILLEGAL"}, {10045, "NFS4ERR_DEADLOCK"}, {10046, "NFS4ERR_FILE_OPEN"},
    {10047, "NFS4ERR_ADMIN_REVOKED"}, {10048, "NFS4ERR_CB_PATH_DOWN"},
    {10049, "NFS4ERR_BADIOMODE"}, {10050, "NFS4ERR_BADLAYOUT"},
    {10051, "NFS4ERR_BAD_SESSION_DIGEST"}, {10052, "NFS4ERR_BADSESSION"},
    {10053, "NFS4ERR_BADSLOT"}, {10054, "NFS4ERR_COMPLETE_ALREADY"},
    {10055, "NFS4ERR_CONN_NOT_BOUND_TO_SESSION"}, {10056, "NFS4ERR_DELEG_ALREADY_WANTED"},
    {10057, "NFS4ERR_BACK_CHAN_BUSY"}, {10058, "NFS4ERR_LAYOUTTRYLATER"},
    {10059, "NFS4ERR_LAYOUTUNAVAILABLE"}, {10060, "NFS4ERR_NOMATCHING_LAYOUT"},
    {10061, "NFS4ERR_RECALLCONFLICT"}, {10062, "NFS4ERR_UNKNOWN_LAYOUTTYPE"},
    {10063, "NFS4ERR_SEQ_MISORDERED"}, {10064, "NFS4ERR_SEQUENCE_POS"},
    {10065, "NFS4ERR_REQ_TOO_BIG"}, {10066, "NFS4ERR_REP_TOO_BIG"},
    {10067, "NFS4ERR_REP_TOO_BIG_TO_CACHE"}, {10068, "NFS4ERR_RETRY_UNCACHED_REP"},
    {10069, "NFS4ERR_UNSAFE_COMPOUND"}, {10070, "NFS4ERR_TOO_MANY_OPS"},
    {10071, "NFS4ERR_OP_NOT_IN_SESSION"}, {10072, "NFS4ERR_HASH_ALG_UNSUPP"},
    {10074, "NFS4ERR_CLIENTID_BUSY"}, {10075, "NFS4ERR_PNFS_IO_HOLE"},
    {10076, "NFS4ERR_SEQ_FALSE_RETRY"}, {10077, "NFS4ERR_BAD_HIGH_SLOT"},
    {10078, "NFS4ERR_DEADSESSION"}, {10079, "NFS4ERR_ENCR_ALG_UNSUPP"},
    {10080, "NFS4ERR_PNFS_NO_LAYOUT"}, {10081, "NFS4ERR_NOT_ONLY_OP"},
    {10082, "NFS4ERR_WRONG_CRED"}, {10083, "NFS4ERR_WRONG_TYPE"},
    {10084, "NFS4ERR_DIRDELEG_UNAVAIL"}, {10085, "NFS4ERR_REJECT_DELEG"},
    {10086, "NFS4ERR_RETURNCONFLICT"}, {10087, "NFS4ERR_DELEG_REVOKED"},
    {10088, "NFS4ERR_PARTNER_NOTSUPP"}, {10089, "NFS4ERR_PARTNER_NO_AUTH"},
    {10090, "NFS4ERR_UNION_NOTSUPP"}, {10091, "NFS4ERR_OFFLOAD_DENIED"},
    {10092, "NFS4ERR_WRONG_LFS"}, {10093, "NFS4ERR_BADLABEL"},
    {10094, "NFS4ERR_OFFLOAD_NO_REQS"}, {10095, "NFS4ERR_NOXATTR"},
    {10096, "NFS4ERR_XATTR2BIG"},
};

// ---- RFC 1813 App. I mountstat3 ----
constexpr Named kMountStat3[] = {
    {0, "MNT3_OK"},           {1, "MNT3ERR_PERM"},   {2, "MNT3ERR_NOENT"},
    {5, "MNT3ERR_IO"},        {13, "MNT3ERR_ACCES"}, {20, "MNT3ERR_NOTDIR"},
    {22, "MNT3ERR_INVAL"},    {63, "MNT3ERR_NAMETOOLONG"}, {10004, "MNT3ERR_NOTSUPP"},
    {10006, "MNT3ERR_SERVERFAULT"},
};

// ---- nlm4_stats (RFC 1813 App. II; v1/v3 nlm_stats share values 0..4) ----
constexpr Named kNlm4Stats[] = {
    {0, "NLM4_GRANTED"},    {1, "NLM4_DENIED"},          {2, "NLM4_DENIED_NOLOCKS"},
    {3, "NLM4_BLOCKED"},    {4, "NLM4_DENIED_GRACE_PERIOD"}, {5, "NLM4_DEADLCK"},
    {6, "NLM4_ROFS"},       {7, "NLM4_STALE_FH"},        {8, "NLM4_FBIG"},
    {9, "NLM4_FAILED"},
};

}  // namespace

const char* programName(uint32_t prog) { return lookup(kPrograms, prog); }

const char* procedureName(uint32_t prog, uint32_t vers, uint32_t proc) {
    for (const ProcTable& t : kProcTables) {
        if (t.prog != prog || vers < t.vers_lo || vers > t.vers_hi) continue;
        return proc < t.procs.size() ? t.procs[proc] : nullptr;
    }
    // Procedure 0 is the NULL ping in every ONC program (RFC 5531 §12.1 convention).
    return proc == 0 ? "NULL" : nullptr;
}

const char* nfs4OpName(uint32_t op) {
    if (op == kNfs4OpIllegal) return "ILLEGAL";
    return op < std::size(kNfs4Ops) ? kNfs4Ops[op] : nullptr;
}

const char* authFlavorName(uint32_t f) { return lookup(kAuthFlavors, f); }
const char* acceptStatName(uint32_t s) { return lookup(kAcceptStats, s); }
const char* rejectStatName(uint32_t s) { return lookup(kRejectStats, s); }
const char* authStatName(uint32_t s) { return lookup(kAuthStats, s); }
const char* nfsstat2Name(uint32_t s) { return lookup(kNfsStat2, s); }
const char* nfsstat3Name(uint32_t s) { return lookup(kNfsStat3, s); }
const char* nfsstat4Name(uint32_t s) { return lookup(kNfsStat4, s); }
const char* mountstat3Name(uint32_t s) { return lookup(kMountStat3, s); }
const char* nlm4StatName(uint32_t s) { return lookup(kNlm4Stats, s); }

std::string nameOr(const char* name, uint32_t value) {
    return name ? std::string(name) : std::to_string(value);
}

}  // namespace rpcmon::onc
