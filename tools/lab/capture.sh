#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates rpcmon's golden lab captures: brings up a throw-away lab, starts real servers in
# its server namespace and real clients in its client namespace, and records the server veth
# with tcpdump. Each PCAP gets a NAME.txt beside it: the exact commands (with exit codes), the
# packet/call counts checked below, and a tshark summary.
#
# Usage:
#   tools/lab/capture.sh [-o DIR] [CAPTURE...]
#     -o DIR     output directory (default: tests/data/lab of this repo)
#     CAPTURE    any of: onc-rpcinfo onc-nfs3 onc-nfs4 dce-samba-pipes smb-encrypted dce-dc-epm
#                (default: all, in that order)
#
# Environment:
#   CAPTURE_N=N      lab subnet 10.203.N.0/24 (default 203, so addresses in the goldens are stable)
#   CAPTURE_LAB=NAME lab name (default capture; it is part of the NFS export path)
#   CAPTURE_KEEP=1   keep the scratch directory (raw pcaps, client output) for debugging
#   LAB_OFFLOAD      as in netns.sh (default off: MTU-sized frames with real checksums)
#
# Every capture is checked with tshark (e.g. that onc-nfs3 has NFSv3 calls); a capture without
# the expected calls makes the script fail. The lab is removed on exit, failed or not.
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=tools/lab/netns.sh
source "$HERE/netns.sh"

