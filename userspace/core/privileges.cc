// SPDX-License-Identifier: Apache-2.0
#include "core/privileges.h"

#include <dirent.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rpcmon {
namespace {

const char* const kCapNames[] = {
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
    "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
    "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
    "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
    "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
    "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
    "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
    "cap_checkpoint_restore",
};

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The highest capability the running kernel knows (newer than this header is fine).
int lastCap() {
    int last = CAP_LAST_CAP;
    if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
        int v = 0;
        if (std::fscanf(f, "%d", &v) == 1 && v > 0 && v < 64) last = v;
        std::fclose(f);
    }
    return last;
}

size_t threadCount() {
    size_t n = 0;
    if (DIR* d = opendir("/proc/self/task")) {
        while (dirent* de = readdir(d))
            if (de->d_name[0] != '.') n++;
        closedir(d);
    }
    return n;
}

bool capGet(__user_cap_data_struct (&data)[2]) {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    std::memset(data, 0, sizeof data);
    return syscall(SYS_capget, &hdr, data) == 0;
}

uint64_t join(uint32_t lo, uint32_t hi) { return uint64_t(lo) | (uint64_t(hi) << 32); }

struct AgentPrivileges {
    bool tried = false, dropped = false, skipped = false;
    uint64_t failures = 0;
    std::vector<int> kept;
    std::string error;
} g_state;

}  // namespace

std::vector<int> agentKeptCapabilities() {
    // Measured on Linux 6.18 with kernel.unprivileged_bpf_disabled=2 (tests/live/
    // live_privileges_test.sh): per-CPU counter lookups, `watched` updates/deletes/iteration,
    // ring-buffer polling, BPF_OBJ_GET_INFO_BY_FD and detaching by closing fds all work with
    // an empty set. BPF_ENABLE_STATS (top's run time) needs CAP_SYS_ADMIN: not kept.
    return {};
}

std::string capabilityName(int cap) {
    if (cap >= 0 && size_t(cap) < std::size(kCapNames)) return kCapNames[cap];
    return "cap_" + std::to_string(cap);
}

std::string capabilityList(const std::vector<int>& caps) {
    if (caps.empty()) return "none";
    std::string s;
    for (int c : caps) s += (s.empty() ? "" : ",") + capabilityName(c);
    return s;
}

std::vector<int> capabilitiesInMask(uint64_t mask) {
    std::vector<int> caps;
    for (int c = 0; c < 64; c++)
        if ((mask >> c) & 1u) caps.push_back(c);
    return caps;
}

bool dropCapabilities(const std::vector<int>& keep, std::string* why, std::string* note) {
    auto fail = [&](const std::string& w) {
        if (why) *why = w;
        return false;
    };
    if (size_t n = threadCount(); n != 1)
        return fail(std::to_string(n) + " threads: capabilities are per thread, drop before starting any");
    const int last = lastCap();
    uint64_t keep_mask = 0;
    for (int c : keep)
        if (c >= 0 && c < 64) keep_mask |= 1ull << c;
    __user_cap_data_struct data[2];
    if (!capGet(data)) return fail(errnoText("capget"));
    // 1. The bounding set (needs CAP_SETPCAP, so before the effective set loses it): nothing
    //    this process or its children execute can regain a capability. Without CAP_SETPCAP
    //    (started with a reduced set, e.g. by systemd) the bounding set is the starter's job.
    const bool setpcap = (data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) != 0;
    if (!setpcap && note) *note = "bounding set unchanged: no cap_setpcap";
    for (int c = 0; setpcap && c <= last; c++) {
        if ((keep_mask >> c) & 1u) continue;
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0) {
            if (errno == EINVAL) continue;  // unknown to this kernel
            return fail(errnoText("PR_CAPBSET_READ"));
        }
        if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
            return fail(errnoText(("PR_CAPBSET_DROP " + capabilityName(c)).c_str()));
    }
    // 2. Ambient (inherited across execve by unprivileged programs).
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return fail(errnoText("PR_CAP_AMBIENT_CLEAR_ALL"));
    // 3. Effective, permitted, inheritable: what is kept, if we had it.
    uint64_t perm = join(data[0].permitted, data[1].permitted) & keep_mask;
    for (int i = 0; i < 2; i++) {
        data[i].permitted = uint32_t(perm >> (32 * i));
        data[i].effective = data[i].permitted;
        data[i].inheritable = 0;
    }
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capset, &hdr, data) != 0) return fail(errnoText("capset"));
    // 4. No execve can grant privileges again (setuid/file capabilities are ignored).
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(errnoText("PR_SET_NO_NEW_PRIVS"));
    // 5. Check what the kernel now says.
    if (!capGet(data)) return fail(errnoText("capget"));
    uint64_t eff = join(data[0].effective, data[1].effective), prm = join(data[0].permitted, data[1].permitted),
             inh = join(data[0].inheritable, data[1].inheritable);
    if ((eff | prm) & ~keep_mask || inh) return fail("capabilities still set after capset");
    for (int c = 0; setpcap && c <= last; c++)
        if (!((keep_mask >> c) & 1u) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            return fail("bounding set still has " + capabilityName(c));
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return fail("no_new_privs not set");
    return true;
}

bool dropAgentPrivileges() {
    g_state.tried = true;
    std::vector<int> keep = agentKeptCapabilities();
    // Only what we actually hold is "kept" (keeping a capability we never had is meaningless).
    __user_cap_data_struct data[2];
    uint64_t had = capGet(data) ? join(data[0].permitted, data[1].permitted) : 0;
    std::erase_if(keep, [&](int c) { return !((had >> c) & 1u); });
    std::string why, note;
    if (!dropCapabilities(keep, &why, &note)) {
        g_state.failures++;
        g_state.error = why;
        spdlog::error("could not drop capabilities ({}); the agent keeps running WITH its start-up privileges",
                      why);
        return false;
    }
    g_state.dropped = true;
    g_state.kept = keep;
    spdlog::info("dropped capabilities; keeping: {}{}", capabilityList(keep), note.empty() ? "" : " (" + note + ")");
    return true;
}

void keepAgentPrivileges() {
    g_state.tried = true;
    g_state.skipped = true;
    spdlog::warn("--keep-caps: the agent keeps all its capabilities (debugging only)");
}

Json privilegeStats() {
    if (!g_state.tried) return Json();
    Json j;
    j["dropped"] = g_state.dropped;
    if (g_state.skipped) j["kept"] = "all (--keep-caps)";
    else j["kept"] = g_state.dropped ? capabilityList(g_state.kept) : "all (drop failed)";
    j["drop_failures"] = g_state.failures;
    j["no_new_privs"] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
    if (!g_state.error.empty()) j["error"] = g_state.error;
    return j;
}

}  // namespace rpcmon
