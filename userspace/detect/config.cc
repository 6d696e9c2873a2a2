// SPDX-License-Identifier: Apache-2.0
#include "detect/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <set>
#include <sstream>

#include "config/yaml_reader.h"
#include "detect/signatures.h"
#include "output/record.h"
#include "pipeline/dissectors.h"
#include "protocols/onc/programs.h"

namespace rpcmon::detect {

ConfigError::ConfigError(const std::string& file, int line, const std::string& key, const std::string& msg)
    : std::runtime_error(file + ":" + std::to_string(line) + ": key '" + key + "': " + msg),
      file_(file), line_(line), key_(key) {}

std::vector<std::string> defaultSensitiveFiles() {
    return {"shadow", "gshadow", "master.passwd", "sudoers", ".ssh", "id_rsa", "id_dsa", "id_ecdsa",
            "id_ed25519", "authorized_keys", "krb5.keytab", ".k5login", ".netrc", ".pgpass",
            ".git-credentials", ".bash_history", ".aws", "credentials", ".docker", "ntds.dit", "sam",
            "security", "unattend.xml", "groups.xml", "wallet.dat", ".kube", "kubeconfig"};
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// `limits:` keys: one row each, with the accepted range (why each range: config/rules.example.yaml).
struct LimitKey {
    std::string path;
    int64_t lo, hi;
    std::function<void(DetectConfig&, uint64_t)> set;
};

// Appends limits.protocols.*: the keys the protocols register with their descriptors
// (pipeline/dissectors.cc), each stored by its key in RuntimeLimits::protocols.
std::vector<LimitKey> withProtocolLimits(std::vector<LimitKey> t) {
    for (const ProtocolDescriptor& p : protocolDescriptors())
        for (const ProtocolLimit& l : p.limits)
            t.push_back({std::string("limits.protocols.") + l.key, l.lo, l.hi,
                         [key = std::string(l.key)](DetectConfig& c, uint64_t v) { c.runtime.protocols[key] = v; }});
    return t;
}

const std::vector<LimitKey>& limitTable() {
    constexpr int64_t kDay = 86400, kGiB = 1ll << 30;
    static const std::vector<LimitKey> t = withProtocolLimits({
        {"limits.max_tracked_keys", 100, 100000000, [](DetectConfig& c, uint64_t v) { c.max_tracked_keys = uint32_t(v); }},
        {"limits.summary_min_count", 2, 100000000, [](DetectConfig& c, uint64_t v) { c.summary_min_count = uint32_t(v); }},
        {"limits.memory_mb", 0, 1 << 20, [](DetectConfig& c, uint64_t v) { c.runtime.memory_mb = v; }},
        {"limits.flows.max", 1, 100000000, [](DetectConfig& c, uint64_t v) { c.runtime.max_flows = v; }},
        {"limits.flows.tcp_idle", 1, 7 * kDay, [](DetectConfig& c, uint64_t v) { c.runtime.tcp_idle = v; }},
        {"limits.flows.udp_idle", 1, 7 * kDay, [](DetectConfig& c, uint64_t v) { c.runtime.udp_idle = v; }},
        {"limits.reassembly.max_pending", 4096, kGiB, [](DetectConfig& c, uint64_t v) { c.runtime.max_pending = v; }},
        {"limits.reassembly.max_out_of_order", 0, kGiB, [](DetectConfig& c, uint64_t v) { c.runtime.max_out_of_order = v; }},
        {"limits.reassembly.max_out_of_order_segments", 0, 1000000,
         [](DetectConfig& c, uint64_t v) { c.runtime.max_out_of_order_segments = v; }},
        {"limits.reassembly.budget", 65536, 64 * kGiB, [](DetectConfig& c, uint64_t v) { c.runtime.reassembly_budget = v; }},
        {"limits.ip_reassembly.max_bytes", 65536, 4 * kGiB, [](DetectConfig& c, uint64_t v) { c.runtime.defrag_max_bytes = v; }},
        {"limits.ip_reassembly.max_datagrams", 1, 10000000, [](DetectConfig& c, uint64_t v) { c.runtime.defrag_max_datagrams = v; }},
        {"limits.ip_reassembly.max_fragments", 2, 8192, [](DetectConfig& c, uint64_t v) { c.runtime.defrag_max_fragments = v; }},
        {"limits.ip_reassembly.ipv4_timeout", 1, 3600, [](DetectConfig& c, uint64_t v) { c.runtime.defrag_ipv4_timeout = v; }},
        {"limits.ip_reassembly.ipv6_timeout", 1, 3600, [](DetectConfig& c, uint64_t v) { c.runtime.defrag_ipv6_timeout = v; }},
    });
    return t;
}

class Parser : public config::YamlReader {
public:
    using YamlReader::YamlReader;

    CidrList cidrs(const YAML::Node& n, const std::string& key) const {
        CidrList l;
        if (n.IsNull()) return l;
        if (!n.IsSequence()) fail(n, key, "expected a list of addresses or CIDR prefixes");
        for (const auto& e : n) {
            std::string s = str(e, key);
            auto c = parseCidr(s);
            if (!c) fail(e, key, "not an IP address or CIDR prefix: '" + s + "'");
            l.items.push_back(*c);
            l.text.push_back(s);
        }
        return l;
    }
    static Json scalarJson(const YAML::Node& n) {
        std::string s = n.as<std::string>();
        if (n.Tag() != "!") {  // unquoted: numbers and booleans are typed
            try {
                size_t pos = 0;
                long long v = std::stoll(s, &pos, 10);
                if (pos == s.size()) return Json(v);
            } catch (...) {
            }
            try {
                size_t pos = 0;
                double d = std::stod(s, &pos);
                if (pos == s.size()) return Json(d);
            } catch (...) {
            }
            if (s == "true") return Json(true);
            if (s == "false") return Json(false);
        }
        return Json(s);
    }

    void signatures(const YAML::Node& n, DetectConfig& cfg) const {
        std::set<std::string> names;
        for (const auto& s : builtinSignatures()) names.insert(s.name);
        forEach(n, "signatures", {}, [&](const std::string& name, const std::string& path,
                                         const YAML::Node& keynode, const YAML::Node& v) {
            if (!names.count(name)) failAt(keynode.Mark(), path, "unknown signature name");
            SignatureOverride o;
            if (v.IsScalar()) {  // shorthand: `dcsync: false`
                o.enabled = boolean(v, path);
                cfg.signatures[name] = std::move(o);
                return;
            }
            forEach(v, path,
                    {"enabled", "severity", "threshold", "window", "suppress", "exempt_admin_hosts",
                     "ignore_src", "ignore_dest", "items", "servers"},
                    [&](const std::string& k, const std::string& p, const YAML::Node&, const YAML::Node& x) {
                        if (k == "enabled") o.enabled = boolean(x, p);
                        else if (k == "severity") o.severity = int(integer(x, p, 1, 3));
                        else if (k == "threshold") o.threshold = uint32_t(integer(x, p, 1, 10000000));
                        else if (k == "window") o.window = uint32_t(integer(x, p, 1, 7 * 86400));
                        else if (k == "suppress") o.suppress = uint32_t(integer(x, p, 0, 7 * 86400));
                        else if (k == "items") o.items = uint32_t(integer(x, p, 0, 10000000));
                        else if (k == "servers") o.servers = uint32_t(integer(x, p, 0, 1000000));
                        else if (k == "exempt_admin_hosts") o.exempt_admin_hosts = boolean(x, p);
                        else if (k == "ignore_src") o.ignore_src = cidrs(x, p);
                        else if (k == "ignore_dest") o.ignore_dest = cidrs(x, p);
                    });
            cfg.signatures[name] = std::move(o);
        });
    }

    Condition condition(const std::string& fieldname, const std::string& path, const YAML::Node& v) const {
        Condition c;
        c.field = fieldname;
        if (fieldname.empty()) fail(v, path, "empty field name");
        auto ref = resolveField(fieldname);
        if (!ref) fail(v, path, "field '" + fieldname + "' names nothing in rpc, smb_session or smb_pipe records (see SCHEMA.md)");
        c.ref = std::move(*ref);
        if (v.IsScalar()) {
            c.op = Condition::Op::Equals;
            c.value = scalarJson(v);
            return c;
        }
        if (!v.IsMap() || v.size() != 1)
            fail(v, path, "expected a value or a mapping with exactly one operator");
        auto it = v.begin();
        std::string op = it->first.as<std::string>();
        const YAML::Node x = it->second;  // a copy: it-> yields a temporary proxy
        std::string p = path + "." + op;
        static const std::map<std::string, Condition::Op> kOps = {
            {"equals", Condition::Op::Equals}, {"not_equals", Condition::Op::NotEquals},
            {"in", Condition::Op::In}, {"not_in", Condition::Op::NotIn},
            {"contains", Condition::Op::Contains}, {"regex", Condition::Op::Regex},
            {"gt", Condition::Op::Gt}, {"ge", Condition::Op::Ge}, {"lt", Condition::Op::Lt},
            {"le", Condition::Op::Le}, {"exists", Condition::Op::Exists}};
        auto f = kOps.find(op);
        if (f == kOps.end()) failAt(it->first.Mark(), p, "unknown operator (equals, not_equals, in, not_in, contains, regex, gt, ge, lt, le, exists)");
        c.op = f->second;
        switch (c.op) {
            case Condition::Op::In:
            case Condition::Op::NotIn:
                if (!x.IsSequence()) fail(x, p, "expected a list");
                c.value = Json::array();
                for (const auto& e : x) {
                    if (!e.IsScalar()) fail(e, p, "expected scalar list items");
                    c.value.push_back(scalarJson(e));
                }
                break;
            case Condition::Op::Regex:
                c.value = str(x, p);
                try {
                    c.re = std::regex(c.value.get<std::string>(), std::regex::ECMAScript);
                } catch (const std::regex_error& e) {
                    fail(x, p, std::string("bad regular expression: ") + e.what());
                }
                break;
            case Condition::Op::Gt:
            case Condition::Op::Ge:
            case Condition::Op::Lt:
            case Condition::Op::Le:
                c.value = real(x, p, -1e18, 1e18);
                break;
            case Condition::Op::Exists:
                c.value = boolean(x, p);
                break;
            case Condition::Op::Contains:
                c.value = str(x, p);
                break;
            default:
                if (!x.IsScalar()) fail(x, p, "expected a scalar");
                c.value = scalarJson(x);
        }
        return c;
    }

    void rules(const YAML::Node& n, DetectConfig& cfg) const {
        if (n.IsNull()) return;
        if (!n.IsSequence()) fail(n, "rules", "expected a list of rules");
        std::set<uint32_t> sids;
        for (const auto& s : builtinSignatures()) sids.insert(s.sid);
        size_t i = 0;
        for (const auto& r : n) {
            std::string path = "rules[" + std::to_string(i++) + "]";
            UserRule u;
            u.line = int(r.Mark().line) + 1;
            bool has_sid = false, has_msg = false, has_match = false;
            forEach(r, path,
                    {"sid", "message", "category", "severity", "technique", "tactic", "event_type",
                     "match", "suppress", "enabled"},
                    [&](const std::string& k, const std::string& p, const YAML::Node&, const YAML::Node& x) {
                        if (k == "sid") {
                            u.sid = uint32_t(integer(x, p, 1, 0xffffffffll));
                            if (sids.count(u.sid))
                                fail(x, p, "sid " + std::to_string(u.sid) + " is already used");
                            if (u.sid >= 1000000 && u.sid < 1200000)
                                fail(x, p, "sids 1000000-1199999 are reserved for built-in detections");
                            sids.insert(u.sid);
                            has_sid = true;
                        } else if (k == "message") {
                            u.message = str(x, p);
                            has_msg = true;
                        } else if (k == "category") u.category = str(x, p);
                        else if (k == "severity") u.severity = int(integer(x, p, 1, 3));
                        else if (k == "technique") {
                            u.techniques = x.IsScalar() ? std::vector<std::string>{str(x, p)} : strings(x, p);
                            for (const auto& t : u.techniques)
                                if (!std::regex_match(t, std::regex("T[0-9]{4}(\\.[0-9]{3})?")))
                                    fail(x, p, "not an ATT&CK technique id: '" + t + "'");
                        } else if (k == "tactic")
                            u.tactics = x.IsScalar() ? std::vector<std::string>{str(x, p)} : strings(x, p);
                        else if (k == "event_type") u.event_type = str(x, p);
                        else if (k == "suppress") u.suppress = uint32_t(integer(x, p, 0, 7 * 86400));
                        else if (k == "enabled") u.enabled = boolean(x, p);
                        else if (k == "match") {
                            has_match = true;
                            if (!x.IsMap() || x.size() == 0) fail(x, p, "expected a mapping of field: condition");
                            forEach(x, p, {}, [&](const std::string& f, const std::string& fp,
                                                  const YAML::Node&, const YAML::Node& cv) {
                                u.conditions.push_back(condition(f, fp, cv));
                            });
                        }
                    });
            if (!has_sid) fail(r, path + ".sid", "missing required key");
            if (!has_msg) fail(r, path + ".message", "missing required key");
            if (!has_match) fail(r, path + ".match", "missing required key");
            cfg.rules.push_back(std::move(u));
        }
    }

    void baseline(const YAML::Node& n, BaselineConfig& b) const {
        forEach(n, "baseline",
                {"enabled", "learning_period", "severity", "max_hosts", "max_items", "new_operation",
                 "new_peer", "new_pipe", "rate", "error_ratio", "bucket", "alpha", "rate_sigma",
                 "min_calls", "min_buckets", "error_ratio_delta", "min_error_calls", "suppress"},
                [&](const std::string& k, const std::string& p, const YAML::Node&, const YAML::Node& x) {
                    if (k == "enabled") b.enabled = boolean(x, p);
                    else if (k == "learning_period") b.learning_period = uint32_t(integer(x, p, 0, 365 * 86400));
                    else if (k == "severity") b.severity = int(integer(x, p, 1, 3));
                    else if (k == "max_hosts") b.max_hosts = uint32_t(integer(x, p, 1, 10000000));
                    else if (k == "max_items") b.max_items = uint32_t(integer(x, p, 1, 100000));
                    else if (k == "new_operation") b.new_operation = boolean(x, p);
                    else if (k == "new_peer") b.new_peer = boolean(x, p);
                    else if (k == "new_pipe") b.new_pipe = boolean(x, p);
                    else if (k == "rate") b.rate = boolean(x, p);
                    else if (k == "error_ratio") b.error_ratio = boolean(x, p);
                    else if (k == "bucket") b.bucket = uint32_t(integer(x, p, 1, 86400));
                    else if (k == "alpha") b.alpha = real(x, p, 0.0001, 1.0);
                    else if (k == "rate_sigma") b.rate_sigma = real(x, p, 0.1, 1000);
                    else if (k == "min_calls") b.min_calls = uint32_t(integer(x, p, 0, 100000000));
                    else if (k == "min_buckets") b.min_buckets = uint32_t(integer(x, p, 1, 1000000));
                    else if (k == "error_ratio_delta") b.error_ratio_delta = real(x, p, 0.0, 1.0);
                    else if (k == "min_error_calls") b.min_error_calls = uint32_t(integer(x, p, 1, 100000000));
                    else if (k == "suppress") b.suppress = uint32_t(integer(x, p, 0, 7 * 86400));
                });
    }

    // `limits:` from the key table: each leaf is read with its range, and where it was set
    // (file, line) is kept so a second file setting it again is an error (mergeLimits).
    void limits(const YAML::Node& n, DetectConfig& cfg, const std::string& prefix = "limits") const {
        forEach(n, prefix, {}, [&](const std::string&, const std::string& p, const YAML::Node& keynode,
                                   const YAML::Node& x) {
            const LimitKey* row = nullptr;
            bool group = false;
            for (const auto& r : limitTable()) {
                if (p == r.path) row = &r;
                else if (std::string(r.path).rfind(p + ".", 0) == 0) group = true;
            }
            if (group) return limits(x, cfg, p);
            if (!row) failAt(keynode.Mark(), p, "unknown key");
            if (auto prev = cfg.limit_sources.find(p); prev != cfg.limit_sources.end())
                failAt(keynode.Mark(), p, "also set in " + prev->second.file + ":" +
                                              std::to_string(prev->second.line) + "; set it in one file only");
            uint64_t v = uint64_t(integer(x, p, row->lo, row->hi));
            row->set(cfg, v);
            cfg.limit_sources[p] = {file(), lineOf(keynode), v};
        });
    }

};

}  // namespace

std::vector<std::string> limitKeys() {
    std::vector<std::string> keys;
    for (const auto& r : limitTable()) keys.push_back(r.path);
    return keys;
}

void mergeLimits(const YAML::Node& limits, const std::string& file, DetectConfig& cfg) {
    Parser(file).limits(limits, cfg);
}

DetectConfig parseConfig(const std::string& text, const std::string& file) {
    DetectConfig cfg;
    cfg.file = file;
    cfg.sensitive_files = defaultSensitiveFiles();
    Parser p(file);
    YAML::Node root = p.load(text);
    if (root.IsNull()) return cfg;
    p.forEach(root, "",
              {"version", "allowlists", "sensitive_files", "signatures", "rules", "baseline", "limits"},
              [&](const std::string& k, const std::string& path, const YAML::Node&, const YAML::Node& v) {
                  if (k == "version") {
                      if (p.integer(v, path, 1, 1) != 1) p.fail(v, path, "unsupported version");
                  } else if (k == "allowlists") {
                      p.forEach(v, path, {"domain_controllers", "admin_hosts", "nfs_root_clients"},
                                [&](const std::string& a, const std::string& ap, const YAML::Node&,
                                    const YAML::Node& x) {
                                    if (a == "domain_controllers") cfg.domain_controllers = p.cidrs(x, ap);
                                    else if (a == "admin_hosts") cfg.admin_hosts = p.cidrs(x, ap);
                                    else cfg.nfs_root_clients = p.cidrs(x, ap);
                                });
                  } else if (k == "sensitive_files") {
                      // A list replaces the defaults; {add: [...]} extends them.
                      std::vector<std::string> names;
                      if (v.IsMap()) {
                          names = cfg.sensitive_files;
                          p.forEach(v, path, {"add"}, [&](const std::string&, const std::string& ap,
                                                          const YAML::Node&, const YAML::Node& x) {
                              for (auto& s : p.strings(x, ap)) names.push_back(s);
                          });
                      } else {
                          names = p.strings(v, path);
                      }
                      for (auto& s : names) s = lower(s);
                      cfg.sensitive_files = names;
                  } else if (k == "signatures") {
                      p.signatures(v, cfg);
                  } else if (k == "rules") {
                      p.rules(v, cfg);
                  } else if (k == "baseline") {
                      p.baseline(v, cfg.baseline);
                  } else if (k == "limits") {
                      p.limits(v, cfg);
                  }
              });
    return cfg;
}

DetectConfig loadConfig(const std::string& path) { return parseConfig(config::readConfigFile(path), path); }

// ---- user rule conditions ---------------------------------------------------------------------

namespace {
bool scalarEquals(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    if (a.is_string() && b.is_string()) return a.get<std::string>() == b.get<std::string>();
    if (a.is_boolean() && b.is_boolean()) return a.get<bool>() == b.get<bool>();
    // "12" in YAML vs 12 in the record, and vice versa: compare the text forms.
    if (a.is_string() && b.is_number()) return a.get<std::string>() == b.dump();
    if (a.is_number() && b.is_string()) return a.dump() == b.get<std::string>();
    return false;
}
std::string text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
}  // namespace

bool Condition::matches(const Event& ev) const {
    Json tmp;
    return matchValue(ref.get(ev, tmp));
}

bool Condition::matches(const Json& rec) const { return matchValue(detect::field(rec, field)); }

bool Condition::matchValue(const Json* f) const {
    if (op == Op::Exists) return (f != nullptr && !f->is_null()) == value.get<bool>();
    if (!f || f->is_null()) return op == Op::NotEquals || op == Op::NotIn;
    // A list field (nfs.ops, nfs.names) matches when any element matches.
    if (f->is_array()) {
        if (op == Op::NotEquals || op == Op::NotIn) {
            Condition pos = *this;
            pos.op = op == Op::NotEquals ? Op::Equals : Op::In;
            return !pos.matchValue(f);
        }
        for (const auto& e : *f)
            if (matchValue(&e)) return true;
        return false;
    }
    switch (op) {
        case Op::Equals: return scalarEquals(*f, value);
        case Op::NotEquals: return !scalarEquals(*f, value);
        case Op::In:
        case Op::NotIn: {
            bool in = false;
            for (const auto& v : value) in = in || scalarEquals(*f, v);
            return op == Op::In ? in : !in;
        }
        case Op::Contains: return text(*f).find(value.get<std::string>()) != std::string::npos;
        case Op::Regex: return std::regex_search(text(*f), re);
        case Op::Gt:
        case Op::Ge:
        case Op::Lt:
        case Op::Le: {
            if (!f->is_number()) return false;
            double x = f->get<double>(), y = value.get<double>();
            return op == Op::Gt ? x > y : op == Op::Ge ? x >= y : op == Op::Lt ? x < y : x <= y;
        }
        default: return false;
    }
}

// ---- rule paths resolved to event fields ------------------------------------------------------

namespace {

using Getter = bool (*)(const Event&, Json&);

template <typename T>
bool put(Json& out, T v) {
    out = v;
    return true;
}
bool putText(Json& out, std::string_view v) {
    if (v.empty()) return false;  // the writer omits empty names
    out = std::string(v);
    return true;
}
std::string hex8(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}
const OncCall* onc(const Event& e) { return e.onc(); }
const DceCall* dce(const Event& e) { return e.dce(); }

// Every scalar an rpc / smb_session / smb_pipe EVE record carries (SCHEMA.md), with the
// writer's omission rules (output/event.cc writeEvent).
const std::map<std::string, Getter, std::less<>>& typedFields() {
    static const std::map<std::string, Getter, std::less<>> t = {
        {"timestamp", [](const Event& e, Json& o) { return put(o, formatTimestamp(e.ts)); }},
        {"flow_id", [](const Event& e, Json& o) { return put(o, e.flow_id); }},
        {"event_type", [](const Event& e, Json& o) { return put(o, eventTypeName(e.type)); }},
        {"src_ip", [](const Event& e, Json& o) { return e.ips_known && put(o, formatAddress(e.key.client)); }},
        {"dest_ip", [](const Event& e, Json& o) { return e.ips_known && put(o, formatAddress(e.key.server)); }},
        {"src_port", [](const Event& e, Json& o) { return e.ports_known && put(o, e.key.client_port); }},
        {"dest_port", [](const Event& e, Json& o) { return e.ports_known && put(o, e.key.server_port); }},
        {"proto", [](const Event& e, Json& o) { return put(o, e.key.l4proto == IPPROTO_UDP ? "UDP" : "TCP"); }},
        {"vlan", [](const Event& e, Json& o) { return e.key.vlan_id && put(o, e.key.vlan_id); }},
        {"rpc.family", [](const Event& e, Json& o) { return onc(e) ? put(o, "onc") : dce(e) && put(o, "dcerpc"); }},
        {"rpc.vantage", [](const Event& e, Json& o) { return e.type == EventType::Rpc && e.host_vantage && put(o, "host"); }},
        {"rpc.latency_us", [](const Event& e, Json& o) { return e.latency_us && put(o, *e.latency_us); }},
        {"rpc.reply.status", [](const Event& e, Json& o) {
             if (auto* c = onc(e)) return c->reply && put(o, c->reply->accepted ? "accepted" : "denied");
             if (auto* d = dce(e)) return d->reply && d->reply->status && put(o, hex8(*d->reply->status));
             return false;
         }},
        // ONC RPC (RFC 5531)
        {"rpc.xid", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->xid); }},
        {"rpc.program", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->program); }},
        {"rpc.program_name", [](const Event& e, Json& o) { return onc(e) && onc(e)->program_name && put(o, onc(e)->program_name); }},
        {"rpc.version", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->version); }},
        {"rpc.procedure", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->procedure); }},
        {"rpc.procedure_name", [](const Event& e, Json& o) { return onc(e) && onc(e)->procedure_name && put(o, onc(e)->procedure_name); }},
        {"rpc.cred.flavor", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->cred.flavor); }},
        {"rpc.cred.machine_name", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_sys && put(o, onc(e)->cred.machine_name); }},
        {"rpc.cred.uid", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_sys && put(o, onc(e)->cred.uid); }},
        {"rpc.cred.gid", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_sys && put(o, onc(e)->cred.gid); }},
        {"rpc.cred.gids", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_sys && put(o, onc(e)->cred.gids); }},
        {"rpc.cred.stamp", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_sys && put(o, onc(e)->cred.stamp); }},
        {"rpc.cred.gss.version", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_gss && put(o, onc(e)->cred.gss_version); }},
        {"rpc.cred.gss.procedure", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_gss && put(o, onc(e)->cred.gss_procedure); }},
        {"rpc.cred.gss.seq", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_gss && put(o, onc(e)->cred.gss_seq); }},
        {"rpc.cred.gss.service", [](const Event& e, Json& o) { return onc(e) && onc(e)->cred.has_gss && put(o, onc(e)->cred.gss_service); }},
        {"rpc.verifier.flavor", [](const Event& e, Json& o) { return onc(e) && put(o, onc(e)->verifier_flavor); }},
        {"rpc.retransmissions", [](const Event& e, Json& o) { return onc(e) && onc(e)->retransmissions && put(o, onc(e)->retransmissions); }},
        {"rpc.callback", [](const Event& e, Json& o) { return onc(e) && onc(e)->callback && put(o, true); }},
        {"rpc.reply.accept_status", [](const Event& e, Json& o) { return onc(e) && onc(e)->reply && onc(e)->reply->accepted && put(o, onc(e)->reply->accept_status); }},
        {"rpc.reply.reject_status", [](const Event& e, Json& o) { return onc(e) && onc(e)->reply && !onc(e)->reply->accepted && put(o, onc(e)->reply->reject_status); }},
        {"rpc.reply.auth_status", [](const Event& e, Json& o) { return onc(e) && onc(e)->reply && !onc(e)->reply->accepted && putText(o, onc(e)->reply->auth_status); }},
        {"rpc.reply.mismatch_low", [](const Event& e, Json& o) { return onc(e) && onc(e)->reply && onc(e)->reply->has_mismatch && put(o, onc(e)->reply->mismatch_low); }},
        {"rpc.reply.mismatch_high", [](const Event& e, Json& o) { return onc(e) && onc(e)->reply && onc(e)->reply->has_mismatch && put(o, onc(e)->reply->mismatch_high); }},
        // DCE/RPC (C706, MS-RPCE)
        {"rpc.call_id", [](const Event& e, Json& o) { return dce(e) && put(o, dce(e)->call_id); }},
        {"rpc.activity_uuid", [](const Event& e, Json& o) { return dce(e) && dce(e)->activity && put(o, dce(e)->activity->toString()); }},
        {"rpc.interface.uuid", [](const Event& e, Json& o) { return dce(e) && dce(e)->iface && put(o, dce(e)->iface->uuid.toString()); }},
        {"rpc.interface.name", [](const Event& e, Json& o) { return dce(e) && dce(e)->iface && putText(o, dce(e)->iface->name); }},
        {"rpc.interface.version", [](const Event& e, Json& o) {
             return dce(e) && dce(e)->iface &&
                    put(o, std::to_string(dce(e)->iface->ver_major) + "." + std::to_string(dce(e)->iface->ver_minor));
         }},
        {"rpc.context_rejected", [](const Event& e, Json& o) { return dce(e) && dce(e)->iface && dce(e)->context_rejected && put(o, true); }},
        {"rpc.context_id", [](const Event& e, Json& o) { return dce(e) && !dce(e)->iface && dce(e)->context_id && put(o, *dce(e)->context_id); }},
        {"rpc.opnum", [](const Event& e, Json& o) { return dce(e) && put(o, dce(e)->opnum); }},
        {"rpc.operation", [](const Event& e, Json& o) { return dce(e) && putText(o, dce(e)->operation); }},
        {"rpc.auth.type", [](const Event& e, Json& o) { return dce(e) && put(o, dce(e)->auth.type); }},
        {"rpc.auth.level", [](const Event& e, Json& o) { return dce(e) && put(o, dce(e)->auth.level); }},
        {"rpc.auth.user", [](const Event& e, Json& o) { return dce(e) && putText(o, dce(e)->auth.user); }},
        {"rpc.auth.domain", [](const Event& e, Json& o) { return dce(e) && putText(o, dce(e)->auth.domain); }},
        {"rpc.auth.workstation", [](const Event& e, Json& o) { return dce(e) && putText(o, dce(e)->auth.workstation); }},
        {"rpc.named_pipe", [](const Event& e, Json& o) { return dce(e) && putText(o, dce(e)->named_pipe); }},
        {"rpc.object_uuid", [](const Event& e, Json& o) { return dce(e) && dce(e)->object && put(o, dce(e)->object->toString()); }},
        {"rpc.reply.packet_type", [](const Event& e, Json& o) { return dce(e) && dce(e)->reply && put(o, dce(e)->reply->packet_type); }},
        {"rpc.truncated", [](const Event& e, Json& o) { return dce(e) && dce(e)->truncated && put(o, true); }},
        // SMB (the session a pipe belongs to; session setup and pipe-open results)
        {"smb.user", [](const Event& e, Json& o) { return putText(o, e.smb.user); }},
        {"smb.domain", [](const Event& e, Json& o) { return putText(o, e.smb.domain); }},
        {"smb.host", [](const Event& e, Json& o) { return putText(o, e.smb.host); }},
        {"smb.share", [](const Event& e, Json& o) { return putText(o, e.smb.share); }},
        {"smb.dialect", [](const Event& e, Json& o) { return putText(o, e.smb.dialect); }},
        {"smb.session_id", [](const Event& e, Json& o) { return e.smb.session_id && put(o, *e.smb.session_id); }},
        {"smb.pipe", [](const Event& e, Json& o) { return putText(o, e.smb.pipe); }},
        {"smb.auth", [](const Event& e, Json& o) { return e.smb.auth && put(o, e.smb.auth); }},
        {"smb.encrypted", [](const Event& e, Json& o) { return e.smb.encrypted && put(o, *e.smb.encrypted); }},
        {"smb.status", [](const Event& e, Json& o) { return putText(o, e.smb.status); }},
        {"smb.guest", [](const Event& e, Json& o) { return e.smb.guest && put(o, true); }},
        {"smb.kerberos.realm", [](const Event& e, Json& o) { return putText(o, e.smb.krb_realm); }},
        {"smb.kerberos.sname", [](const Event& e, Json& o) { return putText(o, e.smb.krb_sname); }},
        // The local process that owns the socket (host hooks)
        {"process.pid", [](const Event& e, Json& o) { return e.process && put(o, e.process->pid); }},
        {"process.name", [](const Event& e, Json& o) { return e.process && put(o, e.process->name); }},
        {"process.uid", [](const Event& e, Json& o) { return e.process && put(o, e.process->uid); }},
    };
    return t;
}

