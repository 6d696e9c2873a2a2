// SPDX-License-Identifier: Apache-2.0
// The contract between the stream layer (TCP reassembly, UDP datagrams) and the application
// parsers (ONC RPC, NetBIOS/SMB, DCE/RPC). One consumer instance per transport flow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"

namespace rpcmon {

// Named anomaly counters shared by all layers (SCHEMA "parse errors by name"). A layer calls
// count("onc.bad_record_mark"); stats lines print every name with its total.
class AnomalyCounter {
public:
    virtual ~AnomalyCounter() = default;
    virtual void count(const char* name, uint64_t n = 1) = 0;
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

    // TCP: `bytes` bytes of this direction are lost (capture loss, snap length, budget). Any
    // partly parsed frame must be dropped; the next onData() starts at an arbitrary offset and
    // the consumer resynchronises (finds the next frame boundary).
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
