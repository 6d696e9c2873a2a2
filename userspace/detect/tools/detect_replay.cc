// SPDX-License-Identifier: Apache-2.0
// detect_replay [--rules FILE] [--state FILE] FILE.jsonl...: feeds EVE record lines (e.g. the
// golden files) through the Detector and prints the alerts, then the detector stats on stderr.
#include <fstream>
#include <iostream>

#include "detect/detector.h"

namespace {
struct PrintSink : rpcmon::RecordSink {
    void emit(rpcmon::Json&& r) override { std::cout << r.dump() << "\n"; }
};
}  // namespace

int main(int argc, char** argv) {
    rpcmon::detect::DetectorOptions opts;
    std::vector<std::string> files;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--rules" && i + 1 < argc) opts.rules_file = argv[++i];
        else if (a == "--state" && i + 1 < argc) opts.state_file = argv[++i];
        else files.push_back(a);
    }
    PrintSink sink;
    try {
        rpcmon::detect::Detector d(opts, sink);
        if (!d.stateLoadError().empty()) std::cerr << "warning: " << d.stateLoadError() << "\n";
        for (const auto& f : files) {
            std::ifstream in(f);
            std::string line;
            while (std::getline(in, line)) {
                if (line.empty() || line[0] == '#') continue;
                auto j = rpcmon::Json::parse(line, nullptr, false);
                if (!j.is_discarded()) d.onRecord(j);
            }
        }
        d.flush();
        d.saveState();
        std::cerr << d.stats().dump(2) << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
