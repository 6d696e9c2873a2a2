// SPDX-License-Identifier: Apache-2.0
// The streaming writer must print exactly what nlohmann's dump prints (EVE lines must not
// change when a record moves to the writer), including escapes and invalid UTF-8.
#include "output/json_writer.h"

#include <gtest/gtest.h>

#include <random>

namespace rpcmon {
namespace {

std::string dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string written(const Json& j) {
    JsonWriter w;
    w.json(j);
    return w.str();
}

TEST(JsonWriter, StringsEscapeLikeDump) {
    const std::vector<std::string> cases = {
        "", "plain", "quote\"back\\slash", "\b\f\n\r\t", std::string("nul\0byte", 8), "\x01\x1f\x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",   // valid 2-, 3- and 4-byte UTF-8
        "bad \xff byte", "cut \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
        "\xf4\x90\x80\x80 above U+10FFFF", "\xe2\x28\xa1", "tail \xc3",
    };
    for (const std::string& s : cases) EXPECT_EQ(written(Json(s)), dumped(Json(s))) << s;
}

TEST(JsonWriter, RandomBytesMatchDump) {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; i++) {
        std::string s(rng() % 12, '\0');
        for (char& c : s) c = char(rng() % 4 ? 0x80 + rng() % 0x80 : rng() % 0x80);
        ASSERT_EQ(written(Json(s)), dumped(Json(s))) << i;
    }
}

// Long text is checked eight bytes at a time: a byte that needs care must be found at every
// position of a word, and in the tail after the last whole word.
TEST(JsonWriter, EveryPositionOfLongTextMatchesDump) {
    const std::vector<std::string> specials = {std::string(1, '\0'), "\x1f", "\"", "\\", "\x7f", " ",
                                               "\xc3\xa9", "\xff", "\xe2\x82"};
    for (size_t len : {1u, 7u, 8u, 9u, 16u, 23u, 40u}) {
        for (size_t pos = 0; pos < len; pos++) {
            for (const std::string& sp : specials) {
                std::string s(len, 'a');
                s.replace(pos, 1, sp);
                ASSERT_EQ(written(Json(s)), dumped(Json(s))) << len << " " << pos << " " << int(uint8_t(sp[0]));
            }
        }
    }
}

TEST(JsonWriter, DocumentsMatchDump) {
    Json doc = Json::parse(R"({"a":1,"b":[true,false,null,-5,18446744073709551615],"c":{"d":"e","f":{}},
                               "g":[],"h":0.25,"i":1e300,"j":-0.0,"k":[{"x":[[]]}]})");
    EXPECT_EQ(written(doc), dumped(doc));
    Json ordered;
    ordered["z"] = 1;
    ordered["a"] = "2";
    EXPECT_EQ(written(ordered), R"({"z":1,"a":"2"})");
}

TEST(JsonWriter, MembersAndCommas) {
    JsonWriter w;
    w.openObject();
    w.member("s", "x");
    w.member("n", uint64_t(3));
    w.key("arr");
    w.openArray();
    w.number(1);
    w.string("two");
    w.openObject();
    w.closeObject();
    w.closeArray();
    w.member("b", false);
    w.closeObject();
    EXPECT_EQ(w.str(), R"({"s":"x","n":3,"arr":[1,"two",{}],"b":false})");
    w.clear();
    w.openArray();
    w.closeArray();
    EXPECT_EQ(w.str(), "[]");
}

TEST(JsonWriter, RollbackCutsAnOptionalPart) {
    JsonWriter w;
    w.openObject();
    w.member("a", 1);
    JsonWriter::Mark m = w.mark();
    w.key("opt");
    w.openObject();
    w.member("x", 2);
    w.rollback(m);
    w.member("b", 2);
    w.closeObject();
    EXPECT_EQ(w.str(), R"({"a":1,"b":2})");

    // A rollback to the start of an object: the next member is its first (no comma).
    w.clear();
    w.openObject();
    m = w.mark();
    w.member("gone", true);
    w.rollback(m);
    w.member("kept", true);
    w.closeObject();
    EXPECT_EQ(w.str(), R"({"kept":true})");
}

}  // namespace
}  // namespace rpcmon
