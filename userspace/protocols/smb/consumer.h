// SPDX-License-Identifier: Apache-2.0
// SmbConsumer: one per TCP 445/139 flow. Frames NBSS, parses SMB1/SMB2, keeps the
// session → tree → open-pipe state needed to say who opened which named pipe, hands pipe bytes
// to the DCE/RPC layer through PipeOpener, and emits `smb_session` and `smb_pipe` records.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"
#include "protocols/smb/anomalies.h"
#include "protocols/smb/auth.h"
#include "protocols/smb/nbss.h"
#include "protocols/smb/smb1.h"
#include "protocols/smb/smb2.h"
#include "stream/consumer.h"
#include "stream/pending_table.h"

namespace rpcmon::smb {

// Bounds on per-flow state; each overflow evicts the least recently used entry and counts.
// One client connection authenticates a handful of users ("smb.too_many_sessions").
inline constexpr size_t kMaxSessions = 64;
// Windows opens one tree per share per session; 256 covers a file server browse.
inline constexpr size_t kMaxTrees = 256;
// Open named pipes; 20-fids.pcap shows 20 at once, tools like impacket open few more.
inline constexpr size_t kMaxOpenPipes = 256;
// Outstanding requests. Windows grants at most 512 credits by default, so no more can be
// in flight; the rest are stale (a response we never saw) ("smb.too_many_pending").
inline constexpr size_t kMaxPending = 1024;
// Requests older than this are forgotten on tick (CHANGE_NOTIFY may legitimately wait for
// hours; nothing we report depends on such a reply).
inline constexpr TimeNs kPendingTimeout = 300ull * 1000000000ull;
// Largest message buffered whole. Pipe traffic is DCE/RPC fragments (frag_length is 16 bits,
// so <= 64 KiB plus SMB headers); anything larger is bulk file data, of which only a prefix
// holding the headers is parsed and the rest counted and skipped without copying.
inline constexpr size_t kMaxBufferedMessage = 128 * 1024;
// Prefix of a large message parsed before skipping: SMB2 header + READ/WRITE fixed part, or an
// SMB1 header with a short AndX chain, fit well within it.
inline constexpr size_t kLargeMessagePrefix = 512;

class SmbConsumer : public StreamConsumer {
public:
    // `pipes` may be null (pipe contents then ignored); `netbios_139` selects RFC 1002 session
    // framing (TCP 139) instead of direct hosting (TCP 445).
    SmbConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                PipeOpener* pipes, bool netbios_139);
    ~SmbConsumer() override;

    size_t onData(Direction dir, Bytes data, TimeNs ts) override;
    void onGap(Direction dir, uint64_t bytes) override;
    void onDatagram(Direction dir, Bytes data, TimeNs ts) override;  // SMB is TCP only: counted
    void onTick(TimeNs now) override;
    void onClose(TimeNs now) override;

    // Volume counters for stats lines (file data is counted, never copied).
    struct Stats {
        uint64_t messages = 0;
        uint64_t file_bytes_read = 0, file_bytes_written = 0;
        uint64_t pipe_bytes_to_server = 0, pipe_bytes_from_server = 0;
        uint64_t encrypted_messages = 0, encrypted_bytes = 0;
        uint64_t compressed_messages = 0;
    };
    const Stats& stats() const { return stats_; }
    size_t sessionCount() const { return sessions_.size(); }
    size_t treeCount() const { return trees_.size(); }
    size_t openPipeCount() const { return pipes_.size(); }
    size_t pendingCount() const { return pending_.size(); }
    const std::string& dialect() const { return dialect_; }

private:
    using FileKey = smb2::FileId;  // SMB1 FIDs are stored as {0, fid}

