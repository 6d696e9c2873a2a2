// SPDX-License-Identifier: Apache-2.0
// Offline input: libpcap reads pcap/pcapng, each frame is turned into an Ethernet frame (the
// classifier's input format) and classified by the kernel's own classifier code.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

#include "capture/offline_classifier.h"
#include "capture/packet_source.h"

namespace rpcmon {
namespace {

// Link types seen in real captures, and the synthetic Ethernet header each needs.
constexpr int kLinkEthernet = 1;      // DLT_EN10MB
constexpr int kLinkNull = 0;          // DLT_NULL: 4-byte host-order address family
constexpr int kLinkLoop = 108;        // DLT_LOOP: 4-byte network-order address family
constexpr int kLinkRaw = 12;          // DLT_RAW (LINKTYPE_RAW is 101)
constexpr int kLinkRaw101 = 101;
constexpr int kLinkIpv4 = 228;
constexpr int kLinkIpv6 = 229;
constexpr int kLinkSll = 113;         // Linux cooked v1: 16-byte header, protocol at 14
constexpr int kLinkSll2 = 276;        // Linux cooked v2: 20-byte header, protocol at 0

class OfflineLearner : public EndpointLearner {
public:
    explicit OfflineLearner(OfflineClassifier& c) : cls_(c) {}
    void learn(const LearnedEndpoint& ep) override {
        rpcmon_endpoint_key k;
        rpcmon_endpoint_value v;
        watchedEntry(ep, k, v);
        v.expires_ns = ep.expires;  // capture time, the classifier's clock
        cls_.addWatched(k, v);
        learned_++;
    }
    uint64_t learned() const { return learned_; }

private:
    OfflineClassifier& cls_;
    uint64_t learned_ = 0;
};

class PcapSource : public PacketSource {
public:
    explicit PcapSource(const PcapOptions& o)
        : cls_(o.snaplen, o.bulk_skip), learner_(cls_), path_(o.path), checksums_(o.checksums, counters_) {
        char err[PCAP_ERRBUF_SIZE] = {};
        pcap_ = pcap_open_offline_with_tstamp_precision(o.path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
        if (!pcap_) throw std::runtime_error("cannot read " + o.path + ": " + err);
        linktype_ = pcap_datalink(pcap_);
        switch (linktype_) {
        case kLinkEthernet: case kLinkNull: case kLinkLoop: case kLinkRaw: case kLinkRaw101:
        case kLinkIpv4: case kLinkIpv6: case kLinkSll: case kLinkSll2:
            break;
        default:
            pcap_close(pcap_);
            throw std::runtime_error("cannot read " + o.path + ": unsupported link type " +
                                     std::to_string(linktype_));
        }
        mapClassicPcap(o.path);
    }
    ~PcapSource() override {
        if (map_) munmap(const_cast<uint8_t*>(map_), map_size_);
        pcap_close(pcap_);
    }

    void run(RecordHandler& h, const std::atomic<bool>& stop) override {
        if (map_) {
            runMapped(h, stop);
        } else {
            pcap_pkthdr* hdr;
            const u_char* data;
            int rc;
            while (!stop.load(std::memory_order_relaxed) && (rc = pcap_next_ex(pcap_, &hdr, &data)) == 1)
                frame(h, uint64_t(hdr->ts.tv_sec) * 1000000000ull + uint64_t(hdr->ts.tv_usec),  // ns precision
                      Bytes(data, hdr->caplen));
            if (rc == -1) {
                // A truncated or corrupt file: what was read stays reported; the error is counted
                // and shown, not fatal.
                read_error_ = pcap_geterr(pcap_);
            }
        }
        h.onIdle(now_);
    }

    Json stats() const override {
        Json j;
        j["source"] = "pcap";
        j["file"] = path_;
        j["frames"] = frames_;
        // The checksum counters are the kernel's (offline judges frames before classifying
        // them, in `anomalies`): printed only if ever set, so stats lines stay as they were.
        for (int i = 0; i < RPCMON_CNT_MAX; i++)
            if (i < RPCMON_CNT_CSUM_GOOD || cls_.counters()[i]) j["classifier"][counterName(i)] = cls_.counters()[i];
        j["unsupported_frames"] = unsupported_frames_;
        j["endpoints_learned"] = learner_.learned();
        j["watched_endpoints"] = cls_.watchedCount();
        j["endpoints_expired"] = expired_;
        if (!counters_.counts().empty()) {
            j["checksums"] = checksumModeName(checksums_.mode());
            for (const auto& [k, v] : counters_.counts()) j["anomalies"][k] = v;
        }
        if (!read_error_.empty()) j["read_error"] = read_error_;
        return j;
    }
    EndpointLearner& learner() override { return learner_; }
    TimeNs now() const override { return now_; }

private:
    void frame(RecordHandler& h, TimeNs ts, Bytes data) {
        now_ = ts;
        frames_++;
        Bytes eth = toEthernet(data);
        if (eth.empty()) {
            unsupported_frames_++;
            return;
        }
        // Before the classifier: the kernel-side tracking it runs must not see a segment the
        // host drops either.
        if (checksums_.mode() != ChecksumMode::Off) {
            TcpView tcp = tcpView(eth);
            if (!checksums_.accept(eth)) {
                // A data segment with a bad checksum waits (auto): dropped when a good copy of
                // its bytes follows (insertion evasion), used if the peer acknowledges them
                // (the host took it: an edited capture, a checksum the capture cannot judge).
                if (checksums_.mode() == ChecksumMode::Auto && tcp.ok && tcp.seg.len)
                    held_.hold(tcp.seg, UndecidedSegments::Kind::Bad, eth, now_);
                afterFrame(h);
                return;
            }
            if (tcp.ok) settleHeld(h, tcp.seg);
        }
        uint64_t fragments = cls_.counters()[RPCMON_CNT_IP_FRAGMENTS];
        if (cls_.classify(eth, now_, rec_)) {
            OfflineClassifier::forEachRecord(rec_, [&](std::span<const uint8_t> r) { h.onRecord(r, now_); });
        } else if (cls_.counters()[RPCMON_CNT_IP_FRAGMENTS] != fragments) {
            // An IP fragment: handed over whole, as the kernel programs do, for the pipeline's
            // reassembler.
            rpcmon_frame_record fr{};
            fr.hdr.type = RPCMON_REC_IP_FRAGMENT;
            fr.hdr.size = uint32_t(sizeof fr + eth.size());
            fr.hdr.timestamp_ns = now_;
            fr.hook = RPCMON_HOOK_PCAP;
            fr.frame_len = fr.captured_len = uint32_t(eth.size());
            rec_.resize(sizeof fr + eth.size());
            std::memcpy(rec_.data(), &fr, sizeof fr);
            std::memcpy(rec_.data() + sizeof fr, eth.data(), eth.size());
            h.onRecord(rec_, now_);
        }
        afterFrame(h);
    }

    // The TCP fields the bad-checksum hold needs (IPv4/IPv6 without extension headers).
    struct TcpView {
        bool ok = false;
        SegmentView seg;
    };
    static TcpView tcpView(Bytes f) {
        TcpView v;
        SegmentView& s = v.seg;
        auto be16 = [&f](size_t o) { return uint16_t(f[o] << 8 | f[o + 1]); };
        auto be32 = [&](size_t o) { return uint32_t(be16(o)) << 16 | be16(o + 2); };
        if (f.size() < 14) return v;
        size_t off = 14;
        uint16_t et = be16(12);
        if (et == 0x8100 || et == 0x88A8) {
            if (f.size() < 18) return v;
            et = be16(16);
            off = 18;
        }
        size_t l4, end;
        if (et == 0x0800 && f.size() >= off + 20 && f[off + 9] == 6 && !(be16(off + 6) & 0x3fff)) {
            size_t ihl = size_t(f[off] & 15) * 4, tot = be16(off + 2);
            if (tot == 0) tot = f.size() - off;
            s.src[10] = s.src[11] = s.dst[10] = s.dst[11] = 0xff;
            std::memcpy(s.src.data() + 12, &f[off + 12], 4);
            std::memcpy(s.dst.data() + 12, &f[off + 16], 4);
            l4 = off + ihl;
            end = off + tot;
        } else if (et == 0x86DD && f.size() >= off + 40 && f[off + 6] == 6) {
            std::memcpy(s.src.data(), &f[off + 8], 16);
            std::memcpy(s.dst.data(), &f[off + 24], 16);
            l4 = off + 40;
            end = off + 40 + be16(off + 4);
        } else {
            return v;
        }
        if (f.size() < l4 + 20 || end > f.size()) return v;
        size_t doff = size_t(f[l4 + 12] >> 4) * 4;
        if (doff < 20 || l4 + doff > end) return v;
        s.sport = be16(l4);
        s.dport = be16(l4 + 2);
        s.seq = be32(l4 + 4);
        s.ack = be32(l4 + 8);
        s.flags = f[l4 + 13];
        s.len = uint32_t(end - l4 - doff);
        v.ok = true;
        return v;
    }
    // A good segment: held bad copies of its bytes are insertions (dropped); held bad segments
    // of the other direction it acknowledges were taken by the host (classified now, before it).
    void settleHeld(RecordHandler& h, const SegmentView& seg) {
        held_.settle(seg, [&](Bytes frame, TimeNs ts) {
            if (cls_.classify(frame, ts, rec_))
                OfflineClassifier::forEachRecord(rec_, [&](std::span<const uint8_t> r) { h.onRecord(r, ts); });
        });
    }

    void afterFrame(RecordHandler& h) {
        // Expire state on capture time, as often as a live agent would (every 64 frames).
        if ((frames_ & 63) == 0) h.onIdle(now_);
        if (now_ >= next_expiry_) {
            expired_ += cls_.expireWatched(now_);
            next_expiry_ = now_ + 1000000000ull;
        }
    }

    // Classic pcap (not pcapng) is read straight from a read-only mapping: no copy of each
    // frame into libpcap's buffer, which was most of the cost of reading a bulk capture.
    // libpcap has validated the file header; anything else keeps the libpcap path.
    void mapClassicPcap(const std::string& path) {
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st;
        uint32_t magic = 0;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 24 && pread(fd, &magic, 4, 0) == 4) {
            swapped_ = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
            nanos_ = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
            if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du || swapped_) {
                void* m = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
                if (m != MAP_FAILED) {
                    madvise(m, size_t(st.st_size), MADV_SEQUENTIAL);
                    map_ = static_cast<const uint8_t*>(m);
                    map_size_ = size_t(st.st_size);
                }
            }
        }
        close(fd);
    }

