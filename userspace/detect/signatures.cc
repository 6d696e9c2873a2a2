// SPDX-License-Identifier: Apache-2.0
// The built-in signature table. UUIDs and opnums are from the MS-* specifications cited per
// entry (the same values as protocols/dcerpc/interfaces.cc, which this file does not depend on).
#include "detect/signatures.h"

#include "output/reply_outcome.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace rpcmon::detect {
namespace {

// Interface UUIDs.
constexpr const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";      // MS-SAMR 1.9
constexpr const char* kLsarpc = "12345778-1234-abcd-ef00-0123456789ab";    // MS-LSAT/LSAD 1.9
constexpr const char* kSrvsvc = "4b324fc8-1670-01d3-1278-5a47bf6ee188";    // MS-SRVS 1.9
constexpr const char* kWkssvc = "6bffd098-a112-3610-9833-46c3f87e345a";    // MS-WKST 1.9
constexpr const char* kWinreg = "338cd001-2244-31f1-aaaa-900038001003";    // MS-RRP 1.9
constexpr const char* kSvcctl = "367abb81-9844-35f1-ad32-98f038001003";    // MS-SCMR 1.9
constexpr const char* kAtsvc = "1ff70682-0a51-30e8-076d-740be8cee98b";     // MS-TSCH 1.9
constexpr const char* kSasec = "378e52b0-c0a9-11cf-822d-00aa0051e40f";     // MS-TSCH 1.9
constexpr const char* kTsch = "86d35949-83c9-4044-b424-db363231fd0c";      // MS-TSCH 1.9
constexpr const char* kDrsuapi = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";   // MS-DRSR 1.9
constexpr const char* kSpoolss = "12345678-1234-abcd-ef00-0123456789ab";   // MS-RPRN 1.9
constexpr const char* kWinspool = "76f03f96-cdfd-44fc-a22c-64950a001209";  // MS-PAR 1.9
constexpr const char* kEfsLsarpc = "c681d488-d850-11d0-8c52-00c04fd90f7e"; // MS-EFSR 1.9 (\pipe\lsarpc)
constexpr const char* kEfsrpc = "df1941c5-fe89-4e79-bf10-463657acf44d";    // MS-EFSR 1.9 (\pipe\efsrpc)
constexpr const char* kNetdfs = "4fc742e0-4a10-11cf-8273-00aa004ae673";    // MS-DFSNM 1.9
constexpr const char* kNetlogon = "12345678-1234-abcd-ef00-01234567cffb";  // MS-NRPC 1.9
constexpr const char* kEventlog = "82273fdc-e32a-18c3-3f78-827929dc23ea";  // MS-EVEN 1.9
constexpr const char* kEven6 = "f6beaff7-1e19-4fbb-9f8f-b89e2018337c";     // MS-EVEN6 1.9
constexpr const char* kSysActivator = "000001a0-0000-0000-c000-000000000046";  // MS-DCOM 1.9
constexpr const char* kIActivation = "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57";   // MS-DCOM 1.9
constexpr const char* kWbemLogin = "f309ad18-d86a-11d0-a075-00c04fb68820";     // MS-WMI 1.9
constexpr const char* kWbemServices = "9556dc99-828c-11cf-a37e-00aa003240c7";  // MS-WMI 1.9
constexpr const char* kEpm = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";       // C706 appendix N
constexpr const char* kMgmt = "afa8bd80-7d8a-11c9-bef4-08002b102989";      // C706 appendix Q

// ONC RPC programs (RFC 1833, RFC 1813 appendix I, RFC 7530).
constexpr uint32_t kPortmap = 100000, kNfs = 100003, kMountd = 100005, kNlm = 100021,
                   kNfsAcl = 100227;

// CLSIDs activated remotely for lateral movement (public research: MMC20, ShellWindows, ...).
constexpr const char* kLateralClsids[] = {
    "49b2791a-b1ae-4c90-9b8e-e860ba07f889",  // MMC20.Application
    "9ba05972-f6a8-11cf-a442-00a0c90a8f39",  // ShellWindows
    "c08afd90-f2a1-11d1-8455-00a0c91f3880",  // ShellBrowserWindow
    "13709620-c279-11ce-a49e-444553540000",  // Shell.Application
    "00020812-0000-0000-c000-000000000046",  // Excel.Application
    "000209ff-0000-0000-c000-000000000046",  // Word.Application
    "0006f03a-0000-0000-c000-000000000046",  // Outlook.Application
    "0002df01-0000-0000-c000-000000000046",  // InternetExplorer.Application
};
constexpr const char* kWbemLevel1LoginClsid = "8bc3f05e-d86b-11d0-a075-00c04fb68820";

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool argPresent(const Json& r, const char* path) { return field(r, path) != nullptr; }

// --- predicates -------------------------------------------------------------------------------

bool binaryPathChanged(const Json& r, const SigContext&) {
    return argPresent(r, "rpc.args.binary_path");
}

// PetitPotam: the file name is a UNC path naming a host other than the server called.
bool uncToOtherHost(const Json& r, const SigContext&) {
    auto f = fieldString(r, "rpc.args.file_name");
    if (!f) return true;  // arguments not decoded (e.g. NDR64): the call itself is the signal
    std::string host = uncHost(*f);
    if (host.empty()) return false;
    return host != fieldString(r, "dest_ip").value_or("");
}

// PrinterBug: a change-notification registration asks the server to connect back to
// pszLocalMachine - the caller itself (SpoolSample / printerbug.py name the attacker's host) or a
// relay. Ordinary print clients do the same against their print servers, so it fires on every
// registration with a UNC target; print servers are allowlisted with ignore_dest.
bool notifyOtherHost(const Json& r, const SigContext&) {
    auto lm = fieldString(r, "rpc.args.local_machine");
    if (!lm) return true;
    return !uncHost(*lm).empty();
}

bool clientCredentialZero(const Json& r, const SigContext&) {
    return fieldTrue(r, "rpc.args.client_credential_zero");
}
bool newPasswordZero(const Json& r, const SigContext&) {
    return fieldTrue(r, "rpc.args.new_password_zero");
}

// MS08-067: NetprPathCanonicalize with a path that climbs above its root.
bool pathTraversal(const Json& r, const SigContext&) {
    auto p = fieldString(r, "rpc.args.path");
    if (!p) return false;
    return p->find("\\..\\") != std::string::npos || p->find("/../") != std::string::npos ||
           p->rfind("..\\", 0) == 0 || p->rfind("../", 0) == 0;
}

// MS03-026: RemoteActivation whose object name carries a server name longer than the
// 32-character buffer the vulnerable code copied it into (threshold, tunable).
bool longServerName(const Json& r, const SigContext& c) {
    auto o = fieldString(r, "rpc.args.object_name");
    if (!o) return false;
    std::string host = uncHost(*o);
    return host.size() > c.threshold;
}

bool lateralClsid(const Json& r, const SigContext&) {
    auto c = fieldString(r, "rpc.dcom.clsid");
    if (!c) return false;
    std::string lc = lower(*c);
    for (const char* k : kLateralClsids)
        if (lc == k) return true;
    return false;
}

bool notLateralClsid(const Json& r, const SigContext& c) {
    auto uuid = fieldString(r, "rpc.interface.uuid");
    auto clsid = fieldString(r, "rpc.dcom.clsid");
    if (clsid && lower(*clsid) == kWbemLevel1LoginClsid) return false;  // WMI has its own sid
    return !lateralClsid(r, c);
}

bool wmiLogin(const Json& r, const SigContext&) {
    auto uuid = fieldString(r, "rpc.interface.uuid");
    if (uuid && lower(*uuid) == kWbemLogin) return true;
    auto clsid = fieldString(r, "rpc.dcom.clsid");
    return clsid && lower(*clsid) == kWbemLevel1LoginClsid;
}

bool rootCred(const Json& r, const SigContext&) {
    if (fieldString(r, "rpc.cred.flavor").value_or("") != "AUTH_UNIX") return false;
    return fieldInt(r, "rpc.cred.uid") == 0 || fieldInt(r, "rpc.cred.gid") == 0;
}

bool hasAuthUnixUid(const Json& r, const SigContext&) {
    return fieldInt(r, "rpc.cred.uid").has_value();
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

bool sensitiveFile(const Json& r, const SigContext& c) {
    for (const char* p : {"nfs.name", "nfs.rename_to", "mount.path", "nfs.symlink_target"})
        if (auto s = fieldString(r, p); s && sensitiveName(*s, c)) return true;
    if (const Json* names = field(r, "nfs.names"); names && names->is_array())
        for (const auto& n : *names)
            if (n.is_string() && sensitiveName(n.get<std::string>(), c)) return true;
    return false;
}

// Null session: DCE/RPC over TCP with no authentication, or over a pipe of an anonymous SMB
// session.
bool unauthenticated(const Json& r, const SigContext& c) {
    if (r.contains("rpc") && r["rpc"].contains("named_pipe")) {
        auto flow = fieldInt(r, "flow_id");
        return flow && c.anonymous_flows && c.anonymous_flows->count(uint64_t(*flow));
    }
    return fieldString(r, "rpc.auth.level").value_or("") == "none";
}

bool anonymousPipe(const Json& r, const SigContext& c) {
    auto flow = fieldInt(r, "flow_id");
    return flow && c.anonymous_flows && c.anonymous_flows->count(uint64_t(*flow));
}

// Sensitive call readable on the wire: DCE/RPC over TCP below packet privacy.
bool noPrivacy(const Json& r, const SigContext&) {
    if (r.contains("rpc") && r["rpc"].contains("named_pipe")) return false;  // SMB decides
    auto level = fieldString(r, "rpc.auth.level");
    return level && *level != "pkt_privacy";
}

bool authFailure(const Json& r, const SigContext&) { return isAuthFailure(r); }

// The server does not run the program (or that version) the caller asked for: what a scanner
// guessing program numbers on a port gets back.
bool programProbe(const Json& r, const SigContext&) {
    if (fieldString(r, "rpc.family").value_or("") != "onc") return false;
    auto st = fieldString(r, "rpc.reply.accept_status");
    return st && (*st == "prog_unavail" || *st == "prog_mismatch");
}

}  // namespace

bool isAuthFailure(const Json& r) {
    static const char* const kDceStatus[] = {
        "0xc0000022",  // STATUS_ACCESS_DENIED
        "0xc000006d",  // STATUS_LOGON_FAILURE
        "0xc000006a",  // STATUS_WRONG_PASSWORD
        "0xc0000064",  // STATUS_NO_SUCH_USER
        "0xc0000234",  // STATUS_ACCOUNT_LOCKED_OUT
        "0x00000005",  // ERROR_ACCESS_DENIED (also nca fault access denied)
        "0x0000052e",  // ERROR_LOGON_FAILURE
        "0x00000056",  // ERROR_INVALID_PASSWORD
    };
    static const char* const kSmbStatus[] = {"STATUS_ACCESS_DENIED", "STATUS_LOGON_FAILURE",
                                             "STATUS_WRONG_PASSWORD", "STATUS_ACCOUNT_LOCKED_OUT",
                                             "STATUS_NO_SUCH_USER"};
    static const char* const kNfsStatus[] = {"NFS3ERR_ACCES", "NFS3ERR_PERM", "NFS4ERR_ACCESS",
                                             "NFS4ERR_PERM", "NFSERR_ACCES", "NFSERR_PERM",
                                             "NFS4ERR_WRONGSEC", "MNT3ERR_ACCES", "MNT3ERR_PERM"};
    auto is = [](const Json* f, const char* const* list, size_t n, bool fold) {
        if (!f || !f->is_string()) return false;
        const std::string& v = f->get_ref<const std::string&>();
        for (size_t i = 0; i < n; i++)
            if (fold ? lower(v) == list[i] : v == list[i]) return true;
        return false;
    };
    const Json* et = field(r, "event_type");
    if (!et || !et->is_string()) return false;
    const std::string& type = et->get_ref<const std::string&>();
    if (type == "rpc") {
        const Json* reply = field(r, "rpc.reply");
        if (fieldString(r, "rpc.family").value_or("") == "dcerpc")
            return reply && reply->is_object() &&
                   is(field(*reply, "status"), kDceStatus, std::size(kDceStatus), true);
        if (reply && reply->is_object() && reply->value("status", "") == "denied") return true;
        return is(field(r, "nfs.status"), kNfsStatus, std::size(kNfsStatus), false) ||
               is(field(r, "mount.status"), kNfsStatus, std::size(kNfsStatus), false);
    }
    if (type == "smb_session" || type == "smb_pipe")
        return is(field(r, "smb.status"), kSmbStatus, std::size(kSmbStatus), false);
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
        {"d4781cd6-e5d3-44df-ad94-930efe48a887", nullptr, "WMI (IWbemLoginClientID)", {"T1047"}, {"execution"}, 2},
        {kWbemServices, nullptr, "WMI (IWbemServices)", {"T1047"}, {"execution"}, 2},
        // MS-RRP: remote registry (T1012 query, T1112 modify); severity of registry_query.
        {kWinreg, "winreg", "remote registry (winreg)", {"T1012", "T1112"}, {"discovery", "defense-evasion"}, 3},
    };
    return t;
}

