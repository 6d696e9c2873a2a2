#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""DCOM remote activation (ATT&CK T1047 / T1021.003) for rpcmon lab captures, for servers whose
port 135 serves only the endpoint mapper (Samba: impacket's wmiexec.py/dcomexec.py stop at the
rejected bind): binds ISystemActivator (IRemoteSCMActivator, 000001a0-...) on TCP 135, and when
the bind is rejected sends RemoteCreateInstance (opnum 4) anyway, as wmiexec.py would
(CLSID WbemLevel1Login, IID IWbemLevel1Login), then once more for MMC20.Application
(dcomexec.py's default object) and RemoteGetClassObject (opnum 3). No DCE/RPC authentication.

Usage: dcom.py HOST
"""
import sys

from impacket.dcerpc.v5 import dcomrt
from impacket.dcerpc.v5.dcom import wmi
from impacket.uuid import string_to_bin, uuidtup_to_bin

import labrpc
from labrpc import log

CLSID_MMC20 = string_to_bin('49B2791A-B1AE-4C90-9B8E-E860BA07F889')
IID_IDispatch = uuidtup_to_bin(('00020400-0000-0000-C000-000000000046', '0.0'))
IID_IClassFactory = uuidtup_to_bin(('00000001-0000-0000-C000-000000000046', '0.0'))


def activate(host, what, fn):
    dce = labrpc.tcp(host, 135)
    scm = dcomrt.IRemoteSCMActivator(labrpc.Forcing(dce, 'ISystemActivator'))
    try:
        fn(scm)
        log('CALL ISystemActivator %s -> ok' % what)
    except Exception as e:
        log('CALL ISystemActivator %s -> %s' % (what, labrpc.short(e)))
    dce.disconnect()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    host = sys.argv[1]
    activate(host, '4 RemoteCreateInstance WbemLevel1Login',
             lambda s: s.RemoteCreateInstance(wmi.CLSID_WbemLevel1Login, wmi.IID_IWbemLevel1Login))
    activate(host, '4 RemoteCreateInstance MMC20.Application',
             lambda s: s.RemoteCreateInstance(CLSID_MMC20, IID_IDispatch))
    activate(host, '3 RemoteGetClassObject MMC20.Application',
             lambda s: s.RemoteGetClassObject(CLSID_MMC20, IID_IClassFactory))
    return 0


if __name__ == '__main__':
    sys.exit(main())
