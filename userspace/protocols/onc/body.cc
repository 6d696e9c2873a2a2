// SPDX-License-Identifier: Apache-2.0
// Dispatch of call arguments and reply results to the program decoders (body_<program>.cc) by
// program number, plus the universal-address and record helpers they share with the caller.
#include "protocols/onc/body.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "protocols/onc/body_decoders.h"
#include "protocols/onc/parse.h"
#include "protocols/onc/programs.h"

namespace rpcmon::onc {

CallBody decodeCallBody(const CallHeader& call, Bytes args, bool complete,
                        AnomalyCounter& anomalies) {
    CallBody out;
    Xdr x(args);
    ArgList obj;
    switch (call.prog) {
    case kProgNfs:
        if (call.vers == 2) decodeNfs2Call(call.proc, x, obj);
        else if (call.vers == 3) decodeNfs3Call(call.proc, x, obj);
        else if (call.vers == 4 && call.proc == 1) decodeNfs4Call(x, obj, complete, anomalies);
        break;
    case kProgMount: decodeMountCall(call.proc, x, obj); break;
    case kProgPortmap: decodePortmapCall(call, x, obj, out.memo); break;
    case kProgNlm: decodeNlmCall(call.vers, call.proc, x, obj); break;
    case kProgNsm: decodeNsmCall(call.proc, x, obj); break;
    default: break;
    }
    // The object is named by the program table (kProgramObjects), the one list rule paths know.
    if (const char* key = programObject(call.prog); key && !obj.empty()) out.fields[key] = std::move(obj);
    return out;
}

ReplyBody decodeReplyBody(const CallHeader& call, const CallMemo& memo, Bytes results,
                          bool complete, const Address& server, AnomalyCounter& anomalies) {
    ReplyBody out;
    Xdr x(results);
    ArgList obj;
    if (call.proc == 0) return out;  // NULL: void results in every program
    switch (call.prog) {
    case kProgNfs: {
        if (call.vers == 4) {
            if (call.proc == 1) decodeNfs4Reply(x, obj, complete, anomalies);
            break;
        }
        decodeNfs2or3Reply(call.vers, call.proc, x, obj);
        break;
    }
    case kProgMount: decodeMountReply(call.proc, x, obj); break;
    case kProgPortmap: decodePortmapReply(call, memo, x, obj, server, out); break;
    case kProgNlm: decodeNlmReply(call.proc, x, obj); break;
    case kProgNsm: decodeNsmReply(call.proc, x, obj); break;
    default: break;
    }
    if (const char* key = programObject(call.prog); key && !obj.empty()) out.fields[key] = std::move(obj);
    return out;
}

bool parseUaddr(std::string_view uaddr, Address& addr, uint16_t& port) {
    size_t p2 = uaddr.rfind('.');
    if (p2 == std::string_view::npos || p2 == 0) return false;
    size_t p1 = uaddr.rfind('.', p2 - 1);
    if (p1 == std::string_view::npos || p1 == 0) return false;
    auto octet = [](std::string_view s, unsigned& v) {
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && ptr == s.data() + s.size() && !s.empty() && v <= 255;
    };
    unsigned hi, lo;
    if (!octet(uaddr.substr(p1 + 1, p2 - p1 - 1), hi) || !octet(uaddr.substr(p2 + 1), lo))
        return false;
    std::string host(uaddr.substr(0, p1));
    addr = Address{};
    if (host.find(':') != std::string::npos) {
        if (inet_pton(AF_INET6, host.c_str(), addr.data()) != 1) return false;
    } else {
        addr[10] = addr[11] = 0xff;
        if (inet_pton(AF_INET, host.c_str(), addr.data() + 12) != 1) return false;
    }
    port = uint16_t(hi << 8 | lo);
    return true;
}

uint8_t netidToL4(std::string_view netid) {
    if (netid == "tcp" || netid == "tcp6") return IPPROTO_TCP;
    if (netid == "udp" || netid == "udp6") return IPPROTO_UDP;
    return 0;
}

void mergeFields(ArgList& record, const ArgList& fields) {
    for (const ArgItem& f : fields) {
        ArgValue& dst = record[f.key];
        if (dst.is_object() && f.value.is_object()) dst.object()->update(*f.value.object());
        else dst = f.value;
    }
}

std::string printableOrHex(Bytes b) {
    bool printable = !b.empty();
    for (uint8_t c : b)
        if (c < 0x20 || c > 0x7e) { printable = false; break; }
    if (printable) return toString(b);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (uint8_t c : b) { s += kHex[c >> 4]; s += kHex[c & 15]; }
    return s;
}

}  // namespace rpcmon::onc
