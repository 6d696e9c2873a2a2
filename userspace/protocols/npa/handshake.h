// SPDX-License-Identifier: Apache-2.0
// Samba's named-pipe auth handshake (NPAM): the first message smbd (or the AD DC's SMB
// server) writes on a `<ncalrpc dir>/np/<pipe>` socket before the pipe's DCE/RPC bytes.
// Layout (librpc/idl/named_pipe_auth.idl, auth.idl, security.idl; NDR, little-endian except
// the length): [u32 big-endian length]["NPAM"][u32 level][u32 union switch][info<level>].
// It carries the SMB client's and server's addresses and ports, the session's account and
// domain - and the session's 16-byte key, which the parser zeroes in the buffer at once and
// never copies out. The reply is [u32 BE length]["NPAM"][u32 level][...status]: 32 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace rpcmon::npa {

// Longest handshake accepted: a session info with ~1000 group SIDs is about 40 KiB; past this
// the socket is not Samba's (npa.handshake_too_long).
constexpr size_t kMaxHandshake = 64 * 1024;
constexpr size_t kLengthPrefix = 4;

// Ok: the level's fields were read (addresses, ports; the session info when it parses).
// UnknownLevel: a level without a known layout; Unparsed: a known level whose fields did not
// parse. Both keep the message's extent (the pipe bytes follow) and carry no addresses.
enum class Parse { NeedMore, Ok, UnknownLevel, Unparsed, Invalid };

// Levels with a known layout: 4 (Samba 4.0-4.15), 5 and 6 (4.16), 7 (4.17-4.19), 8 (4.20+).
constexpr uint32_t kFirstLevel = 4, kLastLevel = 8;
bool knownLevel(uint32_t level);

// What the handshake says about the session (strings are printable-checked; empty = unknown).
struct Handshake {
    uint32_t level = 0;
    uint8_t transport = 0;        // enum dcerpc_transport_t (1: ncacn_np) when transport_known
    bool transport_known = false; // levels 5+ carry it
    std::string client_name, client_addr, server_name, server_addr;
    uint16_t client_port = 0, server_port = 0;
    bool session_parsed = false;  // account/domain found in the session info
    std::string account, domain;
    uint64_t unix_uid = 0;        // the session's Unix token uid (when parsed)
    bool unix_uid_known = false;
};

// Parses the request at the front of `buf`. On Ok / UnknownLevel / Unparsed / Invalid with a known
// length, `consumed` is the whole message (prefix included) and the session key inside it is
// already zeroed; the caller still wipes the whole message (the key's neighbours carry SIDs).
// NeedMore: fewer than `consumed` bytes (or 4, when unknown) are there yet.
Parse parseRequest(std::span<uint8_t> buf, Handshake& out, size_t& consumed);

// The reply (server -> client): Ok when it is a well-formed NPAM reply, with `consumed`.
Parse parseReply(std::span<const uint8_t> buf, size_t& consumed);

// Wipes memory the compiler may not optimise away (session key material).
void wipe(void* p, size_t n);

}  // namespace rpcmon::npa
