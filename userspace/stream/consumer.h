// SPDX-License-Identifier: Apache-2.0
// The contract between the stream layer (TCP reassembly, UDP datagrams) and the application
// parsers (ONC RPC, NetBIOS/SMB, DCE/RPC). One consumer instance per transport flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"
#include "stream/anomaly_table.h"

namespace rpcmon {

// Named anomaly counters shared by all layers (SCHEMA "parse errors by name"). A layer calls
// count(OncAnomaly::BadRecordMark); the name comes from the layer's one table (anomalies.h) and
// stats lines print every name with its total.
class AnomalyCounter {
public:
    virtual ~AnomalyCounter() = default;
    virtual void count(const char* name, uint64_t n = 1) = 0;
    template <typename E, typename = decltype(anomalyInfo(E{}))>
    void count(E e, uint64_t n = 1) {
        count(anomalyInfo(e).name, n);
    }
};

// An RPC server endpoint learned from a reply (portmapper GETPORT/GETADDR/DUMP, endpoint
// mapper towers). The pipeline pushes it into the BPF watched map (live) and the offline
// classifier (pcap) so traffic to it is classified and dissected; it expires at `expires`.
struct LearnedEndpoint {
    Address addr{};         // IPv4-mapped for IPv4; the replying server's address if unspecified
    uint16_t port = 0;
    uint8_t l4proto = 0;    // IPPROTO_TCP / IPPROTO_UDP
    uint8_t app = 0;        // enum rpcmon_app: RPCMON_APP_ONC or RPCMON_APP_DCERPC
    uint32_t program = 0;   // ONC program number (0 for DCE/RPC)
    std::string name;       // program or interface name, for logs
    TimeNs expires = 0;
};

class EndpointLearner {
public:
    virtual ~EndpointLearner() = default;
    virtual void learn(const LearnedEndpoint& ep) = 0;
};

class StreamConsumer {
public:
    virtual ~StreamConsumer() = default;

    // TCP: contiguous in-order bytes of one direction, starting where the previous call's
    // unconsumed bytes began. Returns how many bytes from the front were consumed; the rest are
    // presented again, with more appended, on the next call. `ts` is the time of the newest
    // segment that contributed. The stream layer bounds what it keeps unconsumed: past the
    // budget it discards and reports onGap().
    virtual size_t onData(Direction dir, Bytes data, TimeNs ts) = 0;

    // TCP: `bytes` bytes of this direction are lost (capture loss, snap length, budget),
    // counted from the end of what the consumer consumed (bytes it left unconsumed are dropped
    // and included). A consumer that knows its frame length may skip the hole and stay in sync;
    // otherwise it resynchronises (finds the next frame boundary) in the next onData().
    virtual void onGap(Direction dir, uint64_t bytes) = 0;

    // UDP: one datagram.
    virtual void onDatagram(Direction dir, Bytes data, TimeNs ts) = 0;

    // Called regularly with the current (capture) time so consumers expire pending calls.
    virtual void onTick(TimeNs now) = 0;

    // The flow ended (FIN/RST both ways, idle timeout, eviction, end of capture): report all
    // pending calls (requests without reply get rpc.reply = null).
    virtual void onClose(TimeNs now) = 0;
};

}  // namespace rpcmon

namespace rpcmon {

// A byte stream carried inside another protocol (an SMB named pipe) handed to an RPC parser.
// Unlike StreamConsumer it buffers internally (bounded): feed() takes every byte it is given.
class EmbeddedStream {
public:
    virtual ~EmbeddedStream() = default;
    virtual void feed(Direction dir, Bytes data, TimeNs ts) = 0;
    virtual void onGap(Direction dir) = 0;
    virtual void onTick(TimeNs now) = 0;
    virtual void onClose(TimeNs now) = 0;
};

// What the SMB layer knows about a named pipe when it is opened.
struct PipeInfo {
    std::string pipe_name;  // "samr", "lsarpc", ... (no "\\PIPE\\" prefix)
    SmbInfo smb;            // the session's smb.* keys: user, domain, host, share, dialect
};

// Creates the parser for a named pipe's contents (the DCE/RPC layer implements this).
class PipeOpener {
public:
    virtual ~PipeOpener() = default;
    virtual std::unique_ptr<EmbeddedStream> openPipe(const FlowContext& flow, const PipeInfo& pipe) = 0;
};

}  // namespace rpcmon
