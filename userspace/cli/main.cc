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
#include "core/privileges.h"
#include "loader/bpf_loader.h"
#include "detect/catalog.h"
#include "detect/detecting_sink.h"
#include "output/eve_writer.h"
#include "output/worker_sink.h"
#include "pipeline/dissectors.h"
#include "pipeline/pipeline.h"
#include "cli/agent_config.h"  // --config FILE, check-config: the agent file
#include "cli/limits.h"  // rules file `limits:` -> PipelineOptions
#include "top/agent_control.h"  // rpcmon top: live state + control socket in the agent
#include "top/top_cli.h"        // rpcmon top / rpcmon stats
#include "rpcmon_version.h"     // generated: RPCMON_VERSION, RPCMON_GIT_REVISION

using namespace rpcmon;

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};

void onSignal(int) { g_stop.store(true); }
void onHangup(int) { g_reopen.store(true); }

TimeNs wallNow() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return TimeNs(ts.tv_sec) * 1000000000ull + TimeNs(ts.tv_nsec);
}

// Exit code when records could not be written (disk full, closed pipe): README "Usage".
constexpr int kExitOutputLost = 4;

// Feeds the pipeline and interleaves periodic stats lines (on capture time offline). With a
// worker (analyze --threads 2) the detector and the writer belong to the worker thread: what
// this thread does to them is posted as a task, in order with the records (downstream()).
class Session : public RecordHandler {
public:
    Session(PacketSource& src, Pipeline& pipe, EveWriter& out, double stats_interval_s,
            top::AgentControl* control = nullptr, detect::DetectingSink* detect = nullptr,
            WorkerSink* worker = nullptr)
        : src_(src), pipe_(pipe), out_(out), interval_ns_(TimeNs(stats_interval_s * 1e9)), control_(control),
          detect_(detect), worker_(worker) {}

    void onRecord(Bytes record, TimeNs ts) override { pipe_.onRecord(record, ts); }
    void onIdle(TimeNs now) override {
        pipe_.onIdle(now);
        bool reopen = g_reopen.exchange(false);  // SIGHUP: log rotation
        bool stats_due = interval_ns_ && now >= last_stats_ + interval_ns_;
        Json up;
        if (stats_due) {
            if (last_stats_) up = upstreamStats();
            last_stats_ = now;
        }
        // Captures the sinks, not `this`: a task may run after the Session is gone.
        downstream([&out = out_, det = detect_, ctl = control_, now, reopen, up = std::move(up)]() mutable {
            if (det) det->onTick(now);
            if (reopen) out.reopen();
            if (ctl) ctl->onIdle(now);  // rpcmon top: period tick + control socket; metrics
            if (!up.is_null()) writeStats(out, det, now, std::move(up));
            out.flush();
        });
    }
    void emitStats(TimeNs now) {
        downstream([&out = out_, det = detect_, now, up = upstreamStats()]() mutable {
            writeStats(out, det, now, std::move(up));
        });
    }
    // End of input: the detector's last windows and state, then the final stats line.
    void finish(TimeNs now) {
        downstream([det = detect_] {
            if (det) det->finish();
        });
        emitStats(now);
        if (worker_) worker_->finish();  // the writer is this thread's again
        out_.flush();
    }
    // The counters of a stats line (also the source of rpcmon top's health and the metrics).
    // Only without a worker (the agent): with one, the downstream part is read on the worker.
    Json stats() const {
        Json s = upstreamStats();
        addDownstreamStats(s, out_, detect_);
        return s;
    }

private:
    // Runs f where the sinks live: now, or on the worker after the records queued before it.
    template <typename F>
    void downstream(F&& f) {
        if (worker_) worker_->post(std::forward<F>(f));
        else f();
    }
    // The counters this thread owns: capture and pipeline (and the queue to the worker).
    Json upstreamStats() const {
        Json s;
        s["capture"] = src_.stats();
        s["pipeline"] = pipe_.stats();
        if (worker_) s["pipeline"]["worker"] = worker_->stats();
        return s;
    }
    // The counters of the sinks (detector, writer), read where they run.
    static void addDownstreamStats(Json& s, const EveWriter& out, const detect::DetectingSink* det) {
        if (det) s["detect"] = det->stats();
        s["output"]["records_written"] = out.written();
        s["output"]["write_errors"] = out.writeErrors();
        s["output"]["records_lost"] = out.recordsLost();
        s["output"]["reopens"] = out.reopens();
        s["output"]["reopen_failures"] = out.reopenFailures();
        if (Json p = privilegeStats(); !p.is_null()) s["privileges"] = std::move(p);
        for (const auto& [k, v] : out.byType()) s["output"]["by_type"][k] = v;
    }
    static void writeStats(EveWriter& out, const detect::DetectingSink* det, TimeNs now, Json&& up) {
        out.flush();  // records_written / write_errors count every line before this one
        addDownstreamStats(up, out, det);
        Json j;
        j["timestamp"] = formatTimestamp(now);
        j["event_type"] = "stats";
        j["stats"] = std::move(up);
        out.emit(std::move(j));
        out.flush();
    }

