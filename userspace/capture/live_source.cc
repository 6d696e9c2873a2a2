// SPDX-License-Identifier: Apache-2.0
// Live input: the BPF programs on the chosen interfaces, records from the ring buffer.
#include <bpf/libbpf.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "capture/packet_source.h"
#include "host/proc_scan.h"
#include "loader/bpf_loader.h"
#include "loader/hostsock_loader.h"

namespace rpcmon {
namespace {

TimeNs clockNs(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return TimeNs(ts.tv_sec) * 1000000000ull + TimeNs(ts.tv_nsec);
}

// Used when a layer gives no expiry: the endpoint mapper's and portmapper's usual lifetime.
constexpr TimeNs kDefaultTtlNs = 600ull * 1000000000ull;

class KernelLearner : public EndpointLearner {
public:
    explicit KernelLearner(BpfLoader& l) : loader_(l) {}
    void learn(const LearnedEndpoint& ep) override {
        rpcmon_endpoint_key k;
        rpcmon_endpoint_value v;
        watchedEntry(ep, k, v);
        TimeNs mono = clockNs(CLOCK_MONOTONIC), wall = clockNs(CLOCK_REALTIME);
        v.added_ns = mono;
        // ep.expires is wall-clock (record time); the kernel map keeps monotonic time.
        v.expires_ns = ep.expires > wall ? mono + (ep.expires - wall) : mono + kDefaultTtlNs;
        if (loader_.addWatched(k, v)) {
            learned_++;
            spdlog::debug("watching {}:{} ({})", formatAddress(ep.addr), ep.port, ep.name);
        } else {
            failed_++;
        }
    }
    uint64_t learned() const { return learned_; }
    uint64_t failed() const { return failed_; }

private:
    BpfLoader& loader_;
    uint64_t learned_ = 0, failed_ = 0;
};

// How often the run loop checks the monitored interfaces (down/up, removed, re-created).
// A down+up shorter than this is not seen (and costs nothing: XDP and the socket survive it).
constexpr TimeNs kInterfaceCheckNs = 1000000000ull;

// One monitored interface, followed by name: when it is removed and a new one with the same
// name appears (re-created veth, reloaded driver), the programs are attached to the new one.
struct Iface {
    std::string name;
    int ifindex = 0;  // 0 while the interface is gone (nothing attached)
    bool up = false;  // IFF_UP && IFF_RUNNING at the last check
    uint64_t down_events = 0, up_events = 0, removed = 0, reattached = 0, reattach_failures = 0;
    std::string last_failure;  // so a re-attach that keeps failing is logged once per reason
    XdpMode xdp_mode = XdpMode::Off;  // how XDP is attached now (Off: socket filter both ways)
};

// IFF_UP and IFF_RUNNING (operstate up) of the interface `name` in this network namespace.
bool interfaceUp(int ctl_fd, const std::string& name) {
    ifreq ifr = {};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ctl_fd < 0 || ioctl(ctl_fd, SIOCGIFFLAGS, &ifr) != 0) return false;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

class LiveSource : public PacketSource {
public:
    explicit LiveSource(const LiveOptions& o) : opts_(o) {
        ctl_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        for (const auto& name : o.interfaces) {
            unsigned idx = if_nametoindex(name.c_str());
            if (!idx) throw std::runtime_error("no such interface: " + name);
            Iface f;
            f.name = name;
            f.ifindex = int(idx);
            f.up = interfaceUp(ctl_fd_, name);
            if (!f.up) spdlog::warn("interface {} is down (programs attached; its traffic is seen once it is up)", name);
            ifaces_.push_back(std::move(f));
        }
        if (ifaces_.empty()) throw std::runtime_error("no interface to monitor (none given, no default route)");
        LoaderOptions lo;
        lo.snaplen = o.snaplen;
        lo.bulk_skip = o.bulk_skip;
        loader_ = std::make_unique<BpfLoader>(lo);
        // Any throw below destroys loader_, which detaches what was attached so far.
        for (Iface& f : ifaces_) {
            f.xdp_mode = attach(f.ifindex, f.name);
            spdlog::info("interface {}: {}", f.name, attachmentText(f.xdp_mode));
        }
        learner_ = std::make_unique<KernelLearner>(*loader_);
        rb_ = ring_buffer__new(loader_->ringbufFd(), &LiveSource::onSample, this, nullptr);
        if (!rb_) throw std::runtime_error(std::string("cannot open ring buffer: ") + strerror(errno));
        if (o.host_hooks) {
            attachHostHooks();
            scanProc();
        } else {
            spdlog::info("host hooks off (--no-host-hooks): named pipes are read on the wire only");
        }
        // Kernel timestamps are CLOCK_MONOTONIC; records carry wall-clock time.
        mono_to_wall_ = clockNs(CLOCK_REALTIME) - clockNs(CLOCK_MONOTONIC);
    }
    ~LiveSource() override {
        ring_buffer__free(rb_);
        host_.reset();
        loader_.reset();  // detaches XDP and closes the sockets before anything else goes
        if (ctl_fd_ >= 0) close(ctl_fd_);
    }

