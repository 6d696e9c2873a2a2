// SPDX-License-Identifier: Apache-2.0
// Operation names follow the Microsoft Open Specifications ([MS-xxx] section 3.1.4 opnum tables)
// and C706 for epm/mgmt. nullptr marks opnums the specs list as "OpnumNNotUsedOnWire" or
// reserved, so no invented names reach the output.
#include "protocols/dcerpc/interfaces.h"

#include <map>
#include <vector>

namespace rpcmon::dcerpc {
namespace {

// C706 Appendix O / [MS-RPCE] 2.2.1.2.5: endpoint mapper ept_*.
const char* const kEpm[] = {"ept_insert", "ept_delete", "ept_lookup", "ept_map",
                            "ept_lookup_handle_free", "ept_inq_object", "ept_mgmt_delete",
                            "ept_map_auth"};
// C706 Appendix Q: remote management interface.
const char* const kMgmt[] = {"rpc__mgmt_inq_if_ids", "rpc__mgmt_inq_stats",
                             "rpc__mgmt_is_server_listening", "rpc__mgmt_stop_server_listening",
                             "rpc__mgmt_inq_princ_name"};
// [MS-SAMR] 3.1.4.
const char* const kSamr[] = {
    "SamrConnect", "SamrCloseHandle", "SamrSetSecurityObject", "SamrQuerySecurityObject", nullptr,
    "SamrLookupDomainInSamServer", "SamrEnumerateDomainsInSamServer", "SamrOpenDomain",
    "SamrQueryInformationDomain", "SamrSetInformationDomain", "SamrCreateGroupInDomain",
    "SamrEnumerateGroupsInDomain", "SamrCreateUserInDomain", "SamrEnumerateUsersInDomain",
    "SamrCreateAliasInDomain", "SamrEnumerateAliasesInDomain", "SamrGetAliasMembership",
    "SamrLookupNamesInDomain", "SamrLookupIdsInDomain", "SamrOpenGroup",
    "SamrQueryInformationGroup", "SamrSetInformationGroup", "SamrAddMemberToGroup",
    "SamrDeleteGroup", "SamrRemoveMemberFromGroup", "SamrGetMembersInGroup",
    "SamrSetMemberAttributesOfGroup", "SamrOpenAlias", "SamrQueryInformationAlias",
    "SamrSetInformationAlias", "SamrDeleteAlias", "SamrAddMemberToAlias",
    "SamrRemoveMemberFromAlias", "SamrGetMembersInAlias", "SamrOpenUser", "SamrDeleteUser",
    "SamrQueryInformationUser", "SamrSetInformationUser", "SamrChangePasswordUser",
    "SamrGetGroupsForUser", "SamrQueryDisplayInformation", "SamrGetDisplayEnumerationIndex",
    nullptr, nullptr, "SamrGetUserDomainPasswordInformation", "SamrRemoveMemberFromForeignDomain",
    "SamrQueryInformationDomain2", "SamrQueryInformationUser2", "SamrQueryDisplayInformation2",
    "SamrGetDisplayEnumerationIndex2", "SamrCreateUser2InDomain", "SamrQueryDisplayInformation3",
    "SamrAddMultipleMembersToAlias", "SamrRemoveMultipleMembersFromAlias",
    "SamrOemChangePasswordUser2", "SamrUnicodeChangePasswordUser2",
    "SamrGetDomainPasswordInformation", "SamrConnect2", "SamrSetInformationUser2", nullptr,
    nullptr, nullptr, "SamrConnect4", nullptr, "SamrConnect5", "SamrRidToSid",
    "SamrSetDSRMPassword", "SamrValidatePassword"};
// [MS-LSAD] 3.1.4 and [MS-LSAT] 3.1.4 share the lsarpc interface.
const char* const kLsarpc[] = {
    "LsarClose", nullptr, "LsarEnumeratePrivileges", "LsarQuerySecurityObject",
    "LsarSetSecurityObject", nullptr, "LsarOpenPolicy", "LsarQueryInformationPolicy",
    "LsarSetInformationPolicy", nullptr, "LsarCreateAccount", "LsarEnumerateAccounts",
    "LsarCreateTrustedDomain", "LsarEnumerateTrustedDomains", "LsarLookupNames",
    "LsarLookupSids", "LsarCreateSecret", "LsarOpenAccount", "LsarEnumeratePrivilegesAccount",
    "LsarAddPrivilegesToAccount", "LsarRemovePrivilegesFromAccount", nullptr, nullptr,
    "LsarGetSystemAccessAccount", "LsarSetSystemAccessAccount", "LsarOpenTrustedDomain",
    "LsarQueryInfoTrustedDomain", "LsarSetInformationTrustedDomain", "LsarOpenSecret",
    "LsarSetSecret", "LsarQuerySecret", "LsarLookupPrivilegeValue", "LsarLookupPrivilegeName",
    "LsarLookupPrivilegeDisplayName", "LsarDeleteObject", "LsarEnumerateAccountsWithUserRight",
    "LsarEnumerateAccountRights", "LsarAddAccountRights", "LsarRemoveAccountRights",
    "LsarQueryTrustedDomainInfo", "LsarSetTrustedDomainInfo", "LsarDeleteTrustedDomain",
    "LsarStorePrivateData", "LsarRetrievePrivateData", "LsarOpenPolicy2", "LsarGetUserName",
    "LsarQueryInformationPolicy2", "LsarSetInformationPolicy2",
    "LsarQueryTrustedDomainInfoByName", "LsarSetTrustedDomainInfoByName",
    "LsarEnumerateTrustedDomainsEx", "LsarCreateTrustedDomainEx", nullptr,
    "LsarQueryDomainInformationPolicy", "LsarSetDomainInformationPolicy",
    "LsarOpenTrustedDomainByName", nullptr, "LsarLookupSids2", "LsarLookupNames2",
    "LsarCreateTrustedDomainEx2", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, "LsarLookupNames3", nullptr, nullptr, nullptr, nullptr,
    "LsarQueryForestTrustInformation", "LsarSetForestTrustInformation", nullptr,
    "LsarLookupSids3", "LsarLookupNames4"};
// [MS-DSSP] 3.2.4 (only opnum 0 is on the wire in current Windows; the rest are Samba's names).
const char* const kDssetup[] = {
    "DsRolerGetPrimaryDomainInformation", "DsRolerDnsNameToFlatName", "DsRolerDcAsDc",
    "DsRolerDcAsReplica", "DsRolerDemoteDc", "DsRolerGetDcOperationProgress",
    "DsRolerGetDcOperationResults", "DsRolerCancel", "DsRolerServerSaveStateForUpgrade",
    "DsRolerUpgradeDownlevelServer", "DsRolerAbortDownlevelServerUpgrade"};
// [MS-NRPC] 3.5.4.
const char* const kNetlogon[] = {
    "NetrLogonUasLogon", "NetrLogonUasLogoff", "NetrLogonSamLogon", "NetrLogonSamLogoff",
    "NetrServerReqChallenge", "NetrServerAuthenticate", "NetrServerPasswordSet",
    "NetrDatabaseDeltas", "NetrDatabaseSync", "NetrAccountDeltas", "NetrAccountSync",
    "NetrGetDCName", "NetrLogonControl", "NetrGetAnyDCName", "NetrLogonControl2",
    "NetrServerAuthenticate2", "NetrDatabaseSync2", "NetrDatabaseRedo", "NetrLogonControl2Ex",
    "NetrEnumerateTrustedDomains", "DsrGetDcName", "NetrLogonGetCapabilities",
    "NetrLogonSetServiceBits", "NetrLogonGetTrustRid", "NetrLogonComputeServerDigest",
    "NetrLogonComputeClientDigest", "NetrServerAuthenticate3", "DsrGetDcNameEx",
    "DsrGetSiteName", "NetrLogonGetDomainInfo", "NetrServerPasswordSet2",
    "NetrServerPasswordGet", "NetrLogonSendToSam", "DsrAddressToSiteNamesW", "DsrGetDcNameEx2",
    "NetrLogonGetTimeServiceParentDomain", "NetrEnumerateTrustedDomainsEx",
    "DsrAddressToSiteNamesExW", "DsrGetDcSiteCoverageW", "NetrLogonSamLogonEx",
    "DsrEnumerateDomainTrusts", "DsrDeregisterDnsHostRecords", "NetrServerTrustPasswordsGet",
    "DsrGetForestTrustInformation", "NetrGetForestTrustInformation",
    "NetrLogonSamLogonWithFlags", "NetrServerGetTrustInfo"};
// [MS-SRVS] 3.1.4.
const char* const kSrvsvc[] = {
    "NetrCharDevEnum", "NetrCharDevGetInfo", "NetrCharDevControl", "NetrCharDevQEnum",
    "NetrCharDevQGetInfo", "NetrCharDevQSetInfo", "NetrCharDevQPurge", "NetrCharDevQPurgeSelf",
    "NetrConnectionEnum", "NetrFileEnum", "NetrFileGetInfo", "NetrFileClose", "NetrSessionEnum",
    "NetrSessionDel", "NetrShareAdd", "NetrShareEnum", "NetrShareGetInfo", "NetrShareSetInfo",
    "NetrShareDel", "NetrShareDelSticky", "NetrShareCheck", "NetrServerGetInfo",
    "NetrServerSetInfo", "NetrServerDiskEnum", "NetrServerStatisticsGet",
    "NetrServerTransportAdd", "NetrServerTransportEnum", "NetrServerTransportDel",
    "NetrRemoteTOD", nullptr, "NetprPathType", "NetprPathCanonicalize", "NetprPathCompare",
    "NetprNameValidate", "NetprNameCanonicalize", "NetprNameCompare", "NetrShareEnumSticky",
    "NetrShareDelStart", "NetrShareDelCommit", "NetrpGetFileSecurity", "NetrpSetFileSecurity",
    "NetrServerTransportAddEx", nullptr, "NetrDfsGetVersion", "NetrDfsCreateLocalPartition",
    "NetrDfsDeleteLocalPartition", "NetrDfsSetLocalVolumeState", nullptr,
    "NetrDfsCreateExitPoint", "NetrDfsDeleteExitPoint", "NetrDfsModifyPrefix",
    "NetrDfsFixLocalVolume", "NetrDfsManagerReportSiteInfo", "NetrServerTransportDelEx",
    "NetrServerAliasAdd", "NetrServerAliasEnum", "NetrServerAliasDel", "NetrShareDelEx"};
// [MS-WKST] 3.2.4.
const char* const kWkssvc[] = {
    "NetrWkstaGetInfo", "NetrWkstaSetInfo", "NetrWkstaUserEnum", nullptr, nullptr,
    "NetrWkstaTransportEnum", "NetrWkstaTransportAdd", "NetrWkstaTransportDel", "NetrUseAdd",
    "NetrUseGetInfo", "NetrUseDel", "NetrUseEnum", nullptr, "NetrWorkstationStatisticsGet",
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "NetrGetJoinInformation", nullptr,
    "NetrJoinDomain2", "NetrUnjoinDomain2", "NetrRenameMachineInDomain2", "NetrValidateName2",
    "NetrGetJoinableOUs2", "NetrAddAlternateComputerName", "NetrRemoveAlternateComputerName",
    "NetrSetPrimaryComputerName", "NetrEnumerateComputerNames"};
// [MS-RRP] 3.1.5.
const char* const kWinreg[] = {
    "OpenClassesRoot", "OpenCurrentUser", "OpenLocalMachine", "OpenPerformanceData",
    "OpenUsers", "BaseRegCloseKey", "BaseRegCreateKey", "BaseRegDeleteKey", "BaseRegDeleteValue",
    "BaseRegEnumKey", "BaseRegEnumValue", "BaseRegFlushKey", "BaseRegGetKeySecurity",
    "BaseRegLoadKey", nullptr, "BaseRegOpenKey", "BaseRegQueryInfoKey", "BaseRegQueryValue",
    "BaseRegReplaceKey", "BaseRegRestoreKey", "BaseRegSaveKey", "BaseRegSetKeySecurity",
    "BaseRegSetValue", "BaseRegUnLoadKey", "BaseInitiateSystemShutdown",
    "BaseAbortSystemShutdown", "BaseRegGetVersion", "OpenCurrentConfig", nullptr,
    "BaseRegQueryMultipleValues", "BaseInitiateSystemShutdownEx", "BaseRegSaveKeyEx",
    "OpenPerformanceText", "OpenPerformanceNlsText", "BaseRegQueryMultipleValues2",
    "BaseRegDeleteKeyEx"};
// [MS-SCMR] 3.1.4.
const char* const kSvcctl[] = {
    "RCloseServiceHandle", "RControlService", "RDeleteService", "RLockServiceDatabase",
    "RQueryServiceObjectSecurity", "RSetServiceObjectSecurity", "RQueryServiceStatus",
    "RSetServiceStatus", "RUnlockServiceDatabase", "RNotifyBootConfigStatus", nullptr,
    "RChangeServiceConfigW", "RCreateServiceW", "REnumDependentServicesW",
    "REnumServicesStatusW", "ROpenSCManagerW", "ROpenServiceW", "RQueryServiceConfigW",
    "RQueryServiceLockStatusW", "RStartServiceW", "RGetServiceDisplayNameW",
    "RGetServiceKeyNameW", nullptr, "RChangeServiceConfigA", "RCreateServiceA",
    "REnumDependentServicesA", "REnumServicesStatusA", "ROpenSCManagerA", "ROpenServiceA",
    "RQueryServiceConfigA", "RQueryServiceLockStatusA", "RStartServiceA",
    "RGetServiceDisplayNameA", "RGetServiceKeyNameA", nullptr, "REnumServiceGroupW",
    "RChangeServiceConfig2A", "RChangeServiceConfig2W", "RQueryServiceConfig2A",
    "RQueryServiceConfig2W", "RQueryServiceStatusEx", "REnumServicesStatusExA",
    "REnumServicesStatusExW", nullptr, "RCreateServiceWOW64A", "RCreateServiceWOW64W", nullptr,
    "RNotifyServiceStatusChange", "RGetNotifyResults", "RCloseNotifyHandle",
    "RControlServiceExA", "RControlServiceExW", nullptr, nullptr, nullptr, nullptr,
    "RQueryServiceConfigEx", nullptr, nullptr, nullptr, "RCreateWowService", "ROpenSCManager2"};
// [MS-TSCH] 3.2.5.2 (ATSvc), 3.2.5.3 (SASec), 3.2.5.4 (ITaskSchedulerService).
const char* const kAtsvc[] = {"NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo"};
const char* const kSasec[] = {"SASetAccountInformation", "SASetNSAccountInformation",
                              "SAGetNSAccountInformation", "SAGetAccountInformation"};
const char* const kTsch[] = {
    "SchRpcHighestVersion", "SchRpcRegisterTask", "SchRpcRetrieveTask", "SchRpcCreateFolder",
    "SchRpcSetSecurity", "SchRpcGetSecurity", "SchRpcEnumFolders", "SchRpcEnumTasks",
    "SchRpcEnumInstances", "SchRpcGetInstanceInfo", "SchRpcStopInstance", "SchRpcStop",
    "SchRpcRun", "SchRpcDelete", "SchRpcRename", "SchRpcScheduledRuntimes",
    "SchRpcGetLastRunInfo", "SchRpcGetTaskInfo", "SchRpcGetNumberOfMissedRuns",
    "SchRpcEnableTask"};
// [MS-DRSR] 4.1 (IDL_DRS* without the IDL_ prefix, as Zeek and impacket print them).
const char* const kDrsuapi[] = {
    "DRSBind", "DRSUnbind", "DRSReplicaSync", "DRSGetNCChanges", "DRSUpdateRefs",
    "DRSReplicaAdd", "DRSReplicaDel", "DRSReplicaModify", "DRSVerifyNames", "DRSGetMemberships",
    "DRSInterDomainMove", "DRSGetNT4ChangeLog", "DRSCrackNames", "DRSWriteSPN",
    "DRSRemoveDsServer", "DRSRemoveDsDomain", "DRSDomainControllerInfo", "DRSAddEntry",
    "DRSExecuteKCC", "DRSGetReplInfo", "DRSAddSidHistory", "DRSGetMemberships2",
    "DRSReplicaVerifyObjects", "DRSGetObjectExistence", "DRSQuerySitesByCost",
    "DRSInitDemotion", "DRSReplicaDemotion", "DRSFinishDemotion", "DRSAddCloneDC",
    "DRSWriteNgcKey", "DRSReadNgcKey"};
// [MS-RPRN] 3.1.4.
const char* const kSpoolss[] = {
    "RpcEnumPrinters", "RpcOpenPrinter", "RpcSetJob", "RpcGetJob", "RpcEnumJobs",
    "RpcAddPrinter", "RpcDeletePrinter", "RpcSetPrinter", "RpcGetPrinter",
    "RpcAddPrinterDriver", "RpcEnumPrinterDrivers", "RpcGetPrinterDriver",
    "RpcGetPrinterDriverDirectory", "RpcDeletePrinterDriver", "RpcAddPrintProcessor",
    "RpcEnumPrintProcessors", "RpcGetPrintProcessorDirectory", "RpcStartDocPrinter",
    "RpcStartPagePrinter", "RpcWritePrinter", "RpcEndPagePrinter", "RpcAbortPrinter",
    "RpcReadPrinter", "RpcEndDocPrinter", "RpcAddJob", "RpcScheduleJob", "RpcGetPrinterData",
    "RpcSetPrinterData", "RpcWaitForPrinterChange", "RpcClosePrinter", "RpcAddForm",
    "RpcDeleteForm", "RpcGetForm", "RpcSetForm", "RpcEnumForms", "RpcEnumPorts",
    "RpcEnumMonitors", nullptr, nullptr, "RpcDeletePort", "RpcCreatePrinterIC",
    "RpcPlayGdiScriptOnPrinterIC", "RpcDeletePrinterIC", nullptr, nullptr, nullptr,
    "RpcAddMonitor", "RpcDeleteMonitor", "RpcDeletePrintProcessor", nullptr, nullptr,
    "RpcEnumPrintProcessorDatatypes", "RpcResetPrinter", "RpcGetPrinterDriver2", nullptr,
    nullptr, "RpcFindClosePrinterChangeNotification", nullptr, "RpcReplyOpenPrinter",
    "RpcRouterReplyPrinter", "RpcReplyClosePrinter", "RpcAddPortEx",
    "RpcRemoteFindFirstPrinterChangeNotification", nullptr, nullptr,
    "RpcRemoteFindFirstPrinterChangeNotificationEx", "RpcRouterReplyPrinterEx",
    "RpcRouterRefreshPrinterChangeNotification", nullptr, "RpcOpenPrinterEx",
    "RpcAddPrinterEx", "RpcSetPort", "RpcEnumPrinterData", "RpcDeletePrinterData", nullptr,
    nullptr, nullptr, "RpcSetPrinterDataEx", "RpcGetPrinterDataEx", "RpcEnumPrinterDataEx",
    "RpcEnumPrinterKey", "RpcDeletePrinterDataEx", "RpcDeletePrinterKey", nullptr,
    "RpcDeletePrinterDriverEx", "RpcAddPerMachineConnection", "RpcDeletePerMachineConnection",
    "RpcEnumPerMachineConnections", "RpcXcvData", "RpcAddPrinterDriverEx", nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, "RpcFlushPrinter", "RpcSendRecvBidiData", nullptr,
    nullptr, nullptr, nullptr, "RpcGetCorePrinterDrivers", nullptr,
    "RpcGetPrinterDriverPackagePath"};
// [MS-PAR] 3.1.4.
const char* const kPar[] = {
    "RpcAsyncOpenPrinter", "RpcAsyncAddPrinter", "RpcAsyncSetJob", "RpcAsyncGetJob",
    "RpcAsyncEnumJobs", "RpcAsyncAddJob", "RpcAsyncScheduleJob", "RpcAsyncDeletePrinter",
    "RpcAsyncSetPrinter", "RpcAsyncGetPrinter", "RpcAsyncStartDocPrinter",
    "RpcAsyncStartPagePrinter", "RpcAsyncWritePrinter", "RpcAsyncEndPagePrinter",
    "RpcAsyncEndDocPrinter", "RpcAsyncAbortPrinter", "RpcAsyncGetPrinterData",
    "RpcAsyncGetPrinterDataEx", "RpcAsyncSetPrinterData", "RpcAsyncSetPrinterDataEx",
    "RpcAsyncClosePrinter", "RpcAsyncAddForm", "RpcAsyncDeleteForm", "RpcAsyncGetForm",
    "RpcAsyncSetForm", "RpcAsyncEnumForms", "RpcAsyncGetPrinterDriver",
    "RpcAsyncEnumPrinterData", "RpcAsyncEnumPrinterDataEx", "RpcAsyncEnumPrinterKey",
    "RpcAsyncDeletePrinterData", "RpcAsyncDeletePrinterDataEx", "RpcAsyncDeletePrinterKey",
    "RpcAsyncXcvData", "RpcAsyncSendRecvBidiData", "RpcAsyncCreatePrinterIC",
    "RpcAsyncPlayGdiScriptOnPrinterIC", "RpcAsyncDeletePrinterIC", "RpcAsyncEnumPrinters",
    "RpcAsyncAddPrinterDriver", "RpcAsyncEnumPrinterDrivers",
    "RpcAsyncGetPrinterDriverDirectory", "RpcAsyncDeletePrinterDriver",
    "RpcAsyncDeletePrinterDriverEx", "RpcAsyncAddPrintProcessor", "RpcAsyncEnumPrintProcessors",
    "RpcAsyncGetPrintProcessorDirectory", "RpcAsyncEnumPorts", "RpcAsyncEnumMonitors",
    "RpcAsyncAddPort", "RpcAsyncSetPort", "RpcAsyncAddMonitor", "RpcAsyncDeleteMonitor",
    "RpcAsyncDeletePrintProcessor", "RpcAsyncEnumPrintProcessorDatatypes",
    "RpcAsyncAddPerMachineConnection", "RpcAsyncDeletePerMachineConnection",
    "RpcAsyncEnumPerMachineConnections", "RpcSyncRegisterForRemoteNotifications",
    "RpcSyncUnRegisterForRemoteNotifications", "RpcSyncRefreshRemoteNotifications",
    "RpcAsyncGetRemoteNotifications", "RpcAsyncInstallPrinterDriverFromPackage",
    "RpcAsyncUploadPrinterDriverPackage", "RpcAsyncGetCorePrinterDrivers",
    "RpcAsyncCorePrinterDriverInstalled", "RpcAsyncGetPrinterDriverPackagePath",
    "RpcAsyncDeletePrinterDriverPackage", "RpcAsyncReadPrinter", "RpcAsyncResetPrinter",
    "RpcAsyncGetJobNamedPropertyValue", "RpcAsyncSetJobNamedProperty",
    "RpcAsyncDeleteJobNamedProperty", "RpcAsyncEnumJobNamedProperties",
    "RpcAsyncLogJobInfoForBranchOffice"};
// [MS-EFSR] 3.1.4.2.
const char* const kEfsr[] = {
    "EfsRpcOpenFileRaw", "EfsRpcReadFileRaw", "EfsRpcWriteFileRaw", "EfsRpcCloseRaw",
    "EfsRpcEncryptFileSrv", "EfsRpcDecryptFileSrv", "EfsRpcQueryUsersOnFile",
    "EfsRpcQueryRecoveryAgents", "EfsRpcRemoveUsersFromFile", "EfsRpcAddUsersToFile", nullptr,
    "EfsRpcNotSupported", "EfsRpcFileKeyInfo", "EfsRpcDuplicateEncryptionInfoFile", nullptr,
    "EfsRpcAddUsersToFileEx", "EfsRpcFileKeyInfoEx", nullptr, "EfsRpcGetEncryptedFileMetadata",
    "EfsRpcSetEncryptedFileMetadata", "EfsRpcFlushEfsCache", "EfsRpcEncryptFileExSrv",
    "EfsRpcQueryProtectors"};
// [MS-EVEN] 3.1.4.
const char* const kEventlog[] = {
    "ElfrClearELFW", "ElfrBackupELFW", "ElfrCloseEL", "ElfrDeregisterEventSource",
    "ElfrNumberOfRecords", "ElfrOldestRecord", "ElfrChangeNotify", "ElfrOpenELW",
    "ElfrRegisterEventSourceW", "ElfrOpenBELW", "ElfrReadELW", "ElfrReportEventW",
    "ElfrClearELFA", "ElfrBackupELFA", "ElfrOpenELA", "ElfrRegisterEventSourceA",
    "ElfrOpenBELA", "ElfrReadELA", "ElfrReportEventA", nullptr, nullptr, nullptr,
    "ElfrGetLogInformation", nullptr, "ElfrReportEventAndSourceW", "ElfrReportEventExW",
    "ElfrReportEventExA"};
// [MS-EVEN6] 3.1.4.
const char* const kEven6[] = {
    "EvtRpcRegisterRemoteSubscription", "EvtRpcRemoteSubscriptionNextAsync",
    "EvtRpcRemoteSubscriptionNext", "EvtRpcRemoteSubscriptionWaitAsync",
    "EvtRpcRegisterControllableOperation", "EvtRpcRegisterLogQuery", "EvtRpcClearLog",
    "EvtRpcExportLog", "EvtRpcLocalizeExportLog", "EvtRpcMessageRender",
    "EvtRpcMessageRenderDefault", "EvtRpcQueryNext", "EvtRpcQuerySeek", "EvtRpcClose",
    "EvtRpcCancel", "EvtRpcAssertConfig", "EvtRpcRetractConfig", "EvtRpcOpenLogHandle",
    "EvtRpcGetLogFileInfo", "EvtRpcGetChannelList", "EvtRpcGetChannelConfig",
    "EvtRpcPutChannelConfig", "EvtRpcGetPublisherList", "EvtRpcGetPublisherListForChannel",
    "EvtRpcGetPublisherMetadata", "EvtRpcGetPublisherResourceMetadata",
    "EvtRpcGetEventMetadataEnum", "EvtRpcGetNextEventMetadata",
    "EvtRpcGetClassicLogDisplayName"};
// [MS-DFSNM] 3.1.4.
const char* const kNetdfs[] = {
    "NetrDfsManagerGetVersion", "NetrDfsAdd", "NetrDfsRemove", "NetrDfsSetInfo",
    "NetrDfsGetInfo", "NetrDfsEnum", "NetrDfsMove", "NetrDfsRename",
    "NetrDfsManagerGetConfigInfo", "NetrDfsManagerSendSiteInfo", "NetrDfsAddFtRoot",
    "NetrDfsRemoveFtRoot", "NetrDfsAddStdRoot", "NetrDfsRemoveStdRoot",
    "NetrDfsManagerInitialize", "NetrDfsAddStdRootForced", "NetrDfsGetDcAddress",
    "NetrDfsSetDcAddress", "NetrDfsFlushFtTable", "NetrDfsAdd2", "NetrDfsRemove2",
    "NetrDfsEnumEx", "NetrDfsSetInfo2", "NetrDfsAddRootTarget", "NetrDfsRemoveRootTarget",
    "NetrDfsGetSupportedNamespaceVersion"};
// [MS-DCOM] 3.1.2.5.2 (IRemoteSCMActivator: opnums 0-2 reserved for IUnknown).
const char* const kScmActivator[] = {nullptr, nullptr, nullptr, "RemoteGetClassObject",
                                     "RemoteCreateInstance"};
// [MS-DCOM] 3.1.2.5.2.3 IActivation.
const char* const kActivation[] = {"RemoteActivation"};
// [MS-DCOM] 3.1.2.5.1 IObjectExporter (the OXID resolver).
const char* const kObjectExporter[] = {"ResolveOxid", "SimplePing", "ComplexPing",
                                       "ServerAlive", "ResolveOxid2", "ServerAlive2"};
// [MS-DCOM] 3.1.1.5.6 IRemUnknown / IRemUnknown2 (opnums 0-2 are IUnknown, not on the wire).
const char* const kRemUnknown[] = {nullptr, nullptr, nullptr, "RemQueryInterface",
                                   "RemAddRef", "RemRelease"};
const char* const kRemUnknown2[] = {nullptr, nullptr, nullptr, "RemQueryInterface",
                                    "RemAddRef", "RemRelease", "RemQueryInterface2"};
// [MS-WMI] 3.1.4.1 IWbemLevel1Login, 3.1.4.3 IWbemServices.
const char* const kWbemLogin[] = {nullptr, nullptr, nullptr, "EstablishPosition",
                                  "RequestChallenge", "WBEMLogin", "NTLMLogin"};
const char* const kWbemServices[] = {
    nullptr, nullptr, nullptr, "OpenNamespace", "CancelAsyncCall", "QueryObjectSink",
    "GetObject", "GetObjectAsync", "PutClass", "PutClassAsync", "DeleteClass",
    "DeleteClassAsync", "CreateClassEnum", "CreateClassEnumAsync", "PutInstance",
    "PutInstanceAsync", "DeleteInstance", "DeleteInstanceAsync", "CreateInstanceEnum",
    "CreateInstanceEnumAsync", "ExecQuery", "ExecQueryAsync", "ExecNotificationQuery",
    "ExecNotificationQueryAsync", "ExecMethod", "ExecMethodAsync"};
// [MS-OAUT] 3.1.4 IDispatch (MMC20.Application / ShellWindows lateral movement call Invoke).
const char* const kDispatch[] = {nullptr, nullptr, nullptr, "GetTypeInfoCount",
                                 "GetTypeInfo", "GetIDsOfNames", "Invoke"};

struct Def {
    const char* uuid;
    uint16_t major, minor;
    const char* name;
    bool orpc;
    std::span<const char* const> ops;
};

const Def kDefs[] = {
    {uuids::kEpm, 3, 0, "epm", false, kEpm},
    {uuids::kMgmt, 1, 0, "mgmt", false, kMgmt},
    {uuids::kSamr, 1, 0, "samr", false, kSamr},
    {uuids::kLsarpc, 0, 0, "lsarpc", false, kLsarpc},
    {uuids::kDssetup, 0, 0, "dssetup", false, kDssetup},
    {uuids::kNetlogon, 1, 0, "netlogon", false, kNetlogon},
    {uuids::kSrvsvc, 3, 0, "srvsvc", false, kSrvsvc},
    {uuids::kWkssvc, 1, 0, "wkssvc", false, kWkssvc},
    {uuids::kWinreg, 1, 0, "winreg", false, kWinreg},
    {uuids::kSvcctl, 2, 0, "svcctl", false, kSvcctl},
    {uuids::kAtsvc, 1, 0, "atsvc", false, kAtsvc},
    {uuids::kSasec, 1, 0, "sasec", false, kSasec},
    {uuids::kTsch, 1, 0, "ITaskSchedulerService", false, kTsch},
    {uuids::kDrsuapi, 4, 0, "drsuapi", false, kDrsuapi},
    {uuids::kSpoolss, 1, 0, "spoolss", false, kSpoolss},
    {uuids::kWinspool, 1, 0, "IRemoteWinspool", false, kPar},
    {uuids::kEfsLsarpc, 1, 0, "efsrpc", false, kEfsr},
    {uuids::kEfsrpc, 1, 0, "efsrpc", false, kEfsr},
    {uuids::kEventlog, 0, 0, "eventlog", false, kEventlog},
    {uuids::kEven6, 1, 0, "IEventService", false, kEven6},
    {uuids::kNetdfs, 3, 0, "netdfs", false, kNetdfs},
    {uuids::kSysActivator, 0, 0, "ISystemActivator", true, kScmActivator},
    {uuids::kIActivation, 0, 0, "IActivation", true, kActivation},
    {uuids::kObjectExporter, 0, 0, "IObjectExporter", false, kObjectExporter},
    {uuids::kRemUnknown, 0, 0, "IRemUnknown", true, kRemUnknown},
    {uuids::kRemUnknown2, 0, 0, "IRemUnknown2", true, kRemUnknown2},
    {uuids::kWbemLogin, 0, 0, "IWbemLevel1Login", true, kWbemLogin},
    {uuids::kWbemServices, 0, 0, "IWbemServices", true, kWbemServices},
    {uuids::kDispatch, 0, 0, "IDispatch", true, kDispatch},
};

struct Clsid {
    const char* uuid;
    const char* name;
};
const Clsid kClsids[] = {
    {dcom_class::kWbemLevel1Login, "WbemLevel1Login"},        // WMI remoting entry
    {dcom_class::kMmc20Application, "MMC20.Application"},
    {dcom_class::kShellWindows, "ShellWindows"},
    {dcom_class::kShellBrowserWindow, "ShellBrowserWindow"},
    {dcom_class::kShellApplication, "Shell.Application"},
    {dcom_class::kExcelApplication, "Excel.Application"},
    {dcom_class::kOutlookApplication, "Outlook.Application"},
    {dcom_class::kInternetExplorer, "InternetExplorer.Application"},
    {dcom_class::kScheduleService, "Schedule.Service"},
    {dcom_class::kBitsManager, "BITS.BackgroundCopyManager"},
    {dcom_class::kWordApplication, "Word.Application"},
};

struct Tables {
    std::vector<InterfaceInfo> list;
    // Keyed by UUID only: a client binding another version of a known UUID still gets names.
    std::map<Uuid, size_t> by_uuid;
    std::map<Uuid, std::string_view> classes;
    Tables() {
        for (const Def& d : kDefs) {
            InterfaceInfo info;
            Uuid::parse(d.uuid, info.uuid);
            info.name = d.name;
            info.ver_major = d.major;
            info.ver_minor = d.minor;
            info.orpc = d.orpc;
            info.ops = d.ops;
            by_uuid.emplace(info.uuid, list.size());
            list.push_back(info);
        }
        for (const Clsid& c : kClsids) {
            Uuid u;
            Uuid::parse(c.uuid, u);
            classes.emplace(u, c.name);
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

}  // namespace

const InterfaceInfo* findInterface(const Uuid& uuid) {
    const Tables& t = tables();
    auto it = t.by_uuid.find(uuid);
    return it == t.by_uuid.end() ? nullptr : &t.list[it->second];
}

const InterfaceInfo* findInterfaceByName(std::string_view name) {
    for (const InterfaceInfo& i : tables().list)
        if (i.name == name) return &i;
    return nullptr;
}

std::string_view operationName(const InterfaceInfo* iface, uint16_t opnum) {
    if (!iface || opnum >= iface->ops.size() || !iface->ops[opnum]) return {};
    return iface->ops[opnum];
}

std::string_view operationName(const Uuid& uuid, uint16_t opnum) {
    return operationName(findInterface(uuid), opnum);
}

std::span<const InterfaceInfo> allInterfaces() { return tables().list; }

std::string_view className(const Uuid& clsid) {
    const Tables& t = tables();
    auto it = t.classes.find(clsid);
    return it == t.classes.end() ? std::string_view{} : it->second;
}

}  // namespace rpcmon::dcerpc
