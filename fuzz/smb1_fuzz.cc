// SPDX-License-Identifier: Apache-2.0
// SMB1/CIFS message parsing: header, AndX chain, and every block parser that applies to each
// command and direction (and the security blob of SESSION_SETUP_ANDX). Checks that every span a
// parser returns lies inside the message.
//
// Input: [config u8] + one SMB1 message (NBSS payload). config bit 0: truncated prefix.
#include "fuzz_util.h"
#include "protocols/smb/auth.h"
#include "protocols/smb/smb1.h"

using namespace rpcmon;
using namespace rpcmon::smb1;
using rpcmon::fuzz::within;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    bool trunc = in.u8() & 1;
    Bytes msg = in.rest();

    Header h;
    if (parseHeader(msg, h) != ParseState::Success) return 0;
    std::vector<Block> blocks;
    (void)splitAndX(msg, h, blocks, trunc);
    FUZZ_CHECK(blocks.size() <= kMaxAndX + 1);
    bool resp = h.isResponse();
    for (const Block& b : blocks) {
        FUZZ_CHECK(within(b.words, msg));
        FUZZ_CHECK(within(b.bytes, msg));
        FUZZ_CHECK(b.words.size() == 2u * b.word_count || trunc);
        FUZZ_CHECK(b.bytes_offset <= msg.size());
        FUZZ_CHECK(commandName(b.command) != nullptr);
        switch (b.command) {
        case kNegotiate:
            if (resp) { NegotiateResponse r; (void)parseNegotiateResponse(b, r); }
            else {
                NegotiateRequest r;
                if (parseNegotiateRequest(b, r) == ParseState::Success) FUZZ_CHECK(r.dialects.size() <= kMaxDialects);
            }
            break;
        case kSessionSetupAndX: {
            Bytes blob;
            if (resp) {
                SessionSetupResponse r;
                if (parseSessionSetupResponse(b, r) == ParseState::Success) blob = r.security_blob;
            } else {
                SessionSetupRequest r;
                if (parseSessionSetupRequest(msg, h, b, r) == ParseState::Success) blob = r.security_blob;
            }
            FUZZ_CHECK(within(blob, msg));
            smb::AuthInfo a;
            (void)smb::parseSecurityBlob(blob, a);
            break;
        }
        case kTreeConnectAndX:
            if (resp) { TreeConnectResponse r; (void)parseTreeConnectResponse(b, r); }
            else { TreeConnectRequest r; (void)parseTreeConnectRequest(h, b, r); }
            break;
        case kNtCreateAndX:
            if (resp) { NtCreateResponse r; (void)parseNtCreateResponse(b, r); }
            else { NtCreateRequest r; (void)parseNtCreateRequest(h, b, r); }
            break;
        case kTransaction:
            if (resp) {
                TransactionResponse r;
                if (parseTransactionResponse(msg, b, r) == ParseState::Success) FUZZ_CHECK(within(r.data, msg));
            } else {
                TransactionRequest r;
                if (parseTransactionRequest(msg, h, b, r) == ParseState::Success) FUZZ_CHECK(within(r.data, msg));
            }
            break;
        case kReadAndX:
            if (resp) {
                ReadAndXResponse r;
                if (parseReadAndXResponse(msg, b, r, trunc) == ParseState::Success) FUZZ_CHECK(within(r.data, msg));
            } else {
                ReadAndXRequest r;
                (void)parseReadAndXRequest(b, r);
            }
            break;
        case kWriteAndX:
            if (!resp) {
                WriteAndXRequest r;
                if (parseWriteAndXRequest(msg, b, r, trunc) == ParseState::Success) FUZZ_CHECK(within(r.data, msg));
            }
            break;
        case kClose:
            if (!resp) { CloseRequest r; (void)parseCloseRequest(b, r); }
            break;
        default:
            break;
        }
    }
    return 0;
}
