// SPDX-License-Identifier: Apache-2.0
// Every rpc / smb_session / smb_pipe line of the golden files, read into a typed event and
// written again, must come out byte for byte the same: the typed record and its writer keep
// the EVE output contract (SCHEMA.md) that the goldens pin.
#include "output/event.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <arpa/inet.h>

#include "output/json_writer.h"
#include "output/record.h"

namespace rpcmon {
namespace {

std::vector<std::string> goldenLines() {
    std::vector<std::string> lines;
    for (const auto& f : std::filesystem::directory_iterator(RPCMON_SOURCE_DIR "/tests/golden/expected")) {
        std::ifstream in(f.path());
        std::string line;
        while (std::getline(in, line))
            if (!line.empty() && line[0] == '{') lines.push_back(line);
    }
    return lines;
}

TEST(Event, GoldenRecordsRoundTripByteForByte) {
    size_t events = 0, onc = 0, dce = 0, smb = 0;
    JsonWriter w;
    for (const std::string& line : goldenLines()) {
        Json rec = Json::parse(line);
        // The golden files are stored with non-ASCII escaped; rpcmon prints what dump() prints.
        const std::string expected = rec.dump(-1, ' ', false, Json::error_handler_t::replace);
        // The writer prints every kind of record (alerts, stats, binds) as dump() does.
        w.clear();
        w.json(rec);
        ASSERT_EQ(w.str(), expected);
        std::string et = rec.value("event_type", "");
        std::optional<Event> ev = eventFromJson(rec);
        if (et != "rpc" && et != "smb_session" && et != "smb_pipe") {
            EXPECT_FALSE(ev) << line;
            continue;
        }
        ASSERT_TRUE(ev) << line;
        w.clear();
        writeEvent(w, *ev);
        ASSERT_EQ(w.str(), expected);
        events++;
        if (ev->onc()) onc++;
        if (ev->dce()) dce++;
        if (ev->type != EventType::Rpc) smb++;
    }
    // The goldens cover both RPC families and SMB records; a golden set that lost them would
    // make this test vacuous.
    EXPECT_GT(onc, 100u);
    EXPECT_GT(dce, 100u);
    EXPECT_GT(smb, 10u);
    EXPECT_GT(events, onc + dce);
}

TEST(Event, TypedFieldsFromAnOncRecord) {
    Json rec = Json::parse(R"({"timestamp":"2026-11-24T09:18:01.123456+0000","flow_id":7,"event_type":"rpc",
        "src_ip":"10.0.0.1","src_port":700,"dest_ip":"10.0.0.2","dest_port":111,"proto":"UDP",
        "rpc":{"family":"onc","xid":42,"program":100000,"program_name":"portmapper","version":2,"procedure":3,
        "procedure_name":"GETPORT","cred":{"flavor":"AUTH_NULL"},"verifier":{"flavor":"AUTH_NULL"},
        "reply":{"status":"accepted","accept_status":"success"},"latency_us":90},
        "portmap":{"program":100003,"port":2049}})");
    std::optional<Event> ev = eventFromJson(rec);
    ASSERT_TRUE(ev);
    ASSERT_TRUE(ev->onc());
    EXPECT_EQ(formatTimestamp(ev->ts), "2026-11-24T09:18:01.123456+0000");
    EXPECT_EQ(ev->flow_id, 7u);
    EXPECT_EQ(ev->key.server_port, 111);
    EXPECT_EQ(ev->onc()->program, 100000u);
    EXPECT_STREQ(ev->onc()->procedure_name, "GETPORT");
    EXPECT_TRUE(ev->onc()->reply->accepted);
    EXPECT_EQ(*ev->latency_us, 90u);
    EXPECT_EQ(ev->onc()->fields["portmap"]["port"], 2049);
    EXPECT_EQ(toJson(*ev), rec);
}

TEST(Event, MalformedRecordsAreRefused) {
    Json good = Json::parse(R"({"timestamp":"2026-11-24T09:18:01.123456+0000","flow_id":1,"event_type":"rpc",
        "src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":135,"proto":"TCP",
        "rpc":{"family":"dcerpc","call_id":2,"opnum":3,"auth":{"type":"none","level":"none"},"reply":null}})");
    ASSERT_TRUE(eventFromJson(good));
    for (auto mutate : std::vector<std::function<void(Json&)>>{
             [](Json& r) { r["timestamp"] = "yesterday"; },
             [](Json& r) { r["flow_id"] = "one"; },
             [](Json& r) { r.erase("timestamp"); },
             [](Json& r) { r["rpc"].erase("family"); },
             [](Json& r) { r["rpc"]["family"] = "corba"; },
             [](Json& r) { r["rpc"]["opnum"] = "3"; },
             [](Json& r) { r["rpc"]["opnum"] = 70000; },
             [](Json& r) { r["rpc"]["object_uuid"] = "not-a-uuid"; },
             [](Json& r) { r["rpc"]["reply"] = {{"packet_type", "fault"}, {"status", "0x1"}}; },
             [](Json& r) { r["src_ip"] = "10.0.0.300"; },
             [](Json& r) { r["event_type"] = "alert"; },
         }) {
        Json bad = good;
        mutate(bad);
        EXPECT_FALSE(eventFromJson(bad)) << bad.dump();
    }
}

