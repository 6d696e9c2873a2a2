// SPDX-License-Identifier: Apache-2.0
// Program-specific arguments and results (portmap/rpcbind, MOUNT, NFSv2/v3/v4.x, NLM, NSM)
// decoded into the record's protocol objects (SCHEMA.md: `nfs`, `mount`, `portmap`, `nlm`,
// `nsm`). Pure functions: no flow state; endpoints learned from portmapper replies are
// returned for the caller to report.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/arg_list.h"
#include "output/record.h"
#include "protocols/onc/types.h"
#include "stream/consumer.h"

namespace rpcmon::onc {

// NFSv4 COMPOUND: more operations than this are not decoded (Linux nfsd limits a compound
// to 200 operations, NFSD_MAX_OPS_PER_COMPOUND; the rest is counted, not walked).
inline constexpr uint32_t kMaxCompoundOps = 256;
// List replies (portmap DUMP, MOUNT EXPORT/DUMP): at most this many entries are reported.
inline constexpr size_t kMaxReportedEntries = 256;

// What a reply decoder needs from its call (the reply alone does not say which program,
// protocol or netid a GETPORT/GETADDR answer is for).
struct CallMemo {
    uint32_t pm_program = 0;
    uint32_t pm_version = 0;
    uint8_t pm_l4proto = 0;  // IPPROTO_TCP/UDP from GETPORT protocol or GETADDR netid
    bool pm_ipv6 = false;    // GETADDR netid tcp6/udp6
};

struct CallBody {
    ArgList fields;  // {"nfs": {...}} etc.; empty when nothing was decoded
    CallMemo memo;
};

struct ReplyBody {
    ArgList fields;
    std::vector<LearnedEndpoint> endpoints;  // `expires` left 0 for the caller to set
};

// Decodes the arguments of `call` (`args` = bytes after the call header). `complete` is false
// when `args` is only a prefix of the record (large WRITE) or of a truncated datagram: running
// out of bytes is then expected and not counted.
CallBody decodeCallBody(const CallHeader& call, Bytes args, bool complete,
                        AnomalyCounter& anomalies);

// Decodes the results of an accepted, successful reply to `call`. `server` is the address of
// the replying server, used for endpoints whose universal address is unspecified.
ReplyBody decodeReplyBody(const CallHeader& call, const CallMemo& memo, Bytes results,
                          bool complete, const Address& server, AnomalyCounter& anomalies);

// RFC 1833 §2.2 / RFC 5665 §5.2.3 universal address "h1.h2.h3.h4.p1.p2" or "x:...:x.p1.p2".
bool parseUaddr(std::string_view uaddr, Address& addr, uint16_t& port);

// Netid ("tcp", "udp6", ...) → IPPROTO_TCP / IPPROTO_UDP, 0 for anything else.
uint8_t netidToL4(std::string_view netid);

// Adds each protocol object of `fields` into `record`, merging with an existing object of
// the same name (call arguments and reply results share `nfs`, `portmap`, ...).
void mergeFields(ArgList& record, const ArgList& fields);

// Bytes as text when every byte is printable ASCII, else lowercase hex.
std::string printableOrHex(Bytes b);

}  // namespace rpcmon::onc
