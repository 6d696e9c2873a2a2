// SPDX-License-Identifier: Apache-2.0
// Where packet records come from: the kernel's ring buffer (live) or a pcap file run through
// the same classifier (offline). Both hand the pipeline byte-identical rpcmon_packet_records.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "loader/bpf_loader.h"  // XdpMode
#include "output/record.h"
#include "stream/checksum.h"
#include "stream/consumer.h"

namespace rpcmon {

// Receives ring-buffer records (any type, header first) in arrival order.
class RecordHandler {
public:
    virtual ~RecordHandler() = default;
    // `record` starts with rpcmon_record_header; `wall_ts` is its time on the wall clock.
    virtual void onRecord(Bytes record, TimeNs wall_ts) = 0;
    // Called when input is idle or periodically, with the current (capture) time.
    virtual void onIdle(TimeNs now) = 0;
};

class PacketSource {
public:
    virtual ~PacketSource() = default;
    // Delivers records until `stop` becomes true or the input ends. Throws on fatal errors.
    virtual void run(RecordHandler& handler, const std::atomic<bool>& stop) = 0;
    // Counters of the capture stage (kernel counters live; classifier counters offline).
    virtual Json stats() const = 0;
    // Where endpoints learned from replies go (BPF watched map live, classifier offline).
    virtual EndpointLearner& learner() = 0;
    // Current time of this source (wall clock live, last packet time offline).
    virtual TimeNs now() const = 0;
};

// Names of enum rpcmon_counter, in order (JSON keys of stats lines).
const char* counterName(int id);

// Named counters of the capture stage (checksum judgements), printed in stats.capture.anomalies.
class CaptureCounters : public AnomalyCounter {
public:
    void count(const char* name, uint64_t n = 1) override { counts_[name] += n; }
    const std::map<std::string, uint64_t>& counts() const { return counts_; }

private:
    std::map<std::string, uint64_t> counts_;
};

// The watched-map entry for an endpoint a protocol layer learned (origin WATCHED). The caller
// sets added_ns/expires_ns in its own clock (monotonic live, capture time offline).
void watchedEntry(const LearnedEndpoint& ep, rpcmon_endpoint_key& key, rpcmon_endpoint_value& value);

struct PcapOptions {
    std::string path;
    uint32_t snaplen = RPCMON_OFFLINE_MAX_SNAPLEN;  // set lower to see what the agent would
    bool bulk_skip = true;  // run the kernel's bulk skipping too (what the agent delivers)
    // Frames the receiving host would drop for a bad checksum never reach the classifier.
    ChecksumMode checksums = ChecksumMode::Auto;
};
// Throws std::runtime_error("cannot read FILE: reason") for a missing or corrupt file.
std::unique_ptr<PacketSource> makePcapSource(const PcapOptions& opts);

struct LiveOptions {
    std::vector<std::string> interfaces;
    uint32_t snaplen = RPCMON_DEFAULT_SNAPLEN;
    // Per interface: auto = native XDP, else generic, else the socket filter alone for both
    // directions; off = socket filter alone everywhere.
    XdpMode xdp_mode = XdpMode::Auto;
    bool bulk_skip = true;    // kernel skips bulk data (NFS/SMB file data) of tracked flows
    bool host_hooks = true;   // also read Samba's named-pipe sockets on this host (hostsock.bpf.c)
    int poll_timeout_ms = 100;
};
// Loads and attaches the BPF programs. Throws with a clear reason (no such interface, missing
// privileges, XDP already attached).
std::unique_ptr<PacketSource> makeLiveSource(const LiveOptions& opts);

// The interface of the default IPv4 route (/proc/net/route), or "" if there is none.
std::string defaultRouteInterface();

}  // namespace rpcmon
