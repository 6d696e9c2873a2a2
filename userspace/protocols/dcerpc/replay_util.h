// SPDX-License-Identifier: Apache-2.0
// Test support: replays tshark-exported TCP payloads (one segment per line:
// "stream epoch src sport dst dport hexpayload") through TcpConsumer, simulating the stream
// layer's contract (unconsumed bytes are presented again). The client is the side that sends
// first on each stream.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "output/record.h"

namespace rpcmon::dcerpc {

struct ReplayResult {
    std::vector<Json> records;
    std::map<std::string, uint64_t> anomalies;
    std::vector<std::string> learned;  // "addr:port/proto name"
};

ReplayResult replayFile(const std::string& path);
// Same input, fed through makePipeStream (records carry rpc.named_pipe and smb keys).
ReplayResult replayPipeFile(const std::string& path, const std::string& pipe_name);

}  // namespace rpcmon::dcerpc
