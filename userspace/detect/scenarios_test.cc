// SPDX-License-Identifier: Apache-2.0
// Issue 13: enumeration findings at any scale (first sight, volume from items returned, breadth
// across servers), attempts on execution interfaces (binds, rejected binds, failed pipe opens),
// outcome and reason on every alert, the signature catalogue and ATT&CK layer, and the lab
// scenarios (real tools, tests/golden/expected) each raising its technique.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "detect/catalog.h"
#include "detect/test_util.h"

namespace rpcmon::detect::test {
namespace {

const std::string A = "10.9.9.9";
const std::string B = "10.1.1.20", C = "10.1.1.21", D = "10.1.1.22", E = "10.1.1.23";
const std::string DC = "10.1.1.10";
constexpr const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";
constexpr const char* kLsarpc = "12345778-1234-abcd-ef00-0123456789ab";
constexpr const char* kSrvsvc = "4b324fc8-1670-01d3-1278-5a47bf6ee188";
constexpr const char* kSvcctl = "367abb81-9844-35f1-ad32-98f038001003";
constexpr const char* kTsch = "86d35949-83c9-4044-b424-db363231fd0c";
constexpr const char* kSysAct = "000001a0-0000-0000-c000-000000000046";
constexpr const char* kEpm = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";

using Records = std::vector<Json>;

std::vector<Json> of(const Outcome& r, uint32_t sid, bool summaries = false) {
    std::vector<Json> v;
    for (const auto& a : r.alerts)
        if (a["alert"]["signature_id"] == sid && (summaries || !a["alert"].value("summary", false))) v.push_back(a);
    return v;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Json bindOnly(const std::string& src, const std::string& dst, const std::string& uuid, const std::string& result) {
    Json r = base("dcerpc_bind", src, dst, 135, 0);
    r["rpc"] = {{"family", "dcerpc"},
                {"bind", Json::array({{{"packet_type", "bind"}, {"call_id", 1}, {"secondary_addr", "135"},
                                       {"contexts", {{{"context_id", 0}, {"uuid", uuid}, {"version", "0.0"},
                                                      {"result", result}}}}}})}};
    return r;
}

// ---- enumeration class ---------------------------------------------------------------------

TEST(Enumeration, FirstCallIsSeverityThreeAndExplainsItself) {
    Outcome r = run({dce(A, DC, kSamr, 13, 0)});
    auto v = of(r, 1000001);
    ASSERT_EQ(v.size(), 1u);
    const Json& al = v[0]["alert"];
    EXPECT_EQ(al["severity"], 3);
    EXPECT_EQ(al["calls"], 1);
    EXPECT_EQ(al["items"], 1);  // no decoded count: the call counts as one
    EXPECT_EQ(al["calls_without_item_count"], 1);
    EXPECT_EQ(al["distinct_servers"], 1);
    EXPECT_EQ(al["first_call"], ts(0));
    EXPECT_EQ(al["last_call"], ts(0));
    EXPECT_EQ(al["metadata"]["outcome"], "succeeded");
    EXPECT_EQ(al["metadata"]["mitre_technique_id"], Json::array({"T1087.002", "T1069.002"}));
    const std::string why = al["reason"];
    EXPECT_TRUE(has(why, "First SAMR account/group enumeration from 10.9.9.9 to 10.1.1.10")) << why;
    EXPECT_TRUE(has(why, "in 1 call")) << why;
    EXPECT_TRUE(has(why, "severity 2 at ≥50 accounts/groups, ≥10 calls or ≥3 servers")) << why;
}

TEST(Enumeration, OneFindingPerSourceServerPairPerWindow) {
    Records recs = {dce(A, DC, kSamr, 13, 0), dce(A, DC, kSamr, 11, 1), dce(A, B, kSamr, 13, 2),
                    dce(A, DC, kSamr, 13, 4000)};  // after the 3600 s suppression window: again
    Outcome r = run(recs);
    auto v = of(r, 1000001);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0]["dest_ip"], DC);
    EXPECT_EQ(v[1]["dest_ip"], B);
    EXPECT_EQ(v[2]["dest_ip"], DC);
    for (const auto& a : v) EXPECT_EQ(a["alert"]["severity"], 3);
    auto all = of(r, 1000001, true);
    ASSERT_EQ(all.size(), 4u);  // + the summary of the first (A, DC) window: 2 calls
    EXPECT_EQ(all[2]["alert"]["summary"], true);
    EXPECT_EQ(all[2]["alert"]["count"], 2);
    EXPECT_TRUE(has(all[2]["alert"]["reason"], "Summary: 2 hits"));
}

TEST(Enumeration, ItemsLookedUpRaiseItToSeverityTwo) {
    // impacket lookupsid: one LsarLookupSids carrying 600 SIDs.
    Outcome r = run({dce(A, DC, kLsarpc, 15, 0, {{"sid_count", 600}})});
    auto v = of(r, 1000002);
    ASSERT_EQ(v.size(), 1u);
    const Json& al = v[0]["alert"];
    EXPECT_EQ(al["severity"], 2);
    EXPECT_EQ(al["items"], 600);
    EXPECT_EQ(al["items_from_replies"], 600);
    EXPECT_EQ(al["escalated_by"], Json::array({"items"}));
    EXPECT_TRUE(has(al["reason"], "Volume (≥100 SIDs/names within 300 s): 600 SIDs/names in 1 call")) << al["reason"];
    // 60 SIDs stay a first sight.
    EXPECT_EQ(of(run({dce(A, DC, kLsarpc, 15, 0, {{"sid_count", 60}})}), 1000002)[0]["alert"]["severity"], 3);
}

TEST(Enumeration, EndpointsAndMapEntriesAreCountedFromReplies) {
    Json lookup = dce(A, B, kEpm, 2, 0, nullptr, "none");
    lookup["epm"]["endpoints"] = Json::array();
    for (int i = 0; i < 120; i++) lookup["epm"]["endpoints"].push_back({{"port", 49152 + i}});
    auto v = of(run({lookup}), 1000060);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0]["alert"]["severity"], 2);
    EXPECT_EQ(v[0]["alert"]["items"], 120);

    Json dump = onc(A, B, 100000, 2, 4, 0, -1, 0, 7, 1, 111);
    dump["portmap"]["entries"] = Json::array();
    for (int i = 0; i < 16; i++) dump["portmap"]["entries"].push_back({{"program", 100000 + i}});
    auto d = of(run({dump}), 1000063);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0]["alert"]["severity"], 3);
    EXPECT_EQ(d[0]["alert"]["items"], 16);
    EXPECT_TRUE(has(d[0]["alert"]["reason"], "16 map entries in 1 call")) << d[0]["alert"]["reason"];
}

