// SPDX-License-Identifier: Apache-2.0
#include "protocols/dcerpc/interfaces.h"

#include <gtest/gtest.h>

#include <set>

namespace rpcmon::dcerpc {
namespace {

std::string_view op(const char* uuid, uint16_t opnum) {
    Uuid u;
    EXPECT_TRUE(Uuid::parse(uuid, u)) << uuid;
    return operationName(u, opnum);
}

TEST(Interfaces, TableIsConsistent) {
    std::set<Uuid> seen;
    for (const InterfaceInfo& i : allInterfaces()) {
        EXPECT_FALSE(i.uuid.isNil()) << i.name;
        EXPECT_FALSE(i.name.empty());
        EXPECT_FALSE(i.ops.empty()) << i.name;
        EXPECT_TRUE(seen.insert(i.uuid).second) << "duplicate uuid for " << i.name;
    }
    EXPECT_GE(allInterfaces().size(), 28u);
}

TEST(Interfaces, NamesByUuid) {
    Uuid u;
    ASSERT_TRUE(Uuid::parse("12345778-1234-abcd-ef00-0123456789ac", u));
    ASSERT_NE(findInterface(u), nullptr);
    EXPECT_EQ(findInterface(u)->name, "samr");
    ASSERT_TRUE(Uuid::parse("12345778-1234-abcd-ef00-0123456789ab", u));
    EXPECT_EQ(findInterface(u)->name, "lsarpc");
    ASSERT_TRUE(Uuid::parse("12345678-1234-abcd-ef00-0123456789ab", u));
    EXPECT_EQ(findInterface(u)->name, "spoolss");
    ASSERT_TRUE(Uuid::parse("deadbeef-0000-0000-0000-000000000000", u));
    EXPECT_EQ(findInterface(u), nullptr);
}

TEST(Interfaces, EfsrpcBothUuids) {
    EXPECT_EQ(op("c681d488-d850-11d0-8c52-00c04fd90f7e", 0), "EfsRpcOpenFileRaw");
    EXPECT_EQ(op("df1941c5-fe89-4e79-bf10-463657acf44d", 0), "EfsRpcOpenFileRaw");
    EXPECT_EQ(op("df1941c5-fe89-4e79-bf10-463657acf44d", 4), "EfsRpcEncryptFileSrv");
    EXPECT_EQ(op("c681d488-d850-11d0-8c52-00c04fd90f7e", 21), "EfsRpcEncryptFileExSrv");
}

TEST(Interfaces, OperationsDetectionsRelyOn) {
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ac", 13), "SamrEnumerateUsersInDomain");
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ac", 64), "SamrConnect5");
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ab", 76), "LsarLookupSids3");
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ab", 44), "LsarOpenPolicy2");
    EXPECT_EQ(op("4b324fc8-1670-01d3-1278-5a47bf6ee188", 31), "NetprPathCanonicalize");
    EXPECT_EQ(op("4b324fc8-1670-01d3-1278-5a47bf6ee188", 15), "NetrShareEnum");
    EXPECT_EQ(op("4b324fc8-1670-01d3-1278-5a47bf6ee188", 12), "NetrSessionEnum");
    EXPECT_EQ(op("6bffd098-a112-3610-9833-46c3f87e345a", 2), "NetrWkstaUserEnum");
    EXPECT_EQ(op("338cd001-2244-31f1-aaaa-900038001003", 20), "BaseRegSaveKey");
    EXPECT_EQ(op("338cd001-2244-31f1-aaaa-900038001003", 15), "BaseRegOpenKey");
    EXPECT_EQ(op("367abb81-9844-35f1-ad32-98f038001003", 12), "RCreateServiceW");
    EXPECT_EQ(op("367abb81-9844-35f1-ad32-98f038001003", 24), "RCreateServiceA");
    EXPECT_EQ(op("367abb81-9844-35f1-ad32-98f038001003", 45), "RCreateServiceWOW64W");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-01234567cffb", 26), "NetrServerAuthenticate3");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-01234567cffb", 30), "NetrServerPasswordSet2");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-01234567cffb", 45), "NetrLogonSamLogonWithFlags");
    EXPECT_EQ(op("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3), "DRSGetNCChanges");
    EXPECT_EQ(op("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 12), "DRSCrackNames");
    EXPECT_EQ(op("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3), "ept_map");
    EXPECT_EQ(op("1ff70682-0a51-30e8-076d-740be8cee98b", 0), "NetrJobAdd");
    EXPECT_EQ(op("86d35949-83c9-4044-b424-db363231fd0c", 1), "SchRpcRegisterTask");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-0123456789ab", 65), "RpcRemoteFindFirstPrinterChangeNotificationEx");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-0123456789ab", 69), "RpcOpenPrinterEx");
    EXPECT_EQ(op("12345678-1234-abcd-ef00-0123456789ab", 89), "RpcAddPrinterDriverEx");
    EXPECT_EQ(op("76f03f96-cdfd-44fc-a22c-64950a001209", 39), "RpcAsyncAddPrinterDriver");
    EXPECT_EQ(op("82273fdc-e32a-18c3-3f78-827929dc23ea", 0), "ElfrClearELFW");
    EXPECT_EQ(op("f6beaff7-1e19-4fbb-9f8f-b89e2018337c", 6), "EvtRpcClearLog");
    EXPECT_EQ(op("4fc742e0-4a10-11cf-8273-00aa004ae673", 12), "NetrDfsAddStdRoot");
    EXPECT_EQ(op("4fc742e0-4a10-11cf-8273-00aa004ae673", 13), "NetrDfsRemoveStdRoot");
    EXPECT_EQ(op("000001a0-0000-0000-c000-000000000046", 4), "RemoteCreateInstance");
    EXPECT_EQ(op("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", 0), "RemoteActivation");
    EXPECT_EQ(op("99fcfec4-5260-101b-bbcb-00aa0021347a", 5), "ServerAlive2");
    EXPECT_EQ(op("00000143-0000-0000-c000-000000000046", 6), "RemQueryInterface2");
    EXPECT_EQ(op("f309ad18-d86a-11d0-a075-00c04fb68820", 6), "NTLMLogin");
    EXPECT_EQ(op("9556dc99-828c-11cf-a37e-00aa003240c7", 24), "ExecMethod");
    EXPECT_EQ(op("378e52b0-c0a9-11cf-822d-00aa0051e40f", 0), "SASetAccountInformation");
    EXPECT_EQ(op("3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0), "DsRolerGetPrimaryDomainInformation");
    EXPECT_EQ(op("afa8bd80-7d8a-11c9-bef4-08002b102989", 4), "rpc__mgmt_inq_princ_name");
}

TEST(Interfaces, UnknownAndNotOnWireOpnumsAreEmpty) {
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ac", 4), "");    // Opnum4NotUsedOnWire
    EXPECT_EQ(op("12345778-1234-abcd-ef00-0123456789ac", 999), "");  // beyond table
    EXPECT_EQ(op("000001a0-0000-0000-c000-000000000046", 0), "");    // IUnknown slot
    EXPECT_EQ(operationName(nullptr, 1), "");
}

TEST(Interfaces, DcomFlags) {
    EXPECT_TRUE(findInterfaceByName("ISystemActivator")->orpc);
    EXPECT_TRUE(findInterfaceByName("IRemUnknown2")->orpc);
    EXPECT_FALSE(findInterfaceByName("IObjectExporter")->orpc);
    EXPECT_FALSE(findInterfaceByName("samr")->orpc);
}

TEST(Interfaces, ClassNames) {
    Uuid u;
    ASSERT_TRUE(Uuid::parse("49b2791a-b1ae-4c90-9b8e-e860ba07f889", u));
    EXPECT_EQ(className(u), "MMC20.Application");
    ASSERT_TRUE(Uuid::parse("9ba05972-f6a8-11cf-a442-00a0c90a8f39", u));
    EXPECT_EQ(className(u), "ShellWindows");
    ASSERT_TRUE(Uuid::parse("c08afd90-f2a1-11d1-8455-00a0c91f3880", u));
    EXPECT_EQ(className(u), "ShellBrowserWindow");
    ASSERT_TRUE(Uuid::parse("8bc3f05e-d86b-11d0-a075-00c04fb68820", u));
    EXPECT_EQ(className(u), "WbemLevel1Login");
    ASSERT_TRUE(Uuid::parse("00000000-0000-0000-0000-000000000001", u));
    EXPECT_EQ(className(u), "");
}

}  // namespace
}  // namespace rpcmon::dcerpc
