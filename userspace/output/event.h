// SPDX-License-Identifier: Apache-2.0
// The typed records of the hot path: one rpc call (ONC or DCE/RPC), an SMB session or an SMB
// named-pipe open. Protocol layers fill them, the detector, baselines and `rpcmon top` read
// their fields, and the EVE writer turns them into JSON bytes once, on the way out
// (writeEvent). Names are resolved by the protocol layer when the event is made, so the
// writer needs no protocol table. Decoded arguments are small typed key/value lists
// (output/arg_list.h: rpc.args, rpc.dcom, epm, and the ONC programs' nfs/mount/portmap/...
// objects): they differ per operation and are read by few rules.
// Key order and omission rules are SCHEMA.md's; writeEvent reproduces them exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.h"
#include "output/arg_list.h"
#include "core/types.h"

namespace rpcmon {

class JsonWriter;

enum class EventType : uint8_t { Rpc, SmbSession, SmbPipe };
inline constexpr size_t kEventTypeCount = 3;
// "rpc", "smb_session", "smb_pipe".
const char* eventTypeName(EventType t);

// RFC 5531 opaque_auth credential, names resolved ("AUTH_SYS", "RPCSEC_GSS" or the number).
struct OncCredential {
    std::string flavor;
    bool has_sys = false;  // AUTH_SYS body
    std::string machine_name;
    uint32_t uid = 0, gid = 0, stamp = 0;
    std::vector<uint32_t> gids;
    bool has_gss = false;  // RPCSEC_GSS body
    uint32_t gss_version = 0, gss_seq = 0;
    std::string gss_procedure, gss_service;
};

// rpc.reply of an ONC call (RFC 5531 reply_body).
struct OncReply {
    bool accepted = false;
    std::string accept_status;  // accepted: "success", "PROG_UNAVAIL", ...
    std::string reject_status;  // denied: "RPC_MISMATCH", "AUTH_ERROR"
    std::string auth_status;    // denied with AUTH_ERROR
    bool has_mismatch = false;
    uint32_t mismatch_low = 0, mismatch_high = 0;
};

struct OncCall {
    uint32_t xid = 0, program = 0, version = 0, procedure = 0;
    const char* program_name = nullptr;    // static table entry; nullptr when unknown
    const char* procedure_name = nullptr;
    OncCredential cred;
    std::string verifier_flavor;
    uint32_t retransmissions = 0;
    bool callback = false;  // sent by the server side of the flow
    std::optional<OncReply> reply;
    // Program-specific objects (portmap, mount, nfs, nlm, nsm, ...), written after `rpc`.
    ArgList fields;
};

// rpc.auth of a DCE/RPC call (level empty: not known, omitted - connectionless calls).
struct DceAuth {
    std::string type = "none", level = "none";
    std::string user, domain, workstation;
};

struct DceInterface {
    Uuid uuid;
    std::string_view name;  // static table entry; empty when unknown
    uint16_t ver_major = 0, ver_minor = 0;
};

// rpc.reply of a DCE/RPC call: "response", "fault", "reject", ... and its status word.
struct DceReply {
    const char* packet_type = "response";
    std::optional<uint32_t> status;
};

// One presentation context of a bind / alter_context (C706 12.6.3.1 p_cont_elem_t) and the
// server's answer to it, as rpc.bind reports it.
struct DceBindContext {
    uint16_t context_id = 0;
    Uuid uuid;                   // abstract syntax
    std::string_view name;       // static table entry; empty when unknown
    uint16_t ver_major = 0, ver_minor = 0;
    std::string_view result;     // "acceptance", ..., "no_response"; empty: the bind_ack gave none
};

// One bind, alter_context or bind_nak exchange (C706 12.6.4.3-12.6.4.5) reported in rpc.bind
// (the connection-oriented binds before a call) or a dcerpc_bind record (binds no call followed).
struct DceBind {
    std::string_view packet_type = "bind";  // "bind", "alter_context", "bind_nak"
    uint32_t call_id = 0;
    std::string secondary_addr;             // the bind_ack's port spec, when not empty
    std::vector<DceBindContext> contexts;   // written unless this is a bind_nak
    std::string_view reason;                // bind_nak: the reject reason (then no contexts)
    bool nak() const { return !reason.empty(); }
};

struct DceCall {
    uint32_t call_id = 0;                // CO call_id; CL sequence number
    std::optional<Uuid> activity;        // CL activity id
    std::optional<DceInterface> iface;   // abstract syntax, when known
    bool context_rejected = false;
    std::optional<uint16_t> context_id;  // reported when the interface is unknown
    uint16_t opnum = 0;
    std::string_view operation;          // static table entry; empty when unknown
    DceAuth auth;
    std::string named_pipe;
    std::optional<Uuid> object;
    std::optional<DceReply> reply;
    bool truncated = false;
    ArgList args;                 // rpc.args
    ArgList dcom;                 // rpc.dcom
    std::vector<DceBind> bind;    // rpc.bind (connection-oriented: the binds before this call)
    ArgList epm;                  // epm (top level)
};

// The `smb` object: the session's identity, and what a session or pipe-open record adds.
struct SmbInfo {
    std::string user, domain, host, share, dialect;
    std::optional<uint64_t> session_id;
    std::string pipe;                 // smb_pipe
    const char* auth = nullptr;       // smb_session: "ntlmssp", "kerberos", "ntlm", "anonymous"
    std::optional<bool> encrypted;    // smb_session
    std::string status;               // smb_session / smb_pipe: NTSTATUS name
    bool guest = false;
    std::string krb_realm, krb_sname;
    bool empty() const;
};

// The process that owns the socket (host hooks).
struct ProcessInfo {
    uint32_t pid = 0, uid = 0;
    std::string name;
};

struct Event {
    EventType type = EventType::Rpc;
    TimeNs ts = 0;
    uint64_t flow_id = 0;
    FlowKey key;                        // client = src, server = dest
    bool ips_known = true, ports_known = true;  // false: omitted (host pipes without addresses)
    bool host_vantage = false;          // rpc.vantage "host": seen on a local socket
    std::variant<std::monostate, OncCall, DceCall> rpc;  // type Rpc
    SmbInfo smb;                        // written when not empty
    std::optional<ProcessInfo> process;
    // rpc.latency_us: set when the reply was seen at or after the call.
    std::optional<uint64_t> latency_us;

