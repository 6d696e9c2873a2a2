// SPDX-License-Identifier: Apache-2.0
// SMB2/3 message parsing: splitCompound on one NBSS payload, then every body parser that
// applies to each element's command and direction (and the security blob of SESSION_SETUP),
// plus the transform header. Checks that every span a parser returns lies inside its message.
//
// Input: [config u8] + one SMB2 message (NBSS payload). config bit 0: truncated prefix.
#include "fuzz_util.h"
#include "protocols/smb/auth.h"
#include "protocols/smb/smb2.h"

using namespace rpcmon;
using namespace rpcmon::smb2;
using rpcmon::fuzz::within;

namespace {

void body(const Message& m, bool trunc) {
    bool resp = m.hdr.isResponse();
    (void)expectedStructureSize(m.hdr.command, resp);
    FUZZ_CHECK(commandName(m.hdr.command) != nullptr);
    if (resp && isErrorResponse(m)) return;
    switch (m.hdr.command) {
    case kNegotiate:
        if (resp) {
            NegotiateResponse r;
            if (parseNegotiateResponse(m, r) == ParseState::Success) FUZZ_CHECK(!dialectName(r.dialect).empty());
        } else {
            NegotiateRequest r;
            if (parseNegotiateRequest(m, r) == ParseState::Success)
                for (uint16_t d : r.dialects) FUZZ_CHECK(!dialectName(d).empty());
        }
        break;
    case kSessionSetup: {
        Bytes blob;
        if (resp) {
            SessionSetupResponse r;
            if (parseSessionSetupResponse(m, r) == ParseState::Success) blob = r.security_buffer;
        } else {
            SessionSetupRequest r;
            if (parseSessionSetupRequest(m, r) == ParseState::Success) blob = r.security_buffer;
        }
        FUZZ_CHECK(within(blob, m.msg));
        smb::AuthInfo a;
        (void)smb::parseSecurityBlob(blob, a);
        break;
    }
    case kTreeConnect:
        if (resp) { TreeConnectResponse r; (void)parseTreeConnectResponse(m, r); }
        else { TreeConnectRequest r; (void)parseTreeConnectRequest(m, r); }
        break;
    case kCreate:
        if (resp) { CreateResponse r; if (parseCreateResponse(m, r) == ParseState::Success) (void)r.looksLikePipe(); }
        else { CreateRequest r; (void)parseCreateRequest(m, r); }
        break;
    case kClose:
        if (!resp) { CloseRequest r; (void)parseCloseRequest(m, r); }
        break;
    case kRead:
        if (resp) {
            ReadResponse r;
            if (parseReadResponse(m, r, trunc) == ParseState::Success) {
                FUZZ_CHECK(within(r.data, m.msg));
                if (!trunc) FUZZ_CHECK(r.data.size() == r.data_length);
            }
        } else {
            ReadRequest r;
            (void)parseReadRequest(m, r);
        }
        break;
    case kWrite:
        if (!resp) {
            WriteRequest r;
            if (parseWriteRequest(m, r, trunc) == ParseState::Success) {
                FUZZ_CHECK(within(r.data, m.msg));
                FUZZ_CHECK(r.data.size() <= r.data_length);
            }
        }
        break;
    case kIoctl:
        if (resp) {
            IoctlResponse r;
            if (parseIoctlResponse(m, r, trunc) == ParseState::Success) FUZZ_CHECK(within(r.output, m.msg));
        } else {
            IoctlRequest r;
            if (parseIoctlRequest(m, r, trunc) == ParseState::Success) FUZZ_CHECK(within(r.input, m.msg));
        }
        break;
    default:
        break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    bool trunc = in.u8() & 1;
    Bytes frame = in.rest();

    TransformHeader th;
    (void)parseTransformHeader(frame, th);

    Header h;
    ParseState hs = parseHeader(frame, h);
    if (hs == ParseState::NeedsMoreData) FUZZ_CHECK(frame.size() < kHeaderSize);

    std::vector<Message> msgs;
    (void)splitCompound(frame, msgs, trunc);
    FUZZ_CHECK(msgs.size() <= kMaxCompound);
    for (const Message& m : msgs) {
        FUZZ_CHECK(within(m.msg, frame));
        FUZZ_CHECK(m.msg.size() >= kHeaderSize);
        body(m, trunc);
    }
    return 0;
}
