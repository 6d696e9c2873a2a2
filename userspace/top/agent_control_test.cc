// SPDX-License-Identifier: Apache-2.0
// What the agent adds: the period tick reads the stats line's counters once, rpcmon top's
// health comes from them, and the metrics endpoint exports them with the calls the live state
// counted, its own request counters and the build; a metrics address that cannot be used stops
// the agent (throws), a control socket that cannot does not; events reach the live state and
// the EVE writer typed, JSON records as JSON.
#include "top/agent_control.h"

#include "rpcmon_version.h"

#include <gtest/gtest.h>

namespace rpcmon::top {
namespace {

constexpr TimeNs kT0 = 1795528692000000000ull;

struct Null : RecordSink {
    void emit(Json&&) override { n++; }
    int n = 0;
};

Json rpcRecord() {
    Json r;
    r["timestamp"] = formatTimestamp(kT0);
    r["event_type"] = "rpc";
    r["src_ip"] = "10.0.0.1";
    r["src_port"] = 800;
    r["dest_ip"] = "10.0.0.2";
    r["dest_port"] = 111;
    r["proto"] = "UDP";
    r["rpc"] = {{"family", "onc"}, {"program", 100000}, {"program_name", "portmapper"}, {"version", 2},
                {"procedure_name", "NULL"}, {"reply", nullptr}};
    return r;
}

TEST(AgentControl, MetricsComeFromTheStatsLineOncePerPeriod) {
    Null out;
    AgentControlOptions o;
    o.socket_path = "none";
    o.metrics_listen = "127.0.0.1:0";
    AgentControl ctl(out, o);
    ASSERT_NE(ctl.metricsServer(), nullptr);
    EXPECT_FALSE(ctl.serving());  // no control socket, metrics all the same
    int reads = 0;
    uint64_t packets = 5;
    ctl.setStats([&] {
        reads++;
        return Json{{"capture", {{"kernel", {{"xdp", {{"packets_seen", packets}, {"ringbuf_drops", 3}}}}}}},
                    {"pipeline", {{"records", 1}, {"anomalies", {{"onc.bad_record_mark", 2}}}}},
                    {"output", {{"write_errors", 0}}}};
    });
    ctl.emit(rpcRecord());
    EXPECT_EQ(out.n, 1);  // passed on
    ctl.onIdle(kT0);
    packets = 9;
    ctl.onIdle(kT0 + 500000000ull);  // same period: not read again
    EXPECT_EQ(reads, 1);
    std::string m = ctl.metricsText();
    EXPECT_NE(m.find("\nrpcmon_capture_kernel_packets_seen_total{hook=\"xdp\"} 5\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_pipeline_anomalies_total{anomaly=\"onc.bad_record_mark\"} 2\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_calls_seen_total 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_calls_no_reply_total 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_calls_errors_total 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("# HELP rpcmon_calls_seen_total Calls and errors as rpcmon top counts them"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_metrics_http_scrapes_total 0\n"), std::string::npos) << m;
    EXPECT_NE(m.find("\nrpcmon_build_info{version=\"" RPCMON_VERSION "\",revision=\""), std::string::npos) << m;
    EXPECT_NE(m.find("# HELP rpcmon_build_info The running binary's build: its text values as labels (value 1)\n"), std::string::npos) << m;
    ctl.onIdle(kT0 + 1000000000ull);  // next period: read again
    EXPECT_EQ(reads, 2);
    EXPECT_NE(ctl.metricsText().find("{hook=\"xdp\"} 9\n"), std::string::npos);
    // rpcmon top's loss line has the same counters.
    Json snap = ctl.state().snapshot(kT0 + 1000000000ull);
    EXPECT_EQ(snap["health"]["loss"]["ringbuf_drops"]["total"], 3);
    EXPECT_EQ(snap["health"]["loss"]["onc.bad_record_mark"]["total"], 2);
}

TEST(AgentControl, AMetricsAddressThatCannotBeUsedThrows) {
    Null out;
    AgentControlOptions o;
    o.socket_path = "none";
    o.metrics_listen = "127.0.0.1:0";
    AgentControl first(out, o);
    o.metrics_listen = "127.0.0.1:" + std::to_string(first.metricsServer()->port());
    try {
        AgentControl second(out, o);
        FAIL() << "a taken port was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--metrics-listen: cannot listen on " + o.metrics_listen + ": Address already in use"),
                  std::string::npos)
            << e.what();
    }
    // Off by default.
    AgentControlOptions d;
    d.socket_path = "none";
    AgentControl plain(out, d);
    EXPECT_EQ(plain.metricsServer(), nullptr);
}

// Which entry point each record arrived by downstream (the agent's EVE writer).
struct Counting : RecordSink {
    int emits = 0, views = 0, events = 0, event_views = 0;
    std::vector<Json> written;  // what the EVE file would hold
    void emit(Json&& r) override { emits++, written.push_back(std::move(r)); }
    void emitView(const Json& r) override { views++, written.push_back(r); }
    void emitEvent(Event&& ev) override { events++, written.push_back(toJson(ev)); }
    void emitEventView(const Event& ev) override { event_views++, written.push_back(toJson(ev)); }
};

TEST(AgentControl, EventsPassDownstreamAsEventsUnchanged) {
    Counting out;
    AgentControlOptions o;
    o.socket_path = "none";
    AgentControl ctl(out, o);
    Json rec = rpcRecord();
    std::optional<Event> ev = eventFromJson(rec);
    ASSERT_TRUE(ev);
    Event kept = *ev;
    ctl.emitEvent(std::move(*ev));
    ctl.emitEventView(kept);  // a call a detector's suppression window keeps
    Json alert = {{"timestamp", rec["timestamp"]}, {"event_type", "alert"}, {"src_ip", "10.0.0.1"},
                  {"alert", {{"signature", "x"}, {"signature_id", 1}}}, {"rpc", rec["rpc"]}};
    ctl.emit(Json(alert));
    ctl.emitView(alert);
    EXPECT_EQ(out.events, 1);
    EXPECT_EQ(out.event_views, 1);
    EXPECT_EQ(out.emits, 1);
    EXPECT_EQ(out.views, 1);
    ASSERT_EQ(out.written.size(), 4u);
    EXPECT_EQ(out.written[0], toJson(kept));
    EXPECT_EQ(out.written[1], toJson(kept));
    EXPECT_EQ(out.written[2], alert);
    EXPECT_EQ(out.written[3], alert);
    // The live state saw both calls and both alerts, each keyed by the call.
    EXPECT_EQ(ctl.state().calls(), 2u);
    Json snap = ctl.state().snapshot(kT0);
    EXPECT_EQ(snap["alerts"]["total"], 2);
    EXPECT_EQ(snap["totals"]["records_by_type"], (Json{{"alert", 2}, {"rpc", 2}}));
    const Json& ops = snap["views"]["operations"]["rows"];
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0]["name"], "portmapper v2 NULL");
    EXPECT_EQ(ops[0]["calls"], 2);
    EXPECT_EQ(ops[0]["alerts"], 2);
}

}  // namespace
}  // namespace rpcmon::top
