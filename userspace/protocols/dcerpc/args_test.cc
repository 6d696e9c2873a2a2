// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/args.h"

#include <gtest/gtest.h>

#include <sstream>

#include <map>

#include <fstream>
#include <set>

#include "protocols/dcerpc/args_decoders.h"
#include "protocols/dcerpc/test_util.h"

namespace rpcmon::dcerpc {
namespace {

using test::Buf;
using test::Ndr;
using test::view;

const InterfaceInfo& iface(const char* name) {
    const InterfaceInfo* i = findInterfaceByName(name);
    EXPECT_NE(i, nullptr) << name;
    return *i;
}

// NetprPathCanonicalize (MS-SRVS 3.1.4.30) as sent by the MS08-067 exploit.
Buf pathCanonicalizeStub() {
    return Ndr{}
        .uniqueWstr("\\\\10.0.0.1")      // [unique, string] ServerName
        .wstr("\\..\\..\\x")               // [string] PathName
        .u32(100)                          // OutbufLen
        .wstr("\\")                        // [string] Prefix
        .u32(1)                            // PathType
        .u32(0)                            // Flags
        .b;
}

TEST(Args, NetprPathCanonicalizePathAndPrefix) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("srvsvc"), 31, view(pathCanonicalizeStub()), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["path"], "\\..\\..\\x");
    EXPECT_EQ(out.args["prefix"], "\\");
    EXPECT_EQ(out.args["server"], "\\\\10.0.0.1");
}

Buf authenticate3Stub(uint8_t cred_fill) {
    return Ndr{}
        .uniqueWstr("\\\\DC1")             // PrimaryName
        .wstr("DC1$")                      // AccountName
        .u16(6)                            // SecureChannelType: ServerSecureChannel (enum16)
        .wstr("DC1")                       // ComputerName
        .raw(Buf(8, cred_fill))            // ClientCredential (8 bytes)
        .u32(0x212fffff)                   // NegotiateFlags
        .b;
}

TEST(Args, NetrServerAuthenticate3ZeroCredential) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("netlogon"), 26, view(authenticate3Stub(0)), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["account_name"], "DC1$");
    EXPECT_EQ(out.args["computer_name"], "DC1");
    EXPECT_EQ(out.args["secure_channel_type"], 6);
    EXPECT_EQ(out.args["client_credential_zero"], true);
    EXPECT_EQ(out.args["negotiate_flags"], 0x212fffff);
}

TEST(Args, NetrServerAuthenticate3NonZeroCredential) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("netlogon"), 26, view(authenticate3Stub(0x5a)), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["client_credential_zero"], false);
}

Buf createServiceWStub() {
    return Ndr{}
        .handle()                          // hSCManager
        .wstr("PSEXESVC")                  // lpServiceName
        .uniqueWstr("PSEXESVC display")    // lpDisplayName
        .u32(0xf01ff)                      // dwDesiredAccess
        .u32(0x10)                         // dwServiceType: SERVICE_WIN32_OWN_PROCESS
        .u32(3)                            // dwStartType: SERVICE_DEMAND_START
        .u32(0)                            // dwErrorControl
        .wstr("%SystemRoot%\\PSEXESVC.exe")  // lpBinaryPathName
        .u32(0).u32(0).u32(0).u32(0)       // LoadOrderGroup, TagId, Dependencies, DependSize
        .u32(0).u32(0).u32(0)              // ServiceStartName, Password, PwSize
        .b;
}

TEST(Args, RCreateServiceWBinaryPath) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("svcctl"), 12, view(createServiceWStub()), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["service_name"], "PSEXESVC");
    EXPECT_EQ(out.args["display_name"], "PSEXESVC display");
    EXPECT_EQ(out.args["binary_path"], "%SystemRoot%\\PSEXESVC.exe");
    EXPECT_EQ(out.args["start_type"], 3);
}

TEST(Args, RCreateServiceAAnsiStrings) {
    Buf stub = Ndr{}.handle().cstr("evil").u32(0).u32(0xf01ff).u32(0x10).u32(2).u32(0)
                   .cstr("cmd.exe /c calc").b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("svcctl"), 24, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["service_name"], "evil");
    EXPECT_FALSE(out.args.contains("display_name"));
    EXPECT_EQ(out.args["binary_path"], "cmd.exe /c calc");
}

