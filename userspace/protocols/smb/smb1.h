// SPDX-License-Identifier: Apache-2.0
// SMB1/CIFS message parsing ([MS-CIFS] 2.2), only as far as following named pipes needs:
// NEGOTIATE, SESSION_SETUP_ANDX, TREE_CONNECT_ANDX, NT_CREATE_ANDX, TRANSACTION
// (TransactNmPipe), READ_ANDX, WRITE_ANDX, CLOSE. Pure functions over byte spans.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_reader.h"

namespace rpcmon::smb1 {

inline constexpr size_t kHeaderSize = 32;
// Commands followed in one AndX chain. Real clients chain two or three (session setup + tree
// connect, create + read); the bound stops a crafted loop.
inline constexpr size_t kMaxAndX = 8;
// Dialect strings read from a NEGOTIATE request; Windows offers 8 at most.
inline constexpr size_t kMaxDialects = 32;

// [MS-CIFS] 2.2.2.1 command codes used here.
enum Command : uint8_t {
    kClose = 0x04, kTransaction = 0x25, kTransactionSecondary = 0x26, kReadAndX = 0x2E,
    kWriteAndX = 0x2F, kTreeDisconnect = 0x71, kNegotiate = 0x72, kSessionSetupAndX = 0x73,
    kLogoffAndX = 0x74, kTreeConnectAndX = 0x75, kNtCreateAndX = 0xA2, kNoAndX = 0xFF,
};
const char* commandName(uint8_t cmd);

inline constexpr uint8_t kFlagReply = 0x80;
inline constexpr uint16_t kFlags2ExtendedSecurity = 0x0800;
inline constexpr uint16_t kFlags2NtStatus = 0x4000;
inline constexpr uint16_t kFlags2Unicode = 0x8000;

// [MS-CIFS] 2.2.5.1 TRANS_TRANSACT_NMPIPE
inline constexpr uint16_t kTransTransactNmPipe = 0x0026;
// [MS-CIFS] 2.2.4.43.1 WriteMode bits: a raw-mode message start carries a 2-byte length prefix.
inline constexpr uint16_t kWriteModeRaw = 0x0004;
inline constexpr uint16_t kWriteModeMessageStart = 0x0008;

// [MS-CIFS] 2.2.3.1 SMB header.
struct Header {
    uint8_t command = 0;
    uint32_t status = 0;  // NTSTATUS, or without FLAGS2_NT_STATUS: ErrorClass | ErrorCode << 16
    uint8_t flags = 0;
    uint16_t flags2 = 0;
    uint16_t pid_high = 0;
    uint16_t tid = 0, pid = 0, uid = 0, mid = 0;
    bool isResponse() const { return flags & kFlagReply; }
    bool unicode() const { return flags2 & kFlags2Unicode; }
};
ParseState parseHeader(Bytes msg, Header& out);

// One command of an AndX chain: parameter words and data bytes. `bytes_offset` is where the
// data bytes start relative to the SMB header (Unicode strings are 2-aligned to it).
struct Block {
    uint8_t command = 0;
    uint8_t word_count = 0;
    Bytes words;
    Bytes bytes;
    size_t bytes_offset = 0;
};

// Splits a message into its AndX chain. Invalid when a block lies outside the message or an
// AndXOffset does not move forward; blocks before the bad one are kept. With `truncated` (a
// prefix of a large message) the last block's bytes may be cut short.
ParseState splitAndX(Bytes msg, const Header& h, std::vector<Block>& out, bool truncated = false);

struct NegotiateRequest { std::vector<std::string> dialects; };
ParseState parseNegotiateRequest(const Block& b, NegotiateRequest& out);
struct NegotiateResponse { uint16_t dialect_index = 0xFFFF; };
ParseState parseNegotiateResponse(const Block& b, NegotiateResponse& out);

struct SessionSetupRequest {
    bool extended = false;  // SecurityBlob form (NTLMSSP / SPNEGO)
    Bytes security_blob;
    std::string account, domain, native_os;
    bool empty_password = false;
};
ParseState parseSessionSetupRequest(Bytes msg, const Header& h, const Block& b, SessionSetupRequest& out);
struct SessionSetupResponse { uint16_t action = 0; Bytes security_blob; };
ParseState parseSessionSetupResponse(const Block& b, SessionSetupResponse& out);
inline constexpr uint16_t kActionGuest = 0x0001;

struct TreeConnectRequest { std::string path, service; };
ParseState parseTreeConnectRequest(const Header& h, const Block& b, TreeConnectRequest& out);
struct TreeConnectResponse { std::string service; };  // "IPC", "A:", "LPT1:", "COMM", "?????"
ParseState parseTreeConnectResponse(const Block& b, TreeConnectResponse& out);

struct NtCreateRequest { std::string name; uint32_t desired_access = 0; uint32_t create_disposition = 0; };
ParseState parseNtCreateRequest(const Header& h, const Block& b, NtCreateRequest& out);
// ResourceType ([MS-CIFS] 2.2.4.64.2): 0 disk file, 1 byte-mode pipe, 2 message-mode pipe.
struct NtCreateResponse { uint16_t fid = 0; uint32_t create_action = 0; uint16_t resource_type = 0; };
inline constexpr uint16_t kResourceBytePipe = 1;
inline constexpr uint16_t kResourceMessagePipe = 2;
ParseState parseNtCreateResponse(const Block& b, NtCreateResponse& out);

struct TransactionRequest {
    std::string name;                 // "\PIPE\" for named pipes, "\MAILSLOT\..." otherwise
    std::vector<uint16_t> setup;
    Bytes data;
    uint16_t total_data_count = 0;
    bool beyond_record = false;  // data declared past the message end, clamped (see smb2.h)
};
ParseState parseTransactionRequest(Bytes msg, const Header& h, const Block& b, TransactionRequest& out);
struct TransactionResponse { Bytes data; uint16_t total_data_count = 0; uint16_t data_displacement = 0; bool beyond_record = false; };
ParseState parseTransactionResponse(Bytes msg, const Block& b, TransactionResponse& out);

struct ReadAndXRequest { uint16_t fid = 0; uint64_t offset = 0; uint32_t max_count = 0; };
ParseState parseReadAndXRequest(const Block& b, ReadAndXRequest& out);
struct ReadAndXResponse { uint32_t data_length = 0; Bytes data; bool beyond_record = false; };
ParseState parseReadAndXResponse(Bytes msg, const Block& b, ReadAndXResponse& out, bool truncated = false);

struct WriteAndXRequest { uint16_t fid = 0; uint64_t offset = 0; uint16_t write_mode = 0; uint32_t data_length = 0; Bytes data; bool beyond_record = false; };
// `data` is as sent: on pipes a raw-mode message start still carries its 2-byte length prefix.
ParseState parseWriteAndXRequest(Bytes msg, const Block& b, WriteAndXRequest& out, bool truncated = false);

struct CloseRequest { uint16_t fid = 0; };
ParseState parseCloseRequest(const Block& b, CloseRequest& out);

}  // namespace rpcmon::smb1
