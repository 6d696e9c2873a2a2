#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# rpcmon test lab: two network namespaces joined by a veth pair, each with a private mount
# namespace (own tmpfs /run, /var/lib/nfs, /var/log/samba) so rpcbind, nfs-ganesha and Samba
# in one lab never share sockets or state with the host or with another lab.
#
# Usage as a CLI:
#   tools/lab/netns.sh up NAME [N]        create lab NAME (subnet 10.203.N.0/24); prints exports
#   tools/lab/netns.sh down NAME          remove the lab, its daemons and its state (idempotent)
#   tools/lab/netns.sh env NAME           print the lab's export lines  (eval "$(... env NAME)")
#   tools/lab/netns.sh run NS CMD...      run CMD in namespace NS with the lab's private /run
#   tools/lab/netns.sh exec NS CMD...     run CMD in network namespace NS only (host /run)
#   tools/lab/netns.sh list               list labs that have state on this host
# Usage as a library:
#   source tools/lab/netns.sh
#   lab_up NAME [N]; lab_private_run "$LAB_SRV_NS" rpcbind -f & ...; lab_down NAME
#
# Environment:
#   LAB_N=N            subnet number 1..254 when not given as argument (default: lowest free)
#   LAB_OFFLOAD=off|on veth offloads (default off: tso/gso/gro/tx-checksum off, MTU-sized frames
#                      with real checksums as on a wire; "on" keeps the kernel's GRO/TSO defaults)
#   LAB_STATE_BASE     where lab state lives (default /tmp/rpcmon-lab). Not under /run: daemons
#                      inside the lab see a private /run, and must still reach PID files here.
#
# Layout: namespaces ${NAME}-cli and ${NAME}-srv; veths ${NAME:0:12}-c / ${NAME:0:12}-s;
# IPv4 10.203.N.1 (cli) / 10.203.N.2 (srv); IPv6 fd00:203:N::1 / ::2 (nodad).
#
# How the private mount namespace is kept alive: lab_up starts, per namespace, a "holder"
# process `ip netns exec NS unshare -m -u --propagation private sh -c 'mount tmpfs...; exec
# sleep infinity'`. Its PID is in $LAB_STATE/{cli,srv}.holder.pid. Every later command enters it
# with `nsenter -t PID -m -u -n`, so daemons started at different times share one private /run
# (rpcbind.sock, /run/samba) and one hostname. lab_down kills every PID file's process, then
# every process still in the lab's network namespaces, then deletes the namespaces.

# Strict mode for the CLI; a script that sources this file sets its own (STYLE: set -euo pipefail).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi

LAB_STATE_BASE=${LAB_STATE_BASE:-/tmp/rpcmon-lab}
LAB_NETNS_SH=$(readlink -f "${BASH_SOURCE[0]}")

_lab_die() { echo "netns.sh: $*" >&2; return 1; }

# Validates NAME: it becomes part of namespace, interface and file names.
_lab_check_name() {
    [[ "${1:-}" =~ ^[a-z0-9][a-z0-9_]{0,23}$ ]] ||
        _lab_die "bad lab name '${1:-}' (use [a-z0-9_], at most 24 characters, no '-')"
}

# lab_state_dir NAME: prints the lab's state directory (exists only while the lab is up).
lab_state_dir() { echo "$LAB_STATE_BASE/$1"; }

# lab_name_of_ns NS: prints the lab name of a lab namespace (NAME-cli / NAME-srv).
lab_name_of_ns() {
    case "$1" in
        *-cli|*-srv) echo "${1%-*}" ;;
        *) _lab_die "'$1' is not a lab namespace (NAME-cli or NAME-srv)" ;;
    esac
}

