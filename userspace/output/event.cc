// SPDX-License-Identifier: Apache-2.0
#include "output/event.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <mutex>
#include <unordered_set>

#include "output/json_writer.h"
#include "output/record.h"

namespace rpcmon {
namespace {

// The writer's per-line helpers format by hand (core/types.h, record.h): printf-family calls
// cost more than the rest of a record's line together.
void writeUuid(JsonWriter& w, std::string_view k, const Uuid& u) {
    char b[36];
    w.member(k, std::string_view(b, size_t(u.write(b) - b)));
}

void writeAddress(JsonWriter& w, std::string_view k, const Address& a) {
    char b[kAddressTextMax];
    w.member(k, std::string_view(b, formatAddressTo(b, a)));
}

void writeTimestamp(JsonWriter& w, TimeNs t) {
    char b[kTimestampTextLen];
    formatTimestampTo(b, t);
    w.member("timestamp", std::string_view(b, sizeof b));
}

void writeHeader(JsonWriter& w, const Event& ev) {
    writeTimestamp(w, ev.ts);
    w.member("flow_id", ev.flow_id);
    w.member("event_type", eventTypeName(ev.type));
    if (ev.ips_known) writeAddress(w, "src_ip", ev.key.client);
    if (ev.ports_known) w.member("src_port", ev.key.client_port);
    if (ev.ips_known) writeAddress(w, "dest_ip", ev.key.server);
    if (ev.ports_known) w.member("dest_port", ev.key.server_port);
    w.member("proto", ev.key.l4proto == IPPROTO_UDP ? "UDP" : "TCP");
    if (ev.key.vlan_id) w.member("vlan", ev.key.vlan_id);
}

void writeOnc(JsonWriter& w, const Event& ev, const OncCall& c) {
    w.member("family", "onc");
    w.member("xid", c.xid);
    w.member("program", c.program);
    if (c.program_name) w.member("program_name", c.program_name);
    w.member("version", c.version);
    w.member("procedure", c.procedure);
    if (c.procedure_name) w.member("procedure_name", c.procedure_name);
    w.literalKey("cred");
    w.openObject();
    w.member("flavor", c.cred.flavor);
    if (c.cred.has_sys) {
        w.member("machine_name", c.cred.machine_name);
        w.member("uid", c.cred.uid);
        w.member("gid", c.cred.gid);
        w.literalKey("gids");
        w.openArray();
        for (uint32_t g : c.cred.gids) w.number(g);
        w.closeArray();
        w.member("stamp", c.cred.stamp);
    }
    if (c.cred.has_gss) {
        w.literalKey("gss");
        w.openObject();
        w.member("version", c.cred.gss_version);
        w.member("procedure", c.cred.gss_procedure);
        w.member("seq", c.cred.gss_seq);
        w.member("service", c.cred.gss_service);
        w.closeObject();
    }
    w.closeObject();
    w.literalKey("verifier");
    w.openObject();
    w.member("flavor", c.verifier_flavor);
    w.closeObject();
    if (c.retransmissions) w.member("retransmissions", c.retransmissions);
    if (c.callback) w.member("callback", true);
    w.literalKey("reply");
    if (c.reply) {
        const OncReply& r = *c.reply;
        w.openObject();
        if (r.accepted) {
            w.member("status", "accepted");
            w.member("accept_status", r.accept_status);
        } else {
            w.member("status", "denied");
            w.member("reject_status", r.reject_status);
            if (!r.auth_status.empty()) w.member("auth_status", r.auth_status);
        }
        if (r.has_mismatch) {
            w.member("mismatch_low", r.mismatch_low);
            w.member("mismatch_high", r.mismatch_high);
        }
        w.closeObject();
    } else {
        w.null();
    }
    if (ev.latency_us) w.member("latency_us", *ev.latency_us);
}

// "3.0": the interface version as rpc.interface.version and rpc.bind print it.
void writeVersion(JsonWriter& w, uint16_t major, uint16_t minor) {
    char v[16];
    char* p = std::to_chars(v, v + 6, major).ptr;
    *p++ = '.';
    p = std::to_chars(p, p + 6, minor).ptr;
    w.member("version", std::string_view(v, size_t(p - v)));
}

void writeBind(JsonWriter& w, const DceBind& b) {
    w.openObject();
    w.member("packet_type", b.packet_type);
    w.member("call_id", b.call_id);
    if (!b.secondary_addr.empty()) w.member("secondary_addr", b.secondary_addr);
    if (b.nak()) {
        w.member("reason", b.reason);
    } else {
        w.literalKey("contexts");
        w.openArray();
        for (const DceBindContext& c : b.contexts) {
            w.openObject();
            w.member("context_id", c.context_id);
            writeUuid(w, "uuid", c.uuid);
            if (!c.name.empty()) w.member("name", c.name);
            writeVersion(w, c.ver_major, c.ver_minor);
            if (!c.result.empty()) w.member("result", c.result);
            w.closeObject();
        }
        w.closeArray();
    }
    w.closeObject();
}

void writeDce(JsonWriter& w, const Event& ev, const DceCall& c) {
    w.member("family", "dcerpc");
    w.member("call_id", c.call_id);
    if (c.activity) writeUuid(w, "activity_uuid", *c.activity);
    if (c.iface) {
        w.literalKey("interface");
        w.openObject();
        writeUuid(w, "uuid", c.iface->uuid);
        if (!c.iface->name.empty()) w.member("name", c.iface->name);
        writeVersion(w, c.iface->ver_major, c.iface->ver_minor);
        w.closeObject();
        if (c.context_rejected) w.member("context_rejected", true);
    } else if (c.context_id) {
        w.member("context_id", *c.context_id);
    }
    w.member("opnum", c.opnum);
    if (!c.operation.empty()) w.member("operation", c.operation);
    w.literalKey("auth");
    w.openObject();
    w.member("type", c.auth.type);
    if (!c.auth.level.empty()) w.member("level", c.auth.level);
    if (!c.auth.user.empty()) w.member("user", c.auth.user);
    if (!c.auth.domain.empty()) w.member("domain", c.auth.domain);
    if (!c.auth.workstation.empty()) w.member("workstation", c.auth.workstation);
    w.closeObject();
    if (!c.named_pipe.empty()) w.member("named_pipe", c.named_pipe);
    if (c.object) writeUuid(w, "object_uuid", *c.object);
    w.literalKey("reply");
    if (c.reply) {
        w.openObject();
        w.member("packet_type", c.reply->packet_type);
        if (c.reply->status) {
            char b[10] = {'0', 'x', '0', '0', '0', '0', '0', '0', '0', '0'};
            char digits[8];
            const char* end = std::to_chars(digits, digits + 8, *c.reply->status, 16).ptr;
            std::memcpy(b + 10 - (end - digits), digits, size_t(end - digits));  // zero-padded to 8
            w.member("status", std::string_view(b, 10));
        }
        w.closeObject();
    } else {
        w.null();
    }
    if (ev.latency_us) w.member("latency_us", *ev.latency_us);
    if (c.truncated) w.member("truncated", true);
    if (!c.args.empty()) {
        w.literalKey("args");
        writeArgs(w, c.args);
    }
    if (!c.dcom.empty()) {
        w.literalKey("dcom");
        writeArgs(w, c.dcom);
    }
    if (!c.bind.empty()) {
        w.literalKey("bind");
        writeBinds(w, c.bind);
    }
}

void writeSmbObject(JsonWriter& w, const SmbInfo& s) {
    w.openObject();
    if (!s.user.empty()) w.member("user", s.user);
    if (!s.domain.empty()) w.member("domain", s.domain);
    if (!s.host.empty()) w.member("host", s.host);
    if (!s.share.empty()) w.member("share", s.share);
    if (!s.dialect.empty()) w.member("dialect", s.dialect);
    if (s.session_id) w.member("session_id", *s.session_id);
    if (!s.pipe.empty()) w.member("pipe", s.pipe);
    if (s.auth) w.member("auth", s.auth);
    if (s.encrypted) w.member("encrypted", *s.encrypted);
    if (!s.status.empty()) w.member("status", s.status);
    if (s.guest) w.member("guest", true);
    if (!s.krb_realm.empty() || !s.krb_sname.empty()) {
        w.literalKey("kerberos");
        w.openObject();
        if (!s.krb_realm.empty()) w.member("realm", s.krb_realm);
        if (!s.krb_sname.empty()) w.member("sname", s.krb_sname);
        w.closeObject();
    }
    w.closeObject();
}

// Names read back from EVE text must outlive the event like the protocol tables' static
// strings do: kept once each, bounded (a file with more distinct names is refused).
const char* intern(const std::string& s) {
    static std::mutex mu;
    static std::unordered_set<std::string> names;
    static constexpr size_t kMaxNames = 1 << 16;
    std::lock_guard<std::mutex> lock(mu);
    auto it = names.find(s);
    if (it != names.end()) return it->c_str();
    if (names.size() >= kMaxNames) return nullptr;
    return names.insert(s).first->c_str();
}

const Json kEmptyObject = Json::object();

const Json* member(const Json& o, const char* k) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(k);
    return it == o.end() ? nullptr : &*it;
}

bool getString(const Json& o, const char* k, std::string& out) {
    const Json* v = member(o, k);
    if (!v || !v->is_string()) return false;
    out = v->get<std::string>();
    return true;
}

template <typename T>
bool getUnsigned(const Json& o, const char* k, T& out) {
    const Json* v = member(o, k);
    // Parsed text gives unsigned numbers; records built in code may hold signed ones.
    if (!v || !v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0)) return false;
    uint64_t x = v->get<uint64_t>();
    if (x > std::numeric_limits<T>::max()) return false;
    out = T(x);
    return true;
}

