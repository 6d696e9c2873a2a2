// SPDX-License-Identifier: Apache-2.0
// The detector's typed path: events in, the same alerts out as the golden files hold; events
// made in code (no JSON anywhere before the alert); user-rule paths resolved at load time; the
// JSON edge's refusals counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "detect/detecting_sink.h"
#include "detect/test_util.h"

namespace rpcmon::detect::test {
namespace {

bool typedRecord(const Json& r) {
    const std::string et = r.value("event_type", "");
    return et == "rpc" || et == "smb_session" || et == "smb_pipe";
}

std::vector<std::string> sortedDumps(const std::vector<Json>& v) {
    std::vector<std::string> out;
    for (const auto& j : v) out.push_back(j.dump());
    std::sort(out.begin(), out.end());
    return out;
}

// Every golden capture's records, fed as typed events (what the protocol layers hand the
// detector), raise exactly the alert lines `rpcmon analyze` wrote for it. Records that stay
// JSON (dcerpc_bind) take the JSON edge as in the pipeline. Alerts are compared as sets of
// lines: the analyzer's ticks may end a window between two records.
TEST(TypedPath, GoldenRecordsAsEventsRaiseTheGoldenAlerts) {
    const std::string dir = std::string(RPCMON_SOURCE_DIR) + "/tests/golden/expected";
    size_t files = 0, files_with_alerts = 0, alerts = 0, events = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".jsonl") continue;
        const std::string name = entry.path().stem().string();
        SCOPED_TRACE(name);
        std::vector<Json> expected;
        CollectSink sink;
        Detector d(DetectorOptions{}, sink);
        for (const auto& r : loadGolden(name)) {
            const std::string et = r.value("event_type", "");
            if (et == "alert") {
                expected.push_back(r);
            } else if (typedRecord(r)) {
                std::optional<Event> ev = eventFromJson(r);
                ASSERT_TRUE(ev) << r.dump();
                d.onEvent(std::make_shared<const Event>(std::move(*ev)));
                events++;
            } else {
                d.onRecord(r);
            }
        }
        d.flush();
        files++;
        files_with_alerts += !expected.empty();
        alerts += expected.size();
        EXPECT_EQ(sortedDumps(sink.out), sortedDumps(expected));
    }
    // The comparison covers the attack captures, not an empty directory.
    EXPECT_GE(files, 50u);
    EXPECT_GE(files_with_alerts, 20u);
    EXPECT_GE(alerts, 200u);
    EXPECT_GE(events, 1000u);
}

// The DetectingSink's event entries (emitEvent moves the event on, emitEventView leaves it with
// the caller) give the same alerts and the same records downstream as the JSON entry, also
// when a suppression window keeps the event (719 suppressed Zerologon attempts).
TEST(TypedPath, DetectingSinkEventEntriesMatchTheJsonEntry) {
    std::vector<Json> records;
    for (auto& r : loadGolden("corpus-bug-5162-netlogon"))
        if (r["event_type"] != "alert" && r["event_type"] != "stats") records.push_back(std::move(r));
    ASSERT_FALSE(records.empty());
    DetectorOptions o;
    o.rules_text = "baseline: {enabled: false}\n";
    auto runSink = [&](int mode) {
        CollectSink down;
        DetectingSink ds(down, o, "");
        for (const auto& r : records) {
            if (mode == 0 || !typedRecord(r)) {
                ds.emit(Json(r));
            } else {
                Event ev = event(r);
                if (mode == 1) ds.emitEvent(std::move(ev));
                else ds.emitEventView(ev);
            }
        }
        ds.finish();
        return down.out;
    };
    const std::vector<Json> json = runSink(0), moved = runSink(1), viewed = runSink(2);
    ASSERT_EQ(moved.size(), json.size());
    ASSERT_EQ(viewed.size(), json.size());
    for (size_t i = 0; i < json.size(); i++) {
        EXPECT_EQ(moved[i], json[i]) << i;
        EXPECT_EQ(viewed[i], json[i]) << i;
    }
    size_t summaries = 0, passed = 0;
    for (const auto& j : json) {
        if (j["event_type"] != "alert") EXPECT_EQ(j, records[passed++]);
        else summaries += j["alert"].value("summary", false);
    }
    EXPECT_EQ(passed, records.size());
    EXPECT_GE(summaries, 1u);
}

