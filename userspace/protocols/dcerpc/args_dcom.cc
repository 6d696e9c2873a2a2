// SPDX-License-Identifier: Apache-2.0
// DCOM ([MS-DCOM]) argument decoders: activation requests name the class being created
// (MMC20.Application, ShellWindows: lateral movement), OXID resolver replies announce the
// endpoints the client calls next (learned like endpoint mapper replies).
#include "protocols/dcerpc/args_decoders.h"

#include <cstdio>

namespace rpcmon::dcerpc::decoders {

// ORPC extensions per ORPCTHIS ([MS-DCOM] 2.2.21): Windows sends at most 2 (error info, debug).
constexpr uint32_t kMaxOrpcExtents = 16;
// DUALSTRINGARRAY entries ([MS-DCOM] 2.2.19.1): wNumEntries is a u16; bound before reading.
constexpr uint32_t kMaxDualStringEntries = 8192;

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

namespace {


std::string hex64(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%016llx", static_cast<unsigned long long>(v));
    return b;
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
    ArgValue::List bindings;
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
    ArgValue::List sec;
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
        ArgList s = {{"authn_svc", authTypeName(uint8_t(authn))}};
        if (!princ.empty()) s["principal"] = princ;
        sec.push_back(std::move(s));
    }
    out.dcom["bindings"] = std::move(bindings);
    if (!sec.empty()) out.dcom["security_bindings"] = std::move(sec);
    return true;
}

DecodeResult remoteActivation(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    // [MS-DCOM] 3.1.2.5.2.3.1 RemoteActivation: Clsid, pwszObjectName, ...
    Uuid clsid = n.uuid();
    auto obj = n.uniqueWString();
    if (!n.ok()) return DecodeResult::Failed;
    out.dcom["clsid"] = clsid.toString();
    if (auto cn = className(clsid); !cn.empty()) out.dcom["class_name"] = cn;
    if (obj) a["object_name"] = *obj;
    return finish(n, out, std::move(a));
}

DecodeResult activationRequest(DecodeCall& c) {
    NdrReader& n = c.n;
    ArgList& a = c.a;
    CallArgs& out = c.out;
    const uint16_t op = c.op;
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
    return finish(n, out, std::move(a));
}

DecodeResult resolveOxidRequest(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    // [MS-DCOM] 3.1.2.5.1.1 ResolveOxid / 3.1.2.5.1.5 ResolveOxid2: pOxid first.
    uint64_t oxid = n.u64();
    if (!n.ok()) return DecodeResult::Failed;
    out.dcom["oxid"] = hex64(oxid);
    return DecodeResult::Decoded;
}

DecodeResult serverAlive2Response(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    // [MS-DCOM] 3.1.2.5.1.6 ServerAlive2: COMVERSION, [out] DUALSTRINGARRAY**, pReserved.
    uint16_t maj = n.u16(), min = n.u16();
    if (!n.ok()) return DecodeResult::Failed;
    out.dcom["com_version"] = std::to_string(maj) + "." + std::to_string(min);
    if (n.pointer() != 0 && !readDualStringArray(n, out)) return DecodeResult::Failed;
    return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
}

DecodeResult resolveOxidResponse(DecodeCall& c) {
    NdrReader& n = c.n;
    CallArgs& out = c.out;
    // ResolveOxid(2): [out] DUALSTRINGARRAY** ppdsaOxidBindings, IPID, authn hint, ...
    if (n.pointer() != 0 && !readDualStringArray(n, out)) return DecodeResult::Failed;
    Uuid ipid = n.uuid();
    if (!n.ok()) return DecodeResult::Failed;
    out.dcom["ipid_remunknown"] = ipid.toString();
    return DecodeResult::Decoded;
}

}  // namespace

const DecoderGroup& dcomDecoders() {
    static const DecoderGroup group{
        .requests = {
            {"IActivation", {0}, remoteActivation},
            {"ISystemActivator", {3, 4}, activationRequest},
            {"IObjectExporter", {0, 4}, resolveOxidRequest},
        },
        .responses = {
            {"IObjectExporter", {5}, serverAlive2Response},
            {"IObjectExporter", {0, 4}, resolveOxidResponse},
        },
    };
    return group;
}

}  // namespace rpcmon::dcerpc::decoders
