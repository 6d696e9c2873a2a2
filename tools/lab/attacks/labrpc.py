# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for the rpcmon lab attack scripts (tools/lab/attacks/*.py).

Only for the lab: targets are lab namespace addresses. Many interfaces are not implemented by
Samba; where the server rejects the bind ("abstract syntax not supported"), force_call() still
sends the request on the rejected presentation context, so the interface UUID (bind) and the
opnum (request) a real attack puts on the wire are both in the capture. The server answers such
a request with a fault (nca_s_unk_if / context mismatch).

Every call prints one line "CALL <iface> <opnum> <name> -> <outcome>" so the lab's .txt reports
can list what each script sent.
"""
import sys

from impacket.dcerpc.v5 import epm, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import bin_to_uuidtup, uuidtup_to_bin

# Seconds to wait for an answer: Samba may stay silent after a request on a rejected context.
TIMEOUT = 4


def parse_target(s):
    """DOMAIN/USER:PASSWORD@HOST (domain and password optional) -> (domain, user, pw, host)."""
    cred, _, host = s.rpartition('@')
    if not host:
        raise SystemExit('target must be [DOMAIN/]USER[:PASSWORD]@HOST, got %r' % s)
    domain, user, password = '', cred, ''
    if '/' in cred:
        domain, user = cred.split('/', 1)
    if ':' in user:
        user, password = user.split(':', 1)
    return domain, user, password, host


def log(msg):
    print(msg, flush=True)


def smb_pipe(host, pipe, domain='', user='', password=''):
    """A connected (not bound) DCE/RPC handle on SMB named pipe \\pipe\\PIPE of HOST."""
    t = transport.DCERPCTransportFactory(r'ncacn_np:%s[\pipe\%s]' % (host, pipe))
    t.set_credentials(user, password, domain, '', '')
    t.set_connect_timeout(TIMEOUT)
    dce = t.get_dce_rpc()
    dce.connect()
    return dce


def try_pipe(host, pipe, domain='', user='', password=''):
    """smb_pipe(), or None (logged) when the SMB session or the pipe open fails."""
    try:
        dce = smb_pipe(host, pipe, domain, user, password)
        log('OPEN \\pipe\\%s -> ok' % pipe)
        return dce
    except Exception as e:
        log('OPEN \\pipe\\%s -> %s' % (pipe, short(e)))
        return None


def tcp(host, port):
    """A connected (not bound) DCE/RPC handle on ncacn_ip_tcp HOST[PORT] (no DCE auth)."""
    t = transport.DCERPCTransportFactory('ncacn_ip_tcp:%s[%d]' % (host, port))
    t.set_connect_timeout(TIMEOUT)
    dce = t.get_dce_rpc()
    dce.connect()
    return dce


def epm_port(host, uuid_tup):
    """Asks the endpoint mapper on HOST:135 for UUID_TUP's TCP port; None when not registered
    (the EPM Map request is on the wire either way)."""
    try:
        binding = epm.hept_map(host, uuidtup_to_bin(uuid_tup), protocol='ncacn_ip_tcp')
    except Exception as e:  # ept_s_not_registered and friends
        log('EPM map %s v%s -> %s' % (uuid_tup[0], uuid_tup[1], short(e)))
        return None
    port = int(binding.rsplit('[', 1)[1].rstrip(']'))
    log('EPM map %s v%s -> port %d' % (uuid_tup[0], uuid_tup[1], port))
    return port


def short(e):
    s = str(e).strip().splitlines()
    return (s[0] if s else type(e).__name__)[:160]


def bind(dce, uuid_tup, name):
    """Binds; returns True when the server accepted the context, False when it rejected it.
    UUID_TUP is ('uuid', 'major.minor') or impacket's binary form."""
    if isinstance(uuid_tup, bytes):
        uuid_tup = bin_to_uuidtup(uuid_tup)
    try:
        dce.bind(uuidtup_to_bin(uuid_tup))
        log('BIND %s %s v%s -> accepted' % (name, uuid_tup[0], uuid_tup[1]))
        return True
    except DCERPCException as e:
        log('BIND %s %s v%s -> rejected: %s' % (name, uuid_tup[0], uuid_tup[1], short(e)))
        # impacket learns the fragment size from an accepted bind only; without it a later
        # request is never written. Use Samba's (and Windows') usual 4280.
        dce._DCERPC_v5__max_xmit_size = 4280
        return False


class Forcing:
    """Wraps a DCE/RPC handle so that impacket helpers that bind themselves (e.g. dcomrt's
    IRemoteSCMActivator.RemoteCreateInstance) go on to send their request after a rejection."""

    def __init__(self, dce, name):
        self._dce, self._name = dce, name

    def bind(self, iface_uuid, *args, **kw):
        return bind(self._dce, iface_uuid, self._name)

    def __getattr__(self, attr):
        return getattr(self._dce, attr)


def call(dce, iface, request, name=None):
    """Sends REQUEST (an impacket NDRCALL) on the current context, bound or not, and reads the
    answer. Never raises for a server-side error: returns the response or None."""
    name = name or type(request).__name__
    try:
        resp = dce.request(request)
        log('CALL %s %d %s -> ok' % (iface, request.opnum, name))
        return resp
    except Exception as e:
        log('CALL %s %d %s -> %s' % (iface, request.opnum, name, short(e)))
        return None


def run_steps(steps):
    """Runs (description, fn) pairs; a failing step is logged and the next one runs. Exit code:
    0 when every step ran to its end (server-side refusals included), 1 when one raised."""
    rc = 0
    for desc, fn in steps:
        try:
            fn()
        except Exception as e:
            log('STEP %s failed: %s' % (desc, short(e)))
            rc = 1
    return rc


if __name__ == '__main__':
    sys.exit('library only')
