// SPDX-License-Identifier: Apache-2.0
// Small value types shared by every user-space layer: time, endpoints, flows, counters.
#pragma once

#include <array>
#include <cstdint>
#include <compare>
#include <string>
#include <string_view>

#include "rpcmon/wire.h"

namespace rpcmon {

// Wall-clock time in nanoseconds since the Unix epoch (pcap time offline).
using TimeNs = uint64_t;

// Which way bytes travel relative to the RPC server (the side that listens).
enum class Direction : uint8_t { ToServer = 0, FromServer = 1 };

inline Direction reverse(Direction d) {
    return d == Direction::ToServer ? Direction::FromServer : Direction::ToServer;
}

using Address = std::array<uint8_t, 16>;  // IPv4 stored IPv4-mapped (::ffff:a.b.c.d)

std::string formatAddress(const Address& a);  // "10.0.0.1" or "fe80::1"
bool isV4Mapped(const Address& a);
// formatAddress into `out` (at least kAddressTextMax bytes), returning the text's length:
// IPv4 without inet_ntop, as records need two addresses each on the hot path.
inline constexpr size_t kAddressTextMax = 46;  // INET6_ADDRSTRLEN
size_t formatAddressTo(char* out, const Address& a);

// 128-bit DCE UUID in host form (C706 Appendix A): interface, object and activity ids.
struct Uuid {
    uint32_t d1 = 0;
    uint16_t d2 = 0, d3 = 0;
    std::array<uint8_t, 8> d4{};
    bool operator==(const Uuid&) const = default;
    auto operator<=>(const Uuid&) const = default;
    bool isNil() const { return *this == Uuid{}; }
    std::string toString() const;  // "12345778-1234-abcd-ef00-0123456789ac"
    // The same 36 characters into `out`, returning the end (no printf: records and alerts
    // format UUIDs on the hot path).
    char* write(char* out) const;
    static bool parse(std::string_view s, Uuid& out);
};

// The client/server view of a transport flow: fixed at flow creation, never flips.
struct FlowKey {
    Address client{};
    Address server{};
    uint16_t client_port = 0;
    uint16_t server_port = 0;
    uint8_t l4proto = 0;  // IPPROTO_TCP / IPPROTO_UDP
    uint16_t vlan_id = 0;
    bool operator==(const FlowKey&) const = default;
};

struct FlowKeyHash {
    size_t operator()(const FlowKey& k) const;
};

// What a protocol layer needs to know about the flow its bytes belong to.
struct FlowContext {
    FlowKey key;
    uint64_t flow_id = 0;  // stable id of the transport flow (SCHEMA flow_id)
    uint8_t app = RPCMON_APP_NONE;  // enum rpcmon_app
};

}  // namespace rpcmon
