// SPDX-License-Identifier: Apache-2.0
// Test-only helpers for the ONC tests: an XDR byte builder for argument bodies, and fakes for
// the sink, anomaly counter and endpoint learner. Header fixtures in the tests themselves are
// literal byte arrays annotated field by field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "output/record.h"
#include "protocols/onc/types.h"
#include "stream/consumer.h"

namespace rpcmon::onc::test {

class Xdr {
public:
    Xdr& u32(uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
        return *this;
    }
    Xdr& u64(uint64_t v) { return u32(uint32_t(v >> 32)).u32(uint32_t(v)); }
    Xdr& raw(const std::vector<uint8_t>& v) {
        b.insert(b.end(), v.begin(), v.end());
        return *this;
    }
    Xdr& zeros(size_t n) { b.insert(b.end(), n, 0); return *this; }
    Xdr& opaque(const std::vector<uint8_t>& v) {
        u32(uint32_t(v.size()));
        raw(v);
        return zeros((4 - v.size() % 4) % 4);
    }
    Xdr& str(const std::string& s) { return opaque(std::vector<uint8_t>(s.begin(), s.end())); }
    // RFC 5531 call header with AUTH_NONE credential and verifier.
    Xdr& call(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc) {
        return u32(xid).u32(0).u32(2).u32(prog).u32(vers).u32(proc).u32(0).u32(0).u32(0).u32(0);
    }
    // Accepted SUCCESS reply header with AUTH_NONE verifier.
    Xdr& reply(uint32_t xid) { return u32(xid).u32(1).u32(0).u32(0).u32(0).u32(0); }
    std::vector<uint8_t> b;
};

// Prefixes `msg` with one last-fragment record mark (RFC 5531 §11).
inline std::vector<uint8_t> recordMark(const std::vector<uint8_t>& msg) {
    Xdr x;
    x.u32(0x80000000u | uint32_t(msg.size())).raw(msg);
    return x.b;
}

struct FakeSink : RecordSink {
    std::vector<Json> records;
    void emit(Json&& r) override { records.push_back(std::move(r)); }
};

struct FakeCounter : AnomalyCounter {
    std::map<std::string, uint64_t> counts;
    void count(const char* name, uint64_t n = 1) override { counts[name] += n; }
    uint64_t get(const std::string& name) const {
        auto it = counts.find(name);
        return it == counts.end() ? 0 : it->second;
    }
};

struct FakeLearner : EndpointLearner {
    std::vector<LearnedEndpoint> learned;
    void learn(const LearnedEndpoint& ep) override { learned.push_back(ep); }
};

// A call header for body decoding (xid 1, RPC version 2).
inline CallHeader callHeader(uint32_t prog, uint32_t vers, uint32_t proc) {
    CallHeader h;
    h.xid = 1;
    h.rpcvers = 2;
    h.prog = prog;
    h.vers = vers;
    h.proc = proc;
    return h;
}

inline Address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    Address x{};
    x[10] = x[11] = 0xff;
    x[12] = a; x[13] = b; x[14] = c; x[15] = d;
    return x;
}

}  // namespace rpcmon::onc::test
