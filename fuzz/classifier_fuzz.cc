// SPDX-License-Identifier: Apache-2.0
// OfflineClassifier::classify (include/rpcmon/classify.h compiled for user space) on arbitrary
// frames, with the watched map changing in between: signature learning from the frames
// themselves, and entries added/removed by the script.
//
// Input: [snaplen selector u8: low 7 bits snap length, top bit = kernel bulk skipping on
// (include/rpcmon/flow_track.h)] then stream-script records (fuzz_util.h); each record's bytes
// are one Ethernet frame. Record kinds: data/datagram = classify the frame; gap = add the
// endpoint key in the first 20 bytes of the following frame to the watched map; tick = remove it.
#include <algorithm>
#include <cstring>

#include "capture/offline_classifier.h"
#include "fuzz_util.h"

using namespace rpcmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    static constexpr uint32_t kSnaplens[] = {RPCMON_OFFLINE_MAX_SNAPLEN, 1536, 4096, 128, 64, 1, 0};
    uint8_t selector = in.u8();
    uint32_t snaplen = kSnaplens[(selector & 0x7f) % (sizeof kSnaplens / sizeof kSnaplens[0])];
    OfflineClassifier c(snaplen, (selector & 0x80) != 0);
    std::vector<uint8_t> out;
    uint64_t ts = fuzz::kT0;
    int pending_watch = 0;  // 1 add, -1 remove: applied to the next frame's first 20 bytes
    fuzz::Op op;
    while (fuzz::nextOp(in, op)) {
        ts += 1000;
        if (op.kind == fuzz::OpKind::Gap) { pending_watch = 1; continue; }
        if (op.kind == fuzz::OpKind::Tick) { pending_watch = -1; continue; }
        if (pending_watch != 0 && op.bytes.size() >= sizeof(rpcmon_endpoint_key)) {
            rpcmon_endpoint_key key{};
            std::memcpy(&key, op.bytes.data(), sizeof key);
            if (pending_watch > 0) {
                rpcmon_endpoint_value v{};
                v.app = uint8_t(1 + op.len % 4);  // a real app: NONE would be a bad entry, not a bug
                v.origin = RPCMON_MATCH_WATCHED;
                c.addWatched(key, v);
                FUZZ_CHECK(c.isWatched(key) || c.watchedCount() >= RPCMON_WATCHED_MAX_ENTRIES);
                FUZZ_CHECK(c.portMaybeWatched(key.port) || !c.isWatched(key));
            } else {
                c.removeWatched(key);
                FUZZ_CHECK(!c.isWatched(key));
            }
            pending_watch = 0;
            continue;
        }
        pending_watch = 0;
        uint64_t learned_before = c.counters()[RPCMON_CNT_SIGNATURE_LEARNED];
        size_t watched_before = c.watchedCount();
        bool ok = c.classify(op.bytes, ts, out);
        FUZZ_CHECK(c.watchedCount() <= RPCMON_WATCHED_MAX_ENTRIES);
        if (c.counters()[RPCMON_CNT_SIGNATURE_LEARNED] != learned_before) {
            FUZZ_CHECK(ok);
            FUZZ_CHECK(c.watchedCount() == watched_before + 1);
        }
        if (!ok) continue;
        FUZZ_CHECK(out.size() >= sizeof(rpcmon_packet_record));
        size_t records = 0, total = 0, captured = 0;
        bool tracked = false;
        OfflineClassifier::forEachRecord(out, [&](std::span<const uint8_t> r) {
            records++;
            total += r.size();
            rpcmon_packet_record rec;
            FUZZ_CHECK(r.size() >= sizeof rec);
            std::memcpy(&rec, r.data(), sizeof rec);
            FUZZ_CHECK(rec.hdr.type == RPCMON_REC_PACKET);
            FUZZ_CHECK(rec.hdr.size == r.size());
            FUZZ_CHECK(rec.captured_len == r.size() - sizeof rec);
            FUZZ_CHECK(rec.captured_len <= RPCMON_RECORD_MAX_PAYLOAD);
            FUZZ_CHECK(rec.captured_len <= rec.payload_len);
            captured += rec.captured_len;
            tracked = tracked || (rec.hdr.flags & RPCMON_RECF_TRACKED);
            FUZZ_CHECK(rec.skipped_before < (1u << 30));
            FUZZ_CHECK(rec.skipped_before == 0 || rec.flow.l4proto == 6);
            FUZZ_CHECK(rec.captured_len <= op.bytes.size());
            FUZZ_CHECK(rec.app != RPCMON_APP_NONE);
            FUZZ_CHECK(rec.match != RPCMON_MATCH_NONE);
            FUZZ_CHECK(rec.flow.l4proto == 6 || rec.flow.l4proto == 17);
            // The payload is a copy of frame bytes before any Ethernet padding: it must occur
            // in the frame (checked on small frames: the scan is quadratic).
            if (rec.captured_len > 0 && op.bytes.size() <= 2048) {
                const uint8_t* p = r.data() + sizeof rec;
                bool found = false;
                for (size_t off = 0; !found && off + rec.captured_len <= op.bytes.size(); off++)
                    found = std::memcmp(op.bytes.data() + off, p, rec.captured_len) == 0;
                FUZZ_CHECK(found);
            }
        });
        // Every byte of `out` belongs to a record; a packet becomes a bounded number of them.
        FUZZ_CHECK(total == out.size());
        FUZZ_CHECK(records >= 1 && records <= RPCMON_MAX_RECORDS_PER_PACKET);
        // Unframed payload stays within the snap length across all records of the packet; framed
        // flows deliver what they need, up to the per-packet bound.
        FUZZ_CHECK(captured <= (tracked ? RPCMON_MAX_SNAPLEN : std::min<uint32_t>(snaplen, RPCMON_OFFLINE_MAX_SNAPLEN)));
    }
    const auto& k = c.counters();
    FUZZ_CHECK(k[RPCMON_CNT_PACKETS_CLASSIFIED] <= k[RPCMON_CNT_PACKETS_SEEN]);
    return 0;
}
