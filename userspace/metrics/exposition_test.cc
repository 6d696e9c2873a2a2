// SPDX-License-Identifier: Apache-2.0
// The exposition: valid names, HELP/TYPE for every family, labels for hooks, interfaces and
// anomaly names, escaping, units, counter/gauge types; the output of a real pipeline run over
// a lab capture passes `promtool check metrics` (skipped when promtool is not installed).
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <unistd.h>

#include "capture/packet_source.h"
#include "detect/detecting_sink.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"

namespace rpcmon::metrics {
namespace {

// What a live agent's stats line holds (shape of LiveSource/Pipeline/Detector stats), with
// text a client can influence in label values.
Json liveStats() {
    return Json::parse(R"({
      "capture": {"source": "live", "interfaces": ["veth0"], "xdp": true, "xdp_mode": "auto",
        "kernel": {"xdp": {"packets_seen": 10, "bytes_seen": 1500, "ringbuf_drops": 0},
                   "socket": {"packets_seen": 4, "bytes_seen": 600, "ringbuf_drops": 2}},
        "interface_state": {"veth0": {"ifindex": 7, "state": "up", "xdp_mode": "native", "down_events": 1}},
        "watched_endpoints": 3, "endpoints_learned": 5,
        "host_hooks": {"mode": "tracepoint", "kernel": {"records": 9}}},
      "pipeline": {"records": 12, "packets_by_app": {"onc": 8, "smb": 0},
        "flows": {"active": 2, "created": 6, "reassembly_buffered_bytes": 0},
        "memory": {"rss_kb": 2048, "max_rss_kb": 4096},
        "anomalies": {"tcp.pending_limit_exceeded": 3, "onc.bad_record_mark": 1, "smb.encrypted_bytes": 4096,
                      "smb.encrypted_messages": 2},
        "volumes": {"smb.encrypted_bytes": 4096, "smb.encrypted_messages": 2}},
      "detect": {"alerts": 2, "by_signature": {"1000003": {"rule": "DCSync \"from\" a\\non-DC\nx", "alerts": 2}},
        "tracked": {"aggregates": 4, "aggregates_evicted": 1}, "state": {"loaded": false, "file": ""}},
      "output": {"records_written": 30, "write_errors": 0, "by_type": {"rpc": 20, "stats": 1}},
      "privileges": {"dropped": true, "kept": "cap_net_raw", "drop_failures": 0}
    })");
}

struct Parsed {
    std::map<std::string, std::string> help, type;
    std::map<std::string, std::string> samples;  // "name{labels}" -> value
    std::vector<std::string> problems;
};

// A strict reader of the text format: HELP then TYPE then the family's samples, contiguous;
// every name and label valid; label values properly quoted.
Parsed parse(const std::string& text) {
    Parsed p;
    static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$)");
    static const std::regex meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
    std::string current;
    std::set<std::string> closed;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) {
            p.problems.push_back("no final newline");
            break;
        }
        std::string line = text.substr(start, nl - start);
        start = nl + 1;
        std::smatch m;
        if (std::regex_match(line, m, meta)) {
            std::string name = m[2];
            if (m[1] == "HELP") {
                if (p.help.count(name)) p.problems.push_back("second HELP for " + name);
                if (!current.empty()) closed.insert(current);
                if (closed.count(name)) p.problems.push_back("family split: " + name);
                current = name;
                p.help[name] = m[3];
            } else {
                if (name != current || p.type.count(name)) p.problems.push_back("TYPE out of place: " + name);
                p.type[name] = m[3];
            }
            continue;
        }
        if (!std::regex_match(line, m, sample)) {
            p.problems.push_back("bad line: " + line);
            continue;
        }
        std::string name = m[1];
        std::string base = name;
        if (name != current) p.problems.push_back("sample outside its family: " + line);
        std::string key = name + (m[2].matched ? std::string(m[2]) : "");
        if (p.samples.count(key)) p.problems.push_back("repeated sample: " + key);
        p.samples[key] = m[4];
    }
    for (const auto& [name, t] : p.type)
        if (t != "counter" && t != "gauge") p.problems.push_back("type " + t + " for " + name);
    return p;
}

