// SPDX-License-Identifier: Apache-2.0
#include "core/types.h"

#include <arpa/inet.h>

#include <cstring>

namespace rpcmon {

bool isV4Mapped(const Address& a) {
    static constexpr uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(a.data(), prefix, sizeof prefix) == 0;
}

std::string formatAddress(const Address& a) {
    char buf[INET6_ADDRSTRLEN];
    if (isV4Mapped(a)) return inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
    return inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
}

size_t FlowKeyHash::operator()(const FlowKey& k) const {
    // FNV-1a over the fields; flows are few enough that quality beats speed here.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* p, size_t n) {
        auto b = static_cast<const uint8_t*>(p);
        for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    };
    mix(k.client.data(), 16);
    mix(k.server.data(), 16);
    mix(&k.client_port, 2);
    mix(&k.server_port, 2);
    mix(&k.l4proto, 1);
    mix(&k.vlan_id, 2);
    return h;
}

}  // namespace rpcmon
