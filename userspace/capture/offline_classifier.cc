// SPDX-License-Identifier: Apache-2.0
#include "capture/offline_classifier.h"

#include <algorithm>
#include <cstring>

namespace rpcmon {
namespace {

// The packet handle classify.h works on: a frame in memory plus the classifier it consults.
struct PktView {
    const uint8_t* data;
    uint32_t len;
    OfflineClassifier* self;
};

}  // namespace
}  // namespace rpcmon

// classify.h's hooks, C-style as the header expects, over the in-memory frame.
struct rpcmon_pkt : rpcmon::PktView {};

static inline const __u8* rpcmon_pkt_ptr(struct rpcmon_pkt* p, __u32 off, __u32 len, __u8*) {
    if (off > p->len || p->len - off < len) return nullptr;
    return p->data + off;
}
static inline int rpcmon_port_maybe_watched(struct rpcmon_pkt* p, __u16 port) {
    return p->self->portMaybeWatched(port);
}
static inline int rpcmon_watched_lookup(struct rpcmon_pkt* p, const struct rpcmon_endpoint_key* k,
                                        __u8* app) {
    return p->self->lookup(*k, app);
}
static inline void rpcmon_learn_endpoint(struct rpcmon_pkt* p, const struct rpcmon_endpoint_key* k,
                                         __u8 app) {
    p->self->learnFromSignature(*k, app);
}

static inline __u32 rpcmon_pkt_total_len(struct rpcmon_pkt*, __u32 len) { return len; }
// Offline frames are judged before classification (stream/checksum.h): a frame that gets here
// is one the host took, so the tracker may read it.
static inline int rpcmon_pkt_csum_unsure(struct rpcmon_pkt*) { return 0; }
static inline int rpcmon_pkt_load(struct rpcmon_pkt* p, __u32 off, void* dst, __u32 len) {
    if (off > p->len || p->len - off < len) return -1;
    std::memcpy(dst, p->data + off, len);
    return 0;
}

#include "rpcmon/classify.h"
#include "rpcmon/flow_track.h"

