// SPDX-License-Identifier: Apache-2.0
#include "protocols/smb/consumer.h"

#include <strings.h>

#include <algorithm>

#include "protocols/smb/types.h"

namespace rpcmon::smb {

namespace {

size_t idx(Direction d) { return static_cast<size_t>(d); }

// SMB1 requests are matched by (PID, MID); tag bit 63 keeps the key apart from SMB2 message ids.
uint64_t smb1Key(const smb1::Header& h) {
    return (1ull << 63) | (uint64_t(h.pid_high) << 32) | (uint64_t(h.pid) << 16) | h.mid;
}

template <class Map>
void evictOldest(Map& m) {
    auto victim = std::min_element(m.begin(), m.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
    });
    if (victim != m.end()) m.erase(victim);
}

bool isIpcShare(const std::string& share) { return strcasecmp(share.c_str(), "IPC$") == 0; }

}  // namespace

SmbConsumer::SmbConsumer(const FlowContext& flow, RecordSink& sink, AnomalyCounter& anomalies,
                         PipeOpener* pipes, bool netbios_139)
    : flow_(flow), sink_(sink), anomalies_(anomalies), opener_(pipes),
      mode_(netbios_139 ? NbssMode::NetBios139 : NbssMode::Direct445) {}

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
            count("smb.bad_nbss");
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
            count("smb.bad_header");
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
            count("smb.file_data_cut");
            return;
        }
        count("smb.gap");
        for (auto& [id, p] : pipes_)
            if (p.stream) p.stream->onGap(dir);
        return;
    }
    count("smb.gap");
    for (auto& [id, p] : pipes_)
        if (p.stream) p.stream->onGap(dir);
    d.skip = 0;
    d.partial_total = 0;
    d.desync = true;
}

void SmbConsumer::onDatagram(Direction, Bytes, TimeNs) { count("smb.unexpected_datagram"); }

void SmbConsumer::onTick(TimeNs now) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (now > it->second.ts && now - it->second.ts > kPendingTimeout) {
            reportUnansweredSetup(it->second);
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& [id, p] : pipes_)
        if (p.stream) p.stream->onTick(now);
}

void SmbConsumer::onClose(TimeNs now) {
    if (closed_) return;
    closed_ = true;
    for (auto& [key, p] : pending_) reportUnansweredSetup(p);
    pending_.clear();
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
    if (h.type == NbssType::NegativeResponse) count("smb.nbss_negative_response");
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
        count("smb.compressed_messages");
        break;
    case Magic::None: count("smb.bad_header"); break;
    }
}

// ---------------------------------------------------------------------------------------------
// State helpers

SmbConsumer::Session& SmbConsumer::session(uint64_t id, TimeNs now) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        if (sessions_.size() >= kMaxSessions) {
            count("smb.too_many_sessions");
            evictOldest(sessions_);
        }
        it = sessions_.emplace(id, Session{}).first;
    }
    it->second.last_used = now;
    return it->second;
}

void SmbConsumer::addPending(uint64_t key, Pending&& p) {
    if (pending_.size() >= kMaxPending && !pending_.count(key)) {
        count("smb.too_many_pending");
        auto victim = std::min_element(pending_.begin(), pending_.end(),
                                       [](const auto& a, const auto& b) { return a.second.ts < b.second.ts; });
        pending_.erase(victim);
    }
    pending_[key] = std::move(p);
}

bool SmbConsumer::takePending(uint64_t key, Pending& out) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return false;
    out = std::move(it->second);
    pending_.erase(it);
    return true;
}

SmbConsumer::Tree* SmbConsumer::findTree(uint32_t id) {
    auto it = trees_.find(id);
    return it == trees_.end() ? nullptr : &it->second;
}

SmbConsumer::OpenPipe* SmbConsumer::findPipe(const FileKey& id) {
    auto it = pipes_.find(id.isRelatedSentinel() ? last_created_ : id);
    return it == pipes_.end() ? nullptr : &it->second;
}

void SmbConsumer::setTree(uint32_t id, Tree&& t) {
    if (!trees_.count(id) && trees_.size() >= kMaxTrees) {
        count("smb.too_many_trees");
        evictOldest(trees_);
    }
    trees_[id] = std::move(t);
}

