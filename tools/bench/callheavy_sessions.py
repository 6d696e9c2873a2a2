# SPDX-License-Identifier: Apache-2.0
"""Many short DCE/RPC sessions against the lab's Samba AD DC, for the call-heavy benchmark
capture (tools/bench/make_callheavy_pcap.sh). Run with Debian's /usr/bin/python3 (impacket).

Usage: callheavy_sessions.py DOMAIN/USER:PASSWORD@HOST ROUNDS

One Python process opens the sessions, so the capture is dense in calls rather than in
interpreter start-ups. Each round, each on a fresh connection (TCP handshake, SMB negotiate and
NTLM session setup where it applies, bind, calls, close):
  epm     TCP 135: ept_map of samr (the endpoint mapper hands out the dynamic port)
  srvsvc  SMB pipe: NetrShareEnum level 1, NetrServerGetInfo level 102
  samr    SMB pipe: SamrConnect, SamrEnumerateDomainsInSamServer, SamrCloseHandle
  lsarpc  SMB pipe: LsarOpenPolicy2, LsarQueryInformationPolicy2 (primary domain), LsarClose
  tcp     samr over the port epm gave, NTLM packet integrity (signed, stubs readable):
          SamrConnect, SamrEnumerateDomainsInSamServer, SamrCloseHandle (Samba denies lsarpc
          over TCP to NTLM, whatever the protection level)
A failed session is counted and the next one runs; the totals go to stdout.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lab', 'attacks'))
import labrpc  # noqa: E402  (the lab's impacket helpers: target parsing, pipe/TCP handles)

from impacket.dcerpc.v5 import epm, lsad, samr, srvs, transport  # noqa: E402
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_INTEGRITY  # noqa: E402


def pipe_session(host, cred, pipe, iface, calls):
    dce = labrpc.smb_pipe(host, pipe, *cred)
    try:
        dce.bind(iface)
        calls(dce)
    finally:
        dce.disconnect()


def srvsvc_calls(dce):
    srvs.hNetrShareEnum(dce, 1)
    srvs.hNetrServerGetInfo(dce, 102)


def samr_calls(dce):
    h = samr.hSamrConnect(dce)['ServerHandle']
    samr.hSamrEnumerateDomainsInSamServer(dce, h)
    samr.hSamrCloseHandle(dce, h)


def lsa_calls(dce):
    h = lsad.hLsarOpenPolicy2(dce, lsad.POLICY_VIEW_LOCAL_INFORMATION)['PolicyHandle']
    lsad.hLsarQueryInformationPolicy2(dce, h, lsad.POLICY_INFORMATION_CLASS.PolicyPrimaryDomainInformation)
    lsad.hLsarClose(dce, h)


def tcp_samr_session(host, cred, port):
    domain, user, password = cred
    t = transport.DCERPCTransportFactory('ncacn_ip_tcp:%s[%d]' % (host, port))
    t.set_credentials(user, password, domain, '', '')
    t.set_connect_timeout(labrpc.TIMEOUT)
    dce = t.get_dce_rpc()
    dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    dce.connect()
    try:
        dce.bind(samr.MSRPC_UUID_SAMR)
        samr_calls(dce)
    finally:
        dce.disconnect()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    domain, user, password, host = labrpc.parse_target(sys.argv[1])
    rounds = int(sys.argv[2])
    cred = (domain, user, password)
    ok, failed = {}, {}
    for _ in range(rounds):
        port = None
        steps = [
            ('epm', lambda: epm.hept_map(host, samr.MSRPC_UUID_SAMR, protocol='ncacn_ip_tcp')),
            ('srvsvc', lambda: pipe_session(host, cred, 'srvsvc', srvs.MSRPC_UUID_SRVS, srvsvc_calls)),
            ('samr', lambda: pipe_session(host, cred, 'samr', samr.MSRPC_UUID_SAMR, samr_calls)),
            ('lsarpc', lambda: pipe_session(host, cred, 'lsarpc', lsad.MSRPC_UUID_LSAD, lsa_calls)),
        ]
        for name, fn in steps:
            try:
                r = fn()
                if name == 'epm':
                    port = int(r.rsplit('[', 1)[1].rstrip(']'))
                ok[name] = ok.get(name, 0) + 1
            except Exception as e:
                failed[name] = failed.get(name, 0) + 1
                if failed[name] == 1:
                    labrpc.log('SESSION %s failed: %s' % (name, labrpc.short(e)))
        if port is not None:
            try:
                tcp_samr_session(host, cred, port)
                ok['tcp'] = ok.get('tcp', 0) + 1
            except Exception as e:
                failed['tcp'] = failed.get('tcp', 0) + 1
                if failed['tcp'] == 1:
                    labrpc.log('SESSION tcp failed: %s' % labrpc.short(e))
    for name in ('epm', 'srvsvc', 'samr', 'lsarpc', 'tcp'):
        labrpc.log('SESSIONS %s ok %d failed %d' % (name, ok.get(name, 0), failed.get(name, 0)))


if __name__ == '__main__':
    main()
