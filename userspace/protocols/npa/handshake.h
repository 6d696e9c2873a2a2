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

enum class Parse { NeedMore, Ok, UnknownLevel, Invalid };

// What the handshake says about the session (strings are printable-checked; empty = unknown).
struct Handshake {
    uint32_t level = 0;
    uint8_t transport = 0;
    std::string client_name, client_addr, server_name, server_addr;
    uint16_t client_port = 0, server_port = 0;
    bool session_parsed = false;  // account/domain found in the session info
    std::string account, domain;
    uint64_t unix_uid = 0;        // the session's Unix token uid (when parsed)
    bool unix_uid_known = false;
};

// Parses the request at the front of `buf`. On Ok / UnknownLevel / Invalid with a known
// length, `consumed` is the whole message (prefix included) and the session key inside it is
// already zeroed; the caller still wipes the whole message (the key's neighbours carry SIDs).
// NeedMore: fewer than `consumed` bytes (or 4, when unknown) are there yet.
Parse parseRequest(std::span<uint8_t> buf, Handshake& out, size_t& consumed);

// The reply (server -> client): Ok when it is a well-formed NPAM reply, with `consumed`.
Parse parseReply(std::span<const uint8_t> buf, size_t& consumed);

// Wipes memory the compiler may not optimise away (session key material).
void wipe(void* p, size_t n);

}  // namespace rpcmon::npa