void SmbConsumer::mergeAuth(Session& s, const Pending& p) {
    if (!p.has_auth) return;
    if (p.auth.mech != AuthMech::Unknown) s.auth.mech = p.auth.mech;
    if (p.auth.ntlm_message_type == 3 || p.legacy_auth) {
        s.auth.user = p.auth.user;
        s.auth.domain = p.auth.domain;
        s.auth.host = p.auth.host;
        s.auth.anonymous = p.auth.anonymous;
        s.auth.ntlm_message_type = 3;
    }
    if (!p.auth.krb_realm.empty()) s.auth.krb_realm = p.auth.krb_realm;
    if (!p.auth.krb_sname.empty()) s.auth.krb_sname = p.auth.krb_sname;
    s.legacy_auth = s.legacy_auth || p.legacy_auth;
}

void SmbConsumer::completeSessionSetup(uint64_t sid, const Pending* p, const uint32_t* status, TimeNs ts) {
    Session& s = session(sid, ts);
    if (p) mergeAuth(s, *p);
    emitSession(sid, s, status, p ? p->ts : ts);
}

Json SmbConsumer::smbKeys(uint64_t sid, const Tree* tree) const {
    Json smb = Json::object();
    auto it = sessions_.find(sid);
    if (it != sessions_.end()) {
        const AuthInfo& a = it->second.auth;
        if (!a.user.empty()) smb["user"] = a.user;
        if (!a.domain.empty()) smb["domain"] = a.domain;
        if (!a.host.empty()) smb["host"] = a.host;
    }
    if (tree && !tree->share.empty()) smb["share"] = tree->share;
    if (!dialect_.empty()) smb["dialect"] = dialect_;
    return smb;
}

void SmbConsumer::emitSession(uint64_t sid, Session& s, const uint32_t* status, TimeNs ts) {
    Json rec = makeRecord(flow_, ts, "smb_session");
    Json smb = smbKeys(sid, nullptr);
    smb["session_id"] = sid;
    const char* auth = nullptr;
    if (s.auth.anonymous || s.null_session) auth = "anonymous";
    else if (s.auth.mech == AuthMech::Ntlmssp) auth = "ntlmssp";
    else if (s.auth.mech == AuthMech::Kerberos) auth = "kerberos";
    else if (s.legacy_auth) auth = "ntlm";  // SMB1 non-extended: LM/NTLM challenge-response
    if (auth) smb["auth"] = auth;
    smb["encrypted"] = s.encrypted;
    if (status) smb["status"] = statusName(*status);
    if (s.guest) smb["guest"] = true;
    if (!s.auth.krb_realm.empty()) smb["kerberos"]["realm"] = s.auth.krb_realm;
    if (!s.auth.krb_sname.empty()) smb["kerberos"]["sname"] = s.auth.krb_sname;
    rec["smb"] = std::move(smb);
    sink_.emit(std::move(rec));
    s.reported = true;
    if (s.encrypted) s.reported_encrypted = true;
}

void SmbConsumer::pipeOpened(const Pending& p, uint64_t sid, uint32_t tid, const FileKey& fid,
                             uint32_t status, TimeNs ts) {
    Tree* tree = findTree(tid);
    const std::string name = pipeNameFromPath(p.name);
    Json smb = smbKeys(sid, tree);
    Json rec = makeRecord(flow_, p.ts ? p.ts : ts, "smb_pipe");
    Json out = smb;
    out["session_id"] = sid;
    out["pipe"] = name;
    out["status"] = statusName(status);
    rec["smb"] = std::move(out);
    sink_.emit(std::move(rec));
    if (status != kStatusSuccess) return;

    if (pipes_.count(fid)) closePipe(fid, ts);  // handle reused: the old pipe is gone
    insertPipe(fid, name, sid, tid, std::move(smb), ts);
}

