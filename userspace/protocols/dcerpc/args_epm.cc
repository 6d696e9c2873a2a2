// SPDX-License-Identifier: Apache-2.0
// Endpoint mapper (C706 appendix O, [MS-RPCE] 2.2.1.1) argument decoders: ept_map requests name
// the interface a client looks for; ept_map / ept_lookup replies carry the towers rpcmon learns
// dynamic endpoints from.
#include "protocols/dcerpc/args_decoders.h"

#include <cstdio>

namespace rpcmon::dcerpc {
namespace {

std::string ipv4String(const std::array<uint8_t, 4>& a) {
    char b[20];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return b;
}

}  // namespace

bool decodeTower(Bytes octets, TowerEndpoint& t) {
    ByteReader r(octets);
    uint16_t floors = r.le16();
    if (!r.ok() || floors < 3 || floors > kMaxTowerFloors) return false;
    for (uint16_t f = 0; f < floors; f++) {
        uint16_t lhs_len = r.le16();
        Bytes lhs = r.bytes(lhs_len);
        uint16_t rhs_len = r.le16();
        Bytes rhs = r.bytes(rhs_len);
        if (!r.ok() || lhs.empty()) return false;
        uint8_t proto = lhs[0];
        if (f == 0) {
            // Floor 1: 0x0d, interface UUID (LE), major version; rhs minor version.
            if (proto != 0x0d || lhs.size() < 19 || rhs.size() < 2) return false;
            ByteReader u(lhs.subspan(1));
            t.uuid = readUuid(u, true);
            t.ver_major = u.le16();
            t.ver_minor = uint16_t(rhs[0] | rhs[1] << 8);
            continue;
        }
        switch (proto) {
        case 0x07:  // TCP port, big-endian
        case 0x08:  // UDP port
        case 0x1f:  // HTTP port
            if (rhs.size() < 2) return false;
            t.port = uint16_t(rhs[0] << 8 | rhs[1]);
            t.protocol = proto == 0x07 ? "ncacn_ip_tcp" : proto == 0x08 ? "ncadg_ip_udp" : "ncacn_http";
            break;
        case 0x09:  // IPv4 address
            if (rhs.size() < 4) return false;
            t.ipv4 = std::array<uint8_t, 4>{rhs[0], rhs[1], rhs[2], rhs[3]};
            break;
        case 0x0f:  // SMB named pipe
            t.protocol = "ncacn_np";
            t.pipe = latin1ToUtf8(rhs);
            break;
        case 0x10:  // local RPC endpoint
            t.protocol = "ncalrpc";
            t.pipe = latin1ToUtf8(rhs);
            break;
        case 0x11:  // NetBIOS host name
            t.host = latin1ToUtf8(rhs);
            break;
        default: break;  // 0x0d transfer syntax, 0x0b/0x0a/0x0c RPC protocol id
        }
    }
    return true;
}

ArgList towerArgs(const TowerEndpoint& t) {
    ArgList j = {{"uuid", t.uuid.toString()}};
    if (auto* i = findInterface(t.uuid)) j["name"] = i->name;
    char v[16];
    std::snprintf(v, sizeof v, "%u.%u", t.ver_major, t.ver_minor);
    j["version"] = v;
    if (!t.protocol.empty()) j["protocol"] = t.protocol;
    if (t.port) j["port"] = t.port;
    if (t.ipv4) j["address"] = ipv4String(*t.ipv4);
    if (!t.pipe.empty()) j["pipe"] = t.pipe;
    if (!t.host.empty()) j["host"] = t.host;
    return j;
}

}  // namespace rpcmon::dcerpc

namespace rpcmon::dcerpc::decoders {
namespace {

// twr_t: tower_length, conformant octet array ([MS-RPCE] 2.2.1.1.x, C706 Appendix L).
bool readTowerBody(NdrReader& n, TowerEndpoint& t) {
    uint32_t len = n.u32();
    Bytes oct = n.conformantBytes(kMaxBlob);
    if (!n.ok() || oct.size() != len) return false;
    n.align(4);
    return decodeTower(oct, t);
}

DecodeResult eptMapRequest(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    // C706 ept_map: [ptr] object, [ptr] map_tower, entry_handle, max_towers.
    if (n.pointer() != 0) {
        Uuid obj = n.uuid();
        if (!obj.isNil()) out.epm["object"] = obj.toString();
    }
    if (n.pointer() != 0) {
        TowerEndpoint t;
        if (!readTowerBody(n, t)) return DecodeResult::Failed;
        out.epm["uuid"] = t.uuid.toString();
        if (auto* i = findInterface(t.uuid)) out.epm["name"] = i->name;
        if (!t.protocol.empty()) out.epm["protocol"] = t.protocol;
    }
    return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
}

DecodeResult eptTowersResponse(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
    // ept_map: entry_handle, num_towers, towers[] (conformant varying array of twr_p_t).
    // ept_lookup: entry_handle, num_ents, entries[] of {object, tower ptr, annotation}.
    n.contextHandle();
    uint32_t num = n.u32();
    uint32_t max = n.u32(), off = n.u32(), actual = n.u32();
    if (!n.ok() || actual > max || off != 0 || actual != num) return DecodeResult::Failed;
    size_t keep = std::min<size_t>(actual, kMaxTowersPerReply);
    std::vector<uint32_t> ptrs;
    for (uint32_t i = 0; i < actual && n.ok(); i++) {
        if (op == 2) {
            n.uuid();  // object
            ptrs.push_back(n.pointer());
            n.u32();   // annotation offset
            uint32_t alen = n.u32();
            if (alen > 64) return DecodeResult::Failed;  // char annotation[64]
            n.skip(alen);
        } else {
            ptrs.push_back(n.pointer());
        }
        if (i >= kMaxTowersPerReply && op == 3) return DecodeResult::Failed;
    }
    ArgValue::List eps;
    for (size_t i = 0; i < ptrs.size() && i < keep && n.ok(); i++) {
        if (!ptrs[i]) continue;
        TowerEndpoint t;
        if (!readTowerBody(n, t)) return DecodeResult::Failed;
        eps.push_back(towerArgs(t));
        out.endpoints.push_back(std::move(t));
    }
    if (!n.ok()) return DecodeResult::Failed;
    out.epm["endpoints"] = std::move(eps);
    return DecodeResult::Decoded;
}

}  // namespace

const DecoderGroup& epmDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"epm", {3}, eptMapRequest},
        },
        .responses = {
            {"epm", {3, 2}, eptTowersResponse},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
