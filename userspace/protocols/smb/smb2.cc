// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/smb2.h"

#include <cstdio>

#include "protocols/smb/types.h"

namespace rpcmon::smb2 {

namespace {

// Reads a body's StructureSize and checks it. Variable-length bodies declare the fixed part
// plus one ([MS-SMB2] 2.2: "StructureSize ... includes one byte of the variable buffer"), so
// only the even part must be present.
bool checkStructure(const Message& m, uint16_t expected) {
    Bytes body = m.body();
    if (body.size() < 2) return false;
    uint16_t ss = body[0] | (body[1] << 8);
    return ss == expected && body.size() >= (expected & ~1u);
}

// The buffer a body names by (offset from the header start, length). A complete message must
// contain it; a truncated prefix yields the bytes that are present.
bool buffer(const Message& m, uint32_t off, uint32_t len, bool truncated, Bytes& out) {
    out = {};
    if (len == 0) return true;
    if (off < kHeaderSize) return false;  // would overlap the header
    const size_t size = m.msg.size();
    if (off > size || len > size - off) {
        if (!truncated) return false;
        if (off >= size) return true;
        out = m.msg.subspan(off);
        return true;
    }
    out = m.msg.subspan(off, len);
    return true;
}

// Bulk data (READ/WRITE data, IOCTL input/output) of a complete message whose offset or length
// reaches past the message: the receiver can only act on the bytes the message carries, so
// keep those, shrink `len` to them and flag it instead of dropping the message (a lying length
// must neither hide the data nor move the framing, which follows the NBSS length).
bool bulkBuffer(const Message& m, uint32_t off, uint32_t& len, bool truncated, Bytes& out, bool& beyond) {
    beyond = false;
    if (buffer(m, off, len, truncated, out)) return true;
    if (off < kHeaderSize) return false;
    const size_t size = m.msg.size();
    out = off < size ? m.msg.subspan(off) : Bytes{};
    len = static_cast<uint32_t>(out.size());
    beyond = true;
    return true;
}

FileId readFileId(ByteReader& r) {
    FileId f;
    f.persistent = r.le64();
    f.volatile_ = r.le64();
    return f;
}

}  // namespace

const char* commandName(uint16_t cmd) {
    static constexpr const char* kNames[] = {
        "NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT", "CREATE",
        "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY",
        "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"};
    return cmd < std::size(kNames) ? kNames[cmd] : "UNKNOWN";
}

ParseState parseHeader(Bytes msg, Header& h) {
    if (msg.size() < kHeaderSize) return ParseState::NeedsMoreData;
    if (smb::magicOf(msg) != smb::Magic::Smb2) return ParseState::Invalid;
    ByteReader r(msg.subspan(4));
    if (r.le16() != kHeaderSize) return ParseState::Invalid;  // StructureSize
    h.credit_charge = r.le16();
    h.status = r.le32();
    h.command = r.le16();
    h.credits = r.le16();
    h.flags = r.le32();
    h.next_command = r.le32();
    h.message_id = r.le64();
    if (h.flags & kFlagAsync) {
        h.async_id = r.le64();
        h.process_id = 0;
        h.tree_id = 0;
    } else {
        h.process_id = r.le32();
        h.tree_id = r.le32();
        h.async_id = 0;
    }
    h.session_id = r.le64();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState splitCompound(Bytes frame, std::vector<Message>& out, bool truncated) {
    size_t pos = 0;
    for (size_t n = 0; n < kMaxCompound; n++) {
        Message m;
        ParseState st = parseHeader(frame.subspan(pos), m.hdr);
        if (st == ParseState::NeedsMoreData) return truncated ? ParseState::Success : ParseState::Invalid;
        if (st != ParseState::Success) return st;
        uint32_t next = m.hdr.next_command;
        if (next == 0) {
            m.msg = frame.subspan(pos);
            out.push_back(m);
            return ParseState::Success;
        }
        // [MS-SMB2] 3.2.4.1.4: each element starts on an 8-byte boundary after the previous.
        if (next < kHeaderSize || next % 8 != 0) return ParseState::Invalid;
        if (next > frame.size() - pos) {
            if (!truncated) return ParseState::Invalid;
            m.msg = frame.subspan(pos);
            out.push_back(m);
            return ParseState::Success;
        }
        m.msg = frame.subspan(pos, next);
        out.push_back(m);
        pos += next;
    }
    return ParseState::Invalid;  // longer chain than any client builds
}

std::string dialectName(uint16_t d) {
    switch (d) {
    case 0x0202: return "2.0.2";
    case 0x0210: return "2.1";
    case 0x0300: return "3.0";
    case 0x0302: return "3.0.2";
    case 0x0311: return "3.1.1";
    case 0x02FF: return "2.???";
    }
    char buf[8];
    snprintf(buf, sizeof buf, "0x%04x", d);
    return buf;
}

// Clients offer at most 5 real dialects; 64 leaves room for GREASE-style padding.
static constexpr uint16_t kMaxDialects = 64;

ParseState parseNegotiateRequest(const Message& m, NegotiateRequest& out) {
    if (!checkStructure(m, 36)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    uint16_t count = r.le16();
    if (count > kMaxDialects) return ParseState::Invalid;
    r.skip(2 + 2 + 4 + 16 + 8);
    for (uint16_t i = 0; i < count; i++) out.dialects.push_back(r.le16());
    if (!r.ok()) out.dialects.clear();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseNegotiateResponse(const Message& m, NegotiateResponse& out) {
    if (!checkStructure(m, 65)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    out.security_mode = r.le16();
    out.dialect = r.le16();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseSessionSetupRequest(const Message& m, SessionSetupRequest& out) {
    if (!checkStructure(m, 25)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    out.flags = r.u8();
    r.skip(1 + 4 + 4);  // SecurityMode, Capabilities, Channel
    uint16_t off = r.le16();
    uint16_t len = r.le16();
    out.previous_session_id = r.le64();
    if (!r.ok() || !buffer(m, off, len, false, out.security_buffer)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseSessionSetupResponse(const Message& m, SessionSetupResponse& out) {
    if (!checkStructure(m, 9)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    out.session_flags = r.le16();
    uint16_t off = r.le16();
    uint16_t len = r.le16();
    if (!r.ok() || !buffer(m, off, len, false, out.security_buffer)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseTreeConnectRequest(const Message& m, TreeConnectRequest& out) {
    if (!checkStructure(m, 9)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(4);  // StructureSize, Flags
    uint16_t off = r.le16();
    uint16_t len = r.le16();
    Bytes path;
    if (!r.ok() || !buffer(m, off, len, false, path)) return ParseState::Invalid;
    out.path = smb::utf16ToUtf8(path);
    return ParseState::Success;
}

ParseState parseTreeConnectResponse(const Message& m, TreeConnectResponse& out) {
    if (!checkStructure(m, 16)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    out.share_type = r.u8();
    r.skip(1);
    out.share_flags = r.le32();
    r.skip(4);  // Capabilities
    out.maximal_access = r.le32();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseCreateRequest(const Message& m, CreateRequest& out) {
    if (!checkStructure(m, 57)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(24);  // StructureSize .. Reserved
    out.desired_access = r.le32();
    r.skip(8);  // FileAttributes, ShareAccess
    out.create_disposition = r.le32();
    out.create_options = r.le32();
    uint16_t off = r.le16();
    uint16_t len = r.le16();
    Bytes name;
    if (!r.ok() || !buffer(m, off, len, false, name)) return ParseState::Invalid;
    out.name = smb::utf16ToUtf8(name);
    return ParseState::Success;
}

ParseState parseCreateResponse(const Message& m, CreateResponse& out) {
    if (!checkStructure(m, 89)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(4);  // StructureSize, OplockLevel, Flags
    out.create_action = r.le32();
    uint64_t times = r.le64() | r.le64() | r.le64() | r.le64();
    out.zero_times = times == 0;
    out.allocation_size = r.le64();
    out.end_of_file = r.le64();
    out.file_attributes = r.le32();
    r.skip(4);  // Reserved2
    out.file_id = readFileId(r);
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseCloseRequest(const Message& m, CloseRequest& out) {
    if (!checkStructure(m, 24)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(8);
    out.file_id = readFileId(r);
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseReadRequest(const Message& m, ReadRequest& out) {
    if (!checkStructure(m, 49)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(4);  // StructureSize, Padding, Flags
    out.length = r.le32();
    out.offset = r.le64();
    out.file_id = readFileId(r);
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseReadResponse(const Message& m, ReadResponse& out, bool truncated) {
    if (!checkStructure(m, 17)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    uint8_t off = r.u8();
    r.skip(1);
    out.data_length = r.le32();
    if (!r.ok() || !bulkBuffer(m, off, out.data_length, truncated, out.data, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseWriteRequest(const Message& m, WriteRequest& out, bool truncated) {
    if (!checkStructure(m, 49)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(2);
    uint16_t off = r.le16();
    out.data_length = r.le32();
    out.offset = r.le64();
    out.file_id = readFileId(r);
    if (!r.ok() || !bulkBuffer(m, off, out.data_length, truncated, out.data, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseIoctlRequest(const Message& m, IoctlRequest& out, bool truncated) {
    if (!checkStructure(m, 57)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(4);
    out.ctl_code = r.le32();
    out.file_id = readFileId(r);
    uint32_t off = r.le32();
    out.input_count = r.le32();
    if (!r.ok() || !bulkBuffer(m, off, out.input_count, truncated, out.input, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseIoctlResponse(const Message& m, IoctlResponse& out, bool truncated) {
    if (!checkStructure(m, 49)) return ParseState::Invalid;
    ByteReader r(m.body());
    r.skip(4);
    out.ctl_code = r.le32();
    out.file_id = readFileId(r);
    r.skip(8);  // InputOffset, InputCount (responses echo no input for pipes)
    uint32_t off = r.le32();
    out.output_count = r.le32();
    if (!r.ok() || !bulkBuffer(m, off, out.output_count, truncated, out.output, out.beyond_record)) return ParseState::Invalid;
    return ParseState::Success;
}

ParseState parseTransformHeader(Bytes msg, TransformHeader& out) {
    if (msg.size() < kTransformHeaderSize) return ParseState::NeedsMoreData;
    if (smb::magicOf(msg) != smb::Magic::Transform) return ParseState::Invalid;
    ByteReader r(msg);
    r.skip(4 + 16 + 16);  // ProtocolId, Signature, Nonce
    out.original_size = r.le32();
    r.skip(2);
    out.flags = r.le16();
    out.session_id = r.le64();
    return r.ok() ? ParseState::Success : ParseState::Invalid;
}

uint16_t expectedStructureSize(uint16_t command, bool response) {
    struct Sizes { uint16_t request, response; };
    static constexpr Sizes kSizes[] = {
        {36, 65}, {25, 9}, {4, 4}, {9, 16}, {4, 4}, {57, 89}, {24, 60}, {24, 4}, {49, 17},
        {49, 17}, {48, 4}, {57, 49}, {4, 0}, {4, 4}, {33, 9}, {32, 9}, {41, 9}, {33, 2}, {24, 24}};
    if (command >= std::size(kSizes)) return 0;
    return response ? kSizes[command].response : kSizes[command].request;
}

bool isErrorResponse(const Message& m) {
    Bytes body = m.body();
    if (body.size() < 2 || (body[0] | (body[1] << 8)) != 9) return false;
    if (m.hdr.command == kSessionSetup)
        return m.hdr.status != smb::kStatusSuccess && m.hdr.status != smb::kStatusMoreProcessingRequired;
    return true;
}

}  // namespace rpcmon::smb2
