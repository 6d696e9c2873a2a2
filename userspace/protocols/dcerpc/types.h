// SPDX-License-Identifier: Apache-2.0
// DCE/RPC wire constants: PDU types, flags, authentication types and levels, result codes.
// Sources: The Open Group C706 "DCE 1.1: Remote Procedure Call" chapter 12 (connection-oriented
// PDUs, 12.6) and [MS-RPCE] 2.2 (Microsoft extensions: auth types, sec_trailer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/types.h"

namespace rpcmon::dcerpc {

// C706 12.6.4 / 12.5 (connectionless types share the numbering space; CO uses 0,2,3,11-20).
enum class PduType : uint8_t {
    Request = 0,             // CO + CL
    Ping = 1,                // CL
    Response = 2,            // CO + CL
    Fault = 3,               // CO + CL
    Working = 4,             // CL
    Nocall = 5,              // CL
    Reject = 6,              // CL
    Ack = 7,                 // CL
    ClCancel = 8,            // CL
    Fack = 9,                // CL
    CancelAck = 10,          // CL
    Bind = 11,               // CO
    BindAck = 12,            // CO
    BindNak = 13,            // CO
    AlterContext = 14,       // CO
    AlterContextResp = 15,   // CO
    Auth3 = 16,              // CO, [MS-RPCE] 2.2.2.10 (rpc_auth_3)
    Shutdown = 17,           // CO
    CoCancel = 18,           // CO
    Orphaned = 19,           // CO
};
constexpr uint8_t kMaxPduType = 19;

std::string_view pduTypeName(uint8_t ptype);  // "request", "bind_ack", ... or "unknown"
bool isConnectionOrientedType(uint8_t ptype);

// C706 12.6.3.1 pfc_flags.
constexpr uint8_t PFC_FIRST_FRAG = 0x01;
constexpr uint8_t PFC_LAST_FRAG = 0x02;
constexpr uint8_t PFC_PENDING_CANCEL = 0x04;  // [MS-RPCE] 2.2.2.3: PFC_SUPPORT_HEADER_SIGN in bind
constexpr uint8_t PFC_CONC_MPX = 0x10;
constexpr uint8_t PFC_DID_NOT_EXECUTE = 0x20;
constexpr uint8_t PFC_MAYBE = 0x40;
constexpr uint8_t PFC_OBJECT_UUID = 0x80;

// C706 14.1 data representation label, first octet: high nibble integer rep (0 = big endian,
// 1 = little endian), low nibble character rep (0 = ASCII, 1 = EBCDIC).
constexpr uint8_t DREP_LITTLE_ENDIAN = 0x10;

// [MS-RPCE] 2.2.1.1.7 security providers (auth_type in sec_trailer).
enum class AuthType : uint8_t {
    None = 0,
    Krb5Dce = 1,           // DCE private-key (rare)
    Spnego = 9,            // RPC_C_AUTHN_GSS_NEGOTIATE
    Ntlmssp = 10,          // RPC_C_AUTHN_WINNT
    Schannel = 14,         // RPC_C_AUTHN_GSS_SCHANNEL
    Kerberos = 16,         // RPC_C_AUTHN_GSS_KERBEROS
    Netlogon = 68,         // RPC_C_AUTHN_NETLOGON (secure channel, [MS-NRPC] 3.3)
    Default = 0xff,        // RPC_C_AUTHN_DEFAULT
};
std::string authTypeName(uint8_t t);  // "NTLMSSP", "Kerberos", ... or "0x%02x"

// [MS-RPCE] 2.2.1.1.8 authentication levels (C706 13.1.2.1).
enum class AuthLevel : uint8_t {
    Default = 0,
    None = 1,
    Connect = 2,
    Call = 3,
    Pkt = 4,
    PktIntegrity = 5,
    PktPrivacy = 6,
};
std::string authLevelName(uint8_t l);  // "none", "connect", "call", "pkt", "pkt_integrity", "pkt_privacy"

// C706 12.6.3.1 p_cont_def_result_t (bind_ack result per context item) and
// p_provider_reason_t; [MS-RPCE] 2.2.2.4 adds negotiate_ack (3) for bind time feature negotiation.
enum class ContextResult : uint16_t { Acceptance = 0, UserRejection = 1, ProviderRejection = 2, NegotiateAck = 3 };
std::string_view contextResultName(uint16_t r);
// C706 12.6.3.2 / [MS-RPCE] 2.2.2.5 bind_nak reject reasons.
std::string_view bindNakReasonName(uint16_t r);

// 128-bit UUID in host form (C706 Appendix A); the wire form follows the data representation.
// Defined in core (core/types.h): typed events carry interface ids too.
using rpcmon::Uuid;

// Transfer syntaxes ([MS-RPCE] 2.2.4.12 NDR, 2.2.4.12 NDR64, 3.3.1.5.3 bind time features).
Uuid ndr20Syntax();   // 8a885d04-1ceb-11c9-9fe8-08002b104860 v2
Uuid ndr64Syntax();   // 71710533-beba-4937-8319-b5dbef9ccc36 v1
bool isBindTimeFeatureSyntax(const Uuid& u);  // 6cb71c2c-9812-4540-xxxx-xxxxxxxxxxxx

}  // namespace rpcmon::dcerpc
