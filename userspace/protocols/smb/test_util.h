// SPDX-License-Identifier: Apache-2.0
// Test doubles and fixture helpers shared by the SMB tests: a recording sink, anomaly counter
// and PipeOpener, hex decoding, an SMB2 message builder, and a replay of extracted captures.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "stream/consumer.h"

namespace rpcmon::smb::test {

inline std::vector<uint8_t> hex(const std::string& s) {
    std::vector<uint8_t> out;
    int hi = -1;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else out.push_back(static_cast<uint8_t>(hi << 4 | v)), hi = -1;
    }
    return out;
}

struct RecordingSink : RecordSink {
    std::vector<Json> records;
    void emit(Json&& r) override { records.push_back(std::move(r)); }
    std::vector<Json> ofType(const std::string& t) const {
        std::vector<Json> out;
        for (const auto& r : records)
            if (r["event_type"] == t) out.push_back(r);
        return out;
    }
};

struct CountingAnomalies : AnomalyCounter {
    std::map<std::string, uint64_t> counts;
    void count(const char* name, uint64_t n) override { counts[name] += n; }
    uint64_t get(const std::string& n) const {
        auto it = counts.find(n);
        return it == counts.end() ? 0 : it->second;
    }
};

// Records every byte a pipe receives, per direction, plus gaps and closes.
struct FakePipe : EmbeddedStream {
    PipeInfo info;
    std::vector<uint8_t> to_server, from_server;
    int gaps = 0, closes = 0, feeds = 0;
    void feed(Direction d, Bytes data, TimeNs) override {
        auto& v = d == Direction::ToServer ? to_server : from_server;
        v.insert(v.end(), data.begin(), data.end());
        feeds++;
    }
    void onGap(Direction) override { gaps++; }
    void onTick(TimeNs) override {}
    void onClose(TimeNs) override { closes++; }
};

struct FakePipeOpener : PipeOpener {
    std::vector<FakePipe*> opened;  // owned by the consumer; valid until it closes them
    std::vector<PipeInfo> infos;
    std::unique_ptr<EmbeddedStream> openPipe(const FlowContext&, const PipeInfo& pipe) override {
        auto p = std::make_unique<FakePipe>();
        p->info = pipe;
        opened.push_back(p.get());
        infos.push_back(pipe);
        return p;
    }
};

inline FlowContext testFlow(uint16_t server_port = 445) {
    FlowContext f;
    f.key.client = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    f.key.server = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
    f.key.client_port = 49152;
    f.key.server_port = server_port;
    f.key.l4proto = 6;
    f.flow_id = 77;
    return f;
}

// Feeds bytes the way the stream layer does: unconsumed bytes are presented again with the
// next segment appended.
struct StreamDriver {
    StreamConsumer& c;
    std::vector<uint8_t> buf[2];
    explicit StreamDriver(StreamConsumer& consumer) : c(consumer) {}
    void push(Direction d, const std::vector<uint8_t>& seg, TimeNs ts) {
        auto& b = buf[static_cast<int>(d)];
        b.insert(b.end(), seg.begin(), seg.end());
        size_t used = c.onData(d, Bytes(b.data(), b.size()), ts);
        b.erase(b.begin(), b.begin() + static_cast<long>(used));
    }
    size_t pending(Direction d) const { return buf[static_cast<int>(d)].size(); }
};

// Replays a testdata/*.stream.txt file made by testdata/extract.sh. Returns false if missing.
inline bool replay(const std::string& path, StreamConsumer& c, TimeNs* last_ts = nullptr) {
    std::ifstream in(path);
    if (!in) return false;
    StreamDriver drv(c);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string dir, hexs;
        TimeNs ts = 0;
        ls >> dir >> ts >> hexs;
        if (dir.empty()) continue;
        drv.push(dir == "C" ? Direction::ToServer : Direction::FromServer, hex(hexs), ts);
        if (last_ts) *last_ts = ts;
    }
    return true;
}

// Real SMB1 TRANSACTION (TransactNmPipe) request from zeek/dssetup_DsRoleGetPrimaryDomainInformation.pcap
// (frame 5, NBSS header removed): a DCE/RPC bind written to pipe FID 0x400b.
inline constexpr const char* kTransactRequest =
    "ff534d4225000000000801c80000000000000000000000000008ff1100083700"  // header: TRANSACTION
    "10"                                           // WordCount = 16 (14 + SetupCount 2)
    "0000" "4800" "0000" "b810" "00" "00" "0000"   // TotalParam, TotalData = 72, MaxParam, MaxData, MaxSetup, Rsvd, Flags
    "00000000" "0000" "0000" "5200" "4800" "5200"  // Timeout, Rsvd2, ParamCount, ParamOffset, DataCount = 72, DataOffset = 82
    "02" "00" "2600" "0b40"                        // SetupCount = 2, Rsvd3, TransactNmPipe, FID 0x400b
    "5700"                                         // ByteCount = 87
    "00" "5c0050004900500045005c000000"            // Pad, Name "\PIPE\" (UTF-16LE, NUL)
    "05000b0310000000480000001d000000b810b8100000000001000000000001006a2819390cb1d0119ba800c04fd9"
    "2ef500000000045d888aeb1cc9119fe808002b10486002000000";  // DCE/RPC bind, call_id 29 (72 bytes)

// Little-endian append helpers for building messages in tests.
inline void put16(std::vector<uint8_t>& v, uint16_t x) { v.push_back(x & 0xff); v.push_back(x >> 8); }
inline void put32(std::vector<uint8_t>& v, uint32_t x) { put16(v, x & 0xffff); put16(v, x >> 16); }
inline void put64(std::vector<uint8_t>& v, uint64_t x) { put32(v, uint32_t(x)); put32(v, uint32_t(x >> 32)); }
inline void putUtf16(std::vector<uint8_t>& v, const std::string& s) {
    for (char c : s) put16(v, static_cast<uint8_t>(c));
}

// [MS-SMB2] 2.2.1.2 sync header, field by field.
struct Smb2Hdr {
    uint16_t command = 0;
    uint32_t status = 0;
    uint32_t flags = 0;
    uint32_t next_command = 0;
    uint64_t message_id = 0;
    uint32_t tree_id = 0;
    uint64_t session_id = 0;
    uint64_t async_id = 0;  // used when flags has ASYNC
};
inline std::vector<uint8_t> smb2Header(const Smb2Hdr& h) {
    std::vector<uint8_t> v = {0xFE, 'S', 'M', 'B'};  // ProtocolId
    put16(v, 64);            // StructureSize
    put16(v, 1);             // CreditCharge
    put32(v, h.status);      // Status
    put16(v, h.command);     // Command
    put16(v, 1);             // CreditRequest/Response
    put32(v, h.flags);       // Flags
    put32(v, h.next_command);  // NextCommand
    put64(v, h.message_id);  // MessageId
    if (h.flags & 2) {
        put64(v, h.async_id);  // AsyncId
    } else {
        put32(v, 0xFEFF);      // Reserved (ProcessId)
        put32(v, h.tree_id);   // TreeId
    }
    put64(v, h.session_id);  // SessionId
    v.resize(v.size() + 16, 0);  // Signature
    return v;
}

// NBSS direct-hosting frame around one or more SMB messages.
inline std::vector<uint8_t> nbss(const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> v = {0x00, uint8_t(payload.size() >> 16), uint8_t(payload.size() >> 8),
                              uint8_t(payload.size())};
    v.insert(v.end(), payload.begin(), payload.end());
    return v;
}

inline std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace rpcmon::smb::test
