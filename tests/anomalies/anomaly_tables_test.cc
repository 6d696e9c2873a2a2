// SPDX-License-Identifier: Apache-2.0
// The anomaly tables: one row per enum value (also a static_assert next to each table), names
// unique across layers and shaped "<layer>.<what>", and count(enum) reaching AnomalyCounter
// under exactly the table's name.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "pipeline/anomalies.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "protocols/dcerpc/anomalies.h"
#include "protocols/dcerpc/parse.h"
#include "protocols/npa/anomalies.h"
#include "protocols/onc/anomalies.h"
#include "protocols/smb/anomalies.h"
#include "stream/anomalies.h"
#include "stream/consumer.h"

namespace rpcmon {
namespace {

struct Recorder : AnomalyCounter {
    std::map<std::string, uint64_t> c;
    void count(const char* name, uint64_t n) override { c[name] += n; }
    using AnomalyCounter::count;
};

TEST(AnomalyTables, NamesAreUniqueAndWellFormed) {
    std::set<std::string> seen;
    const std::regex shape("[a-z0-9]+\\.[a-z0-9_]+");
    size_t rows = 0;
    for (const AnomalyTable& t : anomalyTables()) {
        EXPECT_FALSE(t.rows.empty()) << t.layer;
        for (size_t i = 0; i < t.rows.size(); i++) {
            const AnomalyInfo& a = t.rows[i];
            EXPECT_EQ(a.id, i) << a.name;
            EXPECT_TRUE(std::regex_match(a.name, shape)) << a.name;
            EXPECT_TRUE(seen.insert(a.name).second) << a.name << " is in two tables";
            rows++;
        }
    }
    EXPECT_EQ(rows, seen.size());
    // Every layer's table is listed (a table left out of anomalyTables() would escape the
    // README check).
    EXPECT_EQ(rows, size_t(onc::OncAnomaly::kCount) + size_t(dcerpc::DcerpcAnomaly::kCount) +
                        size_t(smb::SmbAnomaly::kCount) + size_t(npa::NpaAnomaly::kCount) +
                        size_t(TcpAnomaly::kCount) + size_t(FlowAnomaly::kCount) + size_t(DefragAnomaly::kCount) +
                        size_t(ChecksumAnomaly::kCount) + size_t(PipelineAnomaly::kCount));
}

TEST(AnomalyTables, CountByEnumUsesTheTableName) {
    Recorder r;
    AnomalyCounter& c = r;
    c.count(onc::OncAnomaly::InvalidMessage);
    c.count(smb::SmbAnomaly::EncryptedBytes, 1000);
    c.count(TcpAnomaly::GapBytes, 7);
    c.count(ChecksumAnomaly::TcpPartialExpired);
    c.count(PipelineAnomaly::MemoryFlowsShed, 3);
    std::map<std::string, uint64_t> want = {{"onc.invalid_message", 1},
                                            {"smb.encrypted_bytes", 1000},
                                            {"tcp.gap_bytes", 7},
                                            {"tcp.partial_checksum_expired", 1},
                                            {"memory.flows_shed", 3}};
    EXPECT_EQ(r.c, want);
}

TEST(AnomalyTables, FindAndKinds) {
    const AnomalyInfo* a = findAnomaly("smb.encrypted_bytes");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->kind, CounterKind::Volume);
    a = findAnomaly("onc.bad_record_mark");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->kind, CounterKind::Anomaly);
    EXPECT_EQ(findAnomaly("onc.no_such_counter"), nullptr);
    EXPECT_EQ(findAnomaly(""), nullptr);
}

TEST(AnomalyTables, DcerpcHeaderErrorsMapToTheirCounters) {
    EXPECT_STREQ(dcerpc::anomalyName(dcerpc::HeaderError::BadVersion), "dcerpc.bad_version");
    EXPECT_STREQ(dcerpc::anomalyName(dcerpc::HeaderError::FragLenInvalid), "dcerpc.frag_len_invalid");
    EXPECT_STREQ(dcerpc::anomalyName(dcerpc::HeaderError::AuthLenInvalid), "dcerpc.auth_len_invalid");
    EXPECT_STREQ(dcerpc::anomalyName(dcerpc::HeaderError::BadPtype), "dcerpc.bad_ptype");
    EXPECT_FALSE(dcerpc::headerAnomaly(dcerpc::HeaderError::None).has_value());
}

struct NullSink : RecordSink {
    void emit(Json&&) override {}
};
struct NoLearner : EndpointLearner {
    void learn(const LearnedEndpoint&) override {}
};

// Volumes stay under `anomalies` (add-only schema) and are also reported under `volumes`; a
// stats line without any volume has no `volumes` key.
TEST(AnomalyStats, VolumesAlsoUnderTheirOwnKey) {
    NullSink sink;
    NoLearner learner;
    PipelineOptions o;
    Pipeline pipe(o, sink, learner, makeDissectors(o.dissectors));
    pipe.count(onc::OncAnomaly::BadRecordMark);
    Json s = pipe.stats();
    EXPECT_EQ(s["anomalies"], Json::parse(R"({"onc.bad_record_mark": 1})"));
    EXPECT_FALSE(s.contains("volumes")) << s.dump();

    pipe.count(smb::SmbAnomaly::EncryptedBytes, 8205);
    pipe.count(smb::SmbAnomaly::EncryptedMessages, 46);
    pipe.count(TcpAnomaly::KernelSkippedBytes, 1000);
    pipe.count(TcpAnomaly::Gaps);
    s = pipe.stats();
    EXPECT_EQ(s["anomalies"], Json::parse(R"({"onc.bad_record_mark": 1, "smb.encrypted_bytes": 8205,
        "smb.encrypted_messages": 46, "tcp.gaps": 1, "tcp.kernel_skipped_bytes": 1000})"));
    EXPECT_EQ(s["volumes"], Json::parse(R"({"smb.encrypted_bytes": 8205, "smb.encrypted_messages": 46,
        "tcp.kernel_skipped_bytes": 1000})"));
}

}  // namespace
}  // namespace rpcmon
