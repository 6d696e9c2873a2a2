// SPDX-License-Identifier: Apache-2.0
// The one's-complement sum as RFC 1071 states it, 16 bits per step: what the fast
// onesComplementAdd (userspace/stream/checksum.cc) must equal for every input. Kept only as the
// reference of tests/unit/checksum_test.cc and the "before" of bench/checksum_bench.cc.
#pragma once

#include <cstdint>

#include "core/byte_reader.h"

namespace rpcmon::test {

inline uint32_t onesComplementAddReference(uint32_t sum, Bytes d) {
    uint64_t s = sum;
    size_t i = 0, n = d.size();
    for (; i + 1 < n; i += 2) s += uint32_t(d[i] << 8 | d[i + 1]);
    if (i < n) s += uint32_t(d[i] << 8);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint32_t(s);
}

}  // namespace rpcmon::test
