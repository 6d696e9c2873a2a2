// SPDX-License-Identifier: Apache-2.0
// onesComplementAdd (userspace/stream/checksum.h), 8 bytes per step, against the RFC 1071 loop
// it replaced (tests/support/checksum_reference.h): bit for bit on random buffers of every length
// 0..200 at every start alignment, on buffers that stress the end-around carry and the 0 / 0xffff
// distinction, and on large ones. ChecksumValidator's `auto` source bookkeeping (a source's
// bad checksums pass until it has sent a valid one), with sources interleaved and a full table.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "stream/checksum.h"
#include "support/checksum_reference.h"
#include "support/packet_builder.h"

using namespace rpcmon;
using rpcmon::test::onesComplementAddReference;
using rpcmon::test::PacketBuilder;

namespace {

struct Counter : AnomalyCounter {
    std::map<std::string, uint64_t> n;
    void count(const char* name, uint64_t k) override { n[name] += k; }
    uint64_t operator[](const std::string& k) const { return n.count(k) ? n.at(k) : 0; }
};

std::vector<uint8_t> segment(const std::string& src, PacketBuilder::Csum csum) {
    return PacketBuilder().ipv4(src, "10.9.0.1").tcp(40000, 2049).payloadSize(101, 0x3c).checksum(csum).build();
}

// Starting sums callers pass: 0, pseudo-header sums (below 2^18), and the corners.
constexpr uint32_t kSums[] = {0, 1, 0xfffe, 0xffff, 0x10000, 0x2fffd, 0x7fffffff, 0xffffffff};

}  // namespace

TEST(OnesComplementAdd, Rfc1071Example) {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
    const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(onesComplementAdd(0, Bytes(d, sizeof d)), 0xddf2u);
    // An odd last byte is the high byte of a word: 0xab00.
    const uint8_t odd[] = {0xab};
    EXPECT_EQ(onesComplementAdd(0, Bytes(odd, 1)), 0xab00u);
    EXPECT_EQ(onesComplementAdd(0x1234, Bytes(odd, 0)), 0x1234u);
}

TEST(OnesComplementAdd, EveryLengthAndAlignmentMatchesReference) {
    std::mt19937_64 rng(20261205);
    std::vector<uint8_t> buf(200 + 16);
    size_t checked = 0;
    for (size_t len = 0; len <= 200; len++) {
        for (size_t off = 0; off < 16; off++) {  // every start alignment of an 8-byte load, and then some
            for (int round = 0; round < 4; round++) {
                for (auto& b : buf) b = uint8_t(rng());
                Bytes d(buf.data() + off, len);
                for (uint32_t sum : kSums) {
                    ASSERT_EQ(onesComplementAdd(sum, d), onesComplementAddReference(sum, d))
                        << "len " << len << " offset " << off << " sum " << sum;
                    checked++;
                }
                uint32_t sum = uint32_t(rng());
                ASSERT_EQ(onesComplementAdd(sum, d), onesComplementAddReference(sum, d))
                    << "len " << len << " offset " << off << " sum " << sum;
            }
        }
    }
    EXPECT_EQ(checked, 201u * 16 * 4 * std::size(kSums));
}