    void run(RecordHandler& h, const std::atomic<bool>& stop) override {
        handler_ = &h;
        // Connections older than the agent, as connection records (host/proc_scan.h).
        for (const rpcmon_host_conn_record& r : scan_.records)
            h.onRecord(Bytes(reinterpret_cast<const uint8_t*>(&r), sizeof r), now());
        scan_.records.clear();
        TimeNs next_expiry = 0, next_iface_check = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            int n = ring_buffer__poll(rb_, opts_.poll_timeout_ms);
            if (n < 0 && n != -EINTR) throw std::runtime_error(std::string("ring buffer poll: ") + strerror(-n));
            h.onIdle(now());
            checksums_.expire(now());
            TimeNs mono = clockNs(CLOCK_MONOTONIC);
            if (mono >= next_expiry) {
                expired_ += loader_->expireWatched(mono);
                next_expiry = mono + 1000000000ull;
            }
            if (mono >= next_iface_check) {
                checkInterfaces();
                next_iface_check = mono + kInterfaceCheckNs;
            }
        }
        // Drain what is already in the ring so nothing received before the stop is lost.
        ring_buffer__consume(rb_);
        h.onIdle(now());
        checksums_.expire(~TimeNs(0));  // undecided at exit: dropped, counted
        handler_ = nullptr;
    }