    uint32_t field(size_t off) const {
        uint32_t v;
        std::memcpy(&v, map_ + off, 4);
        return swapped_ ? __builtin_bswap32(v) : v;
    }

    void runMapped(RecordHandler& h, const std::atomic<bool>& stop) {
        size_t off = 24;
        while (off < map_size_ && !stop.load(std::memory_order_relaxed)) {
            if (map_size_ - off < 16) {
                read_error_ = "truncated dump file; tried to read 16 header bytes, only got " +
                              std::to_string(map_size_ - off);
                return;
            }
            uint32_t sec = field(off), frac = field(off + 4), caplen = field(off + 8);
            if (caplen > RPCMON_OFFLINE_MAX_SNAPLEN) {
                read_error_ = "invalid packet capture length " + std::to_string(caplen) +
                              ", bigger than maximum of " + std::to_string(RPCMON_OFFLINE_MAX_SNAPLEN);
                return;
            }
            off += 16;
            if (map_size_ - off < caplen) {
                read_error_ = "truncated dump file; tried to read " + std::to_string(caplen) +
                              " captured bytes, only got " + std::to_string(map_size_ - off);
                return;
            }
            frame(h, uint64_t(sec) * 1000000000ull + (nanos_ ? frac : uint64_t(frac) * 1000), Bytes(map_ + off, caplen));
            off += caplen;
            // Hand back the pages already read: the resident set stays small however large
            // the capture is (nothing points into them any more: records are copies).
            if (off - released_ >= kReleaseStep) {
                size_t end = off & ~(kReleaseStep - 1);
                madvise(const_cast<uint8_t*>(map_) + released_, end - released_, MADV_DONTNEED);
                released_ = end;
            }
        }
    }
    static constexpr size_t kReleaseStep = 8u << 20;  // a multiple of the page size

