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

#include "rpcmon/classify.h"

namespace rpcmon {

OfflineClassifier::OfflineClassifier(uint32_t snaplen)
    : snaplen_(std::min<uint32_t>(snaplen, RPCMON_OFFLINE_MAX_SNAPLEN)), bitmap_(RPCMON_PORT_BITMAP_WORDS, 0) {}

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
                                 std::vector<uint8_t>& out) {
    counters_[RPCMON_CNT_PACKETS_SEEN]++;
    counters_[RPCMON_CNT_BYTES_SEEN] += frame.size();
    now_ns_ = timestamp_ns;
    rpcmon_packet_record rec{};
    __u32 payload_off = 0;
    rpcmon_pkt pkt{{frame.data(), static_cast<uint32_t>(frame.size()), this}};
    int verdict = rpcmon_classify(&pkt, static_cast<__u32>(frame.size()), 0, &rec, &payload_off);
    if (verdict != RPCMON_V_CLASSIFIED) {
        if (verdict == RPCMON_V_TRUNCATED) counters_[RPCMON_CNT_TRUNCATED_HEADERS]++;
        else if (verdict == RPCMON_V_NON_IP) counters_[RPCMON_CNT_NON_IP]++;
        else if (verdict == RPCMON_V_FRAGMENT) counters_[RPCMON_CNT_IP_FRAGMENTS]++;
        return false;
    }
    counters_[RPCMON_CNT_PACKETS_CLASSIFIED]++;
    counters_[RPCMON_CNT_BYTES_CLASSIFIED] += frame.size();
    uint32_t caplen = rec.payload_len;
    rec.hdr.type = RPCMON_REC_PACKET;
    if (caplen > snaplen_) {
        caplen = snaplen_;
        rec.hdr.flags = RPCMON_RECF_TRUNCATED;
    }
    // A capture's own snap length may have cut the frame short of the IP length.
    if (payload_off + caplen > frame.size()) {
        caplen = payload_off < frame.size() ? static_cast<uint32_t>(frame.size() - payload_off) : 0;
        rec.hdr.flags |= RPCMON_RECF_TRUNCATED;
    }
    rec.hdr.timestamp_ns = timestamp_ns;
    rec.hook = RPCMON_HOOK_PCAP;
    rec.captured_len = caplen;
    rec.hdr.size = static_cast<uint32_t>(sizeof rec + caplen);
    out.resize(sizeof rec + caplen);
    std::memcpy(out.data(), &rec, sizeof rec);
    if (caplen) std::memcpy(out.data() + sizeof rec, frame.data() + payload_off, caplen);
    return true;
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
