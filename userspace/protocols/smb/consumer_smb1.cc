// SPDX-License-Identifier: Apache-2.0
// SMB1 ([MS-CIFS], [MS-SMB]) request and response handling: session setup, tree connect,
// NT_CREATE_ANDX of named pipes and TRANSACTION / READ / WRITE pipe transceive.
#include "protocols/smb/consumer.h"

#include "protocols/smb/types.h"

namespace rpcmon::smb {

namespace {

// SMB1 requests are matched by (PID, MID); tag bit 63 keeps the key apart from SMB2 message ids.
uint64_t smb1Key(const smb1::Header& h) {
    return (1ull << 63) | (uint64_t(h.pid_high) << 32) | (uint64_t(h.pid) << 16) | h.mid;
}

}  // namespace

void SmbConsumer::handleSmb1(Bytes msg, TimeNs ts, bool truncated) {
    smb1::Header h;
    ParseState st = smb1::parseHeader(msg, h);
    if (st != ParseState::Success) {
        count(st == ParseState::NeedsMoreData ? SmbAnomaly::Truncated : SmbAnomaly::BadHeader);
        return;
    }
    std::vector<smb1::Block> blocks;
    if (smb1::splitAndX(msg, h, blocks, truncated) != ParseState::Success) count(SmbAnomaly::BadAndx);
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
                    count(SmbAnomaly::BadSecurityBlob);
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
            if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
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
            if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
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
        if (st != ParseState::Success) count(SmbAnomaly::BadBody);
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
                count(SmbAnomaly::BadBody);
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
                count(SmbAnomaly::UnmatchedResponse);
                break;
            }
            smb1::NtCreateResponse r;
            if (smb1::parseNtCreateResponse(b, r) != ParseState::Success) {
                count(SmbAnomaly::BadBody);
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
                count(SmbAnomaly::BadBody);
                break;
            }
            if (r.beyond_record) count(SmbAnomaly::DataBeyondRecord);
            feedPipe(p.file_id, Direction::FromServer, r.data, true, ts);
            break;
        }
        case smb1::kReadAndX: {
            smb1::ReadAndXResponse r;
            if (smb1::parseReadAndXResponse(msg, b, r, truncated) != ParseState::Success) {
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
        case smb1::kClose:
            if (matched) closePipe(p.file_id, ts);
            break;
        default:
            break;
        }
    }
}

}  // namespace rpcmon::smb
