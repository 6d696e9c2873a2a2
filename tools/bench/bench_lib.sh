#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Shared by the tools/bench scripts that run a workload in a project lab (make_bulk_pcap.sh,
# make_callheavy_pcap.sh, bulk_ratio.sh): lab start-up with cleanup on every exit and the lab's
# servers; for the capture makers also the tcpdump capture, its phases file and the final report.
# (tools/lab/capture_lib.sh does the same for the test captures of capture.sh and attacks.sh.)
#
# The caller sets these, then sources this file (which sources tools/lab/netns.sh itself):
#   REPO               the repository root
#   BENCH_TOOL         prefix of every message ("make_bulk_pcap" -> "make_bulk_pcap: ...")
#   LAB                the lab's name, unique per run (e.g. bulk$$)
#   BENCH_FAIL_LOGS    files in $WORK whose last 5 lines are printed on failure ("client.log dc.log")
#   BENCH_KEEP         1 keeps $WORK at exit (client output, for debugging), else 0
#   OUT                the capture to write (absolute path): capture and phase functions only
#   BENCH_PHASE_WIDTH  width of the phase names in phase_begin's message: phase_begin only
# Each one the script uses is set there, even to 0, so that none leaks in from the environment.
#
# Functions:
#   die MSG...                  "BENCH_TOOL: MSG" on stderr, exit 1
#   bench_lab_start TEMPLATE    installs the exit trap (below), makes $WORK = mktemp -d TEMPLATE
#                               (its directory created, mode 0755: lab daemons write there), brings
#                               lab $LAB up (honours LAB_OFFLOAD: `LAB_OFFLOAD=off bench_lab_start`)
#                               and sets SRV to the server's address
#   bench_server NAME           tools/lab/NAME_server.sh start (output in $WORK/NAME.log, printed
#                               and exit 1 when it fails), then sources $LAB_STATE/NAME.env;
#                               variables given before it reach the server script
#                               (`SMB_ENCRYPT=off bench_server smb`)
#   bench_capture_start BUF_KIB removes OUT and OUT.phases and starts tcpdump on the server veth
#                               (full frames, unbuffered, BUF_KIB kernel buffer) into OUT;
#                               returns once tcpdump listens
#   phase_begin NAME            starts a phase: prints "BENCH_TOOL: NAME " (no newline)
#   phase_end NAME [NOTE]       appends "NAME start_epoch end_epoch" to OUT.phases (live.sh and
#                               offline.sh cut phases out with it), prints the phase's seconds and
#                               "  (NOTE)" when NOTE is given
#   bench_capture_finish        stops tcpdump (after 0.5 s for the last ACKs and FINs) and prints
#                               the capture's size, packets and tcpdump drops; sets PACKETS
# On exit (any status) the trap stops every process with a PID file $LAB_STATE/bench-*.pid
# (TERM, KILL after 5 s: tcpdump, an agent), removes the lab, and removes $WORK unless
# BENCH_KEEP=1. On failure it first prints the tail of BENCH_FAIL_LOGS and
# "BENCH_TOOL: FAILED (rc=N); lab LAB removed". INT and TERM exit with 130 through the same trap.

die() { echo "$BENCH_TOOL: $*" >&2; exit 1; }

# shellcheck source=tools/lab/netns.sh
source "$REPO/tools/lab/netns.sh"

WORK=""
bench_lab_start() {
    trap _bench_cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$(dirname "$1")"
    WORK=$(mktemp -d "$1")
    chmod 0755 "$WORK"
    lab_up "$LAB" >/dev/null
    # shellcheck disable=SC2034  # used by the sourcing scripts
    SRV=$LAB_SRV_IP
}

_bench_cleanup() {
    local rc=$? f st logs=()
    set +e
    st=$(lab_state_dir "$LAB")
    for f in "$st"/bench-*.pid; do
        [[ -f "$f" ]] && lab_stop_pidfile "$f" 5
    done
    lab_down "$LAB" >/dev/null 2>&1
    if ((rc != 0)); then
        if [[ -n "$WORK" ]]; then
            for f in ${BENCH_FAIL_LOGS:-client.log}; do logs+=("$WORK/$f"); done
            # (not `tail -5 ... 2>/dev/null >&2`: tail refuses -5 with several files, and that
            # order of redirections sends the output to /dev/null)
            tail -n 5 "${logs[@]}" >&2 2>/dev/null
        fi
        echo "$BENCH_TOOL: FAILED (rc=$rc); lab $LAB removed" >&2
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "$BENCH_TOOL: kept $WORK" >&2
    elif [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$rc"
}

bench_server() {
    "$REPO/tools/lab/$1_server.sh" start "$LAB" >"$WORK/$1.log" 2>&1 || { cat "$WORK/$1.log" >&2; exit 1; }
    # shellcheck disable=SC1090,SC1091  # written by the server script
    source "$LAB_STATE/$1.env"
}

bench_capture_start() {
    rm -f "$OUT" "$OUT.phases"
    lab_spawn "$LAB_SRV_NS" "$LAB_STATE/bench-tcpdump.pid" "$WORK/tcpdump.log" \
        tcpdump -Z root --immediate-mode -B "$1" -i "$LAB_SRV_IF" -s 0 -U -w "$OUT" >/dev/null
    for _ in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.05; done
    grep -q 'listening on' "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; exit 1; }
}

T_PHASE=0
phase_begin() { T_PHASE=$(date +%s.%N); printf '%s: %-*s ' "$BENCH_TOOL" "${BENCH_PHASE_WIDTH:-8}" "$1"; }
phase_end() {
    local t
    t=$(date +%s.%N)
    echo "$1 $T_PHASE $t" >>"$OUT.phases"
    awk -v a="$T_PHASE" -v b="$t" -v note="${2:-}" \
        'BEGIN { printf "%6.1f s%s\n", b - a, (note == "" ? "" : "  (" note ")") }'
}

bench_capture_finish() {
    local dropped size
    sleep 0.5   # last ACKs and FINs
    lab_stop_pidfile "$LAB_STATE/bench-tcpdump.pid" 5
    dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$WORK/tcpdump.log")
    size=$(stat -c %s "$OUT")
    PACKETS=$(capinfos -M -c "$OUT" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    echo
    echo "capture       $OUT"
    awk -v s="$size" 'BEGIN { printf "%-13s %d bytes (%.1f MiB)\n", "size", s, s / 1048576 }'
    printf '%-13s %s\n' packets "$PACKETS"
    printf '%-13s %s\n' "tcpdump drops" "${dropped:-?}"
    printf '%-13s %s\n' phases "$OUT.phases"
}
