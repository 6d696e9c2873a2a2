// SPDX-License-Identifier: Apache-2.0
// The one data table of DCE/RPC interfaces: interface UUID → name, (UUID, opnum) → operation
// name, plus a small CLSID → class name table for DCOM activation. Everything else looks up here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocols/dcerpc/types.h"

namespace rpcmon::dcerpc {

// Interface UUIDs (lower case, as records print them), one definition for the table in
// interfaces.cc, the built-in signatures and the tests. Spec section 1.9 ("Standards
// Assignments") of each [MS-xxx] document, C706 appendices for epm/mgmt.
namespace uuids {
inline constexpr const char* kEpm = "e1af8308-5d1f-11c9-91a4-08002b14a0fa";        // C706 appendix N
inline constexpr const char* kMgmt = "afa8bd80-7d8a-11c9-bef4-08002b102989";       // C706 appendix Q
inline constexpr const char* kSamr = "12345778-1234-abcd-ef00-0123456789ac";       // MS-SAMR
inline constexpr const char* kLsarpc = "12345778-1234-abcd-ef00-0123456789ab";     // MS-LSAT/LSAD
inline constexpr const char* kDssetup = "3919286a-b10c-11d0-9ba8-00c04fd92ef5";    // MS-DSSP
inline constexpr const char* kNetlogon = "12345678-1234-abcd-ef00-01234567cffb";   // MS-NRPC
inline constexpr const char* kSrvsvc = "4b324fc8-1670-01d3-1278-5a47bf6ee188";     // MS-SRVS
inline constexpr const char* kWkssvc = "6bffd098-a112-3610-9833-46c3f87e345a";     // MS-WKST
inline constexpr const char* kWinreg = "338cd001-2244-31f1-aaaa-900038001003";     // MS-RRP
inline constexpr const char* kSvcctl = "367abb81-9844-35f1-ad32-98f038001003";     // MS-SCMR
inline constexpr const char* kAtsvc = "1ff70682-0a51-30e8-076d-740be8cee98b";      // MS-TSCH
inline constexpr const char* kSasec = "378e52b0-c0a9-11cf-822d-00aa0051e40f";      // MS-TSCH
inline constexpr const char* kTsch = "86d35949-83c9-4044-b424-db363231fd0c";       // MS-TSCH
inline constexpr const char* kDrsuapi = "e3514235-4b06-11d1-ab04-00c04fc2dcd2";    // MS-DRSR
inline constexpr const char* kSpoolss = "12345678-1234-abcd-ef00-0123456789ab";    // MS-RPRN
inline constexpr const char* kWinspool = "76f03f96-cdfd-44fc-a22c-64950a001209";   // MS-PAR
inline constexpr const char* kEfsLsarpc = "c681d488-d850-11d0-8c52-00c04fd90f7e";  // MS-EFSR, \pipe\lsarpc
inline constexpr const char* kEfsrpc = "df1941c5-fe89-4e79-bf10-463657acf44d";     // MS-EFSR, \pipe\efsrpc
inline constexpr const char* kEventlog = "82273fdc-e32a-18c3-3f78-827929dc23ea";   // MS-EVEN
inline constexpr const char* kEven6 = "f6beaff7-1e19-4fbb-9f8f-b89e2018337c";      // MS-EVEN6
inline constexpr const char* kNetdfs = "4fc742e0-4a10-11cf-8273-00aa004ae673";     // MS-DFSNM
inline constexpr const char* kSysActivator = "000001a0-0000-0000-c000-000000000046";    // MS-DCOM
inline constexpr const char* kIActivation = "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57";     // MS-DCOM
inline constexpr const char* kObjectExporter = "99fcfec4-5260-101b-bbcb-00aa0021347a";  // MS-DCOM
inline constexpr const char* kRemUnknown = "00000131-0000-0000-c000-000000000046";      // MS-DCOM
inline constexpr const char* kRemUnknown2 = "00000143-0000-0000-c000-000000000046";     // MS-DCOM
inline constexpr const char* kWbemLogin = "f309ad18-d86a-11d0-a075-00c04fb68820";       // MS-WMI
inline constexpr const char* kWbemServices = "9556dc99-828c-11cf-a37e-00aa003240c7";    // MS-WMI
inline constexpr const char* kDispatch = "00020400-0000-0000-c000-000000000046";        // MS-OAUT
// MS-WMI IWbemLoginClientID: only bound, never called in captures seen so far, so it has no
// operation table entry (adding one would put a new interface name into records).
inline constexpr const char* kWbemLoginClientId = "d4781cd6-e5d3-44df-ad94-930efe48a887";
}  // namespace uuids

// DCOM activation CLSIDs with a class name (className()); the lateral-movement ones are what
// signature dcom_lateral_class looks for.
namespace dcom_class {
inline constexpr const char* kWbemLevel1Login = "8bc3f05e-d86b-11d0-a075-00c04fb68820";  // WMI remoting entry
inline constexpr const char* kMmc20Application = "49b2791a-b1ae-4c90-9b8e-e860ba07f889";
inline constexpr const char* kShellWindows = "9ba05972-f6a8-11cf-a442-00a0c90a8f39";
inline constexpr const char* kShellBrowserWindow = "c08afd90-f2a1-11d1-8455-00a0c91f3880";
inline constexpr const char* kShellApplication = "13709620-c279-11ce-a49e-444553540000";
inline constexpr const char* kExcelApplication = "00020812-0000-0000-c000-000000000046";
inline constexpr const char* kOutlookApplication = "0006f03a-0000-0000-c000-000000000046";
inline constexpr const char* kInternetExplorer = "0002df01-0000-0000-c000-000000000046";
inline constexpr const char* kScheduleService = "0f87369f-a4e5-4cfc-bd3e-73e6154572dd";
inline constexpr const char* kBitsManager = "4991d34b-80a1-4291-83b6-3328366b9097";
inline constexpr const char* kWordApplication = "000209ff-0000-0000-c000-000000000046";
}  // namespace dcom_class

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
