// SPDX-License-Identifier: Apache-2.0
// Cost of the host-socket hooks (bpf/hostsock.bpf.c) on the processes they watch: ns per
// write()+read() of a small message on (a) an unrelated unix socket pair and (b) the server
// end of a socket bound under an np/ directory (the bytes are copied to the ring), each
// without and with the hooks attached. Every write and read on the host pays (a) while the
// agent runs: the tracepoints fire for every process, the filter leaves after a few reads.
// Usage: rpcmon_hostsock_bench [ITERATIONS] [MESSAGE_BYTES]   (root; prints one line per case)
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "loader/hostsock_loader.h"

namespace {

double nsPerRoundTrip(int wfd, int rfd, size_t bytes, long iters) {
    std::vector<char> buf(bytes, 'x'), in(bytes);
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++) {
        if (write(wfd, buf.data(), bytes) != ssize_t(bytes)) std::abort();
        size_t got = 0;
        while (got < bytes) {
            ssize_t n = read(rfd, in.data() + got, bytes - got);
            if (n <= 0) std::abort();
            got += size_t(n);
        }
    }
    auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(iters);
}

struct NpPair {
    int server = -1, client = -1;
    std::string dir;
};

// A listener at DIR/np/bench, a client connected to it, and the accepted (server) end.
NpPair makeNpPair() {
    NpPair p;
    char tmpl[] = "/tmp/rpcmon-bench-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    p.dir = tmpl;
    std::string np = p.dir + "/np", path = np + "/bench";
    if (mkdir(np.c_str(), 0700) != 0) std::abort();
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) || listen(l, 1)) std::abort();
    p.client = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(p.client, reinterpret_cast<sockaddr*>(&sa), sizeof sa)) std::abort();
    p.server = accept(l, nullptr, nullptr);
    close(l);
    unlink(path.c_str());
    rmdir(np.c_str());
    rmdir(p.dir.c_str());
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    long iters = argc > 1 ? std::atol(argv[1]) : 200000;
    size_t bytes = argc > 2 ? size_t(std::atol(argv[2])) : 64;
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp)) return 1;
    NpPair np = makeNpPair();
    // Server end writes (a reply) and the client reads it; then the reverse is the same cost.
    double plain_off = nsPerRoundTrip(sp[0], sp[1], bytes, iters);
    double np_off = nsPerRoundTrip(np.server, np.client, bytes, iters);
    std::unique_ptr<rpcmon::HostSockLoader> hooks;
    try {
        hooks = std::make_unique<rpcmon::HostSockLoader>();
    } catch (const std::exception& e) {
        std::printf("hostsock bench: %s (skipped)\n", e.what());
        return 0;
    }
    std::atomic<bool> stop{false};
    uint64_t consumed = 0;
    ring_buffer* rb = ring_buffer__new(
        hooks->ringbufFd(), [](void* ctx, void*, size_t) { ++*static_cast<uint64_t*>(ctx); return 0; }, &consumed, nullptr);
    std::thread drain([&] {
        while (!stop.load()) ring_buffer__poll(rb, 50);
    });
    double plain_on = nsPerRoundTrip(sp[0], sp[1], bytes, iters);
    double np_on = nsPerRoundTrip(np.server, np.client, bytes, iters);
    stop = true;
    drain.join();
    ring_buffer__consume(rb);
    ring_buffer__free(rb);
    auto c = hooks->readCounters();
    std::printf("hostsock bench (%ld round trips of %zu bytes: one write + one read each, mode %s)\n", iters, bytes,
                hooks->mode().c_str());
    std::printf("  unrelated unix socket: %8.1f ns without hooks, %8.1f ns with: +%.1f ns per write+read\n",
                plain_off, plain_on, plain_on - plain_off);
    std::printf("  np/ socket (copied):   %8.1f ns without hooks, %8.1f ns with: +%.1f ns per write+read\n", np_off,
                np_on, np_on - np_off);
    std::printf("  records %llu (consumed %llu), ring drops %llu\n", c[RPCMON_HOST_CNT_RECORDS],
                (unsigned long long)consumed, c[RPCMON_HOST_CNT_RINGBUF_DROPS]);
    return 0;
}
