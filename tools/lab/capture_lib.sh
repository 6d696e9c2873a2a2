#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by capture.sh and attacks.sh (source it after netns.sh): bring the capture lab up with
# cleanup on every exit, and quote commands for the .txt reports.
#   capture_lab_start TOOL N KEEP   lab $LAB on subnet 10.203.N.0/24; on exit stop tcpdump,
#                                   remove the lab and $WORK (kept when KEEP is 1); messages
#                                   are prefixed with TOOL. Sets SRV to the server address.
#   quote WORD...                   the words as they would be typed in a shell
#   capture_stop_check NAME PCAP FILTER...   stops tcpdump, then requires every tshark display
#                                   FILTER to match in PCAP (else prints the client log, exits 1);
#                                   sets COUNTS to "  N  FILTER" lines for the .txt

capture_lab_start() {
    CAPTURE_TOOL=$1
    CAPTURE_KEEP_WORK=$3
    trap _capture_cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$OUT"
    lab_up "$LAB" "$2" >/dev/null
    mkdir -p "$LAB_STATE/capture"
    # shellcheck disable=SC2034  # used by the sourcing scripts
    SRV=$LAB_SRV_IP
}

_capture_cleanup() {
    local rc=$?
    set +e
    [[ -n "$TCPDUMP_PID" ]] && lab_stop_pidfile "$LAB_STATE/capture/tcpdump.pid" 3
    lab_down "$LAB" >/dev/null 2>&1
    if [[ "$CAPTURE_KEEP_WORK" == 1 ]]; then echo "$CAPTURE_TOOL: kept $WORK" >&2; else rm -rf "$WORK"; fi
    ((rc == 0)) || echo "$CAPTURE_TOOL: FAILED (rc=$rc); lab $LAB removed" >&2
    exit "$rc"
}

# Quotes words for the .txt so they paste into a shell: bare when safe, else in single quotes.
quote() {
    local w out=""
    for w in "$@"; do
        if [[ "$w" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+="$w "; else out+="'${w//\'/\'\\\'\'}' "; fi
    done
    printf '%s' "$out"
}

capture_stop_check() {
    local name=$1 pcap=$2 f n
    shift 2
    sleep 0.5   # let the last replies and FINs in
    lab_stop_pidfile "$LAB_STATE/capture/tcpdump.pid" 5
    TCPDUMP_PID=""
    COUNTS=""
    for f in "$@"; do
        n=$("${TSHARK[@]}" -r "$pcap" -Y "$f" 2>/dev/null | wc -l)
        COUNTS+="$(printf '%6d  %s' "$n" "$f")"$'\n'
        if ((n == 0)); then
            echo "$CAPTURE_TOOL: $name: no packet matches '$f'; client output:" >&2
            tail -30 "$WORK/client.log" >&2
            exit 1
        fi
    done
}
