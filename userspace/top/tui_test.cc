// SPDX-License-Identifier: Apache-2.0
// What the terminal view shows, without a terminal: 80x24 layout, views, sort, filter, help.
#include "top/tui.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <regex>

namespace rpcmon::top {
namespace {

constexpr TimeNs kT0 = 1795528692000000000ull;

std::string strip(const std::string& s) { return std::regex_replace(s, std::regex("\x1b\\[[0-9;?]*[A-Za-z]"), ""); }

Json snapshot() {
    LiveState s;
    auto call = [&](const std::string& host, const char* proc, int n) {
        for (int i = 0; i < n; i++) {
            Json r;
            r["timestamp"] = formatTimestamp(kT0);
            r["event_type"] = "rpc";
            r["src_ip"] = host;
            r["src_port"] = 700;  // a call has both ports or neither (host pipes)
            r["dest_ip"] = "10.0.0.2";
            r["dest_port"] = 2049;
            r["proto"] = "TCP";
            r["rpc"] = {{"family", "onc"}, {"program", 100003}, {"program_name", "nfs"}, {"version", 3},
                        {"procedure_name", proc}, {"reply", {{"status", "accepted"}, {"accept_status", "success"}}},
                        {"latency_us", 250}};
            s.observe(r);
        }
    };
    s.tick(kT0);
    call("10.0.0.1", "LOOKUP", 5);
    call("10.0.0.7", "READ", 9);
    call("10.0.0.7", "GETATTR", 1);
    s.tick(kT0 + 1000000000ull);
    return s.snapshot(kT0 + 1000000000ull);
}

std::string screen(const Json& snap, const ViewState& vs, int w = 80, int h = 24) {
    std::string all;
    auto lines = renderScreen(snap, vs, w, h);
    EXPECT_EQ(int(lines.size()), h);
    for (const auto& l : lines) {
        EXPECT_LE(int(strip(l).size()), w) << strip(l);
        all += strip(l) + "\n";
    }
    return all;
}

TEST(Tui, HostsViewFitsIn80x24WithEveryColumn) {
    ViewState vs;
    vs.summary = false;
    std::string s = screen(snapshot(), vs);
    for (const auto& t : columnTitles()) EXPECT_NE(s.find(t), std::string::npos) << t << "\n" << s;
    EXPECT_NE(s.find("10.0.0.1"), std::string::npos) << s;
    EXPECT_NE(s.find("HOSTS"), std::string::npos);
    EXPECT_NE(s.find("RECENT ALERTS"), std::string::npos);
    EXPECT_NE(s.find("\n LOSS none  "), std::string::npos) << s;
    // busiest first by default (CALLS/s desc)
    EXPECT_LT(s.find("10.0.0.7"), s.find("10.0.0.1")) << s;
}

TEST(Tui, KeysSwitchViewsSortFilterPauseHelpQuit) {
    Json snap = snapshot();
    ViewState vs;
    EXPECT_EQ(handleKey(vs, 'o'), KeyResult::Redraw);
    std::string s = screen(snap, vs);
    EXPECT_NE(s.find("OPERATIONS"), std::string::npos);
    EXPECT_NE(s.find("nfs v3 LOOKUP"), std::string::npos) << s;
    handleKey(vs, 's');
    EXPECT_NE(screen(snap, vs).find("10.0.0.2:2049/tcp"), std::string::npos);
    handleKey(vs, 'i');
    EXPECT_NE(screen(snap, vs).find("nfs v3"), std::string::npos);
    handleKey(vs, 'h');
    handleKey(vs, '1');  // NAME, A-Z
    s = screen(snap, vs);
    EXPECT_LT(s.find("10.0.0.1 "), s.find("10.0.0.7")) << s;
    handleKey(vs, '1');  // again: reversed
    s = screen(snap, vs);
    EXPECT_GT(s.find("10.0.0.1 "), s.find("10.0.0.7")) << s;
    handleKey(vs, '>');
    EXPECT_EQ(vs.sort_col, 1);
    handleKey(vs, '/');
    for (char c : std::string("0.7")) handleKey(vs, c);
    EXPECT_EQ(handleKey(vs, '\r'), KeyResult::Refetch);
    s = screen(snap, vs);
    EXPECT_EQ(s.find("10.0.0.1 "), std::string::npos) << s;
    EXPECT_NE(s.find("filter \"0.7\""), std::string::npos) << s;
    handleKey(vs, '/');
    handleKey(vs, kKeyEscape);
    EXPECT_TRUE(vs.filter.empty());
    handleKey(vs, 'p');
    EXPECT_NE(screen(snap, vs).find("PAUSED"), std::string::npos);
    handleKey(vs, '?');
    EXPECT_NE(screen(snap, vs).find("help"), std::string::npos);
    EXPECT_EQ(handleKey(vs, 'x'), KeyResult::Redraw);  // any key leaves help
    EXPECT_EQ(handleKey(vs, 'q'), KeyResult::Quit);
}

// The first screen answers "who calls what": the busiest callers with what each calls most,
// the busiest operations with who calls each most, busiest first, in 80x24.
TEST(Tui, FirstScreenIsTheSummaryOfCallersAndOperations) {
    Json snap = snapshot();
    ViewState vs;
    ASSERT_TRUE(vs.summary);
    std::string s = screen(snap, vs);
    auto line = [&](const std::string& start) {
        auto at = s.find("\n" + start);
        EXPECT_NE(at, std::string::npos) << start << "\n" << s;
        return at == std::string::npos ? std::string() : s.substr(at + 1, s.find('\n', at + 1) - at - 1);
    };
    EXPECT_NE(line(" TOP CALLERS  2 client hosts").find("(h: all)"), std::string::npos) << s;
    if (getenv("TUI_SHOW")) std::cout << s;
    EXPECT_NE(line(" TOP OPERATIONS  3 operations").find("(o: all)"), std::string::npos) << s;
    EXPECT_LT(s.find("TOP CALLERS"), s.find("TOP OPERATIONS"));
    // Callers, busiest first, each with its busiest operation (and how many others it calls).
    std::string busy = line("10.0.0.7 "), quiet = line("10.0.0.1 ");
    EXPECT_NE(busy.find(" nfs v3 READ +1 more"), std::string::npos) << busy;
    EXPECT_NE(busy.find(" 10 "), std::string::npos) << busy;  // CALLS
    EXPECT_NE(quiet.find(" nfs v3 LOOKUP"), std::string::npos) << quiet;
    EXPECT_EQ(quiet.find("more"), std::string::npos) << quiet;
    EXPECT_LT(s.find("\n10.0.0.7 "), s.find("\n10.0.0.1 "));
    // Operations, busiest first, each with its busiest caller.
    EXPECT_NE(line("nfs v3 READ ").find(" 10.0.0.7"), std::string::npos) << s;
    EXPECT_NE(line("nfs v3 LOOKUP ").find(" 10.0.0.1"), std::string::npos) << s;
    EXPECT_NE(line("nfs v3 GETATTR ").find(" 10.0.0.7"), std::string::npos) << s;
    EXPECT_LT(s.find("\nnfs v3 READ "), s.find("\nnfs v3 LOOKUP "));
    EXPECT_LT(s.find("\nnfs v3 LOOKUP "), s.find("\nnfs v3 GETATTR "));
    for (const char* t : {"CALLER", "CALLS MOST", "OPERATION", "TOP CALLER", "CALLS/s", "ERR%", "P99"})
        EXPECT_NE(s.find(t), std::string::npos) << t << "\n" << s;
    // The header, LOSS line, alerts pane and key line stay.
    EXPECT_NE(s.find("\n LOSS none"), std::string::npos) << s;
    EXPECT_NE(s.find("RECENT ALERTS"), std::string::npos) << s;
    EXPECT_NE(s.find("q quit"), std::string::npos) << s;
    // The filter narrows both sections.
    vs.filter = "0.7";
    s = screen(snap, vs);
    EXPECT_EQ(s.find("\n10.0.0.1 "), std::string::npos) << s;
    EXPECT_NE(s.find("\n10.0.0.7 "), std::string::npos) << s;
    EXPECT_NE(s.find("nothing matches the filter"), std::string::npos) << s;  // no operation holds "0.7"
    // Narrow terminals keep both sections and both names.
    vs.filter.clear();
    s = screen(snap, vs, 50, 16);
    EXPECT_NE(s.find("TOP OPERATIONS"), std::string::npos) << s;
    EXPECT_NE(s.find("\n10.0.0.7 "), std::string::npos) << s;
    EXPECT_NE(s.find("\nnfs v3 READ "), std::string::npos) << s;
}

TEST(Tui, PerViewKeysLeaveTheSummaryAndWComesBack) {
    Json snap = snapshot();
    ViewState vs;
    EXPECT_EQ(handleKey(vs, 'h'), KeyResult::Redraw);
    EXPECT_FALSE(vs.summary);
    std::string s = screen(snap, vs);
    EXPECT_NE(s.find(" HOSTS  2 shown"), std::string::npos) << s;
    EXPECT_EQ(s.find("TOP CALLERS"), std::string::npos);
    handleKey(vs, 'c');  // who calls what, one row per (caller, operation)
    s = screen(snap, vs, 120);
    EXPECT_NE(s.find(" CALLS  3 shown"), std::string::npos) << s;
    EXPECT_NE(s.find("\n10.0.0.7 -> nfs v3 READ "), std::string::npos) << s;
    s = screen(snap, vs);  // 80 columns: the pair names fit whole
    EXPECT_NE(s.find("\n10.0.0.7 -> nfs v3 GETATTR "), std::string::npos) << s;
    handleKey(vs, 'w');
    EXPECT_TRUE(vs.summary);
    EXPECT_NE(screen(snap, vs).find("TOP CALLERS"), std::string::npos);
    // Tab walks summary -> every view -> summary.
    std::vector<std::string> seen;
    for (int i = 0; i < 6; i++) {
        handleKey(vs, '\t');
        seen.push_back(vs.summary ? "summary" : viewName(vs.view));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"hosts", "servers", "interfaces", "operations", "calls", "summary"}));
    handleKey(vs, '?');
    EXPECT_NE(screen(snap, vs).find("w  summary: top callers and top operations"), std::string::npos);
}

