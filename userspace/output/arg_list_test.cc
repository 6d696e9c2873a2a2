// SPDX-License-Identifier: Apache-2.0
// ArgList replaces the JSON trees decoded arguments used to be: the same values built both ways
// must print the same bytes, read back to the same values, and keep the tree's object semantics
// (insertion order, assignment in place, update()).
#include "output/arg_list.h"

#include <gtest/gtest.h>

#include <limits>

#include "output/json_writer.h"

namespace rpcmon {
namespace {

std::string dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string written(const ArgList& a) {
    JsonWriter w;
    writeArgs(w, a);
    return w.str();
}

// Strings the escaper must treat as dump() does: quotes, backslashes, every control character,
// DEL, valid multi-byte UTF-8, and invalid UTF-8 (replaced by U+FFFD).
std::vector<std::string> trickyStrings() {
    std::vector<std::string> s = {"", "plain", "\"quoted\"", "C:\\Windows\\System32", "\\\\host\\share\\..\\x",
                                  "tab\tnew\nline\rcr", "\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                  "bad \xff\xfe end", "cut \xc3", "\xed\xa0\x80 surrogate", "/"};
    std::string controls;
    for (int c = 0; c < 0x20; c++) controls += char(c);
    s.push_back(controls);
    s.push_back(std::string("nul\0inside", 10));
    return s;
}

TEST(ArgList, PrintsAsTheJsonTreeDid) {
    ArgList a;
    Json j = Json::object();
    const uint64_t u64max = std::numeric_limits<uint64_t>::max();
    const int64_t i64min = std::numeric_limits<int64_t>::min();
    a["u64max"] = u64max, j["u64max"] = u64max;
    a["i64min"] = i64min, j["i64min"] = i64min;
    a["u32"] = uint32_t(4294967295u), j["u32"] = uint32_t(4294967295u);
    a["u16"] = uint16_t(65535), j["u16"] = uint16_t(65535);
    a["u8"] = uint8_t(255), j["u8"] = uint8_t(255);
    a["neg"] = -1, j["neg"] = -1;
    a["zero"] = 0, j["zero"] = 0;
    a["t"] = true, j["t"] = true;
    a["f"] = false, j["f"] = false;
    a["literal"] = "text", j["literal"] = "text";
    const auto strings = trickyStrings();
    for (size_t i = 0; i < strings.size(); i++) {
        const std::string k = "s" + std::to_string(i);
        a[k] = strings[i], j[k] = strings[i];
    }
    // A key needing escapes too.
    a["k\"ey\n\xff"] = 1u, j["k\"ey\n\xff"] = 1u;
    ArgValue::List list = {ArgValue("x"), ArgValue(7u), ArgValue(-7), ArgValue(false), ArgValue(ArgList{{"n", "v"}})};
    a["list"] = list;
    j["list"] = Json::array({"x", 7u, -7, false, Json{{"n", "v"}}});
    a["empty_list"] = ArgValue::List{}, j["empty_list"] = Json::array();
    a["empty_obj"] = ArgList{}, j["empty_obj"] = Json::object();
    a["nested"]["inner"]["deep"] = "d";
    j["nested"]["inner"]["deep"] = "d";
    a["null"] = ArgValue(), j["null"] = nullptr;

    EXPECT_EQ(written(a), dumped(j));
    EXPECT_EQ(dumped(toJson(a)), dumped(j));
    EXPECT_EQ(toJson(a), j);
    // Signedness is kept as the tree kept it (a rule or a merge may ask).
    EXPECT_TRUE(a.find("u32")->is_number_unsigned());
    EXPECT_FALSE(a.find("neg")->is_number_unsigned());
    EXPECT_TRUE(a.find("neg")->is_number_integer());
    EXPECT_EQ(a.find("u64max")->dump(), std::to_string(u64max));
    EXPECT_EQ(a.find("i64min")->dump(), std::to_string(i64min));
    EXPECT_EQ(a.find("list")->dump(), dumped(j["list"]));
}

TEST(ArgList, ReadsBackWhatItWrote) {
    ArgList a;
    a["path"] = "\\..\\..\\x\xff";
    a["count"] = uint64_t(1) << 63;
    a["delta"] = -42;
    a["ok"] = true;
    a["names"] = ArgValue::List{ArgValue("a"), ArgValue("b")};
    a["entries"] = ArgValue::List{ArgValue(ArgList{{"netid", "tcp"}, {"uaddr", "0.0.0.0.0.111"}})};
    const std::string text = written(a);
    ArgList back;
    ASSERT_TRUE(argsFromJson(Json::parse(text), back));
    // Text is re-read as dump() parses it (invalid UTF-8 already replaced), so the second write
    // is the fixed point; every other value comes back as it went in.
    EXPECT_EQ(written(back), text);
    EXPECT_EQ(back.find("count")->get<uint64_t>(), uint64_t(1) << 63);
    EXPECT_EQ(back.find("delta")->get<int64_t>(), -42);
    EXPECT_TRUE(back.find("ok")->get<bool>());
    ASSERT_TRUE(back.find("entries")->is_array());
    const ArgValue& e = back.find("entries")->list()->at(0);
    ASSERT_TRUE(e.is_object());
    EXPECT_EQ(e.object()->find("uaddr")->get<std::string>(), "0.0.0.0.0.111");
    // Floats only arrive from files; they print as the tree prints them.
    ArgList f;
    ASSERT_TRUE(argsFromJson(Json::parse(R"({"x":0.5,"y":1e300,"z":-0.0})"), f));
    EXPECT_EQ(written(f), dumped(Json::parse(R"({"x":0.5,"y":1e300,"z":-0.0})")));
    ArgList none;
    EXPECT_FALSE(argsFromJson(Json::array(), none));
    EXPECT_FALSE(argsFromJson(Json("x"), none));
}

TEST(ArgList, KeepsTheTreesObjectSemantics) {
    ArgList a;
    a["first"] = 1u;
    a["second"] = 2u;
    a["first"] = "again";  // in place, not moved to the end
    EXPECT_EQ(written(a), R"({"first":"again","second":2})");
    EXPECT_EQ(a.size(), 2u);
    EXPECT_TRUE(a.contains("second"));
    EXPECT_FALSE(a.contains("third"));
    EXPECT_EQ(a.find("third"), nullptr);

    // update(): the call's object merged with the reply's (onc mergeFields), as the tree did.
    ArgList call{{"program", 100003u}, {"version", 3u}};
    ArgList reply{{"port", 2049u}, {"version", 4u}};
    Json jc = toJson(call);
    jc.update(toJson(reply));
    call.update(reply);
    EXPECT_EQ(written(call), dumped(jc));

    // Lists grow from null; a value of the wrong kind ignores writes instead of throwing.
    ArgValue v;
    v.push_back("x");
    v.push_back(2u);
    EXPECT_EQ(v.dump(), R"(["x",2])");
    v["key"] = 1u;
    EXPECT_EQ(v.dump(), R"(["x",2])");
    ArgValue s("text");
    s.push_back(1u);
    EXPECT_EQ(s.dump(), R"("text")");

    // Equality: integers by value whatever their signedness, as the tree compares them.
    EXPECT_EQ(ArgValue(5u), ArgValue(5));
    EXPECT_NE(ArgValue(-1), ArgValue(std::numeric_limits<uint64_t>::max()));
    EXPECT_NE(ArgValue("5"), ArgValue(5u));
    EXPECT_EQ((ArgList{{"a", 1u}}), (ArgList{{"a", 1}}));
    EXPECT_NE((ArgList{{"a", 1u}, {"b", 2u}}), (ArgList{{"b", 2u}, {"a", 1u}}));
}

}  // namespace
}  // namespace rpcmon
