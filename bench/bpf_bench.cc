// SPDX-License-Identifier: Apache-2.0
// ns/packet of the XDP and socket-filter programs via BPF_PROG_TEST_RUN, next to empty programs
// measured in the same run. Prints figures; asserts nothing (timings belong to benchmarks).
// Goals (foundation issue): non-RPC <= empty + 10 ns; RPC with ring-buffer output <= 100 ns.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "empty_bpf.skel.h"
#include "loader/bpf_loader.h"
#include "support/packet_builder.h"

using namespace rpcmon;
using rpcmon::test::PacketBuilder;

namespace {

ring_buffer* g_rb = nullptr;
int drain(void*, void*, size_t) { return 0; }

// Runs `total` repetitions in batches, draining the ring buffer between batches so the RPC case
// measures real ring-buffer output rather than "ring full" drops. Returns mean ns/packet.
double measure(int prog_fd, const std::vector<uint8_t>& pkt, int total, int batch) {
    double sum = 0;
    int runs = 0;
    for (int done = 0; done < total; done += batch) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt.data(), .data_size_in = (__u32)pkt.size(), .repeat = batch);
        if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
            fprintf(stderr, "test run failed: %s\n", strerror(errno));
            exit(1);
        }
        sum += opts.duration;
        runs++;
        if (g_rb) ring_buffer__consume(g_rb);
    }
    return sum / runs;
}

// Per-frame runs (repeat = 1) over a stream whose frames depend on flow state: mean of the
// kernel-measured duration per frame (includes the test-run timer overhead, so the empty
// program is measured the same way next to it).
double measureStream(int prog_fd, const std::vector<std::vector<uint8_t>>& frames) {
    double sum = 0;
    for (const auto& f : frames) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.data(), .data_size_in = (__u32)f.size(), .repeat = 1);
        if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
            fprintf(stderr, "test run failed: %s\n", strerror(errno));
            exit(1);
        }
        sum += opts.duration;
    }
    if (g_rb) ring_buffer__consume(g_rb);
    return sum / static_cast<double>(frames.size());
}

// SYN, then MSS-sized segments of one ONC RPC record of `record` bytes (an NFS WRITE of
// bulk data): after the first segment every one is skipped by the flow tracking.
std::vector<std::vector<uint8_t>> bulkStream(uint16_t cport, uint32_t record, size_t segments) {
    std::vector<std::vector<uint8_t>> frames;
    uint32_t seq = 1000;
    frames.push_back(PacketBuilder().ipv4("10.0.0.3", "10.0.0.2").tcp(cport, 2049, seq - 1, 0x02).build());
    auto call = test::oncCallTcp(0x4321, 100003, 3, 7);
    uint32_t mark = 0x80000000u | (record - 4);
    call[0] = mark >> 24; call[1] = mark >> 16; call[2] = mark >> 8; call[3] = mark;
    call.resize(1448, 0x5a);
    std::vector<uint8_t> data(1448, 0x5a);
    for (size_t i = 0; i < segments; i++) {
        frames.push_back(PacketBuilder().ipv4("10.0.0.3", "10.0.0.2").tcp(cport, 2049, seq, 0x10).payload(i ? data : call).build());
        seq += 1448;
    }
    return frames;
}

}  // namespace