SmbConsumer::OpenPipe* SmbConsumer::pipeForTransceive(const FileKey& fid, uint64_t sid, uint32_t tid, TimeNs ts) {
    if (OpenPipe* p = findPipe(fid)) return p;
    // TransactNmPipe and FSCTL_PIPE_TRANSCEIVE only work on named pipes: a handle we never saw
    // opened was opened before the capture (or the agent) started. Follow it without a name
    // rather than lose its calls.
    count("smb.pipe_adopted_midstream");
    insertPipe(fid, "", sid, tid, smbKeys(sid, findTree(tid)), ts);
    return findPipe(fid);
}

void SmbConsumer::insertPipe(const FileKey& fid, const std::string& name, uint64_t sid, uint32_t tid, Json smb,
                             TimeNs ts) {
    if (pipes_.size() >= kMaxOpenPipes) {
        count("smb.too_many_files");
        auto victim = std::min_element(pipes_.begin(), pipes_.end(), [](const auto& a, const auto& b) {
            return a.second.last_used < b.second.last_used;
        });
        closePipe(victim->first, ts);
    }
    OpenPipe op;
    op.name = name;
    op.session_id = sid;
    op.tree_id = tid;
    op.last_used = ts;
    if (opener_) op.stream = opener_->openPipe(flow_, PipeInfo{name, smb});
    pipes_.emplace(fid, std::move(op));
}

void SmbConsumer::closePipe(const FileKey& id, TimeNs now) {
    auto it = pipes_.find(id);
    if (it == pipes_.end()) return;
    if (it->second.stream) it->second.stream->onClose(now);
    pipes_.erase(it);
}

void SmbConsumer::feedPipe(const FileKey& id, Direction dir, Bytes data, bool complete, TimeNs ts) {
    OpenPipe* p = findPipe(id);
    if (!p) return;
    p->last_used = ts;
    if (dir == Direction::ToServer) stats_.pipe_bytes_to_server += data.size();
    else stats_.pipe_bytes_from_server += data.size();
    if (!p->stream) return;
    if (!complete) {
        // Part of the message was not buffered (larger than kMaxBufferedMessage): a partial
        // DCE/RPC fragment would only mislead the parser.
        count("smb.pipe_truncated");
        p->stream->onGap(dir);
        return;
    }
    if (!data.empty()) p->stream->feed(dir, data, ts);
}

void SmbConsumer::feedDeferred(const Pending& p, TimeNs ts) {
    if (p.deferred_input.empty() && p.deferred_complete) return;
    feedPipe(p.file_id, Direction::ToServer, p.deferred_input, p.deferred_complete, p.ts ? p.ts : ts);
}

// ---------------------------------------------------------------------------------------------
// SMB2

void SmbConsumer::handleSmb2(Bytes msg, TimeNs ts, bool truncated) {
    std::vector<smb2::Message> chain;
    ParseState st = smb2::splitCompound(msg, chain, truncated);
    if (st == ParseState::Invalid) {
        smb2::Header h;
        if (chain.empty()) {
            ParseState hs = smb2::parseHeader(msg, h);
            count(hs == ParseState::Success ? "smb.bad_compound"
                  : hs == ParseState::NeedsMoreData ? "smb.truncated" : "smb.bad_header");
        } else {
            count("smb.bad_compound");
        }
    }
    uint64_t prev_sid = 0;
    uint32_t prev_tid = 0;
    uint64_t chain_create_mid = ~0ull;
    for (auto& m : chain) {
        if (m.hdr.isRelated()) {
            // [MS-SMB2] 3.2.4.1.4: related requests inherit session and tree from the previous.
            if (m.hdr.session_id == smb2::kRelatedSessionId) m.hdr.session_id = prev_sid;
            if (!m.hdr.isAsync() && m.hdr.tree_id == smb2::kRelatedTreeId) m.hdr.tree_id = prev_tid;
        }
        prev_sid = m.hdr.session_id;
        prev_tid = m.hdr.tree_id;
        if (m.hdr.isResponse()) {
            smb2Response(m, ts, truncated);
            continue;
        }
        smb2Request(m, ts, truncated, m.hdr.isRelated() ? chain_create_mid : ~0ull);
        if (m.hdr.command == smb2::kCreate) chain_create_mid = m.hdr.message_id;
    }
}

