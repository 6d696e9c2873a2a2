// SPDX-License-Identifier: Apache-2.0
// RAII owner of the rpcmon BPF object: open -> configure rodata -> load -> attach. Every
// attachment is a BPF link or a socket owned by this object, so destruction (normal exit, an
// exception on any error path, or the process being killed) leaves nothing on an interface.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rpcmon/wire.h"

struct rpcmon_bpf;  // generated skeleton (rpcmon_bpf.skel.h)
struct bpf_link;

namespace rpcmon {

using KernelCounters = std::array<uint64_t, RPCMON_CNT_MAX>;

struct LoaderOptions {
    uint32_t snaplen = RPCMON_DEFAULT_SNAPLEN;  // clamped to RPCMON_MAX_SNAPLEN
    bool socket_all_directions = false;         // set when XDP is not attached
    bool test_run_skb_layout = false;           // only for BPF_PROG_TEST_RUN fixtures
};

class BpfLoader {
public:
    // Opens, configures and loads (verifies) the programs. Throws std::runtime_error with the
    // reason (missing privileges, verifier failure) on error.
    explicit BpfLoader(const LoaderOptions& opts);
    ~BpfLoader();
    BpfLoader(const BpfLoader&) = delete;
    BpfLoader& operator=(const BpfLoader&) = delete;

    // Attaches the XDP program to ifindex through a BPF link (auto-detached when the link's
    // last fd closes, also on kill -9). Throws on failure.
    void attachXdp(int ifindex);
    // Opens an AF_PACKET socket bound to ifindex with the socket filter attached. Throws.
    void attachSocket(int ifindex);
    // Detaches everything now (idempotent); the destructor calls it too.
    void detachAll();

    // Adds/refreshes a watched server endpoint (map entry + port prefilter bit). Returns false
    // if the kernel refused (errno kept).
    bool addWatched(const rpcmon_endpoint_key& key, const rpcmon_endpoint_value& value);
    // Removes one and recomputes the port prefilter from the map's remaining keys.
    bool removeWatched(const rpcmon_endpoint_key& key);
    size_t watchedCount() const;
    // Removes watched endpoints whose expires_ns (CLOCK_MONOTONIC) is before now_mono and
    // recomputes the port prefilter. Returns how many were removed.
    size_t expireWatched(uint64_t now_mono);

    int ringbufFd() const;
    int watchedFd() const;
    int watchedPortsFd() const;
    int xdpProgFd() const;
    int socketProgFd() const;
    // Sums the per-CPU counters of one hook slot (0 = XDP, 1 = socket filter).
    KernelCounters readCounters(uint32_t slot) const;

private:
    void rebuildPortBitmap();

    ::rpcmon_bpf* skel_ = nullptr;
    std::vector<bpf_link*> links_;
    std::vector<int> sockets_;
};

// True when the process can load BPF programs (CAP_BPF or CAP_SYS_ADMIN) and attach them
// (CAP_NET_ADMIN); `why` says what is missing otherwise. Tests use it to skip with a reason.
bool haveBpfPrivileges(std::string* why);

}  // namespace rpcmon