    const OncCall* onc() const { return std::get_if<OncCall>(&rpc); }
    const DceCall* dce() const { return std::get_if<DceCall>(&rpc); }
    OncCall* onc() { return std::get_if<OncCall>(&rpc); }
    DceCall* dce() { return std::get_if<DceCall>(&rpc); }
};

// The common header of every flow-bound event.
Event makeEvent(const FlowContext& flow, TimeNs ts, EventType type);

// Writes the event as one EVE JSON object (no newline).
void writeEvent(JsonWriter& w, const Event& ev);
// The event as a JSON tree (edges that still want one: tests, `rpcmon top`'s snapshot).
Json toJson(const Event& ev);
// The `smb` object alone (JSON records that carry it: dcerpc_bind).
Json toJson(const SmbInfo& smb);
// An rpc.bind array (dcerpc_bind records, which stay JSON).
void writeBinds(JsonWriter& w, const std::vector<DceBind>& binds);
Json toJson(const std::vector<DceBind>& binds);
// Reads an rpc.bind array back; false when it is not an array of bind objects or an entry is
// mistyped (a context without a valid uuid).
bool bindsFromJson(const Json& j, std::vector<DceBind>& out);
// Reads an EVE rpc / smb_session / smb_pipe record back into an event (detector replay of
// EVE files, tests). nullopt for other records, without event_type, timestamp or rpc.family,
// or with a mistyped key; other missing keys take their defaults.
std::optional<Event> eventFromJson(const Json& rec);

}  // namespace rpcmon
