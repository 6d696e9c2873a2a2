// SPDX-License-Identifier: Apache-2.0
// detect_bench [-n REPS] [--typed] [FILE.jsonl...]: detection cost per record. The records of EVE files
// (default: the golden files of a few attack captures) are read once into typed events, then
// run through a fresh Detector REPS times: onEvent (the pipeline's path) and, for comparison,
// onRecord on the JSON lines (the edge: eventFromJson + the same typed path). Prints ns/record
// (median of the repetitions) and the alerts per pass; a benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "detect/detector.h"

namespace {

struct CountSink : rpcmon::RecordSink {
    size_t alerts = 0;
    void emit(rpcmon::Json&&) override { alerts++; }
};

double medianOf(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    using Clock = std::chrono::steady_clock;
    int reps = 50;
    bool typed_only = false;  // --typed: skip the JSON-edge passes (profiling the typed path)
    std::vector<std::string> files;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-n" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
        else if (a == "--typed") typed_only = true;
        else files.push_back(a);
    }
    if (files.empty())
        for (const char* n : {"attack-samrdump", "attack-lookupsid", "attack-zerologon", "attack-svcctl",
                              "attack-rpcclient-enum", "attack-nfs-root", "attack-onc-probe", "attack-wmiexec"})
            files.push_back(std::string(RPCMON_SOURCE_DIR) + "/tests/golden/expected/" + n + ".jsonl");

    // One record stream: typed events where the pipeline makes them, JSON for the rest.
    struct Item {
        std::shared_ptr<const rpcmon::Event> ev;  // shared, as DetectingSink::emitEvent hands it on
        rpcmon::Json json;
    };
    std::vector<Item> items;
    for (const auto& f : files) {
        std::ifstream in(f);
        if (!in) {
            std::cerr << "cannot read " << f << "\n";
            return 2;
        }
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            auto j = rpcmon::Json::parse(line, nullptr, false);
            if (j.is_discarded()) continue;
            const std::string et = j.value("event_type", "");
            if (et == "alert" || et == "stats") continue;
            auto ev = rpcmon::eventFromJson(j);
            items.push_back({ev ? std::make_shared<const rpcmon::Event>(std::move(*ev)) : nullptr, std::move(j)});
        }
    }
    if (items.empty()) {
        std::cerr << "no records\n";
        return 2;
    }
    rpcmon::detect::DetectorOptions opts;
    opts.rules_text = "version: 1\n";  // built-in defaults (baselines on, learning)
    auto pass = [&](bool typed, size_t& alerts) {
        CountSink sink;
        rpcmon::detect::Detector d(opts, sink);
        auto t0 = Clock::now();
        for (const auto& it : items) {
            if (typed && it.ev) d.onEvent(it.ev);
            else d.onRecord(it.json);
        }
        auto t1 = Clock::now();
        d.flush();
        alerts = sink.alerts;
        return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(items.size());
    };
    std::vector<double> typed_ns, json_ns;
    size_t typed_alerts = 0, json_alerts = 0;
    for (int r = 0; r < reps; r++) {
        typed_ns.push_back(pass(true, typed_alerts));
        if (!typed_only) json_ns.push_back(pass(false, json_alerts));
    }
    size_t events = 0;
    for (const auto& it : items) events += it.ev != nullptr;
    std::printf("records\t%zu (%zu typed events, %zu JSON-only) from %zu files, %d passes\n", items.size(), events,
                items.size() - events, files.size(), reps);
    std::printf("detect onEvent\t%.0f ns/record (median)\talerts/pass %zu\n", medianOf(typed_ns), typed_alerts);
    if (typed_only) return 0;
    std::printf("detect onRecord(JSON edge)\t%.0f ns/record (median)\talerts/pass %zu\n", medianOf(json_ns), json_alerts);
    return typed_alerts == json_alerts ? 0 : 1;
}
