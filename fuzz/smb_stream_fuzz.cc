// SPDX-License-Identifier: Apache-2.0
// SmbConsumer (NBSS framing + resync, SMB1/SMB2 sessions, trees, named pipes, request/response
// matching, records) driven by a stream script (fuzz_util.h). Pipes go to a fake PipeOpener
// whose streams check the EmbeddedStream contract, or (config bit 2) to the real DCE/RPC pipe
// parser, so SMB → DCE/RPC hand-off is fuzzed end to end.
//
// Input: [config u8] + stream script. config bit 0: TCP 139 NetBIOS framing (else 445);
// bit 1: no PipeOpener; bit 2: DcerpcPipeOpener instead of the fake.
#include <netinet/in.h>

#include "fuzz_util.h"
#include "protocols/dcerpc/connection.h"
#include "protocols/smb/consumer.h"

using namespace rpcmon;

namespace {

// Checks the contract: nothing reaches a pipe after onClose, and each pipe is closed at most once.
struct CheckingPipe : EmbeddedStream {
    bool closed = false;
    size_t bytes = 0;
    void feed(Direction, Bytes data, TimeNs) override {
        FUZZ_CHECK(!closed);
        bytes += data.size();
    }
    void onGap(Direction) override { FUZZ_CHECK(!closed); }
    void onTick(TimeNs) override { FUZZ_CHECK(!closed); }
    void onClose(TimeNs) override {
        FUZZ_CHECK(!closed);
        closed = true;
    }
};

struct CheckingOpener : PipeOpener {
    std::unique_ptr<EmbeddedStream> openPipe(const FlowContext&, const PipeInfo& pipe) override {
        // A pipe carries its session's identity only, never a record's own session id or status.
        FUZZ_CHECK(!pipe.smb.session_id && pipe.smb.status.empty() && pipe.smb.pipe.empty());
        return std::make_unique<CheckingPipe>();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    uint8_t cfg = in.u8();
    bool nb139 = cfg & 1;
    fuzz::CheckingSink sink;
    fuzz::CheckingCounter counter;
    fuzz::CheckingLearner learner;
    CheckingOpener fake;
    dcerpc::DcerpcPipeOpener real(sink, counter, &learner);
    PipeOpener* opener = (cfg & 2) ? nullptr : (cfg & 4) ? static_cast<PipeOpener*>(&real) : &fake;
    FlowContext flow = fuzz::makeFlow(IPPROTO_TCP, nb139 ? 139 : 445,
                                      nb139 ? RPCMON_APP_NBSS : RPCMON_APP_SMB);
    smb::SmbConsumer c(flow, sink, counter, opener, nb139);
    fuzz::StreamDriver(c).run(in);
    FUZZ_CHECK(c.sessionCount() <= smb::kMaxSessions);
    FUZZ_CHECK(c.treeCount() <= smb::kMaxTrees);
    FUZZ_CHECK(c.openPipeCount() <= smb::kMaxOpenPipes);
    FUZZ_CHECK(c.pendingCount() <= smb::kMaxPending);
    return 0;
}