TEST(Tui, AlertsPaneShowsTimeTechniqueRuleAndHosts) {
    LiveState st;
    Json a;
    a["timestamp"] = "2026-11-24T13:58:42.000000+0000";
    a["event_type"] = "alert";
    a["src_ip"] = "10.0.0.1";
    a["dest_ip"] = "10.0.0.2";
    a["alert"] = {{"signature", "DCSync from a non-DC"}, {"metadata", {{"mitre_technique_id", {"T1003.006"}}}}};
    st.observe(a);
    ViewState vs;
    std::string s = screen(st.snapshot(kT0), vs);
    EXPECT_NE(s.find("RECENT ALERTS  1 total"), std::string::npos) << s;
    EXPECT_NE(s.find(" 13:58:42 T1003.006 DCSync from a non-DC  10.0.0.1 -> 10.0.0.2"), std::string::npos) << s;
}

// The title names each interface with the XDP mode it got (auto may fall back to generic).
TEST(Tui, TitleShowsEachInterfacesXdpMode) {
    LiveState st;
    st.observeHealth({{"interfaces", {"eth0", "veth1"}},
                      {"interface_state", {{"eth0", {{"xdp_mode", "generic"}}}, {"veth1", {{"xdp_mode", "native"}}}}}},
                     {{"records", 1}});
    st.tick(kT0);
    ViewState vs;
    std::string s = screen(st.snapshot(kT0), vs, 120);
    EXPECT_NE(s.find("[eth0 xdp:generic,veth1 xdp:native]"), std::string::npos) << s;
}

