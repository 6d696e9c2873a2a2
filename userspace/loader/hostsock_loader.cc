// SPDX-License-Identifier: Apache-2.0
#include "loader/hostsock_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

HostSockLoader::HostSockLoader() {
    // Hook types in order of preference. fentry/fexit on unix_stream_sendmsg/recvmsg would
    // cost nothing on other sockets; they are not built yet, and this kernel refuses them
    // (EPERM) anyway. Syscall tracepoints load everywhere tracing does.
    skel_ = hostsock_bpf__open();
    if (!skel_) throw std::runtime_error(std::string("host hooks: cannot open BPF object: ") + strerror(errno));
    if (int err = hostsock_bpf__load(skel_)) {
        hostsock_bpf__destroy(skel_);
        skel_ = nullptr;
        throw std::runtime_error(std::string("host hooks: syscall tracepoint programs did not load: ") + strerror(-err));
    }
    ensureTracefs();
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
        bpf_link* l = bpf_program__attach(prog);
        if (!l) {
            std::string why = std::string("host hooks: attaching ") + bpf_program__name(prog) + ": " + strerror(errno);
            for (bpf_link* x : links_) bpf_link__destroy(x);
            links_.clear();
            hostsock_bpf__destroy(skel_);
            skel_ = nullptr;
            throw std::runtime_error(why);
        }
        links_.push_back(l);
    }
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