    struct Session {
        AuthInfo auth;
        bool legacy_auth = false;  // SMB1 non-extended security (LM/NTLM challenge-response)
        bool guest = false, null_session = false, encrypted = false;
        bool reported = false, reported_encrypted = false;
        TimeNs last_used = 0;
    };
    struct Tree {
        std::string share;
        bool is_ipc = false;
        bool encrypted = false;
        uint64_t session_id = 0;
        TimeNs last_used = 0;
    };
    struct OpenPipe {
        std::string name;
        uint64_t session_id = 0;
        uint32_t tree_id = 0;
        std::unique_ptr<EmbeddedStream> stream;
        TimeNs last_used = 0;
    };
    struct Pending {
        bool smb1 = false;
        uint16_t command = 0;                 // SMB2 command
        std::vector<uint8_t> smb1_commands;   // SMB1 AndX chain
        uint64_t session_id = 0;
        uint32_t tree_id = 0;
        FileKey file_id;
        std::string name;  // CREATE / NT_CREATE_ANDX name
        std::string path;  // TREE_CONNECT path
        std::vector<std::string> smb1_dialects;
        AuthInfo auth;
        bool has_auth = false;
        bool legacy_auth = false;
        uint32_t ctl_code = 0;
        // Input of a related-compound WRITE/IOCTL that names the FileId a CREATE earlier in
        // the same compound will return: delivered once the CREATE response opened the pipe.
        std::vector<uint8_t> deferred_input;
        bool deferred_complete = true;
        // A related request naming "the file the CREATE with this MessageId opens" (~0 if not):
        // file_id is set from that CREATE's response, whatever completes in between.
        uint64_t related_create_mid = ~0ull;
        TimeNs ts = 0;
    };
    struct DirState {
        bool desync = false;
        uint64_t skip = 0;  // bytes of a large message still to pass over
        // Length (header included) of the frame whose start was left unconsumed, 0 if none: a
        // gap inside it can be skipped without losing the framing.
        uint64_t partial_total = 0;
        // That frame is SMB2 file data (READ response / WRITE request whose data is not a
        // DCE/RPC PDU): a gap inside it concerns no named pipe.
        bool partial_file_data = false;
    };

    void handleMessage(Direction dir, Bytes msg, uint32_t declared, TimeNs ts, bool truncated);
    void handleControl(const NbssHeader& h);

    void handleSmb2(Bytes msg, TimeNs ts, bool truncated);
    // `chain_create_mid`: MessageId of the CREATE earlier in the same compound request (~0 if
    // none), whose FileId the all-ones FileId of a related request stands for.
    void smb2Request(const smb2::Message& m, TimeNs ts, bool truncated, uint64_t chain_create_mid);
    void smb2Response(const smb2::Message& m, TimeNs ts, bool truncated);
    void handleTransform(Bytes msg, uint32_t declared, TimeNs ts);

    void handleSmb1(Bytes msg, TimeNs ts, bool truncated);
    void smb1Request(Bytes msg, const smb1::Header& h, const std::vector<smb1::Block>& blocks, TimeNs ts, bool truncated);
    void smb1Response(Bytes msg, const smb1::Header& h, const std::vector<smb1::Block>& blocks, TimeNs ts, bool truncated);

    // State helpers.
    Session& session(uint64_t id, TimeNs now);
    void addPending(uint64_t key, Pending&& p);
    bool takePending(uint64_t key, Pending& out);
    Tree* findTree(uint32_t id);
    OpenPipe* findPipe(const FileKey& id);
    // The open pipe for a pipe-only operation, adopting a handle opened before the capture.
    OpenPipe* pipeForTransceive(const FileKey& fid, uint64_t sid, uint32_t tid, TimeNs ts);
    void insertPipe(const FileKey& fid, const std::string& name, uint64_t sid, uint32_t tid, SmbInfo smb, TimeNs ts);
    void setTree(uint32_t id, Tree&& t);
    void reportUnansweredSetup(const Pending& p);
    void completeSessionSetup(uint64_t sid, const Pending* p, const uint32_t* status, TimeNs ts);
    void mergeAuth(Session& s, const Pending& p);
    void pipeOpened(const Pending& p, uint64_t sid, uint32_t tid, const FileKey& fid, uint32_t status, TimeNs ts);
    void closePipe(const FileKey& id, TimeNs now);
    void feedPipe(const FileKey& id, Direction dir, Bytes data, bool complete, TimeNs ts);
    void feedDeferred(const Pending& p, TimeNs ts);

    // Output.
    SmbInfo smbKeys(uint64_t sid, const Tree* tree) const;  // user/domain/host/dialect/share
    void emitSession(uint64_t sid, Session& s, const uint32_t* status, TimeNs ts);
    void count(SmbAnomaly a, uint64_t n = 1) { anomalies_.count(a, n); }

    FlowContext flow_;
    RecordSink& sink_;
    AnomalyCounter& anomalies_;
    PipeOpener* opener_;
    NbssMode mode_;
    std::array<DirState, 2> dirs_{};
    std::string dialect_;
    std::map<uint64_t, Session> sessions_;
    std::map<uint32_t, Tree> trees_;
    std::map<FileKey, OpenPipe> pipes_;
    PendingTable<uint64_t, Pending> pending_;  // by message id (SMB1: mid and pid), oldest first
    FileKey last_created_{};  // resolves related-compound FileId sentinels
    Stats stats_;
    bool closed_ = false;
};

}  // namespace rpcmon::smb