// An event made in code, as a protocol layer makes it: no JSON before the alert.
Event svcctlCreate(TimeNs ts, const std::string& binary) {
    Event ev;
    ev.type = EventType::Rpc;
    ev.ts = ts;
    ev.flow_id = 7;
    auto src = parseIp("10.5.0.9"), dst = parseIp("10.5.0.2");
    std::copy(src->begin(), src->end(), ev.key.client.begin());
    std::copy(dst->begin(), dst->end(), ev.key.server.begin());
    ev.key.client_port = 50123;
    ev.key.server_port = 49667;
    ev.key.l4proto = 6;
    DceCall c;
    c.call_id = 3;
    c.iface = DceInterface{uuidFromText("367abb81-9844-35f1-ad32-98f038001003"), "svcctl", 2, 0};
    c.opnum = 12;
    c.operation = "RCreateServiceW";
    c.auth.type = "NTLMSSP";
    c.auth.level = "pkt_privacy";
    c.reply = DceReply{"response", 0u};
    c.args["binary_path"] = binary;
    ev.rpc = std::move(c);
    ev.latency_us = 250;
    return ev;
}

TEST(TypedPath, EventMadeInCodeRaisesItsSignatureAndUserRule) {
    CollectSink sink;
    DetectorOptions o;
    o.rules_text = R"(baseline: {enabled: false}
rules:
  - sid: 9200001
    message: service binary in a temp directory
    event_type: rpc
    match:
      rpc.interface.name: svcctl
      rpc.operation: RCreateServiceW
      rpc.args.binary_path: {regex: '\\Temp\\'}
      dest_port: 49667
      rpc.reply.status: '0x00000000'
)";
    Detector d(o, sink);
    const TimeNs t0 = TimeNs(1795514400ull) * 1000000000ull;
    d.onEvent(svcctlCreate(t0, "C:\\Windows\\Temp\\x.exe"));
    d.onEvent(svcctlCreate(t0 + 1000000000ull, "C:\\Windows\\System32\\ok.exe"));
    d.flush();
    std::map<uint32_t, int> sids;
    for (const auto& a : sink.out) sids[a["alert"]["signature_id"].get<uint32_t>()]++;
    EXPECT_EQ(sids[1000010], 2);  // service_create: the first alert and the window's summary
    EXPECT_EQ(sids[9200001], 1);  // the user rule: only the Temp binary
    ASSERT_FALSE(sink.out.empty());
    const Json& a = sink.out[0];
    EXPECT_EQ(a["timestamp"], formatTimestamp(t0));
    EXPECT_EQ(a["src_ip"], "10.5.0.9");
    EXPECT_EQ(a["rpc"]["interface"]["name"], "svcctl");
    EXPECT_EQ(a["rpc"]["args"]["binary_path"], "C:\\Windows\\Temp\\x.exe");
    EXPECT_EQ(a["alert"]["metadata"]["outcome"], "succeeded");
    EXPECT_NE(a["alert"]["reason"].get<std::string>().find("RCreateServiceW (svcctl opnum 12) from 10.5.0.9 to 10.5.0.2:49667"),
              std::string::npos);
}

