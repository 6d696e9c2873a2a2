// SPDX-License-Identifier: Apache-2.0
// Portmapper v2 / rpcbind v3, v4 (RFC 1833): which program a client looks up and the
// endpoints replies announce, which the caller learns so later traffic to them is recognised.
#include "protocols/onc/body_decoders.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "protocols/onc/programs.h"

namespace rpcmon::onc {
namespace {

// ---- Portmapper v2 / rpcbind v3, v4 (RFC 1833) ----
const char* protoName(uint32_t p) {
    return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : nullptr;
}

void putProgram(ArgList& pm, uint32_t prog, uint32_t vers) {
    pm["program"] = prog;
    if (const char* n = programName(prog)) pm["program_name"] = n;
    pm["version"] = vers;
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

}  // namespace

void decodePortmapCall(const CallHeader& call, Xdr& x, ArgList& pm, CallMemo& memo) {
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

void decodePortmapReply(const CallHeader& call, const CallMemo& memo, Xdr& x, ArgList& pm,
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
        ArgValue::List entries;
        while (x.ok() && x.boolean()) {
            uint32_t prog = x.u32(), vers = x.u32(), prot = x.u32(), port = x.u32();
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries) {
                ArgList e;
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
        ArgValue::List entries;
        while (x.ok() && x.boolean()) {
            uint32_t prog = x.u32(), vers = x.u32();
            std::string netid = x.str(kMaxNetid), uaddr = x.str(kMaxUaddr),
                        owner = x.str(kMaxOwner);
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries) {
                ArgList e;
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
        ArgValue::List entries;
        while (x.ok() && x.boolean()) {
            std::string maddr = x.str(kMaxUaddr), netid = x.str(kMaxNetid);
            x.u32();                                     // r_nc_semantics
            x.str(kMaxNetid);                            // r_nc_protofmly
            x.str(kMaxNetid);                            // r_nc_proto
            if (!x.ok()) break;
            if (entries.size() < kMaxReportedEntries)
                entries.push_back(ArgList{{"netid", netid}, {"uaddr", maddr}});
            learnUaddr(maddr, netidToL4(netid), memo.pm_program, server, out);
        }
        pm["entries"] = std::move(entries);
    }
}

}  // namespace rpcmon::onc
