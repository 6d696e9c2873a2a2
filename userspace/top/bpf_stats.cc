// SPDX-License-Identifier: Apache-2.0
#include "top/bpf_stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rpcmon::top {

bool BpfRunStats::enable(std::string* why) {
    if (fd_ >= 0) return true;
    int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0) {
        if (why) *why = std::string("BPF_ENABLE_STATS: ") + strerror(errno);
        return false;
    }
    fd_ = fd;
    return true;
}

void BpfRunStats::disable() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
}

std::vector<BpfProgRunStats> BpfRunStats::readOwnPrograms() {
    std::vector<BpfProgRunStats> out;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return out;
    int dfd = dirfd(d);
    while (dirent* de = readdir(d)) {
        char* end = nullptr;
        long fd = std::strtol(de->d_name, &end, 10);
        if (!end || *end || fd == dfd) continue;
        char target[64];
        ssize_t n = readlinkat(dfd, de->d_name, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (std::strcmp(target, "anon_inode:bpf-prog") != 0) continue;
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(int(fd), &info, &len) != 0) continue;
        if (std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.id == info.id; })) continue;
        BpfProgRunStats p;
        p.id = info.id;
        p.name = info.name;
        const char* t = libbpf_bpf_prog_type_str(bpf_prog_type(info.type));
        p.type = t ? t : std::to_string(info.type);
        p.run_time_ns = info.run_time_ns;
        p.run_cnt = info.run_cnt;
        out.push_back(std::move(p));
    }
    closedir(d);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

}  // namespace rpcmon::top