TEST(Args, NetrJobAddCommand) {
    Buf stub = Ndr{}
                   .uniqueWstr(std::nullopt)   // ServerName NULL
                   .u32(36000000)              // AT_INFO.JobTime
                   .u32(0)                     // DaysOfMonth
                   .u8(0).u8(0)                // DaysOfWeek, Flags
                   .u32(0x00020004)            // Command pointer
                   .wstr("cmd /c whoami > c:\\o.txt")
                   .b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("atsvc"), 0, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["command"], "cmd /c whoami > c:\\o.txt");
}

TEST(Args, SchRpcRegisterTaskPathXmlCommand) {
    std::string xml = "<Task><Actions><Exec><Command>cmd.exe</Command><Arguments>/c calc</Arguments></Exec></Actions></Task>";
    Buf stub = Ndr{}.uniqueWstr("\\Evil").wstr(xml).u32(6).uniqueWstr(std::nullopt).u32(3).u32(0).u32(0).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("ITaskSchedulerService"), 1, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["path"], "\\Evil");
    EXPECT_EQ(out.args["xml_length"], xml.size());
    EXPECT_EQ(out.args["command"], "cmd.exe");
    EXPECT_EQ(out.args["arguments"], "/c calc");
}

TEST(Args, WinregOpenKeyThenSaveKeyNamesKeyAndFile) {
    ArgsDecoder d;
    // OpenLocalMachine (opnum 2) response: handle, status.
    Buf hklm = Ndr{}.handle(0x01).u32(0).b;
    CallArgs open_hklm;
    ASSERT_EQ(d.response(iface("winreg"), 2, view(hklm), true, open_hklm), DecodeResult::Decoded);
    // BaseRegOpenKey(hKey=HKLM, "SAM")
    Buf openkey = Ndr{}.handle(0x01).unicodeString("SAM").u32(0).u32(0x02000000).b;
    CallArgs ok;
    ASSERT_EQ(d.request(iface("winreg"), 15, view(openkey), true, ok), DecodeResult::Decoded);
    EXPECT_EQ(ok.args["key"], "HKLM\\SAM");
    Buf openkey_resp = Ndr{}.handle(0x02).u32(0).b;
    ASSERT_EQ(d.response(iface("winreg"), 15, view(openkey_resp), true, ok), DecodeResult::Decoded);
    // BaseRegSaveKey(hKey=HKLM\SAM, "C:\\Windows\\Temp\\sam.save", NULL)
    Buf save = Ndr{}.handle(0x02).unicodeString("C:\\Windows\\Temp\\sam.save").u32(0).b;
    CallArgs sv;
    ASSERT_EQ(d.request(iface("winreg"), 20, view(save), true, sv), DecodeResult::Decoded);
    EXPECT_EQ(sv.args["key"], "HKLM\\SAM");
    EXPECT_EQ(sv.args["file"], "C:\\Windows\\Temp\\sam.save");
}

TEST(Args, EfsRpcOpenFileRawUncPath) {
    Buf stub = Ndr{}.wstr("\\\\10.0.0.9\\share\\x.txt").u32(0).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("efsrpc"), 0, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["file_name"], "\\\\10.0.0.9\\share\\x.txt");
    CallArgs out4;
    ASSERT_EQ(d.request(iface("efsrpc"), 4, view(stub), true, out4), DecodeResult::Decoded);
    EXPECT_EQ(out4.args["file_name"], "\\\\10.0.0.9\\share\\x.txt");
}

TEST(Args, SpoolssFindFirstPrinterChangeNotificationExLocalMachine) {
    Buf stub = Ndr{}.handle().u32(0x100).u32(0).uniqueWstr("\\\\attacker").u32(0).u32(0).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("spoolss"), 65, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["local_machine"], "\\\\attacker");
}

