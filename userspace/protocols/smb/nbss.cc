// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/nbss.h"

#include "protocols/smb/types.h"

namespace rpcmon::smb {

ParseState parseNbssHeader(Bytes data, NbssMode mode, NbssHeader& out) {
    if (data.size() < kNbssHeaderSize) return ParseState::NeedsMoreData;
    const uint8_t type = data[0];
    uint32_t length;
    if (mode == NbssMode::Direct445) {
        // [MS-SMB2] 2.1: Zero (1 byte) + StreamProtocolLength (3 bytes, big-endian). Samba
        // also sends NBSS keepalives (0x85, length 0) on 445; accept those too.
        if (type == uint8_t(NbssType::Keepalive) && data[1] == 0 && data[2] == 0 && data[3] == 0) {
            out.type = NbssType::Keepalive;
            out.length = 0;
            return ParseState::Success;
        }
        if (type != 0x00) return ParseState::Invalid;
        length = (uint32_t(data[1]) << 16) | (uint32_t(data[2]) << 8) | data[3];
    } else {
        // RFC 1002 §4.3.1: FLAGS byte, only bit 7 (E, length extension) defined → 17-bit length.
        if (data[1] & 0xFE) return ParseState::Invalid;
        length = (uint32_t(data[1] & 1) << 16) | (uint32_t(data[2]) << 8) | data[3];
    }
    out.type = static_cast<NbssType>(type);
    out.length = length;
    switch (out.type) {
    case NbssType::SessionMessage:
        return length > kNbssMaxMessage ? ParseState::Invalid : ParseState::Success;
    case NbssType::SessionRequest:
    case NbssType::PositiveResponse:
    case NbssType::NegativeResponse:
    case NbssType::RetargetResponse:
    case NbssType::Keepalive:
        if (mode == NbssMode::Direct445) return ParseState::Invalid;
        return length > kNbssMaxControl ? ParseState::Invalid : ParseState::Success;
    }
    return ParseState::Invalid;
}

NbssBoundary findNbssBoundary(Bytes data, NbssMode mode) {
    constexpr size_t kProbe = kNbssHeaderSize + 4;  // header + SMB protocol id
    if (data.size() < kProbe) return {false, 0};
    for (size_t i = 0; i + kProbe <= data.size(); i++) {
        if (data[i] != 0x00) continue;
        NbssHeader h;
        if (parseNbssHeader(data.subspan(i), mode, h) != ParseState::Success) continue;
        if (h.length < kNbssMinSmbMessage) continue;
        if (magicOf(data.subspan(i + kNbssHeaderSize, 4)) == Magic::None) continue;
        return {true, i};
    }
    return {false, data.size() - (kProbe - 1)};
}

}  // namespace rpcmon::smb
