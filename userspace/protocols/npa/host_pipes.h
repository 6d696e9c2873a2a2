// SPDX-License-Identifier: Apache-2.0
// Named pipes read on the host (rpc.vantage "host"): the bytes of Samba's np/ hand-off
// sockets, from the host-socket source (include/rpcmon/host_wire.h), turned into the same
// `rpc` records as pipes read from SMB on the wire. Per socket: the NPAM handshake
// (handshake.h: addresses, ports, account, domain; the session key wiped at once), then
// [u16 little-endian length][payload] messages whose payloads are the pipe's DCE/RPC bytes,
// handed to the DCE/RPC connection code (which reassembles PDUs by frag_len).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"
#include "protocols/dcerpc/connection.h"
#include "rpcmon/host_wire.h"
#include "stream/consumer.h"

namespace rpcmon::npa {

// Pipes followed at once: Samba opens one socket per open pipe handle; past this the least
// recently used one is ended (npa.pipes_evicted).
constexpr size_t kMaxPipes = 4096;
// A pipe with no traffic for this long is ended (its pending calls reported). Clients keep
// pipes open between calls, but rarely for long; the socket's EOF ends it sooner.
constexpr TimeNs kPipeIdleNs = 900ull * 1000000000ull;
// Bytes all pipes may hold while waiting for the rest of a handshake or message (a message
// is at most 64 KiB): a local process filling many np/ sockets with partial messages cannot
// grow the agent past this; the pipe that would is given up (npa.buffer_budget_exceeded).
constexpr size_t kMaxBufferedBytes = 32u << 20;

// The wire flow id of a TCP flow (client/server key), or 0 when the wire does not know it.
using FlowIdLookup = std::function<uint64_t(const FlowKey&)>;

// Passes the wire's records on and remembers which SMB connections the wire reads in the
// clear (smb_session with smb.encrypted false): their pipe calls are already reported from the
// wire, so the host side stays silent on them (each call once, not twice).
class WireSessions : public RecordSink {
public:
    explicit WireSessions(RecordSink& next) : next_(next) {}
    void emit(Json&& rec) override;
    void emitEvent(Event&& ev) override;
    // True when the wire saw this flow's SMB session set up without encryption.
    bool readableOnWire(uint64_t flow_id) const;

private:
    // Sessions remembered; past this the table starts over (the host side then reports
    // calls of old clear sessions too: duplicates, never losses).
    static constexpr size_t kMaxSessions = 65536;
    RecordSink& next_;
    std::map<uint64_t, bool> clear_;  // flow_id -> the last session on it was unencrypted
};

class HostPipes {
public:
    // `dce`: the same DCE/RPC limits (limits.protocols.dcerpc_*) as wire connections.
    HostPipes(RecordSink& sink, AnomalyCounter& anomalies, FlowIdLookup lookup = {},
              const WireSessions* wire = nullptr, dcerpc::ConnectionConfig dce = {});
    ~HostPipes();

    // One rpcmon_host_msg_record (header already checked) and its payload.
    void onRecord(const rpcmon_host_msg_record& rec, Bytes payload, TimeNs ts);
    void tick(TimeNs now);
    void closeAll(TimeNs now);
    Json stats() const;
    size_t size() const { return pipes_.size(); }
    size_t bufferedBytes() const { return buffered_; }

private:
    struct Pipe;
    using Key = std::pair<uint64_t, uint64_t>;  // (struct sock address, inode)
    void end(std::map<Key, std::unique_ptr<Pipe>>::iterator it, TimeNs now);
    void feed(Pipe& p, const rpcmon_host_msg_record& rec, Bytes payload, TimeNs ts);
    // Re-counts what `p` holds into buffered_.
    void account(Pipe& p);

    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    FlowIdLookup lookup_;
    const WireSessions* wire_;
    dcerpc::ConnectionConfig dce_;
    std::map<Key, std::unique_ptr<Pipe>> pipes_;
    uint64_t next_flow_id_ = 0;
    size_t buffered_ = 0;
    uint64_t created_ = 0, ended_ = 0, evicted_ = 0, handshakes_ = 0, records_ = 0, bytes_ = 0;
    std::map<uint32_t, uint64_t> levels_;
};

}  // namespace rpcmon::npa
