// SPDX-License-Identifier: Apache-2.0
// rpcmon command line: `rpcmon agent` (live, BPF on interfaces) and `rpcmon analyze FILE`
// (offline, a pcap through the same pipeline). Both write EVE JSON lines.
#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "loader/bpf_loader.h"
#include "output/eve_writer.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"

using namespace rpcmon;

namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop.store(true); }

TimeNs wallNow() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return TimeNs(ts.tv_sec) * 1000000000ull + TimeNs(ts.tv_nsec);
}

// Feeds the pipeline and interleaves periodic stats lines (on capture time offline).
class Session : public RecordHandler {
public:
    Session(PacketSource& src, Pipeline& pipe, EveWriter& out, double stats_interval_s)
        : src_(src), pipe_(pipe), out_(out), interval_ns_(TimeNs(stats_interval_s * 1e9)) {}

    void onRecord(Bytes record, TimeNs ts) override { pipe_.onRecord(record, ts); }
    void onIdle(TimeNs now) override {
        pipe_.onIdle(now);
        if (interval_ns_ && now >= last_stats_ + interval_ns_) {
            if (last_stats_) emitStats(now);
            last_stats_ = now;
        }
        out_.flush();
    }
    void emitStats(TimeNs now) {
        Json j;
        j["timestamp"] = formatTimestamp(now);
        j["event_type"] = "stats";
        Json& s = j["stats"];
        s["capture"] = src_.stats();
        s["pipeline"] = pipe_.stats();
        s["output"]["records_written"] = out_.written();
        s["output"]["write_errors"] = out_.writeErrors();
        for (const auto& [k, v] : out_.byType()) s["output"]["by_type"][k] = v;
        out_.emit(std::move(j));
        out_.flush();
    }

private:
    PacketSource& src_;
    Pipeline& pipe_;
    EveWriter& out_;
    TimeNs interval_ns_;
    TimeNs last_stats_ = 0;
};

int runSession(PacketSource& src, const std::string& eve, const PipelineOptions& popts, double stats_interval) {
    EveWriter out(eve);
    Pipeline pipe(popts, out, src.learner(), makeDissectors());
    Session session(src, pipe, out, stats_interval);
    src.run(session, g_stop);
    pipe.finish(src.now());
    session.emitStats(src.now() ? src.now() : wallNow());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("rpcmon");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("rpcmon: %l: %v");
    libbpf_set_print([](enum libbpf_print_level level, const char* fmt, va_list ap) {
        if (level == LIBBPF_DEBUG && !spdlog::should_log(spdlog::level::debug)) return 0;
        return vfprintf(stderr, fmt, ap);
    });

    CLI::App app{"rpcmon - eBPF/XDP monitor for ONC RPC and DCE/RPC traffic"};
    app.require_subcommand(1);
    app.footer(
        "EXAMPLES:\n"
        "  rpcmon agent                      monitor the default-route interface, JSON to stdout\n"
        "  rpcmon agent -i eth0 -i eth1 --eve /var/log/rpcmon/eve.json\n"
        "  rpcmon analyze capture.pcap       offline: same pipeline, same records\n");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "debug logging on stderr");

    std::string eve = "-";
    uint32_t snaplen = RPCMON_DEFAULT_SNAPLEN;
    bool packets = false;

    auto* agent = app.add_subcommand("agent", "monitor live traffic with the BPF programs");
    std::vector<std::string> ifaces;
    bool no_xdp = false;
    double agent_stats = 60;
    agent->add_option("-i,--interface", ifaces, "interface to monitor (repeatable; default: default-route interface)");
    agent->add_option("--eve", eve, "write JSON lines to FILE instead of stdout");
    agent->add_option("--snaplen", snaplen, "payload bytes copied per packet (default 1536, max 4096)")->check(CLI::Range(0u, unsigned(RPCMON_MAX_SNAPLEN)));
    agent->add_flag("--no-xdp", no_xdp, "do not attach XDP; the socket filter sees both directions");
    agent->add_flag("--packets", packets, "also emit one `packet` line per classified packet");
    agent->add_option("--stats-interval", agent_stats, "seconds between stats lines (0: only at exit)");

    auto* analyze = app.add_subcommand("analyze", "run a pcap/pcapng file through the pipeline");
    std::string pcap_file;
    double analyze_stats = 0;
    analyze->add_option("file", pcap_file, "capture file")->required();
    analyze->add_option("--eve", eve, "write JSON lines to FILE instead of stdout");
    uint32_t analyze_snaplen = RPCMON_OFFLINE_MAX_SNAPLEN;
    analyze->add_option("--snaplen", analyze_snaplen, "payload bytes used per packet (default: all; 1536 shows what the agent sees)")->check(CLI::Range(0u, unsigned(RPCMON_OFFLINE_MAX_SNAPLEN)));
    analyze->add_flag("--packets", packets, "also emit one `packet` line per classified packet");
    analyze->add_option("--stats-interval", analyze_stats, "capture-time seconds between stats lines (0: only at the end)");

    CLI11_PARSE(app, argc, argv);
    if (verbose) spdlog::set_level(spdlog::level::debug);

    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    PipelineOptions popts;
    popts.packet_records = packets;
    try {
        if (agent->parsed()) {
            std::string why;
            if (!haveBpfPrivileges(&why)) {
                spdlog::error("the agent needs BPF privileges: {}", why);
                return 1;
            }
            LiveOptions lo;
            lo.interfaces = ifaces;
            if (lo.interfaces.empty()) {
                std::string def = defaultRouteInterface();
                if (def.empty()) {
                    spdlog::error("no default route; name an interface with -i");
                    return 1;
                }
                lo.interfaces.push_back(def);
            }
            lo.snaplen = snaplen;
            lo.xdp = !no_xdp;
            auto src = makeLiveSource(lo);
            spdlog::info("monitoring {} ({})", fmt::join(lo.interfaces, ", "), lo.xdp ? "XDP ingress + socket filter egress" : "socket filter, both directions");
            int rc = runSession(*src, eve, popts, agent_stats);
            spdlog::info("stopped; programs detached");
            return rc;
        }
        PcapOptions po;
        po.path = pcap_file;
        po.snaplen = analyze_snaplen;
        auto src = makePcapSource(po);
        int rc = runSession(*src, eve, popts, analyze_stats);
        Json st = src->stats();
        if (st.contains("read_error")) {
            spdlog::error("{}: capture is damaged: {} (records up to that point were written)", pcap_file,
                          st["read_error"].get<std::string>());
            return 3;
        }
        return rc;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
