// SPDX-License-Identifier: Apache-2.0
// ONC RPC program bodies: decodeCallBody / decodeReplyBody (portmap/rpcbind, MOUNT, NFSv2/3/4,
// NLM, NSM, ...) for a program, version and procedure chosen by the first bytes, plus the
// universal-address and netid helpers the portmapper decoders use.
//
// Input: [flags u8][program index u8][version u8][procedure u8][call args length u16 LE]
//        [call args][reply results]
// program index: into kPrograms below (fuzz/make_seeds.py has the same table); past its end the
// index itself is the program number. flags bit 0: call args complete; bit 1: results
// complete; bit 2: server address IPv6; bits 3-4: memo l4proto (none/TCP/UDP) for GETPORT
// replies; bit 5: memo IPv6.
#include <netinet/in.h>

#include <string_view>

#include "fuzz_util.h"
#include "protocols/onc/body.h"
#include "protocols/onc/programs.h"
#include "output/arg_list.h"
#include "output/json_writer.h"

using namespace rpcmon;
using namespace rpcmon::onc;

namespace {

constexpr uint32_t kPrograms[] = {kProgPortmap, kProgNfs, kProgMount, kProgNlm, kProgNsm,
                                  kProgRquota, kProgNfsAcl};

void checkFields(const ArgList& fields) {
    ArgList record;
    mergeFields(record, fields);
    mergeFields(record, fields);  // merging twice (call then reply) must work
    JsonWriter w;
    writeArgs(w, record);
    FUZZ_CHECK(w.str() == toJson(record).dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    uint8_t flags = in.u8();
    uint8_t prog_index = in.u8();
    CallHeader call;
    call.xid = 1;
    call.rpcvers = 2;
    call.prog = prog_index < std::size(kPrograms) ? kPrograms[prog_index] : prog_index;
    call.vers = in.u8();
    call.proc = in.u8();
    uint16_t args_len = in.u16();
    Bytes args = in.take(args_len);
    Bytes results = in.rest();

    fuzz::CheckingCounter counter;
    CallBody cb = decodeCallBody(call, args, flags & 1, counter);
    checkFields(cb.fields);

    CallMemo memo = cb.memo;
    static constexpr uint8_t kL4[] = {0, IPPROTO_TCP, IPPROTO_UDP, 0};
    if ((flags >> 3) & 3) memo.pm_l4proto = kL4[(flags >> 3) & 3];
    if (flags & 0x20) memo.pm_ipv6 = true;
    Address server{};
    if (flags & 4) {
        server[0] = 0xfe; server[1] = 0x80; server[15] = 1;
    } else {
        server[10] = server[11] = 0xff; server[12] = 10; server[15] = 2;
    }
    ReplyBody rb = decodeReplyBody(call, memo, results, flags & 2, server, counter);
    checkFields(rb.fields);
    for (const auto& ep : rb.endpoints) {
        FUZZ_CHECK(ep.l4proto == IPPROTO_TCP || ep.l4proto == IPPROTO_UDP);
        FUZZ_CHECK(ep.app == RPCMON_APP_ONC);
    }

    // The helpers on the raw bytes: universal addresses and netids arrive as XDR strings.
    std::string_view text(reinterpret_cast<const char*>(results.data()), results.size());
    Address addr{};
    uint16_t port = 0;
    (void)parseUaddr(text, addr, port);
    uint8_t l4 = netidToL4(text);
    FUZZ_CHECK(l4 == 0 || l4 == IPPROTO_TCP || l4 == IPPROTO_UDP);
    std::string shown = printableOrHex(args);
    FUZZ_CHECK(shown.size() == args.size() || shown.size() == 2 * args.size());
    (void)programName(call.prog);
    (void)procedureName(call.prog, call.vers, call.proc);
    return 0;
}
