// SPDX-License-Identifier: Apache-2.0
// The built-in signature table. Opnums are from the MS-* specifications cited per entry; the
// interface UUIDs come from protocols/dcerpc/interfaces.h, the table that names operations, and
// a test checks every (UUID, opnum) here resolves to a named operation there.
#include "detect/signatures.h"

#include "protocols/dcerpc/interfaces.h"

#include "detect/detector_internal.h"
#include "output/reply_outcome.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

namespace rpcmon::detect {
namespace {

// Interface UUIDs and CLSIDs: the same constants as the interface table the records are named from.
using namespace dcerpc::uuids;

// ONC RPC programs (RFC 1833, RFC 1813 appendix I, RFC 7530).
constexpr uint32_t kPortmap = 100000, kNfs = 100003, kMountd = 100005, kNlm = 100021,
                   kNfsAcl = 100227;

// CLSIDs activated remotely for lateral movement (public research: MMC20, ShellWindows, ...).
constexpr const char* kLateralClsids[] = {
    dcerpc::dcom_class::kMmc20Application,
    dcerpc::dcom_class::kShellWindows,
    dcerpc::dcom_class::kShellBrowserWindow,
    dcerpc::dcom_class::kShellApplication,
    dcerpc::dcom_class::kExcelApplication,
    dcerpc::dcom_class::kWordApplication,
    dcerpc::dcom_class::kOutlookApplication,
    dcerpc::dcom_class::kInternetExplorer,
};
constexpr const char* kWbemLevel1LoginClsid = dcerpc::dcom_class::kWbemLevel1Login;

// Interface ids the predicates compare, parsed once from the same constants.
const Uuid& wbemLoginId() {
    static const Uuid u = uuidFromText(kWbemLogin);
    return u;
}

std::optional<std::string> argString(const Event& e, const char* k) { return jsonString(dceArg(e, k)); }

std::optional<std::string> dcomClsid(const Event& e) {
    const DceCall* c = e.dce();
    return c ? jsonString(c->dcom.find("clsid")) : std::nullopt;
}

// --- predicates -------------------------------------------------------------------------------

bool binaryPathChanged(const Event& e, const SigContext&) { return dceArg(e, "binary_path") != nullptr; }

// PetitPotam: the file name is a UNC path naming a host other than the server called.
bool uncToOtherHost(const Event& e, const SigContext&) {
    auto f = argString(e, "file_name");
    if (!f) return true;  // arguments not decoded (e.g. NDR64): the call itself is the signal
    std::string host = uncHost(*f);
    if (host.empty()) return false;
    return host != destIp(e);
}

// PrinterBug: a change-notification registration asks the server to connect back to
// pszLocalMachine - the caller itself (SpoolSample / printerbug.py name the attacker's host) or a
// relay. Ordinary print clients do the same against their print servers, so it fires on every
// registration with a UNC target; print servers are allowlisted with ignore_dest.
bool notifyOtherHost(const Event& e, const SigContext&) {
    auto lm = argString(e, "local_machine");
    if (!lm) return true;
    return !uncHost(*lm).empty();
}

bool clientCredentialZero(const Event& e, const SigContext&) { return jsonTrue(dceArg(e, "client_credential_zero")); }
bool newPasswordZero(const Event& e, const SigContext&) { return jsonTrue(dceArg(e, "new_password_zero")); }

// MS08-067: NetprPathCanonicalize with a path that climbs above its root.
bool pathTraversal(const Event& e, const SigContext&) {
    auto p = argString(e, "path");
    if (!p) return false;
    return p->find("\\..\\") != std::string::npos || p->find("/../") != std::string::npos ||
           p->rfind("..\\", 0) == 0 || p->rfind("../", 0) == 0;
}

// MS03-026: RemoteActivation whose object name carries a server name longer than the
// 32-character buffer the vulnerable code copied it into (threshold, tunable).
bool longServerName(const Event& e, const SigContext& c) {
    auto o = argString(e, "object_name");
    if (!o) return false;
    return uncHost(*o).size() > c.threshold;
}

bool lateralClsid(const Event& e, const SigContext&) {
    auto c = dcomClsid(e);
    if (!c) return false;
    std::string lc = lower(*c);
    for (const char* k : kLateralClsids)
        if (lc == k) return true;
    return false;
}

bool notLateralClsid(const Event& e, const SigContext& c) {
    auto clsid = dcomClsid(e);
    if (clsid && lower(*clsid) == kWbemLevel1LoginClsid) return false;  // WMI has its own sid
    return !lateralClsid(e, c);
}

bool wmiLogin(const Event& e, const SigContext&) {
    const DceCall* c = e.dce();
    if (!c) return false;
    if (c->iface && c->iface->uuid == wbemLoginId()) return true;
    auto clsid = dcomClsid(e);
    return clsid && lower(*clsid) == kWbemLevel1LoginClsid;
}

bool rootCred(const Event& e, const SigContext&) {
    const OncCall* c = e.onc();
    if (!c || c->cred.flavor != "AUTH_UNIX" || !c->cred.has_sys) return false;
    return c->cred.uid == 0 || c->cred.gid == 0;
}

bool hasAuthUnixUid(const Event& e, const SigContext&) {
    const OncCall* c = e.onc();
    return c && c->cred.has_sys;
}

bool sensitiveName(const std::string& name, const SigContext& c) {
    if (!c.sensitive_files || name.empty()) return false;
    std::string base = lower(std::string(baseName(name)));
    std::string full = lower(name);
    for (const auto& s : *c.sensitive_files) {
        if (base == s) return true;
        // Directory names (".ssh") also match as a path component.
        if (full.find("/" + s + "/") != std::string::npos) return true;
    }
    return false;
}

bool sensitiveFile(const Event& e, const SigContext& c) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"nfs", "name"}, {"nfs", "rename_to"}, {"mount", "path"}, {"nfs", "symlink_target"}};
    for (const auto& [prog, key] : kNames)
        if (auto s = jsonString(oncField(e, prog, key)); s && sensitiveName(*s, c)) return true;
    if (const ArgValue* names = oncField(e, "nfs", "names"); names && names->is_array())
        for (const ArgValue& n : *names->list())
            if (n.is_string() && sensitiveName(*n.string(), c)) return true;
    return false;
}

