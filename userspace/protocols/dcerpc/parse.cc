// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/parse.h"

#include <algorithm>
#include <cstring>

#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/ndr.h"

namespace rpcmon::dcerpc {

std::optional<DcerpcAnomaly> headerAnomaly(HeaderError e) {
    switch (e) {
    case HeaderError::None: break;
    case HeaderError::BadVersion: return DcerpcAnomaly::BadVersion;
    case HeaderError::FragLenInvalid: return DcerpcAnomaly::FragLenInvalid;
    case HeaderError::AuthLenInvalid: return DcerpcAnomaly::AuthLenInvalid;
    case HeaderError::BadPtype: return DcerpcAnomaly::BadPtype;
    }
    return std::nullopt;
}

const char* anomalyName(HeaderError e) {
    std::optional<DcerpcAnomaly> a = headerAnomaly(e);
    return a ? counterName(*a) : nullptr;
}

namespace {

// Reads u16/u32 in the PDU's byte order.
struct EReader {
    ByteReader r;
    bool le;
    uint16_t u16() { return le ? r.le16() : r.be16(); }
    uint32_t u32() { return le ? r.le32() : r.be32(); }
};

HeaderError checkHeader(const CommonHeader& h) {
    // C706 12.6.3.1: rpc_vers 5; minor 0 or 1 ([MS-RPCE] 2.2.2.1 uses 5.0 and 5.1).
    if (h.rpc_vers != 5 || h.rpc_vers_minor > 1) return HeaderError::BadVersion;
    if (!isConnectionOrientedType(h.ptype)) return HeaderError::BadPtype;
    // drep[0]: integer representation nibble must be 0 or 1; floating point rep (drep[1]) 0-3.
    if ((h.drep[0] & 0xe0) != 0 || (h.drep[0] & 0x0e) != 0 || h.drep[1] > 3) return HeaderError::BadVersion;
    if (h.frag_length < kCommonHeaderSize) return HeaderError::FragLenInvalid;
    if (h.auth_length != 0 &&
        size_t(h.auth_length) + kSecTrailerSize + kCommonHeaderSize > h.frag_length)
        return HeaderError::AuthLenInvalid;
    return HeaderError::None;
}

SyntaxId readSyntax(EReader& e) {
    SyntaxId s;
    s.uuid = readUuid(e.r, e.le);
    s.ver_major = e.u16();
    s.ver_minor = e.u16();
    return s;
}

}  // namespace

ParseState parseCommonHeader(Bytes data, CommonHeader& h, HeaderError* err) {
    if (err) *err = HeaderError::None;
    if (data.size() < kCommonHeaderSize) return ParseState::NeedsMoreData;
    h.rpc_vers = data[0];
    h.rpc_vers_minor = data[1];
    h.ptype = data[2];
    h.pfc_flags = data[3];
    std::memcpy(h.drep, data.data() + 4, 4);
    EReader e{ByteReader(data.subspan(8, 8)), h.littleEndian()};
    h.frag_length = e.u16();
    h.auth_length = e.u16();
    h.call_id = e.u32();
    HeaderError he = checkHeader(h);
    if (he != HeaderError::None) {
        if (err) *err = he;
        return ParseState::Invalid;
    }
    return ParseState::Success;
}

ParseState parsePdu(Bytes data, Pdu& pdu, HeaderError* err) {
    ParseState st = parseCommonHeader(data, pdu.hdr, err);
    if (st != ParseState::Success) return st;
    const CommonHeader& h = pdu.hdr;
    if (data.size() < h.frag_length) return ParseState::NeedsMoreData;
    Bytes frag = data.first(h.frag_length);
    size_t body_end = h.frag_length;
    pdu.auth.reset();
    if (h.auth_length > 0) {
        size_t trailer = h.frag_length - h.auth_length - kSecTrailerSize;  // checked >= 16
        AuthVerifier av;
        EReader e{ByteReader(frag.subspan(trailer)), h.littleEndian()};
        av.auth_type = e.r.u8();
        av.auth_level = e.r.u8();
        av.auth_pad_length = e.r.u8();
        e.r.u8();  // auth_reserved
        av.auth_context_id = e.u32();
        av.token = e.r.bytes(h.auth_length);
        // The pad sits between the stub and the trailer; it cannot reach into the header.
        if (!e.r.ok() || av.auth_pad_length > trailer - kCommonHeaderSize) {
            if (err) *err = HeaderError::AuthLenInvalid;
            return ParseState::Invalid;
        }
        body_end = trailer - av.auth_pad_length;
        pdu.auth = av;
    }
    pdu.body = frag.subspan(kCommonHeaderSize, body_end - kCommonHeaderSize);
    return ParseState::Success;
}

std::optional<size_t> findPduBoundary(Bytes data) {
    for (size_t i = 0; i + kCommonHeaderSize <= data.size(); i++) {
        if (data[i] != 5) continue;
        CommonHeader h;
        if (parseCommonHeader(data.subspan(i), h) != ParseState::Success) continue;
        // A fragment start must also carry sane flags for its type: requests and responses
        // after a gap are accepted only as first fragments, so reassembly restarts cleanly.
        if ((h.ptype == 0 || h.ptype == 2) && !h.first()) continue;
        return i;
    }
    return std::nullopt;
}

ParseState parseBind(const Pdu& pdu, BindBody& out) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    out.max_xmit_frag = e.u16();
    out.max_recv_frag = e.u16();
    out.assoc_group_id = e.u32();
    uint8_t n = e.r.u8();
    e.r.skip(3);
    if (!e.r.ok()) return ParseState::Invalid;
    if (n > kMaxContextItems) return ParseState::Invalid;
    // Each item needs at least 4 + 20 bytes: reject counts the body cannot hold before looping.
    if (size_t(n) * 24 > e.r.remaining()) return ParseState::Invalid;
    out.items.clear();
    out.items.reserve(n);
    for (unsigned i = 0; i < n; i++) {
        ContextItem it;
        it.context_id = e.u16();
        uint8_t ntrans = e.r.u8();
        e.r.u8();
        if (ntrans > kMaxTransferSyntaxes) return ParseState::Invalid;
        it.abstract = readSyntax(e);
        for (unsigned t = 0; t < ntrans; t++) it.transfer.push_back(readSyntax(e));
        if (!e.r.ok()) return ParseState::Invalid;
        out.items.push_back(std::move(it));
    }
    return ParseState::Success;
}