Buf addPrinterDriverExStub() {
    return Ndr{}
        .uniqueWstr("\\\\victim")                 // pName
        .u32(2)                                   // DRIVER_CONTAINER.Level
        .u32(2)                                   // union tag
        .u32(0x00020000)                          // Level2 pointer
        .u32(3)                                   // cVersion
        .u32(0x00020004).u32(0x00020008)          // pName, pEnvironment
        .u32(0x0002000c).u32(0x00020010)          // pDriverPath, pDataFile
        .u32(0x00020014)                          // pConfigFile
        .wstr("1234")
        .wstr("Windows x64")
        .wstr("C:\\Windows\\System32\\DriverStore\\FileRepository\\ntprint.inf_amd64\\Amd64\\UNIDRV.DLL")
        .wstr("\\\\10.0.0.9\\share\\evil.dll")
        .wstr("C:\\Windows\\System32\\kernelbase.dll")
        .u32(0x8014)                              // dwFileCopyFlags
        .b;
}

TEST(Args, RpcAddPrinterDriverExDriverPath) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("spoolss"), 89, view(addPrinterDriverExStub()), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["level"], 2);
    EXPECT_EQ(out.args["driver_name"], "1234");
    EXPECT_EQ(out.args["environment"], "Windows x64");
    EXPECT_EQ(out.args["data_file"], "\\\\10.0.0.9\\share\\evil.dll");
    EXPECT_EQ(out.args["file_copy_flags"], 0x8014);
    ASSERT_TRUE(out.args.contains("driver_path"));
    EXPECT_NE(out.args["driver_path"].get<std::string>().find("UNIDRV.DLL"), std::string::npos);
}

TEST(Args, DrsGetNCChangesV8NamingContext) {
    std::string dn = "DC=corp,DC=local";
    Ndr n;
    n.handle()                                    // hDrs
        .u32(8)                                   // dwInVersion
        .u32(8)                                   // union tag
        .align(8)
        .uuid("11111111-2222-3333-4444-555555555555")  // uuidDsaObjDest
        .uuid("66666666-7777-8888-9999-aaaaaaaaaaaa")  // uuidInvocIdSrc
        .u32(0x00020000)                          // pNC
        .u64(0).u64(0).u64(0)                     // usnvecFrom
        .u32(0)                                   // pUpToDateVecDest
        .u32(0x10).u32(1000).u32(0x100000)        // ulFlags, cMaxObjects, cMaxBytes
        .u32(6)                                   // ulExtendedOp: EXOP_REPL_OBJ
        .u64(0)                                   // liFsmoInfo
        .u32(0).u32(0)                            // pPartialAttrSet, pPartialAttrSetEx
        .u32(0).u32(0);                           // PrefixTableDest
    uint32_t units = uint32_t(dn.size() + 1);
    n.u32(units)                                  // DSNAME conformance (NameLen + 1)
        .u32(uint32_t(58 + units * 2))            // structLen
        .u32(0)                                   // SidLen
        .uuid("00000000-0000-0000-0000-000000000000")
        .zeros(28)                                // Sid
        .u32(uint32_t(dn.size()));                // NameLen
    for (char c : dn) test::put16(n.b, uint8_t(c));
    test::put16(n.b, 0);
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("drsuapi"), 3, view(n.b), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["version"], 8);
    EXPECT_EQ(out.args["extended_op"], 6);
    EXPECT_EQ(out.args["naming_context"], dn);
}

// ncacn_ip_tcp tower for samr at 10.0.0.5:49155 (C706 Appendix L floors).
Buf samrTower(std::array<uint8_t, 4> ip, uint16_t port) {
    Buf t;
    test::put16(t, 5);                            // floor count
    test::put16(t, 19);                           // floor 1 lhs: 0x0d + uuid + major
    t.push_back(0x0d);
    test::putUuid(t, "12345778-1234-abcd-ef00-0123456789ac");
    test::put16(t, 1);
    test::put16(t, 2);                            // rhs: minor
    test::put16(t, 0);
    test::put16(t, 19);                           // floor 2: NDR transfer syntax
    t.push_back(0x0d);
    test::putUuid(t, "8a885d04-1ceb-11c9-9fe8-08002b104860");
    test::put16(t, 2);
    test::put16(t, 2);
    test::put16(t, 0);
    test::put16(t, 1);                            // floor 3: RPC connection-oriented
    t.push_back(0x0b);
    test::put16(t, 2);
    test::put16(t, 0);
    test::put16(t, 1);                            // floor 4: TCP port (big-endian)
    t.push_back(0x07);
    test::put16(t, 2);
    t.push_back(uint8_t(port >> 8));
    t.push_back(uint8_t(port));
    test::put16(t, 1);                            // floor 5: IPv4 address
    t.push_back(0x09);
    test::put16(t, 4);
    t.insert(t.end(), ip.begin(), ip.end());
    return t;
}