bool anonymousFlow(const Event& e, const SigContext& c) {
    return c.anonymous_flows && c.anonymous_flows->count(e.flow_id);
}

// Null session: DCE/RPC over TCP with no authentication, or over a pipe of an anonymous SMB
// session.
bool unauthenticated(const Event& e, const SigContext& c) {
    const DceCall* d = e.dce();
    if (!d) return false;
    if (!d->named_pipe.empty()) return anonymousFlow(e, c);
    return d->auth.level == "none";
}

bool anonymousPipe(const Event& e, const SigContext& c) { return anonymousFlow(e, c); }

// Sensitive call readable on the wire: DCE/RPC over TCP below packet privacy.
bool noPrivacy(const Event& e, const SigContext&) {
    const DceCall* d = e.dce();
    if (!d || !d->named_pipe.empty()) return false;  // over a pipe, SMB decides
    return d->auth.level != "pkt_privacy";
}

bool authFailure(const Event& e, const SigContext&) { return isAuthFailure(e); }

// The server does not run the program (or that version) the caller asked for: what a scanner
// guessing program numbers on a port gets back.
bool programProbe(const Event& e, const SigContext&) {
    const OncCall* c = e.onc();
    if (!c || !c->reply || !c->reply->accepted) return false;
    const std::string& st = c->reply->accept_status;
    return st == "prog_unavail" || st == "prog_mismatch";
}

}  // namespace

bool isAuthFailure(const Event& e) {
    static constexpr uint32_t kDceStatus[] = {
        0xc0000022,  // STATUS_ACCESS_DENIED
        0xc000006d,  // STATUS_LOGON_FAILURE
        0xc000006a,  // STATUS_WRONG_PASSWORD
        0xc0000064,  // STATUS_NO_SUCH_USER
        0xc0000234,  // STATUS_ACCOUNT_LOCKED_OUT
        0x00000005,  // ERROR_ACCESS_DENIED (also nca fault access denied)
        0x0000052e,  // ERROR_LOGON_FAILURE
        0x00000056,  // ERROR_INVALID_PASSWORD
    };
    static const char* const kSmbStatus[] = {"STATUS_ACCESS_DENIED", "STATUS_LOGON_FAILURE",
                                             "STATUS_WRONG_PASSWORD", "STATUS_ACCOUNT_LOCKED_OUT",
                                             "STATUS_NO_SUCH_USER"};
    static const char* const kNfsStatus[] = {"NFS3ERR_ACCES", "NFS3ERR_PERM", "NFS4ERR_ACCESS",
                                             "NFS4ERR_PERM", "NFSERR_ACCES", "NFSERR_PERM",
                                             "NFS4ERR_WRONGSEC", "MNT3ERR_ACCES", "MNT3ERR_PERM"};
    auto in = [](std::string_view v, const char* const* list, size_t n) {
        for (size_t i = 0; i < n; i++)
            if (v == list[i]) return true;
        return false;
    };
    auto jsonIn = [&](const ArgValue* v, const char* const* list, size_t n) {
        return v && v->is_string() && in(*v->string(), list, n);
    };
    switch (e.type) {
        case EventType::Rpc:
            if (const DceCall* d = e.dce()) {
                if (!d->reply || !d->reply->status) return false;
                return std::find(std::begin(kDceStatus), std::end(kDceStatus), *d->reply->status) !=
                       std::end(kDceStatus);
            }
            if (const OncCall* c = e.onc()) {
                if (c->reply && !c->reply->accepted) return true;
                return jsonIn(oncField(e, "nfs", "status"), kNfsStatus, std::size(kNfsStatus)) ||
                       jsonIn(oncField(e, "mount", "status"), kNfsStatus, std::size(kNfsStatus));
            }
            return false;
        case EventType::SmbSession:
        case EventType::SmbPipe: return in(e.smb.status, kSmbStatus, std::size(kSmbStatus));
    }
    return false;
}

const std::vector<LateralInterface>& lateralInterfaces() {
    static const std::vector<LateralInterface> t = {
        // MS-SCMR: service creation and start (T1569.002 / T1543.003), \pipe\svcctl (also \pipe\ntsvcs).
        {kSvcctl, "svcctl", "service control manager (svcctl)", {"T1569.002", "T1543.003"},
         {"execution", "persistence"}, 2},
        {kSvcctl, "ntsvcs", "service control manager (svcctl)", {"T1569.002", "T1543.003"},
         {"execution", "persistence"}, 2},
        // MS-TSCH: atsvc (T1053.002), ITaskSchedulerService and sasec (T1053.005); \pipe\atsvc
        // opens are task_pipe_open's (1000015).
        {kAtsvc, nullptr, "task scheduler (atsvc)", {"T1053.002"}, {"execution", "persistence"}, 2},
        {kTsch, nullptr, "task scheduler (ITaskSchedulerService)", {"T1053.005"}, {"execution", "persistence"}, 2},
        {kSasec, nullptr, "task scheduler (sasec)", {"T1053.005"}, {"execution", "persistence"}, 2},
        // MS-DCOM activation: ISystemActivator (IRemoteSCMActivator) and IActivation (T1021.003).
        // wmiexec and dcomexec both start here; which class they wanted is only in the call.
        {kSysActivator, nullptr, "DCOM activation (ISystemActivator/IRemoteSCMActivator)", {"T1021.003"},
         {"lateral-movement"}, 2},
        {kIActivation, nullptr, "DCOM activation (IActivation)", {"T1021.003"}, {"lateral-movement"}, 2},
        // MS-WMI (T1047): IWbemLevel1Login, IWbemLoginClientID, IWbemServices.
        {kWbemLogin, nullptr, "WMI (IWbemLevel1Login)", {"T1047"}, {"execution"}, 2},
        {kWbemLoginClientId, nullptr, "WMI (IWbemLoginClientID)", {"T1047"}, {"execution"}, 2},
        {kWbemServices, nullptr, "WMI (IWbemServices)", {"T1047"}, {"execution"}, 2},
        // MS-RRP: remote registry (T1012 query, T1112 modify); severity of registry_query.
        {kWinreg, "winreg", "remote registry (winreg)", {"T1012", "T1112"}, {"discovery", "defense-evasion"}, 3},
    };
    return t;
}