    // Rewrites a frame of another link type as Ethernet so the one classifier serves all.
    Bytes toEthernet(Bytes f) {
        if (linktype_ == kLinkEthernet) return f;
        uint16_t ethertype = 0;
        size_t skip = 0;
        auto ipVersion = [&](size_t off) -> uint16_t {
            if (f.size() <= off) return 0;
            return (f[off] >> 4) == 4 ? 0x0800 : (f[off] >> 4) == 6 ? 0x86DD : 0;
        };
        switch (linktype_) {
        case kLinkNull: case kLinkLoop:
            skip = 4;
            ethertype = ipVersion(4);
            break;
        case kLinkRaw: case kLinkRaw101: case kLinkIpv4: case kLinkIpv6:
            ethertype = ipVersion(0);
            break;
        case kLinkSll:
            if (f.size() < 16) return {};
            skip = 16;
            ethertype = uint16_t(f[14] << 8 | f[15]);
            break;
        case kLinkSll2:
            if (f.size() < 20) return {};
            skip = 20;
            ethertype = uint16_t(f[0] << 8 | f[1]);
            break;
        }
        if (!ethertype || f.size() < skip) return {};
        buf_.assign(14, 0);
        buf_[12] = uint8_t(ethertype >> 8);
        buf_[13] = uint8_t(ethertype);
        buf_.insert(buf_.end(), f.begin() + skip, f.end());
        return buf_;
    }