TEST(Exposition, NamesHelpTypesLabelsAndUnits) {
    Exposition e = renderExposition(liveStats());
    Parsed p = parse(e.text);
    EXPECT_TRUE(p.problems.empty()) << ::testing::PrintToString(p.problems) << "\n" << e.text;
    EXPECT_EQ(e.conflicts, 0u);
    EXPECT_EQ(e.families, p.help.size());
    EXPECT_EQ(p.help.size(), p.type.size());
    EXPECT_EQ(e.samples, p.samples.size());
    for (const auto& [name, _] : p.help) {
        EXPECT_TRUE(validMetricName(name)) << name;
        EXPECT_EQ(name.rfind("rpcmon_", 0), 0u) << name;
        // Prometheus conventions that promtool checks: counters and only counters end in _total.
        bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
        EXPECT_EQ(total, p.type[name] == "counter") << name;
    }
    auto value = [&](const std::string& key) {
        auto it = p.samples.find(key);
        return it == p.samples.end() ? std::string("(missing)") : it->second;
    };
    // Kernel counters per hook.
    EXPECT_EQ(value("rpcmon_capture_kernel_packets_seen_total{hook=\"xdp\"}"), "10");
    EXPECT_EQ(value("rpcmon_capture_kernel_packets_seen_total{hook=\"socket\"}"), "4");
    EXPECT_EQ(value("rpcmon_capture_kernel_ringbuf_drops_total{hook=\"socket\"}"), "2");
    EXPECT_EQ(p.help["rpcmon_capture_kernel_packets_seen_total"], "Stats line key capture.kernel.<hook>.packets_seen");
    // Interfaces: counters by interface, state and XDP mode as labels of an info gauge.
    EXPECT_EQ(value("rpcmon_capture_interface_state_down_events_total{interface=\"veth0\"}"), "1");
    EXPECT_EQ(value("rpcmon_capture_interface_state_info{interface=\"veth0\",state=\"up\",xdp_mode=\"native\"}"), "1");
    EXPECT_EQ(p.type["rpcmon_capture_interface_state_ifindex"], "gauge");
    EXPECT_EQ(value("rpcmon_capture_info{source=\"live\",xdp_mode=\"auto\"}"), "1");
    EXPECT_EQ(value("rpcmon_capture_xdp"), "1");  // boolean
    EXPECT_EQ(value("rpcmon_capture_host_hooks_kernel_records_total"), "9");
    // Anomalies by name, as a label (dots and all).
    EXPECT_EQ(value("rpcmon_pipeline_anomalies_total{anomaly=\"tcp.pending_limit_exceeded\"}"), "3");
    EXPECT_EQ(value("rpcmon_pipeline_anomalies_total{anomaly=\"onc.bad_record_mark\"}"), "1");
    EXPECT_EQ(p.type["rpcmon_pipeline_anomalies_total"], "counter");
    EXPECT_EQ(value("rpcmon_pipeline_packets_by_app_total{app=\"onc\"}"), "8");
    // Volumes: one family labelled by counter name, not one family per counter.
    EXPECT_EQ(value("rpcmon_pipeline_volumes_total{volume=\"smb.encrypted_bytes\"}"), "4096");
    EXPECT_EQ(value("rpcmon_pipeline_volumes_total{volume=\"smb.encrypted_messages\"}"), "2");
    EXPECT_EQ(p.type["rpcmon_pipeline_volumes_total"], "counter");
    EXPECT_EQ(p.help["rpcmon_pipeline_volumes_total"], "Stats line key pipeline.volumes.<volume>");
    for (const auto& [name, _] : p.help) EXPECT_EQ(name.find("pipeline_volumes_smb"), std::string::npos) << name;
    // Current values are gauges; memory in bytes.
    EXPECT_EQ(value("rpcmon_pipeline_flows_active"), "2");
    EXPECT_EQ(p.type["rpcmon_pipeline_flows_active"], "gauge");
    EXPECT_EQ(value("rpcmon_pipeline_flows_created_total"), "6");
    EXPECT_EQ(value("rpcmon_pipeline_memory_rss_bytes"), std::to_string(2048 * 1024));
    EXPECT_EQ(p.type["rpcmon_pipeline_memory_rss_bytes"], "gauge");
    EXPECT_NE(p.help["rpcmon_pipeline_memory_rss_bytes"].find("pipeline.memory.rss_kb (kB there, bytes here)"), std::string::npos);
    // Detection, outputs, privileges.
    EXPECT_EQ(value("rpcmon_detect_by_signature_alerts_total{sid=\"1000003\"}"), "2");
    EXPECT_EQ(value("rpcmon_detect_tracked_aggregates"), "4");
    EXPECT_EQ(value("rpcmon_detect_tracked_aggregates_evicted_total"), "1");
    EXPECT_EQ(value("rpcmon_detect_state_loaded"), "0");
    EXPECT_EQ(value("rpcmon_output_by_type_total{event_type=\"rpc\"}"), "20");
    EXPECT_EQ(value("rpcmon_output_write_errors_total"), "0");
    EXPECT_EQ(value("rpcmon_privileges_dropped"), "1");
    // Arrays are not samples.
    for (const auto& [k, _] : p.samples) EXPECT_EQ(k.find("interfaces"), std::string::npos) << k;
}