# lab_holder_pid NS: prints the PID whose mount/UTS/net namespaces make up NS's private view.
lab_holder_pid() {
    local name side pid
    name=$(lab_name_of_ns "$1") || return 1
    side=${1##*-}
    pid=$(cat "$(lab_state_dir "$name")/$side.holder.pid" 2>/dev/null) ||
        _lab_die "lab '$name' is not up (no holder for $1)" || return 1
    _lab_alive "$pid" || _lab_die "holder $pid of $1 is gone" || return 1
    echo "$pid"
}

# lab_private_run NS CMD...: runs CMD in network namespace NS and the lab's private mount/UTS
# namespace. nsenter execs CMD (no fork), so `lab_private_run NS cmd & echo $!` is CMD's PID.
lab_private_run() {
    local ns=$1 pid
    shift
    pid=$(lab_holder_pid "$ns") || return 1
    nsenter -t "$pid" -m -u -n --wd="$PWD" -- "$@"
}

# lab_exec NS CMD...: runs CMD in network namespace NS only (shares the host's file system view).
lab_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Starts CMD in the background in its own session and prints its PID once PIDFILE holds it.
# The PID is written by the process itself just before it execs CMD, so it is right whether or
# not setsid had to fork (it does when the caller has job control).
_lab_bg() {
    local pidfile=$1 log=$2 i
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016  # $$ and $0 are for the inner bash
    setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
        </dev/null >"$log" 2>&1 &
    for ((i = 0; i < 100; i++)); do
        [[ -s "$pidfile" ]] && { cat "$pidfile"; return 0; }
        sleep 0.02
    done
    _lab_die "could not start $1"
}

# lab_spawn NS PIDFILE LOGFILE CMD...: starts CMD in the background in NS (private view), writes
# its PID to PIDFILE (put it under the lab state dir so lab_down stops it) and its output to
# LOGFILE; prints the PID.
lab_spawn() {
    local ns=$1 pidfile=$2 log=$3 pid
    shift 3
    pid=$(lab_holder_pid "$ns") || return 1
    _lab_bg "$pidfile" "$log" nsenter -t "$pid" -m -u -n --wd="$PWD" -- "$@"
}

# True while PID runs (a zombie waiting for a busy init to reap it counts as gone).
_lab_alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ "$st" != Z* ]]
}

# True when PID's network namespace is one of lab NAME's: guards against a stale PID file whose
# number now belongs to some other process on the host.
_lab_pid_in_lab() {
    local pid=$1 name=$2 mine ns
    mine=$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) || return 1
    for ns in "$name-cli" "$name-srv"; do
        [[ -e "/run/netns/$ns" && "$(stat -L -c %i "/run/netns/$ns")" == "$mine" ]] && return 0
    done
    return 1
}