OUT=$REPO/tests/data/lab
if [[ "${1:-}" == -o ]]; then OUT=$(readlink -f "$2"); shift 2; fi
case "${1:-}" in -h|--help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
ALL=(onc-rpcinfo onc-nfs3 onc-nfs4 dce-samba-pipes smb-encrypted dce-dc-epm)
WANT=("$@")
((${#WANT[@]})) || WANT=("${ALL[@]}")
for w in "${WANT[@]}"; do
    [[ " ${ALL[*]} " == *" $w "* ]] || { echo "capture: unknown capture '$w'" >&2; exit 2; }
done

LAB=${CAPTURE_LAB:-capture}   # fixed: the NFS export path (under its state dir) is in the goldens
IMPACKET=/usr/share/doc/python3-impacket/examples
WORK=$(mktemp -d /tmp/rpcmon-capture.XXXXXX)
chmod 0755 "$WORK"
# Wireshark picks a TCP dissector by the lower port first: a root NFS client's privileged source
# port (e.g. 647, DHCP failover) then hides the RPC. Heuristics first finds RPC on any port.
TSHARK=(tshark -o tcp.try_heuristic_first:TRUE)
CMDLOG=""         # commands of the capture being made, for its .txt
TCPDUMP_PID=""

cleanup() {
    local rc=$?
    set +e
    [[ -n "$TCPDUMP_PID" ]] && lab_stop_pidfile "$LAB_STATE/capture/tcpdump.pid" 3
    lab_down "$LAB" >/dev/null 2>&1
    if [[ "${CAPTURE_KEEP:-0}" == 1 ]]; then echo "capture: kept $WORK" >&2; else rm -rf "$WORK"; fi
    ((rc == 0)) || echo "capture: FAILED (rc=$rc); lab $LAB removed" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"
lab_up "$LAB" "${CAPTURE_N:-203}" >/dev/null
mkdir -p "$LAB_STATE/capture"
SRV=$LAB_SRV_IP
echo "capture: lab $LAB up (cli $LAB_CLI_IP, srv $LAB_SRV_IP), output in $OUT"

# Quotes words for the .txt so they paste into a shell: bare when safe, else in single quotes.
quote() {
    local w out=""
    for w in "$@"; do
        if [[ "$w" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+="$w "; else out+="'${w//\'/\'\\\'\'}' "; fi
    done
    printf '%s' "$out"
}

# run [--user] CMD...: runs CMD in the client namespace (cwd: a scratch dir, for impacket's
# leftovers), logs it for the .txt. --user runs it as nobody (uid/gid 65534, no groups).
# A failing client is logged, not fatal: many calls are refused by design (Samba does not
# implement every Windows interface) and the request on the wire is what matters.
run() {
    local pre=() rc=0 shown
    if [[ "$1" == --user ]]; then
        pre=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        shift
    fi
    shown="$(quote "${pre[@]}" "$@")"
    (cd "$WORK/scratch" && timeout 60 ip netns exec "$LAB_CLI_NS" "${pre[@]}" "$@") \
        >>"$WORK/client.log" 2>&1 || rc=$?
    CMDLOG+="\$ ${shown% }    # exit $rc"$'\n'
    echo "  [$rc] ${shown% }"
}

# Starts tcpdump on the server veth (in the server namespace) and waits until it listens.
cap_begin() {
    local i
    CMDLOG=""
    rm -f "$LAB_STATE/capture/tcpdump.log"
    TCPDUMP_PID=$(lab_spawn "$LAB_SRV_NS" "$LAB_STATE/capture/tcpdump.pid" \
        "$LAB_STATE/capture/tcpdump.log" tcpdump -Z root --immediate-mode -i "$LAB_SRV_IF" -s 0 -U -n -w "$WORK/$1.pcap")
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$LAB_STATE/capture/tcpdump.log" 2>/dev/null && break
        sleep 0.05
    done
    ((i < 100)) || { echo "capture: tcpdump did not start" >&2; exit 1; }
    mkdir -p "$WORK/scratch"
    : >"$WORK/client.log"
}

# cap_end NAME CHECK_DESC FILTER [FILTER...]: stops tcpdump, checks each display FILTER matches
# at least one packet, writes NAME.pcap and NAME.txt into $OUT.
cap_end() {
    local name=$1 desc=$2 f n pcap=$WORK/$1.pcap txt counts="" bytes
    shift 2
    sleep 0.5   # let the last replies and FINs in
    lab_stop_pidfile "$LAB_STATE/capture/tcpdump.pid" 5
    TCPDUMP_PID=""
    for f in "$@"; do
        n=$("${TSHARK[@]}" -r "$pcap" -Y "$f" 2>/dev/null | wc -l)
        counts+="$(printf '%6d  %s' "$n" "$f")"$'\n'
        if ((n == 0)); then
            echo "capture: $name: no packet matches '$f'; client output:" >&2
            tail -30 "$WORK/client.log" >&2
            exit 1
        fi
    done
    bytes=$(stat -c %s "$pcap")
    cp "$pcap" "$OUT/$name.pcap"
    txt=$OUT/$name.txt
    {
        echo "# $name.pcap — generated by tools/lab/capture.sh $name (do not edit by hand)"
        echo "#"
        echo "# $desc"
        echo "#"
        echo "# Topology: client $LAB_CLI_IP / $LAB_CLI_IP6 (namespace *-cli), server $LAB_SRV_IP /"
        echo "# $LAB_SRV_IP6 (namespace *-srv); tcpdump -i <server veth> -s 0 -U --immediate-mode -w, offloads" \
             "$LAB_OFFLOAD."
        echo "# Size: $bytes bytes, $("${TSHARK[@]}" -r "$pcap" 2>/dev/null | wc -l) packets."
        echo
        echo "## Client commands (run in the client namespace, in this order; SRV=$SRV)"
        printf '%s' "$CMDLOG"
        echo
        echo "## Checks (packets matching each display filter of"
        echo "## tshark -o tcp.try_heuristic_first:TRUE -r $name.pcap -Y FILTER; all must be > 0)"
        printf '%s' "$counts"
        echo
        echo "## Calls per program/interface"
        cap_calls "$pcap"
        echo
        echo "## tshark -o tcp.try_heuristic_first:TRUE -r $name.pcap -Y 'rpc || dcerpc || smb2' | head -50"
        "${TSHARK[@]}" -r "$pcap" -Y 'rpc || dcerpc || smb2' 2>/dev/null | sed -n 1,50p | sed 's/[[:space:]]*$//'
    } >"$txt"
    echo "capture: wrote $name.pcap ($bytes bytes)"
    printf '%s' "$counts" | sed 's/^/    /'
}

# Prints call counts: ONC RPC calls by program/version/procedure, DCE/RPC requests by interface
# context and opnum (as tshark names them).
cap_calls() {
    local pcap=$1
    "${TSHARK[@]}" -r "$pcap" -Y 'rpc.msgtyp == 0' -T fields -E occurrence=f -e rpc.program -e rpc.programversion \
        -e rpc.procedure 2>/dev/null | sort | uniq -c | sed 's/^/  onc  prog\/vers\/proc: /'
    "${TSHARK[@]}" -r "$pcap" -Y 'dcerpc.pkt_type == 0' -T fields -E occurrence=f -e _ws.col.Protocol -e dcerpc.opnum \
        2>/dev/null | sort | uniq -c | sed 's/^/  dce  proto\/opnum: /'
    return 0
}

# --- the captures ---------------------------------------------------------------------------

onc_up=0
onc_ensure() {
    ((onc_up)) && return 0
    "$HERE/onc_server.sh" start "$LAB" | sed -n 1p
    lab_env "$LAB"
    # shellcheck disable=SC1091
    source "$LAB_STATE/onc.env"
    printf 'uploaded by the rpcmon lab capture\n' >"$WORK/upload.txt"
    chmod 0644 "$WORK/upload.txt"
    onc_up=1
}
onc_down() {
    ((onc_up)) || return 0
    "$HERE/onc_server.sh" stop "$LAB" >/dev/null
    onc_up=0
}

cap_onc_rpcinfo() {
    onc_ensure
    cap_begin onc-rpcinfo
    run rpcinfo -p "$SRV"
    run rpcinfo -T tcp "$SRV" 100003 3
    run rpcinfo -u "$SRV" 100005 3
    run rpcinfo -s "$LAB_SRV_IP6"
    run rpcinfo -T udp6 "$LAB_SRV_IP6" 100000 4
    cap_end onc-rpcinfo "rpcbind dump (portmapper v2 DUMP over TCP), NULL calls to NFSv3 over TCP and MOUNTv3 over UDP, then over IPv6: rpcbind v4 DUMP over TCP (rpcinfo -s) and an rpcbind v4 NULL over UDP; against rpcbind + nfs-ganesha." \
        'rpc.msgtyp == 0 && ipv6 && tcp' \
        'rpc.msgtyp == 0 && ipv6 && udp' \
        'rpc.msgtyp == 0 && rpc.program == 100000' \
        'rpc.msgtyp == 0 && rpc.program == 100003 && tcp' \
        'rpc.msgtyp == 0 && rpc.program == 100005 && udp' \
        'rpc.msgtyp == 1'
}

# nfs_session VERSION BASE: the same client session for v3 and v4, first as nobody, then root.
nfs_session() {
    local v=$1 base=$2 root="&uid=0&gid=0"
    run --user nfs-ls "$base/?version=$v"
    run --user nfs-ls "$base/subdir?version=$v"
    run --user nfs-cat "$base/hello.txt?version=$v"
    run --user nfs-cat "$base/secret.txt?version=$v"
    run --user nfs-cp "$WORK/upload.txt" "$base/pub/v$v-user.txt?version=$v"
    run nfs-ls "$base/?version=$v$root"
    run nfs-cat "$base/secret.txt?version=$v$root"
    run nfs-cat "$base/.ssh/id_rsa?version=$v$root"
    run nfs-cp "$WORK/upload.txt" "$base/pub/v$v-root.txt?version=$v$root"
}

cap_onc_nfs3() {
    onc_ensure
    cap_begin onc-nfs3
    nfs_session 3 "nfs://$SRV$LAB_NFS_EXPORT"
    cap_end onc-nfs3 "NFSv3 with MOUNTv3 (libnfs-utils: nfs-ls, nfs-cat, nfs-cp; no rename/remove tool exists in libnfs-utils) against nfs-ganesha; export path $LAB_NFS_EXPORT. First as uid/gid 65534 (AUTH_SYS 65534, unprivileged source ports), then as root with uid=0&gid=0 (privileged source ports)." \
        'rpc.msgtyp == 0 && rpc.program == 100003 && rpc.programversion == 3' \
        'rpc.msgtyp == 0 && rpc.program == 100005' \
        'rpc.msgtyp == 1 && rpc.program == 100003' \
        'nfs.procedure_v3 == 7' \
        'rpc.auth.uid == 65534' \
        'rpc.auth.uid == 0'
}

cap_onc_nfs4() {
    onc_ensure
    cap_begin onc-nfs4
    nfs_session 4 "nfs://$SRV$LAB_NFS_PSEUDO"
    cap_end onc-nfs4 "NFSv4 COMPOUNDs (libnfs-utils: nfs-ls, nfs-cat, nfs-cp; no rename/remove tool exists in libnfs-utils) against nfs-ganesha; pseudo path $LAB_NFS_PSEUDO. First as uid/gid 65534, then as root with uid=0&gid=0." \
        'rpc.msgtyp == 0 && rpc.program == 100003 && rpc.programversion == 4' \
        'rpc.msgtyp == 1 && rpc.program == 100003' \
        'nfs.opcode == 38' \
        'nfs.opcode == 25' \
        'rpc.auth.uid == 65534' \
        'rpc.auth.uid == 0'
}

smb_mode=""
smb_ensure() {   # smb_ensure off|if_required
    [[ "$smb_mode" == "$1" ]] && return 0
    smb_down
    SMB_ENCRYPT=$1 "$HERE/smb_server.sh" start "$LAB" 2>/dev/null
    # shellcheck disable=SC1091
    source "$LAB_STATE/smb.env"
    smb_mode=$1
}
smb_down() {
    [[ -n "$smb_mode" ]] || return 0
    "$HERE/smb_server.sh" stop "$LAB" >/dev/null
    smb_mode=""
}

cap_dce_samba_pipes() {
    onc_down
    smb_ensure off
    cap_begin dce-samba-pipes
    run rpcclient -U "$LAB_SMB_USER%$LAB_SMB_PASS" "$SRV" \
        -c 'srvinfo;netshareenumall;enumdomusers;lsaquery'
    run smbclient -L "$SRV" -U "$LAB_SMB_USER%$LAB_SMB_PASS"
    cap_end dce-samba-pipes "DCE/RPC over SMB2 named pipes (srvsvc, samr, lsarpc) against a standalone smbd with 'server smb encrypt = off'; user $LAB_SMB_USER, share $LAB_SMB_SHARE." \
        'smb2' \
        'dcerpc.pkt_type == 11' \
        'dcerpc.pkt_type == 0 && srvsvc' \
        'dcerpc.pkt_type == 0 && samr' \
        'dcerpc.pkt_type == 0 && lsarpc' \
        'dcerpc.pkt_type == 2'
}

cap_smb_encrypted() {
    onc_down
    smb_ensure if_required
    cap_begin smb-encrypted
    run smbclient --option='client smb encrypt=required' "//$SRV/$LAB_SMB_SHARE" \
        -U "$LAB_SMB_USER%$LAB_SMB_PASS" -c 'ls;get readme.txt /dev/null'
    run smbclient --option='client smb encrypt=required' -L "$SRV" \
        -U "$LAB_SMB_USER%$LAB_SMB_PASS"
    cap_end smb-encrypted "SMB3 with encryption required by the client against smbd with 'server smb encrypt = if_required': after NEGOTIATE/SESSION_SETUP everything, DCE/RPC on IPC\$ included, is inside SMB2 TRANSFORM headers (no cleartext dcerpc)." \
        'smb2.cmd == 0' \
        'smb2.header.transform.flags.encrypted == 1'
}

dc_up=0
cap_dce_dc_epm() {
    local cred
    onc_down
    smb_down
    if ((!dc_up)); then
        "$HERE/dc_server.sh" start "$LAB"
        dc_up=1
    fi
    # shellcheck disable=SC1091
    source "$LAB_STATE/dc.env"
    cred="$LAB_DC_DOMAIN/$LAB_DC_ADMIN:$LAB_DC_PASS@$SRV"
    cap_begin dce-dc-epm
    run rpcclient -U "$LAB_DC_ADMIN%$LAB_DC_PASS" "ncacn_ip_tcp:${SRV}[135]" -c 'epmmap;epmlookup'
    run rpcclient -U "$LAB_DC_ADMIN%$LAB_DC_PASS" "ncacn_ip_tcp:$SRV" -c 'enumdomusers;lsaquery'
    run /usr/bin/python3 "$IMPACKET/rpcdump.py" -port 135 "$cred"
    run /usr/bin/python3 "$IMPACKET/samrdump.py" "$cred"
    run /usr/bin/python3 "$IMPACKET/lookupsid.py" "$cred" 505
    # "DOMAIN/krbtgt", not "krbtgt": Samba cannot crack the bare name, and impacket then stops
    # before DsGetNCChanges (the DCSync call a monitor most wants to see).
    run /usr/bin/python3 "$IMPACKET/secretsdump.py" -just-dc-user "$LAB_DC_DOMAIN/krbtgt" "$cred"
    cap_end dce-dc-epm "Samba AD DC ($LAB_DC_REALM): endpoint mapper on TCP 135 (rpcclient epmmap/epmlookup, impacket rpcdump), SAMR/LSA over the dynamic TCP port the EPM hands out (rpcclient ncacn_ip_tcp), SAMR/LSA over SMB2 pipes (impacket samrdump, lookupsid up to RID 505), DRSUAPI over the dynamic port (impacket secretsdump -just-dc-user LAB/krbtgt: DsBind, DsGetDomainControllerInfo, DsCrackNames and the DCSync call DsGetNCChanges are on the wire; Samba answers DsGetNCChanges with an error that impacket 0.10 reports as 'ERROR_SUCCESS', so no hash is dumped)." \
        'dcerpc.pkt_type == 0 && tcp.port == 135' \
        'dcerpc.pkt_type == 0 && epm' \
        'dcerpc.pkt_type == 0 && tcp.dstport >= 49152' \
        'dcerpc.pkt_type == 0 && samr' \
        'dcerpc.pkt_type == 0 && lsarpc' \
        'dcerpc.pkt_type == 0 && drsuapi' \
        'drsuapi.opnum == 3' \
        'dcerpc.pkt_type == 0 && smb2'
}

for w in "${WANT[@]}"; do
    echo "capture: $w"
    "cap_${w//-/_}"
done
onc_down
smb_down
echo "capture: done; lab $LAB will be removed"