// A key that may be missing (records built by hand, older files), but not mistyped.
template <typename T>
bool optUnsigned(const Json& o, const char* k, T& out) {
    return !member(o, k) || getUnsigned(o, k, out);
}

bool getUuid(const Json& o, const char* k, std::optional<Uuid>& out) {
    std::string s;
    if (!getString(o, k, s)) return !member(o, k);
    Uuid u;
    if (!Uuid::parse(s, u)) return false;
    out = u;
    return true;
}

// Inverse of formatTimestamp.
bool parseTs(const std::string& s, TimeNs& out) {
    struct tm tm {};
    unsigned usec = 0;
    int n = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6u+0000%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec, &n) != 7 ||
        size_t(n) != s.size())
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t secs = timegm(&tm);
    if (secs < 0) return false;
    out = TimeNs(secs) * 1000000000ull + TimeNs(usec) * 1000;
    return true;
}

bool parseAddressText(const std::string& s, Address& out) {
    out = {};
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s.c_str(), out.data()) == 1;
}

bool readOnc(const Json& rpc, const Json& rec, Event& ev) {
    OncCall c;
    std::string s;
    if (!optUnsigned(rpc, "xid", c.xid) || !optUnsigned(rpc, "program", c.program) ||
        !optUnsigned(rpc, "version", c.version) || !optUnsigned(rpc, "procedure", c.procedure))
        return false;
    if (getString(rpc, "program_name", s) && !(c.program_name = intern(s))) return false;
    if (getString(rpc, "procedure_name", s) && !(c.procedure_name = intern(s))) return false;
    const Json* cred = member(rpc, "cred");
    if (!cred) cred = &kEmptyObject;
    else if (!getString(*cred, "flavor", c.cred.flavor)) return false;
    if (member(*cred, "machine_name")) {
        c.cred.has_sys = true;
        getString(*cred, "machine_name", c.cred.machine_name);
        getUnsigned(*cred, "uid", c.cred.uid);
        getUnsigned(*cred, "gid", c.cred.gid);
        getUnsigned(*cred, "stamp", c.cred.stamp);
        if (const Json* g = member(*cred, "gids"); g && g->is_array())
            for (const Json& x : *g)
                if (x.is_number_integer()) c.cred.gids.push_back(x.get<uint32_t>());
    }
    if (const Json* g = member(*cred, "gss")) {
        c.cred.has_gss = true;
        getUnsigned(*g, "version", c.cred.gss_version);
        getUnsigned(*g, "seq", c.cred.gss_seq);
        getString(*g, "procedure", c.cred.gss_procedure);
        getString(*g, "service", c.cred.gss_service);
    }
    if (const Json* v = member(rpc, "verifier")) getString(*v, "flavor", c.verifier_flavor);
    getUnsigned(rpc, "retransmissions", c.retransmissions);
    if (const Json* cb = member(rpc, "callback")) c.callback = cb->is_boolean() && cb->get<bool>();
    if (const Json* r = member(rpc, "reply"); r && r->is_object()) {
        OncReply reply;
        getString(*r, "status", s);
        reply.accepted = s == "accepted";
        getString(*r, "accept_status", reply.accept_status);
        getString(*r, "reject_status", reply.reject_status);
        getString(*r, "auth_status", reply.auth_status);
        reply.has_mismatch = getUnsigned(*r, "mismatch_low", reply.mismatch_low);
        getUnsigned(*r, "mismatch_high", reply.mismatch_high);
        c.reply = std::move(reply);
    }
    static const std::unordered_set<std::string> kHeaderKeys = {
        "timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port",
        "proto", "vlan", "rpc", "smb", "process"};
    for (auto it = rec.begin(); it != rec.end(); ++it)
        if (!kHeaderKeys.count(it.key())) c.fields[it.key()] = argValueFromJson(it.value());
    ev.rpc = std::move(c);
    return true;
}

