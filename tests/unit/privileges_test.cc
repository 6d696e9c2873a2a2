// SPDX-License-Identifier: Apache-2.0
// Capability dropping (core/privileges): names and masks; the real drop in a forked child
// (root only): only the kept set is left in every set, the bounding set shrinks, no_new_privs
// is on; with a second thread running the drop refuses (capabilities are per thread).
#include "core/privileges.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace rpcmon {
namespace {

TEST(Privileges, NamesAndMasks) {
    EXPECT_EQ(capabilityName(CAP_BPF), "cap_bpf");
    EXPECT_EQ(capabilityName(CAP_SYS_ADMIN), "cap_sys_admin");
    EXPECT_EQ(capabilityName(63), "cap_63");
    EXPECT_EQ(capabilityList({}), "none");
    EXPECT_EQ(capabilityList({CAP_NET_ADMIN, CAP_BPF}), "cap_net_admin,cap_bpf");
    EXPECT_EQ(capabilitiesInMask(0x000001fffeffffffull).size(), 40u);  // a CapEff line from /proc (bit 24 clear)
    EXPECT_EQ(capabilitiesInMask(1ull << CAP_BPF), std::vector<int>{CAP_BPF});
    EXPECT_TRUE(privilegeStats().is_null());  // never tried in this process
}

// Runs f in a forked child; its return value is the child's exit code.
template <class F> int inChild(F f) {
    pid_t pid = fork();
    if (pid == 0) _exit(f());
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

bool isRoot() { return geteuid() == 0 && prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1; }

TEST(Privileges, DropLeavesOnlyTheKeptSet) {
    if (!isRoot()) GTEST_SKIP() << "needs root with cap_setpcap";
    int rc = inChild([] {
        std::string why;
        if (!dropCapabilities({CAP_NET_RAW}, &why)) return 1;
        __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct d[2] = {};
        if (syscall(SYS_capget, &h, d) != 0) return 2;
        uint32_t want = 1u << CAP_NET_RAW;
        if (d[0].effective != want || d[0].permitted != want || d[0].inheritable || d[1].effective || d[1].permitted)
            return 3;
        if (prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 1 || prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
            prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) != 0)
            return 4;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 5;
        // Gone for good: capset cannot raise it again.
        d[0].effective = d[0].permitted = want | (1u << CAP_SYS_ADMIN);
        if (syscall(SYS_capset, &h, d) == 0) return 6;
        return 0;
    });
    EXPECT_EQ(rc, 0);
    rc = inChild([] {
        if (!dropAgentPrivileges()) return 1;
        Json p = privilegeStats();
        return p["dropped"] == true && p["kept"] == "none" && p["drop_failures"] == 0 && p["no_new_privs"] == true ? 0 : 2;
    });
    EXPECT_EQ(rc, 0);
}

TEST(Privileges, RefusesWithASecondThreadAndCountsIt) {
    if (!isRoot()) GTEST_SKIP() << "needs root with cap_setpcap";
    int rc = inChild([] {
        std::atomic<bool> stop{false};
        std::thread t([&] {
            while (!stop) usleep(1000);
        });
        std::string why;
        bool ok = dropCapabilities({}, &why);
        bool agent = dropAgentPrivileges();
        stop = true;
        t.join();
        if (ok || agent) return 1;
        if (why.find("threads") == std::string::npos) return 2;
        Json p = privilegeStats();
        return p["dropped"] == false && p["drop_failures"] == 1 && p.contains("error") ? 0 : 3;
    });
    EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace rpcmon