void SmbConsumer::smb2Request(const smb2::Message& m, TimeNs ts, bool truncated, uint64_t chain_create_mid) {
    const smb2::Header& h = m.hdr;
    if (h.command == smb2::kCancel) return;  // names another request's message id
    const uint16_t expected = smb2::expectedStructureSize(h.command, false);
    Bytes body = m.body();
    if (expected && (body.size() < 2 || (body[0] | (body[1] << 8)) != expected)) {
        count(body.size() < 2 ? "smb.truncated" : "smb.bad_structure_size");
        return;
    }
    Pending p;
    p.command = h.command;
    p.session_id = h.session_id;
    p.tree_id = h.tree_id;
    p.ts = ts;
    bool keep = true;
    ParseState st = ParseState::Success;
    switch (h.command) {
    case smb2::kNegotiate: {
        smb2::NegotiateRequest r;
        st = smb2::parseNegotiateRequest(m, r);
        break;
    }
    case smb2::kSessionSetup: {
        smb2::SessionSetupRequest r;
        st = smb2::parseSessionSetupRequest(m, r);
        if (st == ParseState::Success) {
            ParseState as = parseSecurityBlob(r.security_buffer, p.auth);
            if (as == ParseState::Invalid) count("smb.bad_security_blob");
            p.has_auth = p.auth.mech != AuthMech::Unknown;
        }
        break;
    }
    case smb2::kTreeConnect: {
        smb2::TreeConnectRequest r;
        st = smb2::parseTreeConnectRequest(m, r);
        p.path = r.path;
        break;
    }
    case smb2::kCreate: {
        smb2::CreateRequest r;
        st = smb2::parseCreateRequest(m, r);
        p.name = r.name;
        break;
    }
    case smb2::kClose: {
        smb2::CloseRequest r;
        st = smb2::parseCloseRequest(m, r);
        p.file_id = r.file_id;
        break;
    }
    case smb2::kRead: {
        smb2::ReadRequest r;
        st = smb2::parseReadRequest(m, r);
        p.file_id = r.file_id;
        break;
    }
    case smb2::kWrite: {
        smb2::WriteRequest r;
        st = smb2::parseWriteRequest(m, r, truncated);
        keep = false;
        if (st != ParseState::Success) break;
        if (r.beyond_record) count("smb.data_beyond_record");
        if (r.file_id.isRelatedSentinel() && h.isRelated()) {
            p.file_id = r.file_id;
            p.deferred_input.assign(r.data.begin(), r.data.end());
            p.deferred_complete = r.data.size() == r.data_length;
            keep = true;
        } else if (findPipe(r.file_id)) {
            feedPipe(r.file_id, Direction::ToServer, r.data, r.data.size() == r.data_length, ts);
        } else {
            stats_.file_bytes_written += r.data_length;
        }
        break;
    }
    case smb2::kIoctl: {
        smb2::IoctlRequest r;
        st = smb2::parseIoctlRequest(m, r, truncated);
        p.file_id = r.file_id;
        p.ctl_code = r.ctl_code;
        if (r.beyond_record) count("smb.data_beyond_record");
        if (st == ParseState::Success && r.ctl_code == smb2::kFsctlPipeTransceive) {
            if (!(r.file_id.isRelatedSentinel() && h.isRelated())) pipeForTransceive(r.file_id, p.session_id, p.tree_id, ts);
            if (r.file_id.isRelatedSentinel() && h.isRelated()) {
                p.deferred_input.assign(r.input.begin(), r.input.end());
                p.deferred_complete = r.input.size() == r.input_count;
            } else {
                feedPipe(r.file_id, Direction::ToServer, r.input, r.input.size() == r.input_count, ts);
            }
        }
        break;
    }
    case smb2::kLogoff:
    case smb2::kTreeDisconnect:
        break;
    default:
        keep = false;
        break;
    }
    if (st != ParseState::Success) {
        count("smb.bad_body");
        return;
    }
    if (p.file_id.isRelatedSentinel()) p.related_create_mid = chain_create_mid;
    if (keep) addPending(h.message_id, std::move(p));
}

