// SPDX-License-Identifier: Apache-2.0
// Pure parsing of connection-oriented DCE/RPC PDUs (C706 12.6, [MS-RPCE] 2.2.2): zero-copy
// views over one PDU's bytes. No state, no allocation driven by wire lengths beyond the named
// limits below. Matching and output live in connection.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/types.h"

namespace rpcmon::dcerpc {

// C706 12.6.1: every CO PDU starts with a 16-byte common header.
constexpr size_t kCommonHeaderSize = 16;
// frag_length is a u16, so 65535 is also the largest fragment; Windows negotiates max_xmit_frag
// up to 5840 (TCP) / 4280 (SMB) but the spec allows any value up to 65535, so accept all.
constexpr size_t kMaxFragLen = 65535;
// Size of sec_trailer ([MS-RPCE] 2.2.2.11): auth_type, auth_level, pad, reserved, context id.
constexpr size_t kSecTrailerSize = 8;
// Bind p_cont_list_t: n_context_elem is a u8 (max 255). Real clients propose 1-3; we parse at
// most this many and report the PDU malformed beyond (a bind with more is not from Windows).
constexpr size_t kMaxContextItems = 64;
// Transfer syntaxes per context item: Windows proposes one per item; allow a few.
constexpr size_t kMaxTransferSyntaxes = 8;
// Secondary address in bind_ack ([MS-RPCE] 2.2.2.4 port_any_t): a port string, e.g. "\\PIPE\\lsass"
// or "49155". Longer is not a port or pipe name.
constexpr size_t kMaxSecondaryAddr = 256;
// Request fragments reassembled per call: 1 MiB / 16 bytes of body per fragment is the
// pathological case; real calls use < 300 fragments of ~5 KiB. Beyond → dcerpc.reassembly_limit.
constexpr size_t kMaxFragmentsPerCall = 1024;
// Stub bytes reassembled per call: argument decoders need the front of the stub and the status
// needs the end; 1 MiB covers every call we decode (task XML, driver paths, EPM replies).
constexpr size_t kMaxStubBytes = 1u << 20;

struct CommonHeader {
    uint8_t rpc_vers = 0;
    uint8_t rpc_vers_minor = 0;
    uint8_t ptype = 0;
    uint8_t pfc_flags = 0;
    uint8_t drep[4]{};
    uint16_t frag_length = 0;
    uint16_t auth_length = 0;
    uint32_t call_id = 0;
    bool littleEndian() const { return (drep[0] & 0xf0) == DREP_LITTLE_ENDIAN; }
    bool first() const { return pfc_flags & PFC_FIRST_FRAG; }
    bool last() const { return pfc_flags & PFC_LAST_FRAG; }
};

// Why a header was rejected (the anomaly counter name to bump).
enum class HeaderError { None, BadVersion, FragLenInvalid, AuthLenInvalid, BadPtype };
std::optional<DcerpcAnomaly> headerAnomaly(HeaderError e);  // none for HeaderError::None
const char* anomalyName(HeaderError e);  // "dcerpc.bad_version", ...; nullptr for None

// Parses the common header at the front of `data`. NeedsMoreData if fewer than 16 bytes;
// Invalid (with `err`) if the version is not 5.0/5.1, frag_length < 16, the auth verifier does
// not fit inside the fragment, or the PDU type is not connection-oriented.
ParseState parseCommonHeader(Bytes data, CommonHeader& hdr, HeaderError* err = nullptr);

// sec_trailer + auth_value ([MS-RPCE] 2.2.2.11, C706 13.2.6.1).
struct AuthVerifier {
    uint8_t auth_type = 0;
    uint8_t auth_level = 0;
    uint8_t auth_pad_length = 0;
    uint32_t auth_context_id = 0;
    Bytes token;
};

// One framed PDU: header, body between header and (padding +) verifier, and the verifier.
struct Pdu {
    CommonHeader hdr;
    Bytes body;   // PDU-type specific fields + stub, auth padding removed
    std::optional<AuthVerifier> auth;
};

// Frames the PDU at the front of `data`. NeedsMoreData until frag_length bytes are present.
// `data` may hold more than one PDU; only the first is parsed.
ParseState parsePdu(Bytes data, Pdu& pdu, HeaderError* err = nullptr);

// Offset of the first plausible CO PDU header in `data` (used to resynchronise after a gap),
// or std::nullopt. A header is plausible when version, ptype, drep, frag_length and
// auth_length pass parseCommonHeader's checks.
std::optional<size_t> findPduBoundary(Bytes data);

struct SyntaxId {
    Uuid uuid;
    uint16_t ver_major = 0;
    uint16_t ver_minor = 0;
};

struct ContextItem {
    uint16_t context_id = 0;
    SyntaxId abstract;
    std::vector<SyntaxId> transfer;
};

// bind / alter_context (C706 12.6.4.3 / 12.6.4.1).
struct BindBody {
    uint16_t max_xmit_frag = 0, max_recv_frag = 0;
    uint32_t assoc_group_id = 0;
    std::vector<ContextItem> items;
};
ParseState parseBind(const Pdu& pdu, BindBody& out);

struct ContextResultItem {
    uint16_t result = 0;   // ContextResult
    uint16_t reason = 0;   // provider reason (or bind time feature bits for negotiate_ack)
    SyntaxId transfer;
};

// bind_ack / alter_context_resp (C706 12.6.4.4 / 12.6.4.2).
struct BindAckBody {
    uint16_t max_xmit_frag = 0, max_recv_frag = 0;
    uint32_t assoc_group_id = 0;
    std::string secondary_addr;  // "49155" or "\\PIPE\\lsass"; empty in alter_context_resp
    std::vector<ContextResultItem> results;
};
ParseState parseBindAck(const Pdu& pdu, BindAckBody& out);

// bind_nak (C706 12.6.4.5): provider_reject_reason.
ParseState parseBindNak(const Pdu& pdu, uint16_t& reason);

// request (C706 12.6.4.9).
struct RequestBody {
    uint32_t alloc_hint = 0;
    uint16_t context_id = 0;
    uint16_t opnum = 0;
    std::optional<Uuid> object;
    Bytes stub;
};
ParseState parseRequest(const Pdu& pdu, RequestBody& out);

// response (C706 12.6.4.10) and fault (12.6.4.7).
struct ResponseBody {
    uint32_t alloc_hint = 0;
    uint16_t context_id = 0;
    uint8_t cancel_count = 0;
    uint32_t status = 0;  // fault only
    Bytes stub;           // response only
};
ParseState parseResponse(const Pdu& pdu, ResponseBody& out);
ParseState parseFault(const Pdu& pdu, ResponseBody& out);

// NTLMSSP message inside an auth verifier ([MS-NLMP] 2.2.1); SPNEGO-wrapped tokens are
// searched for the "NTLMSSP\0" signature.
struct NtlmMessage {
    uint32_t type = 0;  // 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE
    std::string user, domain, workstation;  // AUTHENTICATE only
};
// Invalid when no NTLMSSP signature; Success with type set otherwise (fields best effort).
ParseState parseNtlmssp(Bytes token, NtlmMessage& out);

// ---- Connectionless (datagram) DCE/RPC v4, C706 chapter 12.5 ----

// C706 12.5.1: every CL PDU starts with an 80-byte header; the body follows (len bytes).
constexpr size_t kClHeaderSize = 80;
// C706 12.5.3.2 flags1.
constexpr uint8_t CL_FLAG_LASTFRAG = 0x02;
constexpr uint8_t CL_FLAG_FRAG = 0x04;
constexpr uint8_t CL_FLAG_NOFACK = 0x08;
constexpr uint8_t CL_FLAG_MAYBE = 0x10;
constexpr uint8_t CL_FLAG_IDEMPOTENT = 0x20;
constexpr uint8_t CL_FLAG_BROADCAST = 0x40;

struct ClHeader {
    uint8_t rpc_vers = 0;
    uint8_t ptype = 0;
    uint8_t flags1 = 0, flags2 = 0;
    uint8_t drep[3]{};
    Uuid object, if_id, activity;
    uint32_t server_boot = 0;
    uint16_t if_ver_major = 0, if_ver_minor = 0;
    uint32_t seqnum = 0;
    uint16_t opnum = 0;
    uint16_t ihint = 0, ahint = 0;
    uint16_t len = 0;
    uint16_t fragnum = 0;
    uint8_t auth_proto = 0;
    bool littleEndian() const { return (drep[0] & 0xf0) == DREP_LITTLE_ENDIAN; }
    // A PDU is the last fragment when it is not fragmented at all or carries LASTFRAG.
    bool lastFragment() const { return !(flags1 & CL_FLAG_FRAG) || (flags1 & CL_FLAG_LASTFRAG); }
};

// Parses one datagram. NeedsMoreData never applies (datagrams are whole); Invalid when shorter
// than the header, version != 4, ptype > 10, or len exceeds the datagram.
ParseState parseClPdu(Bytes datagram, ClHeader& hdr, Bytes& body);

}  // namespace rpcmon::dcerpc
