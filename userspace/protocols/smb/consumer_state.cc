// SPDX-License-Identifier: Apache-2.0
// SMB session, tree and named-pipe state of one connection: bounded tables (oldest entry
// evicted, counted), session records, and the pipes whose bytes go to the DCE/RPC parser.
#include "protocols/smb/consumer.h"

#include <algorithm>

#include "protocols/smb/types.h"

namespace rpcmon::smb {

namespace {

template <class Map>
void evictOldest(Map& m) {
    auto victim = std::min_element(m.begin(), m.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
    });
    if (victim != m.end()) m.erase(victim);
}

}  // namespace

SmbConsumer::Session& SmbConsumer::session(uint64_t id, TimeNs now) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        if (sessions_.size() >= kMaxSessions) {
            count(SmbAnomaly::TooManySessions);
            evictOldest(sessions_);
        }
        it = sessions_.emplace(id, Session{}).first;
    }
    it->second.last_used = now;
    return it->second;
}

void SmbConsumer::addPending(uint64_t key, Pending&& p) {
    // A request id seen again replaces its request; a full table gives up its oldest request.
    if (auto it = pending_.find(key); it != pending_.end()) pending_.erase(it);
    pending_.insert(key, std::move(p), [&](uint64_t, Pending&) { count(SmbAnomaly::TooManyPending); });
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
        count(SmbAnomaly::TooManyTrees);
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

SmbInfo SmbConsumer::smbKeys(uint64_t sid, const Tree* tree) const {
    SmbInfo smb;
    auto it = sessions_.find(sid);
    if (it != sessions_.end()) {
        const AuthInfo& a = it->second.auth;
        smb.user = a.user;
        smb.domain = a.domain;
        smb.host = a.host;
    }
    if (tree) smb.share = tree->share;
    smb.dialect = dialect_;
    return smb;
}

void SmbConsumer::emitSession(uint64_t sid, Session& s, const uint32_t* status, TimeNs ts) {
    Event ev = makeEvent(flow_, ts, EventType::SmbSession);
    ev.smb = smbKeys(sid, nullptr);
    ev.smb.session_id = sid;
    if (s.auth.anonymous || s.null_session) ev.smb.auth = "anonymous";
    else if (s.auth.mech == AuthMech::Ntlmssp) ev.smb.auth = "ntlmssp";
    else if (s.auth.mech == AuthMech::Kerberos) ev.smb.auth = "kerberos";
    else if (s.legacy_auth) ev.smb.auth = "ntlm";  // SMB1 non-extended: LM/NTLM challenge-response
    ev.smb.encrypted = s.encrypted;
    if (status) ev.smb.status = statusName(*status);
    ev.smb.guest = s.guest;
    ev.smb.krb_realm = s.auth.krb_realm;
    ev.smb.krb_sname = s.auth.krb_sname;
    sink_.emitEvent(std::move(ev));
    s.reported = true;
    if (s.encrypted) s.reported_encrypted = true;
}

void SmbConsumer::pipeOpened(const Pending& p, uint64_t sid, uint32_t tid, const FileKey& fid,
                             uint32_t status, TimeNs ts) {
    Tree* tree = findTree(tid);
    const std::string name = pipeNameFromPath(p.name);
    SmbInfo smb = smbKeys(sid, tree);
    Event ev = makeEvent(flow_, p.ts ? p.ts : ts, EventType::SmbPipe);
    ev.smb = smb;
    ev.smb.session_id = sid;
    ev.smb.pipe = name;
    ev.smb.status = statusName(status);
    sink_.emitEvent(std::move(ev));
    if (status != kStatusSuccess) return;

    if (pipes_.count(fid)) closePipe(fid, ts);  // handle reused: the old pipe is gone
    insertPipe(fid, name, sid, tid, std::move(smb), ts);
}

SmbConsumer::OpenPipe* SmbConsumer::pipeForTransceive(const FileKey& fid, uint64_t sid, uint32_t tid, TimeNs ts) {
    if (OpenPipe* p = findPipe(fid)) return p;
    // TransactNmPipe and FSCTL_PIPE_TRANSCEIVE only work on named pipes: a handle we never saw
    // opened was opened before the capture (or the agent) started. Follow it without a name
    // rather than lose its calls.
    count(SmbAnomaly::PipeAdoptedMidstream);
    insertPipe(fid, "", sid, tid, smbKeys(sid, findTree(tid)), ts);
    return findPipe(fid);
}

void SmbConsumer::insertPipe(const FileKey& fid, const std::string& name, uint64_t sid, uint32_t tid, SmbInfo smb,
                             TimeNs ts) {
    if (pipes_.size() >= kMaxOpenPipes) {
        count(SmbAnomaly::TooManyFiles);
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
    if (opener_) op.stream = opener_->openPipe(flow_, PipeInfo{name, std::move(smb)});
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
        count(SmbAnomaly::PipeTruncated);
        p->stream->onGap(dir);
        return;
    }
    if (!data.empty()) p->stream->feed(dir, data, ts);
}

void SmbConsumer::feedDeferred(const Pending& p, TimeNs ts) {
    if (p.deferred_input.empty() && p.deferred_complete) return;
    feedPipe(p.file_id, Direction::ToServer, p.deferred_input, p.deferred_complete, p.ts ? p.ts : ts);
}

}  // namespace rpcmon::smb
