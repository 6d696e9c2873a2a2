// SPDX-License-Identifier: Apache-2.0
// The aggregator behind `rpcmon top`: which records count as calls and errors, the five
// views, rates per period next to totals, bounded tables, alerts, health, real captures read
// as typed events and as JSON.
#include "top/live_state.h"

#include "output/reply_outcome.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <netinet/in.h>

#include "capture/packet_source.h"
#include "detect/detecting_sink.h"
#include "pipeline/anomalies.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "top/snapshot_source.h"

namespace rpcmon::top {
namespace {

constexpr TimeNs kT0 = 1795528692000000000ull;  // 2026-11-24T...: any fixed wall time
constexpr TimeNs kSec = 1000000000ull;

Json onc(const std::string& client, const char* proc, Json reply, int latency_us, TimeNs ts = kT0,
         const char* nfs_status = nullptr) {
    Json r;
    r["timestamp"] = formatTimestamp(ts);
    r["event_type"] = "rpc";
    r["src_ip"] = client;
    r["src_port"] = 900;
    r["dest_ip"] = "10.0.0.2";
    r["dest_port"] = 2049;
    r["proto"] = "TCP";
    r["rpc"] = {{"family", "onc"}, {"program", 100003}, {"program_name", "nfs"}, {"version", 3},
                {"procedure", 3}, {"procedure_name", proc}, {"reply", reply}};
    if (!reply.is_null()) r["rpc"]["latency_us"] = latency_us;
    if (nfs_status) r["nfs"] = {{"status", nfs_status}};
    return r;
}
const Json kOk = {{"status", "accepted"}, {"accept_status", "success"}};

Json dce(const char* status, const char* packet_type = "response") {
    Json r;
    r["timestamp"] = formatTimestamp(kT0);
    r["event_type"] = "rpc";
    r["src_ip"] = "10.0.0.9";
    r["src_port"] = 50001;
    r["dest_ip"] = "10.0.0.2";
    r["dest_port"] = 49153;
    r["proto"] = "TCP";
    r["rpc"] = {{"family", "dcerpc"},
                {"interface", {{"uuid", "e3514235-4b06-11d1-ab04-00c04fc2dcd2"}, {"name", "drsuapi"}, {"version", "4.0"}}},
                {"opnum", 3},
                {"operation", "DRSGetNCChanges"},
                {"reply", {{"packet_type", packet_type}}},
                {"latency_us", 1163}};
    if (status) r["rpc"]["reply"]["status"] = status;
    return r;
}

// Where two snapshots differ (a JSON patch, cut): the whole snapshots are too long to read.
std::string differences(const Json& a, const Json& b) { return Json::diff(a, b).dump().substr(0, 3000); }

const Json* row(const Json& snap, const char* view, const std::string& name) {
    for (const auto& r : snap["views"][view]["rows"])
        if (r["name"] == name) return &r;
    return nullptr;
}

// The record as the protocol layer would have made it.
Event event(const Json& rec) {
    std::optional<Event> ev = eventFromJson(rec);
    EXPECT_TRUE(ev) << rec.dump();
    return ev ? *ev : Event{};
}
bool rpcIsError(const Json& rec, bool* no_reply = nullptr) { return top::rpcIsError(event(rec), no_reply); }

TEST(RpcIsError, FollowsTheReplyOfEachFamily) {
    bool no_reply = false;
    EXPECT_FALSE(rpcIsError(onc("10.0.0.1", "LOOKUP", kOk, 1), &no_reply));
    EXPECT_TRUE(rpcIsError(onc("10.0.0.1", "LOOKUP", nullptr, 1), &no_reply));
    EXPECT_TRUE(no_reply);
    EXPECT_TRUE(rpcIsError(onc("10.0.0.1", "LOOKUP", {{"status", "accepted"}, {"accept_status", "prog_unavail"}}, 1)));
    EXPECT_TRUE(rpcIsError(onc("10.0.0.1", "LOOKUP", {{"status", "denied"}, {"reject_status", "auth_error"}}, 1)));
    EXPECT_TRUE(rpcIsError(onc("10.0.0.1", "LOOKUP", kOk, 1, kT0, "NFS3ERR_NOENT")));
    EXPECT_FALSE(rpcIsError(onc("10.0.0.1", "LOOKUP", kOk, 1, kT0, "NFS3_OK")));
    EXPECT_FALSE(rpcIsError(onc("10.0.0.1", "COMPOUND", kOk, 1, kT0, "NFS4_OK")));
    EXPECT_FALSE(rpcIsError(dce("0x00000000")));
    EXPECT_FALSE(rpcIsError(dce(nullptr)));  // unknown interface: no return value decoded
    EXPECT_TRUE(rpcIsError(dce("0xc0000022")));
    EXPECT_TRUE(rpcIsError(dce("0x1c010003", "fault")));
}

// NTSTATUS success, information and warning codes are no errors: SamrEnumerate* answers
// STATUS_MORE_ENTRIES while pages remain, LsarLookupSids STATUS_SOME_NOT_MAPPED. The verdict is
// the one the detector uses (output/reply_outcome.h), so `top` and alerts agree.
TEST(RpcIsError, StatusMoreEntriesIsNoErrorAsForTheDetector) {
    for (const char* st : {"0x00000105", "0x00000107", "0x8000001a", "0x00000103"}) {
        EXPECT_FALSE(rpcIsError(dce(st))) << st;
        EXPECT_EQ(replyOutcome(dce(st)), ReplyOutcome::Succeeded) << st;
    }
    // A last word that is data, not a status, is not judged an error.
    EXPECT_FALSE(rpcIsError(dce("0x00001234")));
    EXPECT_EQ(replyOutcome(dce("0x00001234")), ReplyOutcome::Unknown);
    EXPECT_TRUE(rpcIsError(dce("0x00000005")));  // ERROR_ACCESS_DENIED
    Json rejected = dce("0x00000000");
    rejected["rpc"]["context_rejected"] = true;
    EXPECT_TRUE(rpcIsError(rejected));
}

TEST(LiveState, FourViewsCountCallsErrorsAndLatency) {
    LiveState s;
    s.tick(kT0);
    s.observe(onc("10.0.0.1", "LOOKUP", kOk, 40));
    s.observe(onc("10.0.0.1", "LOOKUP", kOk, 60, kT0, "NFS3ERR_NOENT"));
    s.observe(onc("10.0.0.3", "READ", nullptr, 0));
    s.observe(dce("0xc0000022"));
    Json snap = s.snapshot(kT0 + kSec / 2);
    const Json* h1 = row(snap, "hosts", "10.0.0.1");
    ASSERT_TRUE(h1);
    EXPECT_EQ((*h1)["calls"], 2);
    EXPECT_EQ((*h1)["errors"], 1);
    EXPECT_EQ((*h1)["error_pct"], 50.0);
    EXPECT_NEAR((*h1)["p50_us"].get<double>(), 40, 40 / 16.0);
    const Json* h3 = row(snap, "hosts", "10.0.0.3");
    ASSERT_TRUE(h3);
    EXPECT_EQ((*h3)["no_reply"], 1);
    EXPECT_EQ((*h3)["errors"], 1);
    EXPECT_TRUE((*h3)["p50_us"].is_null());
    const Json* srv = row(snap, "servers", "10.0.0.2:2049/tcp");
    ASSERT_TRUE(srv);
    EXPECT_EQ((*srv)["calls"], 3);
    EXPECT_TRUE(row(snap, "interfaces", "nfs v3"));
    EXPECT_TRUE(row(snap, "interfaces", "drsuapi v4.0"));
    EXPECT_EQ((*row(snap, "operations", "nfs v3 LOOKUP"))["calls"], 2);
    EXPECT_EQ((*row(snap, "operations", "drsuapi DRSGetNCChanges"))["errors"], 1);
    EXPECT_EQ(snap["totals"]["calls"]["total"], 4);
    EXPECT_EQ(snap["totals"]["errors"]["total"], 3);
    EXPECT_EQ(snap["totals"]["no_reply"], 1);
    EXPECT_DOUBLE_EQ((*h1)["last_seen_ago_s"].get<double>(), 0.5);
}

// Who calls what: one row per (caller, operation), named "HOST -> OPERATION".
TEST(LiveState, CallsViewPairsEachCallerWithEachOperation) {
    LiveState s;
    s.tick(kT0);
    s.observe(onc("10.0.0.1", "LOOKUP", kOk, 40));
    s.observe(onc("10.0.0.1", "LOOKUP", kOk, 60));
    s.observe(onc("10.0.0.1", "READ", kOk, 60));
    s.observe(onc("10.0.0.3", "READ", nullptr, 0));
    Json snap = s.snapshot(kT0 + kSec / 2);
    EXPECT_EQ(snap["views"]["calls"]["entities"], 3);
    EXPECT_EQ((*row(snap, "calls", "10.0.0.1 -> nfs v3 LOOKUP"))["calls"], 2);
    EXPECT_EQ((*row(snap, "calls", "10.0.0.1 -> nfs v3 READ"))["calls"], 1);
    EXPECT_EQ((*row(snap, "calls", "10.0.0.3 -> nfs v3 READ"))["no_reply"], 1);
    std::string host, op;
    ASSERT_TRUE(splitPair("10.0.0.1 -> nfs v3 LOOKUP", host, op));
    EXPECT_EQ(host, "10.0.0.1");
    EXPECT_EQ(op, "nfs v3 LOOKUP");
    EXPECT_FALSE(splitPair("nfs v3 LOOKUP", host, op));
    EXPECT_EQ(pairName("", "x"), "");
}

TEST(LiveState, RatesArePerPeriodNextToTotals) {
    LiveState s;
    s.tick(kT0);
    for (int i = 0; i < 10; i++) s.observe(onc("10.0.0.1", "NULL", kOk, 5));
    ASSERT_FALSE(s.periodDue(kT0 + kSec / 2));
    ASSERT_TRUE(s.periodDue(kT0 + kSec));
    s.tick(kT0 + 2 * kSec);  // a late tick: 10 calls over 2 s
    Json snap = s.snapshot(kT0 + 2 * kSec);
    EXPECT_DOUBLE_EQ(snap["totals"]["calls"]["per_s"].get<double>(), 5.0);
    EXPECT_EQ(snap["totals"]["calls"]["total"], 10);
    EXPECT_DOUBLE_EQ((*row(snap, "hosts", "10.0.0.1"))["calls_per_s"].get<double>(), 5.0);
    s.tick(kT0 + 3 * kSec);  // a quiet period: rate 0, total stays
    snap = s.snapshot(kT0 + 3 * kSec);
    EXPECT_DOUBLE_EQ((*row(snap, "hosts", "10.0.0.1"))["calls_per_s"].get<double>(), 0.0);
    EXPECT_EQ((*row(snap, "hosts", "10.0.0.1"))["calls"], 10);
}

TEST(LiveState, TablesAreBoundedAndEvictTheLeastRecentlySeen) {
    LiveStateOptions o;
    o.max_entities = 3;
    LiveState s(o);
    for (int i = 0; i < 5; i++) s.observe(onc("10.0.0." + std::to_string(i), "NULL", kOk, 1, kT0 + TimeNs(i) * kSec));
    s.observe(onc("10.0.0.2", "NULL", kOk, 1, kT0 + 10 * kSec));  // 2 is recent again
    s.observe(onc("10.0.0.9", "NULL", kOk, 1, kT0 + 11 * kSec));  // evicts 3, the oldest now
    EXPECT_EQ(s.table(View::Hosts).size(), 3u);
    EXPECT_EQ(s.table(View::Hosts).evicted(), 3u);
    EXPECT_TRUE(s.table(View::Hosts).find("10.0.0.2"));
    EXPECT_FALSE(s.table(View::Hosts).find("10.0.0.3"));
    EXPECT_TRUE(s.table(View::Hosts).find("10.0.0.4"));
    Json snap = s.snapshot(kT0 + 12 * kSec);
    EXPECT_EQ(snap["views"]["hosts"]["evicted"], 3);
    EXPECT_EQ(snap["totals"]["calls"]["total"], 7);  // totals never forget
}

TEST(LiveState, SnapshotFilterAndLimit) {
    LiveState s;
    for (int i = 0; i < 20; i++) s.observe(onc("10.0.0." + std::to_string(i), "NULL", kOk, 1));
    SnapshotOptions so;
    so.limit = 5;
    Json snap = s.snapshot(kT0, so);
    EXPECT_EQ(snap["views"]["hosts"]["rows"].size(), 5u);
    EXPECT_EQ(snap["views"]["hosts"]["matched"], 20);
    so.limit = 100;
    so.filter = "10.0.0.1";  // 1 and 10..19
    snap = s.snapshot(kT0, so);
    EXPECT_EQ(snap["views"]["hosts"]["rows"].size(), 11u);
}

TEST(LiveState, AlertsAreKeptRecentFirstAndCountedPerEntity) {
    LiveStateOptions o;
    o.recent_alerts = 2;
    LiveState s(o);
    for (int i = 0; i < 3; i++) {
        Json a;
        a["timestamp"] = formatTimestamp(kT0 + TimeNs(i));
        a["event_type"] = "alert";
        a["src_ip"] = "10.0.0.1";
        a["dest_ip"] = "10.0.0.2";
        a["dest_port"] = 135;
        a["proto"] = "TCP";
        a["alert"] = {{"signature", "DCSync " + std::to_string(i)}, {"signature_id", 1000 + i},
                      {"metadata", {{"mitre_technique_id", {"T1003.006"}}}}};
        s.observe(a);
    }
    Json snap = s.snapshot(kT0);
    EXPECT_EQ(snap["alerts"]["total"], 3);
    ASSERT_EQ(snap["alerts"]["recent"].size(), 2u);
    EXPECT_EQ(snap["alerts"]["recent"][0]["signature"], "DCSync 2");
    EXPECT_EQ(snap["alerts"]["recent"][0]["mitre_technique_id"][0], "T1003.006");
    EXPECT_EQ((*row(snap, "hosts", "10.0.0.1"))["alerts"], 3);
    EXPECT_EQ((*row(snap, "servers", "10.0.0.2:135/tcp"))["alerts"], 3);
}

TEST(LiveState, HealthFromCaptureAndPipelineStats) {
    LiveState s;
    Json cap = {{"source", "live"}, {"interfaces", {"veth0"}},
                {"interface_state", {{"veth0", {{"state", "up"}, {"xdp_mode", "generic"}}}}},
                {"kernel", {{"xdp", {{"packets_seen", 100}, {"ringbuf_drops", 1}}}, {"socket", {{"packets_seen", 50}}}}}};
    Json pipe = {{"records", 80}, {"flows", {{"active", 4}}}, {"anomalies", {{"onc_bad_record_mark", 2}}}};
    s.observeHealth(cap, pipe);
    s.tick(kT0);
    cap["kernel"]["xdp"]["packets_seen"] = 400;
    pipe["anomalies"]["onc_bad_record_mark"] = 5;
    s.observeHealth(cap, pipe);
    s.tick(kT0 + kSec);
    Json h = s.snapshot(kT0 + kSec)["health"];
    EXPECT_EQ(h["packets"]["total"], 450);
    EXPECT_DOUBLE_EQ(h["packets"]["per_s"].get<double>(), 300.0);
    EXPECT_EQ(h["ringbuf_drops"]["total"], 1);
    EXPECT_EQ(h["flows_active"], 4);
    EXPECT_EQ(h["parse_errors"]["total"], 5);
    EXPECT_DOUBLE_EQ(h["parse_errors"]["per_s"].get<double>(), 3.0);
    EXPECT_EQ(h["interfaces"][0], "veth0");
    EXPECT_EQ(h["xdp_mode"]["veth0"], "generic");  // the mode the agent attached with
}

// Every drop/loss counter under its stats-line name, with total and rate; the names are the
// ones a stats line carries (capture.kernel.<hook>.ringbuf_drops, pipeline.anomalies.NAME,
// detect.syslog.dropped, output.write_errors).
TEST(LiveState, LossCountersKeepTheirStatsLineNames) {
    LiveState s;
    Json cap = {{"kernel", {{"xdp", {{"ringbuf_drops", 3}, {"watched_full", 0}}}, {"socket", {{"ringbuf_drops", 1}}}}},
                {"endpoint_learn_failures", 0}};
    Json pipe = {{"records", 10},
                 {"bad_record_sizes", 0},
                 {"unknown_record_types", 0},
                 {"anomalies",
                  {{"tcp.global_budget_exceeded", 2}, {"flow.evicted_table_full", 7}, {"tcp.retransmitted_segments", 9}}}};
    Json det = {{"syslog", {{"queued", 50}, {"dropped", 4}, {"sent", 46}}}};
    Json out = {{"write_errors", 0}};
    s.observeHealth(cap, pipe, det, out);
    s.tick(kT0);
    cap["kernel"]["xdp"]["ringbuf_drops"] = 13;
    pipe["anomalies"]["tcp.pending_limit_exceeded"] = 6;  // a new one mid-run
    pipe["anomalies"]["tcp.out_of_order_limit_exceeded"] = 1;
    det["syslog"]["dropped"] = 6;
    out["write_errors"] = 2;
    s.observeHealth(cap, pipe, det, out);
    s.tick(kT0 + 2 * kSec);
    Json loss = s.snapshot(kT0 + 2 * kSec)["health"]["loss"];
    EXPECT_EQ(loss["ringbuf_drops"]["total"], 14);
    EXPECT_DOUBLE_EQ(loss["ringbuf_drops"]["per_s"].get<double>(), 5.0);
    EXPECT_EQ(loss["watched_full"]["total"], 0);  // fixed counters are there at zero too
    EXPECT_EQ(loss["endpoint_learn_failures"]["total"], 0);
    EXPECT_EQ(loss["bad_record_sizes"]["total"], 0);
    EXPECT_EQ(loss["tcp.global_budget_exceeded"]["total"], 2);
    EXPECT_DOUBLE_EQ(loss["tcp.global_budget_exceeded"]["per_s"].get<double>(), 0.0);
    EXPECT_EQ(loss["tcp.pending_limit_exceeded"]["total"], 6);
    EXPECT_DOUBLE_EQ(loss["tcp.pending_limit_exceeded"]["per_s"].get<double>(), 3.0);
    EXPECT_EQ(loss["tcp.out_of_order_limit_exceeded"]["total"], 1);
    EXPECT_EQ(loss["flow.evicted_table_full"]["total"], 7);
    EXPECT_EQ(loss["syslog.dropped"]["total"], 6);
    EXPECT_DOUBLE_EQ(loss["syslog.dropped"]["per_s"].get<double>(), 1.0);
    EXPECT_EQ(loss["write_errors"]["total"], 2);
    EXPECT_FALSE(loss.contains("tcp.retransmitted_segments"));  // normal TCP life, not a loss
    // Order: the fixed counters first, then the anomalies A-Z.
    std::vector<std::string> names;
    for (const auto& [k, v] : loss.items()) names.push_back(k);
    std::vector<std::string> want = lossCounterNames();
    for (const char* a : {"flow.evicted_table_full", "tcp.global_budget_exceeded", "tcp.out_of_order_limit_exceeded",
                          "tcp.pending_limit_exceeded"})
        want.push_back(a);
    EXPECT_EQ(names, want);
    // Without syslog or an EVE writer (top --pcap) those two are simply absent.
    LiveState offline;
    offline.observeHealth({{"classifier", {{"ringbuf_drops", 0}}}}, {{"records", 1}});
    Json l2 = offline.snapshot(kT0)["health"]["loss"];
    EXPECT_TRUE(l2.contains("ringbuf_drops"));
    EXPECT_FALSE(l2.contains("syslog.dropped"));
    EXPECT_FALSE(l2.contains("write_errors"));
}

TEST(LiveState, LossAnomaliesAreBoundsCaptureLossAndMalformedInput) {
    for (const char* n : {"tcp.global_budget_exceeded", "tcp.pending_limit_exceeded", "tcp.out_of_order_limit_exceeded",
                          "flow.evicted_table_full", "dcerpc.reassembly_limit", "dcerpc.context_table_full",
                          "smb.too_many_sessions", "onc.pending_evicted", "dcerpc.buffer_overflow",
                          "tcp.capture_loss_acked", "onc.bad_record_mark", "dcerpc.bind_invalid",
                          "dcerpc.ndr_decode_failed"})
        EXPECT_TRUE(isLossAnomaly(n)) << n;
    for (const char* n : {"tcp.retransmitted_segments", "tcp.out_of_order_segments", "smb.encrypted_messages",
                          "onc.xid_reused", "tcp.overlapping_segments"})
        EXPECT_FALSE(isLossAnomaly(n)) << n;
}

TEST(LiveState, BpfRunTimeBecomesNsPerRunAndCpuShare) {
    LiveState s;
    s.tick(kT0);
    s.observeBpf({{7, "rpcmon_xdp", "xdp", 1000000, 10000}}, true);  // history before we looked
    s.tick(kT0 + kSec);
    s.observeBpf({{7, "rpcmon_xdp", "xdp", 1000000 + 13000000, 10000 + 100000}}, true);
    s.tick(kT0 + 2 * kSec);
    Json b = s.snapshot(kT0 + 2 * kSec)["bpf"];
    ASSERT_EQ(b["programs"].size(), 1u);
    EXPECT_DOUBLE_EQ(b["programs"][0]["ns_per_run"].get<double>(), 130.0);
    EXPECT_DOUBLE_EQ(b["programs"][0]["cpu_pct"].get<double>(), 1.3);  // 13 ms per s
    s.observeBpf({}, false, "off");
    EXPECT_TRUE(s.snapshot(kT0)["bpf"]["programs"].empty());
}

// The lab capture through the real pipeline (the same path as `rpcmon top --pcap`).
TEST(PcapReplay, NfsCaptureShowsOperations) {
    ReplayOptions ro;
    ro.path = "tests/data/lab/onc-nfs3.pcap";
    ro.fast = true;
    PcapReplay r(ro);
    r.wait();
    ASSERT_TRUE(r.finished());
    Json snap = r.fetch({});
    EXPECT_EQ(snap["totals"]["calls"]["total"], 124);  // = the golden file's rpc lines
    EXPECT_TRUE(row(snap, "operations", "nfs v3 LOOKUP"));
    EXPECT_TRUE(row(snap, "hosts", "10.203.203.1"));
    EXPECT_TRUE(row(snap, "servers", "10.203.203.2:2049/tcp"));
    EXPECT_EQ(snap["health"]["packets"]["total"], 464);
}


// An alert counts for the operation of the call it was raised on, never for an operation made
// up from a record that is no call (a dcerpc_bind: its rpc object has no opnum).
TEST(LiveState, AlertsOnBindsNameNoOperation) {
    LiveState s;
    Json call = dce("0x00000000");
    Json a = call;
    a["event_type"] = "alert";
    a["alert"] = {{"signature", "x"}, {"signature_id", 1}, {"source_event_type", "rpc"}};
    s.observe(a);
    Json bind = a;
    bind["rpc"] = {{"family", "dcerpc"}, {"bind", Json::array()}};
    bind["alert"]["source_event_type"] = "dcerpc_bind";
    s.observe(bind);
    Json snap = s.snapshot(kT0);
    EXPECT_EQ(snap["alerts"]["total"], 2);
    EXPECT_EQ((*row(snap, "hosts", "10.0.0.9"))["alerts"], 2);
    EXPECT_EQ((*row(snap, "operations", "drsuapi DRSGetNCChanges"))["alerts"], 1);
    EXPECT_EQ(snap["views"]["operations"]["entities"], 1);
    EXPECT_EQ(snap["views"]["interfaces"]["entities"], 1);
}

// SMB session setups and pipe opens count as calls of the "smb" interface; their NTSTATUS
// decides the error, and they have no latency.
TEST(LiveState, SmbEventsAreCallsOfTheSmbInterface) {
    Event open;
    open.type = EventType::SmbPipe;
    open.ts = kT0 + 123456789;  // below a microsecond is not shown (the EVE timestamp has none)
    Address client{}, server{};
    client[10] = client[11] = server[10] = server[11] = 0xff;
    client[12] = 10, client[15] = 1;
    server[12] = 10, server[15] = 2;
    open.key = {client, server, 40000, 445, IPPROTO_TCP, 0};
    open.smb.pipe = "samr";
    open.smb.status = "STATUS_SUCCESS";
    Event denied = open;
    denied.type = EventType::SmbSession;
    denied.smb.pipe.clear();
    denied.smb.status = "STATUS_LOGON_FAILURE";
    std::string iface, op;
    callKeys(open, iface, op);
    EXPECT_EQ(iface, "smb");
    EXPECT_EQ(op, "smb OPEN \\pipe\\samr");
    LiveState s;
    s.observe(open);
    s.observe(denied);
    Json snap = s.snapshot(kT0 + kSec);
    EXPECT_EQ((*row(snap, "operations", "smb OPEN \\pipe\\samr"))["errors"], 0);
    EXPECT_EQ((*row(snap, "operations", "smb SESSION_SETUP"))["errors"], 1);
    EXPECT_EQ((*row(snap, "calls", "10.0.0.1 -> smb SESSION_SETUP"))["calls"], 1);
    EXPECT_EQ((*row(snap, "servers", "10.0.0.2:445/tcp"))["calls"], 2);
    EXPECT_EQ((*row(snap, "interfaces", "smb"))["calls"], 2);
    EXPECT_TRUE((*row(snap, "interfaces", "smb"))["p50_us"].is_null());
    EXPECT_EQ(snap["totals"]["records_by_type"], (Json{{"smb_pipe", 1}, {"smb_session", 1}}));
    EXPECT_EQ(snap["first_record"], formatTimestamp(kT0 + 123456000));
    EXPECT_EQ((*row(snap, "hosts", "10.0.0.1"))["last_seen"], formatTimestamp(kT0 + 123456000));
}

// DCE/RPC keys without names: the interface by its uuid, the operation by its number.
TEST(LiveState, UnnamedInterfacesAndOperationsKeepTheirNumbers) {
    Json r = dce("0x00000000");
    r["rpc"]["interface"].erase("name");
    r["rpc"].erase("operation");
    std::string iface, op;
    callKeys(event(r), iface, op);
    EXPECT_EQ(iface, "e3514235-4b06-11d1-ab04-00c04fc2dcd2 v4.0");
    EXPECT_EQ(op, "e3514235-4b06-11d1-ab04-00c04fc2dcd2 op3");
    r["rpc"].erase("interface");
    r["rpc"]["context_id"] = 1;
    callKeys(event(r), iface, op);
    EXPECT_EQ(iface, "dcerpc");
    EXPECT_EQ(op, "dcerpc op3");
    Json o = onc("10.0.0.1", "X", kOk, 1);
    o["rpc"].erase("program_name");
    o["rpc"].erase("procedure_name");
    callKeys(event(o), iface, op);
    EXPECT_EQ(iface, "prog 100003 v3");
    EXPECT_EQ(op, "prog 100003 v3 proc 3");
}

// An rpc record that is no event (no timestamp here) is counted by type and as unreadable,
// never as a call; the key is absent while none was.
TEST(LiveState, UnreadableCallRecordsAreCountedApart) {
    LiveState s;
    s.observe(onc("10.0.0.1", "NULL", kOk, 1));
    EXPECT_FALSE(s.snapshot(kT0)["totals"].contains("unreadable_records"));
    Json bad = onc("10.0.0.1", "NULL", kOk, 1);
    bad.erase("timestamp");
    s.observe(bad);
    Json t = s.snapshot(kT0)["totals"];
    EXPECT_EQ(t["calls"]["total"], 1);
    EXPECT_EQ(t["unreadable_records"], 1);
    EXPECT_EQ(t["records_by_type"]["rpc"], 2);
}

// The volume counters the anomaly tables name (also listed under stats.pipeline.anomalies,
// deprecated) are normal traffic: neither parse errors nor losses.
TEST(LiveState, VolumeCountersAreNoParseErrorsNorLosses) {
    size_t volumes = 0;
    for (const AnomalyTable& t : anomalyTables())
        for (const AnomalyInfo& a : t.rows) {
            EXPECT_EQ(isVolumeCounter(a.name), a.kind == CounterKind::Volume) << a.name;
            if (a.kind == CounterKind::Volume) {
                volumes++;
                EXPECT_FALSE(isLossAnomaly(a.name)) << a.name;
            }
        }
    EXPECT_GE(volumes, 1u);
    EXPECT_FALSE(isVolumeCounter("no.such_counter"));
    LiveState s;
    Json pipe = {{"records", 3},
                 {"anomalies", {{"smb.encrypted_bytes", 900000}, {"smb.encrypted_messages", 40}, {"onc.bad_record_mark", 2}}},
                 {"volumes", {{"smb.encrypted_bytes", 900000}, {"smb.encrypted_messages", 40}}}};
    s.observeHealth(Json::object(), pipe);
    Json h = s.snapshot(kT0)["health"];
    EXPECT_EQ(h["parse_errors"]["total"], 2);
    EXPECT_FALSE(h["loss"].contains("smb.encrypted_bytes"));
}

// The golden stats lines: parse errors are the anomalies less the volumes the same line lists.
TEST(LiveState, GoldenStatsLinesParseErrorsLeaveVolumesOut) {
    size_t with_volumes = 0;
    for (const auto& f : std::filesystem::directory_iterator("tests/golden/expected")) {
        std::ifstream in(f.path());
        std::string line;
        while (std::getline(in, line)) {
            if (line.find("\"event_type\":\"stats\"") == std::string::npos) continue;
            Json st = Json::parse(line)["stats"];
            const Json& pipe = st["pipeline"];
            uint64_t want = 0;
            for (const auto& [k, v] : pipe["anomalies"].items()) want += v.get<uint64_t>();
            if (pipe.contains("volumes")) {
                with_volumes++;
                for (const auto& [k, v] : pipe["volumes"].items()) want -= v.get<uint64_t>();
            }
            LiveState s;
            s.observeHealth(st["capture"], pipe);
            EXPECT_EQ(s.snapshot(kT0)["health"]["parse_errors"]["total"], want) << f.path();
        }
    }
    EXPECT_GE(with_volumes, 1u);  // lab-smb-encrypted, the bulk captures
}

// The keys as the JSON record spells them (the definition `rpcmon top` had before it read
// events): the typed keys must be the same on every golden call.
std::string jstr(const Json& j, const char* k) {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}
void jsonKeys(const Json& rec, std::string& iface, std::string& op) {
    std::string type = jstr(rec, "event_type");
    if (type != "rpc") {
        iface = "smb";
        op = type == "smb_session" ? "smb SESSION_SETUP" : "smb OPEN \\pipe\\" + jstr(rec["smb"], "pipe");
        return;
    }
    const Json& rpc = rec["rpc"];
    if (jstr(rpc, "family") == "dcerpc") {
        std::string name, version;
        if (rpc.contains("interface")) {
            name = jstr(rpc["interface"], "name");
            if (name.empty()) name = jstr(rpc["interface"], "uuid");
            version = jstr(rpc["interface"], "version");
        }
        if (name.empty()) name = "dcerpc";
        iface = version.empty() ? name : name + " v" + version;
        std::string o = jstr(rpc, "operation");
        op = name + " " + (o.empty() ? "op" + jstr(rpc, "opnum") : o);
        return;
    }
    std::string name = jstr(rpc, "program_name");
    if (name.empty()) name = "prog " + jstr(rpc, "program");
    iface = name + " v" + jstr(rpc, "version");
    std::string p = jstr(rpc, "procedure_name");
    if (p == "COMPOUND") {
        p = "COMPOUND";
        static const std::set<std::string> plumbing = {"SEQUENCE", "PUTFH", "PUTROOTFH", "PUTPUBFH",
                                                       "GETFH",    "GETATTR", "SAVEFH", "RESTOREFH"};
        const Json& ops = rec["nfs"]["ops"];
        for (const auto& o : ops)
            if (!plumbing.count(o.get<std::string>())) {
                p = o.get<std::string>();
                break;
            }
        if (p == "COMPOUND" && !ops.empty()) p = ops[0].get<std::string>();
    }
    if (p.empty()) p = "proc " + jstr(rpc, "procedure");
    op = iface + " " + p;
}

// Every golden file, line by line: LiveState fed typed events (read from the line) and
// LiveState fed the JSON lines, with the stats lines' health and period ticks in both, give
// the same snapshot; and each call's keys are the ones its JSON spells.
TEST(LiveState, GoldenRecordsAsEventsOrJsonGiveTheSameSnapshot) {
    size_t files = 0, calls = 0, compounds = 0;
    std::set<std::string> families;
    for (const auto& f : std::filesystem::directory_iterator("tests/golden/expected")) {
        std::ifstream in(f.path());
        std::string line;
        LiveState typed, text;
        TimeNs now = 0;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            Json rec = Json::parse(line);
            std::optional<Event> ev = eventFromJson(rec);
            if (!now) {
                now = ev ? ev->ts : kT0;
                typed.tick(now), text.tick(now);
            }
            if (ev) {
                calls++;
                std::string iface, op, want_iface, want_op;
                callKeys(*ev, iface, op);
                jsonKeys(rec, want_iface, want_op);
                EXPECT_EQ(iface, want_iface) << line;
                EXPECT_EQ(op, want_op) << line;
                compounds += line.find("\"procedure_name\":\"COMPOUND\"") != std::string::npos;
                families.insert(rec["event_type"] == "rpc" ? jstr(rec["rpc"], "family") : jstr(rec, "event_type"));
                typed.observe(*ev);
            } else {
                typed.observe(rec);
            }
            text.observe(rec);
            if (rec["event_type"] == "stats") {
                const Json& st = rec["stats"];
                now += kSec;
                for (LiveState* s : {&typed, &text}) {
                    s->observeHealth(st.value("capture", Json::object()), st.value("pipeline", Json::object()),
                                     st.value("detect", Json::object()), st.value("output", Json::object()));
                    s->tick(now);
                }
            }
        }
        Json a = typed.snapshot(now + kSec / 2), b = text.snapshot(now + kSec / 2);
        EXPECT_TRUE(a == b) << f.path() << ": " << differences(a, b);
        EXPECT_FALSE(a["totals"].contains("unreadable_records")) << f.path();
        files++;
    }
    EXPECT_GE(files, 30u);
    EXPECT_GT(calls, 1000u);
    EXPECT_GT(compounds, 0u);
    EXPECT_EQ(families, (std::set<std::string>{"dcerpc", "onc", "smb_pipe", "smb_session"}));
}

// Lab captures through the real pipeline, with and without the detections: what reaches the
// sink (events, JSON records) read typed by one LiveState, and the same records as the JSON
// the EVE file would hold by another, give the same snapshot. Without detections every call
// arrives as an event.
TEST(LiveState, PipelineOutputTypedOrAsJsonGivesTheSameSnapshot) {
    struct Both : RecordSink {
        LiveState typed, text;
        size_t events = 0, records = 0;
        void emit(Json&& r) override { emitView(r); }
        void emitView(const Json& r) override {
            records++;
            typed.observe(r);
            text.observe(r);
        }
        void emitEvent(Event&& ev) override { emitEventView(ev); }
        void emitEventView(const Event& ev) override {
            events++;
            typed.observe(ev);
            text.observe(toJson(ev));
        }
    };
    for (const char* cap : {"tests/data/lab/onc-nfs3.pcap", "tests/data/lab/onc-nfs4.pcap",
                            "tests/data/lab/dce-samba-pipes.pcap", "tests/data/lab/attacks/attack-dcsync.pcap",
                            "tests/data/lab/attacks/attack-auth-failures.pcap"})
        for (bool detect : {false, true}) {
            PcapOptions po;
            po.path = cap;
            auto src = makePcapSource(po);
            Both both;
            std::unique_ptr<detect::DetectingSink> det;
            if (detect) det = std::make_unique<detect::DetectingSink>(both, detect::DetectorOptions{}, "");
            PipelineOptions popts;
            Pipeline pipe(popts, det ? static_cast<RecordSink&>(*det) : both, src->learner(),
                          makeDissectors(popts.dissectors));
            struct Feed : RecordHandler {
                Pipeline& p;
                explicit Feed(Pipeline& pp) : p(pp) {}
                void onRecord(Bytes r, TimeNs ts) override { p.onRecord(r, ts); }
                void onIdle(TimeNs now) override { p.onIdle(now); }
            } feed(pipe);
            std::atomic<bool> stop{false};
            src->run(feed, stop);
            pipe.finish(src->now());
            if (det) det->finish();
            for (LiveState* s : {&both.typed, &both.text}) {
                s->observeHealth(src->stats(), pipe.stats());
                s->tick(src->now());
            }
            Json a = both.typed.snapshot(src->now()), b = both.text.snapshot(src->now());
            EXPECT_TRUE(a == b) << cap << ": " << differences(a, b);
            EXPECT_GT(a["totals"]["calls"]["total"].get<uint64_t>(), 0u) << cap;
            // The protocol layers emit their calls as events: read typed here.
            if (!detect) { EXPECT_EQ(both.events, a["totals"]["calls"]["total"].get<uint64_t>()) << cap; }
        }
}

}  // namespace
}  // namespace rpcmon::top