TEST(Tower, DecodesTcpEndpoint) {
    TowerEndpoint t;
    ASSERT_TRUE(decodeTower(view(samrTower({10, 0, 0, 5}, 49155)), t));
    EXPECT_EQ(t.uuid.toString(), "12345778-1234-abcd-ef00-0123456789ac");
    EXPECT_EQ(t.ver_major, 1);
    EXPECT_EQ(t.protocol, "ncacn_ip_tcp");
    EXPECT_EQ(t.port, 49155);
    ASSERT_TRUE(t.ipv4);
    EXPECT_EQ((*t.ipv4)[3], 5);
    Json j = toJson(towerArgs(t));
    EXPECT_EQ(j["name"], "samr");
    EXPECT_EQ(j["address"], "10.0.0.5");
}

TEST(Tower, HostileFloorCountRejected) {
    Buf t = samrTower({0, 0, 0, 0}, 135);
    t[0] = 0xff;
    t[1] = 0xff;
    TowerEndpoint e;
    EXPECT_FALSE(decodeTower(view(t), e));
}

Buf eptMapResponse(const Buf& tower) {
    Ndr n;
    n.handle(0)                                   // entry_handle
        .u32(1)                                   // num_towers
        .u32(4).u32(0).u32(1)                     // max_count, offset, actual_count
        .u32(0x00000003)                          // twr_p_t referent
        .u32(uint32_t(tower.size()))              // tower_length
        .u32(uint32_t(tower.size()))              // conformant max_count
        .raw(tower)
        .align(4)
        .u32(0);                                  // status
    return n.b;
}

TEST(Args, EptMapResponseEndpoints) {
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.response(iface("epm"), 3, view(eptMapResponse(samrTower({0, 0, 0, 0}, 49667))), true, out),
              DecodeResult::Decoded);
    ASSERT_EQ(out.endpoints.size(), 1u);
    EXPECT_EQ(out.endpoints[0].port, 49667);
    ASSERT_EQ(out.epm["endpoints"].size(), 1u);
    EXPECT_EQ(out.epm["endpoints"][0]["name"], "samr");
    EXPECT_EQ(out.epm["endpoints"][0]["protocol"], "ncacn_ip_tcp");
    EXPECT_EQ(out.epm["endpoints"][0]["port"], 49667);
}

TEST(Args, EptLookupResponseEntries) {
    Buf t1 = samrTower({10, 0, 0, 5}, 49664);
    Buf t2 = samrTower({0, 0, 0, 0}, 49665);
    Ndr n;
    n.handle(0x33)                                // entry_handle (continuation)
        .u32(2)                                   // num_ents
        .u32(500).u32(0).u32(2);                  // max_count, offset, actual_count
    for (int i = 0; i < 2; i++) {
        n.uuid("00000000-0000-0000-0000-000000000000")  // ept_entry_t.object
            .u32(0x00020000 + uint32_t(i))        // tower referent
            .u32(0).u32(5)                        // annotation: offset, actual_count
            .raw(Buf{'S', 'A', 'M', 'R', 0})
            .align(4);
    }
    for (const Buf* t : {&t1, &t2}) n.u32(uint32_t(t->size())).u32(uint32_t(t->size())).raw(*t).align(4);
    n.u32(0);                                     // status
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.response(iface("epm"), 2, view(n.b), true, out), DecodeResult::Decoded);
    ASSERT_EQ(out.endpoints.size(), 2u);
    EXPECT_EQ(out.epm["endpoints"][0]["address"], "10.0.0.5");
    EXPECT_EQ(out.epm["endpoints"][1]["port"], 49665);
}

TEST(Args, EptLookupAnnotationTooLongFails) {
    Ndr n;
    n.handle(0).u32(1).u32(1).u32(0).u32(1).uuid("00000000-0000-0000-0000-000000000000").u32(0).u32(0).u32(65);
    ArgsDecoder d;
    CallArgs out;
    EXPECT_EQ(d.response(iface("epm"), 2, view(n.b), true, out), DecodeResult::Failed);
}