void SmbConsumer::smb2Response(const smb2::Message& m, TimeNs ts, bool truncated) {
    const smb2::Header& h = m.hdr;
    // [MS-SMB2] 3.3.4.2: an async interim response only says "still working"; the final
    // response carries the same MessageId.
    if (h.isAsync() && h.status == kStatusPending) return;
    if (h.message_id == ~0ull) return;  // unsolicited OPLOCK_BREAK notification
    Pending p;
    const bool matched = takePending(h.message_id, p);
    if (matched && p.command != h.command) {
        count("smb.mismatched_response");
        return;
    }
    const bool error = isErrorStatus(h.status);
    if (!error) {
        const uint16_t expected = smb2::expectedStructureSize(h.command, true);
        Bytes body = m.body();
        if (expected && !smb2::isErrorResponse(m) &&
            (body.size() < 2 || (body[0] | (body[1] << 8)) != expected)) {
            count(body.size() < 2 ? "smb.truncated" : "smb.bad_structure_size");
            return;
        }
    }
    const bool ok_or_partial = h.status == kStatusSuccess || h.status == kStatusBufferOverflow;

    switch (h.command) {
    case smb2::kNegotiate: {
        smb2::NegotiateResponse r;
        if (h.status == kStatusSuccess && smb2::parseNegotiateResponse(m, r) == ParseState::Success &&
            r.dialect != 0x02FF)  // 0x02FF: "SMB 2.???" — a real SMB2 NEGOTIATE follows
            dialect_ = smb2::dialectName(r.dialect);
        break;
    }
    case smb2::kSessionSetup: {
        Session& s = session(h.session_id, ts);
        if (matched) mergeAuth(s, p);
        if (h.status == kStatusMoreProcessingRequired) {
            // Keep what the first leg said for the next leg (NTLM AUTHENTICATE) to complete.
            break;
        }
        if (h.status == kStatusSuccess) {
            smb2::SessionSetupResponse r;
            if (smb2::parseSessionSetupResponse(m, r) == ParseState::Success) {
                s.guest = r.session_flags & smb2::kSessionFlagIsGuest;
                s.null_session = r.session_flags & smb2::kSessionFlagIsNull;
                s.encrypted = r.session_flags & smb2::kSessionFlagEncryptData;
            } else {
                count("smb.bad_body");
            }
        }
        uint32_t status = h.status;
        emitSession(h.session_id, s, &status, matched ? p.ts : ts);
        break;
    }
    case smb2::kLogoff:
        if (h.status == kStatusSuccess) sessions_.erase(h.session_id);
        break;
    case smb2::kTreeConnect: {
        if (h.status != kStatusSuccess) break;
        smb2::TreeConnectResponse r;
        if (smb2::parseTreeConnectResponse(m, r) != ParseState::Success) {
            count("smb.bad_body");
            break;
        }
        Tree t;
        t.share = matched ? shareFromPath(p.path) : std::string();  // midstream: type only
        t.is_ipc = r.share_type == smb2::kShareTypePipe || isIpcShare(t.share);
        t.encrypted = r.share_flags & smb2::kShareFlagEncryptData;
        t.session_id = h.session_id;
        t.last_used = ts;
        setTree(h.tree_id, std::move(t));
        break;
    }
    case smb2::kTreeDisconnect:
        if (h.status == kStatusSuccess) trees_.erase(h.tree_id);
        break;
    case smb2::kCreate: {
        if (!matched) {
            count("smb.unmatched_response");
            break;
        }
        Tree* tree = findTree(p.tree_id);
        smb2::CreateResponse r;
        if (h.status == kStatusSuccess) {
            if (smb2::parseCreateResponse(m, r) != ParseState::Success) {
                count("smb.bad_body");
                break;
            }
            last_created_ = r.file_id;
            // Requests compounded after this CREATE named its file with all-ones: now known.
            for (auto& [mid, q] : pending_)
                if (q.related_create_mid == h.message_id) {
                    q.file_id = r.file_id;
                    q.related_create_mid = ~0ull;
                }
        }
        if (tree) tree->last_used = ts;
        // Without the TREE_CONNECT (capture started later) judge by what the server answered.
        const bool is_pipe = tree ? tree->is_ipc : h.status == kStatusSuccess && r.looksLikePipe();
        if (is_pipe) pipeOpened(p, p.session_id, p.tree_id, r.file_id, h.status, ts);
        break;
    }
    case smb2::kClose:
        if (matched && h.status == kStatusSuccess)
            closePipe(p.file_id.isRelatedSentinel() ? last_created_ : p.file_id, ts);
        break;
    case smb2::kWrite:
        if (matched) {
            const bool to_pipe = findPipe(p.file_id) != nullptr;
            if (to_pipe) feedDeferred(p, ts);
            else stats_.file_bytes_written += p.deferred_input.size();
        }
        break;
    case smb2::kRead: {
        if (!ok_or_partial || smb2::isErrorResponse(m)) break;
        smb2::ReadResponse r;
        if (smb2::parseReadResponse(m, r, truncated) != ParseState::Success) {
            count("smb.bad_body");
            break;
        }
        if (r.beyond_record) count("smb.data_beyond_record");
        if (matched && findPipe(p.file_id))
            feedPipe(p.file_id, Direction::FromServer, r.data, r.data.size() == r.data_length, ts);
        else
            stats_.file_bytes_read += r.data_length;
        break;
    }
    case smb2::kIoctl: {
        if (matched) feedDeferred(p, ts);
        if (!ok_or_partial || smb2::isErrorResponse(m)) break;
        smb2::IoctlResponse r;
        if (smb2::parseIoctlResponse(m, r, truncated) != ParseState::Success) {
            count("smb.bad_body");
            break;
        }
        if (r.beyond_record) count("smb.data_beyond_record");
        // The response belongs to the request with its MessageId; the handle is the one that
        // request named. What the server echoes is not relied on: macOS answers pipe
        // transceives with a FileId whose persistent part is zero.
        const uint32_t ctl = matched ? p.ctl_code : r.ctl_code;
        if (ctl == smb2::kFsctlPipeTransceive) {
            FileKey fid = r.file_id;
            if (matched) {
                fid = p.file_id.isRelatedSentinel() ? last_created_ : p.file_id;
                if (!r.file_id.isRelatedSentinel() && r.file_id != fid) count("smb.echoed_file_id_differs");
            }
            feedPipe(fid, Direction::FromServer, r.output, r.output.size() == r.output_count, ts);
        }
        break;
    }
    default:
        break;
    }
}

