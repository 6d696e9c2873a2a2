// SPDX-License-Identifier: Apache-2.0
// dcerpc_replay: feeds TCP payloads exported by tshark into TcpConsumer and prints the JSON
// records (stdout) and anomaly counters and learned endpoints (stderr). See
// ../testdata/README.md for the tshark command that produces its input.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "protocols/dcerpc/replay_util.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s tshark-fields.txt\n", argv[0]);
        return 2;
    }
    rpcmon::dcerpc::ReplayResult r = rpcmon::dcerpc::replayFile(argv[1]);
    for (const auto& rec : r.records) std::cout << rec.dump() << "\n";
    for (const auto& [k, v] : r.anomalies) std::cerr << k << " " << v << "\n";
    for (const auto& ep : r.learned) std::cerr << "learned " << ep << "\n";
    return 0;
}
