// SPDX-License-Identifier: Apache-2.0
// ONC RPC record layer: RecordAssembler (RFC 5531 §11 record marking) fed a byte stream in
// chunks, with a gap in the middle; every record goes through parseMessage, plausibleCall and
// plausibleReply; an anomaly resynchronises with findRecordBoundary, as OncConsumer does.
//
// Input: [config u8] then the TCP byte stream of one direction (record marks included).
// config bits 0-2: chunk size; bit 3: small kept-record limit; bits 4-5: where a gap falls
// (none, 1/3, 1/2, 2/3 of the stream); bits 6-7: gap size (in / beyond the fragment).
#include <unordered_set>

#include "fuzz_util.h"
#include "protocols/onc/parse.h"

using namespace rpcmon;
using namespace rpcmon::onc;

namespace {

std::unordered_set<uint32_t> g_xids;  // calls seen in this input: their replies are "pending"

bool xidPending(uint32_t xid) { return g_xids.count(xid) != 0 || (xid & 0xff) == 0x5a; }

void checkRecord(const Record& r, size_t max_kept) {
    FUZZ_CHECK(r.bytes.size() <= max_kept);
    FUZZ_CHECK(r.wire_size >= r.bytes.size());
    Bytes b(r.bytes.data(), r.bytes.size());
    Message m;
    ParseResult pr = parseMessage(b, m);
    if (pr.state == ParseState::Invalid) FUZZ_CHECK(pr.anomaly != nullptr && pr.anomaly[0]);
    if (pr.state == ParseState::Success) {
        if (m.type == MsgType::Call) {
            FUZZ_CHECK(m.call.args_offset <= b.size());
            FUZZ_CHECK(m.call.cred.gids.size() <= kMaxGids);
            FUZZ_CHECK(m.call.cred.machine_name.size() <= kMaxMachineName);
            g_xids.insert(m.call.xid);
        } else {
            FUZZ_CHECK(m.reply.results_offset <= b.size());
        }
    }
    (void)plausibleCall(b);
    (void)plausibleReply(b, xidPending);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    uint8_t cfg = in.u8();
    Bytes stream = in.rest();
    g_xids.clear();

    static constexpr size_t kChunks[] = {1, 3, 4, 7, 64, 1460, 65536, SIZE_MAX};
    size_t chunk = kChunks[cfg & 7];
    size_t max_kept = (cfg & 8) ? 64 : kMaxKeptRecordBytes;
    size_t gap_at = SIZE_MAX;
    switch ((cfg >> 4) & 3) {
    case 1: gap_at = stream.size() / 3; break;
    case 2: gap_at = stream.size() / 2; break;
    case 3: gap_at = stream.size() * 2 / 3; break;
    }
    static constexpr uint64_t kGaps[] = {1, 4, 1000, 1ull << 32};
    uint64_t gap = kGaps[cfg >> 6];

    RecordAssembler a(max_kept);
    std::vector<uint8_t> buf;
    std::vector<Record> recs;
    bool resync = false;
    size_t pos = 0;
    while (pos < stream.size()) {
        size_t n = std::min(chunk, stream.size() - pos);
        if (pos < gap_at && pos + n > gap_at) n = gap_at - pos;
        buf.insert(buf.end(), stream.begin() + ptrdiff_t(pos), stream.begin() + ptrdiff_t(pos + n));
        pos += n;
        // Bounded: every round consumes bytes, drops bytes or stops.
        for (int rounds = 0; !buf.empty() && rounds < 100000; rounds++) {
            Bytes b(buf.data(), buf.size());
            if (resync) {
                Boundary bd = findRecordBoundary(b, xidPending);
                FUZZ_CHECK(bd.offset <= b.size());
                if (!bd.found) {
                    buf.erase(buf.begin(), buf.begin() + ptrdiff_t(bd.offset));
                    break;
                }
                FUZZ_CHECK(bd.offset + 4 <= b.size());  // a mark and a header follow it
                buf.erase(buf.begin(), buf.begin() + ptrdiff_t(bd.offset));
                a.reset();
                resync = false;
                continue;
            }
            recs.clear();
            auto fr = a.feed(b, recs);
            FUZZ_CHECK(fr.consumed <= b.size());
            for (const auto& r : recs) checkRecord(r, max_kept);
            buf.erase(buf.begin(), buf.begin() + ptrdiff_t(fr.consumed));
            if (fr.anomaly) {
                FUZZ_CHECK(fr.anomaly[0] != '\0');
                FUZZ_CHECK(a.idle());
                resync = true;
                // Skip the offending byte so resynchronisation makes progress.
                if (fr.consumed == 0 && !buf.empty()) buf.erase(buf.begin());
                continue;
            }
            if (fr.consumed == 0) break;
        }
        if (pos == gap_at) {
            recs.clear();
            buf.clear();
            bool kept = a.skipGap(gap, recs);
            for (const auto& r : recs) checkRecord(r, max_kept);
            if (!kept) {
                Record partial;
                if (a.takePartial(partial)) {
                    FUZZ_CHECK(partial.prefix_only());
                    checkRecord(partial, max_kept);
                }
                FUZZ_CHECK(a.idle());
                resync = true;
            }
        }
    }
    Record partial;
    if (a.takePartial(partial)) {
        FUZZ_CHECK(partial.prefix_only());
        checkRecord(partial, max_kept);
    }
    FUZZ_CHECK(a.idle());
    return 0;
}