std::optional<uint64_t> recordItems(const Json& r) {
    auto arraySize = [&](const char* path) -> std::optional<uint64_t> {
        const Json* a = field(r, path);
        if (a && a->is_array()) return a->size();
        return std::nullopt;
    };
    // Uncapped counts first (epm.num_ents, portmap.entry_count: the reported arrays are capped
    // at 128 / 256 entries), where the dissector provides them.
    for (const char* k : {"rpc.args.entries_read", "epm.num_ents", "portmap.entry_count", "rpc.args.sid_count",
                          "rpc.args.name_count"}) {
        const Json* f = field(r, k);
        if (f && f->is_number_unsigned()) return f->get<uint64_t>();
        if (f && f->is_number_integer() && f->get<int64_t>() >= 0) return uint64_t(f->get<int64_t>());
    }
    if (auto n = arraySize("epm.endpoints")) return n;
    if (auto n = arraySize("portmap.entries")) return n;
    return std::nullopt;
}

std::optional<std::string> recordOutcome(const Json& r) {
    const std::string et = fieldString(r, "event_type").value_or("");
    if (et == "smb_pipe" || et == "smb_session") {
        auto st = fieldString(r, "smb.status");
        if (!st) return std::nullopt;
        return *st == "STATUS_SUCCESS" ? "succeeded" : "failed";
    }
    if (et == "dcerpc_bind") {
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
    if (et != "rpc") return std::nullopt;
    // One definition with `rpcmon top` and the baselines' error rate (output/reply_outcome.h).
    switch (replyOutcome(r)) {
    case ReplyOutcome::NoReply: return "attempt";
    case ReplyOutcome::Succeeded: return "succeeded";
    case ReplyOutcome::Failed: return "failed";
    case ReplyOutcome::Unknown: break;
    }
    return std::nullopt;
}

std::string describeRecord(const Json& r) {
    const std::string et = fieldString(r, "event_type").value_or("");
    const std::string src = fieldString(r, "src_ip").value_or("?");
    const std::string dst = fieldString(r, "dest_ip").value_or("?");
    auto port = fieldInt(r, "dest_port");
    const std::string to = dst + (port ? ":" + std::to_string(*port) : "");
    const std::string at = fieldString(r, "timestamp").value_or("?");
    std::string what;
    if (et == "rpc" && fieldString(r, "rpc.family").value_or("") == "dcerpc") {
        std::string iface = fieldString(r, "rpc.interface.name").value_or(fieldString(r, "rpc.interface.uuid").value_or("?"));
        auto op = fieldString(r, "rpc.operation");
        auto opnum = fieldInt(r, "rpc.opnum");
        what = (op ? *op : "opnum " + (opnum ? std::to_string(*opnum) : std::string("?"))) + " (" + iface +
               (opnum ? " opnum " + std::to_string(*opnum) : "") + ")";
        if (auto p = fieldString(r, "rpc.named_pipe")) what += " over \\pipe\\" + *p;
        const Json* reply = field(r, "rpc.reply");
        std::string rep = !reply || reply->is_null() ? "no reply"
                          : reply->value("packet_type", "") == "fault" ? "fault " + reply->value("status", "?")
                                                                       : "reply status " + reply->value("status", "?");
        return what + " from " + src + " to " + to + " at " + at + ", " + rep;
    }
    if (et == "rpc") {
        std::string prog = fieldString(r, "rpc.program_name").value_or(std::to_string(fieldInt(r, "rpc.program").value_or(-1)));
        std::string proc = fieldString(r, "rpc.procedure_name").value_or(std::to_string(fieldInt(r, "rpc.procedure").value_or(-1)));
        what = prog + " v" + std::to_string(fieldInt(r, "rpc.version").value_or(0)) + " " + proc;
        const Json* reply = field(r, "rpc.reply");
        std::string rep = !reply || reply->is_null() ? "no reply"
                          : reply->value("status", "") == "denied" ? "reply denied"
                                                                    : "reply " + reply->value("accept_status", "?");
        return what + " from " + src + " to " + to + " at " + at + ", " + rep;
    }
    if (et == "smb_pipe")
        return "open of \\pipe\\" + fieldString(r, "smb.pipe").value_or("?") + " from " + src + " to " + to + " at " +
               at + ": " + fieldString(r, "smb.status").value_or("?");
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
    if (et == "smb_session")
        return "SMB session setup from " + src + " to " + to + " at " + at + ": " +
               fieldString(r, "smb.status").value_or("?");
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
        auto enumSig = [&](uint32_t sid, const char* name, const char* msg, std::vector<const char*> tech,
                           Selector sel, uint32_t calls, uint32_t items, uint32_t servers, uint32_t window,
                           const char* noun) {
            SignatureDef d{sid, name, msg, disc, 3, std::move(tech), {disc}, std::move(sel)};
            d.agg = Agg::Enumeration;
            d.group = GroupBy::SrcDst;
            d.threshold = calls;
            d.items = items;
            d.servers = servers;
            d.window_s = window;
            d.suppress_s = 3600;
            d.exempt = kExemptAdminHosts;
            d.item_noun = noun;
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
        enumSig(1000001, "samr_enumeration", "SAMR account/group enumeration", {"T1087.002", "T1069.002"},
                {"rpc", {{kSamr, {11, 13, 15, 16, 18, 25, 33, 36, 39, 40, 47, 48, 51}}}}, 10, 50, 3, 300,
                "accounts/groups");
        // MS-LSAT 3.1.4: 14 LookupNames, 15 LookupSids, 57 LookupSids2, 58 LookupNames2,
        // 68 LookupNames3, 76 LookupSids3, 77 LookupNames4; MS-LSAD 3.1.4: 2 EnumeratePrivileges,
        // 7 QueryInformationPolicy, 11 EnumerateAccounts, 35 EnumerateAccountsWithUserRight,
        // 36 EnumerateAccountRights, 46 QueryInformationPolicy2.
        enumSig(1000002, "lsarpc_sid_enumeration", "LSA SID/name lookups, account and policy enumeration",
                {"T1087.002", "T1069.002"},
                {"rpc", {{kLsarpc, {2, 7, 11, 14, 15, 35, 36, 46, 57, 58, 68, 76, 77}}}}, 20, 100, 3, 300,
                "SIDs/names");
        // MS-DRSR 4.1.10 IDL_DRSGetNCChanges (3), 4.1.23 IDL_DRSReplicaSync (2).
        add({1000003, "dcsync",
             "DCSync: DRSGetNCChanges/DRSReplicaSync from a host that is not a domain controller", cred,
             1, {"T1003.006"}, {cred}, {"rpc", {{kDrsuapi, {2, 3}}}}, nullptr, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 600, kExemptDomainControllers});
        // MS-SRVS 3.1.4.8 NetrShareEnum (15), 3.1.4.32 NetrShareEnumSticky (36). The name is kept
        // for configurations written when this signature only judged sweeps across hosts.
        enumSig(1000004, "share_enumeration_sweep", "SMB share enumeration (srvsvc NetrShareEnum)", {"T1135"},
                {"rpc", {{kSrvsvc, {15, 36}}}}, 10, 200, 3, 600, "shares");
        // MS-SRVS 3.1.4.5 NetrSessionEnum (12), 3.1.4.1 NetrConnectionEnum (8), 3.1.4.3 NetrFileEnum (9);
        // MS-WKST 3.2.4.3 NetrWkstaUserEnum (2).
        enumSig(1000005, "session_enumeration", "Session/connection/open-file/logged-on user enumeration (srvsvc/wkssvc)",
                {"T1049", "T1033"}, {"rpc", {{kSrvsvc, {8, 9, 12}}, {kWkssvc, {2}}}}, 10, 200, 3, 600,
                "sessions/users");
        add({1000006, "session_enumeration_sweep", "Session/logged-on user enumeration across many hosts",
             disc, 2, {"T1049", "T1033"}, {disc}, {"rpc", {{kSrvsvc, {8, 12}}, {kWkssvc, {2}}}},
             nullptr, Agg::Distinct, GroupBy::Src, DistinctOf::DestIp, 5, 600, 900, kExemptAdminHosts});
        // MS-LSAD 3.1.4.7.7 LsarEnumerateTrustedDomains (13), 3.1.4.7.1 ...Ex (50); MS-NRPC
        // 3.5.4.7.1 DsrEnumerateDomainTrusts (40), 3.5.4.7.2 NetrEnumerateTrustedDomainsEx (36),
        // 3.5.4.7.3 NetrEnumerateTrustedDomains (19).
        enumSig(1000007, "trust_enumeration", "Domain trust enumeration (LSA / netlogon)", {"T1482"},
                {"rpc", {{kLsarpc, {13, 50}}, {kNetlogon, {19, 36, 40}}}}, 10, 100, 3, 600, "trusts");

        // ---- Execution: services and scheduled tasks --------------------------------------------
        // MS-SCMR 3.1.4: 12 RCreateServiceW, 24 RCreateServiceA, 44 RCreateServiceWOW64A,
        // 45 RCreateServiceWOW64W, 60 RCreateWowService.
        add({1000010, "service_create", "Remote service creation via svcctl", exe, 1,
             {"T1569.002", "T1543.003"}, {exe, per}, {"rpc", {{kSvcctl, {12, 24, 44, 45, 60}}}},
             nullptr, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // 19 RStartServiceW, 31 RStartServiceA.
        add({1000011, "service_start", "Remote service start via svcctl", exe, 2, {"T1569.002"}, {exe},
             {"rpc", {{kSvcctl, {19, 31}}}}, nullptr, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0,
             0, 300, kExemptAdminHosts});
        // 11 RChangeServiceConfigW, 23 RChangeServiceConfigA with a new binary path.
        add({1000012, "service_binpath_change", "Remote service binary path change via svcctl", per, 2,
             {"T1543.003", "T1569.002"}, {per, exe}, {"rpc", {{kSvcctl, {11, 23}}}}, binaryPathChanged,
             Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // MS-TSCH 3.2.5.2.1 NetrJobAdd (0).
        add({1000013, "task_atsvc", "Remote scheduled job creation via atsvc (NetrJobAdd)", exe, 1,
             {"T1053.002"}, {exe, per}, {"rpc", {{kAtsvc, {0}}}}, nullptr, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // MS-TSCH 3.2.5.4.2 SchRpcRegisterTask (1), 3.2.5.4.13 SchRpcRun (12);
        // 3.2.5.3.1 SASetAccountInformation (0), 3.2.5.3.2 SASetNSAccountInformation (1).
        add({1000014, "task_scheduler", "Remote scheduled task registration/run (ITaskSchedulerService/sasec)",
             exe, 1, {"T1053.005"}, {exe, per}, {"rpc", {{kTsch, {1, 12}}, {kSasec, {0, 1}}}}, nullptr,
             Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // \pipe\atsvc carries atsvc, ITaskSchedulerService and sasec (MS-TSCH 2.1).
        add({1000015, "task_pipe_open", "Task scheduler named pipe opened over SMB (atsvc)", exe, 2,
             {"T1053.002", "T1053.005"}, {exe, per}, {"smb_pipe", {}, {}, {"atsvc"}}, nullptr, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 300, kExemptAdminHosts});

        // ---- Remote registry (MS-RRP 3.1.5) -----------------------------------------------------
        // 6 CreateKey, 7 DeleteKey, 8 DeleteValue, 18 ReplaceKey, 19 RestoreKey, 21 SetKeySecurity,
        // 22 SetValue, 35 DeleteKeyEx.
        add({1000020, "registry_write", "Remote registry modification via winreg", "defense-evasion", 2,
             {"T1112"}, {"defense-evasion"}, {"rpc", {{kWinreg, {6, 7, 8, 18, 19, 21, 22, 35}}}}, nullptr,
             Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // 20 BaseRegSaveKey, 31 BaseRegSaveKeyEx: hive dump (SAM/SYSTEM/SECURITY).
        add({1000021, "registry_savekey", "Remote registry hive save (BaseRegSaveKey) - credential dumping",
             cred, 1, {"T1003.002"}, {cred}, {"rpc", {{kWinreg, {20, 31}}}}, nullptr, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // 24 BaseInitiateSystemShutdown, 30 BaseInitiateSystemShutdownEx.
        add({1000022, "registry_shutdown", "Remote system shutdown via winreg", "impact", 2, {"T1529"},
             {"impact"}, {"rpc", {{kWinreg, {24, 30}}}}, nullptr, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // 9 EnumKey, 10 EnumValue, 15 OpenKey, 16 QueryInfoKey, 17 QueryValue.
        add({1000023, "registry_query", "Remote registry query via winreg", disc, 3, {"T1012"}, {disc},
             {"rpc", {{kWinreg, {9, 10, 15, 16, 17}}}}, nullptr, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 3600, kExemptAdminHosts});

        // ---- Authentication coercion (T1187) ----------------------------------------------------
        // MS-EFSR 3.1.4.2: 0 OpenFileRaw, 4 EncryptFileSrv, 5 DecryptFileSrv, 6 QueryUsersOnFile,
        // 7 QueryRecoveryAgents, 8 RemoveUsersFromFile, 9 AddUsersToFile, 12 FileKeyInfo,
        // 13 DuplicateEncryptionInfoFile, 15 AddUsersToFileEx.
        add({1000030, "coerce_efsrpc", "PetitPotam: EFSRPC call with a UNC path to another host", cred, 1,
             {"T1187"}, {cred},
             {"rpc", {{kEfsLsarpc, {0, 4, 5, 6, 7, 8, 9, 12, 13, 15}},
                      {kEfsrpc, {0, 4, 5, 6, 7, 8, 9, 12, 13, 15}}}},
             uncToOtherHost, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // MS-RPRN 3.1.4.10.3 RpcRemoteFindFirstPrinterChangeNotification (62), .4 ...Ex (65).
        add({1000031, "coerce_printerbug", "PrinterBug: spoolss change notification (server made to connect back)", cred,
             2, {"T1187"}, {cred}, {"rpc", {{kSpoolss, {62, 65}}}}, notifyOtherHost, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // MS-DFSNM 3.1.4.4.1 NetrDfsAddStdRoot (12), 3.1.4.4.2 NetrDfsRemoveStdRoot (13).
        add({1000032, "coerce_dfs", "DFSCoerce: netdfs NetrDfsAddStdRoot/RemoveStdRoot", cred, 1,
             {"T1187"}, {cred}, {"rpc", {{kNetdfs, {12, 13}}}}, nullptr, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 300});

        // ---- Exploitation of remote services (T1210) --------------------------------------------
        // MS-RPRN 3.1.4.4.2 RpcAddPrinterDriver (9), 3.1.4.4.8 RpcAddPrinterDriverEx (89),
        // 3.1.4.8.1 RpcAddPrintProcessor (14); MS-PAR 3.1.4.2.2 RpcAsyncAddPrinterDriver (39).
        add({1000040, "printnightmare", "PrintNightmare: remote printer driver / print processor install",
             lat, 1, {"T1210"}, {lat}, {"rpc", {{kSpoolss, {9, 14, 89}}, {kWinspool, {39}}}}, nullptr,
             Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // MS-NRPC 3.5.4.4.2 NetrServerAuthenticate3 (26), .3 Authenticate2 (15), .4 Authenticate (5).
        add({1000041, "zerologon_zero_credential", "Zerologon: NetrServerAuthenticate with all-zero credential",
             lat, 1, {"T1210"}, {lat, "privilege-escalation"}, {"rpc", {{kNetlogon, {5, 15, 26}}}},
             clientCredentialZero, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // 4 NetrServerReqChallenge + authenticate calls: the Zerologon brute force loop.
        add({1000042, "zerologon_bruteforce", "Zerologon: burst of netlogon challenge/authenticate calls",
             lat, 1, {"T1210"}, {lat}, {"rpc", {{kNetlogon, {4, 5, 15, 26}}}}, nullptr, Agg::Count,
             GroupBy::SrcDst, DistinctOf::None, 40, 60, 600});
        // 3.5.4.4.5 NetrServerPasswordSet2 (30) setting an all-zero password.
        add({1000043, "zerologon_password_reset", "Zerologon: NetrServerPasswordSet2 with an all-zero password",
             lat, 1, {"T1210"}, {lat, "privilege-escalation"}, {"rpc", {{kNetlogon, {30}}}},
             newPasswordZero, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // MS-SRVS 3.1.4.33 NetprPathCanonicalize (31).
        add({1000044, "ms08_067", "MS08-067: NetprPathCanonicalize with path traversal", lat, 1, {"T1210"},
             {lat}, {"rpc", {{kSrvsvc, {31}}}}, pathTraversal, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 300});
        // MS-DCOM 3.1.2.5.2.3.1 RemoteActivation (IActivation opnum 0).
        add({1000045, "ms03_026", "MS03-026: DCOM RemoteActivation with an over-long server name", lat, 1,
             {"T1210"}, {lat}, {"rpc", {{kIActivation, {0}}}}, longServerName, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 32, 0, 300});

        // ---- DCOM / WMI / event log ---------------------------------------------------------------
        // MS-DCOM: ISystemActivator 3 RemoteGetClassObject, 4 RemoteCreateInstance; IActivation 0.
        add({1000050, "dcom_activation", "Remote DCOM object activation", lat, 3, {"T1021.003"}, {lat},
             {"rpc", {{kSysActivator, {3, 4}}, {kIActivation, {0}}}}, notLateralClsid, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 3600, kExemptAdminHosts});
        add({1000051, "dcom_lateral_class", "DCOM activation of a lateral-movement class (MMC20, ShellWindows, Office)",
             lat, 1, {"T1021.003"}, {lat}, {"rpc", {{kSysActivator, {3, 4}}, {kIActivation, {0}}}},
             lateralClsid, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});
        // MS-WMI 3.1.4.1.4 IWbemLevel1Login::NTLMLogin (6); activation of CLSID WbemLevel1Login.
        add({1000052, "wmi_remote_login", "Remote WMI session (WbemLevel1Login)", exe, 2, {"T1047"}, {exe},
             {"rpc", {{kSysActivator, {3, 4}}, {kWbemLogin, {6}}}}, wmiLogin, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 900, kExemptAdminHosts});
        // Attempts: binds no call followed, rejected binds, failed pipe opens (lateralInterfaces()).
        {
            SignatureDef d{1000055, "lateral_interface_attempt",
                           "Attempt on a remote-execution interface (svcctl, task scheduler, DCOM activation, WMI, winreg): bind without a call, rejected bind or failed pipe open",
                           lat, 2, {}, {}, {nullptr}};
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
        add({1000053, "wmi_exec_method", "Remote WMI method execution (IWbemServices::ExecMethod)", exe, 1,
             {"T1047"}, {exe}, {"rpc", {{kWbemServices, {24, 25}}}}, nullptr, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 300, kExemptAdminHosts});
        // MS-EVEN 3.1.4.9 ElfrClearELFW (0), 3.1.4.10 ElfrClearELFA (12); MS-EVEN6 3.1.4.17 EvtRpcClearLog (6).
        add({1000054, "eventlog_clear", "Remote event log clearing", "defense-evasion", 1, {"T1070.001"},
             {"defense-evasion"}, {"rpc", {{kEventlog, {0, 12}}, {kEven6, {6}}}}, nullptr, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 300});

        // ---- Network service discovery (T1046) ----------------------------------------------------
        // C706 ept_lookup (2): rpcdump-style walk of the whole endpoint map (Windows clients
        // resolve one interface with ept_map). Items: endpoints returned.
        enumSig(1000060, "epm_enumeration", "Endpoint mapper enumeration (ept_lookup)", {"T1046"},
                {"rpc", {{kEpm, {2}}}}, 10, 100, 3, 600, "endpoints");
        // C706 mgmt inq_if_ids (0): the interfaces a server offers.
        enumSig(1000061, "mgmt_enumeration", "DCE/RPC mgmt interface listing (inq_if_ids)", {"T1046"},
                {"rpc", {{kMgmt, {0}}}}, 5, 100, 3, 600, "interface ids");
        add({1000062, "interface_bruteforce", "DCE/RPC interface UUID brute force (many distinct interfaces)",
             disc, 2, {"T1046"}, {disc}, {nullptr}, nullptr, Agg::Distinct, GroupBy::SrcDst,
             DistinctOf::InterfaceUuid, 12, 60, 900});  // rpc calls and dcerpc_bind (binds without calls)
        // RFC 1833: PMAPPROC_DUMP / RPCBPROC_DUMP (4): the registered programs and their ports.
        // Items: map entries returned. The name is kept from the sweep-only signature.
        enumSig(1000063, "portmap_dump_sweep", "Portmapper DUMP (registered RPC programs listed)", {"T1046"},
                {"rpc", {}, {{kPortmap, {4}}}}, 10, 200, 3, 900, "map entries");
        // PMAPPROC_GETPORT / RPCBPROC_GETADDR (3).
        add({1000064, "portmap_getport_host_sweep", "Portmapper GETPORT sweep across hosts", disc, 2,
             {"T1046"}, {disc}, {"rpc", {}, {{kPortmap, {3}}}}, nullptr, Agg::Distinct, GroupBy::Src,
             DistinctOf::DestIp, 4, 900, 1800});
        add({1000065, "portmap_getport_program_sweep", "Portmapper GETPORT sweep across many programs", disc,
             2, {"T1046"}, {disc}, {"rpc", {}, {{kPortmap, {3}}}}, nullptr, Agg::Distinct, GroupBy::SrcDst,
             DistinctOf::PortmapProgram, 10, 300, 1800});
        // RPC grinding (nmap version detection, rpcinfo -t/-u on guessed programs): calls for
        // many program numbers answered PROG_UNAVAIL / PROG_MISMATCH (RFC 5531 9).
        add({1000067, "onc_program_probe", "ONC RPC program-number probing (PROG_UNAVAIL/PROG_MISMATCH replies)",
             disc, 2, {"T1046"}, {disc}, {"rpc"}, programProbe, Agg::Distinct, GroupBy::SrcDst,
             DistinctOf::OncProgram, 4, 300, 1800});
        add({1000066, "rpc_port_scan", "RPC calls to many ports of one host", disc, 2, {"T1046"}, {disc},
             {"rpc"}, nullptr, Agg::Distinct, GroupBy::SrcDst, DistinctOf::DestPort, 10, 60, 900});

        // ---- NFS (RFC 1813 / 7530) ----------------------------------------------------------------
        add({1000070, "nfs_root_credential", "NFS AUTH_UNIX uid/gid 0 from a client not allowed root",
             "collection", 2, {"T1039"}, {"collection"},
             {"rpc", {}, {{kNfs, {}}, {kMountd, {}}, {kNlm, {}}, {kNfsAcl, {}}}}, rootCred, Agg::None,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 3600, kExemptNfsRootClients});
        add({1000071, "nfs_uid_hopping", "NFS AUTH_UNIX uid hopping (many uids from one client)",
             "collection", 2, {"T1039"}, {"collection", "defense-evasion"},
             {"rpc", {}, {{kNfs, {}}, {kMountd, {}}, {kNlm, {}}, {kNfsAcl, {}}}}, hasAuthUnixUid,
             Agg::Distinct, GroupBy::Src, DistinctOf::CredUid, 5, 300, 1800});
        add({1000072, "nfs_sensitive_file", "NFS access to a sensitive file name (keys, shadow, keytab)",
             cred, 2, {"T1552.001", "T1552.004", "T1039"}, {cred, "collection"},
             {"rpc", {}, {{kNfs, {}}, {kMountd, {}}}}, sensitiveFile, Agg::None, GroupBy::SrcDst,
             DistinctOf::None, 0, 0, 900});

        // ---- Authentication hygiene -----------------------------------------------------------------
        add({1000080, "null_session", "Unauthenticated (null session) call to a sensitive interface", disc, 2,
             {"T1087.002"}, {disc},
             {"rpc", {{kSamr, {}}, {kLsarpc, {}}, {kSrvsvc, {}}, {kWkssvc, {}}, {kWinreg, {}},
                      {kSvcctl, {}}, {kAtsvc, {}}, {kTsch, {}}, {kDrsuapi, {}}, {kSpoolss, {}}}},
             unauthenticated, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 900});
        add({1000081, "null_session_pipe", "Null SMB session opened a sensitive named pipe", disc, 2,
             {"T1087.002"}, {disc},
             {"smb_pipe", {}, {}, {"samr", "lsarpc", "lsass", "srvsvc", "wkssvc", "winreg", "svcctl",
                                   "atsvc", "netlogon", "spoolss", "drsuapi"}},
             anonymousPipe, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 900});
        add({1000082, "sensitive_call_without_privacy",
             "Sensitive DCE/RPC call without packet privacy (readable on the wire)", cred, 3, {"T1040"},
             {cred},
             {"rpc", {{kDrsuapi, {3}}, {kWinreg, {20, 22, 31}}, {kSvcctl, {12, 24, 44, 45}},
                      {kSamr, {37, 38, 55, 58}}, {kLsarpc, {30, 43}}}},
             noPrivacy, Agg::None, GroupBy::SrcDst, DistinctOf::None, 0, 0, 3600});
        add({1000083, "auth_failure_burst", "Burst of authentication failures / access denied replies", cred,
             2, {"T1110"}, {cred}, {nullptr}, authFailure, Agg::Count, GroupBy::Src, DistinctOf::None, 10,
             60, 600});
        add({1000084, "onc_replay", "ONC RPC call replayed (same XID, credentials and arguments)",
             "defense-evasion", 2, {"T1550"}, {"defense-evasion", lat}, {"rpc"}, nullptr, Agg::Replay,
             GroupBy::SrcDst, DistinctOf::None, 0, 0, 600});
        add({1000085, "call_flood", "RPC call-rate flood from one source", "impact", 2, {"T1499.002"},
             {"impact"}, {"rpc"}, nullptr, Agg::Count, GroupBy::Src, DistinctOf::None, 5000, 10, 300});
        add({1000086, "connection_flood", "RPC connection-rate flood from one source", "impact", 2,
             {"T1499.002"}, {"impact"}, {nullptr}, nullptr, Agg::Distinct, GroupBy::Src,
             DistinctOf::FlowId, 300, 10, 300});
        std::sort(t.begin(), t.end(), [](auto& a, auto& b) { return a.sid < b.sid; });
        return t;
    }();
    return table;
}

}  // namespace rpcmon::detect
