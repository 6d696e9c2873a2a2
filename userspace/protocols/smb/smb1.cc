// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/smb1.h"

#include "protocols/smb/types.h"

namespace rpcmon::smb1 {

namespace {

bool hasAndX(uint8_t cmd) {
    switch (cmd) {
    case kReadAndX: case kWriteAndX: case kSessionSetupAndX: case kLogoffAndX:
    case kTreeConnectAndX: case kNtCreateAndX:
    case 0x24:  // LOCKING_ANDX
    case 0x2D:  // OPEN_ANDX
        return true;
    default:
        return false;
    }
}

// Reads a NUL-terminated string from a block's data bytes at `pos`, honouring the Unicode flag
// and the 2-byte alignment of Unicode strings relative to the SMB header. Advances `pos` past
// the terminator; a missing terminator takes the rest of the bytes.
std::string readString(const Block& b, bool unicode, size_t& pos) {
    if (pos > b.bytes.size()) return {};
    if (unicode) {
        if ((b.bytes_offset + pos) % 2) pos++;
        if (pos > b.bytes.size()) return {};
        size_t end = pos;
        while (end + 1 < b.bytes.size() && (b.bytes[end] | b.bytes[end + 1]) != 0) end += 2;
        std::string s = smb::utf16ToUtf8(b.bytes.subspan(pos, std::min(end, b.bytes.size()) - pos));
        pos = std::min(end + 2, b.bytes.size());
        return s;
    }
    size_t end = pos;
    while (end < b.bytes.size() && b.bytes[end] != 0) end++;
    std::string s = smb::oemToUtf8(b.bytes.subspan(pos, end - pos));
    pos = std::min(end + 1, b.bytes.size());
    return s;
}

// Data named by (offset from the SMB header, count) in a complete or truncated message.
bool dataAt(Bytes msg, uint32_t off, uint32_t len, bool truncated, Bytes& out) {
    out = {};
    if (len == 0) return true;
    if (off < kHeaderSize) return false;
    if (off > msg.size() || len > msg.size() - off) {
        if (!truncated) return false;
        if (off < msg.size()) out = msg.subspan(off);
        return true;
    }
    out = msg.subspan(off, len);
    return true;
}

// Data of a complete message declared past its end: keep the bytes present, lower `len` to them
// and flag it (see smb2.h: a lying count must not hide the data).
template <class Len>
bool clampedDataAt(Bytes msg, uint32_t off, Len& len, bool truncated, Bytes& out, bool& beyond) {
    beyond = false;
    if (dataAt(msg, off, len, truncated, out)) return true;
    if (off < kHeaderSize) return false;
    out = off < msg.size() ? msg.subspan(off) : Bytes{};
    len = static_cast<Len>(out.size());
    beyond = true;
    return true;
}

}  // namespace

const char* commandName(uint8_t cmd) {
    switch (cmd) {
    case kClose: return "CLOSE";
    case kTransaction: return "TRANSACTION";
    case kTransactionSecondary: return "TRANSACTION_SECONDARY";
    case kReadAndX: return "READ_ANDX";
    case kWriteAndX: return "WRITE_ANDX";
    case kTreeDisconnect: return "TREE_DISCONNECT";
    case kNegotiate: return "NEGOTIATE";
    case kSessionSetupAndX: return "SESSION_SETUP_ANDX";
    case kLogoffAndX: return "LOGOFF_ANDX";
    case kTreeConnectAndX: return "TREE_CONNECT_ANDX";
    case kNtCreateAndX: return "NT_CREATE_ANDX";
    }
    return "UNKNOWN";
}

ParseState parseHeader(Bytes msg, Header& h) {
    if (msg.size() < kHeaderSize) return ParseState::NeedsMoreData;
    if (smb::magicOf(msg) != smb::Magic::Smb1) return ParseState::Invalid;
    ByteReader r(msg.subspan(4));
    h.command = r.u8();
    h.status = r.le32();
    h.flags = r.u8();
    h.flags2 = r.le16();
    h.pid_high = r.le16();
    r.skip(8 + 2);  // SecurityFeatures, Reserved
    h.tid = r.le16();
    h.pid = r.le16();
    h.uid = r.le16();
    h.mid = r.le16();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState splitAndX(Bytes msg, const Header& h, std::vector<Block>& out, bool truncated) {
    size_t pos = kHeaderSize;
    uint8_t cmd = h.command;
    for (size_t n = 0; n < kMaxAndX; n++) {
        ByteReader r(msg);
        r.seek(pos);
        Block b;
        b.command = cmd;
        b.word_count = r.u8();
        b.words = r.bytes(size_t(b.word_count) * 2);
        uint16_t byte_count = r.le16();
        if (!r.ok()) return truncated ? ParseState::Success : ParseState::Invalid;
        b.bytes_offset = r.offset();
        if (byte_count > r.remaining()) {
            if (!truncated) return ParseState::Invalid;
            b.bytes = r.rest();
        } else {
            b.bytes = r.bytes(byte_count);
        }
        out.push_back(b);
        if (!hasAndX(cmd) || b.word_count < 2) return ParseState::Success;
        uint8_t next = b.words[0];
        uint16_t next_off = b.words[2] | (b.words[3] << 8);
        if (next == kNoAndX) return ParseState::Success;
        // The next block must start after this block's header; anything else loops or overlaps.
        if (next_off <= pos || next_off >= msg.size())
            return truncated && next_off > pos ? ParseState::Success : ParseState::Invalid;
        pos = next_off;
        cmd = next;
    }
    return ParseState::Invalid;
}

ParseState parseNegotiateRequest(const Block& b, NegotiateRequest& out) {
    size_t pos = 0;
    while (pos < b.bytes.size()) {
        if (b.bytes[pos] != 0x02) return ParseState::Invalid;  // BufferFormat: dialect string
        pos++;
        if (out.dialects.size() >= kMaxDialects) return ParseState::Invalid;
        out.dialects.push_back(readString(b, false, pos));
    }
    return ParseState::Success;
}

ParseState parseNegotiateResponse(const Block& b, NegotiateResponse& out) {
    if (b.word_count < 1) return ParseState::Invalid;
    out.dialect_index = b.words[0] | (b.words[1] << 8);
    return ParseState::Success;
}

ParseState parseSessionSetupRequest(Bytes, const Header& h, const Block& b, SessionSetupRequest& out) {
    ByteReader w(b.words);
    if (b.word_count == 12) {
        // [MS-SMB] 2.2.4.6.1: AndX(4) MaxBufferSize MaxMpxCount VcNumber SessionKey(4)
        // SecurityBlobLength Reserved(4) Capabilities(4); bytes: SecurityBlob, NativeOS, ...
        w.skip(4 + 2 + 2 + 2 + 4);
        uint16_t blob_len = w.le16();
        if (!w.ok() || blob_len > b.bytes.size()) return ParseState::Invalid;
        out.extended = true;
        out.security_blob = b.bytes.subspan(0, blob_len);
        size_t pos = blob_len;
        out.native_os = readString(b, h.unicode(), pos);
        return ParseState::Success;
    }
    uint16_t oem_len = 0, uni_len = 0;
    if (b.word_count == 13) {
        // [MS-CIFS] 2.2.4.53.1 NT LM 0.12: ... OEMPasswordLen UnicodePasswordLen Reserved(4)
        // Capabilities(4); bytes: OEMPassword, UnicodePassword, Pad, AccountName, PrimaryDomain.
        w.skip(4 + 2 + 2 + 2 + 4);
        oem_len = w.le16();
        uni_len = w.le16();
    } else if (b.word_count == 10) {
        // LANMAN: ... PasswordLength Reserved(4); bytes: Password, AccountName, PrimaryDomain.
        w.skip(4 + 2 + 2 + 2 + 4);
        oem_len = w.le16();
    } else {
        return ParseState::Invalid;
    }
    if (!w.ok() || size_t(oem_len) + uni_len > b.bytes.size()) return ParseState::Invalid;
    size_t pos = size_t(oem_len) + uni_len;
    out.empty_password = (oem_len == 0 || (oem_len == 1 && b.bytes[0] == 0)) && uni_len == 0;
    out.account = readString(b, h.unicode(), pos);
    out.domain = readString(b, h.unicode(), pos);
    out.native_os = readString(b, h.unicode(), pos);
    return ParseState::Success;
}

ParseState parseSessionSetupResponse(const Block& b, SessionSetupResponse& out) {
    if (b.word_count != 3 && b.word_count != 4) return ParseState::Invalid;
    out.action = b.words[4] | (b.words[5] << 8);
    if (b.word_count == 4) {
        uint16_t blob_len = b.words[6] | (b.words[7] << 8);
        if (blob_len > b.bytes.size()) return ParseState::Invalid;
        out.security_blob = b.bytes.subspan(0, blob_len);
    }
    return ParseState::Success;
}

ParseState parseTreeConnectRequest(const Header& h, const Block& b, TreeConnectRequest& out) {
    if (b.word_count != 4) return ParseState::Invalid;
    uint16_t pw_len = b.words[6] | (b.words[7] << 8);
    if (pw_len > b.bytes.size()) return ParseState::Invalid;
    size_t pos = pw_len;
    out.path = readString(b, h.unicode(), pos);
    out.service = readString(b, false, pos);  // always OEM
    return ParseState::Success;
}

ParseState parseTreeConnectResponse(const Block& b, TreeConnectResponse& out) {
    if (b.word_count < 2) return ParseState::Invalid;
    size_t pos = 0;
    out.service = readString(b, false, pos);
    return ParseState::Success;
}

ParseState parseNtCreateRequest(const Header& h, const Block& b, NtCreateRequest& out) {
    if (b.word_count != 24) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(4 + 1);
    uint16_t name_len = w.le16();
    w.skip(4 + 4);  // Flags, RootDirectoryFID
    out.desired_access = w.le32();
    w.skip(8 + 4 + 4);  // AllocationSize, ExtFileAttributes, ShareAccess
    out.create_disposition = w.le32();
    if (!w.ok()) return ParseState::Invalid;
    size_t pos = 0;
    Block limited = b;
    // NameLength bounds the name (plus a Unicode alignment pad byte).
    size_t limit = std::min(b.bytes.size(), size_t(name_len) + (h.unicode() ? 1 : 0));
    limited.bytes = b.bytes.subspan(0, limit);
    out.name = readString(limited, h.unicode(), pos);
    return ParseState::Success;
}

ParseState parseNtCreateResponse(const Block& b, NtCreateResponse& out) {
    if (b.word_count < 34) return ParseState::Invalid;  // 34, or 42/50 with extended response
    ByteReader w(b.words);
    w.skip(4 + 1);  // AndX, OplockLevel
    out.fid = w.le16();
    out.create_action = w.le32();
    w.skip(32 + 4 + 8 + 8);  // timestamps, ExtFileAttributes, AllocationSize, EndOfFile
    out.resource_type = w.le16();
    return w.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseTransactionRequest(Bytes msg, const Header& h, const Block& b, TransactionRequest& out) {
    if (b.word_count < 14) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(2);
    out.total_data_count = w.le16();
    w.skip(2 + 2 + 1 + 1 + 2 + 4 + 2 + 2 + 2);  // ... ParameterCount, ParameterOffset
    uint16_t data_count = w.le16();
    uint16_t data_off = w.le16();
    uint8_t setup_count = w.u8();
    w.skip(1);
    if (!w.ok() || b.word_count != 14 + setup_count) return ParseState::Invalid;
    for (uint8_t i = 0; i < setup_count; i++) out.setup.push_back(w.le16());
    size_t pos = 0;
    out.name = readString(b, h.unicode(), pos);
    const uint16_t declared = data_count;
    if (!clampedDataAt(msg, data_off, data_count, false, out.data, out.beyond_record)) return ParseState::Invalid;
    // A single-message transaction whose count was clamped is whole as far as it goes.
    if (out.beyond_record && out.total_data_count == declared) out.total_data_count = data_count;
    return ParseState::Success;
}

ParseState parseTransactionResponse(Bytes msg, const Block& b, TransactionResponse& out) {
    if (b.word_count < 10) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(2);
    out.total_data_count = w.le16();
    w.skip(2 + 2 + 2 + 2);  // Reserved1, ParameterCount, ParameterOffset, ParameterDisplacement
    uint16_t data_count = w.le16();
    uint16_t data_off = w.le16();
    out.data_displacement = w.le16();
    uint8_t setup_count = w.u8();
    if (!w.ok() || b.word_count != 10 + setup_count) return ParseState::Invalid;
    const uint16_t declared = data_count;
    if (!clampedDataAt(msg, data_off, data_count, false, out.data, out.beyond_record)) return ParseState::Invalid;
    if (out.beyond_record && out.total_data_count == declared) out.total_data_count = data_count;
    return ParseState::Success;
}

ParseState parseReadAndXRequest(const Block& b, ReadAndXRequest& out) {
    if (b.word_count != 10 && b.word_count != 12) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(4);
    out.fid = w.le16();
    out.offset = w.le32();
    out.max_count = w.le16();
    w.skip(2);  // MinCount
    out.max_count |= (w.le32() & 0xFFFF) << 16;  // MaxCountHigh ([MS-SMB] 2.2.4.2.1)
    w.skip(2);
    if (b.word_count == 12) out.offset |= uint64_t(w.le32()) << 32;
    return w.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseReadAndXResponse(Bytes msg, const Block& b, ReadAndXResponse& out, bool truncated) {
    if (b.word_count != 12) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(4 + 2 + 2 + 2);  // AndX, Available, DataCompactionMode, Reserved1
    uint16_t len = w.le16();
    uint16_t off = w.le16();
    uint16_t len_high = w.le16();  // [MS-SMB] 2.2.4.2.2 DataLengthHigh
    out.data_length = len | (uint32_t(len_high) << 16);
    if (!w.ok() || !clampedDataAt(msg, off, out.data_length, truncated, out.data, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseWriteAndXRequest(Bytes msg, const Block& b, WriteAndXRequest& out, bool truncated) {
    if (b.word_count != 12 && b.word_count != 14) return ParseState::Invalid;
    ByteReader w(b.words);
    w.skip(4);
    out.fid = w.le16();
    out.offset = w.le32();
    w.skip(4);  // Timeout
    out.write_mode = w.le16();
    w.skip(2);  // Remaining
    uint16_t len_high = w.le16();
    uint16_t len = w.le16();
    uint16_t off = w.le16();
    if (b.word_count == 14) out.offset |= uint64_t(w.le32()) << 32;
    out.data_length = len | (uint32_t(len_high) << 16);
    if (!w.ok() || !clampedDataAt(msg, off, out.data_length, truncated, out.data, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseCloseRequest(const Block& b, CloseRequest& out) {
    if (b.word_count != 3) return ParseState::Invalid;
    out.fid = b.words[0] | (b.words[1] << 8);
    return ParseState::Success;
}

}  // namespace rpcmon::smb1