    PacketSource& src_;
    Pipeline& pipe_;
    EveWriter& out_;
    TimeNs interval_ns_;
    TimeNs last_stats_ = 0;
    top::AgentControl* control_;
    detect::DetectingSink* detect_;
    WorkerSink* worker_;
};

// Detection settings shared by `agent` and `analyze`.
struct DetectCli {
    bool enabled = true;
    detect::DetectorOptions opts;
    std::string syslog;
    detect::SyslogTlsOptions syslog_tls;
};

// threads 2 (analyze): detection and writing on a second thread (output/worker_sink.h).
int runSession(PacketSource& src, const std::string& eve, const PipelineOptions& popts, double stats_interval,
               const DetectCli& dcli, const top::AgentControlOptions* control = nullptr, bool drop_caps = false,
               int threads = 1) {
    EveWriter out(eve);
    // rpcmon top: with a control socket, records pass through the live state on their way out.
    std::unique_ptr<top::AgentControl> ctl;
    if (control) ctl = std::make_unique<top::AgentControl>(out, *control);
    RecordSink& sink = ctl ? static_cast<RecordSink&>(*ctl) : out;
    // Detections see every record before it leaves; their alerts follow it (also to top).
    std::unique_ptr<detect::DetectingSink> det;
    if (dcli.enabled) det = std::make_unique<detect::DetectingSink>(sink, dcli.opts, dcli.syslog, dcli.syslog_tls);
    if (det && !det->detector().stateLoadError().empty()) spdlog::warn("{}", det->detector().stateLoadError());
    RecordSink& chain = det ? static_cast<RecordSink&>(*det) : sink;
    // Declared after the sinks it feeds: destroyed (queue drained, thread joined) before them.
    std::unique_ptr<WorkerSink> worker;
    if (threads == 2 && !ctl) worker = std::make_unique<WorkerSink>(chain);
    Pipeline pipe(popts, worker ? static_cast<RecordSink&>(*worker) : chain, src.learner(), makeDissectors(popts.dissectors));
    Session session(src, pipe, out, stats_interval, ctl.get(), det.get(), worker.get());
    // rpcmon top's health/loss lines and the metrics: the stats line's counters, once per period.
    if (ctl) ctl->setStats([&] { return session.stats(); });
    // Everything is attached and open: from here on the agent runs with the least privileges.
    if (drop_caps) dropAgentPrivileges();
    src.run(session, g_stop);
    pipe.finish(src.now());
    session.finish(src.now() ? src.now() : wallNow());
    // Lost output is a failure (exit code 4), even if writing worked again later.
    if (out.writeErrors()) {
        spdlog::error("EVE output {} was incomplete: {} failed writes, {} records lost", out.name(),
                      out.writeErrors(), out.recordsLost());
        return kExitOutputLost;
    }
    return 0;
}

// A CLI check made from an enum's parse function, so the accepted words are defined once, by
// the parser (whose name table also names the value in logs and stats).
template <typename E>
CLI::Validator parsedBy(bool (*parse)(const std::string&, E&), const std::string& what) {
    return CLI::Validator(
        [parse, what](std::string& text) {
            E value;
            return parse(text, value) ? std::string() : "not a valid " + what + ": " + text;
        },
        what);
}

