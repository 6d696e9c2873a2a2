// SPDX-License-Identifier: Apache-2.0
// Values shared by the SMB1 and SMB2 parsers: NTSTATUS names ([MS-ERREF] 2.3.1), the protocol
// ids that start every SMB message, and UTF-16LE decoding for names carried on the wire.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_reader.h"

namespace rpcmon::smb {

// [MS-ERREF] 2.3.1 NTSTATUS values the SMB layer branches on.
inline constexpr uint32_t kStatusSuccess = 0x00000000;
inline constexpr uint32_t kStatusPending = 0x00000103;             // async interim response
inline constexpr uint32_t kStatusBufferOverflow = 0x80000005;      // partial pipe read, more follows
inline constexpr uint32_t kStatusMoreProcessingRequired = 0xC0000016;  // another auth leg follows

// "STATUS_ACCESS_DENIED" for the common values, else "0x%08x".
std::string statusName(uint32_t status);

// True for NTSTATUS severity "error" (top two bits 11) and "warning" other than buffer overflow.
inline bool isErrorStatus(uint32_t status) { return (status >> 30) == 3; }

// The four bytes every SMB message starts with.
enum class Magic : uint8_t {
    None,        // not SMB
    Smb1,        // 0xFF 'S' 'M' 'B'  [MS-CIFS] 2.2.3.1
    Smb2,        // 0xFE 'S' 'M' 'B'  [MS-SMB2] 2.2.1
    Transform,   // 0xFD 'S' 'M' 'B'  [MS-SMB2] 2.2.41 (encrypted)
    Compressed,  // 0xFC 'S' 'M' 'B'  [MS-SMB2] 2.2.42 (compressed)
};
Magic magicOf(Bytes msg);

// UTF-16LE to UTF-8 (unpaired surrogates become U+FFFD); stops at the first NUL.
std::string utf16ToUtf8(Bytes b);
// OEM (8-bit) string: bytes up to the first NUL, non-ASCII passed through as Latin-1 → UTF-8.
std::string oemToUtf8(Bytes b);

// "\\server\IPC$" → "IPC$" (the last path component; the whole string if it has no '\').
std::string shareFromPath(const std::string& path);
// IPC$, the share named pipes are opened on (share names are case-insensitive).
bool isIpcShare(const std::string& share);
// "\PIPE\srvsvc", "\srvsvc", "srvsvc" → "srvsvc".
std::string pipeNameFromPath(const std::string& path);

}  // namespace rpcmon::smb
