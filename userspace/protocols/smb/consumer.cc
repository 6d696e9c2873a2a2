// SPDX-License-Identifier: Apache-2.0
// SmbConsumer construction and NetBIOS session framing (RFC 1002 4.3): messages are cut
// out of the byte stream here, file-data frames skipped, gaps resynchronised, and each
// message handed to the SMB1 (consumer_smb1.cc) or SMB2 (consumer_smb2.cc) handler. Session,
// tree and pipe state is in consumer_state.cc.
#include "protocols/smb/consumer.h"

#include "protocols/smb/types.h"

namespace rpcmon::smb {

namespace {

size_t idx(Direction d) { return static_cast<size_t>(d); }

}  // namespace

SmbConsumer::SmbConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                         PipeOpener* pipes, bool netbios_139)
    : flow_(flow), sink_(sink), anomalies_(anomalies), opener_(pipes),
      mode_(netbios_139 ? NbssMode::NetBios139 : NbssMode::Direct445), pending_(kMaxPending) {}

SmbConsumer::~SmbConsumer() = default;

// ---------------------------------------------------------------------------------------------
// Framing

namespace {
// The kernel's bulk test (include/rpcmon/flow_track.h, rpcmon_track_smb_bulk) on the start of a
// frame (NBSS header first): an SMB2 READ response or WRITE request whose data does not start
// with a DCE/RPC header, or an encrypted message. Such a frame is file data, not a pipe's.
bool isFileDataFrame(Bytes frame) {
    if (frame.size() < kNbssHeaderSize + 64 + 4) return false;
    Bytes m = frame.subspan(kNbssHeaderSize);
    if (magicOf(m) == Magic::Transform) return true;
    if (magicOf(m) != Magic::Smb2) return false;
    uint16_t cmd = static_cast<uint16_t>(m[12] | (m[13] << 8));
    bool response = m[16] & 1;
    size_t data_off;
    if (cmd == 8 && response) data_off = m[64 + 2];
    else if (cmd == 9 && !response) data_off = static_cast<size_t>(m[64 + 2] | (m[64 + 3] << 8));
    else return false;
    if (data_off < 64 || data_off > 1024 || m.size() < data_off + 4) return false;
    return !(m[data_off] == 5 && m[data_off + 1] <= 1 && m[data_off + 2] <= 19);
}
}  // namespace

size_t SmbConsumer::onData(Direction dir, Bytes data, TimeNs ts) {
    DirState& d = dirs_[idx(dir)];
    d.partial_total = 0;
    d.partial_file_data = false;
    size_t pos = 0;
    while (pos < data.size()) {
        Bytes rest = data.subspan(pos);
        if (d.skip > 0) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(d.skip, rest.size()));
            d.skip -= n;
            pos += n;
            continue;
        }
        if (d.desync) {
            NbssBoundary b = findNbssBoundary(rest, mode_);
            pos += b.offset;
            if (!b.found) break;
            d.desync = false;
            continue;
        }
        NbssHeader h;
        ParseState st = parseNbssHeader(rest, mode_, h);
        if (st == ParseState::NeedsMoreData) break;
        if (st != ParseState::Success ||
            (h.type == NbssType::SessionMessage && h.length > 0 && h.length < kNbssMinSmbMessage)) {
            count(SmbAnomaly::BadNbss);
            d.desync = true;
            pos += 1;  // the boundary search must not find this header again
            continue;
        }
        const size_t total = kNbssHeaderSize + h.length;
        if (h.type != NbssType::SessionMessage) {
            if (rest.size() < total) break;
            handleControl(h);
            pos += total;
            continue;
        }
        if (h.length == 0) {  // empty session message: keeps the connection alive
            pos += total;
            continue;
        }
        if (rest.size() < kNbssHeaderSize + 4) {
            d.partial_total = total;
            break;
        }
        if (magicOf(rest.subspan(kNbssHeaderSize, 4)) == Magic::None) {
            count(SmbAnomaly::BadHeader);
            d.desync = true;
            pos += 1;
            continue;
        }
        if (rest.size() >= total) {
            handleMessage(dir, rest.subspan(kNbssHeaderSize, h.length), h.length, ts, false);
            pos += total;
            continue;
        }
        if (h.length > kMaxBufferedMessage) {
            if (rest.size() < kNbssHeaderSize + kLargeMessagePrefix) {
                d.partial_total = total;
                d.partial_file_data = isFileDataFrame(rest);
                break;
            }
            handleMessage(dir, rest.subspan(kNbssHeaderSize), h.length, ts, true);
            d.skip = total - rest.size();
            pos = data.size();
            continue;
        }
        d.partial_total = total;
        d.partial_file_data = isFileDataFrame(rest);
        break;  // wait for the rest of a message we buffer whole
    }
    return pos;
}

