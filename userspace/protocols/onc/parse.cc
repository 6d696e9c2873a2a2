// SPDX-License-Identifier: Apache-2.0
#include "protocols/onc/parse.h"

#include <algorithm>

#include "protocols/onc/anomalies.h"
#include "protocols/onc/programs.h"

namespace rpcmon::onc {

namespace {

uint32_t be32At(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Reads XDR fields while telling "ran out of bytes" (NeedsMoreData) apart from "a length is
// impossible" (Invalid). The first failure sticks; later reads return zero.
class HeaderReader {
public:
    explicit HeaderReader(Bytes b) : r_(b) {}

    uint32_t u32() {
        if (bad()) return 0;
        if (r_.remaining() < 4) { result_.state = ParseState::NeedsMoreData; return 0; }
        return r_.be32();
    }
    // Skips an XDR opaque/string whose length must not exceed `max`; returns its bytes.
    Bytes opaque(uint32_t max, OncAnomaly anomaly) {
        uint32_t len = u32();
        if (bad()) return {};
        if (len > max) { invalid(anomaly); return {}; }
        size_t padded = (size_t(len) + 3) & ~size_t(3);
        if (r_.remaining() < padded) { result_.state = ParseState::NeedsMoreData; return {}; }
        Bytes b = r_.bytes(len);
        r_.skip(padded - len);
        return b;
    }
    void invalid(OncAnomaly anomaly) {
        if (bad()) return;
        result_ = {ParseState::Invalid, counterName(anomaly)};
    }
    bool bad() const { return result_.state != ParseState::Success; }
    ParseResult result() const { return result_; }
    size_t offset() const { return r_.offset(); }

private:
    ByteReader r_;
    ParseResult result_;
};

// RFC 5531 App. A authsys_parms inside the credential body.
void parseAuthSys(Bytes body, Credential& c, HeaderReader& outer) {
    HeaderReader r(body);
    c.stamp = r.u32();
    Bytes name = r.opaque(kMaxMachineName, OncAnomaly::BadCredLength);
    c.machine_name.assign(reinterpret_cast<const char*>(name.data()), name.size());
    c.uid = r.u32();
    c.gid = r.u32();
    uint32_t n = r.u32();
    if (!r.bad() && n > kMaxGids) r.invalid(OncAnomaly::BadCredLength);
    for (uint32_t i = 0; i < n && !r.bad(); i++) {
        uint32_t g = r.u32();
        if (!r.bad()) c.gids.push_back(g);
    }
    // The credential body is complete (its length was checked), so running out inside it
    // means the body is malformed, not that more data is needed.
    if (r.bad()) { outer.invalid(OncAnomaly::BadCred); return; }
    c.has_sys = true;
}

// RFC 2203 §5: rpc_gss_cred_t (version 1: gss_proc, seq_num, service, handle).
void parseGss(Bytes body, Credential& c, HeaderReader& outer) {
    HeaderReader r(body);
    c.gss_version = r.u32();
    c.gss_proc = r.u32();
    c.gss_seq = r.u32();
    c.gss_service = r.u32();
    r.opaque(kMaxGssHandle, OncAnomaly::BadCredLength);
    if (r.bad()) { outer.invalid(OncAnomaly::BadCred); return; }
    c.has_gss = true;
}

}  // namespace

ParseResult parseMessage(Bytes msg, Message& out) {
    HeaderReader r(msg);
    uint32_t xid = r.u32();
    uint32_t type = r.u32();
    if (r.bad()) return r.result();
    if (type == uint32_t(MsgType::Call)) {
        out.type = MsgType::Call;
        CallHeader& c = out.call;
        c = CallHeader{};
        c.xid = xid;
        c.rpcvers = r.u32();
        if (!r.bad() && c.rpcvers != kRpcVersion) r.invalid(OncAnomaly::BadRpcVersion);
        c.prog = r.u32();
        c.vers = r.u32();
        c.proc = r.u32();
        c.cred.flavor = r.u32();
        Bytes cred = r.opaque(kMaxAuthBody, OncAnomaly::BadCredLength);
        if (r.bad()) return r.result();
        if (c.cred.flavor == AUTH_SYS) parseAuthSys(cred, c.cred, r);
        else if (c.cred.flavor == RPCSEC_GSS) parseGss(cred, c.cred, r);
        c.verifier_flavor = r.u32();
        r.opaque(kMaxAuthBody, OncAnomaly::BadVerifierLength);
        if (r.bad()) return r.result();
        c.args_offset = r.offset();
        return r.result();
    }
    if (type != uint32_t(MsgType::Reply)) return {ParseState::Invalid, counterName(OncAnomaly::BadMsgType)};
    out.type = MsgType::Reply;
    ReplyHeader& h = out.reply;
    h = ReplyHeader{};
    h.xid = xid;
    uint32_t stat = r.u32();
    if (r.bad()) return r.result();
    if (stat == uint32_t(ReplyStat::Accepted)) {
        h.status = ReplyStat::Accepted;
        h.verifier_flavor = r.u32();
        r.opaque(kMaxAuthBody, OncAnomaly::BadVerifierLength);
        uint32_t as = r.u32();
        if (r.bad()) return r.result();
        if (as > uint32_t(AcceptStat::SystemErr)) return {ParseState::Invalid, counterName(OncAnomaly::BadAcceptStat)};
        h.accept_stat = AcceptStat(as);
        if (h.accept_stat == AcceptStat::ProgMismatch) {
            h.mismatch_low = r.u32();
            h.mismatch_high = r.u32();
            h.has_mismatch = !r.bad();
        }
    } else if (stat == uint32_t(ReplyStat::Denied)) {
        h.status = ReplyStat::Denied;
        uint32_t rs = r.u32();
        if (r.bad()) return r.result();
        if (rs == uint32_t(RejectStat::RpcMismatch)) {
            h.reject_stat = RejectStat::RpcMismatch;
            h.mismatch_low = r.u32();
            h.mismatch_high = r.u32();
            h.has_mismatch = !r.bad();
        } else if (rs == uint32_t(RejectStat::AuthError)) {
            h.reject_stat = RejectStat::AuthError;
            h.auth_stat = AuthStat(r.u32());
        } else {
            return {ParseState::Invalid, counterName(OncAnomaly::BadRejectStat)};
        }
    } else {
        return {ParseState::Invalid, counterName(OncAnomaly::BadReplyStat)};
    }
    if (r.bad()) return r.result();
    h.results_offset = r.offset();
    return r.result();
}

bool plausibleCall(Bytes msg) {
    ByteReader r(msg);
    r.be32();  // xid
    uint32_t type = r.be32(), rpcvers = r.be32(), prog = r.be32(), vers = r.be32();
    r.be32();  // proc
    uint32_t flavor = r.be32(), cred_len = r.be32();
    if (!r.ok() || type != uint32_t(MsgType::Call) || rpcvers != kRpcVersion) return false;
    // Program numbers above 0x5fffffff are reserved (RFC 5531 App. B); real versions are small.
    bool known = programName(prog) != nullptr;
    if (!known && (prog == 0 || prog > 0x5fffffffu)) return false;
    if (vers == 0 || vers > 255) return false;
    if (flavor > AUTH_TLS && flavor != 390003 && flavor != 390004 && flavor != 390005)
        return false;  // 390003..5: Kerberos pseudo-flavors (RFC 2623 §2)
    return cred_len <= kMaxAuthBody;
}

bool plausibleReply(Bytes msg, const std::function<bool(uint32_t)>& xid_pending) {
    ByteReader r(msg);
    uint32_t xid = r.be32(), type = r.be32(), stat = r.be32();
    if (!r.ok() || type != uint32_t(MsgType::Reply) || stat > uint32_t(ReplyStat::Denied))
        return false;
    return xid_pending && xid_pending(xid);
}

Gather gatherRecordPrefix(Bytes data, size_t want, RecordPrefix& out) {
    out = RecordPrefix{};
    size_t pos = 0;
    for (size_t marks = 0; marks < kMaxPrefixMarks; marks++) {
        if (data.size() - pos < 4) return Gather::NeedMore;
        uint32_t mark = be32At(&data[pos]);
        uint32_t len = mark & 0x7fffffffu;
        bool last = (mark & 0x80000000u) != 0;
        if (len > kMaxFragmentBytes) return Gather::Bad;
        if (marks == 0) {
            out.first_len = len;
            out.first_last = last;
        }
        pos += 4;
        size_t take = std::min<size_t>(len, want - out.bytes.size());
        if (data.size() - pos < take) return Gather::NeedMore;
        out.bytes.insert(out.bytes.end(), data.begin() + long(pos), data.begin() + long(pos + take));
        if (out.bytes.size() == want) return Gather::Done;
        pos += len;  // take == len here
        if (last) {
            out.complete = true;
            return Gather::Done;
        }
    }
    return Gather::Bad;
}

Boundary findRecordBoundary(Bytes data, const std::function<bool(uint32_t)>& xid_pending) {
    // A candidate needs the mark plus the fixed call fields checked by plausibleCall (8 words).
    constexpr size_t kProbe = 4 + 32;
    if (data.size() < kProbe) return {false, 0};
    for (size_t i = 0; i + kProbe <= data.size(); i++) {
        uint32_t mark = be32At(&data[i]);
        uint32_t len = mark & 0x7fffffffu;
        if (len == 0 || len > kMaxFragmentBytes) continue;
        if (len < kMinReplyBytes) {
            // A record cut into fragments smaller than a header: judge the header gathered
            // from its fragments, so tiny fragments cannot hide a record after a gap.
            if (mark & 0x80000000u) continue;  // a whole record this short is no rpc_msg
            RecordPrefix p;
            Gather g = gatherRecordPrefix(data.subspan(i), kProbe - 4, p);
            if (g == Gather::NeedMore) return {false, i};  // decide once more bytes arrived
            if (g == Gather::Bad || p.complete) continue;
            Bytes msg(p.bytes.data(), p.bytes.size());
            if (plausibleCall(msg) || plausibleReply(msg, xid_pending)) return {true, i};
            continue;
        }
        Bytes msg = data.subspan(i + 4);
        if ((len >= kMinCallBytes && plausibleCall(msg)) || plausibleReply(msg, xid_pending))
            return {true, i};
    }
    // Keep the last kProbe-1 bytes: a mark may start there once more data arrives.
    return {false, data.size() - (kProbe - 1)};
}

void RecordAssembler::reset() {
    in_record_ = false;
    frag_last_ = false;
    frag_remaining_ = 0;
    frag_open_ = false;
    checked_ = false;
    holed_ = false;
    cur_ = Record{};
}

bool RecordAssembler::skipGap(uint64_t bytes, std::vector<Record>& out) {
    if (!frag_open_ || bytes > frag_remaining_) return false;
    frag_remaining_ -= bytes;
    holed_ = true;
    if (frag_remaining_ == 0) {
        frag_open_ = false;
        if (frag_last_) {
            out.push_back(std::move(cur_));
            reset();
        }
    }
    return true;
}

bool RecordAssembler::takePartial(Record& out) {
    bool have = in_record_ && !cur_.bytes.empty();
    if (have) {
        // Bytes still owed make the record a prefix even when the gap hit no kept byte.
        if (cur_.wire_size <= cur_.bytes.size()) cur_.wire_size = cur_.bytes.size() + 1;
        out = std::move(cur_);
    }
    reset();
    return have;
}

RecordAssembler::FeedResult RecordAssembler::feed(Bytes data, std::vector<Record>& out) {
    size_t pos = 0;
    while (pos < data.size()) {
        if (!frag_open_) {
            if (data.size() - pos < 4) break;  // partial record mark: wait for more
            uint32_t mark = be32At(&data[pos]);
            uint32_t len = mark & 0x7fffffffu;
            if (len > kMaxFragmentBytes) {
                reset();
                return {pos, counterName(OncAnomaly::BadRecordMark)};
            }
            if (cur_.wire_size + len > kMaxRecordWireBytes) {
                reset();
                return {pos, counterName(OncAnomaly::RecordTooLarge)};
            }
            pos += 4;
            in_record_ = true;
            frag_open_ = true;
            frag_last_ = (mark & 0x80000000u) != 0;
            frag_remaining_ = len;
            cur_.wire_size += len;
        }
        size_t avail = data.size() - pos;
        size_t n = frag_remaining_ < avail ? size_t(frag_remaining_) : avail;
        size_t room = holed_ ? 0 : max_kept_ - cur_.bytes.size();
        size_t keep = n < room ? n : room;
        cur_.bytes.insert(cur_.bytes.end(), data.begin() + pos, data.begin() + pos + keep);
        pos += n;
        frag_remaining_ -= n;
        if (!checked_ && cur_.bytes.size() >= 8) {
            // The second word of every record is msg_type: anything but CALL/REPLY means
            // the mark we followed was not a record mark.
            checked_ = true;
            uint32_t type = be32At(&cur_.bytes[4]);
            if (type > uint32_t(MsgType::Reply)) {
                reset();
                return {pos, counterName(OncAnomaly::BadRecordMark)};
            }
        }
        if (frag_remaining_ == 0) {
            frag_open_ = false;
            if (frag_last_) {
                out.push_back(std::move(cur_));
                reset();
            }
        }
    }
    return {pos, nullptr};
}

}  // namespace rpcmon::onc
