// SPDX-License-Identifier: Apache-2.0
// RAII owner of the rpcmon BPF object: open -> configure rodata -> load -> attach. Every
// attachment is a BPF link or a socket owned by this object, so destruction (normal exit, an
// exception on any error path, or the process being killed) leaves nothing on an interface.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rpcmon/wire.h"

struct rpcmon_bpf;  // generated skeleton (rpcmon_bpf.skel.h)

namespace rpcmon {

using KernelCounters = std::array<__u64, RPCMON_CNT_MAX>;  // __u64: the BPF counters' own type

// How XDP is attached to an interface. auto: native (driver) mode, else generic (skb) mode,
// else none - the socket filter then sees both directions on that interface.
enum class XdpMode { Auto, Native, Generic, Off };
const char* xdpModeName(XdpMode m);
// Parses "auto", "native", "generic", "off"; false for anything else.
bool parseXdpMode(const std::string& text, XdpMode& out);

struct LoaderOptions {
    uint32_t snaplen = RPCMON_DEFAULT_SNAPLEN;  // clamped to RPCMON_MAX_SNAPLEN
    bool test_run_skb_layout = false;           // only for BPF_PROG_TEST_RUN fixtures
    // Kernel-side bulk skipping (include/rpcmon/flow_track.h); false delivers every segment.
    bool bulk_skip = true;
    uint32_t bulk_threshold = RPCMON_BULK_THRESHOLD;
    uint32_t bulk_prefix = RPCMON_BULK_PREFIX;
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
    // last fd closes, also on kill -9) in the requested mode. Returns the mode attached:
    // Native or Generic, or Off when mode is Auto and neither attaches (`why` then says why
    // native and generic were refused). Throws when a forced mode (Native, Generic) fails.
    XdpMode attachXdp(int ifindex, XdpMode mode = XdpMode::Auto, std::string* why = nullptr);
    // Binds an AF_PACKET socket with a socket filter attached to ifindex: egress only, or both
    // directions when no XDP program is attached there. A spare socket with the same filter left
    // by detachInterface() is reused when there is one (bind needs no capability, so this also
    // works after the agent dropped its capabilities), else a new one. Throws.
    void attachSocket(int ifindex, bool all_directions = false);
    // Detaches everything now (idempotent); the destructor calls it too.
    void detachAll();
    // Detaches the XDP link and the socket(s) of one interface (idempotent). Never throws, also
    // when the interface is already gone: the kernel then dropped the XDP link and unbound the
    // socket itself; the link is released and the socket kept as a spare for attachSocket().
    // A socket still bound (the interface exists under another name) is closed.
    void detachInterface(int ifindex) noexcept;
    // False when the XDP link on ifindex exists but the kernel reports it detached (its device
    // was unregistered), true otherwise (also when no XDP link was attached there).
    bool xdpLinkAttached(int ifindex) const;

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
    int socketProgFd() const;     // egress only
    int socketAllProgFd() const;  // both directions
    // Sums the per-CPU counters of one hook slot (0 = XDP, 1 = socket filter).
    KernelCounters readCounters(uint32_t slot) const;

private:
    void rebuildPortBitmap();

    struct Socket {
        int ifindex;
        int fd;
        bool all_directions;
    };
    ::rpcmon_bpf* skel_ = nullptr;
    std::vector<std::pair<int, int>> links_;  // (ifindex, XDP link fd)
    std::vector<Socket> sockets_;             // bound AF_PACKET sockets
    std::vector<Socket> spare_sockets_;       // unbound by the kernel, filter still attached
};

// True when the process can load BPF programs (CAP_BPF or CAP_SYS_ADMIN) and attach them
// (CAP_NET_ADMIN); `why` says what is missing otherwise. Tests use it to skip with a reason.
bool haveBpfPrivileges(std::string* why);

}  // namespace rpcmon