void SmbConsumer::handleTransform(Bytes msg, uint32_t declared, TimeNs ts) {
    smb2::TransformHeader t;
    if (smb2::parseTransformHeader(msg, t) != ParseState::Success) {
        count("smb.truncated");
        return;
    }
    stats_.encrypted_messages++;
    stats_.encrypted_bytes += declared;
    count("smb.encrypted_messages");
    count("smb.encrypted_bytes", declared);
    Session& s = session(t.session_id, ts);
    if (!s.reported_encrypted) {
        // Once per session: from here on nothing of it is visible, say so with what we know.
        s.encrypted = true;
        emitSession(t.session_id, s, nullptr, ts);
    }
}

// ---------------------------------------------------------------------------------------------
// SMB1

void SmbConsumer::handleSmb1(Bytes msg, TimeNs ts, bool truncated) {
    smb1::Header h;
    ParseState st = smb1::parseHeader(msg, h);
    if (st != ParseState::Success) {
        count(st == ParseState::NeedsMoreData ? "smb.truncated" : "smb.bad_header");
        return;
    }
    std::vector<smb1::Block> blocks;
    if (smb1::splitAndX(msg, h, blocks, truncated) != ParseState::Success) count("smb.bad_andx");
    if (h.isResponse()) smb1Response(msg, h, blocks, ts, truncated);
    else smb1Request(msg, h, blocks, ts, truncated);
}