ParseState parseBindAck(const Pdu& pdu, BindAckBody& out) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    out.max_xmit_frag = e.u16();
    out.max_recv_frag = e.u16();
    out.assoc_group_id = e.u32();
    uint16_t addr_len = e.u16();
    if (!e.r.ok() || addr_len > kMaxSecondaryAddr) return ParseState::Invalid;
    out.secondary_addr = latin1ToUtf8(e.r.bytes(addr_len));
    // The result list is 4-aligned from the PDU start; the body starts at 16 so body offsets align.
    e.r.align(4);
    uint8_t n = e.r.u8();
    e.r.skip(3);
    if (!e.r.ok() || n > kMaxContextItems || size_t(n) * 24 > e.r.remaining()) return ParseState::Invalid;
    out.results.clear();
    for (unsigned i = 0; i < n; i++) {
        ContextResultItem r;
        r.result = e.u16();
        r.reason = e.u16();
        r.transfer = readSyntax(e);
        if (!e.r.ok()) return ParseState::Invalid;
        out.results.push_back(r);
    }
    return ParseState::Success;
}

ParseState parseBindNak(const Pdu& pdu, uint16_t& reason) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    reason = e.u16();
    return e.r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseRequest(const Pdu& pdu, RequestBody& out) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    out.alloc_hint = e.u32();
    out.context_id = e.u16();
    out.opnum = e.u16();
    out.object.reset();
    if (pdu.hdr.pfc_flags & PFC_OBJECT_UUID) out.object = readUuid(e.r, e.le);
    if (!e.r.ok()) return ParseState::Invalid;
    out.stub = e.r.rest();
    return ParseState::Success;
}