TEST(Args, ResolveOxid2ResponseBindingsAndRemUnknownIpid) {
    std::vector<uint16_t> arr = {7};
    for (char c : std::string("WS01[49700]")) arr.push_back(uint8_t(c));
    arr.push_back(0);
    arr.push_back(0);
    uint16_t sec = uint16_t(arr.size());
    arr.push_back(0);
    arr.push_back(0);
    Ndr n;
    n.u32(0x00020000).u32(uint32_t(arr.size())).u16(uint16_t(arr.size())).u16(sec);
    for (uint16_t a : arr) n.u16(a);
    n.uuid("0000b800-1234-5678-9abc-def012345678")  // pipidRemUnknown
        .u32(6)                                     // pAuthnHint
        .u16(5).u16(7)                              // pComVersion
        .u32(0);                                    // status
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.response(iface("IObjectExporter"), 4, view(n.b), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["bindings"][0], "ncacn_ip_tcp:WS01[49700]");
    EXPECT_EQ(out.dcom["ipid_remunknown"], "0000b800-1234-5678-9abc-def012345678");
    ASSERT_EQ(out.dcom_bindings.size(), 1u);
    EXPECT_EQ(out.dcom_bindings[0].port, 49700);
}

TEST(Args, RemoteActivationClsidAndObjectName) {
    Ndr n;
    n.u16(5).u16(7).u32(0).u32(0).uuid("01234567-89ab-cdef-0123-456789abcdef").u32(0)  // ORPCTHIS
        .uuid("9ba05972-f6a8-11cf-a442-00a0c90a8f39")   // Clsid: ShellWindows
        .uniqueWstr("obj")                               // pwszObjectName
        .u32(0)                                          // pObjectStorage NULL
        .u32(2).u32(0).u32(1).u32(0).u16(1).u32(1).u16(7);
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("IActivation"), 0, view(n.b), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["causality_id"], "01234567-89ab-cdef-0123-456789abcdef");
    EXPECT_EQ(out.dcom["clsid"], "9ba05972-f6a8-11cf-a442-00a0c90a8f39");
    EXPECT_EQ(out.dcom["class_name"], "ShellWindows");
    EXPECT_EQ(out.args["object_name"], "obj");
}

TEST(Args, OrpcThisWithExtensionsSkipped) {
    Ndr n;
    n.u16(5).u16(7).u32(0).u32(0).uuid("01234567-89ab-cdef-0123-456789abcdef")
        .u32(0x00020000)                       // extensions → ORPC_EXTENT_ARRAY
        .u32(1).u32(0).u32(0x00020004)         // size 1, reserved, extent array pointer
        .u32(2)                                // conformant array of 2 pointers ((1+1)&~1)
        .u32(0x00020008).u32(0)                // one extent, one NULL
        .u32(8)                                // ORPC_EXTENT conformance
        .uuid("f1f19680-4d2a-11ce-a66a-0020af6eb72f").u32(8).raw(Buf(8, 0xee))
        .uuid("9ba05972-f6a8-11cf-a442-00a0c90a8f39")  // Clsid
        .uniqueWstr(std::nullopt).u32(0).u32(2).u32(0).u32(1).u32(0).u16(0);
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("IActivation"), 0, view(n.b), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["class_name"], "ShellWindows");
}

TEST(Args, ServerAlive2Bindings) {
    // DUALSTRINGARRAY: "ncacn_ip_tcp" (7) "HOST[49154]", end; security: NTLMSSP (10), end.
    std::vector<uint16_t> arr = {7};
    for (char c : std::string("10.1.2.3[49154]")) arr.push_back(uint8_t(c));
    arr.push_back(0);
    arr.push_back(0);                              // end of string bindings
    uint16_t sec = uint16_t(arr.size());
    arr.push_back(10);
    arr.push_back(0xffff);
    arr.push_back(0);
    arr.push_back(0);
    Ndr n;
    n.u16(5).u16(7)                               // COMVERSION 5.7
        .u32(0x00020000)                          // ppdsaOrBindings
        .u32(uint32_t(arr.size()))                // conformance
        .u16(uint16_t(arr.size())).u16(sec);      // wNumEntries, wSecurityOffset
    for (uint16_t a : arr) n.u16(a);
    n.u32(0).u32(0);                              // pReserved, status
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.response(iface("IObjectExporter"), 5, view(n.b), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["com_version"], "5.7");
    ASSERT_EQ(out.dcom["bindings"].size(), 1u);
    EXPECT_EQ(out.dcom["bindings"][0], "ncacn_ip_tcp:10.1.2.3[49154]");
    ASSERT_EQ(out.dcom_bindings.size(), 1u);
    EXPECT_EQ(out.dcom_bindings[0].port, 49154);
    EXPECT_EQ(out.dcom_bindings[0].address, "10.1.2.3");
    EXPECT_EQ(out.dcom["security_bindings"][0]["authn_svc"], "NTLMSSP");
}