// A boolean flag whose default (the variable's value now) --print-config can show.
CLI::Option* addSwitch(CLI::App* app, const std::string& names, bool& var, const std::string& help) {
    return app->add_flag(names, var, help)->default_str(var ? "true" : "false");
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
        "  rpcmon agent --config /etc/rpcmon/rpcmon.yaml        as the service runs it\n"
        "  rpcmon agent --config /etc/rpcmon/rpcmon.yaml -i eth1 --print-config\n"
        "                                    effective settings: file, command line (wins), defaults\n"
        "  rpcmon check-config /etc/rpcmon/rpcmon.yaml          validate before a restart\n"
        "  rpcmon agent -i eth0 -i eth1 --eve /var/log/rpcmon/eve.json\n"
        "  rpcmon analyze capture.pcap       offline: same pipeline, same records\n"
        "  rpcmon top                        live view of a running agent (htop-style)\n"
        "  rpcmon stats --json               one snapshot of the agent's live state\n");
    // --version: project version and the git revision built from (cmake/version.cmake).
    app.set_version_flag("--version", "rpcmon " RPCMON_VERSION " (git " RPCMON_GIT_REVISION ")");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "debug logging on stderr");

    std::string eve = "-";
    uint32_t snaplen = RPCMON_DEFAULT_SNAPLEN;
    bool packets = false;

    auto* agent = app.add_subcommand("agent", "monitor live traffic with the BPF programs");
    std::vector<std::string> ifaces;
    bool no_xdp = false;
    std::string xdp_mode_text = "auto";
    bool bulk_skip = true;
    bool host_hooks = true;
    double agent_stats = 60;
    // The agent file: every key is an option below (cli/agent_config.cc); the command line wins.
    std::string config_file;
    bool print_config = false;
    agent->add_option("--config", config_file, "agent settings file (YAML, rpcmon.yaml(5)); options given here override it");
    agent->add_flag("--print-config", print_config, "print the effective settings and where each comes from, then exit");
    agent->add_option("-i,--interface", ifaces, "interface to monitor (repeatable; default: default-route interface)");
    agent->add_option("--eve", eve, "write JSON lines to FILE instead of stdout");
    agent->add_option("--snaplen", snaplen, "payload bytes copied per packet of traffic the kernel does not frame (DCE/RPC over TCP, UDP); default and max 262144")->check(CLI::Range(0u, unsigned(RPCMON_MAX_SNAPLEN)));
    CLI::Option* xdp_mode_opt = agent->add_option("--xdp-mode", xdp_mode_text, "auto (native, else generic, else none), native, generic or off; without XDP the socket filter sees both directions")
        ->check(parsedBy(parseXdpMode, "XDP mode"));
    agent->add_flag("--no-xdp", no_xdp, "same as --xdp-mode off");
    addSwitch(agent, "--bulk-skip,!--no-bulk-skip", bulk_skip, "skip NFS/SMB file data in the kernel (default); --no-bulk-skip delivers it to user space too");
    addSwitch(agent, "--host-hooks,!--no-host-hooks", host_hooks, "read Samba's named-pipe sockets on this host (default; rpc.vantage host); --no-host-hooks: do not");
    addSwitch(agent, "--packets", packets, "also emit one `packet` line per classified packet");
    agent->add_option("--stats-interval", agent_stats, "seconds between stats lines (0: only at exit)");
    DetectCli dcli;
    auto addDetectOptions = [&dcli](CLI::App* cmd) {
        cmd->add_option("--rules", dcli.opts.rules_file, "detection rules (YAML; see config/rules.example.yaml, rpcmon.yaml(5))");
        cmd->add_option("--state", dcli.opts.state_file, "baseline state file (saved atomically, restored at start)");
        cmd->add_option("--syslog", dcli.syslog, "also send alerts to syslog: local, local:PATH, udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT (RFC 5425)");
        cmd->add_option("--syslog-ca", dcli.syslog_tls.ca_file, "tls:// syslog: CA bundle (PEM) the server certificate must chain to (default: the system store)");
        cmd->add_option("--syslog-cert", dcli.syslog_tls.cert_file, "tls:// syslog: client certificate (PEM chain), with --syslog-key");
        cmd->add_option("--syslog-key", dcli.syslog_tls.key_file, "tls:// syslog: the client certificate's private key (PEM, unencrypted)");
        cmd->add_option("--syslog-name", dcli.syslog_tls.server_name, "tls:// syslog: name the server certificate must carry (default: HOST)");
        addSwitch(cmd, "--detect,!--no-detect", dcli.enabled, "signatures and baselines (default); --no-detect: records only");
    };
    addDetectOptions(agent);
    // rpcmon top: the agent's control socket.
    top::AgentControlOptions control;
    agent->add_option("--control-socket", control.socket_path, "Unix socket for rpcmon top/stats (default /run/rpcmon/rpcmon.sock; none: off)");
    agent->add_option("--control-group", control.group, "group that may connect to the control socket (default: root only)");
    agent->add_option("--metrics-listen", control.metrics_listen, "serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464; default off)");
    bool keep_caps = false;
    agent->add_flag("--keep-caps", keep_caps, "debugging: keep all capabilities after start-up (default: drop; README \"Privileges\")");

    cli::bindAgentKeys(*agent);  // every key of the agent file is an option above
    agent->footer(
        "SETTINGS FILE: every option above except --config, --print-config, --no-xdp and --keep-caps\n"
        "  is also a key of --config FILE (rpcmon.yaml(5)); the command line overrides the file.\n"
        "EXAMPLES:\n"
        "  rpcmon agent --config /etc/rpcmon/rpcmon.yaml                  as the packaged service\n"
        "  rpcmon agent --config /etc/rpcmon/rpcmon.yaml -i eth1 --print-config\n"
        "  rpcmon check-config /etc/rpcmon/rpcmon.yaml\n");

    auto* check_cmd = app.add_subcommand("check-config", "validate an agent file (and the rules file it names); exit 2 on an error");
    std::string check_file;
    bool check_effective = false;
    check_cmd->add_option("file", check_file, "agent file, e.g. /etc/rpcmon/rpcmon.yaml")->required();
    check_cmd->add_flag("--effective", check_effective, "also print the effective settings (as agent --print-config)");

    auto* analyze = app.add_subcommand("analyze", "run a pcap/pcapng file through the pipeline");
    std::string pcap_file;
    double analyze_stats = 0;
    analyze->add_option("file", pcap_file, "capture file")->required();
    analyze->add_option("--eve", eve, "write JSON lines to FILE instead of stdout");
    uint32_t analyze_snaplen = RPCMON_OFFLINE_MAX_SNAPLEN;
    analyze->add_option("--snaplen", analyze_snaplen, "payload bytes used per packet (default: all; 1536 shows what the agent sees)")->check(CLI::Range(0u, unsigned(RPCMON_OFFLINE_MAX_SNAPLEN)));
    bool analyze_no_bulk_skip = false;
    analyze->add_flag("--no-bulk-skip", analyze_no_bulk_skip, "parse NFS/SMB file data too (default: skipped as the agent's kernel side does)");
    std::string analyze_checksums = "auto";
    analyze->add_option("--checksums", analyze_checksums, "drop frames with bad IP/TCP/UDP checksums as the host would: auto (default; accepts transmit-offload checksums), on, off")->check(parsedBy(parseChecksumMode, "checksum mode"));
    analyze->add_flag("--packets", packets, "also emit one `packet` line per classified packet");
    analyze->add_option("--stats-interval", analyze_stats, "capture-time seconds between stats lines (0: only at the end)");
    int analyze_threads = 1;
    analyze->add_option("--threads", analyze_threads, "1 (default): one thread; 2: detection and writing on a second thread (same output)")
        ->check(CLI::Range(1, 2).description("1 or 2"));
    addDetectOptions(analyze);

    // rpcmon top / rpcmon stats: clients of a running agent (or a pcap replayed in-process).
    auto* top_cmd = app.add_subcommand("top", "live terminal view: who calls what on this host, what fails");
    top::TopCommandOptions top_opts;
    top_cmd->add_option("--socket", top_opts.socket, "the agent's control socket (default /run/rpcmon/rpcmon.sock)");
    top_cmd->add_option("--interval", top_opts.interval_s, "seconds between refreshes (default 1)")->check(CLI::Range(0.1, 3600.0));
    top_cmd->add_option("--pcap", top_opts.pcap, "replay a capture through the pipeline into the view instead");
    top_cmd->add_flag("--fast", top_opts.fast, "with --pcap: as fast as possible instead of at capture pace");
    top_cmd->footer(
        "KEYS: w summary (first screen), h/s/i/o/c views, Tab next, < > or 1-9,0 sort, r reverse,\n"
        "  / filter, p pause, ? help, q quit\n"
        "OVERHEAD: one snapshot per refresh over the socket; while top is connected the kernel's\n"
        "  BPF run-time stats are on (two clock reads per program run); off again when it quits.\n"
        "  They need CAP_SYS_ADMIN, which the agent drops (agent --keep-caps, or sysctl\n"
        "  kernel.bpf_stats_enabled=1). The LOSS line names every non-zero drop/loss counter.\n"
        "EXAMPLES:\n"
        "  rpcmon top                                  attach to the agent\n"
        "  rpcmon top --interval 2 --socket /run/rpcmon/rpcmon.sock\n"
        "  rpcmon top --pcap tests/data/lab/onc-nfs3.pcap --fast\n");
    auto* stats_cmd = app.add_subcommand("stats", "print one snapshot of the agent's live state (for scripts)");
    top::StatsCommandOptions stats_opts;
    bool stats_json = false;
    stats_cmd->add_flag("--json", stats_json, "one JSON line (the only format)");
    stats_cmd->add_option("--socket", stats_opts.socket, "the agent's control socket (default /run/rpcmon/rpcmon.sock)");
    stats_cmd->add_option("--pcap", stats_opts.pcap, "snapshot at the end of this capture instead");

    auto* sigs_cmd = app.add_subcommand("signatures", "list the built-in signatures: sid, name, ATT&CK technique, severity, trigger");
    bool attack_layer = false;
    sigs_cmd->add_flag("--attack-layer", attack_layer, "print them as an ATT&CK Navigator layer (JSON, layer format 4.5)");

    // A usage error exits 1 as README "Usage" says (CLI11's own codes are 100+); --help and
    // --version still exit 0.
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 1;
    }
    if (sigs_cmd->parsed()) {
        std::fputs(attack_layer ? (detect::attackLayer().dump(2) + "\n").c_str() : detect::signatureListing().c_str(), stdout);
        return 0;
    }
    if (verbose) spdlog::set_level(spdlog::level::debug);
    if (top_cmd->parsed()) return top::runTopCommand(top_opts);
    if (check_cmd->parsed()) {
        try {
            cli::AgentFile af = cli::applyAgentFile(check_file, *agent);
            auto cfg = cli::resolveDetectConfig(dcli.opts.rules_file, &af);
            if (check_effective) std::fputs(cli::effectiveSettings(*agent, &af, cfg.get()).c_str(), stdout);
            std::printf("%s: ok\n", check_file.c_str());
            return 0;
        } catch (const detect::ConfigError& e) {
            spdlog::error("config: {}", e.what());
            return 2;
        }
    }
    if (stats_cmd->parsed()) return top::runStatsCommand(stats_opts);

    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    struct sigaction hup = {};
    hup.sa_handler = onHangup;
    sigaction(SIGHUP, &hup, nullptr);
    signal(SIGPIPE, SIG_IGN);

    PipelineOptions popts;
    try {
        // --no-xdp is --xdp-mode off given on the command line (so it also beats the file's xdp_mode).
        if (no_xdp) {
            xdp_mode_opt->clear();
            xdp_mode_opt->add_result("off")->run_callback();
        }
        // The agent file fills the options the command line did not give (the rules path too).
        std::unique_ptr<cli::AgentFile> af;
        if (agent->parsed() && !config_file.empty())
            af = std::make_unique<cli::AgentFile>(cli::applyAgentFile(config_file, *agent));
        // The rules file is read once, here: its `limits:` (and the agent file's) bound the
        // pipeline's tables (also with --no-detect) and the detector gets the same parsed file.
        dcli.opts.config = cli::resolveDetectConfig(dcli.opts.rules_file, af.get());
        if (dcli.opts.config) applyLimits(dcli.opts.config->runtime, popts);
        popts.packet_records = packets;  // the agent file may set it (outputs.eve.packets)
        if (agent->parsed() && print_config) {
            std::fputs(cli::effectiveSettings(*agent, af.get(), dcli.opts.config.get()).c_str(), stdout);
            return 0;
        }
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
            parseXdpMode(xdp_mode_text, lo.xdp_mode);
            lo.bulk_skip = bulk_skip;
            lo.host_hooks = host_hooks;
            auto src = makeLiveSource(lo);
            if (af) spdlog::info("settings from {} and the command line (--print-config shows each)", af->path);
            spdlog::info("monitoring {} (xdp mode {})", fmt::join(lo.interfaces, ", "), xdpModeName(lo.xdp_mode));
            if (keep_caps) keepAgentPrivileges();
            int rc = runSession(*src, eve, popts, agent_stats, dcli, &control, !keep_caps);
            spdlog::info("stopped; programs detached");
            return rc;
        }
        PcapOptions po;
        po.path = pcap_file;
        po.snaplen = analyze_snaplen;
        po.bulk_skip = !analyze_no_bulk_skip;
        parseChecksumMode(analyze_checksums, po.checksums);
        popts.checksums = po.checksums;
        auto src = makePcapSource(po);
        int rc = runSession(*src, eve, popts, analyze_stats, dcli, nullptr, false, analyze_threads);
        Json st = src->stats();
        if (st.contains("read_error")) {
            spdlog::error("{}: capture is damaged: {} (records up to that point were written)", pcap_file,
                          st["read_error"].get<std::string>());
            // Lost output (4) wins: "records up to the damage were written" would not hold.
            return rc == kExitOutputLost ? rc : 3;
        }
        return rc;
    } catch (const detect::ConfigError& e) {
        spdlog::error("config: {}", e.what());
        return 2;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
