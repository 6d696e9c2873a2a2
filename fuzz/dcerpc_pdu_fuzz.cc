// SPDX-License-Identifier: Apache-2.0
// DCE/RPC PDU parsing, connection-oriented and connectionless: common header, PDU framing with
// the auth verifier, every body parser for the PDU's type, NTLMSSP in the verifier,
// findPduBoundary, and the CL v4 datagram parser — all on the same bytes.
//
// Input: one CO PDU (or several, or a datagram) as on the wire.
#include "fuzz_util.h"
#include "protocols/dcerpc/interfaces.h"
#include "protocols/dcerpc/parse.h"

using namespace rpcmon;
using namespace rpcmon::dcerpc;
using rpcmon::fuzz::within;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Bytes in(data, size);

    CommonHeader ch;
    HeaderError err = HeaderError::None;
    ParseState hs = parseCommonHeader(in, ch, &err);
    if (hs == ParseState::NeedsMoreData) FUZZ_CHECK(size < kCommonHeaderSize);
    if (hs == ParseState::Invalid) FUZZ_CHECK(err != HeaderError::None && anomalyName(err) != nullptr);

    Pdu pdu;
    err = HeaderError::None;
    if (parsePdu(in, pdu, &err) == ParseState::Success) {
        FUZZ_CHECK(pdu.hdr.frag_length >= kCommonHeaderSize && pdu.hdr.frag_length <= size);
        Bytes frag = in.first(pdu.hdr.frag_length);
        FUZZ_CHECK(within(pdu.body, frag));
        if (pdu.auth) {
            FUZZ_CHECK(within(pdu.auth->token, frag));
            NtlmMessage nm;
            (void)parseNtlmssp(pdu.auth->token, nm);
        }
        switch (PduType(pdu.hdr.ptype)) {
        case PduType::Bind:
        case PduType::AlterContext: {
            BindBody b;
            if (parseBind(pdu, b) == ParseState::Success) {
                FUZZ_CHECK(b.items.size() <= kMaxContextItems);
                for (const auto& it : b.items) {
                    FUZZ_CHECK(it.transfer.size() <= kMaxTransferSyntaxes);
                    (void)findInterface(it.abstract.uuid);
                    FUZZ_CHECK(!it.abstract.uuid.toString().empty());
                }
            }
            break;
        }
        case PduType::BindAck:
        case PduType::AlterContextResp: {
            BindAckBody b;
            if (parseBindAck(pdu, b) == ParseState::Success)
                FUZZ_CHECK(b.secondary_addr.size() <= kMaxSecondaryAddr);
            break;
        }
        case PduType::BindNak: {
            uint16_t reason = 0;
            (void)parseBindNak(pdu, reason);
            break;
        }
        case PduType::Request: {
            RequestBody r;
            if (parseRequest(pdu, r) == ParseState::Success) FUZZ_CHECK(within(r.stub, pdu.body));
            break;
        }
        case PduType::Response: {
            ResponseBody r;
            if (parseResponse(pdu, r) == ParseState::Success) FUZZ_CHECK(within(r.stub, pdu.body));
            break;
        }
        case PduType::Fault: {
            ResponseBody r;
            (void)parseFault(pdu, r);
            break;
        }
        default:
            break;
        }
    }

    if (auto off = findPduBoundary(in)) {
        FUZZ_CHECK(*off < size);
        // Documented: a boundary is where a header passes parseCommonHeader's checks.
        CommonHeader bh;
        FUZZ_CHECK(parseCommonHeader(in.subspan(*off), bh) != ParseState::Invalid);
    }

    ClHeader cl;
    Bytes cl_body;
    if (parseClPdu(in, cl, cl_body) == ParseState::Success) {
        FUZZ_CHECK(size >= kClHeaderSize);
        FUZZ_CHECK(within(cl_body, in));
        FUZZ_CHECK(cl_body.size() == cl.len);
        (void)cl.lastFragment();
    }
    return 0;
}
