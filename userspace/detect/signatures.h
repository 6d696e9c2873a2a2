// SPDX-License-Identifier: Apache-2.0
// Built-in signatures: one data table (signatures.cc) keyed on (interface UUID, opnum set) or
// (ONC program, procedure set), never on operation names, plus optional predicates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <unordered_set>

#include "detect/util.h"
#include "output/record.h"

namespace rpcmon::detect {

// What a predicate may read besides the event: tunables and state the detector keeps.
struct SigContext {
    uint32_t threshold = 0;                            // the signature's configured threshold
    const std::vector<std::string>* sensitive_files = nullptr;  // lower-case base names
    const std::unordered_set<uint64_t>* anonymous_flows = nullptr;  // flow_ids of null SMB sessions
};

// A DCE/RPC interface with the opnums that select a record (empty = every opnum).
struct DceOps {
    const char* uuid;
    std::vector<int> opnums;
};
// An ONC RPC program with the procedures that select a record (empty = every procedure).
struct OncOps {
    uint32_t program;
    std::vector<int> procedures;
};

// Which records a signature looks at. Empty dce and onc and pipes = every record of event_type.
struct Selector {
    const char* event_type = "rpc";  // "rpc", "smb_pipe", "smb_session"; nullptr = every type
    std::vector<DceOps> dce;
    std::vector<OncOps> onc;
    std::vector<const char*> pipes;  // smb_pipe: smb.pipe in this list (case-insensitive)
};

enum class Agg : uint8_t {
    None,      // every matching record is a hit
    Count,     // hit when `threshold` matching records fall within `window` seconds
    Distinct,  // hit when `threshold` distinct values of `distinct` fall within `window`
    Replay,    // ONC replay detector (stateful, detector.cc)
    // Enumeration class: the first matching call per (src, dst) in the suppression window is a
    // finding at `severity`; volume (items returned or looked up, calls) per (src, dst) or
    // breadth (distinct servers per src) within `window_s` raises it to `escalate_to`.
    Enumeration,
    // Attempts on execution / lateral-movement interfaces (lateralInterfaces()): binds and
    // alter_contexts no call followed, rejected contexts, failed named-pipe opens. Technique and
    // severity come from the interface.
    Attempt,
};
enum class GroupBy : uint8_t { Src, SrcDst };
enum class DistinctOf : uint8_t {
    None, DestIp, DestPort, InterfaceUuid, PortmapProgram, CredUid, FlowId, OncProgram
};

// Exemption lists a signature honours: a source inside one of them never fires it.
enum Exempt : uint8_t {
    kExemptNone = 0,
    kExemptAdminHosts = 1,
    kExemptDomainControllers = 2,
    kExemptNfsRootClients = 4,
};

// Reads the typed event (decoded arguments: ev.dce()->args, ev.onc()->fields). Records that
// stay JSON (dcerpc_bind) fail every predicate: no predicate-bearing signature selects them.
using Predicate = bool (*)(const Event& ev, const SigContext& ctx);

struct SignatureDef {
    uint32_t sid;
    const char* name;  // config key under `signatures:`
    const char* message;
    const char* category;
    int severity;  // 1 high .. 3 low
    std::vector<const char*> techniques;
    std::vector<const char*> tactics;
    Selector sel;
    Predicate pred = nullptr;
    Agg agg = Agg::None;
    GroupBy group = GroupBy::SrcDst;
    DistinctOf distinct = DistinctOf::None;
    uint32_t threshold = 0;  // Count/Distinct: hits needed; ms03_026: max server-name length
    uint32_t window_s = 0;
    uint32_t suppress_s = 300;  // alerts for (sid, src, dst) within this window are counted, not emitted
    uint8_t exempt = kExemptNone;
    // Agg::Enumeration: `threshold` is the call count; these are the other two escalations
    // (0 = off) and what an item is, for alert.reason.
    uint32_t items = 0;
    uint32_t servers = 0;
    int escalate_to = 2;
    const char* item_noun = "items";
};

// An execution / lateral-movement interface: a bind to it that no call follows, a rejected
// bind, or a failed open of its pipe is an attempt (sid 1000055), reported with the technique
// and severity the interface's calls carry.
struct LateralInterface {
    const char* uuid;   // lower case
    const char* pipe;   // named pipe that carries it (lower case), or nullptr
    const char* label;  // for alert.reason
    std::vector<const char*> techniques;
    std::vector<const char*> tactics;
    int severity;
};
const std::vector<LateralInterface>& lateralInterfaces();

// Items a call returned or worked on, when the event carries the count: LSA lookups
// (rpc.args.sid_count / name_count), ept_lookup endpoints (epm.endpoints), portmapper DUMP
// entries (portmap.entries), and rpc.args.entries_read / epm.num_ents / portmap.entry_count
// where a dissector provides them (see README "Item counts").
// nullopt = not decoded (the caller counts the call instead).
std::optional<uint64_t> recordItems(const Event& ev);

// "succeeded" / "failed" / "attempt" from the event's reply (alert.metadata.outcome);
// nullopt when the event does not say (e.g. a response whose last word is not a status).
std::optional<std::string> recordOutcome(const Event& ev);
// The same for records that stay JSON (dcerpc_bind: "attempt", or "failed" when refused).
std::optional<std::string> jsonRecordOutcome(const Json& rec);

// One line in words: what the event is (operation, interface, pipe), who called whom, when,
// and the reply.
std::string describeRecord(const Event& ev);
// The same for records that stay JSON (dcerpc_bind).
std::string describeJsonRecord(const Json& rec);

// The trigger column of `rpcmon signatures` and the README table.
std::string triggerText(const SignatureDef& d);

// The built-in table, sorted by sid.
const std::vector<SignatureDef>& builtinSignatures();

// Baseline anomaly sids (kind "anomaly"); see baseline.h.
inline constexpr uint32_t kSidNewClientOp = 1100001;
inline constexpr uint32_t kSidNewServerOp = 1100002;
inline constexpr uint32_t kSidNewServerPeer = 1100003;
inline constexpr uint32_t kSidNewClientPipe = 1100004;
inline constexpr uint32_t kSidRateDeviation = 1100005;
inline constexpr uint32_t kSidErrorRatioDeviation = 1100006;

// True when the event's reply says the caller was refused (access denied, logon failure,
// wrong password, RPC auth error, SMB logon failure).
bool isAuthFailure(const Event& ev);

}  // namespace rpcmon::detect
