// SPDX-License-Identifier: Apache-2.0
// OncConsumer (one per flow: TCP framing + resync, UDP, call/reply join, timeouts, portmapper
// learning) driven by a stream script of chunks, gaps, datagrams and ticks (fuzz_util.h), with
// a sink that serialises every record and a learner that checks every endpoint.
//
// Input: [config u8] + stream script. config bit 0: UDP flow (else TCP); bit 1: no learner;
// bit 2: small limits (4 pending calls, 256 kept bytes per record, 1 s timeout);
// bit 3: server port 111 (else 2049).
#include <netinet/in.h>

#include "fuzz_util.h"
#include "protocols/onc/consumer.h"

using namespace rpcmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    uint8_t cfg = in.u8();
    fuzz::CheckingSink sink;
    fuzz::CheckingCounter counter;
    fuzz::CheckingLearner learner;
    onc::OncConfig oc;
    if (cfg & 4) {
        oc.max_pending = 4;
        oc.max_kept_record = 256;
        oc.call_timeout = 1000000000ull;
    }
    FlowContext flow = fuzz::makeFlow((cfg & 1) ? IPPROTO_UDP : IPPROTO_TCP, (cfg & 8) ? 111 : 2049,
                                      RPCMON_APP_ONC);
    {
        onc::OncConsumer c(flow, sink, counter, (cfg & 2) ? nullptr : &learner, oc);
        fuzz::StreamDriver(c).run(in);
        FUZZ_CHECK(c.pendingCalls() == 0);  // onClose reports every pending call
    }
    return 0;
}
