// SPDX-License-Identifier: Apache-2.0
// Pure ONC RPC parsing: record marking (RFC 5531 §11), call/reply headers (RFC 5531 §9) and
// resynchronisation after a gap. No state beyond RecordAssembler's fragment bookkeeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/byte_reader.h"
#include "protocols/onc/types.h"

namespace rpcmon::onc {

// RFC 5531 §8.2: "opaque body<400>" — both credential and verifier bodies.
inline constexpr uint32_t kMaxAuthBody = 400;
// RFC 5531 App. A: "string machinename<255>".
inline constexpr uint32_t kMaxMachineName = 255;
// RFC 5531 App. A: "unsigned int gids<16>".
inline constexpr uint32_t kMaxGids = 16;
// RFC 2203 §5: the GSS context handle is an opaque inside the 400-byte credential.
inline constexpr uint32_t kMaxGssHandle = kMaxAuthBody;
// RFC 5531 §9: rpcvers "MUST be equal to 2".
inline constexpr uint32_t kRpcVersion = 2;

// Record marking limits. Linux caps NFS I/O at 1 MiB (RPCSVC_MAXPAYLOAD; 4 MiB in the newest
// kernels); 16 MiB per fragment leaves room for other servers while rejecting garbage marks
// such as 0x7FFFFFFF that a desynchronised stream produces.
inline constexpr uint32_t kMaxFragmentBytes = 16u << 20;
// A record (all fragments) larger than this is treated as a desynchronised stream.
inline constexpr uint64_t kMaxRecordWireBytes = 64ull << 20;
// Bytes of a record that are kept for parsing: headers plus the start of the arguments. The
// tail of a larger record (NFS WRITE data) is counted and skipped, never stored.
inline constexpr size_t kMaxKeptRecordBytes = 1u << 20;
// Smallest possible call: xid, msg_type, rpcvers, prog, vers, proc, cred (flavor+len),
// verifier (flavor+len) = 10 words. Smallest reply (accepted, AUTH_NONE verifier) = 6 words.
inline constexpr size_t kMinCallBytes = 40;
inline constexpr size_t kMinReplyBytes = 24;

struct ParseResult {
    ParseState state = ParseState::Success;
    const char* anomaly = nullptr;  // counter name when state == Invalid
};

// Parses an rpc_msg header (call or reply) at the start of `msg`. NeedsMoreData when `msg`
// ends inside the header; Invalid (with an anomaly name) when a field is impossible.
ParseResult parseMessage(Bytes msg, Message& out);

// Quick plausibility tests on the first bytes of a message (no record mark), used to
// resynchronise and to recognise ONC traffic. A call needs msg_type 0, rpcvers 2, a known or
// plausible program and a credential flavor/length that parse; a reply needs a pending xid.
bool plausibleCall(Bytes msg);
bool plausibleReply(Bytes msg, const std::function<bool(uint32_t xid)>& xid_pending);

// The first `want` payload bytes of the record whose mark starts `data`, gathered across its
// fragments however small they are (RFC 5531 §11 lets a sender cut a record anywhere, down to
// one byte per fragment). At most kMaxPrefixMarks marks are walked.
inline constexpr size_t kMaxPrefixMarks = 64;
enum class Gather {
    Done,      // `out` holds `want` bytes, or the whole (shorter) record
    NeedMore,  // `data` ends first
    Bad,       // a fragment longer than kMaxFragmentBytes, or more marks than the bound
};
struct RecordPrefix {
    std::vector<uint8_t> bytes;
    uint32_t first_len = 0;   // length of the first fragment
    bool first_last = false;  // the first fragment is the whole record
    bool complete = false;    // the record ended within `bytes`
};
Gather gatherRecordPrefix(Bytes data, size_t want, RecordPrefix& out);

struct Boundary {
    bool found = false;
    size_t offset = 0;  // found: where the record mark starts; else: bytes safe to discard
};

// Scans `data` (a TCP byte stream at an arbitrary offset) for a record mark followed by a
// plausible call header or a reply whose xid is pending.
Boundary findRecordBoundary(Bytes data, const std::function<bool(uint32_t xid)>& xid_pending);

// One complete record: its first bytes (up to the kept limit) and its full size on the wire.
struct Record {
    std::vector<uint8_t> bytes;
    uint64_t wire_size = 0;
    bool prefix_only() const { return wire_size > bytes.size(); }
};

// Reassembles RFC 5531 §11 record-marked fragments from one direction of a TCP stream.
class RecordAssembler {
public:
    explicit RecordAssembler(size_t max_kept = kMaxKeptRecordBytes) : max_kept_(max_kept) {}

    struct FeedResult {
        size_t consumed = 0;             // bytes of `data` used; the rest is presented again
        const char* anomaly = nullptr;   // set when the stream is not record-marked ONC RPC
    };
    // Consumes as much of `data` as possible, appending completed records to `out`. A partial
    // record mark (< 4 bytes) is left unconsumed. On an anomaly the assembler resets itself and
    // `consumed` points just past the offending bytes' start; the caller resynchronises.
    FeedResult feed(Bytes data, std::vector<Record>& out);

    void reset();
    bool idle() const { return !in_record_; }

    // `bytes` of the stream were lost (capture loss, snap length). If they fall inside the
    // current fragment's payload the framing survives: the hole is skipped, nothing after it is
    // kept for this record (its bytes would not be contiguous with the kept prefix), and a
    // record the gap completes is appended to `out` as a prefix. Returns false when framing is
    // lost (the gap reaches past the fragment, or no fragment is open): resynchronise.
    bool skipGap(uint64_t bytes, std::vector<Record>& out);
    // Hands over the record being assembled, if any bytes of it are kept (end of flow, or a
    // gap that loses framing), and resets. The record is a prefix (wire_size > bytes).
    bool takePartial(Record& out);

private:
    size_t max_kept_;
    bool in_record_ = false;      // a record mark has been read for the current record
    bool frag_last_ = false;
    uint64_t frag_remaining_ = 0; // payload bytes still to come in the current fragment
    bool frag_open_ = false;      // inside a fragment's payload
    bool checked_ = false;        // msg_type of the current record has been checked
    bool holed_ = false;          // a gap hit the current record: keep nothing more of it
    Record cur_;
};

}  // namespace rpcmon::onc