    Json stats() const override {
        Json j;
        j["source"] = "live";
        j["interfaces"] = opts_.interfaces;
        j["xdp"] = opts_.xdp_mode != XdpMode::Off;
        j["xdp_mode"] = xdpModeName(opts_.xdp_mode);
        const char* hooks[2] = {"xdp", "socket"};
        for (uint32_t slot = 0; slot < 2; slot++) {
            KernelCounters c = loader_->readCounters(slot);
            for (int i = 0; i < RPCMON_CNT_MAX; i++) j["kernel"][hooks[slot]][counterName(i)] = c[i];
        }
        uint64_t down = 0, up = 0, removed = 0, reattached = 0, failures = 0;
        for (const Iface& f : ifaces_) {
            Json& i = j["interface_state"][f.name];
            i["ifindex"] = f.ifindex;
            i["state"] = !f.ifindex ? "removed" : f.up ? "up" : "down";
            i["xdp_mode"] = xdpModeName(f.xdp_mode);
            i["down_events"] = f.down_events;
            i["up_events"] = f.up_events;
            i["removed"] = f.removed;
            i["reattached"] = f.reattached;
            i["reattach_failures"] = f.reattach_failures;
            down += f.down_events, up += f.up_events, removed += f.removed;
            reattached += f.reattached, failures += f.reattach_failures;
        }
        j["interface_down_events"] = down;
        j["interface_up_events"] = up;
        j["interface_removed"] = removed;
        j["interface_reattached"] = reattached;
        j["interface_reattach_failures"] = failures;
        j["endpoints_learned"] = learner_->learned();
        j["endpoint_learn_failures"] = learner_->failed();
        j["endpoints_expired"] = expired_;
        j["watched_endpoints"] = loader_->watchedCount();
        j["undecided_segments"] = checksums_.held();
        for (const auto& [k, v] : counters_.counts()) j["anomalies"][k] = v;
        Json& h = j["host_hooks"];
        h["mode"] = host_ ? host_->mode() : opts_.host_hooks ? "unavailable" : "off";
        if (host_) {
            HostCounters c = host_->readCounters();
            for (int i = 0; i < RPCMON_HOST_CNT_MAX; i++) h["kernel"][hostCounterName(i)] = c[i];
        }
        if (host_ && !host_->fallback().empty()) h["fallback"] = host_->fallback();
        if (opts_.host_hooks) {
            h["proc_scan_sockets"] = scan_.sockets;
            h["proc_scan_attributed"] = scan_.attributed;
            h["proc_scan_misses"] = scan_.misses;
            h["proc_scan_errors"] = scan_.errors;
            h["proc_scan_capped"] = scan_.capped;
        }
        return j;
    }
    EndpointLearner& learner() override { return *learner_; }
    TimeNs now() const override { return clockNs(CLOCK_REALTIME); }

private:
    // The host-socket source (Samba's np/ sockets). Where no hook type loads the agent says so
    // once and keeps monitoring the wire.
    void attachHostHooks() {
        try {
            auto h = std::make_unique<HostSockLoader>();
            if (int err = ring_buffer__add(rb_, h->ringbufFd(), &LiveSource::onSample, this))
                throw std::runtime_error(std::string("host hooks: cannot add ring buffer: ") + strerror(-err));
            host_ = std::move(h);
        } catch (const std::exception& e) {
            spdlog::warn("{}; host hooks unavailable, monitoring the wire only", e.what());
            return;
        }
        // Handshake bytes (with the SMB session key) pass through the ring buffer's read-only
        // mapping, which user space cannot wipe: no core dump of this process may hold them.
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        spdlog::info("host hooks: {} on Samba named-pipe sockets (*/np/*)", host_->mode());
    }

    // TCP connections open before the hooks: their owners from /proc, handed to the pipeline
    // when run() starts (best effort, bounded, counted).
    void scanProc() {
        scan_ = host::scanProcConnections("/proc", host::ownNetns());
        spdlog::info("host hooks: /proc scan at start-up: {} connected TCP sockets, {} attributed to a process, {} "
                     "misses, {} errors ({} processes, {} descriptors, {} ms{})",
                     scan_.sockets, scan_.attributed, scan_.misses, scan_.errors, scan_.pids, scan_.fds,
                     scan_.elapsed_us / 1000, scan_.capped ? ", stopped at a bound" : "");
    }

    // XDP in the configured mode (auto falls back to generic, then to none), then the socket
    // filter: egress only next to XDP, both directions without it.
    XdpMode attach(int ifindex, const std::string& name) {
        std::string why;
        XdpMode m = loader_->attachXdp(ifindex, opts_.xdp_mode, &why);
        if (!why.empty())
            spdlog::warn("interface {}: {}; using {}", name, why,
                         m == XdpMode::Off ? "the socket filter for both directions" : "generic XDP");
        loader_->attachSocket(ifindex, m == XdpMode::Off);
        return m;
    }

    static std::string attachmentText(XdpMode m) {
        if (m == XdpMode::Off) return "socket filter, both directions (no XDP)";
        return std::string(xdpModeName(m)) + " XDP ingress + socket filter egress";
    }

