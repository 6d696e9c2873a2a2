// SPDX-License-Identifier: Apache-2.0
// Dispatch of request and response stubs to the argument decoders, which live one file per
// interface group (args_<group>.cc) and register there which (interface, opnum) pairs they
// read. Wire layouts are taken from the IDL in each protocol's specification; each decoder
// names the section.
#include "protocols/dcerpc/args.h"

#include <map>
#include <utility>

#include "protocols/dcerpc/args_decoders.h"

namespace rpcmon::dcerpc {
namespace decoders {

std::span<const DecoderGroup* const> allGroups() {
    static const DecoderGroup* const groups[] = {
        &dcomDecoders(),     &drsuapiDecoders(), &efsrDecoders(),    &epmDecoders(),
        &lsaDecoders(),      &netlogonDecoders(), &samrDecoders(),   &spoolssDecoders(),
        &srvsvcDecoders(),   &svcctlDecoders(),   &tschDecoders(),   &winregDecoders(),
    };
    return groups;
}

DecodeResult finish(NdrReader& n, CallArgs& out, ArgList&& a) {
    if (!n.ok()) return DecodeResult::Failed;
    out.args.update(a);
    return DecodeResult::Decoded;
}

bool allZero(Bytes b) {
    for (uint8_t c : b)
        if (c) return false;
    return true;
}

std::optional<uint32_t> wordBeforeStatus(Bytes stub, bool le) {
    if (stub.size() < 8 || stub.size() % 4) return std::nullopt;
    ByteReader r(stub.subspan(stub.size() - 8, 4));
    return le ? r.le32() : r.be32();
}

}  // namespace decoders

namespace {

using decoders::OpDecoder;

// (interface name, opnum) → decoder, built once from every group's registrations.
class DecoderIndex {
public:
    explicit DecoderIndex(bool responses) {
        for (const decoders::DecoderGroup* g : decoders::allGroups())
            for (const OpDecoder& d : responses ? g->responses : g->requests)
                for (uint16_t op : d.opnums) by_op_.emplace(std::make_pair(d.iface, op), &d);
    }
    const OpDecoder* find(std::string_view iface, uint16_t op) const {
        auto it = by_op_.find(std::make_pair(iface, op));
        return it == by_op_.end() ? nullptr : it->second;
    }

private:
    std::map<std::pair<std::string_view, uint16_t>, const OpDecoder*> by_op_;
};

const DecoderIndex& requestDecoders() {
    static const DecoderIndex index(false);
    return index;
}
const DecoderIndex& responseDecoders() {
    static const DecoderIndex index(true);
    return index;
}

}  // namespace

void RegistryKeyNames::remember(Bytes handle, const std::string& name) {
    if (handle.size() != 20) return;
    Handle h;
    std::copy(handle.begin(), handle.end(), h.begin());
    if (keys_.size() >= kMaxRegistryHandles && !keys_.count(h)) keys_.erase(keys_.begin());
    keys_[h] = name;
}

std::string RegistryKeyNames::name(Bytes handle) const {
    if (handle.size() != 20) return {};
    Handle h;
    std::copy(handle.begin(), handle.end(), h.begin());
    auto it = keys_.find(h);
    return it == keys_.end() ? std::string{} : it->second;
}

DecodeResult ArgsDecoder::request(const InterfaceInfo& iface, uint16_t op, Bytes stub, bool le,
                                  CallArgs& out, bool ndr64) {
    NdrReader n(stub, le, ndr64);
    ArgList a;
    const OpDecoder* d = requestDecoders().find(iface.name, op);
    // NDR64 layouts are implemented for the string-argument decoders only; DCOM and the
    // endpoint mapper always use NDR 2.0, and drsuapi / driver containers are NDR 2.0 here.
    if (ndr64 && (iface.orpc || (d && !d->ndr64))) return DecodeResult::NotApplicable;
    decoders::DecodeCall call{n, op, stub, le, out, a, reg_keys_};

    if (iface.orpc) {
        // Every ORPC request starts with ORPCTHIS; its causality id ties calls of one activity.
        Uuid cid;
        if (!decoders::readOrpcThis(n, cid)) return DecodeResult::Failed;
        out.dcom["causality_id"] = cid.toString();
        if (!d) return n.ok() ? DecodeResult::Decoded : DecodeResult::Failed;
        return d->decode(call);
    }
    return d ? d->decode(call) : DecodeResult::NotApplicable;
}

DecodeResult ArgsDecoder::response(const InterfaceInfo& iface, uint16_t op, Bytes stub, bool le,
                                   CallArgs& out, bool ndr64) {
    NdrReader n(stub, le, ndr64);
    const OpDecoder* d = responseDecoders().find(iface.name, op);
    if (!d || (ndr64 && !d->ndr64)) return DecodeResult::NotApplicable;
    ArgList unused;
    decoders::DecodeCall call{n, op, stub, le, out, unused, reg_keys_};
    return d->decode(call);
}

}  // namespace rpcmon::dcerpc
