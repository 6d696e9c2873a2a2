// SPDX-License-Identifier: Apache-2.0
// IP fragment reassembly figures (issue 16): fragments/s and ns per fragment of the reassembler
// alone and of the whole path (fragment records -> reassembly -> user-space classifier ->
// pipeline -> ONC parser), the memory cap, and a flood of incomplete datagrams next to
// legitimate calls: held bytes stay under the cap, every refusal is counted, and no call is lost.
// Prints figures; asserts nothing (timings belong to benchmarks) except the exit code 1 when
// the flood's bounds or the call count do not hold.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "capture/offline_classifier.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "stream/ip_defrag.h"
#include "support/fragmenter.h"
#include "support/packet_builder.h"

using namespace rpcmon;
using namespace rpcmon::test;

namespace {

using Frame = std::vector<uint8_t>;
constexpr TimeNs kSec = 1000000000ull;

struct Counter : AnomalyCounter {
    std::map<std::string, uint64_t> n;
    void count(const char* name, uint64_t k) override { n[name] += k; }
};

struct RpcSink : RecordSink {
    uint64_t rpc = 0;
    void emit(Json&& r) override { rpc += r["event_type"] == "rpc"; }
};
struct NoLearner : EndpointLearner {
    void learn(const LearnedEndpoint&) override {}
};

Frame udpCall(uint32_t xid, size_t pad, bool v6 = false, uint16_t sport = 800) {
    auto payload = oncCallUdp(xid, 100003, 3, 0);
    payload.resize(payload.size() + pad, 0x5a);
    PacketBuilder b;
    if (v6) b.ipv6("fd00::1", "fd00::2");
    else b.ipv4("10.1.0.1", "10.1.0.2");
    Frame f = b.udp(sport, 2049).payload(payload).build();
    fixL4Checksum(f);
    return f;
}

Frame frameRecord(const Frame& frame) {
    rpcmon_frame_record fr{};
    fr.hdr.type = RPCMON_REC_IP_FRAGMENT;
    fr.hdr.size = uint32_t(sizeof fr + frame.size());
    fr.hook = RPCMON_HOOK_XDP;
    fr.frame_len = fr.captured_len = uint32_t(frame.size());
    Frame rec(sizeof fr);
    std::memcpy(rec.data(), &fr, sizeof fr);
    rec.insert(rec.end(), frame.begin(), frame.end());
    return rec;
}

double nowNs() {
    return double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch()).count());
}

// The reassembler alone: `datagrams` datagrams of `size` bytes in fragments of `frag` bytes.
void reassemblerOnly(const char* label, bool v6, size_t size, size_t frag, int datagrams) {
    Frame call = udpCall(1, size, v6);
    std::vector<std::vector<Frame>> all;
    all.reserve(256);
    for (int i = 0; i < 256; i++) all.push_back(v6 ? fragmentV6(call, frag, uint32_t(i)) : fragmentV4(call, frag, uint16_t(i)));
    Counter c;
    DefragLimits lim;
    IpDefrag d(lim, c);
    Frame out;
    uint64_t fragments = 0, complete = 0;
    double t0 = nowNs();
    for (int i = 0; i < datagrams; i++) {
        for (const Frame& f : all[size_t(i) & 255]) {
            fragments++;
            complete += d.offer(f, TimeNs(i), out) == IpDefrag::Result::Complete;
        }
    }
    double dt = nowNs() - t0;
    std::printf("%-34s %8.1f ns/fragment  %6.2f M fragments/s  (%zu fragments per %zu-byte datagram, %llu datagrams)\n",
                label, dt / double(fragments), double(fragments) / dt * 1e3, all[0].size(), call.size(),
                (unsigned long long)complete);
}