TEST(UserRulePaths, ResolvedOnceAtLoadTime) {
    DetectConfig cfg = parseConfig(R"(rules:
  - sid: 9200002
    message: m
    match:
      rpc.interface.name: svcctl
      rpc.args.binary_path: {exists: true}
      rpc.dcom.clsid: {exists: true}
      epm.num_ents: {gt: 1}
      nfs.name: shadow
      portmap.program: 100003
      rpc.reply: {exists: false}
      smb.kerberos.realm: LAB
)", "rules.yaml");
    ASSERT_EQ(cfg.rules.size(), 1u);
    const auto& c = cfg.rules[0].conditions;
    ASSERT_EQ(c.size(), 8u);
    using K = FieldRef::Kind;
    EXPECT_EQ(c[0].ref.kind, K::Typed);
    EXPECT_NE(c[0].ref.typed, nullptr);
    EXPECT_EQ(c[1].ref.kind, K::Args);
    EXPECT_EQ(c[1].ref.rest, std::vector<std::string>{"binary_path"});
    EXPECT_EQ(c[2].ref.kind, K::Dcom);
    EXPECT_EQ(c[3].ref.kind, K::Epm);
    EXPECT_EQ(c[4].ref.kind, K::Program);
    EXPECT_EQ(c[4].ref.program, "nfs");
    EXPECT_EQ(c[5].ref.kind, K::Program);
    EXPECT_EQ(c[5].ref.program, "portmap");
    EXPECT_EQ(c[6].ref.kind, K::Record);
    EXPECT_EQ(c[7].ref.kind, K::Typed);

    // The resolved accessors read the typed event.
    const Event ev = svcctlCreate(1, "C:\\x.exe");
    EXPECT_TRUE(c[0].matches(ev));
    EXPECT_TRUE(c[1].matches(ev));
    EXPECT_FALSE(c[2].matches(ev));  // no DCOM object in this call
    EXPECT_FALSE(c[4].matches(ev));  // not an ONC call
    EXPECT_FALSE(c[6].matches(ev));  // the call has a reply
    Event noreply = ev;
    noreply.dce()->reply.reset();
    EXPECT_TRUE(c[6].matches(noreply));
}

// Every typed path reads what the EVE line says: for each golden record and each path of the
// table that the line carries, the accessor's value equals the line's.
TEST(UserRulePaths, TypedAccessorsAgreeWithTheRecords) {
    const char* paths[] = {"timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port",
                           "proto", "rpc.family", "rpc.latency_us", "rpc.xid", "rpc.program", "rpc.program_name",
                           "rpc.version", "rpc.procedure", "rpc.procedure_name", "rpc.cred.flavor", "rpc.cred.uid",
                           "rpc.cred.gid", "rpc.cred.gids", "rpc.cred.machine_name", "rpc.verifier.flavor",
                           "rpc.reply.status", "rpc.reply.accept_status", "rpc.call_id", "rpc.interface.uuid",
                           "rpc.interface.name", "rpc.interface.version", "rpc.opnum", "rpc.operation",
                           "rpc.auth.type", "rpc.auth.level", "rpc.auth.user", "rpc.named_pipe",
                           "rpc.reply.packet_type", "rpc.vantage", "smb.user", "smb.domain", "smb.share",
                           "smb.dialect", "smb.session_id", "smb.pipe", "smb.auth", "smb.encrypted",
                           "smb.status", "process.pid", "process.name", "nfs.status", "rpc.args.entries_read",
                           // Decoded arguments (typed key/value lists): whole objects, lists, scalars.
                           "nfs", "nfs.name", "nfs.names", "nfs.ops", "mount", "mount.path", "portmap",
                           "portmap.program", "portmap.port", "portmap.entries", "nlm", "epm", "epm.endpoints",
                           "epm.num_ents", "rpc.args", "rpc.args.path", "rpc.args.binary_path", "rpc.dcom",
                           "rpc.dcom.clsid", "rpc.dcom.bindings", "rpc.bind"};
    const size_t first_arg_path = size_t(std::find_if(std::begin(paths), std::end(paths),
                                                      [](const char* p) { return std::string(p) == "nfs"; }) -
                                         std::begin(paths));
    size_t checked = 0, args_checked = 0;
    for (const char* name : {"attack-samrdump", "lab-onc-nfs3", "lab-dce-samba-pipes", "attack-svcctl", "lab-dce-dc-epm",
                             "attack-benign", "attack-nfs-root", "attack-epm-sweep", "attack-wmi-dcom", "attack-atsvc",
                             "corpus-CVE-2022-26937-exploited"}) {
        if (!std::filesystem::exists(goldenPath(name))) continue;
        for (const auto& r : loadGolden(name)) {
            if (!typedRecord(r)) continue;
            const Event ev = event(r);
            for (size_t i = 0; i < std::size(paths); i++) {
                const char* p = paths[i];
                auto ref = resolveField(p);
                ASSERT_TRUE(ref) << p;
                Json tmp;
                const Json* got = ref->get(ev, tmp);
                const Json* want = field(r, p);
                if (!want) {
                    EXPECT_EQ(got, nullptr) << name << " " << p << " " << r.dump();
                } else {
                    ASSERT_NE(got, nullptr) << name << " " << p << " " << r.dump();
                    EXPECT_EQ(*got, *want) << name << " " << p;
                    checked++;
                    if (i >= first_arg_path) args_checked++;
                }
            }
        }
    }
    EXPECT_GE(checked, 1000u);
    // The decoded-argument paths were really compared, not only found absent.
    EXPECT_GE(args_checked, 100u);
}