TEST(OnesComplementAdd, ZeroAndAllOnesKeepTheirDistinction) {
    // All zero bytes sum to 0 (only with a 0 start), all 0xff bytes to 0xffff (never 0): the
    // fast sum's end-around carries and folds must give the same of the two zeros.
    std::vector<uint8_t> zeros(300, 0), ones(300, 0xff);
    for (size_t len = 0; len <= 200; len++) {
        for (size_t off = 0; off < 8; off++) {
            for (uint32_t sum : kSums) {
                Bytes z(zeros.data() + off, len), o(ones.data() + off, len);
                ASSERT_EQ(onesComplementAdd(sum, z), onesComplementAddReference(sum, z)) << len << " " << off;
                ASSERT_EQ(onesComplementAdd(sum, o), onesComplementAddReference(sum, o)) << len << " " << off;
            }
            EXPECT_EQ(onesComplementAdd(0, Bytes(zeros.data() + off, len)), 0u);
            // An odd count ends in 0xff00: 0xff00 + k * 0xffff.
            EXPECT_EQ(onesComplementAdd(0, Bytes(ones.data() + off, len)), len < 2 ? 0xff00u * len : len % 2 ? 0xff00u : 0xffffu);
        }
    }
    // A buffer whose words sum to a nonzero multiple of 0xffff: 0xffff, not 0.
    const uint8_t d[] = {0x80, 0x00, 0x7f, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(onesComplementAdd(0, Bytes(d, sizeof d)), 0xffffu);
    EXPECT_EQ(onesComplementAddReference(0, Bytes(d, sizeof d)), 0xffffu);
}

TEST(OnesComplementAdd, LargeBuffersMatchReference) {
    std::mt19937_64 rng(7);
    // Jumbo frames, the largest IP datagram, and far more than any datagram (carry counts of
    // millions of 8-byte steps); random bytes, and all 0xff, which carries at every step.
    for (size_t len : {1500u, 9000u, 65535u, 65536u, 1u << 20, 4u << 20}) {
        std::vector<uint8_t> buf(len + 8);
        for (auto& b : buf) b = uint8_t(rng());
        for (size_t off : {0u, 1u, 3u, 7u}) {
            Bytes d(buf.data() + off, len);
            for (uint32_t sum : kSums)
                ASSERT_EQ(onesComplementAdd(sum, d), onesComplementAddReference(sum, d)) << len << " " << off;
        }
        std::vector<uint8_t> ones(len + 1, 0xff);
        EXPECT_EQ(onesComplementAdd(0, Bytes(ones.data() + 1, len)), onesComplementAddReference(0, Bytes(ones.data() + 1, len)));
        // Mostly 0xff with random words: carries everywhere, sums not all 0xffff.
        for (size_t i = 0; i < len; i += 1 + rng() % 64) ones[i] = uint8_t(rng());
        for (uint32_t sum : kSums)
            ASSERT_EQ(onesComplementAdd(sum, Bytes(ones.data(), len)), onesComplementAddReference(sum, Bytes(ones.data(), len)));
    }
}

TEST(OnesComplementAdd, SumsChainAcrossEvenSplits) {
    // The pseudo-header sum is passed into the payload's: a split at an even offset changes nothing.
    std::mt19937_64 rng(3);
    std::vector<uint8_t> buf(1000);
    for (auto& b : buf) b = uint8_t(rng());
    for (size_t cut = 0; cut <= 200; cut += 2) {
        Bytes all(buf.data() + 1, 999);
        uint32_t head = onesComplementAdd(0, all.first(cut));
        EXPECT_EQ(onesComplementAdd(head, all.subspan(cut)), onesComplementAdd(0, all)) << cut;
    }
}

TEST(ChecksumValidator, AutoJudgesEachSourceOnceItSentAValidChecksum) {
    using C = PacketBuilder::Csum;
    Counter c;
    ChecksumValidator v(ChecksumMode::Auto, c);
    // Interleaved senders: a proves itself first, b never does.
    const std::string a = "10.9.0.2", b = "10.9.0.3";
    EXPECT_TRUE(v.accept(segment(a, C::Bad)));  // a: not proven yet
    EXPECT_TRUE(v.accept(segment(b, C::Bad)));
    EXPECT_TRUE(v.accept(segment(a, C::Good)));
    for (int i = 0; i < 3; i++) {
        EXPECT_FALSE(v.accept(segment(a, C::Bad))) << i;
        EXPECT_TRUE(v.accept(segment(b, C::Bad))) << i;
        EXPECT_FALSE(v.accept(segment(a, C::Bad))) << i;  // twice in a row from a, then b again
    }
    EXPECT_TRUE(v.accept(segment(b, C::Good)));
    EXPECT_FALSE(v.accept(segment(b, C::Bad)));
    EXPECT_EQ(c["tcp.bad_checksum"], 7u);
    EXPECT_EQ(c["tcp.checksum_unproven_source"], 5u);
    EXPECT_EQ(c["checksum.sources_full"], 0u);
}

TEST(ChecksumValidator, SourcesBeyondTheTableAreJudgedStrictlyEveryTime) {
    using C = PacketBuilder::Csum;
    Counter c;
    ChecksumValidator v(ChecksumMode::Auto, c, 1);
    const std::string a = "10.9.0.2", b = "10.9.0.3";
    EXPECT_TRUE(v.accept(segment(a, C::Bad)));  // a takes the one entry, unproven
    // b has no entry: strict, and counted on each of its frames, one after the other or not.
    EXPECT_FALSE(v.accept(segment(b, C::Bad)));
    EXPECT_FALSE(v.accept(segment(b, C::Bad)));
    EXPECT_TRUE(v.accept(segment(b, C::Good)));
    EXPECT_TRUE(v.accept(segment(a, C::Bad)));
    EXPECT_FALSE(v.accept(segment(b, C::Bad)));
    EXPECT_EQ(c["checksum.sources_full"], 4u);
    EXPECT_EQ(c["tcp.bad_checksum"], 3u);
    EXPECT_EQ(c["tcp.checksum_unproven_source"], 2u);
}

TEST(ChecksumValidator, OnAndOffModes) {
    using C = PacketBuilder::Csum;
    Counter c;
    ChecksumValidator on(ChecksumMode::On, c), off(ChecksumMode::Off, c);
    EXPECT_FALSE(on.accept(segment("10.9.0.2", C::Bad)));
    EXPECT_TRUE(on.accept(segment("10.9.0.2", C::Good)));
    EXPECT_FALSE(on.accept(segment("10.9.0.2", C::Partial)));
    EXPECT_TRUE(off.accept(segment("10.9.0.2", C::Bad)));
    EXPECT_EQ(c["tcp.bad_checksum"], 2u);
}