void SmbConsumer::onGap(Direction dir, uint64_t bytes) {
    DirState& d = dirs_[idx(dir)];
    if (d.skip >= bytes && d.skip > 0) {
        // The loss falls inside bulk data we were skipping anyway: framing is intact.
        d.skip -= bytes;
        return;
    }
    // The hole starts where we stopped consuming. If that was the start of a frame whose
    // length we know and the hole ends inside it, skip the rest of that frame and stay in sync.
    if (!d.desync && d.partial_total > 0 && bytes <= d.partial_total) {
        d.skip = d.partial_total - bytes;
        d.partial_total = 0;
        if (d.partial_file_data) {
            // File data (typically skipped by the kernel on purpose): no pipe lost anything.
            count(SmbAnomaly::FileDataCut);
            return;
        }
        count(SmbAnomaly::Gap);
        for (auto& [id, p] : pipes_)
            if (p.stream) p.stream->onGap(dir);
        return;
    }
    count(SmbAnomaly::Gap);
    for (auto& [id, p] : pipes_)
        if (p.stream) p.stream->onGap(dir);
    d.skip = 0;
    d.partial_total = 0;
    d.desync = true;
}

void SmbConsumer::onDatagram(Direction, Bytes, TimeNs) { count(SmbAnomaly::UnexpectedDatagram); }

void SmbConsumer::onTick(TimeNs now) {
    pending_.expire([&](const Pending& p) { return now > p.ts && now - p.ts > kPendingTimeout; },
                    [&](uint64_t, Pending& p) { reportUnansweredSetup(p); });
    for (auto& [id, p] : pipes_)
        if (p.stream) p.stream->onTick(now);
}

void SmbConsumer::onClose(TimeNs now) {
    if (closed_) return;
    closed_ = true;
    pending_.drain([&](uint64_t, Pending& p) { reportUnansweredSetup(p); });
    for (auto& [id, p] : pipes_)
        if (p.stream) p.stream->onClose(now);
    pipes_.clear();
}

void SmbConsumer::reportUnansweredSetup(const Pending& p) {
    // A final session-setup leg whose response never came is still a logon attempt: report it
    // without a status.
    bool is_setup = p.smb1 ? std::find(p.smb1_commands.begin(), p.smb1_commands.end(),
                                       smb1::kSessionSetupAndX) != p.smb1_commands.end()
                           : p.command == smb2::kSessionSetup;
    if (is_setup && p.has_auth && (p.auth.identifies_client() || p.legacy_auth))
        completeSessionSetup(p.session_id, &p, nullptr, p.ts);
}

void SmbConsumer::handleControl(const NbssHeader& h) {
    if (h.type == NbssType::NegativeResponse) count(SmbAnomaly::NbssNegativeResponse);
}

void SmbConsumer::handleMessage(Direction, Bytes msg, uint32_t declared, TimeNs ts, bool truncated) {
    stats_.messages++;
    switch (magicOf(msg)) {
    case Magic::Smb2: handleSmb2(msg, ts, truncated); break;
    case Magic::Smb1: handleSmb1(msg, ts, truncated); break;
    case Magic::Transform: handleTransform(msg, declared, ts); break;
    case Magic::Compressed:
        // [MS-SMB2] 2.2.42: decompressing is out of scope; count so the blind spot is visible.
        stats_.compressed_messages++;
        count(SmbAnomaly::CompressedMessages);
        break;
    case Magic::None: count(SmbAnomaly::BadHeader); break;
    }
}

}  // namespace rpcmon::smb
