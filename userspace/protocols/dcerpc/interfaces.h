// SPDX-License-Identifier: Apache-2.0
// The one data table of DCE/RPC interfaces: interface UUID → name, (UUID, opnum) → operation
// name, plus a small CLSID → class name table for DCOM activation. Everything else looks up here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/dcerpc/types.h"

namespace rpcmon::dcerpc {

struct InterfaceInfo {
    Uuid uuid;
    std::string_view name;        // "samr", "lsarpc", "ISystemActivator", ...
    uint16_t ver_major = 0, ver_minor = 0;
    // DCOM object interface: requests start with ORPCTHIS ([MS-DCOM] 2.2.13) and responses with
    // ORPCTHAT. IObjectExporter is DCOM-related but plain RPC (no ORPCTHIS).
    bool orpc = false;
    // Every operation of the interface returns a 32-bit status (NTSTATUS, WERROR, HRESULT or
    // error_status_t) as the last 4 bytes of the response stub.
    bool returns_status = true;
    std::span<const char* const> ops;  // index = opnum; nullptr = unnamed / not used on the wire
};

// nullptr when the interface is not in the table.
const InterfaceInfo* findInterface(const Uuid& uuid);
// For tests and tools: lookup by table name ("samr").
const InterfaceInfo* findInterfaceByName(std::string_view name);
// Operation name or "" when unknown.
std::string_view operationName(const Uuid& uuid, uint16_t opnum);
std::string_view operationName(const InterfaceInfo* iface, uint16_t opnum);
// All table entries (tests check the table's own consistency).
std::span<const InterfaceInfo> allInterfaces();

// DCOM class names for activation CLSIDs used in lateral movement and management
// ("MMC20.Application", "ShellWindows", "WbemLevel1Login", ...); "" when unknown.
std::string_view className(const Uuid& clsid);

}  // namespace rpcmon::dcerpc