// rpc.bind is typed (DceBind); its text must be what the JSON tree the dissector used to build
// printed: the same keys in the same order, name and result omitted when unknown, contexts
// omitted from a bind_nak.
TEST(Event, BindWrittenAsTheJsonTreeWas) {
    Event ev;
    ev.ts = 1764000000000000000ull;
    DceCall& c = ev.rpc.emplace<DceCall>();
    c.call_id = 4;
    Uuid samr, odd;
    ASSERT_TRUE(Uuid::parse("12345778-1234-abcd-ef00-0123456789ac", samr));
    ASSERT_TRUE(Uuid::parse("ffffffff-0000-0001-8000-00000000abcd", odd));
    DceBind b;
    b.call_id = 4294967295u;
    b.secondary_addr = "\\PIPE\\lsass \"x\"\x01\xc3\xa9";
    b.contexts.push_back({0, samr, "samr", 1, 0, "acceptance"});
    b.contexts.push_back({65535, odd, {}, 65535, 7, {}});
    DceBind alter;
    alter.packet_type = "alter_context";
    alter.call_id = 5;
    alter.contexts.push_back({1, odd, {}, 0, 0, "provider_rejection"});
    DceBind nak;
    nak.packet_type = "bind_nak";
    nak.call_id = 6;
    nak.reason = "temporary_congestion";
    DceBind empty;  // a bind with no contexts still prints "contexts": []
    c.bind = {b, alter, nak, empty};

    Json old = Json::array();
    old.push_back({{"packet_type", "bind"}, {"call_id", 4294967295u}});
    old.back()["secondary_addr"] = b.secondary_addr;
    old.back()["contexts"] = Json::array(
        {Json{{"context_id", 0}, {"uuid", samr.toString()}, {"name", "samr"}, {"version", "1.0"}, {"result", "acceptance"}},
         Json{{"context_id", 65535}, {"uuid", odd.toString()}, {"version", "65535.7"}}});
    old.push_back({{"packet_type", "alter_context"}, {"call_id", 5}});
    old.back()["contexts"] = Json::array(
        {Json{{"context_id", 1}, {"uuid", odd.toString()}, {"version", "0.0"}, {"result", "provider_rejection"}}});
    old.push_back({{"packet_type", "bind_nak"}, {"call_id", 6}, {"reason", "temporary_congestion"}});
    old.push_back({{"packet_type", "bind"}, {"call_id", 0}, {"contexts", Json::array()}});

    const auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
    JsonWriter w;
    writeBinds(w, c.bind);
    EXPECT_EQ(w.str(), dump(old));
    EXPECT_EQ(dump(toJson(c.bind)), dump(old));
    Json rec = toJson(ev);
    EXPECT_EQ(dump(rec["rpc"]["bind"]), dump(old));

    // Read back: the same typed values, and the same text again.
    std::optional<Event> back = eventFromJson(rec);
    ASSERT_TRUE(back && back->dce());
    const std::vector<DceBind>& rb = back->dce()->bind;
    ASSERT_EQ(rb.size(), 4u);
    EXPECT_EQ(rb[0].call_id, 4294967295u);
    EXPECT_EQ(rb[0].secondary_addr, b.secondary_addr);
    ASSERT_EQ(rb[0].contexts.size(), 2u);
    EXPECT_EQ(rb[0].contexts[0].uuid, samr);
    EXPECT_EQ(rb[0].contexts[0].name, "samr");
    EXPECT_EQ(rb[0].contexts[0].result, "acceptance");
    EXPECT_EQ(rb[0].contexts[1].ver_major, 65535);
    EXPECT_EQ(rb[0].contexts[1].ver_minor, 7);
    EXPECT_TRUE(rb[0].contexts[1].result.empty());
    EXPECT_EQ(rb[1].packet_type, "alter_context");
    EXPECT_TRUE(rb[2].nak());
    EXPECT_EQ(rb[2].reason, "temporary_congestion");
    EXPECT_TRUE(rb[3].contexts.empty() && !rb[3].nak());
    w.clear();
    writeEvent(w, *back);
    EXPECT_EQ(w.str(), dump(rec));

    // A mistyped bind makes the record unreadable, like any other mistyped key.
    for (auto mutate : std::vector<std::function<void(Json&)>>{
             [](Json& r) { r["rpc"]["bind"] = "bind"; },
             [](Json& r) { r["rpc"]["bind"][0] = 1; },
             [](Json& r) { r["rpc"]["bind"][0]["contexts"] = Json::object(); },
             [](Json& r) { r["rpc"]["bind"][0]["contexts"][0]["uuid"] = "samr"; },
             [](Json& r) { r["rpc"]["bind"][0]["contexts"][0].erase("uuid"); },
             [](Json& r) { r["rpc"]["bind"][0]["contexts"][0]["version"] = "one"; },
             [](Json& r) { r["rpc"]["bind"][0]["call_id"] = -1; },
             [](Json& r) { r["rpc"]["bind"][1]["packet_type"] = 3; },
         }) {
        Json bad = rec;
        mutate(bad);
        EXPECT_FALSE(eventFromJson(bad)) << bad.dump();
    }
}

}  // namespace
}  // namespace rpcmon