TEST(Args, ResolveOxidRequestOxid) {
    Buf stub = Ndr{}.u64(0x1122334455667788ull).u16(1).u32(1).u16(7).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("IObjectExporter"), 4, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["oxid"], "0x1122334455667788");
}

TEST(Args, OrpcThisCausalityId) {
    Buf stub = Ndr{}.u16(5).u16(7).u32(0).u32(0).uuid("93db879a-5aeb-4f84-97be-637a19b65b22").u32(0).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("IRemUnknown2"), 3, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.dcom["causality_id"], "93db879a-5aeb-4f84-97be-637a19b65b22");
}

TEST(Args, HostileStringLengthFails) {
    Buf stub = Ndr{}.uniqueWstr(std::nullopt).u32(0xffffffff).u32(0).u32(0xffffffff).b;
    ArgsDecoder d;
    CallArgs out;
    EXPECT_EQ(d.request(iface("srvsvc"), 31, view(stub), true, out), DecodeResult::Failed);
    EXPECT_TRUE(out.args.empty());
}

TEST(Args, UnhandledOpnumNotApplicable) {
    ArgsDecoder d;
    CallArgs out;
    EXPECT_EQ(d.request(iface("samr"), 13, view(Buf(40, 0)), true, out), DecodeResult::NotApplicable);
}

// NetrJobAdd as sent by Windows 7 x64 at.exe over \\PIPE\\atsvc with NDR64 negotiated
// (suricata-verify smb2-04-at_schedule.pcap, frame 9), stub only.
const char* kJobAddNdr64 =
    "0000020000000000"                  // ServerName referent (8 bytes)
    "0b00000000000000" "0000000000000000" "0b00000000000000"  // max, offset, actual (u64)
    "5c005c00610064006d0069006e002d00700063000000"            // "\\admin-pc\0"
    "0000"                              // align 8
    "60b0ce0200000000"                  // AT_INFO.JobTime (DWORD_PTR: 8 bytes)
    "00000000"                          // DaysOfMonth
    "00" "10"                           // DaysOfWeek, Flags (JOB_NONINTERACTIVE)
    "0000"                              // align 8
    "0000020000000000"                  // Command referent
    "1000000000000000" "0000000000000000" "1000000000000000"
    "63003a005c006d0069006d0069006b00610074007a002e006500780065000000";  // c:\mimikatz.exe

TEST(Args, NetrJobAddNdr64FromCapture) {
    Buf stub;
    std::string h = kJobAddNdr64;
    for (size_t i = 0; i + 1 < h.size(); i += 2) stub.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("atsvc"), 0, view(stub), true, out, true), DecodeResult::Decoded);
    EXPECT_EQ(out.args["server"], "\\\\admin-pc");
    EXPECT_EQ(out.args["command"], "c:\\mimikatz.exe");
    // The same bytes read as NDR 2.0 are garbage, not a crash.
    CallArgs out20;
    EXPECT_NE(d.request(iface("atsvc"), 0, view(stub), true, out20, false), DecodeResult::Decoded);
}

TEST(Args, RCreateServiceWNdr64) {
    Ndr n;
    n.n64 = true;
    n.handle().wstr("svc").uniqueWstr("disp").u32(0xf01ff).u32(0x10).u32(2).u32(1).wstr("C:\\x.exe");
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("svcctl"), 12, view(n.b), true, out, true), DecodeResult::Decoded);
    EXPECT_EQ(out.args["service_name"], "svc");
    EXPECT_EQ(out.args["display_name"], "disp");
    EXPECT_EQ(out.args["binary_path"], "C:\\x.exe");
    EXPECT_EQ(out.args["start_type"], 2);
}

