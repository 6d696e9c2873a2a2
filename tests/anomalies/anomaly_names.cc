// SPDX-License-Identifier: Apache-2.0
// Prints every anomaly counter name the code can emit, from the layers' tables (one per line:
// "<name>\t<anomaly|volume>\t<layer>"), or with --markdown the README list as it should read.
// readme_check.py compares the README against this output.
#include <cstdio>
#include <cstring>
#include <string>

#include "pipeline/anomalies.h"

int main(int argc, char** argv) {
    using namespace rpcmon;
    bool markdown = argc > 1 && std::strcmp(argv[1], "--markdown") == 0;
    for (const AnomalyTable& t : anomalyTables()) {
        // Markdown: one bullet per layer, wrapped like the README's prose (100 columns).
        std::string line = std::string("- ") + t.layer + ":";
        for (size_t i = 0; i < t.rows.size(); i++) {
            const AnomalyInfo& a = t.rows[i];
            bool vol = a.kind == CounterKind::Volume;
            if (!markdown) {
                std::printf("%s\t%s\t%s\n", a.name, vol ? "volume" : "anomaly", t.layer);
                continue;
            }
            std::string item = std::string("`") + a.name + "`" + (vol ? " (volume)" : "") +
                               (i + 1 < t.rows.size() ? "," : "");
            if (line.size() + 1 + item.size() > 100) {
                std::printf("%s\n", line.c_str());
                line.assign(1, ' ');  // not `= " "`: GCC 12 warns (-Wrestrict) on that, wrongly
            }
            line += " " + item;
        }
        if (markdown) std::printf("%s\n", line.c_str());
    }
    return 0;
}
