// SPDX-License-Identifier: Apache-2.0
// What the terminal view shows, without a terminal: 80x24 layout, views, sort, filter, help.
#include "top/tui.h"

#include <gtest/gtest.h>

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
    std::string s = screen(snapshot(), vs);
    for (const auto& t : columnTitles()) EXPECT_NE(s.find(t), std::string::npos) << t << "\n" << s;
    EXPECT_NE(s.find("10.0.0.1"), std::string::npos) << s;
    EXPECT_NE(s.find("HOSTS"), std::string::npos);
    EXPECT_NE(s.find("RECENT ALERTS"), std::string::npos);
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