TEST(Args, NetrServerAuthenticate3Ndr64EnumIs4Bytes) {
    Ndr n;
    n.n64 = true;
    n.uniqueWstr("\\\\DC").wstr("DC$").u32(6).wstr("DC").raw(Buf(8, 0)).u32(0x612fffff);
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("netlogon"), 26, view(n.b), true, out, true), DecodeResult::Decoded);
    EXPECT_EQ(out.args["secure_channel_type"], 6);
    EXPECT_EQ(out.args["computer_name"], "DC");
    EXPECT_EQ(out.args["client_credential_zero"], true);
}

TEST(Args, Ndr64SkipsNdr20OnlyDecoders) {
    ArgsDecoder d;
    CallArgs out;
    EXPECT_EQ(d.request(iface("drsuapi"), 3, view(Buf(200, 0)), true, out, true), DecodeResult::NotApplicable);
    EXPECT_EQ(d.request(iface("spoolss"), 89, view(Buf(200, 0)), true, out, true), DecodeResult::NotApplicable);
}

// Truncating a valid stub anywhere before the last field a decoder reads must fail cleanly
// (no crash, no partial args); once every read field is present, decoding succeeds. Trailing
// parameters the decoder never reads (e.g. NetprPathCanonicalize's PathType/Flags) may be cut.
TEST(Args, EveryTruncationFailsCleanly) {
    struct Case {
        const char* iface;
        uint16_t opnum;
        Buf stub;
        size_t unread_tail;  // bytes at the end the decoder does not need
    };
    std::vector<Case> cases = {
        {"srvsvc", 31, pathCanonicalizeStub(), 8},
        {"netlogon", 26, authenticate3Stub(0), 0},
        {"svcctl", 12, createServiceWStub(), 28},
        {"spoolss", 89, addPrinterDriverExStub(), 0},
    };
    for (const Case& c : cases) {
        const size_t need = c.stub.size() - c.unread_tail;
        for (size_t len = 0; len <= c.stub.size(); len++) {
            ArgsDecoder d;
            CallArgs out;
            DecodeResult r = d.request(iface(c.iface), c.opnum, view(c.stub).first(len), true, out);
            if (len < need) {
                EXPECT_EQ(r, DecodeResult::Failed) << c.iface << " len " << len;
                EXPECT_TRUE(out.args.empty()) << c.iface << " len " << len;
            } else {
                EXPECT_EQ(r, DecodeResult::Decoded) << c.iface << " len " << len;
            }
        }
    }
}

}  // namespace
}  // namespace rpcmon::dcerpc

namespace rpcmon::dcerpc {
namespace {

// [MS-LSAT] LsarLookupSids: PolicyHandle (20), SidEnumBuffer.Entries, [unique] SidInfo, ...
TEST(Args, LsarLookupSidsCarriesSidCount) {
    Buf stub = Ndr{}.raw(Buf(20, 0x11)).u32(600).u32(0x00020000).u32(600).b;
    ArgsDecoder d;
    CallArgs out;
    ASSERT_EQ(d.request(iface("lsarpc"), 15, view(stub), true, out), DecodeResult::Decoded);
    EXPECT_EQ(out.args["sid_count"], 600);
    // LsarLookupNames4 (77) has no policy handle: the count comes first.
    Buf names = Ndr{}.u32(3).u32(3).b;
    CallArgs out2;
    ASSERT_EQ(d.request(iface("lsarpc"), 77, view(names), true, out2), DecodeResult::Decoded);
    EXPECT_EQ(out2.args["name_count"], 3);
    CallArgs out3;
    EXPECT_EQ(d.request(iface("lsarpc"), 15, view(Buf(12, 0)), true, out3), DecodeResult::Failed);
}

}  // namespace

// Enumeration replies from the lab captures (testdata/enum_replies.hex): rpc.args.entries_read is
// the count the server returned, as tshark shows it (samr num_entries, srvsvc Ctr count); LSA
// lookups report theirs (lsa count, MappedCount) as rpc.args.mapped_count.
std::map<std::string, Buf> enumReplies() {
    std::map<std::string, Buf> m;
    std::ifstream in(std::string(DCERPC_TESTDATA) + "/enum_replies.hex");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string name, pcap, frame, hex;
        ls >> name >> pcap >> frame >> hex;
        Buf b;
        for (size_t i = 0; i + 1 < hex.size(); i += 2) b.push_back(uint8_t(std::stoi(hex.substr(i, 2), nullptr, 16)));
        m[name] = std::move(b);
    }
    return m;
}

