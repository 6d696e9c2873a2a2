// SPDX-License-Identifier: Apache-2.0
// NDR 2.0 (C706 chapter 14) and NDR64 ([MS-RPCE] 2.2.5) read helpers for stub data:
// primitives in the negotiated byte order, alignment measured from the start of the stub,
// unique/ref pointers, conformant varying strings. Failures latch (like ByteReader); callers
// check ok() once. NDR64 differs where decoders care: pointers, conformance/variance counts
// and __int3264 are 8 bytes (8-aligned), enums are 4 bytes, structs holding pointers align to 8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/byte_reader.h"
#include "protocols/dcerpc/types.h"

namespace rpcmon::dcerpc {

// A wide string longer than UNICODE_STRING's maximum (32767 UTF-16 units, [MS-DTYP] 2.3.10)
// is not a Windows string: treat it as malformed rather than allocating for it.
constexpr uint32_t kMaxNdrStringUnits = 32767;

// UTF-16LE → UTF-8; stops at the first NUL; unpaired surrogates become U+FFFD.
std::string utf16leToUtf8(Bytes b);
// Single-byte characters (OEM/ASCII) → string, stopping at NUL; bytes >= 0x80 are kept as Latin-1.
std::string latin1ToUtf8(Bytes b);

// Reads a UUID in the byte order given by the data representation (C706 Appendix A: d1..d3 are
// integers, d4 an octet array).
Uuid readUuid(ByteReader& r, bool little_endian);

class NdrReader {
public:
    NdrReader(Bytes stub, bool little_endian, bool ndr64 = false)
        : r_(stub), le_(little_endian), ndr64_(ndr64) {}

    bool ndr64() const { return ndr64_; }

    bool ok() const { return r_.ok(); }
    void fail() { r_.fail(); }
    size_t offset() const { return r_.offset(); }
    size_t remaining() const { return r_.remaining(); }
    ByteReader& raw() { return r_; }

    bool align(size_t a) { return r_.align(a); }
    bool skip(size_t n) { return r_.skip(n); }
    Bytes bytes(size_t n) { return r_.bytes(n); }

    uint8_t u8() { return r_.u8(); }
    uint16_t u16() { r_.align(2); return le_ ? r_.le16() : r_.be16(); }
    uint32_t u32() { r_.align(4); return le_ ? r_.le32() : r_.be32(); }
    uint64_t u64() { r_.align(8); return le_ ? r_.le64() : r_.be64(); }
    Uuid uuid() { r_.align(4); return readUuid(r_, le_); }

    // A context handle ([MS-RPCE] 2.2.5.2.1 / C706 ndr_context_handle): 20 opaque bytes.
    void contextHandle() { r_.align(4); r_.skip(20); }
    // Unique or full pointer: nonzero (the referent id in NDR 2.0) unless NULL.
    uint32_t pointer() {
        if (!ndr64_) return u32();
        return u64() != 0 ? 1u : 0u;
    }
    // Conformance / variance count (max_count, offset, actual_count).
    uint32_t count() {
        if (!ndr64_) return u32();
        uint64_t v = u64();
        if (v > 0xffffffffull) fail();
        return uint32_t(v);
    }
    // A plain (16-bit in NDR 2.0) enum.
    uint32_t enum16() { return ndr64_ ? u32() : u16(); }
    // __int3264 / DWORD_PTR / ULONG_PTR.
    uint64_t int3264() { return ndr64_ ? u64() : u32(); }
    // Start of a struct that contains pointers.
    bool structAlign() { return align(ndr64_ ? 8 : 4); }

    // [string] wchar_t* body (conformant varying array): max_count, offset, actual_count, units.
    std::string wstringBody();
    // [string] char* body.
    std::string cstringBody();
    // [unique, string] wchar_t*: pointer then the body when not NULL.
    std::optional<std::string> uniqueWString();
    std::optional<std::string> uniqueCString();

    // RPC_UNICODE_STRING / RRP_UNICODE_STRING ([MS-DTYP] 2.3.10) header: Length, MaximumLength,
    // Buffer pointer. Returns the referent id; the body follows where the pointer is deferred.
    uint32_t unicodeStringHeader();
    // The deferred body of an RPC_UNICODE_STRING (conformant varying array, not NUL-terminated).
    std::string unicodeStringBody() { return wstringBody(); }

    // Conformant byte array (max_count + bytes), bounded by `max`.
    Bytes conformantBytes(uint32_t max);

private:
    ByteReader r_;
    bool le_;
    bool ndr64_;
};

}  // namespace rpcmon::dcerpc
