// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/types.h"

#include <cstdio>
#include <cstring>
#include <strings.h>

namespace rpcmon::smb {

namespace {

struct StatusEntry {
    uint32_t code;
    const char* name;
};

// [MS-ERREF] 2.3.1: the statuses SMB servers answer with most often (session setup, tree
// connect, create, pipe I/O). Kept as data, sorted by nothing: the list is short.
constexpr StatusEntry kStatusNames[] = {
    {0x00000000, "STATUS_SUCCESS"},
    {0x00000103, "STATUS_PENDING"},
    {0x0000010B, "STATUS_NOTIFY_CLEANUP"},
    {0x0000010C, "STATUS_NOTIFY_ENUM_DIR"},
    {0x80000005, "STATUS_BUFFER_OVERFLOW"},
    {0x80000006, "STATUS_NO_MORE_FILES"},
    {0x8000001A, "STATUS_NO_MORE_ENTRIES"},
    {0xC0000001, "STATUS_UNSUCCESSFUL"},
    {0xC0000002, "STATUS_NOT_IMPLEMENTED"},
    {0xC0000003, "STATUS_INVALID_INFO_CLASS"},
    {0xC0000008, "STATUS_INVALID_HANDLE"},
    {0xC000000D, "STATUS_INVALID_PARAMETER"},
    {0xC000000F, "STATUS_NO_SUCH_FILE"},
    {0xC0000010, "STATUS_INVALID_DEVICE_REQUEST"},
    {0xC0000011, "STATUS_END_OF_FILE"},
    {0xC0000016, "STATUS_MORE_PROCESSING_REQUIRED"},
    {0xC0000022, "STATUS_ACCESS_DENIED"},
    {0xC0000023, "STATUS_BUFFER_TOO_SMALL"},
    {0xC0000033, "STATUS_OBJECT_NAME_INVALID"},
    {0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {0xC0000035, "STATUS_OBJECT_NAME_COLLISION"},
    {0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND"},
    {0xC0000043, "STATUS_SHARING_VIOLATION"},
    {0xC0000054, "STATUS_FILE_LOCK_CONFLICT"},
    {0xC0000055, "STATUS_LOCK_NOT_GRANTED"},
    {0xC0000056, "STATUS_DELETE_PENDING"},
    {0xC000005F, "STATUS_NO_SUCH_LOGON_SESSION"},
    {0xC0000064, "STATUS_NO_SUCH_USER"},
    {0xC000006A, "STATUS_WRONG_PASSWORD"},
    {0xC000006D, "STATUS_LOGON_FAILURE"},
    {0xC000006E, "STATUS_ACCOUNT_RESTRICTION"},
    {0xC000006F, "STATUS_INVALID_LOGON_HOURS"},
    {0xC0000070, "STATUS_INVALID_WORKSTATION"},
    {0xC0000071, "STATUS_PASSWORD_EXPIRED"},
    {0xC0000072, "STATUS_ACCOUNT_DISABLED"},
    {0xC00000AC, "STATUS_PIPE_NOT_AVAILABLE"},
    {0xC00000AD, "STATUS_INVALID_PIPE_STATE"},
    {0xC00000AE, "STATUS_PIPE_BUSY"},
    {0xC00000B0, "STATUS_PIPE_DISCONNECTED"},
    {0xC00000B1, "STATUS_PIPE_CLOSING"},
    {0xC00000B5, "STATUS_IO_TIMEOUT"},
    {0xC00000BA, "STATUS_FILE_IS_A_DIRECTORY"},
    {0xC00000BB, "STATUS_NOT_SUPPORTED"},
    {0xC00000C9, "STATUS_NETWORK_NAME_DELETED"},
    {0xC00000CC, "STATUS_BAD_NETWORK_NAME"},
    {0xC0000101, "STATUS_DIRECTORY_NOT_EMPTY"},
    {0xC0000120, "STATUS_CANCELLED"},
    {0xC0000128, "STATUS_FILE_CLOSED"},
    {0xC000015B, "STATUS_LOGON_TYPE_NOT_GRANTED"},
    {0xC0000184, "STATUS_INVALID_DEVICE_STATE"},
    {0xC0000193, "STATUS_ACCOUNT_EXPIRED"},
    {0xC0000203, "STATUS_USER_SESSION_DELETED"},
    {0xC0000224, "STATUS_PASSWORD_MUST_CHANGE"},
    {0xC0000225, "STATUS_NOT_FOUND"},
    {0xC0000234, "STATUS_ACCOUNT_LOCKED_OUT"},
    {0xC000035C, "STATUS_NETWORK_SESSION_EXPIRED"},
};

void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::string statusName(uint32_t status) {
    for (const auto& e : kStatusNames)
        if (e.code == status) return e.name;
    char buf[16];
    snprintf(buf, sizeof buf, "0x%08x", status);
    return buf;
}

Magic magicOf(Bytes msg) {
    if (msg.size() < 4 || msg[1] != 'S' || msg[2] != 'M' || msg[3] != 'B') return Magic::None;
    switch (msg[0]) {
    case 0xFF: return Magic::Smb1;
    case 0xFE: return Magic::Smb2;
    case 0xFD: return Magic::Transform;
    case 0xFC: return Magic::Compressed;
    default: return Magic::None;
    }
}

std::string utf16ToUtf8(Bytes b) {
    std::string out;
    out.reserve(b.size() / 2);
    for (size_t i = 0; i + 1 < b.size(); i += 2) {
        uint32_t u = b[i] | (b[i + 1] << 8);
        if (u == 0) break;
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < b.size()) {
            uint32_t lo = b[i + 2] | (b[i + 3] << 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                appendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 2;
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
        appendUtf8(out, u);
    }
    return out;
}

std::string oemToUtf8(Bytes b) {
    std::string out;
    for (uint8_t c : b) {
        if (c == 0) break;
        appendUtf8(out, c);
    }
    return out;
}

std::string shareFromPath(const std::string& path) {
    size_t p = path.find_last_of('\\');
    return p == std::string::npos ? path : path.substr(p + 1);
}

std::string pipeNameFromPath(const std::string& path) {
    std::string s = path;
    while (!s.empty() && (s.front() == '\\' || s.front() == '/')) s.erase(0, 1);
    if (s.size() >= 5 && strncasecmp(s.c_str(), "PIPE", 4) == 0 && (s[4] == '\\' || s[4] == '/'))
        s.erase(0, 5);
    while (!s.empty() && s.front() == '\\') s.erase(0, 1);
    return s;
}

bool isIpcShare(const std::string& share) { return strcasecmp(share.c_str(), "IPC$") == 0; }

}  // namespace rpcmon::smb
