// SPDX-License-Identifier: Apache-2.0
// EVE-style JSON records (../shared/SCHEMA.md): one ordered JSON object per line.
// Calls, SMB sessions and pipe opens travel as typed events (output/event.h); the rarer
// records (binds, packets, alerts, stats) are built with makeRecord() as JSON.
#pragma once

#include <string>

#include "core/json.h"
#include "core/types.h"
#include "output/event.h"

namespace rpcmon {

// Receives finished records (rpc calls, smb sessions, alerts, stats) in emission order.
class RecordSink {
public:
    virtual ~RecordSink() = default;
    virtual void emit(Json&& record) = 0;
    // A record the caller keeps (shared with a detector's suppression window). Sinks that only
    // read the record (writers) override this to skip the copy.
    virtual void emitView(const Json& record) { emit(Json(record)); }
    // A typed event. A sink that does not read events yet gets its JSON record.
    virtual void emitEvent(Event&& ev) { emit(toJson(ev)); }
    // A typed event the caller keeps (shared with a detector's suppression window).
    virtual void emitEventView(const Event& ev) { emitEvent(Event(ev)); }
};

// "2026-11-24T09:18:01.123456+0000" (UTC, microseconds), Suricata's EVE timestamp format.
std::string formatTimestamp(TimeNs t);
// The same text into `out` (kTimestampTextLen bytes, no terminator), without gmtime or printf:
// every record and alert carries one or more.
inline constexpr size_t kTimestampTextLen = 31;
void formatTimestampTo(char* out, TimeNs t);

// Common keys of every flow-bound line: timestamp, flow_id, event_type, src/dest ip and port
// (client = src, server = dest), proto.
Json makeRecord(const FlowContext& flow, TimeNs ts, const char* event_type);

}  // namespace rpcmon
