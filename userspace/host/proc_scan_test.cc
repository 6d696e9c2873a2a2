// SPDX-License-Identifier: Apache-2.0
// The start-up /proc scan on a directory laid out like /proc: TCP tables, processes and their
// descriptors (symlinks "socket:[inode]"), comm and status.
#include "host/proc_scan.h"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <map>

using namespace rpcmon;
namespace fs = std::filesystem;

namespace {

const char* kHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

struct FakeProc {
    fs::path root;
    FakeProc() {
        char tmpl[] = "/tmp/rpcmon-procscan-XXXXXX";
        root = mkdtemp(tmpl);
        fs::create_directories(root / "net");
    }
    ~FakeProc() { fs::remove_all(root); }
    void table(const char* name, const std::string& rows) { std::ofstream(root / "net" / name) << kHeader << rows; }
    void process(int pid, const char* comm, int uid, const std::vector<std::pair<int, std::string>>& fds) {
        fs::path p = root / std::to_string(pid);
        fs::create_directories(p / "fd");
        std::ofstream(p / "comm") << comm << "\n";
        std::ofstream(p / "status") << "Name:\t" << comm << "\nUid:\t" << uid << "\t" << uid << "\t" << uid << "\t" << uid << "\n";
        for (auto& [fd, target] : fds) fs::create_symlink(target, p / "fd" / std::to_string(fd));
    }
};

// 10.0.0.2:445 listening; 10.0.0.2:445 <- 10.0.0.1:40000 (inode 1111, accepted);
// 10.0.0.2:50000 -> 10.0.0.9:135 (2222, made); 3333 held by nobody; a TIME_WAIT without inode.
// IPv4 words are printed as host-order integers of the address bytes (little-endian here).
const char* kTcp =
    "   0: 0200000A:01BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 900 1\n"
    "   1: 0200000A:01BD 0100000A:9C40 01 00000000:00000000 00:00000000 00000000     0        0 1111 1\n"
    "   2: 0200000A:C350 0900000A:0087 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1\n"
    "   3: 0200000A:C351 0900000A:0087 08 00000000:00000000 00:00000000 00000000  1000        0 3333 1\n"
    "   4: 0200000A:C352 0900000A:0087 06 00000000:00000000 00:00000000 00000000     0        0 0 1\n";
// [2001:db8::2]:2049 <- [2001:db8::1]:800 (4444): each 32-bit word as a host-order integer.
const char* kTcp6 =
    "   0: B80D0120000000000000000002000000:0801 B80D0120000000000000000001000000:0320 01 "
    "00000000:00000000 00:00000000 00000000     0        0 4444 1\n";

TEST(ProcScan, AttributesEachConnectedSocketToItsProcess) {
    FakeProc p;
    p.table("tcp", kTcp);
    p.table("tcp6", kTcp6);
    p.process(100, "smbd", 0, {{0, "/dev/null"}, {3, "socket:[900]"}, {7, "socket:[1111]"}});
    p.process(200, "python3", 1000, {{5, "socket:[2222]"}, {6, "pipe:[77]"}});
    p.process(300, "ganesha.nfsd", 0, {{9, "socket:[4444]"}});
    p.process(301, "ganesha.nfsd", 0, {{9, "socket:[4444]"}});  // a second holder: one record
    host::ProcScanResult r = host::scanProcConnections(p.root.string(), 4026531992u);
    EXPECT_EQ(r.sockets, 4u);  // 1111, 2222, 3333 (close-wait), 4444: not the listener, not TIME_WAIT
    EXPECT_EQ(r.attributed, 3u);
    EXPECT_EQ(r.misses, 1u);  // 3333
    EXPECT_EQ(r.errors, 0u);
    EXPECT_FALSE(r.capped);
    ASSERT_EQ(r.records.size(), 3u);
    std::map<std::string, rpcmon_host_conn_record> by;
    for (auto& rec : r.records) by[rec.comm] = rec;
    const auto& smbd = by.at("smbd");
    EXPECT_EQ(smbd.hdr.type, RPCMON_REC_HOST_CONN);
    EXPECT_EQ(smbd.hdr.size, sizeof smbd);
    EXPECT_EQ(smbd.role, RPCMON_HOST_CONN_SERVER);  // its local port has a listener
    EXPECT_EQ(smbd.tgid, 100u);
    EXPECT_EQ(smbd.local_port, 445);
    EXPECT_EQ(smbd.remote_port, 40000);
    const uint8_t srv[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
    const uint8_t cli[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    EXPECT_EQ(std::memcmp(smbd.local_addr, srv, 16), 0);
    EXPECT_EQ(std::memcmp(smbd.remote_addr, cli, 16), 0);
    EXPECT_EQ(smbd.netns, 4026531992u);
    const auto& py = by.at("python3");
    EXPECT_EQ(py.role, RPCMON_HOST_CONN_CLIENT);
    EXPECT_EQ(py.uid, 1000u);
    EXPECT_EQ(py.local_port, 50000);
    EXPECT_EQ(py.remote_port, 135);
    const auto& nfs = by.at("ganesha.nfsd");
    EXPECT_TRUE(nfs.tgid == 300u || nfs.tgid == 301u) << nfs.tgid;
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(std::memcmp(nfs.remote_addr, v6, 16), 0);
    EXPECT_EQ(nfs.local_port, 2049);
    EXPECT_EQ(nfs.remote_port, 800);
}

TEST(ProcScan, BoundsStopTheScanAndCount) {
    FakeProc p;
    p.table("tcp", kTcp);
    p.table("tcp6", kTcp6);
    p.process(100, "smbd", 0, {{7, "socket:[1111]"}});
    p.process(200, "python3", 1000, {{5, "socket:[2222]"}});
    host::ProcScanLimits lim;
    lim.max_pids = 1;
    host::ProcScanResult r = host::scanProcConnections(p.root.string(), 0, lim);
    EXPECT_TRUE(r.capped);
    EXPECT_EQ(r.pids, 1u);
    EXPECT_EQ(r.attributed, 1u);
    EXPECT_EQ(r.misses, r.sockets - 1);
    lim = {};
    lim.max_fds = 0;
    r = host::scanProcConnections(p.root.string(), 0, lim);
    EXPECT_TRUE(r.capped);
    EXPECT_EQ(r.attributed, 0u);
}

TEST(ProcScan, MissingTablesAreErrors) {
    FakeProc p;
    p.table("tcp", kTcp);  // no tcp6
    host::ProcScanResult r = host::scanProcConnections(p.root.string());
    EXPECT_EQ(r.errors, 1u);
    EXPECT_EQ(r.sockets, 3u);
    EXPECT_EQ(r.misses, 3u);  // no process holds them
}

// The real /proc: a loopback TCP connection this test holds is found, both ends, with this
// process (the accepted end as server: its port has a listener).
TEST(ProcScan, FindsOwnConnectionInRealProc) {
    if (access("/proc/net/tcp", R_OK) != 0) GTEST_SKIP() << "no /proc/net/tcp";
    int lst = socket(AF_INET, SOCK_STREAM, 0), cli = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(lst, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    ASSERT_EQ(bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(lst, 1), 0);
    ASSERT_EQ(getsockname(lst, reinterpret_cast<sockaddr*>(&a), &alen), 0);
    ASSERT_EQ(connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int srv = accept(lst, nullptr, nullptr);
    ASSERT_GE(srv, 0);
    uint16_t port = ntohs(a.sin_port);
    host::ProcScanResult r = host::scanProcConnections("/proc", host::ownNetns());
    EXPECT_EQ(r.sockets, r.attributed + r.misses);
    bool client = false, server = false;
    for (const auto& rec : r.records) {
        if (rec.tgid != uint32_t(getpid())) continue;
        if (rec.role == RPCMON_HOST_CONN_SERVER && rec.local_port == port) server = true;
        if (rec.role == RPCMON_HOST_CONN_CLIENT && rec.remote_port == port) client = true;
    }
    EXPECT_TRUE(client && server) << r.records.size() << " records";
    close(srv), close(cli), close(lst);
}

}  // namespace