    OfflineClassifier cls_;
    OfflineLearner learner_;
    std::string path_;
    CaptureCounters counters_;
    ChecksumValidator checksums_;
    // Bad-checksum data segments awaiting a good copy or an ACK (64, as many as a capture's
    // insertions are ever ahead of their real segments; no age limit: capture time).
    UndecidedSegments held_{counters_, {64, 4u << 20, 0}};
    pcap_t* pcap_ = nullptr;
    int linktype_ = 0;
    TimeNs now_ = 0, next_expiry_ = 0;
    uint64_t expired_ = 0;
    uint64_t frames_ = 0, unsupported_frames_ = 0;
    std::string read_error_;
    std::vector<uint8_t> buf_;
    std::vector<uint8_t> rec_;
    const uint8_t* map_ = nullptr;  // classic pcap mapped read-only, or null (libpcap reads)
    size_t map_size_ = 0, released_ = 0;
    bool swapped_ = false, nanos_ = false;
};

}  // namespace

const char* counterName(int id) {
    static const char* names[RPCMON_CNT_MAX] = {
        "packets_seen", "bytes_seen", "packets_classified", "bytes_classified", "ringbuf_drops",
        "truncated_headers", "non_ip", "ip_fragments", "signature_learned", "watched_full",
        "bytes_delivered", "bulk_bytes_skipped", "bulk_packets_skipped", "acks_suppressed",
        "flows_tracked", "track_lost_sync", "track_resync", "super_packets", "extra_records",
        "cut_packets", "cut_bytes", "fragments_delivered", "fragment_budget_drops",
        "csum_good", "csum_bad", "csum_partial", "csum_not_checked", "track_csum_unsure",
    };
    return id >= 0 && id < RPCMON_CNT_MAX ? names[id] : "unknown";
}

void watchedEntry(const LearnedEndpoint& ep, rpcmon_endpoint_key& key, rpcmon_endpoint_value& value) {
    key = {};
    std::memcpy(key.addr, ep.addr.data(), 16);
    key.port = ep.port;
    key.l4proto = ep.l4proto;
    value = {};
    value.app = ep.app;
    value.origin = RPCMON_MATCH_WATCHED;
    value.program = ep.program;
}

std::unique_ptr<PacketSource> makePcapSource(const PcapOptions& opts) {
    return std::make_unique<PcapSource>(opts);
}

}  // namespace rpcmon