bool readDce(const Json& rpc, const Json& rec, Event& ev) {
    DceCall c;
    std::string s;
    if (!optUnsigned(rpc, "call_id", c.call_id) || !optUnsigned(rpc, "opnum", c.opnum)) return false;
    if (!getUuid(rpc, "activity_uuid", c.activity) || !getUuid(rpc, "object_uuid", c.object)) return false;
    if (const Json* i = member(rpc, "interface")) {
        DceInterface iface;
        std::optional<Uuid> u;
        if (!getUuid(*i, "uuid", u) || !u) return false;
        iface.uuid = *u;
        if (getString(*i, "name", s)) {
            const char* n = intern(s);
            if (!n) return false;
            iface.name = n;
        }
        if (getString(*i, "version", s)) {
            unsigned maj = 0, min = 0;
            if (std::sscanf(s.c_str(), "%u.%u", &maj, &min) != 2) return false;
            iface.ver_major = uint16_t(maj);
            iface.ver_minor = uint16_t(min);
        }
        c.iface = iface;
        if (const Json* r = member(rpc, "context_rejected")) c.context_rejected = r->is_boolean() && r->get<bool>();
    } else if (member(rpc, "context_id")) {
        uint16_t id = 0;
        if (!getUnsigned(rpc, "context_id", id)) return false;
        c.context_id = id;
    }
    if (getString(rpc, "operation", s)) {
        const char* n = intern(s);
        if (!n) return false;
        c.operation = n;
    }
    if (const Json* a = member(rpc, "auth")) {
        c.auth.type.clear();
        c.auth.level.clear();
        getString(*a, "type", c.auth.type);
        getString(*a, "level", c.auth.level);
        getString(*a, "user", c.auth.user);
        getString(*a, "domain", c.auth.domain);
        getString(*a, "workstation", c.auth.workstation);
    }
    getString(rpc, "named_pipe", c.named_pipe);
    if (const Json* r = member(rpc, "reply"); r && r->is_object()) {
        DceReply reply;
        if (!getString(*r, "packet_type", s) || !(reply.packet_type = intern(s))) return false;
        if (getString(*r, "status", s)) {
            unsigned st = 0;
            int n = 0;
            if (std::sscanf(s.c_str(), "0x%8x%n", &st, &n) != 1 || n != 10) return false;
            reply.status = st;
        }
        c.reply = reply;
    }
    if (const Json* t = member(rpc, "truncated")) c.truncated = t->is_boolean() && t->get<bool>();
    if (const Json* a = member(rpc, "args")) argsFromJson(*a, c.args);
    if (const Json* d = member(rpc, "dcom")) argsFromJson(*d, c.dcom);
    if (const Json* b = member(rpc, "bind"); b && !bindsFromJson(*b, c.bind)) return false;
    if (const Json* e = member(rec, "epm")) argsFromJson(*e, c.epm);
    ev.rpc = std::move(c);
    return true;
}