TEST(Exposition, LabelValuesAreEscapedAndBounded) {
    Exposition e = renderExposition(liveStats());
    // \ -> \\, " -> \", newline -> \n
    EXPECT_NE(e.text.find(R"(rpcmon_detect_by_signature_info{sid="1000003",rule="DCSync \"from\" a\\non-DC\nx"} 1)"),
              std::string::npos)
        << e.text;
    EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    EXPECT_EQ(escapeHelp("a\"b\\c\nd"), "a\"b\\\\c\\nd");
    // Invalid UTF-8 (a stray continuation byte, a truncated sequence, an overlong form) -> '?'.
    EXPECT_EQ(escapeLabelValue("ok\x80z\xc3"), "ok?z?");
    EXPECT_EQ(escapeLabelValue("\xc0\xaf"), "??");
    EXPECT_EQ(escapeLabelValue("caf\xc3\xa9"), "caf\xc3\xa9");
    // Long text is cut, never in the middle of a character.
    Json j = {{"x", {{"note", std::string(10, 'a') + "\xc3\xa9" + std::string(300, 'b')}}}};
    ExpositionOptions o;
    o.max_label_value = 11;
    Exposition c = renderExposition(j, o);
    EXPECT_NE(c.text.find("rpcmon_x_info{note=\"aaaaaaaaaa\"} 1"), std::string::npos) << c.text;
}

TEST(Exposition, NamesFromAnyKeyAreValidAndCollisionsCounted) {
    Json j = {{"weird key-1", {{"a.b", 1}, {"9lives", 2}}}, {"x", {{"a_b", 1}}}, {"x_a", {{"b", 2}}}};
    Exposition e = renderExposition(j);
    Parsed p = parse(e.text);
    EXPECT_TRUE(p.problems.empty()) << ::testing::PrintToString(p.problems) << "\n" << e.text;
    EXPECT_EQ(p.samples["rpcmon_weird_key_1_a_b_total"], "1");
    EXPECT_EQ(p.samples["rpcmon_weird_key_1_9lives_total"], "2");
    // x.a_b and x_a.b both give rpcmon_x_a_b_total: the first stays, the second is counted.
    EXPECT_EQ(p.samples["rpcmon_x_a_b_total"], "1");
    EXPECT_EQ(e.conflicts, 1u);
    EXPECT_EQ(sanitizeName("a.b-c d"), "a_b_c_d");
    EXPECT_FALSE(validLabelName("__reserved"));
    EXPECT_FALSE(validLabelName("1x"));
    EXPECT_TRUE(validMetricName("rpcmon_x:y"));
    EXPECT_FALSE(validMetricName("9x"));
    // Numbers: big counters exact, fractions, negative gauges.
    Json n = {{"pipeline", {{"memory", {{"limit_kb", 0}}}, {"records", 18446744073709551615ull}}}, {"f", {{"ratio", 0.25}}}};
    Parsed q = parse(renderExposition(n).text);
    EXPECT_EQ(q.samples["rpcmon_pipeline_records_total"], "18446744073709551615");
    EXPECT_EQ(q.samples["rpcmon_f_ratio_total"], "0.25");
    EXPECT_EQ(q.samples["rpcmon_pipeline_memory_limit_bytes"], "0");
}

TEST(Exposition, OriginsNameWhereValuesComeFrom) {
    ExpositionOptions o;
    o.origins = {{"calls", "Calls as rpcmon top counts them:"}};
    Parsed p = parse(renderExposition({{"calls", {{"seen", 5}}}, {"output", {{"reopens", 1}}}}, o).text);
    EXPECT_EQ(p.help["rpcmon_calls_seen_total"], "Calls as rpcmon top counts them: calls.seen");
    EXPECT_EQ(p.help["rpcmon_output_reopens_total"], "Stats line key output.reopens");
}

// The real counters: a lab capture through the pipeline and the detections, as `analyze`
// runs them.
Json realStats(const char* capture) {
    PcapOptions po;
    po.path = capture;
    auto src = makePcapSource(po);
    struct Null : RecordSink {
        void emit(Json&&) override {}
    } sink;
    detect::DetectingSink det(sink, {}, "");
    PipelineOptions popts;
    Pipeline pipe(popts, det, src->learner(), makeDissectors(popts.dissectors));
    struct Feed : RecordHandler {
        Pipeline& p;
        explicit Feed(Pipeline& pp) : p(pp) {}
        void onRecord(Bytes r, TimeNs ts) override { p.onRecord(r, ts); }
        void onIdle(TimeNs now) override { p.onIdle(now); }
    } feed(pipe);
    std::atomic<bool> stop{false};
    src->run(feed, stop);
    pipe.finish(src->now());
    det.finish();
    return {{"capture", src->stats()}, {"pipeline", pipe.stats()}, {"detect", det.stats()}};
}

void keyPaths(const Json& j, const std::string& path, std::vector<std::string>& out) {
    for (const auto& [k, v] : j.items()) {
        std::string p = path.empty() ? k : path + "." + k;
        out.push_back(p);
        if (v.is_object()) keyPaths(v, p, out);
    }
}

