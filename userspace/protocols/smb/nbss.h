// SPDX-License-Identifier: Apache-2.0
// NetBIOS session service framing (RFC 1002 §4.3) as used by SMB: TCP 139 carries the full
// NBSS protocol (session request / responses / keepalive, then session messages with a 17-bit
// length); TCP 445 "direct hosting" ([MS-SMB2] 2.1) keeps only the 4-byte header of session
// messages, with a zero first byte and a 24-bit length.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/byte_reader.h"

namespace rpcmon::smb {

// RFC 1002 §4.3.1 packet types.
enum class NbssType : uint8_t {
    SessionMessage = 0x00,
    SessionRequest = 0x81,
    PositiveResponse = 0x82,
    NegativeResponse = 0x83,
    RetargetResponse = 0x84,
    Keepalive = 0x85,
};

enum class NbssMode : uint8_t { Direct445, NetBios139 };

inline constexpr size_t kNbssHeaderSize = 4;

// Largest session message accepted. Windows and Samba cap SMB2 MaxRead/MaxWrite/MaxTransact
// at 8 MiB; a frame adds at most a 64-byte header per compound element and padding, which the
// extra 64 KiB covers. A longer length means we are not looking at a frame boundary.
inline constexpr uint32_t kNbssMaxMessage = 8 * 1024 * 1024 + 64 * 1024;

// NBSS control packets (session request etc.) are tiny: two encoded 34-byte NetBIOS names in a
// session request, an address and port in a retarget response. Anything larger is not NBSS.
inline constexpr uint32_t kNbssMaxControl = 256;

// Smallest session message that can carry an SMB header: the 4-byte protocol id.
inline constexpr uint32_t kNbssMinSmbMessage = 4;

struct NbssHeader {
    NbssType type = NbssType::SessionMessage;
    uint32_t length = 0;  // bytes after the 4-byte header
};

// Parses the 4-byte header at the front of `data`. NeedsMoreData below 4 bytes; Invalid for an
// unknown type, a type not allowed in `mode`, reserved flag bits set, or a length above
// kNbssMaxMessage (kNbssMaxControl for control packets).
ParseState parseNbssHeader(Bytes data, NbssMode mode, NbssHeader& out);

// Resynchronisation after a gap or garbage: the offset of the first position in `data` that
// holds a plausible session-message header followed by "\xFFSMB", "\xFESMB", "\xFDSMB" or
// "\xFCSMB". `found` is false when none was seen; `offset` is then how many leading bytes can be
// dropped for sure (the last 7 bytes may still begin a boundary that is not complete yet).
struct NbssBoundary {
    bool found = false;
    size_t offset = 0;
};
NbssBoundary findNbssBoundary(Bytes data, NbssMode mode);

}  // namespace rpcmon::smb