TEST(EnumReplies, EntriesReadFromRealReplies) {
    auto r = enumReplies();
    ASSERT_EQ(r.size(), 7u);
    struct Case {
        const char* name;
        const char* iface;
        uint16_t op;
        uint32_t entries;
    } cases[] = {
        {"samr_enum_domains", "samr", 6, 2},           // LAB, BUILTIN
        {"samr_enum_users", "samr", 13, 3},             // Administrator, Guest, krbtgt
        {"samr_enum_groups", "samr", 11, 12},
        {"samr_enum_aliases", "samr", 15, 21},
        {"lsa_lookup_sids", "lsarpc", 15, 18},          // MappedCount, STATUS_SOME_NOT_MAPPED
        {"srvsvc_share_enum_level2", "srvsvc", 15, 2},
        {"srvsvc_share_enum_level1", "srvsvc", 15, 2},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ArgsDecoder d;
        CallArgs out;
        ASSERT_EQ(d.response(iface(c.iface), c.op, view(r.at(c.name)), true, out), DecodeResult::Decoded);
        EXPECT_EQ(out.args[std::string(c.iface) == "lsarpc" ? "mapped_count" : "entries_read"], c.entries);
    }
}

TEST(EnumReplies, InconsistentOrShortRepliesFail) {
    auto r = enumReplies();
    ArgsDecoder d;
    // EntriesRead (front) and CountReturned (before the status) disagree.
    Buf users = r.at("samr_enum_users");
    users[users.size() - 8] ^= 1;
    CallArgs a;
    EXPECT_EQ(d.response(iface("samr"), 13, view(users), true, a), DecodeResult::Failed);
    EXPECT_FALSE(a.args.contains("entries_read"));
    // More names mapped than SIDs asked for.
    CallArgs b;
    b.args["sid_count"] = 5u;
    EXPECT_EQ(d.response(iface("lsarpc"), 15, view(r.at("lsa_lookup_sids")), true, b), DecodeResult::Failed);
    // Union discriminant differing from the level.
    Buf shares = r.at("srvsvc_share_enum_level1");
    shares[4] = 2;
    CallArgs c;
    EXPECT_EQ(d.response(iface("srvsvc"), 15, view(shares), true, c), DecodeResult::Failed);
    CallArgs e;
    EXPECT_EQ(d.response(iface("samr"), 6, view(Buf(6, 0)), true, e), DecodeResult::Failed);
}

// The decoder table: every (interface, opnum) a decoder registers names an operation of a
// known interface (a typo would leave the operation undecoded without any other test noticing),
// and no pair is registered twice (the second registration would silently never run).
TEST(DecoderTable, EveryRegisteredOperationIsNamedAndUnique) {
    for (bool responses : {false, true}) {
        std::set<std::pair<std::string_view, uint16_t>> seen;
        for (const decoders::DecoderGroup* g : decoders::allGroups())
            for (const decoders::OpDecoder& d : responses ? g->responses : g->requests) {
                const InterfaceInfo* info = findInterfaceByName(d.iface);
                ASSERT_NE(info, nullptr) << d.iface;
                ASSERT_NE(d.decode, nullptr) << d.iface;
                ASSERT_FALSE(d.opnums.empty()) << d.iface;
                for (uint16_t op : d.opnums) {
                    EXPECT_FALSE(operationName(info, op).empty()) << d.iface << " opnum " << op;
                    EXPECT_TRUE(seen.emplace(d.iface, op).second)
                        << d.iface << " opnum " << op << (responses ? " response" : " request")
                        << " registered twice";
                }
            }
        EXPECT_GE(seen.size(), responses ? 20u : 40u);
    }
}

}  // namespace rpcmon::dcerpc
