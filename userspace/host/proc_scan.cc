// SPDX-License-Identifier: Apache-2.0
#include "host/proc_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace rpcmon::host {
namespace {

// /proc/net/tcp state column (include/net/tcp_states.h).
constexpr unsigned kTcpListen = 0x0A, kTcpTimeWait = 0x06, kTcpClose = 0x07;

struct Socket {
    uint8_t local[16] = {}, remote[16] = {};
    uint16_t local_port = 0, remote_port = 0;
    bool listening_port = false;  // the local port has a listener: the socket was accepted
    bool done = false;
};

// "0100007F:0016" (IPv4) or 32 hex digits (IPv6) then ":PORT". The kernel prints each 32-bit
// word of the address as it lies in memory, read as a host-order integer: memcpy restores it.
bool parseEndpoint(const std::string& s, uint8_t addr[16], uint16_t& port) {
    size_t colon = s.find(':');
    if (colon != 8 && colon != 32) return false;
    std::memset(addr, 0, 16);
    size_t words = colon / 8;
    uint8_t* dst = words == 1 ? addr + 12 : addr;
    if (words == 1) addr[10] = addr[11] = 0xff;  // IPv4-mapped, as the hooks write it
    for (size_t w = 0; w < words; w++) {
        char* end = nullptr;
        std::string hex = s.substr(w * 8, 8);
        uint32_t v = uint32_t(std::strtoul(hex.c_str(), &end, 16));
        if (!end || *end) return false;
        std::memcpy(dst + 4 * w, &v, 4);
    }
    char* end = nullptr;
    unsigned long p = std::strtoul(s.c_str() + colon + 1, &end, 16);
    if (!end || *end || p > 0xffff) return false;
    port = uint16_t(p);
    return true;
}

// Reads one TCP table: connected sockets into `out` (by inode), listening ports into `listen`.
bool readTable(const std::string& path, std::unordered_map<uint64_t, Socket>& out,
               std::unordered_set<uint32_t>& listen) {
    std::ifstream f(path);
    if (!f) return false;
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
        if (!(in >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
        Socket s;
        if (!parseEndpoint(local, s.local, s.local_port) || !parseEndpoint(remote, s.remote, s.remote_port)) continue;
        unsigned state = unsigned(std::strtoul(st.c_str(), nullptr, 16));
        uint64_t ino = std::strtoull(inode.c_str(), nullptr, 10);
        if (state == kTcpListen) {
            listen.insert(s.local_port);
            continue;
        }
        if (state == kTcpTimeWait || state == kTcpClose || !ino || !s.remote_port) continue;
        out.emplace(ino, s);
    }
    return true;
}

std::string firstLine(const std::string& path) {
    std::ifstream f(path);
    std::string s;
    std::getline(f, s);
    return s;
}

// The real uid from /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs").
uint32_t statusUid(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("Uid:", 0) == 0) return uint32_t(std::strtoul(line.c_str() + 4, nullptr, 10));
    return 0;
}

}  // namespace

uint32_t ownNetns() {
    struct stat st;
    return stat("/proc/self/ns/net", &st) == 0 ? uint32_t(st.st_ino) : 0;
}

ProcScanResult scanProcConnections(const std::string& proc, uint32_t netns, const ProcScanLimits& limits) {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    ProcScanResult r;
    std::unordered_map<uint64_t, Socket> socks;
    std::unordered_set<uint32_t> listen;
    for (const char* t : {"/net/tcp", "/net/tcp6"})
        if (!readTable(proc + t, socks, listen)) r.errors++;
    for (auto& [ino, s] : socks) s.listening_port = listen.count(s.local_port) > 0;
    r.sockets = socks.size();
    size_t left = socks.size();

    DIR* d = left ? opendir(proc.c_str()) : nullptr;
    if (left && !d) r.errors++;
    while (d && left) {
        dirent* e = readdir(d);
        if (!e) break;
        char* end = nullptr;
        unsigned long pid = std::strtoul(e->d_name, &end, 10);
        if (!pid || *end) continue;
        if (r.pids >= limits.max_pids || r.fds >= limits.max_fds ||
            uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()) >=
                limits.max_ns) {
            r.capped = true;
            break;
        }
        r.pids++;
        std::string base = proc + "/" + e->d_name;
        int fdd = open((base + "/fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fdd < 0) {
            if (errno != ENOENT && errno != ESRCH) r.errors++;  // exited meanwhile: not an error
            continue;
        }
        DIR* fds = fdopendir(fdd);
        if (!fds) {
            close(fdd);
            r.errors++;
            continue;
        }
        std::string comm;
        uint32_t uid = 0;
        bool known = false;
        while (dirent* f = readdir(fds)) {
            if (f->d_name[0] == '.') continue;
            if (++r.fds > limits.max_fds) {
                r.capped = true;
                break;
            }
            char link[64];
            ssize_t n = readlinkat(fdd, f->d_name, link, sizeof link - 1);
            if (n <= 8) continue;
            link[n] = 0;
            if (std::strncmp(link, "socket:[", 8) != 0) continue;
            auto it = socks.find(std::strtoull(link + 8, nullptr, 10));
            if (it == socks.end() || it->second.done) continue;
            if (!known) {
                comm = firstLine(base + "/comm");
                uid = statusUid(base + "/status");
                known = true;
            }
            const Socket& s = it->second;
            rpcmon_host_conn_record rec{};
            rec.hdr.type = RPCMON_REC_HOST_CONN;
            rec.hdr.size = sizeof rec;
            std::memcpy(rec.local_addr, s.local, 16);
            std::memcpy(rec.remote_addr, s.remote, 16);
            rec.local_port = s.local_port;
            rec.remote_port = s.remote_port;
            rec.role = s.listening_port ? RPCMON_HOST_CONN_SERVER : RPCMON_HOST_CONN_CLIENT;
            rec.pid = rec.tgid = uint32_t(pid);
            rec.uid = uid;
            rec.netns = netns;
            std::snprintf(rec.comm, sizeof rec.comm, "%s", comm.c_str());
            r.records.push_back(rec);
            it->second.done = true;  // the first holder found names it (/proc lists pids in ascending order)
            r.attributed++;
            left--;
        }
        closedir(fds);  // closes fdd
    }
    if (d) closedir(d);
    r.misses = r.sockets - r.attributed;
    r.elapsed_us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    return r;
}

}  // namespace rpcmon::host
