// SPDX-License-Identifier: Apache-2.0
// SMB2/SMB3 message parsing ([MS-SMB2] 2.2): the 64-byte header, compound chains, and the
// request/response bodies rpcmon needs to attribute named-pipe traffic to a user. Pure
// functions over byte spans; state (sessions, trees, open files) lives in consumer.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_reader.h"

namespace rpcmon::smb2 {

inline constexpr size_t kHeaderSize = 64;
// Elements followed in one compound chain. Windows compounds at most a handful (create +
// ioctl/read + close); the bound stops a crafted chain of 8-byte-spaced headers.
inline constexpr size_t kMaxCompound = 32;
inline constexpr size_t kTransformHeaderSize = 52;  // [MS-SMB2] 2.2.41

// [MS-SMB2] 2.2.1.2 Command
enum Command : uint16_t {
    kNegotiate = 0x00, kSessionSetup = 0x01, kLogoff = 0x02, kTreeConnect = 0x03,
    kTreeDisconnect = 0x04, kCreate = 0x05, kClose = 0x06, kFlush = 0x07, kRead = 0x08,
    kWrite = 0x09, kLock = 0x0A, kIoctl = 0x0B, kCancel = 0x0C, kEcho = 0x0D,
    kQueryDirectory = 0x0E, kChangeNotify = 0x0F, kQueryInfo = 0x10, kSetInfo = 0x11,
    kOplockBreak = 0x12,
};
const char* commandName(uint16_t cmd);  // "CREATE", or "UNKNOWN"

// [MS-SMB2] 2.2.1.2 Flags
inline constexpr uint32_t kFlagServerToRedir = 0x00000001;
inline constexpr uint32_t kFlagAsync = 0x00000002;
inline constexpr uint32_t kFlagRelated = 0x00000004;
inline constexpr uint32_t kFlagSigned = 0x00000008;

// [MS-SMB2] 2.2.6 SessionFlags, 2.2.10 ShareType / ShareFlags
inline constexpr uint16_t kSessionFlagIsGuest = 0x0001;
inline constexpr uint16_t kSessionFlagIsNull = 0x0002;
inline constexpr uint16_t kSessionFlagEncryptData = 0x0004;
inline constexpr uint8_t kShareTypeDisk = 0x01;
inline constexpr uint8_t kShareTypePipe = 0x02;
inline constexpr uint8_t kShareTypePrint = 0x03;
inline constexpr uint32_t kShareFlagEncryptData = 0x00008000;

// [MS-FSCC] 2.3.49 FSCTL_PIPE_TRANSCEIVE
inline constexpr uint32_t kFsctlPipeTransceive = 0x0011C017;

// Related compound requests name "the file the previous request opened" with all-ones ids.
inline constexpr uint64_t kRelatedSessionId = 0xFFFFFFFFFFFFFFFFull;
inline constexpr uint32_t kRelatedTreeId = 0xFFFFFFFFu;

struct FileId {
    uint64_t persistent = 0;
    uint64_t volatile_ = 0;
    bool operator==(const FileId&) const = default;
    auto operator<=>(const FileId&) const = default;
    bool isRelatedSentinel() const { return persistent == ~0ull && volatile_ == ~0ull; }
};

// [MS-SMB2] 2.2.1.1 / 2.2.1.2 SMB2 Packet Header (sync or async form).
struct Header {
    uint16_t credit_charge = 0;
    uint32_t status = 0;  // responses; ChannelSequence in 3.x requests
    uint16_t command = 0;
    uint16_t credits = 0;
    uint32_t flags = 0;
    uint32_t next_command = 0;
    uint64_t message_id = 0;
    uint64_t async_id = 0;   // async form only
    uint32_t process_id = 0;  // sync form only
    uint32_t tree_id = 0;     // sync form only
    uint64_t session_id = 0;
    bool isResponse() const { return flags & kFlagServerToRedir; }
    bool isAsync() const { return flags & kFlagAsync; }
    bool isRelated() const { return flags & kFlagRelated; }
};

// Parses the 64-byte header at the front of `msg`. NeedsMoreData below 64 bytes; Invalid when
// the protocol id is not 0xFE 'SMB' or StructureSize is not 64.
ParseState parseHeader(Bytes msg, Header& out);

// One element of a compound chain: its header and its bytes from the header to the next
// element (or the end of the frame). Offsets inside the body are relative to msg.data().
struct Message {
    Header hdr;
    Bytes msg;
    Bytes body() const { return msg.subspan(kHeaderSize); }
};

// Splits an SMB2 frame into compound elements. Invalid when an element's header is bad or
// NextCommand is not 8-aligned, smaller than a header (pointing backwards), or beyond the frame;
// the elements before the bad one are kept in `out`. `truncated` says the frame is only a
// prefix (bulk data cut off): the last element may then be incomplete.
ParseState splitCompound(Bytes frame, std::vector<Message>& out, bool truncated = false);

// "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1", "2.???" (0x02FF), or "0x%04x".
std::string dialectName(uint16_t dialect);

// --- Bodies. Each returns Invalid when StructureSize is wrong or a buffer lies outside the
// message; bulk buffers (read/write data, ioctl input/output) may be cut short when the message
// is a truncated prefix (`truncated`): the parsed span then holds only the bytes present. In a
// complete message a bulk buffer declared past its end is clamped to the bytes present, its
// length field lowered to match and `beyond_record` set (the consumer counts it).

struct NegotiateRequest { std::vector<uint16_t> dialects; };
ParseState parseNegotiateRequest(const Message& m, NegotiateRequest& out);

struct NegotiateResponse { uint16_t dialect = 0; uint16_t security_mode = 0; };
ParseState parseNegotiateResponse(const Message& m, NegotiateResponse& out);

struct SessionSetupRequest { uint8_t flags = 0; uint64_t previous_session_id = 0; Bytes security_buffer; };
ParseState parseSessionSetupRequest(const Message& m, SessionSetupRequest& out);

struct SessionSetupResponse { uint16_t session_flags = 0; Bytes security_buffer; };
ParseState parseSessionSetupResponse(const Message& m, SessionSetupResponse& out);

struct TreeConnectRequest { std::string path; };
ParseState parseTreeConnectRequest(const Message& m, TreeConnectRequest& out);

struct TreeConnectResponse { uint8_t share_type = 0; uint32_t share_flags = 0; uint32_t maximal_access = 0; };
ParseState parseTreeConnectResponse(const Message& m, TreeConnectResponse& out);

struct CreateRequest { std::string name; uint32_t desired_access = 0; uint32_t create_disposition = 0; uint32_t create_options = 0; };
ParseState parseCreateRequest(const Message& m, CreateRequest& out);

struct CreateResponse {
    FileId file_id;
    uint32_t create_action = 0;
    bool zero_times = false;  // CreationTime .. ChangeTime all zero
    uint64_t allocation_size = 0, end_of_file = 0;
    uint32_t file_attributes = 0;
    // Named pipes answer with no timestamps, EndOfFile 0 and FILE_ATTRIBUTE_NORMAL (Windows
    // also reports AllocationSize 4096, so that is not checked); no real file has all four
    // timestamps zero. Used when the TREE_CONNECT was not seen.
    bool looksLikePipe() const { return zero_times && end_of_file == 0 && file_attributes == 0x80; }
};
ParseState parseCreateResponse(const Message& m, CreateResponse& out);

struct CloseRequest { FileId file_id; };
ParseState parseCloseRequest(const Message& m, CloseRequest& out);

struct ReadRequest { uint32_t length = 0; uint64_t offset = 0; FileId file_id; };
ParseState parseReadRequest(const Message& m, ReadRequest& out);

struct ReadResponse { uint32_t data_length = 0; Bytes data; bool beyond_record = false; };
ParseState parseReadResponse(const Message& m, ReadResponse& out, bool truncated = false);

struct WriteRequest { uint32_t data_length = 0; uint64_t offset = 0; FileId file_id; Bytes data; bool beyond_record = false; };
ParseState parseWriteRequest(const Message& m, WriteRequest& out, bool truncated = false);

struct IoctlRequest { uint32_t ctl_code = 0; FileId file_id; uint32_t input_count = 0; Bytes input; bool beyond_record = false; };
ParseState parseIoctlRequest(const Message& m, IoctlRequest& out, bool truncated = false);

struct IoctlResponse { uint32_t ctl_code = 0; FileId file_id; uint32_t output_count = 0; Bytes output; bool beyond_record = false; };
ParseState parseIoctlResponse(const Message& m, IoctlResponse& out, bool truncated = false);

// [MS-SMB2] 2.2.41 SMB2 TRANSFORM_HEADER (encrypted message).
struct TransformHeader { uint32_t original_size = 0; uint16_t flags = 0; uint64_t session_id = 0; };
ParseState parseTransformHeader(Bytes msg, TransformHeader& out);

// [MS-SMB2] 2.2.x StructureSize of a command's request or response body (0 if unknown).
uint16_t expectedStructureSize(uint16_t command, bool response);

// True when a response body is the 9-byte ERROR response ([MS-SMB2] 2.2.2) rather than the
// command's own response (SESSION_SETUP's own response is also 9 bytes: decided by status).
bool isErrorResponse(const Message& m);

}  // namespace rpcmon::smb2
