// SPDX-License-Identifier: Apache-2.0
// NetBIOS session service framing: parseNbssHeader walked over a byte stream frame by frame,
// findNbssBoundary to resynchronise after an invalid header, in both modes (TCP 445 direct
// hosting, TCP 139 RFC 1002).
//
// Input: [config u8] + the TCP byte stream of one direction. config bit 0: NetBIOS 139 mode.
#include "fuzz_util.h"
#include "protocols/smb/nbss.h"

using namespace rpcmon;
using namespace rpcmon::smb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    NbssMode mode = (in.u8() & 1) ? NbssMode::NetBios139 : NbssMode::Direct445;
    Bytes s = in.rest();
    size_t pos = 0;
    while (pos < s.size()) {
        Bytes rest = s.subspan(pos);
        NbssHeader h;
        ParseState st = parseNbssHeader(rest, mode, h);
        if (st == ParseState::NeedsMoreData) {
            FUZZ_CHECK(rest.size() < kNbssHeaderSize);
            break;
        }
        if (st == ParseState::Success) {
            FUZZ_CHECK(h.length <= kNbssMaxMessage);
            if (h.type != NbssType::SessionMessage) FUZZ_CHECK(h.length <= kNbssMaxControl);
            // 445 carries session messages only, plus the empty keepalives Samba sends there.
            if (mode == NbssMode::Direct445)
                FUZZ_CHECK(h.type == NbssType::SessionMessage ||
                           (h.type == NbssType::Keepalive && h.length == 0));
            pos += kNbssHeaderSize + h.length;  // may run past the end: the frame is incomplete
            continue;
        }
        NbssBoundary b = findNbssBoundary(rest, mode);
        FUZZ_CHECK(b.offset <= rest.size());
        if (b.found) {
            // A boundary is a session-message header followed by an SMB protocol id.
            FUZZ_CHECK(b.offset + kNbssHeaderSize + 4 <= rest.size());
            NbssHeader bh;
            FUZZ_CHECK(parseNbssHeader(rest.subspan(b.offset), mode, bh) == ParseState::Success);
            FUZZ_CHECK(bh.type == NbssType::SessionMessage);
            const uint8_t* id = rest.data() + b.offset + kNbssHeaderSize;
            FUZZ_CHECK(id[1] == 'S' && id[2] == 'M' && id[3] == 'B');
            FUZZ_CHECK(id[0] == 0xFF || id[0] == 0xFE || id[0] == 0xFD || id[0] == 0xFC);
        }
        pos += b.offset > 0 ? b.offset : 1;
    }
    return 0;
}