ParseState parseResponse(const Pdu& pdu, ResponseBody& out) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    out.alloc_hint = e.u32();
    out.context_id = e.u16();
    out.cancel_count = e.r.u8();
    e.r.u8();
    if (!e.r.ok()) return ParseState::Invalid;
    out.stub = e.r.rest();
    return ParseState::Success;
}

ParseState parseFault(const Pdu& pdu, ResponseBody& out) {
    EReader e{ByteReader(pdu.body), pdu.hdr.littleEndian()};
    out.alloc_hint = e.u32();
    out.context_id = e.u16();
    out.cancel_count = e.r.u8();
    e.r.u8();
    out.status = e.u32();
    return e.r.ok() ? ParseState::Success : ParseState::Invalid;
}

ParseState parseNtlmssp(Bytes token, NtlmMessage& out) {
    static constexpr uint8_t kSig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    auto it = std::search(token.begin(), token.end(), std::begin(kSig), std::end(kSig));
    if (it == token.end()) return ParseState::Invalid;
    Bytes msg = token.subspan(size_t(it - token.begin()));
    ByteReader r(msg);
    r.skip(8);
    out.type = r.le32();
    if (!r.ok()) return ParseState::Invalid;
    if (out.type != 3) return ParseState::Success;
    // [MS-NLMP] 2.2.1.3 AUTHENTICATE_MESSAGE: six 8-byte field descriptors, then flags.
    struct Field { uint16_t len; uint32_t off; };
    Field f[6];
    for (auto& x : f) {
        x.len = r.le16();
        r.le16();  // MaxLen
        x.off = r.le32();
    }
    uint32_t flags = r.le32();
    if (!r.ok()) return ParseState::Invalid;
    bool unicode = flags & 0x00000001;  // NTLMSSP_NEGOTIATE_UNICODE
    auto str = [&](const Field& x) -> std::string {
        if (x.len == 0 || x.off > msg.size() || x.len > msg.size() - x.off) return {};
        Bytes b = msg.subspan(x.off, x.len);
        return unicode ? utf16leToUtf8(b) : latin1ToUtf8(b);
    };
    out.domain = str(f[2]);
    out.user = str(f[3]);
    out.workstation = str(f[4]);
    return ParseState::Success;
}

ParseState parseClPdu(Bytes d, ClHeader& h, Bytes& body) {
    if (d.size() < kClHeaderSize) return ParseState::Invalid;
    ByteReader r(d);
    h.rpc_vers = r.u8();
    h.ptype = r.u8();
    h.flags1 = r.u8();
    h.flags2 = r.u8();
    for (auto& x : h.drep) x = r.u8();
    r.u8();  // serial_hi
    // C706 12.5.1: version 4; CL PDU types are 0-10.
    if (h.rpc_vers != 4 || h.ptype > uint8_t(PduType::CancelAck)) return ParseState::Invalid;
    if ((h.drep[0] & 0xe0) != 0 || (h.drep[0] & 0x0e) != 0) return ParseState::Invalid;
    EReader e{ByteReader(d.subspan(8)), h.littleEndian()};
    h.object = readUuid(e.r, e.le);
    h.if_id = readUuid(e.r, e.le);
    h.activity = readUuid(e.r, e.le);
    h.server_boot = e.u32();
    uint32_t vers = e.u32();
    h.if_ver_major = uint16_t(vers & 0xffff);
    h.if_ver_minor = uint16_t(vers >> 16);
    h.seqnum = e.u32();
    h.opnum = e.u16();
    h.ihint = e.u16();
    h.ahint = e.u16();
    h.len = e.u16();
    h.fragnum = e.u16();
    h.auth_proto = e.r.u8();
    if (!e.r.ok() || size_t(h.len) > d.size() - kClHeaderSize) return ParseState::Invalid;
    body = d.subspan(kClHeaderSize, h.len);
    return ParseState::Success;
}

}  // namespace rpcmon::dcerpc