int main(int argc, char** argv) {
    int total = argc > 1 ? atoi(argv[1]) : 1000000;
    std::string why;
    if (!haveBpfPrivileges(&why)) {
        printf("SKIP: %s\n", why.c_str());
        return 0;
    }
    libbpf_set_print(nullptr);
    LoaderOptions xo;
    BpfLoader xdp_loader(xo);  // XDP as deployed
    LoaderOptions so;
    so.test_run_skb_layout = true;
    BpfLoader sock_loader(so);
    empty_bpf* empty = empty_bpf__open_and_load();
    if (!empty) {
        fprintf(stderr, "cannot load empty programs\n");
        return 1;
    }

    std::string http = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n";
    auto non_rpc = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 80)
                       .payload(std::vector<uint8_t>(http.begin(), http.end())).build();
    auto call = test::oncCallTcp(0x1234, 100003, 3, 6);
    call.resize(132, 0);  // an NFSv3 READ call's size: 4-byte mark + 128-byte message
    auto rpc = PacketBuilder().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 2049).payload(call).build();

    const int batch = 20000;
    printf("rpcmon BPF benchmark: BPF_PROG_TEST_RUN, %d repetitions per case, frames %zu B (non-RPC), %zu B (RPC)\n",
           total, non_rpc.size(), rpc.size());
    g_rb = ring_buffer__new(xdp_loader.ringbufFd(), drain, nullptr, nullptr);
    double xe = measure(bpf_program__fd(empty->progs.empty_xdp), non_rpc, total, batch);
    double xn = measure(xdp_loader.xdpProgFd(), non_rpc, total, batch);
    double xr = measure(xdp_loader.xdpProgFd(), rpc, total, batch);
    ring_buffer__free(g_rb);
    g_rb = ring_buffer__new(sock_loader.ringbufFd(), drain, nullptr, nullptr);
    double se = measure(bpf_program__fd(empty->progs.empty_socket), non_rpc, total, batch);
    double sn = measure(sock_loader.socketAllProgFd(), non_rpc, total, batch);
    double sr = measure(sock_loader.socketAllProgFd(), rpc, total, batch);
    ring_buffer__free(g_rb);
    KernelCounters kx = xdp_loader.readCounters(0), ks = sock_loader.readCounters(1);

    // Flow tracking: the RPC frame with tracking off, and a bulk stream segment by segment.
    LoaderOptions no;
    no.bulk_skip = false;
    BpfLoader untracked_loader(no);
    g_rb = ring_buffer__new(untracked_loader.ringbufFd(), drain, nullptr, nullptr);
    double xr_off = measure(untracked_loader.xdpProgFd(), rpc, total, batch);
    ring_buffer__free(g_rb);
    size_t segs = std::min<size_t>(static_cast<size_t>(total) / 10 + 1, 11000);
    auto stream = bulkStream(40001, 16u << 20, segs);
    BpfLoader bulk_loader(xo);
    g_rb = ring_buffer__new(bulk_loader.ringbufFd(), drain, nullptr, nullptr);
    double xb = measureStream(bulk_loader.xdpProgFd(), stream);
    double xbe = measureStream(bpf_program__fd(empty->progs.empty_xdp), stream);
    ring_buffer__free(g_rb);
    g_rb = nullptr;
    KernelCounters kb = bulk_loader.readCounters(0);

    // A GSO/GRO-sized payload that is all needed (a 60000-byte DCE/RPC response on TCP 135):
    // one multi-buffer XDP frame becomes 15 records of 4 KiB.
    std::vector<uint8_t> pdu(60000, 0x33);
    pdu[0] = 5; pdu[2] = 2; pdu[4] = 0x10;
    auto super = PacketBuilder().ipv4("10.0.0.2", "10.0.0.1").tcp(135, 40000, 1, 0x18).payload(pdu).build();
    BpfLoader super_loader(xo);
    g_rb = ring_buffer__new(super_loader.ringbufFd(), drain, nullptr, nullptr);
    int super_total = std::max(total / 100, 1000);
    double xs = measure(super_loader.xdpProgFd(), super, super_total, 100);  // 100 x 60 KB fits the 8 MiB ring
    ring_buffer__free(g_rb);
    g_rb = nullptr;
    KernelCounters ksup = super_loader.readCounters(0);

    printf("%-16s %12s %12s %14s %14s\n", "program", "empty ns/pkt", "non-RPC", "non-RPC-empty", "RPC+ringbuf");
    printf("%-16s %12.1f %12.1f %14.1f %14.1f\n", "xdp", xe, xn, xn - xe, xr);
    printf("%-16s %12.1f %12.1f %14.1f %14.1f\n", "socket filter", se, sn, sn - se, sr);
    printf("goals: non-RPC <= empty + 10 ns; RPC with ring-buffer output <= 100 ns\n");
    printf("flow tracking (XDP): RPC+ringbuf with tracking %.1f ns, without %.1f ns (+%.1f ns per tracked packet)\n",
           xr, xr_off, xr - xr_off);
    printf("flow tracking (XDP): bulk segment skipped %.1f ns/pkt, empty program %.1f ns/pkt, same per-frame method"
           " (%zu segments of a 16 MiB record: %llu skipped, %llu delivered bytes)\n",
           xb, xbe, segs, (unsigned long long)kb[RPCMON_CNT_BULK_PACKETS_SKIPPED],
           (unsigned long long)kb[RPCMON_CNT_BYTES_DELIVERED]);
    printf("super-packet (XDP multi-buffer, 60000-byte payload -> %llu records per packet): %.1f ns/pkt, "
           "%.2f ns per payload byte (%d repetitions, ring drops %llu)\n",
           ksup[RPCMON_CNT_SUPER_PACKETS] ? (unsigned long long)((ksup[RPCMON_CNT_EXTRA_RECORDS] + ksup[RPCMON_CNT_SUPER_PACKETS] - 1) / ksup[RPCMON_CNT_SUPER_PACKETS] + 1) : 0ull,
           xs, xs / 60000.0, super_total, (unsigned long long)ksup[RPCMON_CNT_RINGBUF_DROPS]);
    printf("ring-buffer drops during the run: xdp %llu, socket %llu (batches of %d are drained in between)\n",
           (unsigned long long)kx[RPCMON_CNT_RINGBUF_DROPS], (unsigned long long)ks[RPCMON_CNT_RINGBUF_DROPS], batch);
    empty_bpf__destroy(empty);
    return 0;
}
