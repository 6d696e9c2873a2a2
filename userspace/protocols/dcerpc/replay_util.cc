// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/replay_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "protocols/dcerpc/connection.h"

namespace rpcmon::dcerpc {
namespace {

struct Sink : RecordSink {
    std::vector<Json>* out;
    void emit(Json&& r) override { out->push_back(std::move(r)); }
};
struct Counter : AnomalyCounter {
    std::map<std::string, uint64_t>* out;
    void count(const char* n, uint64_t k) override { (*out)[n] += k; }
};
struct Learner : EndpointLearner {
    std::vector<std::string>* out;
    void learn(const LearnedEndpoint& ep) override {
        out->push_back(formatAddress(ep.addr) + ":" + std::to_string(ep.port) + "/" +
                       std::to_string(ep.l4proto) + " " + ep.name);
    }
};

Address parseAddr(const std::string& s) {
    Address a{};
    in_addr v4;
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        a[10] = a[11] = 0xff;
        std::memcpy(a.data() + 12, &v4, 4);
    }
    return a;
}

std::vector<uint8_t> unhex(const std::string& h) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
    return v;
}

struct Flow {
    std::string client_ip;
    uint16_t client_port = 0;
    std::unique_ptr<TcpConsumer> consumer;
    std::vector<uint8_t> pending[2];
};

}  // namespace

namespace {
struct Line {
    std::string stream;
    TimeNs ts = 0;
    std::string src, dst;
    unsigned sport = 0, dport = 0;
    std::vector<uint8_t> bytes;
};

bool parseLine(const std::string& line, Line& l) {
    std::istringstream ss(line);
    std::string epoch, hex;
    if (!(ss >> l.stream >> epoch >> l.src >> l.sport >> l.dst >> l.dport >> hex)) return false;
    auto dot = epoch.find('.');
    l.ts = std::stoull(epoch.substr(0, dot)) * 1'000'000'000ull;
    if (dot != std::string::npos) l.ts += std::stoull((epoch.substr(dot + 1) + "000000000").substr(0, 9));
    l.bytes = unhex(hex);
    return true;
}
}  // namespace

ReplayResult replayPipeFile(const std::string& path, const std::string& pipe_name) {
    ReplayResult res;
    Sink sink;
    sink.out = &res.records;
    Counter counter;
    counter.out = &res.anomalies;
    Learner learner;
    learner.out = &res.learned;
    std::ifstream in(path);
    std::string text;
    std::unique_ptr<EmbeddedStream> pipe;
    std::string client;
    unsigned client_port = 0;
    TimeNs last = 0;
    while (std::getline(in, text)) {
        Line l;
        if (!parseLine(text, l)) continue;
        if (!pipe) {
            FlowContext fc;
            fc.key.client = parseAddr(l.src);
            fc.key.server = parseAddr(l.dst);
            fc.key.client_port = uint16_t(l.sport);
            fc.key.server_port = uint16_t(l.dport);
            fc.key.l4proto = IPPROTO_TCP;
            fc.flow_id = 1;
            fc.app = RPCMON_APP_SMB;
            PipeInfo pi;
            pi.pipe_name = pipe_name;
            pi.smb.share = "IPC$";
            pipe = makePipeStream(fc, pi, sink, counter, &learner);
            client = l.src;
            client_port = l.sport;
        }
        Direction d = (l.src == client && l.sport == client_port) ? Direction::ToServer : Direction::FromServer;
        pipe->feed(d, Bytes(l.bytes.data(), l.bytes.size()), l.ts);
        last = l.ts;
    }
    if (pipe) pipe->onClose(last);
    return res;
}

ReplayResult replayFile(const std::string& path) {
    ReplayResult res;
    Sink sink;
    sink.out = &res.records;
    Counter counter;
    counter.out = &res.anomalies;
    Learner learner;
    learner.out = &res.learned;
    std::map<std::string, Flow> flows;
    std::ifstream in(path);
    std::string line;
    TimeNs last = 0;
    while (std::getline(in, line)) {
        std::istringstream ss(line);
        std::string stream, epoch, src, dst, hex;
        unsigned sport = 0, dport = 0;
        if (!(ss >> stream >> epoch >> src >> sport >> dst >> dport >> hex)) continue;
        auto dot = epoch.find('.');
        TimeNs ts = std::stoull(epoch.substr(0, dot)) * 1'000'000'000ull;
        if (dot != std::string::npos) {
            std::string frac = (epoch.substr(dot + 1) + "000000000").substr(0, 9);
            ts += std::stoull(frac);
        }
        last = ts;
        Flow& f = flows[stream];
        if (!f.consumer) {
            FlowContext fc;
            fc.key.client = parseAddr(src);
            fc.key.server = parseAddr(dst);
            fc.key.client_port = uint16_t(sport);
            fc.key.server_port = uint16_t(dport);
            fc.key.l4proto = IPPROTO_TCP;
            fc.flow_id = std::stoull(stream) + 1;
            fc.app = RPCMON_APP_DCERPC;
            f.client_ip = src;
            f.client_port = uint16_t(sport);
            f.consumer = std::make_unique<TcpConsumer>(fc, sink, counter, &learner);
        }
        Direction d = (src == f.client_ip && sport == f.client_port) ? Direction::ToServer : Direction::FromServer;
        auto& buf = f.pending[d == Direction::ToServer ? 0 : 1];
        auto bytes = unhex(hex);
        buf.insert(buf.end(), bytes.begin(), bytes.end());
        size_t used = f.consumer->onData(d, Bytes(buf.data(), buf.size()), ts);
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
        f.consumer->onTick(ts);
    }
    for (auto& [k, f] : flows) f.consumer->onClose(last);
    return res;
}

}  // namespace rpcmon::dcerpc