bool readSmb(const Json& smb, SmbInfo& s) {
    if (!smb.is_object()) return false;
    std::string a;
    getString(smb, "user", s.user);
    getString(smb, "domain", s.domain);
    getString(smb, "host", s.host);
    getString(smb, "share", s.share);
    getString(smb, "dialect", s.dialect);
    uint64_t sid = 0;
    if (getUnsigned(smb, "session_id", sid)) s.session_id = sid;
    getString(smb, "pipe", s.pipe);
    if (getString(smb, "auth", a) && !(s.auth = intern(a))) return false;
    if (const Json* e = member(smb, "encrypted"); e && e->is_boolean()) s.encrypted = e->get<bool>();
    getString(smb, "status", s.status);
    if (const Json* g = member(smb, "guest")) s.guest = g->is_boolean() && g->get<bool>();
    if (const Json* k = member(smb, "kerberos")) {
        getString(*k, "realm", s.krb_realm);
        getString(*k, "sname", s.krb_sname);
    }
    return true;
}

}  // namespace

const char* eventTypeName(EventType t) {
    switch (t) {
        case EventType::Rpc: return "rpc";
        case EventType::SmbSession: return "smb_session";
        case EventType::SmbPipe: return "smb_pipe";
    }
    return "rpc";
}

bool SmbInfo::empty() const {
    return user.empty() && domain.empty() && host.empty() && share.empty() && dialect.empty() && !session_id &&
           pipe.empty() && !auth && !encrypted && status.empty() && !guest && krb_realm.empty() && krb_sname.empty();
}