TEST(Enumeration, BreadthAcrossServersIsOneFindingPerSource) {
    Records recs;
    int i = 0;
    for (const auto& s : {B, C, D, E}) recs.push_back(dce(A, s, kSrvsvc, 15, i++, nullptr, "pkt_privacy", "srvsvc"));
    Outcome r = run(recs);
    auto v = of(r, 1000004);
    ASSERT_EQ(v.size(), 3u);  // B and C first sight, then one breadth finding (D; E is counted)
    EXPECT_EQ(v[0]["alert"]["severity"], 3);
    EXPECT_EQ(v[1]["alert"]["severity"], 3);
    EXPECT_EQ(v[2]["alert"]["severity"], 2);
    EXPECT_EQ(v[2]["alert"]["distinct_servers"], 3);
    EXPECT_EQ(v[2]["alert"]["escalated_by"], Json::array({"servers"}));
    EXPECT_TRUE(has(v[2]["alert"]["reason"], "Breadth (≥3 servers within 600 s)")) << v[2]["alert"]["reason"];
    EXPECT_EQ(v[2]["alert"]["metadata"]["mitre_technique_id"], Json::array({"T1135"}));
}

TEST(Enumeration, WindowEndsTheVolumeCount) {
    // 19 LSA policy queries, then the 20th after the 300 s window: never 20 within it.
    Records recs;
    for (int i = 0; i < 19; i++) recs.push_back(dce(A, DC, kLsarpc, 46, i));
    recs.push_back(dce(A, DC, kLsarpc, 46, 400));
    EXPECT_TRUE(of(run(recs), 1000002).size() >= 1);
    for (const auto& a : of(run(recs), 1000002)) EXPECT_EQ(a["alert"]["severity"], 3);
    recs.back() = dce(A, DC, kLsarpc, 46, 100);
    bool sev2 = false;
    for (const auto& a : of(run(recs), 1000002)) sev2 = sev2 || a["alert"]["severity"] == 2;
    EXPECT_TRUE(sev2);
}

