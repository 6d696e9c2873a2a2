// SPDX-License-Identifier: Apache-2.0
// Per-record cost of the hot path's output side (issue 14), measured in one run so the figures
// compare: the rpc / smb records of the golden captures, read once into typed events, then
//   copy       - an event copied (the allocations a protocol layer makes to fill one),
//   write      - the event written as its EVE line into a reused JsonWriter,
//   tree       - the same record as a JSON tree, copied and dumped (the shape of the path
//                before typed events: a tree built field by field, then dumped),
//   detect     - the event through the detection engine (DetectingSink, built-in rules),
//   all        - copy + detect + write, the work per call after dissection.
// Usage: rpcmon_record_bench [ROUNDS]. Prints figures; asserts nothing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "detect/detecting_sink.h"
#include "output/event.h"
#include "output/json_writer.h"

using namespace rpcmon;

namespace {

struct NullSink : RecordSink {
    uint64_t records = 0;
    void emit(Json&&) override { records++; }
    void emitView(const Json&) override { records++; }
    void emitEvent(Event&&) override { records++; }
    void emitEventView(const Event&) override { records++; }
};

double nowNs() {
    return double(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
    std::vector<Event> events;
    std::vector<Json> trees;
    for (const auto& f : std::filesystem::directory_iterator(RPCMON_SOURCE_DIR "/tests/golden/expected")) {
        std::ifstream in(f.path());
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] != '{') continue;
            Json rec = Json::parse(line);
            if (std::optional<Event> ev = eventFromJson(rec)) {
                events.push_back(std::move(*ev));
                trees.push_back(std::move(rec));
            }
        }
    }
    if (events.empty()) {
        std::fprintf(stderr, "no golden records under %s\n", RPCMON_SOURCE_DIR "/tests/golden/expected");
        return 1;
    }
    const double n = double(events.size()) * rounds;
    size_t bytes = 0, sink_bytes = 0;

    double t0 = nowNs();
    for (int r = 0; r < rounds; r++)
        for (const Event& e : events) {
            Event copy = e;
            sink_bytes += copy.flow_id & 1;
        }
    const double copy_ns = (nowNs() - t0) / n;

    JsonWriter w;
    t0 = nowNs();
    for (int r = 0; r < rounds; r++)
        for (const Event& e : events) {
            w.clear();
            writeEvent(w, e);
            bytes += w.str().size();
        }
    const double write_ns = (nowNs() - t0) / n;

    t0 = nowNs();
    for (int r = 0; r < rounds; r++)
        for (const Json& t : trees) {
            Json copy = t;
            sink_bytes += copy.dump(-1, ' ', false, Json::error_handler_t::replace).size();
        }
    const double tree_ns = (nowNs() - t0) / n;

    // Detection over the records in capture order, each round later in time so windows and
    // suppression behave as on a long capture rather than on one instant replayed. Returns ns
    // per record, the copy included.
    auto detectInto = [&](RecordSink& downstream) {
        detect::DetectingSink det(downstream, detect::DetectorOptions{}, "");
        double start = nowNs();
        for (int r = 0; r < rounds; r++)
            for (const Event& e : events) {
                Event copy = e;
                copy.ts += TimeNs(r) * 3600ull * 1000000000ull;
                det.emitEvent(std::move(copy));
            }
        return (nowNs() - start) / n;
    };
    NullSink null;
    const double detect_ns = detectInto(null) - copy_ns;

    struct WriteSink : RecordSink {
        JsonWriter w;
        size_t bytes = 0;
        void emit(Json&& j) override { emitView(j); }
        void emitView(const Json& j) override {
            w.clear();
            w.json(j);
            bytes += w.str().size();
        }
        void emitEvent(Event&& e) override { emitEventView(e); }
        void emitEventView(const Event& e) override {
            w.clear();
            writeEvent(w, e);
            bytes += w.str().size();
        }
    } writer;
    const double all_ns = detectInto(writer);

    std::printf("record_bench: %zu golden rpc/smb records x %d rounds, %.0f bytes per line\n", events.size(), rounds,
                double(bytes) / n);
    std::printf("  copy event            %8.0f ns/record\n", copy_ns);
    std::printf("  write event (EVE)     %8.0f ns/record\n", write_ns);
    std::printf("  JSON tree copy+dump   %8.0f ns/record  (%.1fx the typed write)\n", tree_ns, tree_ns / write_ns);
    std::printf("  detect (built-ins)    %8.0f ns/record\n", detect_ns);
    std::printf("  copy+detect+write     %8.0f ns/record  = %.0f records/s on one core\n", all_ns, 1e9 / all_ns);
    return sink_bytes == size_t(-1) ? 2 : 0;  // keeps the loops' results alive
}