// Fragment records through the whole pipeline: reassembly, classification, ONC parsing.
void wholePath(int calls) {
    std::vector<Frame> recs;
    for (int i = 0; i < calls; i++) {
        Frame call = udpCall(uint32_t(i + 1), 3000, false, uint16_t(1000 + (i & 1023)));
        for (const Frame& f : fragmentV4(call, 1480, uint16_t(i))) recs.push_back(frameRecord(f));
    }
    RpcSink sink;
    NoLearner learner;
    PipelineOptions o;
    Pipeline pipe(o, sink, learner, makeDissectors(o.dissectors));
    double t0 = nowNs();
    for (const Frame& r : recs) pipe.onRecord(r, kSec);
    double dt = nowNs() - t0;
    pipe.finish(2 * kSec);
    std::printf("%-34s %8.1f ns/fragment  %6.2f M fragments/s  (%d calls of 3 fragments, %llu rpc records)\n",
                "pipeline, IPv4 3 x 1480 B", dt / double(recs.size()), double(recs.size()) / dt * 1e3, calls,
                (unsigned long long)sink.rpc);
}

// A flood of first fragments that never complete, from many ids, with unfragmented legitimate
// calls in between. (Fragmented calls arriving while the budget is full are refused, as the
// host's own reassembly refuses them: that is counted, not hidden.)
int flood(int flood_fragments) {
    RpcSink sink;
    NoLearner learner;
    PipelineOptions o;
    o.memory_limit_kb = 0;
    Pipeline pipe(o, sink, learner, makeDissectors(o.dissectors));
    OfflineClassifier cls;
    Frame rec, bogus = udpCall(0xdead, 1400);
    size_t max_held = 0;
    int calls = 0;
    double t0 = nowNs();
    for (int i = 0; i < flood_fragments; i++) {
        TimeNs ts = kSec + TimeNs(i) * 200000;  // 5000 fragments/s: the flood outlives the 30 s timeout
        // Attack: first fragment of a new datagram each time (ids wrap: later ones collide).
        pipe.onRecord(frameRecord(fragmentV4(bogus, 1000, uint16_t(i))[0]), ts);
        if (i % 100 == 0) {
            // A legitimate unfragmented call: never held up by the flood.
            Frame call = udpCall(uint32_t(0x10000 + calls), 200, false, uint16_t(2000 + (calls & 4095)));
            if (cls.classify(call, ts, rec)) pipe.onRecord(rec, ts);
            calls++;
        }
        if (i % 64 == 0) pipe.onIdle(ts);
        if (i % 1024 == 0) {
            Json s = pipe.stats();
            max_held = std::max<size_t>(max_held, s["defrag"]["held_bytes"].get<size_t>());
        }
    }
    double dt = nowNs() - t0;
    pipe.finish(kSec + TimeNs(flood_fragments) * 200000 + kSec);
    Json s = pipe.stats();
    const Json& a = s["anomalies"];
    auto get = [&a](const char* k) { return a.contains(k) ? a[k].get<uint64_t>() : 0; };
    size_t cap = o.defrag.max_bytes;
    std::printf("flood: %d incomplete datagrams, %.1f ns/fragment; held at most %zu of %zu bytes (cap); "
                "refused: memory_limit %llu, table_full %llu; timed out %llu; legitimate calls %d sent, %llu reported\n",
                flood_fragments, dt / flood_fragments, max_held, cap, (unsigned long long)get("defrag.memory_limit"),
                (unsigned long long)get("defrag.table_full"), (unsigned long long)get("defrag.timeouts"), calls,
                (unsigned long long)sink.rpc);
    bool ok = max_held <= cap && sink.rpc == uint64_t(calls) &&
              get("defrag.memory_limit") + get("defrag.table_full") + get("defrag.timeouts") > 0;
    if (!ok) std::printf("flood: FAILED (bound exceeded, nothing counted, or calls lost)\n");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 200000;
    DefragLimits lim;
    std::printf("IP reassembly limits: max_bytes %zu, max_datagrams %zu, max_fragments %zu, timeouts %llu s / %llu s\n",
                lim.max_bytes, lim.max_datagrams, lim.max_fragments, (unsigned long long)(lim.ipv4_timeout_ns / kSec),
                (unsigned long long)(lim.ipv6_timeout_ns / kSec));
    reassemblerOnly("reassembler, IPv4 3 x 1480 B", false, 3000, 1480, n);
    reassemblerOnly("reassembler, IPv4 184 B fragments", false, 3000, 184, n / 8);
    reassemblerOnly("reassembler, IPv6 1232 B fragments", true, 3000, 1232, n);
    reassemblerOnly("reassembler, IPv6 24 B, 1 KiB", true, 1000, 24, n / 16);
    wholePath(n / 4);
    return flood(n);
}