TEST(Enumeration, AdminHostsExemptAndThresholdsConfigurable) {
    EXPECT_FALSE(run({dce(A, DC, kSamr, 13)}, "allowlists: {admin_hosts: [10.9.9.0/24]}\n").fired(1000001));
    Outcome r = run({dce(A, DC, kLsarpc, 15, 0, {{"sid_count", 12}})}, "signatures: {lsarpc_sid_enumeration: {items: 10}}\n");
    EXPECT_EQ(of(r, 1000002)[0]["alert"]["severity"], 2);
    Outcome off = run({dce(A, DC, kLsarpc, 15, 0, {{"sid_count", 600}})}, "signatures: {lsarpc_sid_enumeration: {items: 0}}\n");
    EXPECT_EQ(of(off, 1000002)[0]["alert"]["severity"], 3);  // 0 turns the item escalation off
}

// ---- attempts on execution interfaces -------------------------------------------------------

TEST(Attempts, RejectedActivatorBindIsDcomLateralMovement) {
    // wmiexec / dcomexec against Samba: ISystemActivator bind refused, no call.
    Outcome r = run({bindOnly(A, B, kSysAct, "provider_rejection")});
    auto v = of(r, 1000055);
    ASSERT_EQ(v.size(), 1u);
    const Json& al = v[0]["alert"];
    EXPECT_EQ(al["severity"], 2);
    EXPECT_EQ(al["metadata"]["mitre_technique_id"], Json::array({"T1021.003"}));
    EXPECT_EQ(al["metadata"]["outcome"], "failed");
    EXPECT_EQ(al["source_event_type"], "dcerpc_bind");
    EXPECT_TRUE(has(al["reason"], "bind of DCOM activation (ISystemActivator/IRemoteSCMActivator) rejected (provider_rejection)"))
        << al["reason"];
}

TEST(Attempts, BindWithoutCallFailedPipeOpenAndRejectedContext) {
    auto one = [](const Records& recs) {
        auto v = of(run(recs), 1000055);
        EXPECT_EQ(v.size(), 1u);
        return v.empty() ? Json() : v[0]["alert"];
    };
    Json svc = one({bindOnly(A, B, kSvcctl, "acceptance")});
    EXPECT_EQ(svc["metadata"]["outcome"], "attempt");
    EXPECT_EQ(svc["metadata"]["mitre_technique_id"], Json::array({"T1569.002", "T1543.003"}));
    Json pipe_rec = smbPipe(A, B, "winreg");
    pipe_rec["smb"]["status"] = "STATUS_ACCESS_DENIED";
    Json reg = one({pipe_rec});
    EXPECT_EQ(reg["metadata"]["outcome"], "failed");
    EXPECT_EQ(reg["severity"], 3);
    EXPECT_TRUE(has(reg["reason"], "failed (STATUS_ACCESS_DENIED)"));
    // A call on another context after the task scheduler's bind was rejected.
    Json call = dce(A, B, kEpm, 3, 0, nullptr, "none");
    call["rpc"]["bind"] = Json::array({{{"packet_type", "alter_context"}, {"call_id", 2},
                                        {"contexts", {{{"context_id", 1}, {"uuid", kTsch}, {"result", "provider_rejection"}}}}}});
    Json tsch = one({call});
    EXPECT_EQ(tsch["metadata"]["mitre_technique_id"], Json::array({"T1053.005"}));
    EXPECT_TRUE(has(tsch["reason"], "alter_context of task scheduler (ITaskSchedulerService) rejected"));
    // atsvc pipe opens belong to task_pipe_open (1000015), which carries the outcome too.
    Json at = smbPipe(A, B, "atsvc");
    at["smb"]["status"] = "STATUS_OBJECT_NAME_NOT_FOUND";
    Outcome r = run({at});
    EXPECT_FALSE(r.fired(1000055));
    ASSERT_TRUE(r.fired(1000015));
    EXPECT_EQ((*r.first(1000015))["alert"]["metadata"]["outcome"], "failed");
}

