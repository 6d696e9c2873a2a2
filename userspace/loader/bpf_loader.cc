// SPDX-License-Identifier: Apache-2.0
#include "loader/bpf_loader.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "rpcmon_bpf.skel.h"

namespace rpcmon {

namespace {

std::string errnoText(int err) {
    return std::string(strerror(err < 0 ? -err : err));
}

std::string ifaceName(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    return if_indextoname(static_cast<unsigned>(ifindex), buf) ? buf : std::to_string(ifindex);
}

}  // namespace

bool haveBpfPrivileges(std::string* why) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) {
        if (why) *why = "capget failed: " + errnoText(errno);
        return false;
    }
    auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
    bool bpf = has(CAP_BPF) || has(CAP_SYS_ADMIN);
    bool net = has(CAP_NET_ADMIN);
    bool raw = has(CAP_NET_RAW);
    if (bpf && net && raw) return true;
    if (why) {
        *why = "missing";
        if (!bpf) *why += " CAP_BPF";
        if (!net) *why += " CAP_NET_ADMIN";
        if (!raw) *why += " CAP_NET_RAW";
        *why += " (run as root or grant them)";
    }
    return false;
}

BpfLoader::BpfLoader(const LoaderOptions& opts) {
    skel_ = rpcmon_bpf__open();
    if (!skel_) throw std::runtime_error("cannot open BPF object: " + errnoText(errno));
    uint32_t snap = opts.snaplen > RPCMON_MAX_SNAPLEN ? RPCMON_MAX_SNAPLEN : opts.snaplen;
    skel_->rodata->cfg_snaplen = snap;
    skel_->rodata->cfg_skb_len_excludes_l2 = opts.test_run_skb_layout ? 1 : 0;
    skel_->rodata->cfg_bulk_skip = opts.bulk_skip ? 1 : 0;
    skel_->rodata->cfg_bulk_threshold = opts.bulk_threshold;
    skel_->rodata->cfg_bulk_prefix = opts.bulk_prefix;
    int err = rpcmon_bpf__load(skel_);
    if (err) {
        rpcmon_bpf__destroy(skel_);
        skel_ = nullptr;
        std::string why;
        if (!haveBpfPrivileges(&why))
            throw std::runtime_error("cannot load BPF programs: " + why);
        throw std::runtime_error("cannot load BPF programs: " + errnoText(err) +
                                 " (see libbpf messages above)");
    }
}

BpfLoader::~BpfLoader() {
    detachAll();
    if (skel_) rpcmon_bpf__destroy(skel_);
}

const char* xdpModeName(XdpMode m) {
    switch (m) {
    case XdpMode::Auto: return "auto";
    case XdpMode::Native: return "native";
    case XdpMode::Generic: return "generic";
    case XdpMode::Off: return "off";
    }
    return "off";
}

bool parseXdpMode(const std::string& text, XdpMode& out) {
    for (XdpMode m : {XdpMode::Auto, XdpMode::Native, XdpMode::Generic, XdpMode::Off})
        if (text == xdpModeName(m)) {
            out = m;
            return true;
        }
    return false;
}

XdpMode BpfLoader::attachXdp(int ifindex, XdpMode mode, std::string* why) {
    if (mode == XdpMode::Off) return XdpMode::Off;
    int prog = bpf_program__fd(skel_->progs.rpcmon_xdp);
    // A BPF link in an explicit mode: without a flag the kernel picks driver mode whenever the
    // driver has XDP at all, also where the driver then refuses it (virtio_net with one queue
    // pair: EOPNOTSUPP), so auto tries native, then generic, itself.
    auto tryMode = [&](XdpMode m, int& err) {
        LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = m == XdpMode::Native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
        int fd = bpf_link_create(prog, ifindex, BPF_XDP, &lo);
        if (fd < 0) {
            err = -fd;
            return false;
        }
        links_.emplace_back(ifindex, fd);
        return true;
    };
    auto refusal = [&](XdpMode m, int err) {
        return std::string("cannot attach ") + xdpModeName(m) + " XDP to " + ifaceName(ifindex) + ": " +
               errnoText(err) +
               (err == EBUSY || err == EEXIST ? " (another XDP program is attached; rpcmon never replaces it)" : "");
    };
    int err = 0;
    if (mode != XdpMode::Auto) {
        if (tryMode(mode, err)) return mode;
        throw std::runtime_error(refusal(mode, err));
    }
    if (tryMode(XdpMode::Native, err)) return XdpMode::Native;
    std::string text = refusal(XdpMode::Native, err);
    // Another program in the slot is not ours to replace, in any mode.
    if (err == EBUSY || err == EEXIST) throw std::runtime_error(text);
    if (tryMode(XdpMode::Generic, err)) {
        if (why) *why = text;
        return XdpMode::Generic;
    }
    if (err == EBUSY || err == EEXIST) throw std::runtime_error(refusal(XdpMode::Generic, err));
    if (why) *why = text + "; " + refusal(XdpMode::Generic, err);
    return XdpMode::Off;
}

void BpfLoader::attachSocket(int ifindex, bool all_directions) {
    sockaddr_ll sll = {};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    for (auto it = spare_sockets_.begin(); it != spare_sockets_.end(); ++it) {
        if (it->all_directions != all_directions) continue;
        if (bind(it->fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
            throw std::runtime_error("cannot bind AF_PACKET socket to " + ifaceName(ifindex) + ": " +
                                     errnoText(errno));
        sockets_.push_back({ifindex, it->fd, all_directions});
        spare_sockets_.erase(it);
        return;
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) throw std::runtime_error("cannot open AF_PACKET socket: " + errnoText(errno));
    int prog = all_directions ? socketAllProgFd() : socketProgFd();
    // Attach the filter before bind so no packet is queued unfiltered to the socket.
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof prog) != 0) {
        int err = errno;
        close(fd);
        throw std::runtime_error("cannot attach socket filter: " + errnoText(err));
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
        int err = errno;
        close(fd);
        throw std::runtime_error("cannot bind AF_PACKET socket to " + ifaceName(ifindex) + ": " +
                                 errnoText(err));
    }
    sockets_.push_back({ifindex, fd, all_directions});
}

