// SPDX-License-Identifier: Apache-2.0
// Checksums of a frame as the receiving host judges them: a segment whose TCP/UDP checksum (or
// IPv4 header checksum) is wrong is dropped by the host's stack, so it must not enter rpcmon's
// streams either - otherwise a copy with a broken checksum, sent before the real segment, would
// be what rpcmon parses (insertion evasion). Suricata's -k: `--checksums auto|on|off`.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/byte_reader.h"
#include "core/types.h"
#include "stream/consumer.h"

namespace rpcmon {

enum class ChecksumMode {
    Off,   // trust every frame (captures whose checksums are known to be meaningless)
    On,    // every checksum must be right
    // Validate, but accept what a capture on a sending host shows for checksums left to the NIC
    // (transmit offload): a TCP/UDP checksum field holding only the pseudo-header sum
    // (Linux's CHECKSUM_PARTIAL, also on veth) and an IPv4 header checksum of 0. Offline
    // (ChecksumValidator) also: a source is judged only once it has sent one valid checksum,
    // so captures whose checksums mean nothing (offloaded, crafted) keep working while an
    // attacker, whose real segments must carry valid checksums, cannot insert bad ones.
    Auto,
};

// "auto" / "on" / "off"; false for anything else.
bool parseChecksumMode(const std::string& text, ChecksumMode& mode);
const char* checksumModeName(ChecksumMode mode);

// Checks one Ethernet frame (one VLAN tag at most). False: the host would drop it; counted as
// ip.bad_checksum / tcp.bad_checksum / udp.bad_checksum. Accepted offloaded checksums are
// counted as ip/tcp/udp.checksum_offloaded, frames cut short of their IP length (nothing to
// verify) as checksum.unverified. The L4 checksum of a fragment is checked after reassembly.
bool checksumsAccept(Bytes frame, ChecksumMode mode, AnomalyCounter& counters);

// What one frame's checksums say (no policy).
struct ChecksumInspection {
    enum Verdict : uint8_t { NotChecked, Good, Bad, Offloaded, Unverifiable };
    Verdict ip = NotChecked;  // IPv4 header (Offloaded: field 0); IPv6 has none
    Verdict l4 = NotChecked;  // TCP/UDP of a whole datagram (Offloaded: pseudo-header sum only)
    uint8_t proto = 0;
    Address src{};  // IPv4-mapped for IPv4
};
ChecksumInspection inspectChecksums(Bytes frame);

// `auto` for a capture: as checksumsAccept, but bad checksums from a source that has not yet
// sent a valid one (IPv4 header, TCP and UDP each on their own) are accepted (counted as ip/tcp/udp.checksum_unproven_source): its
// checksums are not computed where the capture was taken. Sources are bounded (max_sources;
// beyond it new sources are judged strictly, checksum.sources_full). Other modes: checksumsAccept.
class ChecksumValidator {
public:
    ChecksumValidator(ChecksumMode mode, AnomalyCounter& counters, size_t max_sources = 65536)
        : mode_(mode), counters_(counters), max_sources_(max_sources) {}
    bool accept(Bytes frame);
    ChecksumMode mode() const { return mode_; }

private:
    struct AddrHash {
        size_t operator()(const Address& a) const {
            uint64_t h = 1469598103934665603ull;
            for (uint8_t b : a) h = (h ^ b) * 1099511628211ull;
            return h;
        }
    };
    static constexpr uint8_t kIpProven = 1, kTcpProven = 2, kUdpProven = 4;
    ChecksumMode mode_;
    AnomalyCounter& counters_;
    size_t max_sources_;
    std::unordered_map<Address, uint8_t, AddrHash> sources_;
};

// One's-complement sum of `data` added to `sum` (not folded, not complemented).
uint32_t onesComplementAdd(uint32_t sum, Bytes data);

}  // namespace rpcmon