// Paths that name a whole object: rare in rules (`rpc.reply: {exists: false}`), read from the
// event's JSON.
const std::set<std::string, std::less<>>& objectPaths() {
    static const std::set<std::string, std::less<>> t = {
        "rpc", "rpc.cred", "rpc.cred.gss", "rpc.verifier", "rpc.reply", "rpc.interface", "rpc.auth",
        "rpc.args", "rpc.dcom", "rpc.bind", "epm", "smb", "smb.kerberos", "process"};
    return t;
}

std::vector<std::string> splitDots(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        size_t dot = s.find('.');
        out.emplace_back(s.substr(0, dot));
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return out;
}

// The value `rest` names below a decoded-argument object, as JSON (the matcher compares JSON
// values; rule paths name scalars, so the conversion is small).
const Json* below(const ArgList* obj, const std::vector<std::string>& rest, Json& tmp) {
    const ArgValue* v = nullptr;
    for (const auto& part : rest) {
        if (!obj) return nullptr;
        v = obj->find(part);
        obj = v ? v->object() : nullptr;
    }
    if (!v) return nullptr;
    tmp = toJson(*v);
    return &tmp;
}

}  // namespace

std::optional<FieldRef> resolveField(std::string_view path) {
    FieldRef r;
    auto parts = splitDots(path);
    for (const auto& p : parts)
        if (p.empty()) return std::nullopt;  // "rpc..opnum", ".x", "x."
    if (auto it = typedFields().find(path); it != typedFields().end()) {
        r.kind = FieldRef::Kind::Typed;
        r.typed = it->second;
        return r;
    }
    if (objectPaths().count(path)) {
        r.kind = FieldRef::Kind::Record;
        r.path = std::string(path);
        return r;
    }
    auto under = [&](FieldRef::Kind k, size_t skip) {
        r.kind = k;
        r.rest.assign(parts.begin() + long(skip), parts.end());
        return r;
    };
    if (parts.size() > 2 && parts[0] == "rpc" && parts[1] == "args") return under(FieldRef::Kind::Args, 2);
    if (parts.size() > 2 && parts[0] == "rpc" && parts[1] == "dcom") return under(FieldRef::Kind::Dcom, 2);
    if (parts.size() > 1 && parts[0] == "epm") return under(FieldRef::Kind::Epm, 1);
    // The ONC program objects the dissectors write next to `rpc` (protocols/onc/programs.h).
    for (const onc::ProgramObject& p : onc::kProgramObjects)
        if (parts[0] == p.object) {
            r.program = p.object;
            return under(FieldRef::Kind::Program, 1);
        }
    return std::nullopt;
}

const Json* FieldRef::get(const Event& ev, Json& tmp) const {
    const DceCall* d = ev.dce();
    switch (kind) {
        case Kind::Typed: return typed(ev, tmp) ? &tmp : nullptr;
        case Kind::Args: return d ? below(&d->args, rest, tmp) : nullptr;
        case Kind::Dcom: return d ? below(&d->dcom, rest, tmp) : nullptr;
        case Kind::Epm: return d ? below(&d->epm, rest, tmp) : nullptr;
        case Kind::Program: {
            const OncCall* o = ev.onc();
            const ArgValue* p = o ? o->fields.find(program) : nullptr;
            if (p && rest.empty()) {  // the program object itself ("nfs")
                tmp = toJson(*p);
                return &tmp;
            }
            return p ? below(p->object(), rest, tmp) : nullptr;
        }
        case Kind::Record:
            tmp = toJson(ev);
            if (const Json* f = detect::field(tmp, path)) {
                Json v = *f;
                tmp = std::move(v);
                return &tmp;
            }
            return nullptr;
    }
    return nullptr;
}

}  // namespace rpcmon::detect