bool matches(std::string_view pattern, const std::string& path) {
    // Same syntax as the rules: dotted, '*' for one key.
    std::regex re("^" + std::regex_replace(std::regex_replace(std::string(pattern), std::regex("\\."), "\\."),
                                           std::regex("\\*"), "[^.]+") + "(\\.|$)");
    return std::regex_search(path, re);
}

TEST(Exposition, RulesMatchTheRealStatsLineAndPromtoolAccepts) {
    Json st = realStats("tests/data/lab/dce-dc-epm.pcap");
    // Encrypted SMB: the volume counters (pipeline.volumes) are set.
    Json enc = realStats("tests/data/lab/smb-encrypted.pcap");
    ASSERT_TRUE(enc["pipeline"].contains("volumes")) << enc.dump();
    Parsed pe = parse(renderExposition(enc).text);
    EXPECT_TRUE(pe.problems.empty()) << ::testing::PrintToString(pe.problems);
    size_t volume_samples = 0;
    for (const auto& [k, v] : enc["pipeline"]["volumes"].items()) {
        EXPECT_EQ(pe.samples["rpcmon_pipeline_volumes_total{volume=\"" + k + "\"}"], v.dump()) << k;
        volume_samples++;
    }
    EXPECT_GE(volume_samples, 1u);
    Exposition e = renderExposition(st);
    Parsed p = parse(e.text);
    EXPECT_TRUE(p.problems.empty()) << ::testing::PrintToString(p.problems);
    EXPECT_EQ(e.conflicts, 0u);
    EXPECT_GT(std::stoull(p.samples["rpcmon_pipeline_records_total"]), 0u) << e.text;
    EXPECT_GT(std::stoull(p.samples["rpcmon_capture_classifier_packets_seen_total"]), 0u) << e.text;
    EXPECT_GT(std::stoull(p.samples["rpcmon_detect_alerts_total"]), 0u) << e.text;
    EXPECT_EQ(p.type["rpcmon_pipeline_flows_active"], "gauge");
    EXPECT_EQ(p.type["rpcmon_pipeline_memory_max_rss_bytes"], "gauge");
    EXPECT_EQ(p.type["rpcmon_capture_watched_endpoints"], "gauge");
    EXPECT_EQ(p.type["rpcmon_detect_baseline_clients"], "gauge");
    EXPECT_TRUE(p.samples.count("rpcmon_pipeline_packets_by_app_total{app=\"dcerpc\"}")) << e.text;
    bool by_sid = false;
    for (const auto& [k, v] : p.samples) by_sid |= k.rfind("rpcmon_detect_by_signature_alerts_total{sid=\"", 0) == 0;
    EXPECT_TRUE(by_sid) << e.text;

    // Every rule still names a key the stats line has, except the ones only a live agent or a
    // particular input produces (checked by the live test, or by a capture with fragments).
    std::vector<std::string> paths;
    keyPaths(st, "", paths);
    keyPaths(enc, "", paths);
    const std::set<std::string_view> elsewhere = {
        "capture.kernel", "capture.interface_state", "capture.interface_state.*.ifindex",  // live
        "capture.anomalies",                                                              // bad checksums
        "pipeline.defrag.*",                                                              // fragments
        "pipeline.host_pipes.handshake_levels", "pipeline.host_pipes.pipes_active",      // host hooks
        "pipeline.host_pipes.buffered_bytes", "pipeline.processes.known",
        "detect.syslog.pending",                                                          // --syslog
        "output.by_type",                                                                 // the agent's EVE writer
    };
    auto used = [&](std::string_view rule) {
        for (const auto& path : paths)
            if (matches(rule, path)) return true;
        return false;
    };
    for (auto g : gaugePaths())
        EXPECT_TRUE(used(g) || elsewhere.count(g)) << "gauge rule matches no stats key: " << g;
    for (const auto& d : dimensions())
        EXPECT_TRUE(used(d.path) || elsewhere.count(d.path)) << "dimension matches no stats key: " << d.path;

    if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool not installed (tools/setup.sh: prometheus)";
    for (const Json& s : {st, enc, liveStats()}) {
        std::string path = ::testing::TempDir() + "/rpcmon_metrics.prom";
        std::ofstream(path) << renderExposition(s).text;
        std::string cmd = "/usr/bin/promtool check metrics < " + path + " 2>&1";
        FILE* f = popen(cmd.c_str(), "r");
        ASSERT_NE(f, nullptr);
        std::string out;
        char buf[512];
        while (fgets(buf, sizeof buf, f)) out += buf;
        int rc = pclose(f);
        EXPECT_EQ(rc, 0) << out;
        std::remove(path.c_str());
    }
}

}  // namespace
}  // namespace rpcmon::metrics