std::string errorOf(const std::string& yaml) {
    try {
        parseConfig(yaml, "rules.yaml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(UserRulePaths, PathNamingNothingIsAnErrorWithFileAndLine) {
    const std::string head = "rules:\n  - sid: 9200003\n    message: m\n    match:\n";
    EXPECT_EQ(errorOf(head + "      rpc.interfce.name: svcctl\n"),
              "rules.yaml:5: key 'rules[0].match.rpc.interfce.name': field 'rpc.interfce.name' names nothing in "
              "rpc, smb_session or smb_pipe records (see SCHEMA.md)");
    EXPECT_EQ(errorOf(head + "      rpc.opnum: 12\n      missing.field: {exists: false}\n"),
              "rules.yaml:6: key 'rules[0].match.missing.field': field 'missing.field' names nothing in "
              "rpc, smb_session or smb_pipe records (see SCHEMA.md)");
    EXPECT_NE(errorOf(head + "      smb.bogus: 1\n"), "");
    EXPECT_NE(errorOf(head + "      rpc..opnum: 1\n"), "");
    EXPECT_NE(errorOf(head + "      rpc.args: 1\n      rpc.cred.uidd: 0\n"), "");
    // Paths under decoded-argument objects are open: a dissector may add keys there.
    EXPECT_EQ(errorOf(head + "      rpc.args.anything_new: 1\n      mount.path: /x\n      nlm.owner: a\n"), "");
}

// The JSON edge: a record eventFromJson refuses is counted, not judged.
TEST(TypedPath, RefusedJsonRecordsAreCounted) {
    CollectSink sink;
    Detector d(DetectorOptions{}, sink);
    Json no_ts = dce("10.0.0.9", "10.0.0.2", "367abb81-9844-35f1-ad32-98f038001003", 12);
    no_ts.erase("timestamp");
    Json bad_family = dce("10.0.0.9", "10.0.0.2", "367abb81-9844-35f1-ad32-98f038001003", 12);
    bad_family["rpc"]["family"] = "corba";
    Json bad_uuid = dce("10.0.0.9", "10.0.0.2", "not-a-uuid", 12);
    d.onRecord(no_ts);
    d.onRecord(bad_family);
    d.onRecord(bad_uuid);
    d.onRecord(dce("10.0.0.9", "10.0.0.2", "367abb81-9844-35f1-ad32-98f038001003", 12));
    const Json st = d.stats();
    EXPECT_EQ(st["records"], 1);
    EXPECT_EQ(st["records_without_timestamp"], 1);
    EXPECT_EQ(st["records_unreadable"], 2);
    ASSERT_EQ(sink.out.size(), 1u);  // service_create, from the readable record only
    EXPECT_EQ(sink.out[0]["alert"]["signature_id"], 1000010);
}

}  // namespace
}  // namespace rpcmon::detect::test

namespace rpcmon::detect::test {
namespace {

// srcIp / destIp print IPv4 without inet_ntop: the same text as formatAddress, every octet value.
TEST(TypedPath, AddressTextMatchesFormatAddress) {
    Event ev;
    for (unsigned v = 0; v < 256; v++) {
        ev.key.client = *parseIp(std::to_string(v) + "." + std::to_string(255 - v) + ".0." + std::to_string(v / 3));
        EXPECT_EQ(srcIp(ev), formatAddress(ev.key.client));
    }
    ev.key.server = *parseIp("fd00:203::1");
    EXPECT_EQ(destIp(ev), "fd00:203::1");
    ev.ips_known = false;
    EXPECT_EQ(destIp(ev), "");
}

}  // namespace
}  // namespace rpcmon::detect::test