// The LOSS line: every non-zero loss counter by its stats-line name with total and rate, the
// growing ones first; "none" when nothing was lost; still 80x24.
TEST(Tui, LossLineNamesEveryNonZeroCounter) {
    LiveState st;
    Json cap = {{"kernel", {{"xdp", {{"ringbuf_drops", 0}}}}}};
    Json pipe = {{"records", 1}, {"anomalies", {{"tcp.global_budget_exceeded", 3}}}};
    Json det = {{"syslog", {{"dropped", 0}}}};
    Json out = {{"write_errors", 0}};
    st.observeHealth(cap, pipe, det, out);
    st.tick(kT0);
    ViewState vs;
    std::string s0 = screen(st.snapshot(kT0), vs);
    EXPECT_NE(s0.find("\n LOSS tcp.global_budget_exceeded 3  "), std::string::npos) << s0;
    cap["kernel"]["xdp"]["ringbuf_drops"] = 1500;
    det["syslog"]["dropped"] = 7;
    out["write_errors"] = 2;
    st.observeHealth(cap, pipe, det, out);
    st.tick(kT0 + 1000000000ull);
    auto lossOf = [&](int width) {
        std::string s = screen(st.snapshot(kT0 + 1000000000ull), vs, width);
        auto at = s.find(" LOSS ");
        EXPECT_NE(at, std::string::npos) << s;
        return at == std::string::npos ? std::string() : s.substr(at, s.find('\n', at) - at);
    };
    std::string line = lossOf(120);
    EXPECT_NE(line.find("ringbuf_drops 1.5k +1.5k/s"), std::string::npos) << line;
    EXPECT_NE(line.find("syslog.dropped 7 +7/s"), std::string::npos) << line;
    EXPECT_NE(line.find("write_errors 2 +2/s"), std::string::npos) << line;
    EXPECT_NE(line.find("tcp.global_budget_exceeded 3"), std::string::npos) << line;
    EXPECT_LT(line.find("write_errors"), line.find("tcp.global_budget_exceeded")) << line;  // growing first
    EXPECT_EQ(line.find("watched_full"), std::string::npos) << line;  // zero: not shown
    EXPECT_EQ(line.find("more"), std::string::npos) << line;
    // 80 columns: the biggest growing ones, and how many more there are.
    line = lossOf(80);
    EXPECT_NE(line.find(" LOSS ringbuf_drops 1.5k +1.5k/s syslog.dropped 7 +7/s +2 more"), std::string::npos) << line;
    std::string s;
    // Too many for 80 columns: what is left out is counted.
    for (const char* a : {"tcp.pending_limit_exceeded", "tcp.out_of_order_limit_exceeded", "flow.evicted_table_full",
                          "dcerpc.reassembly_limit"})
        pipe["anomalies"][a] = 11;
    st.observeHealth(cap, pipe, det, out);
    s = screen(st.snapshot(kT0 + 1000000000ull), vs);
    EXPECT_NE(s.find(" more  "), std::string::npos) << s;
    // Nothing lost.
    LiveState clean;
    clean.observeHealth({{"kernel", {{"xdp", {{"ringbuf_drops", 0}}}}}}, {{"records", 1}});
    EXPECT_NE(screen(clean.snapshot(kT0), vs).find(" LOSS none"), std::string::npos);
}

TEST(Tui, NarrowAndTinyTerminals) {
    ViewState vs;
    std::string s = screen(snapshot(), vs, 60, 15);
    EXPECT_NE(s.find("10.0.0.1"), std::string::npos) << s;
    s = screen(snapshot(), vs, 30, 8);
    EXPECT_NE(s.find("too small"), std::string::npos);
    s = screen(Json(), vs, 80, 24);  // before the first snapshot
    EXPECT_NE(s.find("no calls seen yet"), std::string::npos) << s;
}

}  // namespace
}  // namespace rpcmon::top