void SmbConsumer::smb1Request(Bytes msg, const smb1::Header& h, const std::vector<smb1::Block>& blocks,
                              TimeNs ts, bool truncated) {
    Pending p;
    p.smb1 = true;
    p.session_id = h.uid;
    p.tree_id = h.tid;
    p.ts = ts;
    for (const auto& b : blocks) {
        p.smb1_commands.push_back(b.command);
        ParseState st = ParseState::Success;
        switch (b.command) {
        case smb1::kNegotiate: {
            smb1::NegotiateRequest r;
            st = smb1::parseNegotiateRequest(b, r);
            p.smb1_dialects = std::move(r.dialects);
            break;
        }
        case smb1::kSessionSetupAndX: {
            smb1::SessionSetupRequest r;
            st = smb1::parseSessionSetupRequest(msg, h, b, r);
            if (st != ParseState::Success) break;
            if (r.extended) {
                if (parseSecurityBlob(r.security_blob, p.auth) == ParseState::Invalid)
                    count("smb.bad_security_blob");
                p.has_auth = p.auth.mech != AuthMech::Unknown;
            } else {
                p.legacy_auth = true;
                p.has_auth = true;
                p.auth.user = r.account;
                p.auth.domain = r.domain;
                p.auth.anonymous = r.account.empty() && r.empty_password;
            }
            break;
        }
        case smb1::kTreeConnectAndX: {
            smb1::TreeConnectRequest r;
            st = smb1::parseTreeConnectRequest(h, b, r);
            p.path = r.path;
            break;
        }
        case smb1::kNtCreateAndX: {
            smb1::NtCreateRequest r;
            st = smb1::parseNtCreateRequest(h, b, r);
            if (st == ParseState::Success) p.name = r.name;
            break;
        }
        case smb1::kTransaction: {
            smb1::TransactionRequest r;
            st = smb1::parseTransactionRequest(msg, h, b, r);
            if (st != ParseState::Success) break;
            if (r.beyond_record) count("smb.data_beyond_record");
            if (r.setup.size() >= 2 && r.setup[0] == smb1::kTransTransactNmPipe) {
                p.file_id = FileKey{0, r.setup[1]};
                pipeForTransceive(p.file_id, p.session_id, p.tree_id, ts);
                feedPipe(p.file_id, Direction::ToServer, r.data, r.data.size() == r.total_data_count, ts);
            }
            break;
        }
        case smb1::kWriteAndX: {
            smb1::WriteAndXRequest r;
            st = smb1::parseWriteAndXRequest(msg, b, r, truncated);
            if (st != ParseState::Success) break;
            if (r.beyond_record) count("smb.data_beyond_record");
            FileKey fid{0, r.fid};
            if (findPipe(fid)) {
                Bytes data = r.data;
                bool complete = data.size() == r.data_length;
                constexpr uint16_t kRawStart = smb1::kWriteModeRaw | smb1::kWriteModeMessageStart;
                if ((r.write_mode & kRawStart) == kRawStart && data.size() >= 2) data = data.subspan(2);
                feedPipe(fid, Direction::ToServer, data, complete, ts);
            } else {
                stats_.file_bytes_written += r.data_length;
            }
            break;
        }
        case smb1::kReadAndX: {
            smb1::ReadAndXRequest r;
            st = smb1::parseReadAndXRequest(b, r);
            p.file_id = FileKey{0, r.fid};
            break;
        }
        case smb1::kClose: {
            smb1::CloseRequest r;
            st = smb1::parseCloseRequest(b, r);
            p.file_id = FileKey{0, r.fid};
            break;
        }
        default:
            break;
        }
        if (st != ParseState::Success) count("smb.bad_body");
    }
    addPending(smb1Key(h), std::move(p));
}

