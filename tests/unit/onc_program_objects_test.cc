// SPDX-License-Identifier: Apache-2.0
// The ONC program objects (protocols/onc/programs.h kProgramObjects): the objects the ONC layer
// writes next to `rpc` (nfs, mount, portmap, nlm, nsm) are exactly the table's, each under its
// own program, and each is a path user rules may walk into; a made-up object is a FILE:LINE
// error in the rules file.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "detect/config.h"
#include "protocols/onc/body.h"
#include "protocols/onc/programs.h"
#include "protocols/onc/test_util.h"

namespace rpcmon::onc {
namespace {

// Program numbers swept: the 1000xx block of /etc/rpc (every decoded program lives there) and
// the named programs above it.
std::vector<uint32_t> sweptPrograms() {
    std::vector<uint32_t> v;
    for (uint32_t p = 100000; p < 100300; p++) v.push_back(p);
    for (uint32_t p : {150001u, 300019u, 391002u, 545580417u, 600100069u, 788585389u, 0x40000000u}) v.push_back(p);
    return v;
}

// Argument / result bodies that most decoders accept: XDR strings and handles of four bytes
// ("abcd", numbers 4), and all zeros (status 0 = OK, empty lists).
std::vector<std::vector<uint8_t>> bodies() {
    test::Xdr strings;
    for (int i = 0; i < 16; i++) strings.str("abcd");
    return {strings.b, std::vector<uint8_t>(128, 0)};
}

// Every (object -> programs) the layer writes, over calls and replies of every version 1-4
// and procedure 0-31 of the swept programs.
std::map<std::string, std::set<uint32_t>> writtenObjects() {
    std::map<std::string, std::set<uint32_t>> seen;
    test::FakeCounter anomalies;
    const Address server = test::v4(192, 168, 1, 10);
    for (uint32_t prog : sweptPrograms())
        for (uint32_t vers = 1; vers <= 4; vers++)
            for (uint32_t proc = 0; proc < 32; proc++)
                for (const auto& b : bodies()) {
                    const CallHeader h = test::callHeader(prog, vers, proc);
                    CallBody c = decodeCallBody(h, b, true, anomalies);
                    for (const ArgItem& f : c.fields) seen[f.key].insert(prog);
                    ReplyBody r = decodeReplyBody(h, c.memo, b, true, server, anomalies);
                    for (const ArgItem& f : r.fields) seen[f.key].insert(prog);
                }
    return seen;
}

TEST(OncProgramObjects, TheLayerWritesExactlyTheTablesObjects) {
    auto seen = writtenObjects();
    for (const auto& [object, progs] : seen)
        for (uint32_t prog : progs) {
            const char* want = programObject(prog);
            EXPECT_TRUE(want && object == want)
                << "program " << prog << " writes `" << object << "`, kProgramObjects says "
                << (want ? want : "nothing");
        }
    for (const ProgramObject& p : kProgramObjects) {
        EXPECT_EQ(programObject(p.prog), std::string(p.object));
        EXPECT_TRUE(seen.count(p.object)) << "`" << p.object << "` is in kProgramObjects but never written";
    }
}

std::string ruleError(const std::string& field) {
    try {
        detect::parseConfig("rules:\n  - sid: 9000001\n    message: x\n    match: {" + field + ": 1}\n", "rules.yaml");
    } catch (const detect::ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(OncProgramObjects, EveryWrittenObjectIsARulePath) {
    auto seen = writtenObjects();
    ASSERT_FALSE(seen.empty());
    for (const auto& [object, progs] : seen) {
        for (const std::string& path : {object, object + ".name", object + ".status", object + ".a.b"}) {
            auto ref = detect::resolveField(path);
            ASSERT_TRUE(ref) << path;
            EXPECT_EQ(ref->kind, detect::FieldRef::Kind::Program) << path;
            EXPECT_EQ(ref->program, object) << path;
            EXPECT_EQ(ruleError(path), "") << path;
        }
    }
}

TEST(OncProgramObjects, AMadeUpObjectIsAFileLineError) {
    for (std::string path : {"afs.name", "nfs4.name", "portmapper.port", "mountd.path"}) {
        EXPECT_FALSE(detect::resolveField(path)) << path;
        EXPECT_EQ(ruleError(path), "rules.yaml:4: key 'rules[0].match." + path + "': field '" + path +
                                       "' names nothing in rpc, smb_session or smb_pipe records (see SCHEMA.md)");
    }
}

}  // namespace
}  // namespace rpcmon::onc