std::optional<uint64_t> recordItems(const Event& e) {
    const DceCall* d = e.dce();
    const OncCall* o = e.onc();
    const ArgList* epm = d ? &d->epm : nullptr;
    const ArgValue* pm = o ? o->fields.find("portmap") : nullptr;
    const ArgList* portmap = pm ? pm->object() : nullptr;
    auto count = [](const ArgValue* f) -> std::optional<uint64_t> {
        if (f && f->is_number_unsigned()) return f->get<uint64_t>();
        if (f && f->is_number_integer() && f->get<int64_t>() >= 0) return uint64_t(f->get<int64_t>());
        return std::nullopt;
    };
    // Uncapped counts first (epm.num_ents, portmap.entry_count: the reported arrays are capped
    // at 128 / 256 entries), where the dissector provides them.
    const ArgValue* counts[] = {dceArg(e, "entries_read"), epm ? epm->find("num_ents") : nullptr,
                                portmap ? portmap->find("entry_count") : nullptr, dceArg(e, "sid_count"),
                                dceArg(e, "name_count")};
    for (const ArgValue* f : counts)
        if (auto n = count(f)) return n;
    for (const ArgValue* a : {epm ? epm->find("endpoints") : nullptr, portmap ? portmap->find("entries") : nullptr})
        if (a && a->is_array()) return a->size();
    return std::nullopt;
}

std::optional<std::string> recordOutcome(const Event& e) {
    if (e.type == EventType::SmbPipe || e.type == EventType::SmbSession) {
        if (e.smb.status.empty()) return std::nullopt;
        return e.smb.status == "STATUS_SUCCESS" ? "succeeded" : "failed";
    }
    // One definition with `rpcmon top` and the baselines' error rate (output/reply_outcome.h).
    switch (replyOutcome(e)) {
    case ReplyOutcome::NoReply: return "attempt";
    case ReplyOutcome::Succeeded: return "succeeded";
    case ReplyOutcome::Failed: return "failed";
    case ReplyOutcome::Unknown: break;
    }
    return std::nullopt;
}

std::optional<std::string> jsonRecordOutcome(const Json& r) {
    if (fieldString(r, "event_type").value_or("") != "dcerpc_bind") return std::nullopt;
    // No call followed: an attempt, failed when the server refused a context.
    if (const Json* binds = field(r, "rpc.bind"); binds && binds->is_array())
        for (const auto& b : *binds) {
            if (!b.is_object()) continue;
            if (b.value("packet_type", "") == "bind_nak") return "failed";
            if (b.contains("contexts") && b["contexts"].is_array())
                for (const auto& c : b["contexts"])
                    if (c.is_object() && c.value("result", "") != "acceptance" &&
                        c.value("result", "") != "no_response")
                        return "failed";
        }
    return "attempt";
}

namespace {
std::string hexStatus(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}
}  // namespace

std::string describeRecord(const Event& e) {
    const std::string src = e.ips_known ? formatAddress(e.key.client) : "?";
    const std::string to = (e.ips_known ? formatAddress(e.key.server) : "?") +
                           (e.ports_known ? ":" + std::to_string(e.key.server_port) : "");
    const std::string at = formatTimestamp(e.ts);
    const std::string who = " from " + src + " to " + to + " at " + at;
    auto orQ = [](const std::string& s) { return s.empty() ? std::string("?") : s; };
    switch (e.type) {
        case EventType::SmbPipe: return "open of \\pipe\\" + orQ(e.smb.pipe) + who + ": " + orQ(e.smb.status);
        case EventType::SmbSession: return "SMB session setup" + who + ": " + orQ(e.smb.status);
        case EventType::Rpc: break;
    }
    if (const DceCall* d = e.dce()) {
        std::string iface = !d->iface ? "?" : !d->iface->name.empty() ? std::string(d->iface->name) : d->iface->uuid.toString();
        const std::string opnum = std::to_string(d->opnum);
        std::string what = (d->operation.empty() ? "opnum " + opnum : std::string(d->operation)) + " (" + iface +
                           " opnum " + opnum + ")";
        if (!d->named_pipe.empty()) what += " over \\pipe\\" + d->named_pipe;
        const std::string status = d->reply && d->reply->status ? hexStatus(*d->reply->status) : "?";
        std::string rep = !d->reply                                          ? "no reply"
                          : std::string_view(d->reply->packet_type) == "fault" ? "fault " + status
                                                                               : "reply status " + status;
        return what + who + ", " + rep;
    }
    if (const OncCall* o = e.onc()) {
        std::string prog = o->program_name ? o->program_name : std::to_string(o->program);
        std::string proc = o->procedure_name ? o->procedure_name : std::to_string(o->procedure);
        std::string rep = !o->reply            ? "no reply"
                          : !o->reply->accepted ? "reply denied"
                                                : "reply " + o->reply->accept_status;
        return prog + " v" + std::to_string(o->version) + " " + proc + who + ", " + rep;
    }
    return "rpc" + who;
}

std::string describeJsonRecord(const Json& r) {
    const std::string et = fieldString(r, "event_type").value_or("");
    const std::string src = fieldString(r, "src_ip").value_or("?");
    const std::string dst = fieldString(r, "dest_ip").value_or("?");
    auto port = fieldInt(r, "dest_port");
    const std::string to = dst + (port ? ":" + std::to_string(*port) : "");
    const std::string at = fieldString(r, "timestamp").value_or("?");
    if (et == "dcerpc_bind") {
        std::string ctxs;
        if (const Json* binds = field(r, "rpc.bind"); binds && binds->is_array())
            for (const auto& b : *binds)
                if (b.is_object() && b.contains("contexts") && b["contexts"].is_array())
                    for (const auto& c : b["contexts"]) {
                        if (!c.is_object()) continue;
                        if (!ctxs.empty()) ctxs += ", ";
                        ctxs += c.value("name", c.value("uuid", "?")) + " " + c.value("result", "?");
                    }
        return "bind without a call from " + src + " to " + to + " at " + at + " (" + ctxs + ")";
    }
    return et + " from " + src + " to " + to + " at " + at;
}