TEST(Attempts, CallOutcomesOnCallSignatures) {
    Json fault = dce(A, B, kTsch, 1);
    fault["rpc"]["reply"] = {{"packet_type", "fault"}, {"status", "0x1c010003"}};
    Json none = dce(A, B, kSvcctl, 12, 1);
    none["rpc"]["reply"] = nullptr;
    Outcome r = run({fault, none, dce(A, DC, kSvcctl, 19, 2)});
    EXPECT_EQ((*r.first(1000014))["alert"]["metadata"]["outcome"], "failed");
    EXPECT_EQ((*r.first(1000010))["alert"]["metadata"]["outcome"], "attempt");
    EXPECT_EQ((*r.first(1000011))["alert"]["metadata"]["outcome"], "succeeded");
    EXPECT_FALSE(r.fired(1000055));  // calls are judged by the call signatures
}

// ---- ONC probing -----------------------------------------------------------------------------

TEST(OncProbe, GrinderReasonNamesThePrograms) {
    Records recs;
    for (int i = 0; i < 5; i++) {
        Json c = onc(A, B, 100100 + i, 0x12345, 0, i * 0.01, -1, 0, 40 + i, 1, 2049);
        c["rpc"]["reply"]["accept_status"] = i == 4 ? "prog_mismatch" : "prog_unavail";
        recs.push_back(c);
    }
    auto v = of(run(recs), 1000067);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0]["alert"]["distinct_count"], 4);
    EXPECT_EQ(v[0]["alert"]["metadata"]["outcome"], "failed");
    EXPECT_TRUE(has(v[0]["alert"]["reason"], "4 distinct rpc.program values from 10.9.9.9 to 10.1.1.20 within 300 s"))
        << v[0]["alert"]["reason"];
}

// ---- catalogue -------------------------------------------------------------------------------

TEST(Catalog, ListingHasEverySignatureWithTechniqueSeverityTrigger) {
    std::istringstream in(signatureListing());
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "sid\tname\ttechnique\tseverity\ttrigger\tmessage");
    size_t n = 0;
    std::set<std::string> seen;
    while (std::getline(in, line)) {
        n++;
        seen.insert(line.substr(0, line.find('\t')));
        EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 5) << line;
    }
    EXPECT_EQ(n, builtinSignatures().size());
    for (const auto& s : builtinSignatures()) EXPECT_TRUE(seen.count(std::to_string(s.sid))) << s.sid;
    EXPECT_TRUE(has(signatureListing(), "1000001\tsamr_enumeration\tT1087.002,T1069.002\t3→2\tfirst call per src→dst"));
}

TEST(Catalog, AttackLayerIsANavigatorLayer) {
    Json l = attackLayer();
    EXPECT_EQ(l["versions"]["layer"], "4.5");
    EXPECT_EQ(l["domain"], "enterprise-attack");
    std::set<std::string> want;
    for (const auto& s : builtinSignatures())
        for (const char* t : s.techniques) want.insert(t);
    std::set<std::string> got;
    for (const auto& t : l["techniques"]) {
        got.insert(t["techniqueID"].get<std::string>());
        EXPECT_GE(t["score"].get<int>(), 1);
        EXPECT_LE(t["score"].get<int>(), 3);
        EXPECT_FALSE(t["comment"].get<std::string>().empty());
    }
    EXPECT_EQ(got, want);
    for (const auto& t : l["techniques"]) {
        if (t["techniqueID"] == "T1003.006") { EXPECT_EQ(t["score"], 3); }  // DCSync: severity 1
        if (t["techniqueID"] == "T1482") { EXPECT_EQ(t["score"], 2); }      // trusts: 3, escalates to 2
    }
}

// ---- lab scenarios: real tools (tools/lab/attacks.sh), default settings ----------------------

std::set<std::string> techniques(const Outcome& r, int max_severity) {
    std::set<std::string> t;
    for (const auto& a : r.alerts)
        if (a["alert"]["severity"].get<int>() <= max_severity)
            for (const auto& x : a["alert"]["metadata"]["mitre_technique_id"]) t.insert(x.get<std::string>());
    return t;
}

