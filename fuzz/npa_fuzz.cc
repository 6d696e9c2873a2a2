// SPDX-License-Identifier: Apache-2.0
// Samba's named-pipe hand-off as the host-socket source delivers it: the NPAM handshake parser
// on its own (mutable buffer: it wipes the session key in place), as given and relabelled as
// each level 4-8, then the same bytes as
// host records into npa::HostPipes (handshake, [u16 length][payload] framing, DCE/RPC).
//
// Input: [chunk u8] then the to-server bytes; every `chunk + 1` bytes become one record, and
// each third record goes the other way (replies), so framing and reassembly see every split.
#include "fuzz_util.h"
#include "protocols/npa/handshake.h"
#include "protocols/npa/host_pipes.h"

using namespace rpcmon;

namespace {

struct Sink : RecordSink {
    void emit(Json&& r) override { FUZZ_CHECK(!r.dump().empty()); }
};
struct Counter : AnomalyCounter {
    void count(const char*, uint64_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    size_t chunk = size_t(data[0]) + 1;
    std::vector<uint8_t> body(data + 1, data + size);
    // The request as it came, then relabelled as every level with a layout (4 ... 8), so each
    // level's field layout (with and without the transport byte) meets every input.
    for (uint32_t level = 0; level <= npa::kLastLevel; level = level ? level + 1 : npa::kFirstLevel) {
        std::vector<uint8_t> copy = body;
        if (level && copy.size() >= 16) {
            for (int i = 0; i < 4; i++) copy[8 + i] = copy[12 + i] = uint8_t(level >> (8 * i));
        } else if (level) {
            break;
        }
        npa::Handshake h;
        size_t used = 0;
        npa::Parse r = npa::parseRequest(std::span<uint8_t>(copy), h, used);
        if (r != npa::Parse::NeedMore && r != npa::Parse::Invalid) FUZZ_CHECK(used <= copy.size());
        if (r == npa::Parse::Ok) FUZZ_CHECK(npa::knownLevel(h.level));
        if (r != npa::Parse::Ok) FUZZ_CHECK(h.client_addr.empty() && h.account.empty() && !h.session_parsed);
        if (level) FUZZ_CHECK(r == npa::Parse::NeedMore || r == npa::Parse::Invalid || h.level == level);
        FUZZ_CHECK(h.account.size() <= 1024 && h.domain.size() <= 1024 && h.client_addr.size() <= 1024);
        size_t rep = 0;
        if (npa::parseReply(Bytes(copy.data(), copy.size()), rep) == npa::Parse::Ok) FUZZ_CHECK(rep <= copy.size());
    }
    Sink sink;
    Counter counter;
    npa::HostPipes pipes(sink, counter, [](const FlowKey&) { return uint64_t(0); });
    rpcmon_host_msg_record rec{};
    rec.hdr.type = RPCMON_REC_HOST_MSG;
    rec.sock_id = 1;
    rec.sock_ino = 2;
    TimeNs ts = 1;
    size_t n = 0;
    for (size_t off = 0; off < body.size(); off += chunk, n++) {
        size_t len = std::min(chunk, body.size() - off);
        rec.direction = n % 3 == 2 ? RPCMON_HOST_SEND : RPCMON_HOST_RECV;
        rec.captured_len = uint32_t(len);
        rec.total_len = uint32_t(len);
        pipes.onRecord(rec, Bytes(body.data() + off, len), ts += 1000000);
    }
    pipes.tick(ts + npa::kPipeIdleNs + 1);
    pipes.closeAll(ts);
    FUZZ_CHECK(pipes.size() == 0);
    return 0;
}
