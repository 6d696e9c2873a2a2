// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the detection engine: typed event field access, JSON field access
// (records that stay JSON), decoded-argument values (output/arg_list.h), timestamps, CIDR lists.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output/record.h"

namespace rpcmon::detect {

// Follows a dotted path ("rpc.interface.uuid") through nested objects; nullptr when absent.
const Json* field(const Json& rec, std::string_view dotted);

// String / integer / bool views of a field; nullopt when absent or of another type.
std::optional<std::string> fieldString(const Json& rec, std::string_view dotted);
std::optional<int64_t> fieldInt(const Json& rec, std::string_view dotted);
bool fieldTrue(const Json& rec, std::string_view dotted);

// An interface id constant from a table ("12345778-..."); a malformed constant is a build
// mistake, caught by the signature tests (nil uuid).
Uuid uuidFromText(std::string_view s);

// The event's endpoints as the EVE header prints them; empty when not known.
std::string srcIp(const Event& ev);
std::string destIp(const Event& ev);

// A member of a JSON object; nullptr when absent or `obj` is not an object.
const Json* member(const Json& obj, std::string_view key);
// A decoded DCE/RPC argument (rpc.args.<key>); nullptr for other events or when absent.
const ArgValue* dceArg(const Event& ev, std::string_view key);
// An ONC program object's member (e.g. "nfs", "name" for nfs.name); nullptr when absent.
const ArgValue* oncField(const Event& ev, std::string_view program, std::string_view key);
// The string / true views of the two above.
std::optional<std::string> jsonString(const Json* v);
bool jsonTrue(const Json* v);
std::optional<std::string> jsonString(const ArgValue* v);
bool jsonTrue(const ArgValue* v);

// Parses an EVE timestamp ("2026-11-24T09:18:01.123456+0000"); nullopt when malformed.
std::optional<TimeNs> parseTimestamp(std::string_view s);

// One IPv4 or IPv6 prefix; IPv4 is stored IPv4-mapped so both families share one matcher.
struct Cidr {
    std::array<uint8_t, 16> net{};
    int bits = 128;
    bool contains(const std::array<uint8_t, 16>& a) const;
};

// Parses "10.0.0.0/8", "10.0.0.1" (host), "fd00::/8"; nullopt on error.
std::optional<Cidr> parseCidr(std::string_view text);
std::optional<std::array<uint8_t, 16>> parseIp(std::string_view text);

struct CidrList {
    std::vector<Cidr> items;
    std::vector<std::string> text;  // as configured, for stats()
    bool contains(std::string_view ip) const;
};

// "\\host\share\x" -> "host"; empty when the string is not a UNC path.
std::string uncHost(std::string_view path);

// Last path component of a '/' or '\' separated path.
std::string_view baseName(std::string_view path);

}  // namespace rpcmon::detect
