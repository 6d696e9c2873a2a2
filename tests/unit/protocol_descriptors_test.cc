// SPDX-License-Identifier: Apache-2.0
// The protocol descriptors (pipeline/dissectors.h): one row per kernel application id, each
// naming its stats key and making its protocol layer for the transports it dissects.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>
#include <string>

#include "pipeline/dissectors.h"

namespace rpcmon {
namespace {

struct NullSink : RecordSink {
    void emit(Json&&) override {}
};
struct NullCounter : AnomalyCounter {
    void count(const char*, uint64_t) override {}
};
struct NullLearner : EndpointLearner {
    void learn(const LearnedEndpoint&) override {}
};

TEST(ProtocolDescriptors, OneRowPerApplicationWithAUniqueName) {
    auto rows = protocolDescriptors();
    ASSERT_EQ(rows.size(), size_t(RPCMON_APP_COUNT));
    std::set<std::string> names;
    for (size_t i = 0; i < rows.size(); i++) {
        EXPECT_EQ(rows[i].app, i);
        ASSERT_NE(rows[i].make, nullptr);
        EXPECT_TRUE(names.insert(rows[i].name).second) << rows[i].name;
        EXPECT_STREQ(appName(uint8_t(i)), rows[i].name);
    }
    EXPECT_STREQ(appName(RPCMON_APP_COUNT), "none");
    EXPECT_STREQ(appName(RPCMON_APP_NBSS), "netbios");  // a stats key (pipeline.packets_by_app)
}

TEST(ProtocolDescriptors, EachProtocolDissectsItsTransports) {
    NullSink sink;
    NullCounter counter;
    NullLearner learner;
    ConsumerMaker make = makeDissectors();
    auto made = [&](uint8_t app, uint8_t l4) {
        FlowContext flow;
        flow.app = app;
        flow.key.l4proto = l4;
        return make(flow, sink, counter, learner) != nullptr;
    };
    EXPECT_FALSE(made(RPCMON_APP_NONE, IPPROTO_TCP));
    EXPECT_TRUE(made(RPCMON_APP_ONC, IPPROTO_TCP));
    EXPECT_TRUE(made(RPCMON_APP_ONC, IPPROTO_UDP));
    EXPECT_TRUE(made(RPCMON_APP_DCERPC, IPPROTO_TCP));
    EXPECT_TRUE(made(RPCMON_APP_DCERPC, IPPROTO_UDP));
    EXPECT_TRUE(made(RPCMON_APP_SMB, IPPROTO_TCP));
    EXPECT_FALSE(made(RPCMON_APP_SMB, IPPROTO_UDP));  // NetBIOS datagrams carry no RPC
    EXPECT_TRUE(made(RPCMON_APP_NBSS, IPPROTO_TCP));
    EXPECT_FALSE(made(RPCMON_APP_COUNT, IPPROTO_TCP));  // an id no row has
}

}  // namespace
}  // namespace rpcmon
