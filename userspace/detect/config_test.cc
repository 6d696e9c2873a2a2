// SPDX-License-Identifier: Apache-2.0
// YAML rules configuration: strict validation with file:line:key errors, user rules, allowlists,
// and the shipped example file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "detect/test_util.h"

namespace rpcmon::detect::test {
namespace {

std::string errorOf(const std::string& yaml) {
    try {
        parseConfig(yaml, "rules.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(Config, EmptyIsDefaults) {
    DetectConfig c = parseConfig("", "x.yaml");
    EXPECT_TRUE(c.rules.empty());
    EXPECT_FALSE(c.sensitive_files.empty());
    EXPECT_TRUE(c.baseline.enabled);
}

TEST(Config, UnknownTopLevelKeyNamesFileLineKey) {
    EXPECT_EQ(errorOf("version: 1\nallowlists: {}\nbogus: 3\n"), "rules.yaml:3: key 'bogus': unknown key");
}

TEST(Config, UnknownNestedKey) {
    EXPECT_EQ(errorOf("signatures:\n  dcsync:\n    enabled: true\n    threshhold: 3\n"),
              "rules.yaml:4: key 'signatures.dcsync.threshhold': unknown key");
}

TEST(Config, UnknownSignatureName) {
    EXPECT_EQ(errorOf("signatures:\n  dcsink: false\n"), "rules.yaml:2: key 'signatures.dcsink': unknown signature name");
}

TEST(Config, BadValues) {
    EXPECT_EQ(errorOf("signatures:\n  dcsync: {severity: 7}\n"),
              "rules.yaml:2: key 'signatures.dcsync.severity': value 7 out of range [1, 3]");
    EXPECT_EQ(errorOf("signatures:\n  samr_enumeration:\n    threshold: lots\n"),
              "rules.yaml:3: key 'signatures.samr_enumeration.threshold': expected an integer, got 'lots'");
    EXPECT_EQ(errorOf("allowlists:\n  domain_controllers:\n    - 10.0.0.1\n    - 10.0.0.300/32\n"),
              "rules.yaml:4: key 'allowlists.domain_controllers': not an IP address or CIDR prefix: '10.0.0.300/32'");
    EXPECT_EQ(errorOf("baseline:\n  enabled: maybe\n"),
              "rules.yaml:2: key 'baseline.enabled': expected true or false, got 'maybe'");
    EXPECT_EQ(errorOf("allowlists:\n  domain_controllers: [10.0.0.0/33]\n"),
              "rules.yaml:2: key 'allowlists.domain_controllers': not an IP address or CIDR prefix: '10.0.0.0/33'");
}

TEST(Config, EnumerationEscalationKeys) {
    DetectConfig c = parseConfig("signatures:\n  samr_enumeration: {items: 5, servers: 2, threshold: 4}\n", "r.yaml");
    EXPECT_EQ(c.signatures["samr_enumeration"].items, std::optional<uint32_t>(5));
    EXPECT_EQ(c.signatures["samr_enumeration"].servers, std::optional<uint32_t>(2));
    EXPECT_EQ(errorOf("signatures:\n  samr_enumeration:\n    items: -3\n"),
              "rules.yaml:3: key 'signatures.samr_enumeration.items': value -3 out of range [0, 10000000]");
    EXPECT_EQ(errorOf("signatures:\n  portmap_dump_sweep: {servers: many}\n"),
              "rules.yaml:2: key 'signatures.portmap_dump_sweep.servers': expected an integer, got 'many'");
}

// The example documents the defaults: every value it sets is the built-in one.
TEST(Config, ShippedExampleShowsTheBuiltInDefaults) {
    DetectConfig c = loadConfig(std::string(RPCMON_SOURCE_DIR) + "/config/rules.example.yaml");
    for (const auto& d : builtinSignatures()) {
        const SignatureOverride& o = c.signatures[d.name];
        if (o.severity) { EXPECT_EQ(*o.severity, d.severity) << d.name; }
        if (o.threshold) { EXPECT_EQ(*o.threshold, d.threshold) << d.name; }
        if (o.window) { EXPECT_EQ(*o.window, d.window_s) << d.name; }
        if (o.suppress) { EXPECT_EQ(*o.suppress, d.suppress_s) << d.name; }
        if (o.items) { EXPECT_EQ(*o.items, d.items) << d.name; }
        if (o.servers) { EXPECT_EQ(*o.servers, d.servers) << d.name; }
    }
}

TEST(Config, YamlSyntaxError) {
    std::string e = errorOf("signatures:\n  dcsync: [\n");
    EXPECT_EQ(e.rfind("rules.yaml:", 0), 0u) << e;
    EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST(Config, UserRuleErrors) {
    EXPECT_EQ(errorOf("rules:\n  - sid: 9000001\n    message: x\n    match: {rpc.opnum: {between: 3}}\n"),
              "rules.yaml:4: key 'rules[0].match.rpc.opnum.between': unknown operator (equals, not_equals, in, "
              "not_in, contains, regex, gt, ge, lt, le, exists)");
    EXPECT_EQ(errorOf("rules:\n  - sid: 1000003\n    message: x\n    match: {rpc.opnum: 1}\n"),
              "rules.yaml:2: key 'rules[0].sid': sid 1000003 is already used");
    EXPECT_EQ(errorOf("rules:\n  - message: x\n    match: {rpc.opnum: 1}\n"), "rules.yaml:2: key 'rules[0].sid': missing required key");
    EXPECT_EQ(errorOf("rules:\n  - sid: 9000001\n    message: x\n    technique: T12\n    match: {rpc.opnum: 1}\n"),
              "rules.yaml:4: key 'rules[0].technique': not an ATT&CK technique id: 'T12'");
    std::string re = errorOf("rules:\n  - sid: 9000001\n    message: x\n    match: {smb.user: {regex: '(['}}\n");
    EXPECT_EQ(re.rfind("rules.yaml:4: key 'rules[0].match.smb.user.regex': bad regular expression", 0), 0u) << re;
    EXPECT_EQ(errorOf("rules:\n  - sid: 9000001\n    message: x\n    match: {rpc.opnum: 1}\n  - sid: 9000001\n    message: y\n    match: {rpc.opnum: 2}\n"),
              "rules.yaml:5: key 'rules[1].sid': sid 9000001 is already used");
}

TEST(Config, LoadFileErrorsNameTheFile) {
    std::string path = ::testing::TempDir() + "/detect_bad.yaml";
    std::ofstream(path) << "version: 1\nbaseline:\n  learning_period: -5\n";
    try {
        loadConfig(path);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), path + ":3: key 'baseline.learning_period': value -5 out of range [0, 31536000]");
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.key(), "baseline.learning_period");
    }
    EXPECT_THROW(loadConfig("/nonexistent/rules.yaml"), ConfigError);
}

TEST(Config, ShippedExampleLoadsAndDocumentsEverySignature) {
    std::string path = std::string(RPCMON_SOURCE_DIR) + "/config/rules.example.yaml";
    DetectConfig c = loadConfig(path);
    for (const auto& s : builtinSignatures()) EXPECT_TRUE(c.signatures.count(s.name)) << s.name;
    EXPECT_FALSE(c.rules.empty());
    CollectSink sink;
    DetectorOptions o;
    o.rules_file = path;
    Detector d(o, sink);  // every rule in the example compiles
}

TEST(Limits, AbsentKeysKeepTheBuiltInDefaults) {
    DetectConfig c = parseConfig("limits:\n  max_tracked_keys: 1000\n", "x.yaml");
    EXPECT_EQ(c.max_tracked_keys, 1000u);
    EXPECT_FALSE(c.runtime.memory_mb);
    EXPECT_FALSE(c.runtime.max_flows);
    EXPECT_FALSE(c.runtime.reassembly_budget);
    EXPECT_TRUE(c.runtime.protocols.empty());
}

TEST(Limits, ValidValues) {
    DetectConfig c = parseConfig(R"(
limits:
  max_tracked_keys: 5000
  summary_min_count: 3
  memory_mb: 64
  flows: {max: 2000, tcp_idle: 30, udp_idle: 10}
  reassembly:
    max_pending: 0x10000
    max_out_of_order: 0
    max_out_of_order_segments: 16
    budget: 1048576
  protocols:
    onc_pending_calls: 256
    dcerpc_pending_calls: 32
    dcerpc_contexts: 128
)", "x.yaml");
    const RuntimeLimits& l = c.runtime;
    EXPECT_EQ(c.max_tracked_keys, 5000u);
    EXPECT_EQ(c.summary_min_count, 3u);
    EXPECT_EQ(l.memory_mb, 64u);
    EXPECT_EQ(l.max_flows, 2000u);
    EXPECT_EQ(l.tcp_idle, 30u);
    EXPECT_EQ(l.udp_idle, 10u);
    EXPECT_EQ(l.max_pending, 65536u);
    EXPECT_EQ(l.max_out_of_order, 0u);  // set (no out-of-order holding), not absent
    EXPECT_EQ(l.max_out_of_order_segments, 16u);
    EXPECT_EQ(l.reassembly_budget, 1048576u);
    const std::map<std::string, uint64_t> protocols = {
        {"onc_pending_calls", 256}, {"dcerpc_pending_calls", 32}, {"dcerpc_contexts", 128}};
    EXPECT_EQ(l.protocols, protocols);
    EXPECT_EQ(parseConfig("limits: {memory_mb: 0}\n", "x.yaml").runtime.memory_mb, 0u);  // 0 = no cap
}

TEST(Limits, IpReassembly) {
    const RuntimeLimits l = parseConfig(R"(
limits:
  ip_reassembly: {max_bytes: 1048576, max_datagrams: 100, max_fragments: 8, ipv4_timeout: 5, ipv6_timeout: 7}
)", "x.yaml").runtime;
    EXPECT_EQ(l.defrag_max_bytes, 1048576u);
    EXPECT_EQ(l.defrag_max_datagrams, 100u);
    EXPECT_EQ(l.defrag_max_fragments, 8u);
    EXPECT_EQ(l.defrag_ipv4_timeout, 5u);
    EXPECT_EQ(l.defrag_ipv6_timeout, 7u);
    EXPECT_FALSE(parseConfig("limits: {}\n", "x.yaml").runtime.defrag_max_bytes);
    EXPECT_EQ(errorOf("limits:\n  ip_reassembly:\n    max_frags: 3\n"),
              "rules.yaml:3: key 'limits.ip_reassembly.max_frags': unknown key");
    EXPECT_NE(errorOf("limits:\n  ip_reassembly:\n    max_fragments: 1\n"), "");  // below the range
}

TEST(Limits, UnknownKeysNameFileLineKey) {
    EXPECT_EQ(errorOf("version: 1\nlimits:\n  memory: 64\n"), "rules.yaml:3: key 'limits.memory': unknown key");
    EXPECT_EQ(errorOf("limits:\n  flows:\n    max: 10\n    maxx: 3\n"), "rules.yaml:4: key 'limits.flows.maxx': unknown key");
    EXPECT_EQ(errorOf("limits:\n  reassembly:\n    budget_mb: 3\n"),
              "rules.yaml:3: key 'limits.reassembly.budget_mb': unknown key");
    EXPECT_EQ(errorOf("limits:\n  protocols:\n    smb_sessions: 3\n"),
              "rules.yaml:3: key 'limits.protocols.smb_sessions': unknown key");
}

TEST(Limits, BadValues) {
    EXPECT_EQ(errorOf("limits:\n  memory_mb: lots\n"), "rules.yaml:2: key 'limits.memory_mb': expected an integer, got 'lots'");
    EXPECT_EQ(errorOf("limits:\n  memory_mb: -1\n"), "rules.yaml:2: key 'limits.memory_mb': value -1 out of range [0, 1048576]");
    EXPECT_EQ(errorOf("limits:\n  flows:\n    max: 0\n"), "rules.yaml:3: key 'limits.flows.max': value 0 out of range [1, 100000000]");
    EXPECT_EQ(errorOf("limits:\n  flows:\n    tcp_idle: 1.5\n"), "rules.yaml:3: key 'limits.flows.tcp_idle': expected an integer, got '1.5'");
    EXPECT_EQ(errorOf("limits:\n  flows: 2000\n"), "rules.yaml:2: key 'limits.flows': expected a mapping");
    EXPECT_EQ(errorOf("limits:\n  reassembly:\n    budget: 1000\n"),
              "rules.yaml:3: key 'limits.reassembly.budget': value 1000 out of range [65536, 68719476736]");
    EXPECT_EQ(errorOf("limits:\n  reassembly:\n    max_pending: [1]\n"),
              "rules.yaml:3: key 'limits.reassembly.max_pending': expected an integer");
    EXPECT_EQ(errorOf("limits:\n  protocols:\n    dcerpc_contexts: 70000\n"),
              "rules.yaml:3: key 'limits.protocols.dcerpc_contexts': value 70000 out of range [1, 65536]");
}

TEST(UserRules, FireOnMatchingRecord) {
    const std::string yaml = R"(
rules:
  - sid: 9000001
    message: "svcctl from a non-admin subnet"
    severity: 1
    category: execution
    technique: [T1569.002]
    tactic: execution
    event_type: rpc
    match:
      rpc.interface.uuid: 367abb81-9844-35f1-ad32-98f038001003
      rpc.opnum: {in: [12, 45]}
      src_ip: {regex: '^192\.168\.'}
      rpc.latency_us: {gt: 100}
      smb.user: {exists: false}
)";
    Outcome r = run(loadGolden("corpus-dcerpc-dce-iface-01-psexec"), yaml);
    ASSERT_TRUE(r.fired(9000001));
    const Json& a = *r.first(9000001);
    EXPECT_EQ(a["alert"]["severity"], 1);
    EXPECT_EQ(a["alert"]["metadata"]["mitre_technique_id"], Json::array({"T1569.002"}));
    EXPECT_EQ(a["alert"]["metadata"]["mitre_tactic"], Json::array({"execution"}));
    EXPECT_EQ(a["alert"]["rule_line"], 4);  // run() prepends one line; the YAML starts with a newline
    EXPECT_EQ(a["rpc"]["opnum"], 45);
}

TEST(UserRules, OperatorsAndLists) {
    Json r = onc("10.0.0.1", "10.0.0.2", 100003, 4, 1, 0);
    r["nfs"] = {{"ops", {"PUTFH", "OPEN", "GETATTR"}}, {"name", "Payroll.xlsx"}};
    auto fires = [&](const std::string& match) {
        return run({r}, "rules:\n  - sid: 9100000\n    message: m\n    match: " + match + "\n").fired(9100000);
    };
    EXPECT_TRUE(fires("{nfs.ops: OPEN}"));                  // any element of a list
    EXPECT_FALSE(fires("{nfs.ops: REMOVE}"));
    EXPECT_TRUE(fires("{nfs.ops: {not_in: [REMOVE]}}"));
    EXPECT_TRUE(fires("{nfs.name: {contains: Payroll}}"));
    EXPECT_TRUE(fires("{rpc.program: 100003, rpc.version: {ge: 4}}"));
    EXPECT_FALSE(fires("{rpc.program: 100003, rpc.version: {lt: 4}}"));
    EXPECT_TRUE(fires("{rpc.program: '100003'}"));           // quoted number vs integer field
    EXPECT_TRUE(fires("{rpc.cred.uid: {not_equals: 0}}"));
    EXPECT_FALSE(fires("{nfs.missing_field: {equals: 1}}"));   // a path this record lacks
    EXPECT_TRUE(fires("{nfs.missing_field: {exists: false}}"));
    EXPECT_FALSE(fires("{nfs.name: {regex: '^payroll'}}"));  // case-sensitive
}

TEST(Allowlists, Ipv6AndPrefixes) {
    Json rec = dce("fd00:203:203::1", "10.1.1.10", "e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3);
    EXPECT_TRUE(run({rec}).fired(1000003));
    EXPECT_FALSE(run({rec}, "allowlists: {domain_controllers: ['fd00:203::/32']}\n").fired(1000003));
    EXPECT_TRUE(run({rec}, "allowlists: {domain_controllers: ['fd00:204::/32', 10.1.1.10]}\n").fired(1000003));
}

TEST(Cidr, Matching) {
    auto c = parseCidr("10.1.0.0/16");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(*parseIp("10.1.200.3")));
    EXPECT_FALSE(c->contains(*parseIp("10.2.0.1")));
    EXPECT_FALSE(c->contains(*parseIp("::1")));
    auto h = parseCidr("192.168.1.7");
    EXPECT_TRUE(h->contains(*parseIp("192.168.1.7")));
    EXPECT_FALSE(h->contains(*parseIp("192.168.1.8")));
    EXPECT_FALSE(parseCidr("1.2.3.4/"));
    EXPECT_FALSE(parseCidr("garbage"));
    auto all = parseCidr("0.0.0.0/0");
    EXPECT_TRUE(all->contains(*parseIp("8.8.8.8")));
}

TEST(Timestamp, ParsesEveFormat) {
    EXPECT_EQ(parseTimestamp("1970-01-01T00:00:01.500000+0000"), TimeNs(1500000000));
    EXPECT_EQ(formatTimestamp(*parseTimestamp("2026-11-24T13:58:18.638732+0000")), "2026-11-24T13:58:18.638732+0000");
    EXPECT_FALSE(parseTimestamp("yesterday"));
}

}  // namespace
}  // namespace rpcmon::detect::test
