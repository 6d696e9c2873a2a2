// SPDX-License-Identifier: Apache-2.0
// SMB2/3 ([MS-SMB2]) request and response handling: session setup, tree connect, CREATE of
// named pipes, READ/WRITE/IOCTL pipe transceive, and encrypted (transform) messages counted.
#include "protocols/smb/consumer.h"

#include "protocols/smb/types.h"

namespace rpcmon::smb {

void SmbConsumer::handleSmb2(Bytes msg, TimeNs ts, bool truncated) {
    std::vector<smb2::Message> chain;
    ParseState st = smb2::splitCompound(msg, chain, truncated);
    if (st == ParseState::Invalid) {
        smb2::Header h;
        if (chain.empty()) {
            ParseState hs = smb2::parseHeader(msg, h);
            count(hs == ParseState::Success ? SmbAnomaly::BadCompound
                  : hs == ParseState::NeedsMoreData ? SmbAnomaly::Truncated : SmbAnomaly::BadHeader);
        } else {
            count(SmbAnomaly::BadCompound);
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
        count(body.size() < 2 ? SmbAnomaly::Truncated : SmbAnomaly::BadStructureSize);
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
            if (as == ParseState::Invalid) count(SmbAnomaly::BadSecurityBlob);
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
        if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
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
        if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
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
        count(SmbAnomaly::BadBody);
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
        count(SmbAnomaly::MismatchedResponse);
        return;
    }
    const bool error = isErrorStatus(h.status);
    if (!error) {
        const uint16_t expected = smb2::expectedStructureSize(h.command, true);
        Bytes body = m.body();
        if (expected && !smb2::isErrorResponse(m) &&
            (body.size() < 2 || (body[0] | (body[1] << 8)) != expected)) {
            count(body.size() < 2 ? SmbAnomaly::Truncated : SmbAnomaly::BadStructureSize);
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
                count(SmbAnomaly::BadBody);
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
            count(SmbAnomaly::BadBody);
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
            count(SmbAnomaly::UnmatchedResponse);
            break;
        }
        Tree* tree = findTree(p.tree_id);
        smb2::CreateResponse r;
        if (h.status == kStatusSuccess) {
            if (smb2::parseCreateResponse(m, r) != ParseState::Success) {
                count(SmbAnomaly::BadBody);
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
            count(SmbAnomaly::BadBody);
            break;
        }
        if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
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
            count(SmbAnomaly::BadBody);
            break;
        }
        if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
        // The response belongs to the request with its MessageId; the handle is the one that
        // request named. What the server echoes is not relied on: macOS answers pipe
        // transceives with a FileId whose persistent part is zero.
        const uint32_t ctl = matched ? p.ctl_code : r.ctl_code;
        if (ctl == smb2::kFsctlPipeTransceive) {
            FileKey fid = r.file_id;
            if (matched) {
                fid = p.file_id.isRelatedSentinel() ? last_created_ : p.file_id;
                if (!r.file_id.isRelatedSentinel() && r.file_id != fid) count(SmbAnomaly::EchoedFileIdDiffers);
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
        count(SmbAnomaly::Truncated);
        return;
    }
    stats_.encrypted_messages++;
    stats_.encrypted_bytes += declared;
    count(SmbAnomaly::EncryptedMessages);
    count(SmbAnomaly::EncryptedBytes, declared);
    Session& s = session(t.session_id, ts);
    if (!s.reported_encrypted) {
        // Once per session: from here on nothing of it is visible, say so with what we know.
        s.encrypted = true;
        emitSession(t.session_id, s, nullptr, ts);
    }
}

}  // namespace rpcmon::smb