void BpfLoader::detachAll() {
    // Closing the link fd detaches: also fine for a link whose device is gone.
    for (auto& [idx, fd] : links_) close(fd);
    links_.clear();
    for (auto& sk : sockets_) close(sk.fd);
    sockets_.clear();
    for (auto& sk : spare_sockets_) close(sk.fd);
    spare_sockets_.clear();
}

void BpfLoader::detachInterface(int ifindex) noexcept {
    std::erase_if(links_, [&](const auto& e) {
        if (e.first != ifindex) return false;
        close(e.second);
        return true;
    });
    std::erase_if(sockets_, [&](const Socket& e) {
        if (e.ifindex != ifindex) return false;
        // The kernel sets a packet socket's ifindex to -1 when its device is unregistered.
        sockaddr_ll sll = {};
        socklen_t len = sizeof sll;
        bool unbound = getsockname(e.fd, reinterpret_cast<sockaddr*>(&sll), &len) == 0 && sll.sll_ifindex != ifindex;
        if (unbound) spare_sockets_.push_back(e);
        else close(e.fd);
        return true;
    });
}

bool BpfLoader::xdpLinkAttached(int ifindex) const {
    for (const auto& [idx, l] : links_) {
        if (idx != ifindex) continue;
        bpf_link_info info = {};
        uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(l, &info, &len) != 0) return true;  // cannot tell
        // The kernel clears the XDP link's device when the device is unregistered.
        return info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex == static_cast<uint32_t>(ifindex);
    }
    return true;
}

bool BpfLoader::addWatched(const rpcmon_endpoint_key& key, const rpcmon_endpoint_value& value) {
    if (bpf_map_update_elem(watchedFd(), &key, &value, BPF_ANY) != 0) return false;
    uint32_t idx = key.port >> 6;
    uint64_t word = 0;
    bpf_map_lookup_elem(watchedPortsFd(), &idx, &word);
    word |= 1ull << (key.port & 63);
    return bpf_map_update_elem(watchedPortsFd(), &idx, &word, BPF_ANY) == 0;
}

bool BpfLoader::removeWatched(const rpcmon_endpoint_key& key) {
    if (bpf_map_delete_elem(watchedFd(), &key) != 0) return false;
    rebuildPortBitmap();
    return true;
}

size_t BpfLoader::expireWatched(uint64_t now_mono) {
    std::vector<rpcmon_endpoint_key> expired;
    rpcmon_endpoint_key cur{}, next{};
    rpcmon_endpoint_value v{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(watchedFd(), prev, &next) == 0) {
        if (bpf_map_lookup_elem(watchedFd(), &next, &v) == 0 && v.expires_ns && v.expires_ns < now_mono)
            expired.push_back(next);
        cur = next;
        prev = &cur;
    }
    for (const auto& k : expired) bpf_map_delete_elem(watchedFd(), &k);
    if (!expired.empty()) rebuildPortBitmap();
    return expired.size();
}

void BpfLoader::rebuildPortBitmap() {
    // A port the kernel learns by signature during the rebuild may lose its bit; its next
    // call sets it again (rpcmon_learn_endpoint sets the bit even when the entry exists), so
    // the loss is bounded to that one exchange.
    std::vector<uint64_t> bitmap(RPCMON_PORT_BITMAP_WORDS, 0);
    rpcmon_endpoint_key cur{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(watchedFd(), prev, &next) == 0) {
        bitmap[next.port >> 6] |= 1ull << (next.port & 63);
        cur = next;
        prev = &cur;
    }
    for (uint32_t i = 0; i < RPCMON_PORT_BITMAP_WORDS; i++) {
        uint64_t old = 0;
        bpf_map_lookup_elem(watchedPortsFd(), &i, &old);
        if (old != bitmap[i]) bpf_map_update_elem(watchedPortsFd(), &i, &bitmap[i], BPF_ANY);
    }
}

size_t BpfLoader::watchedCount() const {
    size_t n = 0;
    rpcmon_endpoint_key cur{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(watchedFd(), prev, &next) == 0) {
        n++;
        cur = next;
        prev = &cur;
    }
    return n;
}

int BpfLoader::ringbufFd() const { return bpf_map__fd(skel_->maps.events); }
int BpfLoader::watchedFd() const { return bpf_map__fd(skel_->maps.watched); }
int BpfLoader::watchedPortsFd() const { return bpf_map__fd(skel_->maps.watched_ports); }
int BpfLoader::xdpProgFd() const { return bpf_program__fd(skel_->progs.rpcmon_xdp); }
int BpfLoader::socketProgFd() const { return bpf_program__fd(skel_->progs.rpcmon_socket); }
int BpfLoader::socketAllProgFd() const { return bpf_program__fd(skel_->progs.rpcmon_socket_all); }

KernelCounters BpfLoader::readCounters(uint32_t slot) const {
    KernelCounters total{};
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return total;
    std::vector<KernelCounters> percpu(static_cast<size_t>(ncpu));
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &slot, percpu.data()) != 0) return total;
    for (const auto& c : percpu)
        for (size_t i = 0; i < total.size(); i++) total[i] += c[i];
    return total;
}

}  // namespace rpcmon