    // Follows each interface by name. Down/up: counted and logged only (the XDP link and the
    // bound AF_PACKET socket survive it). Removed: what is left of the attachment is released.
    // Re-created (same name, new ifindex): the programs are attached to the new interface.
    // With every interface gone the agent keeps running and waits (logged once).
    void checkInterfaces() {
        for (Iface& f : ifaces_) {
            int idx = int(if_nametoindex(f.name.c_str()));
            // Same name, same ifindex, but the kernel dropped our XDP link: the interface was
            // removed and re-created between two checks and got the old index back.
            bool replaced = f.ifindex && idx == f.ifindex && !loader_->xdpLinkAttached(f.ifindex);
            if (f.ifindex && (idx != f.ifindex || replaced)) {
                loader_->detachInterface(f.ifindex);
                spdlog::warn("interface {} removed (ifindex {}); its programs are released, it is "
                             "re-attached if an interface of that name appears again",
                             f.name, f.ifindex);
                f.removed++;
                f.ifindex = 0;
                f.up = false;
            }
            if (!f.ifindex && idx) {
                try {
                    f.xdp_mode = attach(idx, f.name);
                } catch (const std::exception& e) {
                    loader_->detachInterface(idx);  // e.g. the XDP attach worked, the socket did not
                    f.reattach_failures++;
                    if (e.what() != f.last_failure)
                        spdlog::error("interface {} is back (ifindex {}) but re-attaching failed: {} "
                                      "(retrying every second)", f.name, idx, e.what());
                    f.last_failure = e.what();
                    continue;
                }
                f.ifindex = idx;
                f.up = interfaceUp(ctl_fd_, f.name);
                f.reattached++;
                f.last_failure.clear();
                spdlog::info("interface {} is back (ifindex {}): {} re-attached; state {}", f.name, idx,
                             attachmentText(f.xdp_mode), f.up ? "up" : "down");
                continue;
            }
            if (!f.ifindex) continue;
            bool up = interfaceUp(ctl_fd_, f.name);
            if (up == f.up) continue;
            f.up = up;
            if (up) {
                f.up_events++;
                spdlog::info("interface {} is up again (ifindex {}); monitoring resumes", f.name, f.ifindex);
            } else {
                f.down_events++;
                spdlog::warn("interface {} went down (ifindex {}); programs stay attached", f.name, f.ifindex);
            }
        }
        bool none = std::none_of(ifaces_.begin(), ifaces_.end(), [](const Iface& f) { return f.ifindex != 0; });
        if (none && !all_gone_)
            spdlog::warn("no monitored interface left ({}); the agent keeps running and re-attaches when "
                         "one of them appears again", fmt::join(opts_.interfaces, ", "));
        all_gone_ = none;
    }

    static int onSample(void* ctx, void* data, size_t size) {
        auto* self = static_cast<LiveSource*>(ctx);
        if (size < sizeof(rpcmon_record_header)) return 0;
        rpcmon_record_header hdr;
        std::memcpy(&hdr, data, sizeof hdr);
        self->judge(Bytes(static_cast<const uint8_t*>(data), size), hdr.timestamp_ns + self->mono_to_wall_);
        return 0;
    }

    // Accept what the host accepts: a segment with a bad or partial-looking checksum waits for
    // a good copy (insertion) or the peer's ACK (taken), as `analyze --checksums auto` does.
    void judge(Bytes r, TimeNs ts) {
        checksums_.judge(r, ts, [this](Bytes d, TimeNs t) { handler_->onRecord(d, t); });
    }

    LiveOptions opts_;
    std::unique_ptr<BpfLoader> loader_;
    std::unique_ptr<HostSockLoader> host_;
    host::ProcScanResult scan_;
    std::unique_ptr<KernelLearner> learner_;
    ring_buffer* rb_ = nullptr;
    RecordHandler* handler_ = nullptr;
    TimeNs mono_to_wall_ = 0;
    uint64_t expired_ = 0;
    std::vector<Iface> ifaces_;
    int ctl_fd_ = -1;  // for SIOCGIFFLAGS
    CaptureCounters counters_;
    // Undecided segments wait for the peer's ACK (delayed ACK: well under a second; the kernel
    // stops suppressing the bare ACKs that decide them) or a good copy; 10 s bounds what a lost
    // ACK can leave behind.
    RecordChecksums checksums_{counters_, {4096, 16u << 20, 10ull * 1000000000ull}};
    bool all_gone_ = false;
};

}  // namespace

std::unique_ptr<PacketSource> makeLiveSource(const LiveOptions& opts) {
    return std::make_unique<LiveSource>(opts);
}

std::string defaultRouteInterface() {
    std::ifstream f("/proc/net/route");
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        std::istringstream s(line);
        std::string iface, dest;
        s >> iface >> dest;
        if (dest == "00000000") return iface;
    }
    return "";
}

}  // namespace rpcmon
