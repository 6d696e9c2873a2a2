// SPDX-License-Identifier: Apache-2.0
// One's-complement sum (the IP/TCP/UDP checksums `analyze` verifies over every payload byte):
// ns per KiB of onesComplementAdd, 8 bytes per step, against the RFC 1071 loop of 16 bits per
// step it replaced (tests/support/checksum_reference.h), on an IPv4 header, a full-MSS payload,
// a jumbo frame and a 64 KiB datagram, each starting where a payload does after Ethernet + IPv4
// + TCP headers (offset 54: not 8-byte aligned). Median of ROUNDS (default 7) rounds.
// Usage: rpcmon_checksum_bench [MIB_PER_ROUND]   (default 64: bytes summed per size and round)
// Prints figures; exits 1 only if the two sums ever disagree.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "stream/checksum.h"
#include "support/checksum_reference.h"

using namespace rpcmon;

namespace {

template <typename Sum>
double nsPerKib(Sum sum, Bytes d, size_t total, uint32_t& sink) {
    size_t reps = std::max<size_t>(1, total / std::max<size_t>(d.size(), 1));
    auto t0 = std::chrono::steady_clock::now();
    uint32_t acc = 0;
    // Each call starts from the last result: the calls cannot be merged or dropped.
    for (size_t i = 0; i < reps; i++) acc = sum(acc & 0xffff, d);
    auto t1 = std::chrono::steady_clock::now();
    sink += acc;
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(reps) * double(d.size()) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
    size_t total = size_t(argc > 1 ? std::atof(argv[1]) * (1 << 20) : 64 << 20);
    constexpr int kRounds = 7;
    constexpr size_t kOffset = 54;
    std::vector<uint8_t> buf(kOffset + 65536);
    std::mt19937_64 rng(1);
    for (auto& b : buf) b = uint8_t(rng());
    uint32_t sink = 0;
    int bad = 0;
    std::printf("checksum: one's-complement sum, ns per KiB (median of %d rounds, %.0f MiB per round), "
                "data at offset %zu\n", kRounds, double(total) / (1 << 20), kOffset);
    std::printf("%-22s %8s %14s %14s %9s\n", "what", "bytes", "16-bit loop", "8 bytes/step", "speed-up");
    struct Case {
        const char* what;
        size_t len;
        size_t off;
    } cases[] = {{"IPv4 header", 20, 14}, {"TCP payload, MSS 1448", 1448, kOffset},
                 {"jumbo frame payload", 8948, kOffset}, {"64 KiB datagram", 65536, kOffset}};
    for (const Case& c : cases) {
        Bytes d(buf.data() + c.off, c.len);
        if (onesComplementAdd(0x1234, d) != test::onesComplementAddReference(0x1234, d)) bad++;
        std::vector<double> ref, fast;
        for (int r = 0; r < kRounds; r++) {
            ref.push_back(nsPerKib(test::onesComplementAddReference, d, total, sink));
            fast.push_back(nsPerKib(onesComplementAdd, d, total, sink));
        }
        std::nth_element(ref.begin(), ref.begin() + kRounds / 2, ref.end());
        std::nth_element(fast.begin(), fast.begin() + kRounds / 2, fast.end());
        double a = ref[kRounds / 2], b = fast[kRounds / 2];
        std::printf("%-22s %8zu %11.1f ns %11.1f ns %8.1fx\n", c.what, c.len, a, b, a / b);
    }
    std::printf("(sink %u)\n", sink & 1);
    if (bad) {
        std::printf("checksum: FAILED: the fast sum differs from the reference on %d case(s)\n", bad);
        return 1;
    }
    return 0;
}