TEST(LabScenarios, EachToolRaisesItsTechnique) {
    struct Case {
        const char* golden;
        std::vector<const char*> techniques;  // at any severity
        std::vector<const char*> severity2;   // at severity 1-2
    };
    const Case cases[] = {
        {"attack-rpcclient-enum", {"T1087.002", "T1135"}, {}},
        {"attack-samrdump", {"T1087.002"}, {}},
        {"attack-lookupsid", {"T1087.002"}, {"T1087.002"}},  // 600 SIDs in one call
        {"attack-wmiexec", {"T1021.003"}, {"T1021.003"}},    // the rejected ISystemActivator bind
        {"attack-rpcdump", {"T1046"}, {}},
        {"attack-samr-enum", {"T1087.002", "T1069.002"}, {"T1087.002"}},  // lookupsid: 600 SIDs
        {"attack-share-enum", {"T1135", "T1049", "T1033"}, {}},
        {"attack-epm-sweep", {"T1046"}, {"T1046"}},
        {"attack-onc-probe", {"T1046"}, {"T1046"}},
        {"attack-wmi-dcom", {"T1021.003", "T1047"}, {"T1021.003", "T1047"}},
        {"attack-svcctl", {"T1569.002"}, {"T1569.002"}},
        {"attack-atsvc", {"T1053.002", "T1053.005"}, {"T1053.002", "T1053.005"}},
        {"attack-winreg", {"T1012", "T1112", "T1003.002"}, {"T1112", "T1003.002"}},
        {"attack-dcsync", {"T1003.006"}, {"T1003.006"}},
    };
    for (const Case& c : cases) {
        Outcome r = run(loadGolden(c.golden));
        auto any = techniques(r, 3), high = techniques(r, 2);
        for (const char* t : c.techniques) EXPECT_TRUE(any.count(t)) << c.golden << " did not raise " << t;
        for (const char* t : c.severity2) EXPECT_TRUE(high.count(t)) << c.golden << " did not raise " << t << " at severity 1-2";
        for (const auto& a : r.alerts) {
            EXPECT_TRUE(a["alert"].contains("reason")) << c.golden;
            EXPECT_TRUE(has(a["alert"]["reason"], a["src_ip"].get<std::string>())) << c.golden << ": " << a["alert"]["reason"];
        }
    }
}

TEST(LabScenarios, WmiexecAgainstSambaIsSeenAtTheRejectedBind) {
    // The three ISystemActivator binds Samba refused (wmiexec, dcomexec MMC20, ShellWindows):
    // one attempt alert and its summary.
    Outcome r = run(loadGolden("attack-wmi-dcom"));
    auto v = of(r, 1000055, true);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v[0]["alert"]["metadata"]["outcome"], "failed");
    EXPECT_EQ(v[0]["alert"]["metadata"]["mitre_technique_id"], Json::array({"T1021.003"}));
}

}  // namespace
}  // namespace rpcmon::detect::test

namespace rpcmon::detect::test {
namespace {

TEST(Enumeration, UncappedCountsWinOverReportedArrays) {
    // ept_lookup replies list at most 128 endpoints; a dissector's num_ents is the real count.
    Json lookup = dce("10.9.9.9", "10.1.1.20", "e1af8308-5d1f-11c9-91a4-08002b14a0fa", 2, 0, nullptr, "none");
    lookup["epm"]["endpoints"] = Json::array({{{"port", 49152}}});
    lookup["epm"]["num_ents"] = 300;
    EXPECT_EQ(recordItems(event(lookup)), std::optional<uint64_t>(300));
    Json share = dce("10.9.9.9", "10.1.1.20", "4b324fc8-1670-01d3-1278-5a47bf6ee188", 15, 0, {{"entries_read", 7}});
    EXPECT_EQ(recordItems(event(share)), std::optional<uint64_t>(7));
    EXPECT_EQ(recordItems(event(dce("10.9.9.9", "10.1.1.20", "4b324fc8-1670-01d3-1278-5a47bf6ee188", 15))), std::nullopt);
}

}  // namespace
}  // namespace rpcmon::detect::test