std::string triggerText(const SignatureDef& d) {
    auto per = [&] { return std::string(d.group == GroupBy::Src ? "per src" : "per src→dst"); };
    switch (d.agg) {
        case Agg::None: return "per call";
        case Agg::Count:
            return "≥" + std::to_string(d.threshold) + " calls / " + std::to_string(d.window_s) + " s " + per();
        case Agg::Distinct:
            return "≥" + std::to_string(d.threshold) + " distinct / " + std::to_string(d.window_s) + " s " + per();
        case Agg::Replay: return "replay table";
        case Agg::Attempt: return "per bind without call / rejected bind / failed pipe open, per interface";
        case Agg::Enumeration: {
            std::string s = "first call per src→dst (sev " + std::to_string(d.severity) + "); sev " +
                            std::to_string(d.escalate_to) + " at";
            std::string sep = " ";
            if (d.items) s += sep + "≥" + std::to_string(d.items) + " " + d.item_noun, sep = " or ";
            if (d.threshold) s += sep + "≥" + std::to_string(d.threshold) + " calls", sep = " or ";
            if (d.servers) s += sep + "≥" + std::to_string(d.servers) + " servers per src";
            return s + " / " + std::to_string(d.window_s) + " s";
        }
    }
    return "";
}

const std::vector<SignatureDef>& builtinSignatures() {
    static const std::vector<SignatureDef> table = [] {
        std::vector<SignatureDef> t;
        auto add = [&](SignatureDef d) { t.push_back(std::move(d)); };
        const char* disc = "discovery";
        const char* cred = "credential-access";
        const char* lat = "lateral-movement";
        const char* exe = "execution";
        const char* per = "persistence";

        // Enumeration class (Agg::Enumeration): severity 3 the first time per (src, dst) in the
        // suppression window, severity 2 with volume (items, calls per src→dst) or breadth
        // (distinct servers per src) within the window. admin_hosts are exempt.
        auto enumSig = [&](SignatureDef d) {
            d.category = disc;
            d.severity = 3;
            d.tactics = {disc};
            d.agg = Agg::Enumeration;
            d.group = GroupBy::SrcDst;
            d.suppress_s = 3600;
            d.exempt = kExemptAdminHosts;
            add(std::move(d));
        };

        // ---- Discovery: account, group, share and session enumeration -------------------------
        // MS-SAMR 3.1.5: 11 EnumerateGroups, 13 EnumerateUsers,
        // 15 EnumerateAliases, 16 GetAliasMembership, 18 LookupIds (RID cycling), 25 GetMembersInGroup,
        // 33 GetMembersInAlias, 36 QueryInformationUser, 39 GetGroupsForUser,
        // 40/48/51 QueryDisplayInformation(2,3), 47 QueryInformationUser2. Not the lookups every
        // SAMR client makes to find its domain (5 LookupDomain, 6 EnumerateDomains: "Builtin" and
        // the domain; rpcclient getdompwinfo / chgpasswd2 do it), 17 LookupNames, nor password
        // changes and the password policy (55, 56, 73).
        enumSig({.sid = 1000001, .name = "samr_enumeration",
                 .message = "SAMR account/group enumeration",
                 .techniques = {"T1087.002", "T1069.002"},
                 .sel = {.event_type = "rpc", .dce = {{kSamr, {11, 13, 15, 16, 18, 25, 33, 36, 39, 40, 47, 48, 51}}}},
                 .threshold = 10, .window_s = 300, .items = 50, .servers = 3, .item_noun = "accounts/groups"});
        // MS-LSAT 3.1.4: 14 LookupNames, 15 LookupSids, 57 LookupSids2, 58 LookupNames2,
        // 68 LookupNames3, 76 LookupSids3, 77 LookupNames4; MS-LSAD 3.1.4: 2 EnumeratePrivileges,
        // 7 QueryInformationPolicy, 11 EnumerateAccounts, 35 EnumerateAccountsWithUserRight,
        // 36 EnumerateAccountRights, 46 QueryInformationPolicy2.
        enumSig({.sid = 1000002, .name = "lsarpc_sid_enumeration",
                 .message = "LSA SID/name lookups, account and policy enumeration",
                 .techniques = {"T1087.002", "T1069.002"},
                 .sel = {.event_type = "rpc", .dce = {{kLsarpc, {2, 7, 11, 14, 15, 35, 36, 46, 57, 58, 68, 76, 77}}}},
                 .threshold = 20, .window_s = 300, .items = 100, .servers = 3, .item_noun = "SIDs/names"});
        // MS-DRSR 4.1.10 IDL_DRSGetNCChanges (3), 4.1.23 IDL_DRSReplicaSync (2).
        add({.sid = 1000003, .name = "dcsync",
             .message = "DCSync: DRSGetNCChanges/DRSReplicaSync from a host that is not a domain controller",
             .category = cred, .severity = 1, .techniques = {"T1003.006"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kDrsuapi, {2, 3}}}},
             .suppress_s = 600, .exempt = kExemptDomainControllers});
        // MS-SRVS 3.1.4.8 NetrShareEnum (15), 3.1.4.32 NetrShareEnumSticky (36). The name is kept
        // for configurations written when this signature only judged sweeps across hosts.
        enumSig({.sid = 1000004, .name = "share_enumeration_sweep",
                 .message = "SMB share enumeration (srvsvc NetrShareEnum)",
                 .techniques = {"T1135"},
                 .sel = {.event_type = "rpc", .dce = {{kSrvsvc, {15, 36}}}},
                 .threshold = 10, .window_s = 600, .items = 200, .servers = 3, .item_noun = "shares"});
        // MS-SRVS 3.1.4.5 NetrSessionEnum (12), 3.1.4.1 NetrConnectionEnum (8), 3.1.4.3 NetrFileEnum (9);
        // MS-WKST 3.2.4.3 NetrWkstaUserEnum (2).
        enumSig({.sid = 1000005, .name = "session_enumeration",
                 .message = "Session/connection/open-file/logged-on user enumeration (srvsvc/wkssvc)",
                 .techniques = {"T1049", "T1033"},
                 .sel = {.event_type = "rpc", .dce = {{kSrvsvc, {8, 9, 12}}, {kWkssvc, {2}}}},
                 .threshold = 10, .window_s = 600, .items = 200, .servers = 3, .item_noun = "sessions/users"});
        add({.sid = 1000006, .name = "session_enumeration_sweep",
             .message = "Session/logged-on user enumeration across many hosts",
             .category = disc, .severity = 2, .techniques = {"T1049", "T1033"}, .tactics = {disc},
             .sel = {.event_type = "rpc", .dce = {{kSrvsvc, {8, 12}}, {kWkssvc, {2}}}},
             .agg = Agg::Distinct, .group = GroupBy::Src, .distinct = DistinctOf::DestIp, .threshold = 5, .window_s = 600, .suppress_s = 900, .exempt = kExemptAdminHosts});
        // MS-LSAD 3.1.4.7.7 LsarEnumerateTrustedDomains (13), 3.1.4.7.1 ...Ex (50); MS-NRPC
        // 3.5.4.7.1 DsrEnumerateDomainTrusts (40), 3.5.4.7.2 NetrEnumerateTrustedDomainsEx (36),
        // 3.5.4.7.3 NetrEnumerateTrustedDomains (19).
        enumSig({.sid = 1000007, .name = "trust_enumeration",
                 .message = "Domain trust enumeration (LSA / netlogon)",
                 .techniques = {"T1482"},
                 .sel = {.event_type = "rpc", .dce = {{kLsarpc, {13, 50}}, {kNetlogon, {19, 36, 40}}}},
                 .threshold = 10, .window_s = 600, .items = 100, .servers = 3, .item_noun = "trusts"});

        // ---- Execution: services and scheduled tasks --------------------------------------------
        // MS-SCMR 3.1.4: 12 RCreateServiceW, 24 RCreateServiceA, 44 RCreateServiceWOW64A,
        // 45 RCreateServiceWOW64W, 60 RCreateWowService.
        add({.sid = 1000010, .name = "service_create",
             .message = "Remote service creation via svcctl",
             .category = exe, .severity = 1, .techniques = {"T1569.002", "T1543.003"}, .tactics = {exe, per},
             .sel = {.event_type = "rpc", .dce = {{kSvcctl, {12, 24, 44, 45, 60}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // 19 RStartServiceW, 31 RStartServiceA.
        add({.sid = 1000011, .name = "service_start",
             .message = "Remote service start via svcctl",
             .category = exe, .severity = 2, .techniques = {"T1569.002"}, .tactics = {exe},
             .sel = {.event_type = "rpc", .dce = {{kSvcctl, {19, 31}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // 11 RChangeServiceConfigW, 23 RChangeServiceConfigA with a new binary path.
        add({.sid = 1000012, .name = "service_binpath_change",
             .message = "Remote service binary path change via svcctl",
             .category = per, .severity = 2, .techniques = {"T1543.003", "T1569.002"}, .tactics = {per, exe},
             .sel = {.event_type = "rpc", .dce = {{kSvcctl, {11, 23}}}},
             .pred = binaryPathChanged, .suppress_s = 300, .exempt = kExemptAdminHosts});
        // MS-TSCH 3.2.5.2.1 NetrJobAdd (0).
        add({.sid = 1000013, .name = "task_atsvc",
             .message = "Remote scheduled job creation via atsvc (NetrJobAdd)",
             .category = exe, .severity = 1, .techniques = {"T1053.002"}, .tactics = {exe, per},
             .sel = {.event_type = "rpc", .dce = {{kAtsvc, {0}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // MS-TSCH 3.2.5.4.2 SchRpcRegisterTask (1), 3.2.5.4.13 SchRpcRun (12);
        // 3.2.5.3.1 SASetAccountInformation (0), 3.2.5.3.2 SASetNSAccountInformation (1).
        add({.sid = 1000014, .name = "task_scheduler",
             .message = "Remote scheduled task registration/run (ITaskSchedulerService/sasec)",
             .category = exe, .severity = 1, .techniques = {"T1053.005"}, .tactics = {exe, per},
             .sel = {.event_type = "rpc", .dce = {{kTsch, {1, 12}}, {kSasec, {0, 1}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // \pipe\atsvc carries atsvc, ITaskSchedulerService and sasec (MS-TSCH 2.1).
        add({.sid = 1000015, .name = "task_pipe_open",
             .message = "Task scheduler named pipe opened over SMB (atsvc)",
             .category = exe, .severity = 2, .techniques = {"T1053.002", "T1053.005"}, .tactics = {exe, per},
             .sel = {.event_type = "smb_pipe", .pipes = {"atsvc"}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});

        // ---- Remote registry (MS-RRP 3.1.5) -----------------------------------------------------
        // 6 CreateKey, 7 DeleteKey, 8 DeleteValue, 18 ReplaceKey, 19 RestoreKey, 21 SetKeySecurity,
        // 22 SetValue, 35 DeleteKeyEx.
        add({.sid = 1000020, .name = "registry_write",
             .message = "Remote registry modification via winreg",
             .category = "defense-evasion", .severity = 2, .techniques = {"T1112"}, .tactics = {"defense-evasion"},
             .sel = {.event_type = "rpc", .dce = {{kWinreg, {6, 7, 8, 18, 19, 21, 22, 35}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // 20 BaseRegSaveKey, 31 BaseRegSaveKeyEx: hive dump (SAM/SYSTEM/SECURITY).
        add({.sid = 1000021, .name = "registry_savekey",
             .message = "Remote registry hive save (BaseRegSaveKey) - credential dumping",
             .category = cred, .severity = 1, .techniques = {"T1003.002"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kWinreg, {20, 31}}}},
             .suppress_s = 300});
        // 24 BaseInitiateSystemShutdown, 30 BaseInitiateSystemShutdownEx.
        add({.sid = 1000022, .name = "registry_shutdown",
             .message = "Remote system shutdown via winreg",
             .category = "impact", .severity = 2, .techniques = {"T1529"}, .tactics = {"impact"},
             .sel = {.event_type = "rpc", .dce = {{kWinreg, {24, 30}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // 9 EnumKey, 10 EnumValue, 15 OpenKey, 16 QueryInfoKey, 17 QueryValue.
        add({.sid = 1000023, .name = "registry_query",
             .message = "Remote registry query via winreg",
             .category = disc, .severity = 3, .techniques = {"T1012"}, .tactics = {disc},
             .sel = {.event_type = "rpc", .dce = {{kWinreg, {9, 10, 15, 16, 17}}}},
             .suppress_s = 3600, .exempt = kExemptAdminHosts});

        // ---- Authentication coercion (T1187) ----------------------------------------------------
        // MS-EFSR 3.1.4.2: 0 OpenFileRaw, 4 EncryptFileSrv, 5 DecryptFileSrv, 6 QueryUsersOnFile,
        // 7 QueryRecoveryAgents, 8 RemoveUsersFromFile, 9 AddUsersToFile, 12 FileKeyInfo,
        // 13 DuplicateEncryptionInfoFile, 15 AddUsersToFileEx.
        add({.sid = 1000030, .name = "coerce_efsrpc",
             .message = "PetitPotam: EFSRPC call with a UNC path to another host",
             .category = cred, .severity = 1, .techniques = {"T1187"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kEfsLsarpc, {0, 4, 5, 6, 7, 8, 9, 12, 13, 15}}, {kEfsrpc, {0, 4, 5, 6, 7, 8, 9, 12, 13, 15}}}},
             .pred = uncToOtherHost, .suppress_s = 300});
        // MS-RPRN 3.1.4.10.3 RpcRemoteFindFirstPrinterChangeNotification (62), .4 ...Ex (65).
        add({.sid = 1000031, .name = "coerce_printerbug",
             .message = "PrinterBug: spoolss change notification (server made to connect back)",
             .category = cred, .severity = 2, .techniques = {"T1187"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kSpoolss, {62, 65}}}},
             .pred = notifyOtherHost, .suppress_s = 300});
        // MS-DFSNM 3.1.4.4.1 NetrDfsAddStdRoot (12), 3.1.4.4.2 NetrDfsRemoveStdRoot (13).
        add({.sid = 1000032, .name = "coerce_dfs",
             .message = "DFSCoerce: netdfs NetrDfsAddStdRoot/RemoveStdRoot",
             .category = cred, .severity = 1, .techniques = {"T1187"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kNetdfs, {12, 13}}}},
             .suppress_s = 300});

        // ---- Exploitation of remote services (T1210) --------------------------------------------
        // MS-RPRN 3.1.4.4.2 RpcAddPrinterDriver (9), 3.1.4.4.8 RpcAddPrinterDriverEx (89),
        // 3.1.4.8.1 RpcAddPrintProcessor (14); MS-PAR 3.1.4.2.2 RpcAsyncAddPrinterDriver (39).
        add({.sid = 1000040, .name = "printnightmare",
             .message = "PrintNightmare: remote printer driver / print processor install",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kSpoolss, {9, 14, 89}}, {kWinspool, {39}}}},
             .suppress_s = 300});
        // MS-NRPC 3.5.4.4.2 NetrServerAuthenticate3 (26), .3 Authenticate2 (15), .4 Authenticate (5).
        add({.sid = 1000041, .name = "zerologon_zero_credential",
             .message = "Zerologon: NetrServerAuthenticate with all-zero credential",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat, "privilege-escalation"},
             .sel = {.event_type = "rpc", .dce = {{kNetlogon, {5, 15, 26}}}},
             .pred = clientCredentialZero, .suppress_s = 300});
        // 4 NetrServerReqChallenge + authenticate calls: the Zerologon brute force loop.
        add({.sid = 1000042, .name = "zerologon_bruteforce",
             .message = "Zerologon: burst of netlogon challenge/authenticate calls",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kNetlogon, {4, 5, 15, 26}}}},
             .agg = Agg::Count, .group = GroupBy::SrcDst, .threshold = 40, .window_s = 60, .suppress_s = 600});
        // 3.5.4.4.5 NetrServerPasswordSet2 (30) setting an all-zero password.
        add({.sid = 1000043, .name = "zerologon_password_reset",
             .message = "Zerologon: NetrServerPasswordSet2 with an all-zero password",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat, "privilege-escalation"},
             .sel = {.event_type = "rpc", .dce = {{kNetlogon, {30}}}},
             .pred = newPasswordZero, .suppress_s = 300});
        // MS-SRVS 3.1.4.33 NetprPathCanonicalize (31).
        add({.sid = 1000044, .name = "ms08_067",
             .message = "MS08-067: NetprPathCanonicalize with path traversal",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kSrvsvc, {31}}}},
             .pred = pathTraversal, .suppress_s = 300});
        // MS-DCOM 3.1.2.5.2.3.1 RemoteActivation (IActivation opnum 0).
        add({.sid = 1000045, .name = "ms03_026",
             .message = "MS03-026: DCOM RemoteActivation with an over-long server name",
             .category = lat, .severity = 1, .techniques = {"T1210"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kIActivation, {0}}}},
             .pred = longServerName, .threshold = 32, .suppress_s = 300});

        // ---- DCOM / WMI / event log ---------------------------------------------------------------
        // MS-DCOM: ISystemActivator 3 RemoteGetClassObject, 4 RemoteCreateInstance; IActivation 0.
        add({.sid = 1000050, .name = "dcom_activation",
             .message = "Remote DCOM object activation",
             .category = lat, .severity = 3, .techniques = {"T1021.003"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kSysActivator, {3, 4}}, {kIActivation, {0}}}},
             .pred = notLateralClsid, .suppress_s = 3600, .exempt = kExemptAdminHosts});
        add({.sid = 1000051, .name = "dcom_lateral_class",
             .message = "DCOM activation of a lateral-movement class (MMC20, ShellWindows, Office)",
             .category = lat, .severity = 1, .techniques = {"T1021.003"}, .tactics = {lat},
             .sel = {.event_type = "rpc", .dce = {{kSysActivator, {3, 4}}, {kIActivation, {0}}}},
             .pred = lateralClsid, .suppress_s = 300});
        // MS-WMI 3.1.4.1.4 IWbemLevel1Login::NTLMLogin (6); activation of CLSID WbemLevel1Login.
        add({.sid = 1000052, .name = "wmi_remote_login",
             .message = "Remote WMI session (WbemLevel1Login)",
             .category = exe, .severity = 2, .techniques = {"T1047"}, .tactics = {exe},
             .sel = {.event_type = "rpc", .dce = {{kSysActivator, {3, 4}}, {kWbemLogin, {6}}}},
             .pred = wmiLogin, .suppress_s = 900, .exempt = kExemptAdminHosts});
        // Attempts: binds no call followed, rejected binds, failed pipe opens (lateralInterfaces()).
        {
            SignatureDef d{.sid = 1000055, .name = "lateral_interface_attempt",
                           .message = "Attempt on a remote-execution interface (svcctl, task scheduler, DCOM activation, WMI, winreg): bind without a call, rejected bind or failed pipe open",
                           .category = lat, .severity = 2, .sel = {.event_type = nullptr}};
            for (const auto& li : lateralInterfaces()) {
                for (const char* t : li.techniques)
                    if (std::find_if(d.techniques.begin(), d.techniques.end(),
                                     [&](const char* x) { return std::string(x) == t; }) == d.techniques.end())
                        d.techniques.push_back(t);
                for (const char* t : li.tactics)
                    if (std::find_if(d.tactics.begin(), d.tactics.end(),
                                     [&](const char* x) { return std::string(x) == t; }) == d.tactics.end())
                        d.tactics.push_back(t);
            }
            d.agg = Agg::Attempt;
            d.suppress_s = 900;
            d.exempt = kExemptAdminHosts;
            add(std::move(d));
        }
        // MS-WMI 3.1.4.3.24/25 IWbemServices::ExecMethod(Async) (e.g. Win32_Process.Create).
        add({.sid = 1000053, .name = "wmi_exec_method",
             .message = "Remote WMI method execution (IWbemServices::ExecMethod)",
             .category = exe, .severity = 1, .techniques = {"T1047"}, .tactics = {exe},
             .sel = {.event_type = "rpc", .dce = {{kWbemServices, {24, 25}}}},
             .suppress_s = 300, .exempt = kExemptAdminHosts});
        // MS-EVEN 3.1.4.9 ElfrClearELFW (0), 3.1.4.10 ElfrClearELFA (12); MS-EVEN6 3.1.4.17 EvtRpcClearLog (6).
        add({.sid = 1000054, .name = "eventlog_clear",
             .message = "Remote event log clearing",
             .category = "defense-evasion", .severity = 1, .techniques = {"T1070.001"}, .tactics = {"defense-evasion"},
             .sel = {.event_type = "rpc", .dce = {{kEventlog, {0, 12}}, {kEven6, {6}}}},
             .suppress_s = 300});

        // ---- Network service discovery (T1046) ----------------------------------------------------
        // C706 ept_lookup (2): rpcdump-style walk of the whole endpoint map (Windows clients
        // resolve one interface with ept_map). Items: endpoints returned.
        enumSig({.sid = 1000060, .name = "epm_enumeration",
                 .message = "Endpoint mapper enumeration (ept_lookup)",
                 .techniques = {"T1046"},
                 .sel = {.event_type = "rpc", .dce = {{kEpm, {2}}}},
                 .threshold = 10, .window_s = 600, .items = 100, .servers = 3, .item_noun = "endpoints"});
        // C706 mgmt inq_if_ids (0): the interfaces a server offers.
        enumSig({.sid = 1000061, .name = "mgmt_enumeration",
                 .message = "DCE/RPC mgmt interface listing (inq_if_ids)",
                 .techniques = {"T1046"},
                 .sel = {.event_type = "rpc", .dce = {{kMgmt, {0}}}},
                 .threshold = 5, .window_s = 600, .items = 100, .servers = 3, .item_noun = "interface ids"});
        add({.sid = 1000062, .name = "interface_bruteforce",
             .message = "DCE/RPC interface UUID brute force (many distinct interfaces)",
             .category = disc, .severity = 2, .techniques = {"T1046"}, .tactics = {disc},
             .sel = {.event_type = nullptr},
             .agg = Agg::Distinct, .group = GroupBy::SrcDst, .distinct = DistinctOf::InterfaceUuid, .threshold = 12, .window_s = 60, .suppress_s = 900});  // rpc calls and dcerpc_bind (binds without calls)
        // RFC 1833: PMAPPROC_DUMP / RPCBPROC_DUMP (4): the registered programs and their ports.
        // Items: map entries returned. The name is kept from the sweep-only signature.
        enumSig({.sid = 1000063, .name = "portmap_dump_sweep",
                 .message = "Portmapper DUMP (registered RPC programs listed)",
                 .techniques = {"T1046"},
                 .sel = {.event_type = "rpc", .onc = {{kPortmap, {4}}}},
                 .threshold = 10, .window_s = 900, .items = 200, .servers = 3, .item_noun = "map entries"});
        // PMAPPROC_GETPORT / RPCBPROC_GETADDR (3).
        add({.sid = 1000064, .name = "portmap_getport_host_sweep",
             .message = "Portmapper GETPORT sweep across hosts",
             .category = disc, .severity = 2, .techniques = {"T1046"}, .tactics = {disc},
             .sel = {.event_type = "rpc", .onc = {{kPortmap, {3}}}},
             .agg = Agg::Distinct, .group = GroupBy::Src, .distinct = DistinctOf::DestIp, .threshold = 4, .window_s = 900, .suppress_s = 1800});
        add({.sid = 1000065, .name = "portmap_getport_program_sweep",
             .message = "Portmapper GETPORT sweep across many programs",
             .category = disc, .severity = 2, .techniques = {"T1046"}, .tactics = {disc},
             .sel = {.event_type = "rpc", .onc = {{kPortmap, {3}}}},
             .agg = Agg::Distinct, .group = GroupBy::SrcDst, .distinct = DistinctOf::PortmapProgram, .threshold = 10, .window_s = 300, .suppress_s = 1800});
        // RPC grinding (nmap version detection, rpcinfo -t/-u on guessed programs): calls for
        // many program numbers answered PROG_UNAVAIL / PROG_MISMATCH (RFC 5531 9).
        add({.sid = 1000067, .name = "onc_program_probe",
             .message = "ONC RPC program-number probing (PROG_UNAVAIL/PROG_MISMATCH replies)",
             .category = disc, .severity = 2, .techniques = {"T1046"}, .tactics = {disc},
             .sel = {.event_type = "rpc"},
             .pred = programProbe, .agg = Agg::Distinct, .group = GroupBy::SrcDst, .distinct = DistinctOf::OncProgram, .threshold = 4, .window_s = 300, .suppress_s = 1800});
        add({.sid = 1000066, .name = "rpc_port_scan",
             .message = "RPC calls to many ports of one host",
             .category = disc, .severity = 2, .techniques = {"T1046"}, .tactics = {disc},
             .sel = {.event_type = "rpc"},
             .agg = Agg::Distinct, .group = GroupBy::SrcDst, .distinct = DistinctOf::DestPort, .threshold = 10, .window_s = 60, .suppress_s = 900});

        // ---- NFS (RFC 1813 / 7530) ----------------------------------------------------------------
        add({.sid = 1000070, .name = "nfs_root_credential",
             .message = "NFS AUTH_UNIX uid/gid 0 from a client not allowed root",
             .category = "collection", .severity = 2, .techniques = {"T1039"}, .tactics = {"collection"},
             .sel = {.event_type = "rpc", .onc = {{kNfs, {}}, {kMountd, {}}, {kNlm, {}}, {kNfsAcl, {}}}},
             .pred = rootCred, .suppress_s = 3600, .exempt = kExemptNfsRootClients});
        add({.sid = 1000071, .name = "nfs_uid_hopping",
             .message = "NFS AUTH_UNIX uid hopping (many uids from one client)",
             .category = "collection", .severity = 2, .techniques = {"T1039"}, .tactics = {"collection", "defense-evasion"},
             .sel = {.event_type = "rpc", .onc = {{kNfs, {}}, {kMountd, {}}, {kNlm, {}}, {kNfsAcl, {}}}},
             .pred = hasAuthUnixUid, .agg = Agg::Distinct, .group = GroupBy::Src, .distinct = DistinctOf::CredUid, .threshold = 5, .window_s = 300, .suppress_s = 1800});
        add({.sid = 1000072, .name = "nfs_sensitive_file",
             .message = "NFS access to a sensitive file name (keys, shadow, keytab)",
             .category = cred, .severity = 2, .techniques = {"T1552.001", "T1552.004", "T1039"}, .tactics = {cred, "collection"},
             .sel = {.event_type = "rpc", .onc = {{kNfs, {}}, {kMountd, {}}}},
             .pred = sensitiveFile, .suppress_s = 900});

        // ---- Authentication hygiene -----------------------------------------------------------------
        add({.sid = 1000080, .name = "null_session",
             .message = "Unauthenticated (null session) call to a sensitive interface",
             .category = disc, .severity = 2, .techniques = {"T1087.002"}, .tactics = {disc},
             .sel = {.event_type = "rpc", .dce = {{kSamr, {}}, {kLsarpc, {}}, {kSrvsvc, {}}, {kWkssvc, {}}, {kWinreg, {}}, {kSvcctl, {}}, {kAtsvc, {}}, {kTsch, {}}, {kDrsuapi, {}}, {kSpoolss, {}}}},
             .pred = unauthenticated, .suppress_s = 900});
        add({.sid = 1000081, .name = "null_session_pipe",
             .message = "Null SMB session opened a sensitive named pipe",
             .category = disc, .severity = 2, .techniques = {"T1087.002"}, .tactics = {disc},
             .sel = {.event_type = "smb_pipe", .pipes = {"samr", "lsarpc", "lsass", "srvsvc", "wkssvc", "winreg", "svcctl", "atsvc", "netlogon", "spoolss", "drsuapi"}},
             .pred = anonymousPipe, .suppress_s = 900});
        add({.sid = 1000082, .name = "sensitive_call_without_privacy",
             .message = "Sensitive DCE/RPC call without packet privacy (readable on the wire)",
             .category = cred, .severity = 3, .techniques = {"T1040"}, .tactics = {cred},
             .sel = {.event_type = "rpc", .dce = {{kDrsuapi, {3}}, {kWinreg, {20, 22, 31}}, {kSvcctl, {12, 24, 44, 45}}, {kSamr, {37, 38, 55, 58}}, {kLsarpc, {30, 43}}}},
             .pred = noPrivacy, .suppress_s = 3600});
        add({.sid = 1000083, .name = "auth_failure_burst",
             .message = "Burst of authentication failures / access denied replies",
             .category = cred, .severity = 2, .techniques = {"T1110"}, .tactics = {cred},
             .sel = {.event_type = nullptr},
             .pred = authFailure, .agg = Agg::Count, .group = GroupBy::Src, .threshold = 10, .window_s = 60, .suppress_s = 600});
        add({.sid = 1000084, .name = "onc_replay",
             .message = "ONC RPC call replayed (same XID, credentials and arguments)",
             .category = "defense-evasion", .severity = 2, .techniques = {"T1550"}, .tactics = {"defense-evasion", lat},
             .sel = {.event_type = "rpc"},
             .agg = Agg::Replay, .group = GroupBy::SrcDst, .suppress_s = 600});
        add({.sid = 1000085, .name = "call_flood",
             .message = "RPC call-rate flood from one source",
             .category = "impact", .severity = 2, .techniques = {"T1499.002"}, .tactics = {"impact"},
             .sel = {.event_type = "rpc"},
             .agg = Agg::Count, .group = GroupBy::Src, .threshold = 5000, .window_s = 10, .suppress_s = 300});
        add({.sid = 1000086, .name = "connection_flood",
             .message = "RPC connection-rate flood from one source",
             .category = "impact", .severity = 2, .techniques = {"T1499.002"}, .tactics = {"impact"},
             .sel = {.event_type = nullptr},
             .agg = Agg::Distinct, .group = GroupBy::Src, .distinct = DistinctOf::FlowId, .threshold = 300, .window_s = 10, .suppress_s = 300});
        std::sort(t.begin(), t.end(), [](auto& a, auto& b) { return a.sid < b.sid; });
        return t;
    }();
    return table;
}

}  // namespace rpcmon::detect
