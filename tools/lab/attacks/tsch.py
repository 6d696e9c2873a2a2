#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Scheduled-task creation requests (ATT&CK T1053.005) for rpcmon lab captures, for servers
without a task scheduler (Samba has no \\pipe\\atsvc, so impacket's atexec.py stops at the SMB2
CREATE): the same calls are sent over ncacn_ip_tcp to a DCE/RPC port the server does listen on.

  1. EPM Map for ITaskSchedulerService (86d35949-...) and ATSvc (1ff70682-...): not registered;
  2. on a TCP port the EPM hands out for LSARPC: bind ITaskSchedulerService (rejected), then
     SchRpcRegisterTask (opnum 1) with a task running cmd.exe, as atexec.py sends it;
  3. on a new connection: bind ATSvc (rejected), then NetrJobAdd (opnum 0), the old "at" call.
Requests on a rejected context are answered with a fault (nca_s_unk_if); both requests are on
the wire with the interface UUID in the bind.

Usage: tsch.py HOST
"""
import sys

from impacket.dcerpc.v5 import atsvc, tsch
from impacket.dcerpc.v5.dtypes import NULL

import labrpc
from labrpc import log

TSCH = ('86d35949-83c9-4044-b424-db363231fd0c', '1.0')
ATSVC = ('1ff70682-0a51-30e8-076d-740be8cee98b', '1.0')
LSARPC = ('12345778-1234-abcd-ef00-0123456789ab', '0.0')

TASK_XML = '''<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Triggers><CalendarTrigger><StartBoundary>2015-07-15T20:35:13.2757294</StartBoundary>
    <Enabled>true</Enabled><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>
  </CalendarTrigger></Triggers>
  <Principals><Principal id="LocalSystem"><UserId>S-1-5-18</UserId>
    <RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings><Enabled>true</Enabled><Hidden>true</Hidden></Settings>
  <Actions Context="LocalSystem"><Exec><Command>cmd.exe</Command>
    <Arguments>/C whoami &gt; %windir%\\Temp\\labtask.tmp 2&gt;&amp;1</Arguments></Exec></Actions>
</Task>
'''


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    host = sys.argv[1]
    labrpc.epm_port(host, TSCH)
    labrpc.epm_port(host, ATSVC)
    port = labrpc.epm_port(host, LSARPC)
    if port is None:
        return 1

    dce = labrpc.tcp(host, port)
    labrpc.bind(dce, TSCH, 'TSCH')
    try:
        tsch.hSchRpcRegisterTask(dce, '\\LabTask\x00', TASK_XML + '\x00', tsch.TASK_CREATE, NULL,
                                 tsch.TASK_LOGON_NONE)
        log('CALL TSCH 1 SchRpcRegisterTask -> ok')
    except Exception as e:
        log('CALL TSCH 1 SchRpcRegisterTask -> %s' % labrpc.short(e))
    dce.disconnect()

    dce = labrpc.tcp(host, port)
    labrpc.bind(dce, ATSVC, 'ATSVC')
    info = atsvc.AT_INFO()
    info['JobTime'] = 0
    info['DaysOfMonth'] = 0
    info['DaysOfWeek'] = 0
    info['Flags'] = 0
    info['Command'] = 'cmd.exe /c whoami\x00'
    try:
        atsvc.hNetrJobAdd(dce, NULL, info)
        log('CALL ATSVC 0 NetrJobAdd -> ok')
    except Exception as e:
        log('CALL ATSVC 0 NetrJobAdd -> %s' % labrpc.short(e))
    dce.disconnect()
    return 0


if __name__ == '__main__':
    sys.exit(main())
