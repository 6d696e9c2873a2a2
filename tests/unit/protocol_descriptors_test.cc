// SPDX-License-Identifier: Apache-2.0
// The protocol descriptors (pipeline/dissectors.h): one row per kernel application id, each
// naming its stats key, making its protocol layer for the transports it dissects, registering
// its `limits.protocols` keys (read by the rules file, applied to the layer, documented in
// config/*.yaml) and its anomaly table.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "cli/limits.h"
#include "detect/config.h"
#include "pipeline/anomalies.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "protocols/smb/anomalies.h"

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

std::string readFile(const std::string& rel) {
    std::ifstream f(std::string(RPCMON_SOURCE_DIR) + "/" + rel);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Every registered limit, by key (keys are unique across protocols).
std::map<std::string, const ProtocolLimit*> registeredLimits() {
    std::map<std::string, const ProtocolLimit*> m;
    for (const ProtocolDescriptor& p : protocolDescriptors())
        for (const ProtocolLimit& l : p.limits) {
            EXPECT_TRUE(m.emplace(l.key, &l).second) << l.key << " registered twice";
            EXPECT_EQ(findProtocolLimit(l.key), &l) << l.key;
        }
    return m;
}

TEST(ProtocolDescriptors, LimitsAreRegisteredOnceWithSaneBounds) {
    auto limits = registeredLimits();
    // ONC and DCE/RPC bound their per-connection state; a row losing its keys fails here.
    for (const char* key : {"onc_pending_calls", "dcerpc_pending_calls", "dcerpc_contexts"})
        EXPECT_TRUE(limits.count(key)) << key;
    EXPECT_EQ(findProtocolLimit("no_such_limit"), nullptr);
    for (const auto& [key, l] : limits) {
        EXPECT_TRUE(std::regex_match(key, std::regex("[a-z0-9_]+"))) << key;
        EXPECT_LE(l->lo, l->hi) << key;
        EXPECT_GE(int64_t(l->defaultValue()), l->lo) << key;
        EXPECT_LE(int64_t(l->defaultValue()), l->hi) << key;
        // The doc line ends naming the counter the bound feeds, and that counter exists.
        std::smatch m;
        std::string doc = l->doc ? l->doc : "";
        ASSERT_TRUE(std::regex_match(doc, m, std::regex(R"(.+ \(([a-z0-9]+\.[a-z0-9_]+)\))"))) << key << ": " << doc;
        EXPECT_NE(findAnomaly(m[1].str()), nullptr) << key << ": " << m[1];
    }
}

// config/rules.example.yaml sets every registered key to its default, and no other key;
// config/rpcmon.yaml lists every registered key (commented out, with the default) and no other.
TEST(ProtocolDescriptors, LimitsAreDocumentedBothWays) {
    auto limits = registeredLimits();
    YAML::Node doc = YAML::Load(readFile("config/rules.example.yaml"));
    YAML::Node protocols = doc["limits"]["protocols"];
    ASSERT_TRUE(protocols.IsMap());
    std::set<std::string> documented;
    for (const auto& kv : protocols) {
        std::string key = kv.first.as<std::string>();
        documented.insert(key);
        auto it = limits.find(key);
        if (it == limits.end()) {
            ADD_FAILURE() << "rules.example.yaml documents limits.protocols." << key << ", which no protocol registers";
            continue;
        }
        EXPECT_EQ(kv.second.as<uint64_t>(), it->second->defaultValue()) << "rules.example.yaml: " << key;
    }
    for (const auto& [key, l] : limits)
        EXPECT_TRUE(documented.count(key)) << "rules.example.yaml does not document limits.protocols." << key;

    // rpcmon.yaml: the lines "    # <key>: <default>" between "  protocols:" and the next section.
    std::string agent = readFile("config/rpcmon.yaml");
    size_t at = agent.find("\n  protocols:\n");
    ASSERT_NE(at, std::string::npos);
    std::map<std::string, uint64_t> listed;
    std::istringstream lines(agent.substr(at + 1));
    std::string line;
    std::getline(lines, line);  // "  protocols:"
    // "    # onc_pending_calls: 4096      # <the registered doc line>"
    const std::regex entry(R"(^    #? ?([a-z0-9_]+): (\d+) +# (.*)$)");
    std::map<std::string, std::string> comments;
    while (std::getline(lines, line) && line.rfind("    ", 0) == 0) {
        std::smatch m;
        if (std::regex_match(line, m, entry)) listed[m[1]] = std::stoull(m[2]), comments[m[1]] = m[3];
    }
    EXPECT_FALSE(listed.empty());
    for (const auto& [key, v] : listed) {
        auto it = limits.find(key);
        if (it == limits.end()) {
            ADD_FAILURE() << "rpcmon.yaml lists limits.protocols." << key << ", which no protocol registers";
            continue;
        }
        EXPECT_EQ(v, it->second->defaultValue()) << "rpcmon.yaml: " << key;
        EXPECT_EQ(comments[key], it->second->doc) << "rpcmon.yaml: " << key;
    }
    for (const auto& [key, l] : limits)
        EXPECT_TRUE(listed.count(key)) << "rpcmon.yaml does not list limits.protocols." << key;
}

// Each registered key: read by the rules file within its bounds (FILE:LINE error outside),
// listed by detect::limitKeys(), and landing in its layer's settings through applyLimits.
TEST(ProtocolDescriptors, LimitsReachTheirLayer) {
    auto keys = detect::limitKeys();
    for (const auto& [key, l] : registeredLimits()) {
        std::string path = "limits.protocols." + key;
        EXPECT_NE(std::find(keys.begin(), keys.end(), path), keys.end()) << path;
        for (int64_t v : {l->lo, l->hi}) {
            detect::DetectConfig c =
                detect::parseConfig("limits:\n  protocols:\n    " + key + ": " + std::to_string(v) + "\n", "r.yaml");
            ASSERT_EQ(c.runtime.protocols.count(key), 1u) << key;
            EXPECT_EQ(c.runtime.protocols.at(key), uint64_t(v));
            PipelineOptions o;
            applyLimits(c.runtime, o);
            EXPECT_EQ(l->field(o.dissectors), size_t(v)) << key;
            // The other keys keep their defaults.
            for (const auto& [other, ol] : registeredLimits())
                if (other != key) {
                    EXPECT_EQ(ol->field(o.dissectors), ol->defaultValue()) << other;
                }
        }
        for (int64_t v : {l->lo - 1, l->hi + 1}) {
            try {
                detect::parseConfig("limits:\n  protocols:\n    " + key + ": " + std::to_string(v) + "\n", "r.yaml");
                ADD_FAILURE() << key << ": " << v << " accepted";
            } catch (const detect::ConfigError& e) {
                EXPECT_EQ(std::string(e.what()), "r.yaml:3: key '" + path + "': value " + std::to_string(v) +
                                                     " out of range [" + std::to_string(l->lo) + ", " +
                                                     std::to_string(l->hi) + "]");
            }
        }
    }
    try {
        detect::parseConfig("limits:\n  protocols:\n    onc_pending: 5\n", "r.yaml");
        ADD_FAILURE() << "an unregistered protocol limit was accepted";
    } catch (const detect::ConfigError& e) {
        EXPECT_STREQ(e.what(), "r.yaml:3: key 'limits.protocols.onc_pending': unknown key");
    }
}

// A value set in the rules file reaches the layer the dissectors make (here: ONC's pending-call
// table evicts past the configured bound).
TEST(ProtocolDescriptors, MakeDissectorsHandsTheSettingsToTheLayers) {
    DissectorLimits d;
    d.onc.max_pending = 7;
    d.dcerpc.max_contexts = 9;
    const ProtocolLimit* onc = findProtocolLimit("onc_pending_calls");
    const ProtocolLimit* ctx = findProtocolLimit("dcerpc_contexts");
    ASSERT_TRUE(onc && ctx);
    EXPECT_EQ(onc->field(d), 7u);
    EXPECT_EQ(ctx->field(d), 9u);
    EXPECT_EQ(onc->defaultValue(), onc::OncConfig{}.max_pending);
    EXPECT_EQ(ctx->defaultValue(), dcerpc::kDefaultMaxContexts);
    EXPECT_EQ(findProtocolLimit("dcerpc_pending_calls")->defaultValue(), dcerpc::kDefaultMaxPendingCalls);
}

// The stats block: each protocol's anomaly table is reached through its row, once.
TEST(ProtocolDescriptors, AnomalyTablesComeWithTheRegistration) {
    const auto& tables = anomalyTables();
    size_t protocol_tables = 0;
    for (const ProtocolDescriptor& p : protocolDescriptors()) {
        if (p.anomalies.rows.empty()) continue;
        protocol_tables++;
        size_t listed = 0;
        for (const AnomalyTable& t : tables)
            if (t.rows.data() == p.anomalies.rows.data()) {
                listed++;
                EXPECT_STREQ(t.layer, p.anomalies.layer);
            }
        EXPECT_EQ(listed, 1u) << p.name;
        // The table's counters are "<protocol>.<what>".
        for (const AnomalyInfo& a : p.anomalies.rows)
            EXPECT_EQ(std::string(a.name).rfind(std::string(p.name) + ".", 0), 0u) << p.name << ": " << a.name;
    }
    EXPECT_EQ(protocol_tables, 3u);  // ONC, DCE/RPC, SMB (NetBIOS shares SMB's)
    EXPECT_TRUE(protocolDescriptors()[RPCMON_APP_NBSS].anomalies.rows.empty());
    EXPECT_EQ(protocolDescriptors()[RPCMON_APP_SMB].anomalies.rows.data(), smb::kSmbAnomalies);
}

}  // namespace
}  // namespace rpcmon
