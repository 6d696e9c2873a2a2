#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Samba Active Directory domain controller for the rpcmon lab (endpoint mapper on TCP 135,
# dynamic RPC ports from 49152 for drsuapi/samr/lsarpc/netlogon, SMB on 445, LDAP, Kerberos,
# internal DNS), in lab NAME's server namespace with its private /run. Needs the Debian packages
# samba-ad-dc and winbind (install with --no-install-recommends).
#
# Usage:
#   tools/lab/dc_server.sh start NAME   provision (first time, ~7-15 s) and start samba (~5 s)
#   tools/lab/dc_server.sh stop NAME    stop it (idempotent); the provisioned domain is kept in
#                                       $LAB_STATE/dc until the lab goes down
#
# Environment:
#   DC_REALM (default LAB.TEST), DC_DOMAIN (LAB), DC_ADMIN_PASS (default Lab-Admin-Pw1!)
#   DC_SMB_ENCRYPT (default off: `server smb encrypt`; required hides pipes from the wire)
#
# After start, $LAB_STATE/dc.env exports LAB_DC_REALM, LAB_DC_DOMAIN, LAB_DC_ADMIN (=
# Administrator), LAB_DC_PASS, LAB_DC_CONF (the smb.conf, for samba-tool -s).
set -euo pipefail

HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=tools/lab/netns.sh
source "$HERE/netns.sh"

DC_REALM=${DC_REALM:-LAB.TEST}
DC_DOMAIN=${DC_DOMAIN:-LAB}
DC_ADMIN_PASS=${DC_ADMIN_PASS:-Lab-Admin-Pw1!}

usage() { sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# PIDs of the DC's processes (samba and its forks, rpcd_*/winbindd helpers) in our namespace.
pids_of_dc() {
    local pid exe
    for pid in $(ip netns pids "$LAB_SRV_NS" 2>/dev/null); do
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        case "$exe" in
            */samba|*/smbd|*/winbindd|*/samba-dcerpcd|*/rpcd_*) echo "$pid" ;;
        esac
    done
}

dc_stop() {
    local d=$LAB_STATE/dc i pid
    lab_stop_pidfile "$d/samba.pid" 15
    for ((i = 0; i < 50; i++)); do
        [[ -z "$(pids_of_dc)" ]] && break
        sleep 0.1
    done
    for pid in $(pids_of_dc); do kill -KILL "$pid" 2>/dev/null || true; done
    rm -f "$LAB_STATE/dc.env"
    return 0
}

dc_provision() {
    local d=$1 t0=$SECONDS
    rm -rf "$d/prov"
    mkdir -p "$d/prov"
    : >"$d/empty.conf"   # else samba-tool starts from the host's smb.conf
    lab_private_run "$LAB_SRV_NS" samba-tool domain provision \
        --configfile="$d/empty.conf" --targetdir="$d/prov" \
        --realm="$DC_REALM" --domain="$DC_DOMAIN" --server-role=dc \
        --adminpass="$DC_ADMIN_PASS" --dns-backend=SAMBA_INTERNAL --use-rfc2307 \
        --host-name=labdc --host-ip="$LAB_SRV_IP" \
        --option="interfaces=$LAB_SRV_IP/24" --option="bind interfaces only=yes" \
        --option="netbios name=LABDC" --option="disable netbios=yes" \
        >"$d/provision.log" 2>&1 ||
        { echo "dc_server: provision failed:" >&2; tail -20 "$d/provision.log" >&2; return 1; }
    # The forwarder copied from the host's resolv.conf points outside the lab: drop it. Keep
    # SMB unencrypted so DCE/RPC over named pipes stays visible to the monitor.
    sed -i '/dns forwarder/d' "$d/prov/etc/smb.conf"
    sed -i '/^\[global\]/a\	server smb encrypt = '"${DC_SMB_ENCRYPT:-off}"'\n\tlog file = '"$d"'/log/log.%m\n\tlog level = 1\n\tmax log size = 1000' \
        "$d/prov/etc/smb.conf"
    echo "$((SECONDS - t0))" >"$d/provision.seconds"
}

dc_start() {
    local d=$LAB_STATE/dc i conf t0 t_start ok
    [[ ! -f "$d/samba.pid" ]] || { echo "dc_server: already started in $LAB_NAME" >&2; exit 1; }
    mkdir -p "$d/log"
    chmod 0755 "$LAB_STATE" "$d"
    trap 'rc=$?; ((rc == 0)) || { echo "dc_server: start failed (rc=$rc), logs in '"$d"'" >&2;
          dc_stop; }' EXIT
    t0=$SECONDS
    [[ -f "$d/provision.seconds" ]] || dc_provision "$d"   # written only on success
    conf=$d/prov/etc/smb.conf
    t_start=$SECONDS
    # -F: foreground, so the recorded PID is samba's own; --no-process-group keeps it in the
    # session lab_spawn made.
    lab_spawn "$LAB_SRV_NS" "$d/samba.pid" "$d/log/samba.stdout" \
        samba -F --no-process-group -s "$conf" >/dev/null
    ok=0
    for ((i = 0; i < 300; i++)); do
        if lab_exec "$LAB_CLI_NS" bash -c "exec 3<>/dev/tcp/$LAB_SRV_IP/135" 2>/dev/null &&
            lab_exec "$LAB_CLI_NS" bash -c "exec 3<>/dev/tcp/$LAB_SRV_IP/445" 2>/dev/null; then
            ok=1
            break
        fi
        _lab_alive "$(cat "$d/samba.pid")" || break
        sleep 0.1
    done
    ((ok)) || { echo "dc_server: samba is not answering on 135/445" >&2;
                tail -20 "$d/log/samba.stdout" >&2; exit 1; }
    cat >"$LAB_STATE/dc.env" <<EOF
export LAB_DC_REALM=$DC_REALM
export LAB_DC_DOMAIN=$DC_DOMAIN
export LAB_DC_ADMIN=Administrator
export LAB_DC_PASS='$DC_ADMIN_PASS'
export LAB_DC_CONF=$conf
EOF
    trap - EXIT
    echo "dc_server: AD DC $DC_REALM up on $LAB_SRV_IP in $LAB_SRV_NS (provision" \
        "$(cat "$d/provision.seconds")s, start $((SECONDS - t_start))s, total $((SECONDS - t0))s)"
}

[[ $# -eq 2 ]] || usage
lab_env "$2"
case "$1" in
    start) dc_start ;;
    stop) dc_stop; echo "dc_server: stopped in $LAB_NAME" ;;
    *) usage ;;
esac