Event makeEvent(const FlowContext& flow, TimeNs ts, EventType type) {
    Event ev;
    ev.type = type;
    ev.ts = ts;
    ev.flow_id = flow.flow_id;
    ev.key = flow.key;
    return ev;
}

void writeEvent(JsonWriter& w, const Event& ev) {
    w.openObject();
    writeHeader(w, ev);
    if (ev.type == EventType::Rpc) {
        w.literalKey("rpc");
        w.openObject();
        if (const OncCall* c = ev.onc()) writeOnc(w, ev, *c);
        else if (const DceCall* c = ev.dce()) writeDce(w, ev, *c);
        if (ev.host_vantage) w.member("vantage", "host");
        w.closeObject();
        if (const DceCall* c = ev.dce(); c && !c->epm.empty()) {
            w.literalKey("epm");
            writeArgs(w, c->epm);
        }
    }
    if (!ev.smb.empty() || ev.type != EventType::Rpc) {
        w.literalKey("smb");
        writeSmbObject(w, ev.smb);
    }
    if (const OncCall* c = ev.onc())
        for (const ArgItem& f : c->fields) {
            w.key(f.key);
            writeArgValue(w, f.value);
        }
    if (ev.process) {
        w.literalKey("process");
        w.openObject();
        w.member("pid", ev.process->pid);
        w.member("name", ev.process->name);
        w.member("uid", ev.process->uid);
        w.closeObject();
    }
    w.closeObject();
}

Json toJson(const Event& ev) {
    JsonWriter w;
    writeEvent(w, ev);
    return Json::parse(w.str());
}

Json toJson(const SmbInfo& smb) {
    JsonWriter w;
    writeSmbObject(w, smb);
    return Json::parse(w.str());
}

void writeBinds(JsonWriter& w, const std::vector<DceBind>& binds) {
    w.openArray();
    for (const DceBind& b : binds) writeBind(w, b);
    w.closeArray();
}

Json toJson(const std::vector<DceBind>& binds) {
    JsonWriter w;
    writeBinds(w, binds);
    return Json::parse(w.str());
}

