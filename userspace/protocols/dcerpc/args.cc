// SPDX-License-Identifier: Apache-2.0
// Wire layouts are taken from the IDL in each protocol's specification; each decoder names
// the section. Only NDR 2.0 is decoded (NDR64 contexts skip argument decoding).
#include "protocols/dcerpc/args.h"

#include <cstdio>

#include "protocols/dcerpc/ndr.h"

namespace rpcmon::dcerpc {
namespace {

// Largest opaque blob (MInterfacePointer, tower, activation properties) we will walk: DCOM
// activation blobs are a few hundred bytes; towers ~75 bytes.
constexpr uint32_t kMaxBlob = 64 * 1024;
// ORPC extensions per ORPCTHIS ([MS-DCOM] 2.2.21): Windows sends at most 2 (error info, debug).
constexpr uint32_t kMaxOrpcExtents = 16;
// DUALSTRINGARRAY entries ([MS-DCOM] 2.2.19.1): wNumEntries is a u16; bound before reading.
constexpr uint32_t kMaxDualStringEntries = 8192;

std::string hex64(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
    return b;
}

std::string trimNul(std::string s) {
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

// [MS-DCOM] 2.2.13.1 ORPCTHIS: version, flags, reserved1, cid, unique ORPC_EXTENT_ARRAY*.
bool readOrpcThis(NdrReader& n, Uuid& cid) {
    n.u16();
    n.u16();
    n.u32();
    n.u32();
    cid = n.uuid();
    if (n.pointer() != 0) {
        n.u32();  // size
        n.u32();  // reserved
        if (n.pointer() != 0) {
            uint32_t count = n.u32();
            if (!n.ok() || count > kMaxOrpcExtents) return false;
            std::vector<uint32_t> ptrs;
            for (uint32_t i = 0; i < count; i++) ptrs.push_back(n.pointer());
            for (uint32_t p : ptrs) {
                if (!p) continue;
                uint32_t max = n.u32();  // conformant struct ORPC_EXTENT: max_count hoisted
                n.uuid();
                n.u32();
                if (!n.ok() || max > kMaxBlob) return false;
                n.skip(max);
            }
        }
    }
    return n.ok();
}

// MInterfacePointer ([MS-DCOM] 2.2.14): conformant struct {ulCntData; abData[ulCntData]}.
Bytes readInterfacePointerBody(NdrReader& n) {
    uint32_t max = n.u32();
    uint32_t cnt = n.u32();
    if (!n.ok() || max > kMaxBlob || cnt > max) {
        n.fail();
        return {};
    }
    return n.bytes(cnt);
}

// CLSID of the object being created, from an OBJREF_CUSTOM carrying ActivationPropertiesIn
// ([MS-DCOM] 2.2.18.6 / 2.2.22): the InstantiationInfoData property's classId.
std::optional<Uuid> activationClsid(Bytes objref) {
    ByteReader r(objref);
    if (r.le32() != 0x574f454d) return std::nullopt;  // 'MEOW'
    if (r.le32() != 4) return std::nullopt;           // OBJREF_CUSTOM
    r.skip(16);                                       // iid
    r.skip(16);                                       // clsid of the unmarshaler
    r.le32();                                         // cbExtension
    r.le32();                                         // size
    Bytes blob = r.rest();
    if (!r.ok()) return std::nullopt;
    ByteReader b(blob);
    b.le32();  // dwSize
    b.le32();  // dwReserved
    size_t header_start = b.offset();
    b.skip(16);  // CommonTypeHeader + PrivateHeader ([MS-RPCE] 2.2.6)
    if (!b.ok()) return std::nullopt;
    NdrReader n(b.rest(), true);
    n.u32();  // totalSize
    uint32_t header_size = n.u32();
    n.u32();  // dwReserved
    n.u32();  // destCtx
    uint32_t cifs = n.u32();
    n.uuid();  // classInfoClsid
    uint32_t pclsid = n.pointer(), psizes = n.pointer(), pres = n.pointer();
    if (!n.ok() || cifs > 64) return std::nullopt;
    std::vector<Uuid> clsids;
    std::vector<uint32_t> sizes;
    if (pclsid) {
        if (n.u32() != cifs) return std::nullopt;
        for (uint32_t i = 0; i < cifs; i++) clsids.push_back(n.uuid());
    }
    if (psizes) {
        if (n.u32() != cifs) return std::nullopt;
        for (uint32_t i = 0; i < cifs; i++) sizes.push_back(n.u32());
    }
    (void)pres;
    if (!n.ok() || clsids.size() != cifs || sizes.size() != cifs) return std::nullopt;
    Uuid instantiation;
    Uuid::parse("000001ab-0000-0000-c000-000000000046", instantiation);
    size_t off = header_start + header_size;
    for (uint32_t i = 0; i < cifs; i++) {
        if (clsids[i] == instantiation) {
            ByteReader p(blob);
            if (!p.seek(off) || !p.skip(16)) return std::nullopt;  // property's own headers
            Uuid c = readUuid(p, true);
            if (!p.ok()) return std::nullopt;
            return c;
        }
        off += sizes[i];
    }
    return std::nullopt;
}

// DUALSTRINGARRAY ([MS-DCOM] 2.2.19.1): string bindings then security bindings.
bool readDualStringArray(NdrReader& n, CallArgs& out) {
    uint32_t max = n.u32();
    uint16_t num = n.u16();
    uint16_t sec_off = n.u16();
    if (!n.ok() || num > kMaxDualStringEntries || num > max || sec_off > num) return false;
    std::vector<uint16_t> a(num);
    for (auto& x : a) x = n.u16();
    if (!n.ok()) return false;
    Json bindings = Json::array();
    size_t i = 0;
    while (i < sec_off && a[i] != 0 && bindings.size() < kMaxDcomBindings) {
        uint16_t tower = a[i++];
        std::string addr;
        while (i < sec_off && a[i] != 0) {
            uint16_t c = a[i++];
            addr += c < 0x80 ? char(c) : '?';
        }
        i++;  // NUL
        DcomBinding db;
        switch (tower) {
        case 0x07: db.protocol = "ncacn_ip_tcp"; break;
        case 0x08: db.protocol = "ncadg_ip_udp"; break;
        case 0x0f: db.protocol = "ncacn_np"; break;
        case 0x1f: db.protocol = "ncacn_http"; break;
        default: {
            char t[16];
            std::snprintf(t, sizeof t, "tower_0x%02x", tower);
            db.protocol = t;
        }
        }
        db.address = addr;
        auto lb = addr.find('[');
        if (lb != std::string::npos && addr.back() == ']') {
            db.address = addr.substr(0, lb);
            unsigned long p = std::strtoul(addr.c_str() + lb + 1, nullptr, 10);
            if (p > 0 && p < 65536) db.port = uint16_t(p);
        }
        bindings.push_back(db.protocol + ":" + addr);
        out.dcom_bindings.push_back(std::move(db));
    }
    Json sec = Json::array();
    i = sec_off;
    while (i < num && a[i] != 0 && sec.size() < kMaxDcomBindings) {
        uint16_t authn = a[i++];
        i++;  // wAuthzSvc (reserved)
        std::string princ;
        while (i < num && a[i] != 0) {
            uint16_t c = a[i++];
            princ += c < 0x80 ? char(c) : '?';
        }
        i++;
        Json s = {{"authn_svc", authTypeName(uint8_t(authn))}};
        if (!princ.empty()) s["principal"] = princ;
        sec.push_back(std::move(s));
    }
    out.dcom["bindings"] = std::move(bindings);
    if (!sec.empty()) out.dcom["security_bindings"] = std::move(sec);
    return true;
}

// twr_t: tower_length, conformant octet array ([MS-RPCE] 2.2.1.1.x, C706 Appendix L).
bool readTowerBody(NdrReader& n, TowerEndpoint& t) {
    uint32_t len = n.u32();
    Bytes oct = n.conformantBytes(kMaxBlob);
    if (!n.ok() || oct.size() != len) return false;
    n.align(4);
    return decodeTower(oct, t);
}

std::string ipv4String(const std::array<uint8_t, 4>& a) {
    char b[20];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return b;
}

// Task XML ([MS-TSCH] 2.5): the Exec action's command and arguments, for the record.
std::string xmlElement(const std::string& xml, const char* tag) {
    std::string open = std::string("<") + tag + ">", close = std::string("</") + tag + ">";
    auto a = xml.find(open);
    if (a == std::string::npos) return {};
    a += open.size();
    auto b = xml.find(close, a);
    if (b == std::string::npos) return {};
    return xml.substr(a, b - a);
}

// RPC_DRIVER_INFO_N sizes in NDR 2.0 ([MS-RPRN] 2.2.1.5.x): pointers are 4 bytes; levels 6 and
// 8 contain FILETIME/DWORDLONG and are 8-aligned. The deferred strings follow the struct.
size_t driverInfoSize(uint32_t level) {
    switch (level) {
    case 2: return 24;
    case 3: return 44;
    case 4: return 52;
    case 6: return 88;
    case 8: return 136;
    }
    return 0;
}

// DRIVER_CONTAINER ([MS-RPRN] 2.2.1.2.3): Level, union tag, unique pointer to DRIVER_INFO.
DecodeResult driverContainer(NdrReader& n, Json& a) {
    uint32_t level = n.u32();
    uint32_t tag = n.u32();
    uint32_t ptr = n.pointer();
    if (!n.ok() || tag != level) return DecodeResult::Failed;
    a["level"] = level;
    size_t size = driverInfoSize(level);
    if (!ptr || size == 0) return DecodeResult::Decoded;
    if (level >= 6) n.align(8);
    size_t start = n.offset();
    n.u32();  // cVersion
    uint32_t p[5];
    for (auto& x : p) x = n.pointer();
    if (!n.ok() || !n.skip(size - (n.offset() - start))) return DecodeResult::Failed;
    static const char* const kNames[5] = {"driver_name", "environment", "driver_path",
                                          "data_file", "config_file"};
    for (int i = 0; i < 5; i++) {
        if (!p[i]) continue;
        std::string s = n.wstringBody();
        if (!n.ok()) return DecodeResult::Failed;
        a[kNames[i]] = s;
    }
    return DecodeResult::Decoded;
}

bool allZero(Bytes b) {
    for (uint8_t c : b)
        if (c) return false;
    return true;
}

// The ulong an [out] parameter list ends with, just before the 4-byte return status (NDR aligns
// both to 4, so they are the stub's last 8 bytes); nullopt when the stub cannot hold them.
std::optional<uint32_t> wordBeforeStatus(Bytes stub, bool le) {
    if (stub.size() < 8 || stub.size() % 4) return std::nullopt;
    ByteReader r(stub.subspan(stub.size() - 8, 4));
    return le ? r.le32() : r.be32();
}

DecodeResult finish(NdrReader& n, CallArgs& out, Json&& a) {
    if (!n.ok()) return DecodeResult::Failed;
    for (auto& [k, v] : a.items()) out.args[k] = v;
    return DecodeResult::Decoded;
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

Json towerToJson(const TowerEndpoint& t) {
    Json j = {{"uuid", t.uuid.toString()}};
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

void ArgsDecoder::rememberKey(Bytes handle, const std::string& name) {
    if (handle.size() != 20) return;
    Handle h;
    std::copy(handle.begin(), handle.end(), h.begin());
    if (reg_keys_.size() >= kMaxRegistryHandles && !reg_keys_.count(h)) reg_keys_.erase(reg_keys_.begin());
    reg_keys_[h] = name;
}

std::string ArgsDecoder::keyName(Bytes handle) const {
    if (handle.size() != 20) return {};
    Handle h;
    std::copy(handle.begin(), handle.end(), h.begin());
    auto it = reg_keys_.find(h);
    return it == reg_keys_.end() ? std::string{} : it->second;
}

DecodeResult ArgsDecoder::request(const InterfaceInfo& iface, uint16_t op, Bytes stub, bool le,
                                  CallArgs& out, bool ndr64) {
    NdrReader n(stub, le, ndr64);
    Json a = Json::object();
    const std::string_view name = iface.name;
    // NDR64 layouts are implemented for the string-argument decoders only; DCOM and the
    // endpoint mapper always use NDR 2.0, and drsuapi / driver containers are NDR 2.0 here.
    if (ndr64 && (iface.orpc || name == "epm" || name == "IObjectExporter" || name == "drsuapi" ||
                  (name == "spoolss" && (op == 9 || op == 89)) || (name == "IRemoteWinspool" && op == 39)))
        return DecodeResult::NotApplicable;

    if (iface.orpc) {
        // Every ORPC request starts with ORPCTHIS; its causality id ties calls of one activity.
        Uuid cid;
        if (!readOrpcThis(n, cid)) return DecodeResult::Failed;
        out.dcom["causality_id"] = cid.toString();
        if (name == "IActivation" && op == 0) {
            // [MS-DCOM] 3.1.2.5.2.3.1 RemoteActivation: Clsid, pwszObjectName, ...
            Uuid clsid = n.uuid();
            auto obj = n.uniqueWString();
            if (!n.ok()) return DecodeResult::Failed;
            out.dcom["clsid"] = clsid.toString();
            if (auto cn = className(clsid); !cn.empty()) out.dcom["class_name"] = cn;
            if (obj) a["object_name"] = *obj;
        } else if (name == "ISystemActivator" && (op == 3 || op == 4)) {
            // 3.1.2.5.2.3.2/3 RemoteGetClassObject / RemoteCreateInstance:
            // [unique] pUnkOuter (RemoteCreateInstance only), [unique] pActProperties.
            if (op == 4 && n.pointer() != 0) readInterfacePointerBody(n);
            if (n.pointer() != 0) {
                Bytes objref = readInterfacePointerBody(n);
                if (!n.ok()) return DecodeResult::Failed;
                auto clsid = activationClsid(objref);
                if (!clsid) return DecodeResult::Failed;
                out.dcom["clsid"] = clsid->toString();
                if (auto cn = className(*clsid); !cn.empty()) out.dcom["class_name"] = cn;
            }
        } else {
            return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
        }
        return finish(n, out, std::move(a));
    }

    if (name == "lsarpc" && (op == 14 || op == 15 || op == 57 || op == 58 || op == 68 || op == 76 || op == 77)) {
        // [MS-LSAT] 3.1.4.x LsarLookupSids/2/3 and LsarLookupNames/2/3/4: a policy handle
        // (not for the *3/4 variants on a plain binding handle), then the count of SIDs
        // (LSAPR_SID_ENUM_BUFFER.Entries) or names. One call can look up thousands: the count
        // is what SID-enumeration detections weigh.
        if (op != 76 && op != 77) n.contextHandle();
        uint32_t count = n.u32();
        if (!n.ok()) return DecodeResult::Failed;
        a[(op == 15 || op == 57 || op == 76) ? "sid_count" : "name_count"] = count;
        return finish(n, out, std::move(a));
    }
    if (name == "srvsvc" && op == 31) {
        // [MS-SRVS] 3.1.4.30 NetprPathCanonicalize: ServerName, PathName, OutbufLen, Prefix, ...
        auto server = n.uniqueWString();
        std::string path = n.wstringBody();
        n.u32();
        std::string prefix = n.wstringBody();
        if (server) a["server"] = *server;
        a["path"] = path;
        a["prefix"] = prefix;
        return finish(n, out, std::move(a));
    }
    if (name == "svcctl" && (op == 12 || op == 24 || op == 44 || op == 45)) {
        // [MS-SCMR] 3.1.4.12 RCreateServiceW (A: 3.1.4.24): hSCManager, lpServiceName,
        // lpDisplayName, access, type, start type, error control, lpBinaryPathName, ...
        bool wide = op == 12 || op == 45;
        n.contextHandle();
        std::string svc = wide ? n.wstringBody() : n.cstringBody();
        auto disp = wide ? n.uniqueWString() : n.uniqueCString();
        n.u32();
        uint32_t type = n.u32(), start = n.u32();
        n.u32();
        std::string bin = wide ? n.wstringBody() : n.cstringBody();
        a["service_name"] = svc;
        if (disp) a["display_name"] = *disp;
        a["binary_path"] = bin;
        a["service_type"] = type;
        a["start_type"] = start;
        return finish(n, out, std::move(a));
    }
    if (name == "svcctl" && (op == 11 || op == 23)) {
        // 3.1.4.11 RChangeServiceConfigW: hService, type, start, error, [unique] lpBinaryPathName
        n.contextHandle();
        n.u32();
        uint32_t start = n.u32();
        n.u32();
        auto bin = op == 11 ? n.uniqueWString() : n.uniqueCString();
        if (bin) a["binary_path"] = *bin;
        a["start_type"] = start;
        return finish(n, out, std::move(a));
    }
    if (name == "svcctl" && (op == 16 || op == 28)) {
        // 3.1.4.16 ROpenServiceW: hSCManager, lpServiceName, dwDesiredAccess.
        n.contextHandle();
        a["service_name"] = op == 16 ? n.wstringBody() : n.cstringBody();
        return finish(n, out, std::move(a));
    }
    if (name == "atsvc" && op == 0) {
        // [MS-TSCH] 3.2.5.2.1 NetrJobAdd: ServerName, AT_INFO {JobTime, DaysOfMonth,
        // DaysOfWeek, Flags, [string] Command}.
        auto server = n.uniqueWString();
        n.structAlign();
        n.int3264();  // JobTime (DWORD_PTR)
        n.u32();      // DaysOfMonth
        n.u8();       // DaysOfWeek
        n.u8();       // Flags
        uint32_t cmd = n.pointer();
        if (server) a["server"] = *server;
        if (cmd) a["command"] = n.wstringBody();
        return finish(n, out, std::move(a));
    }
    if (name == "ITaskSchedulerService" && op == 1) {
        // [MS-TSCH] 3.2.5.4.2 SchRpcRegisterTask: [unique] path, xml, flags, [unique] sddl, ...
        auto path = n.uniqueWString();
        std::string xml = n.wstringBody();
        uint32_t flags = n.u32();
        if (path) a["path"] = *path;
        a["xml_length"] = xml.size();
        a["flags"] = flags;
        if (auto c = xmlElement(xml, "Command"); !c.empty()) a["command"] = c;
        if (auto c = xmlElement(xml, "Arguments"); !c.empty()) a["arguments"] = c;
        return finish(n, out, std::move(a));
    }
    if (name == "ITaskSchedulerService" && (op == 12 || op == 13 || op == 2)) {
        // SchRpcRun / SchRpcDelete / SchRpcRetrieveTask: [string] path first.
        a["path"] = n.wstringBody();
        return finish(n, out, std::move(a));
    }
    if (name == "winreg" && (op == 15 || op == 6)) {
        // [MS-RRP] 3.1.5.16 BaseRegOpenKey / 3.1.5.7 BaseRegCreateKey: hKey, lpSubKey, ...
        n.align(4);
        Bytes h = n.bytes(20);
        uint32_t p = n.unicodeStringHeader();
        std::string sub = p ? trimNul(n.unicodeStringBody()) : std::string{};
        if (!n.ok()) return DecodeResult::Failed;
        std::string parent = keyName(h);
        a["key"] = parent.empty() ? sub : parent + "\\" + sub;
        return finish(n, out, std::move(a));
    }
    if (name == "winreg" && (op == 20 || op == 31)) {
        // 3.1.5.20 BaseRegSaveKey / 3.1.5.30 BaseRegSaveKeyEx: hKey, lpFile, ...
        n.align(4);
        Bytes h = n.bytes(20);
        uint32_t p = n.unicodeStringHeader();
        std::string file = p ? trimNul(n.unicodeStringBody()) : std::string{};
        if (!n.ok()) return DecodeResult::Failed;
        if (auto k = keyName(h); !k.empty()) a["key"] = k;
        a["file"] = file;
        return finish(n, out, std::move(a));
    }
    if (name == "drsuapi" && op == 3) {
        // [MS-DRSR] 4.1.10 IDL_DRSGetNCChanges: hDrs, dwInVersion, union DRS_MSG_GETCHGREQ.
        n.contextHandle();
        uint32_t ver = n.u32();
        uint32_t tag = n.u32();
        if (!n.ok() || tag != ver) return DecodeResult::Failed;
        a["version"] = ver;
        if (ver != 5 && ver != 8 && ver != 10) return finish(n, out, std::move(a));
        n.align(8);
        n.uuid();  // uuidDsaObjDest
        n.uuid();  // uuidInvocIdSrc
        uint32_t pnc = n.pointer();
        n.align(8);
        n.skip(24);  // usnvecFrom
        n.pointer(); // pUpToDateVecDest
        n.u32();     // ulFlags
        n.u32();     // cMaxObjects
        n.u32();     // cMaxBytes
        uint32_t exop = n.u32();
        n.u64();     // liFsmoInfo
        if (ver >= 8) {
            n.pointer();  // pPartialAttrSet
            n.pointer();  // pPartialAttrSetEx
            n.u32();      // PrefixTableDest.PrefixCount
            n.pointer();  // PrefixTableDest.pPrefixEntry
        }
        if (ver == 10) n.u32();  // ulMoreFlags
        a["extended_op"] = exop;
        if (pnc) {
            // DSNAME (4.1.4.1.1... [MS-DRSR] 5.50): conformant struct, max_count first.
            uint32_t max = n.u32();
            n.u32();  // structLen
            n.u32();  // SidLen
            Uuid g = n.uuid();
            n.skip(28);  // Sid
            uint32_t namelen = n.u32();
            if (!n.ok() || namelen > kMaxNdrStringUnits || namelen + 1 != max) return DecodeResult::Failed;
            Bytes s = n.bytes(size_t(max) * 2);
            if (!n.ok()) return DecodeResult::Failed;
            std::string dn = utf16leToUtf8(s);
            if (!dn.empty()) a["naming_context"] = dn;
            if (!g.isNil()) a["naming_context_guid"] = g.toString();
        }
        return finish(n, out, std::move(a));
    }
    if (name == "efsrpc") {
        // [MS-EFSR] 3.1.4.2: FileName is the first [in, string] parameter of these calls.
        switch (op) {
        case 0: case 4: case 5: case 6: case 7: case 8: case 9: case 12: case 13:
        case 18: case 19: case 21: case 22:
            a["file_name"] = n.wstringBody();
            if (op == 13) a["dest_file_name"] = n.wstringBody();
            return finish(n, out, std::move(a));
        case 15: case 16:
            // EfsRpcAddUsersToFileEx / EfsRpcFileKeyInfoEx: flags, [unique] Reserved, FileName.
            n.u32();
            if (n.pointer() != 0) return DecodeResult::Failed;  // Reserved must be NULL
            a["file_name"] = n.wstringBody();
            return finish(n, out, std::move(a));
        }
        return DecodeResult::NotApplicable;
    }
    if (name == "spoolss" && (op == 62 || op == 65)) {
        // [MS-RPRN] 3.1.4.10.3/.4: hPrinter, fdwFlags, fdwOptions, [unique] pszLocalMachine, ...
        n.contextHandle();
        n.u32();
        n.u32();
        auto lm = n.uniqueWString();
        if (lm) a["local_machine"] = *lm;
        return finish(n, out, std::move(a));
    }
    if ((name == "spoolss" && (op == 1 || op == 69)) || (name == "IRemoteWinspool" && op == 0)) {
        // RpcOpenPrinter(Ex) / RpcAsyncOpenPrinter: [unique, string] pPrinterName first.
        auto p = n.uniqueWString();
        if (p) a["printer_name"] = *p;
        return finish(n, out, std::move(a));
    }
    if ((name == "spoolss" && (op == 9 || op == 89)) || (name == "IRemoteWinspool" && op == 39)) {
        // RpcAddPrinterDriver(Ex) / RpcAsyncAddPrinterDriver: [unique] pName, DRIVER_CONTAINER,
        // (Ex: dwFileCopyFlags).
        auto server = n.uniqueWString();
        if (server) a["server"] = *server;
        if (driverContainer(n, a) != DecodeResult::Decoded) return DecodeResult::Failed;
        if (op != 9) a["file_copy_flags"] = n.u32();
        return finish(n, out, std::move(a));
    }
    if (name == "netlogon" && (op == 26 || op == 15 || op == 30 || op == 4)) {
        // [MS-NRPC] 3.5.4.4.2 NetrServerAuthenticate3: PrimaryName, AccountName,
        // SecureChannelType (enum: 2 bytes in NDR), ComputerName, ClientCredential[8], flags.
        auto primary = n.uniqueWString();
        if (primary) a["primary_name"] = *primary;
        if (op == 4) {
            // NetrServerReqChallenge: PrimaryName, ComputerName, ClientChallenge[8].
            a["computer_name"] = n.wstringBody();
            Bytes ch = n.bytes(8);
            if (n.ok()) a["client_challenge_zero"] = allZero(ch);
            return finish(n, out, std::move(a));
        }
        a["account_name"] = n.wstringBody();
        a["secure_channel_type"] = n.enum16();
        a["computer_name"] = n.wstringBody();
        Bytes cred = n.bytes(8);
        if (!n.ok()) return DecodeResult::Failed;
        a["client_credential_zero"] = allZero(cred);
        if (op == 26 || op == 15) a["negotiate_flags"] = n.u32();
        if (op == 30) {
            // NetrServerPasswordSet2: Authenticator {Credential[8], Timestamp}, ClearNewPassword.
            n.u32();
            Bytes pw = n.bytes(516);
            if (n.ok()) a["new_password_zero"] = allZero(pw);
        }
        return finish(n, out, std::move(a));
    }
    if (name == "epm" && op == 3) {
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
    if (name == "IObjectExporter" && (op == 0 || op == 4)) {
        // [MS-DCOM] 3.1.2.5.1.1 ResolveOxid / 3.1.2.5.1.5 ResolveOxid2: pOxid first.
        uint64_t oxid = n.u64();
        if (!n.ok()) return DecodeResult::Failed;
        out.dcom["oxid"] = hex64(oxid);
        return DecodeResult::Decoded;
    }
    return DecodeResult::NotApplicable;
}

DecodeResult ArgsDecoder::response(const InterfaceInfo& iface, uint16_t op, Bytes stub, bool le,
                                   CallArgs& out, bool ndr64) {
    NdrReader n(stub, le, ndr64);
    const std::string_view name = iface.name;
    if (ndr64 && name != "winreg") return DecodeResult::NotApplicable;
    if (name == "epm" && (op == 3 || op == 2)) {
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
        Json eps = Json::array();
        for (size_t i = 0; i < ptrs.size() && i < keep && n.ok(); i++) {
            if (!ptrs[i]) continue;
            TowerEndpoint t;
            if (!readTowerBody(n, t)) return DecodeResult::Failed;
            eps.push_back(towerToJson(t));
            out.endpoints.push_back(std::move(t));
        }
        if (!n.ok()) return DecodeResult::Failed;
        out.epm["endpoints"] = std::move(eps);
        return DecodeResult::Decoded;
    }
    if (name == "IObjectExporter" && op == 5) {
        // [MS-DCOM] 3.1.2.5.1.6 ServerAlive2: COMVERSION, [out] DUALSTRINGARRAY**, pReserved.
        uint16_t maj = n.u16(), min = n.u16();
        if (!n.ok()) return DecodeResult::Failed;
        out.dcom["com_version"] = std::to_string(maj) + "." + std::to_string(min);
        if (n.pointer() != 0 && !readDualStringArray(n, out)) return DecodeResult::Failed;
        return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
    }
    if (name == "IObjectExporter" && (op == 0 || op == 4)) {
        // ResolveOxid(2): [out] DUALSTRINGARRAY** ppdsaOxidBindings, IPID, authn hint, ...
        if (n.pointer() != 0 && !readDualStringArray(n, out)) return DecodeResult::Failed;
        Uuid ipid = n.uuid();
        if (!n.ok()) return DecodeResult::Failed;
        out.dcom["ipid_remunknown"] = ipid.toString();
        return DecodeResult::Decoded;
    }
    if (name == "samr" && (op == 6 || op == 11 || op == 13 || op == 15)) {
        // [MS-SAMR] 3.1.5.2.1-5 SamrEnumerateDomainsInSamServer / GroupsInDomain /
        // UsersInDomain / AliasesInDomain: [in,out] EnumerationContext, [out]
        // PSAMPR_ENUMERATION_BUFFER* Buffer (unique: a referent id, then EntriesRead and the
        // entries), [out] CountReturned, then the NTSTATUS. CountReturned is the last ulong
        // before the status; EntriesRead must agree with it when the buffer is there.
        n.u32();
        uint32_t buf = n.pointer();
        uint32_t entries = buf ? n.u32() : 0;
        auto count = wordBeforeStatus(stub, le);
        if (!n.ok() || !count || (buf && entries != *count)) return DecodeResult::Failed;
        out.args["entries_read"] = *count;
        return DecodeResult::Decoded;
    }
    if (name == "lsarpc" && (op == 14 || op == 15 || op == 57 || op == 58 || op == 68 || op == 76 || op == 77)) {
        // [MS-LSAT] 3.1.4.x LsarLookupSids/2/3, LsarLookupNames/2/3/4: the out parameters
        // end with [in,out] MappedCount, then the NTSTATUS. Names (or SIDs) actually mapped:
        // never more than the request asked for. Reported as mapped_count, not entries_read:
        // a SID brute force is weighed by the SIDs it tries (sid_count), of which few map.
        auto mapped = wordBeforeStatus(stub, le);
        if (!mapped) return DecodeResult::Failed;
        for (const char* k : {"sid_count", "name_count"})
            if (out.args.contains(k) && out.args[k].is_number_unsigned() && *mapped > out.args[k].get<uint64_t>())
                return DecodeResult::Failed;
        out.args["mapped_count"] = *mapped;
        return DecodeResult::Decoded;
    }
    if (name == "srvsvc" && op == 15) {
        // [MS-SRVS] 3.1.4.8 NetrShareEnum: [in,out] SHARE_ENUM_STRUCT {Level, [switch_is(Level)]
        // union of container pointers}: Level, the union's discriminant (= Level), the
        // container's referent id, then the container's EntriesRead.
        uint32_t level = n.u32();
        uint32_t disc = n.u32();
        uint32_t ctr = n.pointer();
        if (!n.ok() || disc != level) return DecodeResult::Failed;
        if (!ctr) return DecodeResult::Decoded;  // no container: nothing returned
        out.args["entries_read"] = n.u32();
        return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
    }
    if (name == "winreg" && (op <= 4 || op == 27 || op == 15 || op == 6)) {
        // Remember handle → key name so BaseRegSaveKey can name the key it saves.
        static const char* const kRoots[] = {"HKCR", "HKCU", "HKLM", "HKPD", "HKU"};
        n.align(4);
        Bytes h = n.bytes(20);
        if (!n.ok()) return DecodeResult::Failed;
        std::string key;
        if (op <= 4) key = kRoots[op];
        else if (op == 27) key = "HKCC";
        else if (out.args.contains("key")) key = out.args["key"].get<std::string>();
        if (!key.empty() && !allZero(h)) rememberKey(h, key);
        return DecodeResult::Decoded;
    }
    return DecodeResult::NotApplicable;
}

}  // namespace rpcmon::dcerpc
