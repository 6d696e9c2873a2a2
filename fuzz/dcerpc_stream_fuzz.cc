// SPDX-License-Identifier: Apache-2.0
// DCE/RPC per-connection state (binds, contexts, fragment reassembly, call matching, records,
// endpoint learning) through its three entry points: TcpConsumer (stream script data/gaps),
// makePipeStream (the same script fed as an SMB named pipe's contents) and UdpConsumer (CL v4
// datagrams). Every record is serialised; every learned endpoint checked.
//
// Input: [config u8] + stream script (fuzz_util.h). config bits 0-1: 0/3 TcpConsumer,
// 1 makePipeStream, 2 UdpConsumer; bit 2: small limits (4 pending calls, 4 contexts,
// 1 s call timeout).
#include <netinet/in.h>

#include "fuzz_util.h"
#include "protocols/dcerpc/connection.h"
#include "protocols/dcerpc/connectionless.h"

using namespace rpcmon;
using namespace rpcmon::dcerpc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    uint8_t cfg = in.u8();
    fuzz::CheckingSink sink;
    fuzz::CheckingCounter counter;
    fuzz::CheckingLearner learner;
    ConnectionConfig cc;
    if (cfg & 4) {
        cc.max_pending_calls = 4;
        cc.max_contexts = 4;
        cc.call_timeout = 1000000000ull;
    }
    switch (cfg & 3) {
    case 1: {
        FlowContext flow = fuzz::makeFlow(IPPROTO_TCP, 445, RPCMON_APP_SMB);
        PipeInfo pipe{"lsarpc", SmbInfo{.user = "alice", .share = "IPC$"}};
        auto s = makePipeStream(flow, pipe, sink, counter, &learner);
        TimeNs now = fuzz::kT0;
        fuzz::Op op;
        while (fuzz::nextOp(in, op)) {
            now += 1000;
            switch (op.kind) {
            case fuzz::OpKind::Data:
            case fuzz::OpKind::Datagram: s->feed(op.dir, op.bytes, now); break;
            case fuzz::OpKind::Gap: s->onGap(op.dir); break;
            case fuzz::OpKind::Tick: now += op.len * fuzz::kTickUnit; s->onTick(now); break;
            }
        }
        s->onTick(now + 3600ull * 1000000000ull);
        s->onClose(now + 3600ull * 1000000000ull);
        break;
    }
    case 2: {
        FlowContext flow = fuzz::makeFlow(IPPROTO_UDP, 135, RPCMON_APP_DCERPC);
        UdpConsumer c(flow, sink, counter, &learner, cc);
        fuzz::StreamDriver(c).run(in);
        FUZZ_CHECK(c.pendingCalls() == 0);
        break;
    }
    default: {
        FlowContext flow = fuzz::makeFlow(IPPROTO_TCP, 135, RPCMON_APP_DCERPC);
        TcpConsumer c(flow, sink, counter, &learner, cc);
        fuzz::StreamDriver(c).run(in);
        break;
    }
    }
    return 0;
}