void SmbConsumer::smb1Response(Bytes msg, const smb1::Header& h, const std::vector<smb1::Block>& blocks,
                               TimeNs ts, bool truncated) {
    Pending p;
    const bool matched = takePending(smb1Key(h), p);
    const bool error = isErrorStatus(h.status) || (!(h.flags2 & smb1::kFlags2NtStatus) && h.status != 0);
    if (error && h.status != kStatusMoreProcessingRequired) {
        // Error responses carry no parameter words: report from what the request said.
        if (!matched) return;
        for (uint8_t cmd : p.smb1_commands) {
            if (cmd == smb1::kSessionSetupAndX) {
                uint32_t status = h.status;
                completeSessionSetup(h.uid, &p, &status, p.ts);
            } else if (cmd == smb1::kNtCreateAndX) {
                Tree* tree = findTree(h.tid);
                if (tree && tree->is_ipc) pipeOpened(p, h.uid, h.tid, FileKey{}, h.status, ts);
            }
        }
        return;
    }
    for (const auto& b : blocks) {
        switch (b.command) {
        case smb1::kNegotiate: {
            smb1::NegotiateResponse r;
            if (smb1::parseNegotiateResponse(b, r) == ParseState::Success && matched &&
                r.dialect_index < p.smb1_dialects.size())
                dialect_ = p.smb1_dialects[r.dialect_index];
            break;
        }
        case smb1::kSessionSetupAndX: {
            Session& s = session(h.uid, ts);
            if (matched) mergeAuth(s, p);
            if (h.status == kStatusMoreProcessingRequired) break;
            smb1::SessionSetupResponse r;
            if (smb1::parseSessionSetupResponse(b, r) == ParseState::Success)
                s.guest = r.action & smb1::kActionGuest;
            uint32_t status = h.status;
            emitSession(h.uid, s, &status, matched ? p.ts : ts);
            break;
        }
        case smb1::kLogoffAndX:
            sessions_.erase(h.uid);
            break;
        case smb1::kTreeConnectAndX: {
            smb1::TreeConnectResponse r;
            if (smb1::parseTreeConnectResponse(b, r) != ParseState::Success) {
                count("smb.bad_body");
                break;
            }
            Tree t;
            t.share = matched ? shareFromPath(p.path) : std::string();
            t.is_ipc = r.service == "IPC" || isIpcShare(t.share);
            t.session_id = h.uid;
            t.last_used = ts;
            setTree(h.tid, std::move(t));
            break;
        }
        case smb1::kTreeDisconnect:
            trees_.erase(h.tid);
            break;
        case smb1::kNtCreateAndX: {
            if (!matched) {
                count("smb.unmatched_response");
                break;
            }
            smb1::NtCreateResponse r;
            if (smb1::parseNtCreateResponse(b, r) != ParseState::Success) {
                count("smb.bad_body");
                break;
            }
            Tree* tree = findTree(h.tid);
            const bool pipe_type = r.resource_type == smb1::kResourceBytePipe ||
                                   r.resource_type == smb1::kResourceMessagePipe;
            if (!tree && pipe_type) {
                // Capture started after the tree connect: the server says this is a pipe.
                Tree t;
                t.is_ipc = true;
                t.session_id = h.uid;
                t.last_used = ts;
                setTree(h.tid, std::move(t));
                tree = findTree(h.tid);
            }
            if (tree && (tree->is_ipc || pipe_type))
                pipeOpened(p, h.uid, h.tid, FileKey{0, r.fid}, h.status, ts);
            break;
        }
        case smb1::kTransaction: {
            if (!matched || !findPipe(p.file_id)) break;
            smb1::TransactionResponse r;
            if (smb1::parseTransactionResponse(msg, b, r) != ParseState::Success) {
                count("smb.bad_body");
                break;
            }
            if (r.beyond_record) count("smb.data_beyond_record");
            feedPipe(p.file_id, Direction::FromServer, r.data, true, ts);
            break;
        }
        case smb1::kReadAndX: {
            smb1::ReadAndXResponse r;
            if (smb1::parseReadAndXResponse(msg, b, r, truncated) != ParseState::Success) {
                count("smb.bad_body");
                break;
            }
            if (r.beyond_record) count("smb.data_beyond_record");
            if (matched && findPipe(p.file_id))
                feedPipe(p.file_id, Direction::FromServer, r.data, r.data.size() == r.data_length, ts);
            else
                stats_.file_bytes_read += r.data_length;
            break;
        }
        case smb1::kClose:
            if (matched) closePipe(p.file_id, ts);
            break;
        default:
            break;
        }
    }
}

}  // namespace rpcmon::smb
