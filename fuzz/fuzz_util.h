// SPDX-License-Identifier: Apache-2.0
// Shared by the libFuzzer targets: a cursor over the fuzz input, the "stream script" format the
// consumer targets and the classifier read, fakes for sink/counter/learner that check what
// they are given, and FUZZ_CHECK, which traps (a crash libFuzzer keeps) when an invariant fails.
//
// Stream script (fuzz/README.md; fuzz/make_seeds.py writes it):
//   [config u8] then records [op u8][len u16 LE][len bytes]; a record cut short by the end of
//   the input keeps the bytes present. op bit 0: direction (0 to server, 1 from server);
//   op bits 1-3: 0-3 TCP data, 4 gap of `len` bytes (no payload follows), 5 UDP datagram,
//   6 tick (time advances by len * 10 ms, no payload), 7 TCP data.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "core/types.h"
#include "output/record.h"
#include "stream/consumer.h"

#define FUZZ_CHECK(cond)                   \
    do {                                   \
        if (!(cond)) __builtin_trap();     \
    } while (0)

namespace rpcmon::fuzz {

// True when `inner` lies inside `outer` (an empty span anywhere counts as inside).
inline bool within(Bytes inner, Bytes outer) {
    if (inner.empty()) return true;
    auto b = reinterpret_cast<uintptr_t>(inner.data());
    auto ob = reinterpret_cast<uintptr_t>(outer.data());
    return b >= ob && inner.size() <= outer.size() && b - ob <= outer.size() - inner.size();
}

class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    size_t remaining() const { return size_ - pos_; }
    uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint16_t u16() {
        uint16_t lo = u8();
        return uint16_t(lo | (uint16_t(u8()) << 8));
    }
    Bytes take(size_t n) {
        n = std::min(n, remaining());
        Bytes b(data_ + pos_, n);
        pos_ += n;
        return b;
    }
    Bytes rest() { return take(remaining()); }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

enum class OpKind { Data, Gap, Datagram, Tick };

struct Op {
    OpKind kind = OpKind::Data;
    Direction dir = Direction::ToServer;
    uint16_t len = 0;
    Bytes bytes;  // Data and Datagram
};

// Next record of a stream script; false at the end of the input.
inline bool nextOp(Input& in, Op& op) {
    if (in.empty()) return false;
    uint8_t code = in.u8();
    op.dir = (code & 1) ? Direction::FromServer : Direction::ToServer;
    op.len = in.u16();
    op.bytes = {};
    switch ((code >> 1) & 7) {
    case 4: op.kind = OpKind::Gap; break;
    case 5: op.kind = OpKind::Datagram; op.bytes = in.take(op.len); break;
    case 6: op.kind = OpKind::Tick; break;
    default: op.kind = OpKind::Data; op.bytes = in.take(op.len); break;
    }
    return true;
}

constexpr TimeNs kT0 = 1764000000ull * 1000000000ull;
constexpr TimeNs kTickUnit = 10ull * 1000000ull;

// Serialises every record the way the EVE writer does (invalid UTF-8 replaced), so a record
// that cannot be written is found here, and checks the keys every record must have.
struct CheckingSink : RecordSink {
    size_t records = 0;
    void emit(Json&& r) override {
        FUZZ_CHECK(r.is_object());
        FUZZ_CHECK(r.contains("event_type"));
        std::string line = r.dump(-1, ' ', false, Json::error_handler_t::replace);
        FUZZ_CHECK(!line.empty());
        records++;
    }
};

struct CheckingCounter : AnomalyCounter {
    uint64_t total = 0;
    void count(const char* name, uint64_t n = 1) override {
        FUZZ_CHECK(name != nullptr && name[0] != '\0');
        total += n;
    }
};

struct CheckingLearner : EndpointLearner {
    size_t learned = 0;
    void learn(const LearnedEndpoint& ep) override {
        FUZZ_CHECK(ep.l4proto == IPPROTO_TCP || ep.l4proto == IPPROTO_UDP);
        FUZZ_CHECK(ep.app != RPCMON_APP_NONE);
        learned++;
    }
};

inline FlowContext makeFlow(uint8_t l4proto, uint16_t server_port, uint8_t app) {
    FlowContext f;
    f.key.client = Address{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    f.key.server = Address{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
    f.key.client_port = 50000;
    f.key.server_port = server_port;
    f.key.l4proto = l4proto;
    f.flow_id = 1;
    f.app = app;
    return f;
}

// Plays the stream layer in front of a StreamConsumer: keeps each direction's unconsumed
// bytes and presents them again with the next data, as tcp_reassembler does, with a budget
// past which it drops them and reports a gap. Checks that a consumer never claims more bytes
// than it was given.
class StreamDriver {
public:
    // Bytes kept unconsumed per direction before the driver gives up on them (the pipeline's
    // per-flow budget is larger; a smaller one reaches the gap path with small inputs).
    static constexpr size_t kBudget = 256 * 1024;

    explicit StreamDriver(StreamConsumer& c) : c_(c) {}

    void run(Input& in) {
        Op op;
        while (nextOp(in, op)) {
            auto& buf = pending_[size_t(op.dir)];
            switch (op.kind) {
            case OpKind::Data: {
                buf.insert(buf.end(), op.bytes.begin(), op.bytes.end());
                size_t used = c_.onData(op.dir, Bytes(buf.data(), buf.size()), now_);
                FUZZ_CHECK(used <= buf.size());
                buf.erase(buf.begin(), buf.begin() + ptrdiff_t(used));
                if (buf.size() > kBudget) {
                    uint64_t lost = buf.size();
                    buf.clear();
                    c_.onGap(op.dir, lost);
                }
                break;
            }
            case OpKind::Gap: {
                uint64_t lost = buf.size() + op.len + 1;
                buf.clear();
                c_.onGap(op.dir, lost);
                break;
            }
            case OpKind::Datagram:
                c_.onDatagram(op.dir, op.bytes, now_);
                break;
            case OpKind::Tick:
                now_ += op.len * kTickUnit;
                c_.onTick(now_);
                break;
            }
            now_ += 1000;  // keep timestamps strictly increasing
        }
        c_.onTick(now_ + 3600ull * 1000000000ull);
        c_.onClose(now_ + 3600ull * 1000000000ull);
    }

private:
    StreamConsumer& c_;
    std::vector<uint8_t> pending_[2];
    TimeNs now_ = kT0;
};

}  // namespace rpcmon::fuzz
