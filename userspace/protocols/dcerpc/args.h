// SPDX-License-Identifier: Apache-2.0
// Selected argument decoders for security-relevant operations (NDR 2.0; NDR64 for the common
// string-argument calls native Windows clients make, the ones registered with kNdr64): turn a
// request or response stub into `rpc.args`, `rpc.dcom.*` and `epm.*` values. The decoders live
// one file per interface group (args_<group>.cc, table in args_decoders.h). Pure functions over
// bytes plus one small bounded per-connection state (registry handle → key name). A decode failure
// yields no values and DecodeResult::Failed (the caller counts dcerpc.ndr_decode_failed).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_reader.h"
#include "output/arg_list.h"
#include "output/record.h"
#include "protocols/dcerpc/interfaces.h"

namespace rpcmon::dcerpc {

// Protocol towers (C706 Appendix L, [MS-RPCE] 2.2.1.1.x): floors beyond this are not from any
// transport Windows uses (ncacn_ip_tcp has 5).
constexpr size_t kMaxTowerFloors = 8;
// Towers decoded per ept_map / ept_lookup reply (Windows returns ≤ max_towers, typically 1-4;
// an ept_lookup page holds ~500 entries of which we keep the first this many).
constexpr size_t kMaxTowersPerReply = 128;
// Registry handles remembered per connection for BaseRegSaveKey's key name.
constexpr size_t kMaxRegistryHandles = 256;
// DCOM string bindings kept from one DUALSTRINGARRAY.
constexpr size_t kMaxDcomBindings = 32;

// One endpoint decoded from a protocol tower.
struct TowerEndpoint {
    Uuid uuid;
    uint16_t ver_major = 0, ver_minor = 0;
    std::string protocol;  // "ncacn_ip_tcp", "ncadg_ip_udp", "ncacn_np", "ncalrpc", "ncacn_http"
    uint16_t port = 0;     // TCP/UDP/HTTP port
    std::optional<std::array<uint8_t, 4>> ipv4;
    std::string pipe;      // named pipe or LRPC endpoint
    std::string host;      // NetBIOS host (ncacn_np)
};
// Decodes tower octets; false when malformed. Towers are always little-endian (C706 L.1).
bool decodeTower(Bytes octets, TowerEndpoint& out);
// One epm.endpoints entry.
ArgList towerArgs(const TowerEndpoint& t);

// A DCOM endpoint announced in a string binding ("ncacn_ip_tcp" + "10.1.2.3[49154]").
struct DcomBinding {
    std::string protocol;
    std::string address;   // host part
    uint16_t port = 0;     // from "[port]" when present
};

struct CallArgs {
    ArgList args;   // rpc.args
    ArgList dcom;   // rpc.dcom
    ArgList epm;    // epm
    std::vector<TowerEndpoint> endpoints;   // from EPM replies, to learn
    std::vector<DcomBinding> dcom_bindings; // from OXID resolver replies
};

enum class DecodeResult { NotApplicable, Decoded, Failed };

// Registry handle → key name, per connection and bounded (kMaxRegistryHandles; when full, the
// lowest handle value makes room), so BaseRegSaveKey can name the key it saves.
class RegistryKeyNames {
public:
    void remember(Bytes handle, const std::string& name);
    std::string name(Bytes handle) const;  // "" when unknown

private:
    using Handle = std::array<uint8_t, 20>;
    std::map<Handle, std::string> keys_;
};

class ArgsDecoder {
public:
    // Request stub (after reassembly) of `opnum` on `iface`, in NDR 2.0 or NDR64.
    DecodeResult request(const InterfaceInfo& iface, uint16_t opnum, Bytes stub, bool le, CallArgs& out,
                         bool ndr64 = false);
    // Response stub; `out` already holds the request's values.
    DecodeResult response(const InterfaceInfo& iface, uint16_t opnum, Bytes stub, bool le, CallArgs& out,
                          bool ndr64 = false);

private:
    RegistryKeyNames reg_keys_;
};

}  // namespace rpcmon::dcerpc
