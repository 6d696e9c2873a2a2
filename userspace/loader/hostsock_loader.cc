// SPDX-License-Identifier: Apache-2.0
#include "loader/hostsock_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "hostsock_bpf.skel.h"

namespace rpcmon {

const char* hostCounterName(int id) {
    static const char* const names[RPCMON_HOST_CNT_MAX] = {
        "syscalls_matched", "records", "bytes_copied", "ringbuf_drops", "truncated_bytes",
        "copy_failures", "peek_skipped", "pending_full", "eof", "connections",
    };
    return id >= 0 && id < RPCMON_HOST_CNT_MAX ? names[id] : "unknown";
}

namespace {

// Syscall tracepoints are found by id under tracefs. Where it is not mounted (minimal
// containers, hosts without systemd) it is mounted at its standard place, as perf does.
void ensureTracefs() {
    struct stat st;
    if (stat("/sys/kernel/tracing/events/syscalls", &st) == 0 || stat("/sys/kernel/debug/tracing/events/syscalls", &st) == 0)
        return;
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
        spdlog::info("host hooks: mounted tracefs at /sys/kernel/tracing (syscall tracepoints are found there)");
    else
        spdlog::debug("host hooks: tracefs is not mounted and mounting it failed: {}", strerror(errno));
}

}  // namespace

namespace {

// Programs of the message capture on each hook type; the connect/accept tracepoints (process
// attribution) load with either.
bool fentryProgram(bpf_program* p) { return bpf_program__type(p) == BPF_PROG_TYPE_TRACING; }
bool attributionProgram(bpf_program* p) {
    const std::string n = bpf_program__name(p);
    return n == "hs_enter_connect" || n == "hs_exit_connect" || n == "hs_exit_accept" || n == "hs_exit_accept4";
}

// libbpf's own messages while trying fentry: kept (the first warning names the program and
// the kernel's answer; it goes into the reason logged) instead of printed, since falling back
// is the expected outcome on many kernels.
std::string g_libbpf_first;
int quietPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_WARN) {
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, args);
        std::string s(buf);
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        if (!s.empty() && g_libbpf_first.empty()) g_libbpf_first = s;
    }
    return 0;
}

}  // namespace

bool HostSockLoader::tryLoad(bool fentry, std::string& why) {
    skel_ = hostsock_bpf__open();
    if (!skel_) {
        why = std::string("cannot open BPF object: ") + strerror(errno);
        return false;
    }
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
        bool wanted = attributionProgram(prog) || fentryProgram(prog) == fentry;
        bpf_program__set_autoload(prog, wanted);
    }
    libbpf_print_fn_t old = fentry ? libbpf_set_print(quietPrint) : nullptr;
    g_libbpf_first.clear();
    int err = hostsock_bpf__load(skel_);
    if (fentry) libbpf_set_print(old);
    if (err) {
        why = std::string(fentry ? "fentry/fexit programs" : "syscall tracepoint programs") + " did not load: " +
              strerror(-err) + (g_libbpf_first.empty() || !fentry ? "" : " (" + g_libbpf_first + ")");
        hostsock_bpf__destroy(skel_);
        skel_ = nullptr;
        return false;
    }
    ensureTracefs();  // the attribution programs are tracepoints on either hook type
    bpf_object__for_each_program(prog, skel_->obj) {
        if (!bpf_program__autoload(prog)) continue;
        bpf_link* l = bpf_program__attach(prog);
        if (!l) {
            why = std::string("attaching ") + bpf_program__name(prog) + ": " + strerror(errno);
            for (bpf_link* x : links_) bpf_link__destroy(x);
            links_.clear();
            hostsock_bpf__destroy(skel_);
            skel_ = nullptr;
            return false;
        }
        links_.push_back(l);
    }
    return true;
}

HostSockLoader::HostSockLoader() {
    // fentry/fexit on unix_stream_sendmsg/recvmsg first: they run for unix stream sockets
    // only, where the syscall tracepoints cost every read and write on the host an fd lookup.
    // Kernels without them (no BTF trampolines, or refused: EPERM on this lab's kernel) get
    // the tracepoints, and the reason is kept for the log and the stats line.
    std::string why;
    if (tryLoad(true, why)) {
        mode_ = "fentry";
        return;
    }
    fallback_ = why;
    spdlog::warn("host hooks: {}; falling back to syscall tracepoints", why);
    if (!tryLoad(false, why)) throw std::runtime_error("host hooks: " + why);
    mode_ = "syscall_tracepoints";
}

HostSockLoader::~HostSockLoader() {
    for (bpf_link* l : links_) bpf_link__destroy(l);
    if (skel_) hostsock_bpf__destroy(skel_);
}

int HostSockLoader::ringbufFd() const { return bpf_map__fd(skel_->maps.host_events); }

HostCounters HostSockLoader::readCounters() const {
    HostCounters out{};
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return out;
    std::vector<unsigned long long> vals(static_cast<size_t>(ncpu));
    int fd = bpf_map__fd(skel_->maps.host_counters);
    for (uint32_t i = 0; i < RPCMON_HOST_CNT_MAX; i++) {
        if (bpf_map_lookup_elem(fd, &i, vals.data()) != 0) continue;
        for (auto v : vals) out[i] += v;
    }
    return out;
}

}  // namespace rpcmon