namespace rpcmon {
namespace {

// The hand-written formatters against the C library's: every day boundary of 1970-2400
// (leap years, 2000 and 2100) and random instants, and every IPv4 / a few IPv6 addresses.
TEST(Formatting, TimestampsMatchGmtime) {
    auto reference = [](TimeNs t) {
        time_t secs = time_t(t / 1000000000ull);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char b[64];
        size_t n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(b + n, sizeof b - n, ".%06u+0000", unsigned(t % 1000000000ull / 1000));
        return std::string(b);
    };
    for (TimeNs day = 0; day < 157000; day++) {
        const TimeNs t = day * 86400 * 1000000000ull;
        ASSERT_EQ(formatTimestamp(t), reference(t)) << day;
        ASSERT_EQ(formatTimestamp(t - 1), reference(t - 1)) << day;
    }
    std::mt19937_64 rng(11);
    for (int i = 0; i < 100000; i++) {
        const TimeNs t = rng() % (TimeNs(13000000000ull) * 1000000000ull);
        ASSERT_EQ(formatTimestamp(t), reference(t)) << t;
    }
}

TEST(Formatting, AddressesAndUuidsMatchTheCLibrary) {
    Address a{};
    a[10] = a[11] = 0xff;
    char b[INET6_ADDRSTRLEN];
    for (unsigned v : {0u, 1u, 9u, 10u, 99u, 100u, 199u, 255u})
        for (unsigned w : {0u, 7u, 42u, 255u}) {
            a[12] = uint8_t(v), a[13] = uint8_t(w), a[14] = uint8_t(255 - v), a[15] = uint8_t(w / 3);
            ASSERT_EQ(formatAddress(a), inet_ntop(AF_INET, a.data() + 12, b, sizeof b));
        }
    for (Address v6 : {Address{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, Address{},
                       Address{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})
        EXPECT_EQ(formatAddress(v6), inet_ntop(AF_INET6, v6.data(), b, sizeof b));
    std::mt19937 rng(5);
    for (int i = 0; i < 1000; i++) {
        Uuid u;
        u.d1 = rng(), u.d2 = uint16_t(rng()), u.d3 = uint16_t(rng());
        for (auto& x : u.d4) x = uint8_t(rng());
        char ref[40];
        snprintf(ref, sizeof ref, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", u.d1, u.d2, u.d3, u.d4[0],
                 u.d4[1], u.d4[2], u.d4[3], u.d4[4], u.d4[5], u.d4[6], u.d4[7]);
        ASSERT_EQ(u.toString(), ref);
        Uuid back;
        ASSERT_TRUE(Uuid::parse(ref, back));
        ASSERT_EQ(back, u);
    }
}

}  // namespace
}  // namespace rpcmon