# lab_stop_pidfile PIDFILE [TIMEOUT_S]: TERM, then KILL after TIMEOUT_S (default 5), the process
# named in PIDFILE, then removes the file. Quiet and successful when it is already gone. A PID
# file under a lab's state dir is only acted on if its process lives in that lab's namespaces.
lab_stop_pidfile() {
    local f=$1 t=${2:-5} pid i name
    [[ -f "$f" ]] || return 0
    pid=$(tr -dc 0-9 <"$f" 2>/dev/null || true)
    if [[ -n "$pid" ]] && _lab_alive "$pid"; then
        if [[ "$f" == "$LAB_STATE_BASE"/* ]]; then
            name=${f#"$LAB_STATE_BASE"/}
            name=${name%%/*}
            if ! _lab_pid_in_lab "$pid" "$name"; then
                echo "netns.sh: $f: PID $pid is not in lab $name, not killing it" >&2
                rm -f "$f"
                return 0
            fi
        fi
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < t * 10; i++)); do
            _lab_alive "$pid" || break
            sleep 0.1
        done
        _lab_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$f"
    return 0
}

# lab_env NAME: exports the lab's variables into the calling shell (lab must be up).
lab_env() {
    local f
    f="$(lab_state_dir "$1")/env"
    [[ -f "$f" ]] || _lab_die "lab '$1' is not up ($f missing)" || return 1
    # shellcheck disable=SC1090
    source "$f"
}

# Picks the lowest subnet number no other lab on this host uses. Caller holds the lock.
_lab_free_n() {
    local n used
    used=" $(cat "$LAB_STATE_BASE"/*/n 2>/dev/null | tr '\n' ' ') "
    for ((n = 1; n <= 254; n++)); do
        [[ "$used" == *" $n "* ]] || { echo "$n"; return 0; }
    done
    _lab_die "no free 10.203.N subnet"
}

# Starts the holder of one side: net ns + private mount and UTS namespace, tmpfs over the
# directories daemons use for sockets/state, hostname NAME-side. Waits until the mounts are done.
_lab_start_holder() {
    local name=$1 side=$2 st ns ready pid i
    st=$(lab_state_dir "$name")
    ns="$name-$side"
    ready="$st/$side.holder.ready"
    rm -f "$ready"
    # ip netns exec also remounts /sys for NS so /sys/class/net shows the lab's interfaces.
    # ip netns exec, unshare (without --fork) and sh all exec, so the PID stays the holder's.
    # shellcheck disable=SC2016  # the script's $-expressions are for the inner sh
    pid=$(_lab_bg "$st/$side.holder.pid" "$st/$side.holder.log" \
        ip netns exec "$ns" unshare -m -u --propagation private sh -c '
        set -e
        for d in /run /var/lib/nfs /var/log/samba /var/cache/samba /var/lib/samba; do
            [ -d "$d" ] && mount -n -t tmpfs -o mode=0755,size=64m "lab-$(basename "$d")" "$d"
        done
        mkdir -p /run/lock /run/rpcbind /run/samba /run/ganesha /var/lib/nfs/ganesha
        chown _rpc /run/rpcbind 2>/dev/null || true
        hostname "$1"
        : > "$2"
        exec sleep infinity' holder "$ns" "$ready") || return 1
    for ((i = 0; i < 100; i++)); do
        [[ -f "$ready" ]] && return 0
        _lab_alive "$pid" || break
        sleep 0.05
    done
    _lab_die "holder for $ns did not come up: $(cat "$st/$side.holder.log" 2>/dev/null)"
}

# The body of `up`; run in its own bash process (see lab_up) so set -e really applies.
_lab_up_main() {
    local name=$1 n=${2:-${LAB_N:-}} st cli srv cif sif offload=${LAB_OFFLOAD:-off} ifc
    _lab_check_name "$name"
    [[ "$offload" == off || "$offload" == on ]] || _lab_die "LAB_OFFLOAD must be off or on"
    st=$(lab_state_dir "$name")
    cli="$name-cli" srv="$name-srv"
    cif="${name:0:12}-c" sif="${name:0:12}-s"
    mkdir -p "$LAB_STATE_BASE"
    exec 9>"$LAB_STATE_BASE/.lock"
    flock 9
    [[ ! -e "$st" ]] || _lab_die "lab '$name' already exists ($st); run: $0 down $name"
    if ip netns list | grep -qwE "^($cli|$srv)"; then
        _lab_die "namespace $cli or $srv exists without lab state; run: $0 down $name"
    fi
    if [[ -z "$n" ]]; then n=$(_lab_free_n); fi
    if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1 || n > 254)); then
        _lab_die "N must be 1..254, got '$n'"
    fi
    if grep -qx "$n" "$LAB_STATE_BASE"/*/n 2>/dev/null; then
        _lab_die "subnet 10.203.$n.0/24 is used by another lab"
    fi
    mkdir -p "$st"
    echo "$n" >"$st/n"
    # From here on a failure must leave nothing behind.
    # shellcheck disable=SC2154  # rc is assigned inside the trap
    trap 'rc=$?; if ((rc)); then
        echo "netns.sh: creating lab '"$name"' failed (rc=$rc); removing what was built" >&2
        _lab_down_main "'"$name"'" >/dev/null 2>&1; fi' EXIT
    flock -u 9

    ip netns add "$cli"
    ip netns add "$srv"
    for ns in "$cli" "$srv"; do
        ip -n "$ns" link set lo up
        # No router solicitations / RAs: fewer background packets in captures. Set before the
        # veth exists so it inherits the defaults.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
            net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0
    done
    ip link add "$cif" netns "$cli" type veth peer name "$sif" netns "$srv"
    ip -n "$cli" addr add "10.203.$n.1/24" dev "$cif"
    ip -n "$srv" addr add "10.203.$n.2/24" dev "$sif"
    ip -n "$cli" -6 addr add "fd00:203:$n::1/64" dev "$cif" nodad
    ip -n "$srv" -6 addr add "fd00:203:$n::2/64" dev "$sif" nodad
    if [[ "$offload" == off ]]; then
        ip netns exec "$cli" ethtool -K "$cif" tso off gso off gro off tx off >/dev/null
        ip netns exec "$srv" ethtool -K "$sif" tso off gso off gro off tx off >/dev/null
    fi
    ip -n "$cli" link set "$cif" up
    ip -n "$srv" link set "$sif" up
    echo "$cli" >"$st/cli.netns"
    echo "$srv" >"$st/srv.netns"
    _lab_start_holder "$name" cli
    _lab_start_holder "$name" srv

    cat >"$st/env" <<EOF
export LAB_NAME=$name
export LAB_N=$n
export LAB_STATE=$st
export LAB_OFFLOAD=$offload
export LAB_CLI_NS=$cli
export LAB_SRV_NS=$srv
export LAB_CLI_IF=$cif
export LAB_SRV_IF=$sif
export LAB_CLI_IP=10.203.$n.1
export LAB_SRV_IP=10.203.$n.2
export LAB_CLI_IP6=fd00:203:$n::1
export LAB_SRV_IP6=fd00:203:$n::2
EOF
    # veth carrier comes up asynchronously; wait until both ends report LOWER_UP.
    for ((ifc = 0; ifc < 50; ifc++)); do
        ip -n "$cli" link show "$cif" | grep -q LOWER_UP &&
            ip -n "$srv" link show "$sif" | grep -q LOWER_UP && break
        sleep 0.1
    done
    ((ifc < 50)) || _lab_die "veth $cif/$sif did not come up"
    trap - EXIT
    cat "$st/env"
}

# The body of `down`: never fails, so it can run from traps and on half-built labs.
_lab_down_main() {
    local name=$1 st f ns pid sig i
    _lab_check_name "$name" || return 1
    st=$(lab_state_dir "$name")
    # 1. Daemons with PID files anywhere under the state dir (holders last: they own the /run).
    if [[ -d "$st" ]]; then
        while IFS= read -r f; do
            lab_stop_pidfile "$f" 5
        done < <(find "$st" -name '*.pid' ! -name '*.holder.pid' 2>/dev/null)
    fi
    # 2. Whatever still runs in the lab's network namespaces (Samba children, rpcd_* helpers,
    #    holders): those processes can only have been started into our namespaces.
    for ns in "$name-cli" "$name-srv"; do
        [[ -e "/run/netns/$ns" ]] || continue
        for sig in TERM KILL; do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill "-$sig" "$pid" 2>/dev/null || true
            done
            for ((i = 0; i < 30; i++)); do
                [[ -z "$(ip netns pids "$ns" 2>/dev/null)" ]] && break
                sleep 0.1
            done
        done
    done
    for f in "$st"/*.holder.pid; do
        [[ -f "$f" ]] && lab_stop_pidfile "$f" 1
    done
    # 3. Namespaces (the veth pair goes with them).
    for ns in "$name-cli" "$name-srv"; do
        if [[ -e "/run/netns/$ns" ]]; then
            ip netns del "$ns" 2>/dev/null || echo "netns.sh: could not delete $ns" >&2
        fi
    done
    # 4. State (logs included) unless asked to keep it for a post-mortem.
    if [[ -d "$st" ]]; then
        if [[ "${LAB_KEEP_STATE:-0}" == 1 ]]; then
            mv "$st" "$st.kept.$(date +%s)" 2>/dev/null || true
        else
            rm -rf "$st"
        fi
    fi
    return 0
}

# lab_up NAME [N]: creates the lab and exports LAB_* into the calling shell; prints the exports.
lab_up() {
    bash "$LAB_NETNS_SH" __up "$@" >/dev/null || return 1
    lab_env "$1"
    cat "$(lab_state_dir "$1")/env"
}

# lab_down NAME: stops the lab's daemons and removes its namespaces and state. Idempotent.
lab_down() { _lab_down_main "$1"; }

# lab_list: names of labs with state on this host.
lab_list() {
    local d
    for d in "$LAB_STATE_BASE"/*/env; do
        [[ -f "$d" ]] && basename "$(dirname "$d")"
    done
    return 0
}

_lab_usage() { sed -n '3,20p' "$LAB_NETNS_SH" | sed 's/^# \{0,1\}//'; }

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    cmd=${1:-help}
    shift || true
    case "$cmd" in
        up)   [[ $# -ge 1 ]] || { _lab_usage; exit 2; }; _lab_up_main "$@" ;;
        __up) _lab_up_main "$@" ;;
        down) [[ $# -ge 1 ]] || { _lab_usage; exit 2; }; _lab_down_main "$1" ;;
        env)  cat "$(lab_state_dir "$1")/env" ;;
        run)  lab_private_run "$@" ;;
        exec) lab_exec "$@" ;;
        list) lab_list ;;
        *)    _lab_usage; [[ "$cmd" == help || "$cmd" == -h || "$cmd" == --help ]] ;;
    esac
fi