bool bindsFromJson(const Json& j, std::vector<DceBind>& out) {
    if (!j.is_array()) return false;
    out.clear();
    std::string s;
    // Names read back are interned like the other names of an event (static in the dissector).
    auto name = [&](const Json& o, const char* k, std::string_view& v) {
        if (!getString(o, k, s)) return !member(o, k);
        const char* n = intern(s);
        if (!n) return false;
        v = n;
        return true;
    };
    for (const Json& b : j) {
        if (!b.is_object()) return false;
        DceBind bind;
        if (!name(b, "packet_type", bind.packet_type) || !optUnsigned(b, "call_id", bind.call_id) ||
            !name(b, "reason", bind.reason))
            return false;
        getString(b, "secondary_addr", bind.secondary_addr);
        if (const Json* cs = member(b, "contexts")) {
            if (!cs->is_array()) return false;
            for (const Json& c : *cs) {
                DceBindContext ctx;
                std::optional<Uuid> u;
                if (!c.is_object() || !optUnsigned(c, "context_id", ctx.context_id) || !getUuid(c, "uuid", u) || !u ||
                    !name(c, "name", ctx.name) || !name(c, "result", ctx.result))
                    return false;
                ctx.uuid = *u;
                if (getString(c, "version", s)) {
                    unsigned maj = 0, min = 0;
                    if (std::sscanf(s.c_str(), "%u.%u", &maj, &min) != 2) return false;
                    ctx.ver_major = uint16_t(maj);
                    ctx.ver_minor = uint16_t(min);
                }
                bind.contexts.push_back(ctx);
            }
        }
        out.push_back(std::move(bind));
    }
    return true;
}

std::optional<Event> eventFromJson(const Json& rec) {
    if (!rec.is_object()) return std::nullopt;
    Event ev;
    std::string et, s;
    if (!getString(rec, "event_type", et)) return std::nullopt;
    if (et == "rpc") ev.type = EventType::Rpc;
    else if (et == "smb_session") ev.type = EventType::SmbSession;
    else if (et == "smb_pipe") ev.type = EventType::SmbPipe;
    else return std::nullopt;
    if (!getString(rec, "timestamp", s) || !parseTs(s, ev.ts)) return std::nullopt;
    if (!optUnsigned(rec, "flow_id", ev.flow_id)) return std::nullopt;
    std::string src, dst;
    ev.ips_known = getString(rec, "src_ip", src) && getString(rec, "dest_ip", dst);
    if (ev.ips_known && (!parseAddressText(src, ev.key.client) || !parseAddressText(dst, ev.key.server)))
        return std::nullopt;
    ev.ports_known = getUnsigned(rec, "src_port", ev.key.client_port) && getUnsigned(rec, "dest_port", ev.key.server_port);
    if (getString(rec, "proto", s)) ev.key.l4proto = s == "UDP" ? IPPROTO_UDP : IPPROTO_TCP;
    getUnsigned(rec, "vlan", ev.key.vlan_id);
    if (ev.type == EventType::Rpc) {
        const Json* rpc = member(rec, "rpc");
        if (!rpc || !getString(*rpc, "family", s)) return std::nullopt;
        if (s == "onc") {
            if (!readOnc(*rpc, rec, ev)) return std::nullopt;
        } else if (s == "dcerpc") {
            if (!readDce(*rpc, rec, ev)) return std::nullopt;
        } else {
            return std::nullopt;
        }
        uint64_t lat = 0;
        if (getUnsigned(*rpc, "latency_us", lat)) ev.latency_us = lat;
        ev.host_vantage = getString(*rpc, "vantage", s) && s == "host";
    }
    if (const Json* smb = member(rec, "smb"); smb && !readSmb(*smb, ev.smb)) return std::nullopt;
    if (const Json* p = member(rec, "process"); p && p->is_object()) {
        ProcessInfo pi;
        getUnsigned(*p, "pid", pi.pid);
        getUnsigned(*p, "uid", pi.uid);
        getString(*p, "name", pi.name);
        ev.process = std::move(pi);
    }
    return ev;
}

}  // namespace rpcmon