namespace rpcmon {

OfflineClassifier::OfflineClassifier(uint32_t snaplen, bool bulk_skip)
    : snaplen_(std::min<uint32_t>(snaplen, RPCMON_OFFLINE_MAX_SNAPLEN)),
      bulk_skip_(bulk_skip),
      bitmap_(RPCMON_PORT_BITMAP_WORDS, 0) {}

size_t OfflineClassifier::TrackKeyHash::operator()(const rpcmon_track_key& k) const {
    // Word at a time (every packet of a tracked flow is looked up): 44 bytes = 5 x 8 + 4.
    static_assert(sizeof k == 44);
    const auto* b = reinterpret_cast<const uint8_t*>(&k);
    uint64_t h = 0x9e3779b97f4a7c15ull, w;
    for (size_t i = 0; i < 40; i += 8) {
        std::memcpy(&w, b + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint32_t tail;
    std::memcpy(&tail, b + 40, 4);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

bool OfflineClassifier::TrackKeyEq::operator()(const rpcmon_track_key& a, const rpcmon_track_key& b) const {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool OfflineClassifier::track(struct rpcmon_pkt* pkt, rpcmon_packet_record& rec, uint32_t& payload_off,
                              rpcmon_track_io& io) {
    rpcmon_track_key key{};
    key.flow = rec.flow;
    key.ifindex = rec.ifindex;
    auto it = track_.find(key);
    if (it == track_.end()) {
        if (!(rec.tcp_flags & RPCMON_TCP_SYN) &&
            !rpcmon_track_looks_like_start(pkt, rec.app, payload_off, rec.payload_len))
            return true;
        if (track_.size() >= RPCMON_TRACK_MAX_ENTRIES) {
            // The kernel map is an LRU; evicting in insertion order is close enough offline.
            track_.erase(track_order_[track_next_evict_]);
            track_order_[track_next_evict_] = key;
            track_next_evict_ = (track_next_evict_ + 1) % track_order_.size();
        } else {
            track_order_.push_back(key);
        }
        it = track_.emplace(key, rpcmon_flow_track{}).first;
    }
    rpcmon_flow_track& t = it->second;
    rpcmon_track_io_init(&io, &rec, payload_off, RPCMON_BULK_THRESHOLD, RPCMON_BULK_PREFIX, RPCMON_BULK_MAX_MESSAGE);
    int deliver = rpcmon_track_apply(&t, &io, rpcmon_track_segment(pkt, &t, &io), &rec, &payload_off, counters_.data());
    if (deliver == 2) {
        // Offline there is no ring to overflow: every record is delivered, up to the end of the
        // last needed range (what the kernel's records cover).
        t.delivered_end = rec.tcp_seq + io.r_hi[(io.nr - 1) & (RPCMON_TRACK_MAX_RANGES - 1)];
        t.loss = 0;
    }
    return deliver != 0;
}

size_t OfflineClassifier::KeyHash::operator()(const rpcmon_endpoint_key& k) const {
    uint64_t h = 1469598103934665603ull;
    const auto* b = reinterpret_cast<const uint8_t*>(&k);
    for (size_t i = 0; i < sizeof k; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

bool OfflineClassifier::KeyEq::operator()(const rpcmon_endpoint_key& a, const rpcmon_endpoint_key& b) const {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool OfflineClassifier::classify(std::span<const uint8_t> frame, uint64_t timestamp_ns,
                                 std::vector<uint8_t>& out, uint8_t hook, uint32_t ifindex) {
    counters_[RPCMON_CNT_PACKETS_SEEN]++;
    counters_[RPCMON_CNT_BYTES_SEEN] += frame.size();
    now_ns_ = timestamp_ns;
    rpcmon_packet_record rec{};
    __u32 payload_off = 0, l4_off = 0;
    rpcmon_pkt pkt{{frame.data(), static_cast<uint32_t>(frame.size()), this}};
    int verdict = rpcmon_classify(&pkt, static_cast<__u32>(frame.size()), 0, &rec, &payload_off, &l4_off);
    if (verdict != RPCMON_V_CLASSIFIED) {
        if (verdict == RPCMON_V_TRUNCATED) counters_[RPCMON_CNT_TRUNCATED_HEADERS]++;
        else if (verdict == RPCMON_V_NON_IP) counters_[RPCMON_CNT_NON_IP]++;
        else if (verdict == RPCMON_V_FRAGMENT) counters_[RPCMON_CNT_IP_FRAGMENTS]++;
        return false;
    }
    counters_[RPCMON_CNT_PACKETS_CLASSIFIED]++;
    counters_[RPCMON_CNT_BYTES_CLASSIFIED] += frame.size();
    rec.hook = hook;
    rec.ifindex = ifindex;
    rpcmon_track_io io{};
    rpcmon_ranges_whole(&io, rec.payload_len);
    if (bulk_skip_ && rec.flow.l4proto == RPCMON_IPPROTO_TCP && rpcmon_track_app(rec.app) &&
        !track(&pkt, rec, payload_off, io))
        return false;
    rec.hdr.type = RPCMON_REC_PACKET;
    rec.hdr.timestamp_ns = timestamp_ns;
    // The kernel's record split (flow_track.h): the needed ranges, at most
    // RPCMON_RECORD_MAX_PAYLOAD bytes per record, the snap length capping unframed traffic.
    rpcmon_split sp;
    rpcmon_split_init(&sp, (rec.hdr.flags & RPCMON_RECF_TRACKED) ? RPCMON_MAX_SNAPLEN : snaplen_);
    rpcmon_piece pc;
    uint32_t records = 0;
    bool cut = false;
    out.clear();
    while (records < RPCMON_MAX_RECORDS_PER_PACKET && rpcmon_split_next(&io, &sp, &pc)) {
        rpcmon_packet_record r = rec;
        uint32_t caplen = pc.len;
        // A capture's own snap length may have cut the frame short of the IP length.
        size_t at = size_t(payload_off) + pc.off;
        if (at + caplen > frame.size()) caplen = at < frame.size() ? static_cast<uint32_t>(frame.size() - at) : 0;
        rpcmon_piece_record(&r, &pc, caplen, records == 0);
        // Cut by the snap length: the kernel would count it too. A short capture frame is the
        // capture's loss, not the agent's.
        if (pc.cut) {
            cut = true;
            counters_[RPCMON_CNT_CUT_BYTES] += pc.wire_len - pc.len;
        }
        size_t base = out.size();
        out.resize(base + r.hdr.size);
        std::memcpy(out.data() + base, &r, sizeof r);
        if (caplen) std::memcpy(out.data() + base + sizeof r, frame.data() + at, caplen);
        counters_[RPCMON_CNT_BYTES_DELIVERED] += r.hdr.size;
        records++;
        if (pc.last) break;
    }
    if (records > 1) {
        counters_[RPCMON_CNT_SUPER_PACKETS]++;
        counters_[RPCMON_CNT_EXTRA_RECORDS] += records - 1;
    }
    if (cut) counters_[RPCMON_CNT_CUT_PACKETS]++;
    return records > 0;
}

bool OfflineClassifier::lookup(const rpcmon_endpoint_key& key, uint8_t* app) const {
    auto it = watched_.find(key);
    if (it == watched_.end()) return false;
    *app = it->second.app;
    return true;
}

void OfflineClassifier::learnFromSignature(const rpcmon_endpoint_key& key, uint8_t app) {
    if (watched_.count(key)) return;
    if (watched_.size() >= RPCMON_WATCHED_MAX_ENTRIES) {
        counters_[RPCMON_CNT_WATCHED_FULL]++;
        return;
    }
    rpcmon_endpoint_value v{};
    v.app = app;
    v.origin = RPCMON_MATCH_SIGNATURE;
    v.added_ns = now_ns_;
    v.expires_ns = now_ns_ + RPCMON_SIGNATURE_TTL_NS;
    watched_[key] = v;
    bitmap_[key.port >> 6] |= 1ull << (key.port & 63);
    counters_[RPCMON_CNT_SIGNATURE_LEARNED]++;
}

void OfflineClassifier::addWatched(const rpcmon_endpoint_key& key, const rpcmon_endpoint_value& value) {
    if (!watched_.count(key) && watched_.size() >= RPCMON_WATCHED_MAX_ENTRIES) {
        counters_[RPCMON_CNT_WATCHED_FULL]++;
        return;
    }
    watched_[key] = value;
    bitmap_[key.port >> 6] |= 1ull << (key.port & 63);
}

void OfflineClassifier::removeWatched(const rpcmon_endpoint_key& key) {
    if (watched_.erase(key)) rebuildBitmap();
}

size_t OfflineClassifier::expireWatched(uint64_t now) {
    size_t n = std::erase_if(watched_, [now](const auto& kv) { return kv.second.expires_ns && kv.second.expires_ns < now; });
    if (n) rebuildBitmap();
    return n;
}

bool OfflineClassifier::isWatched(const rpcmon_endpoint_key& key) const { return watched_.count(key) != 0; }

void OfflineClassifier::rebuildBitmap() {
    std::fill(bitmap_.begin(), bitmap_.end(), 0);
    for (const auto& [k, v] : watched_) bitmap_[k.port >> 6] |= 1ull << (k.port & 63);
}

}  // namespace rpcmon
