#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Live load benchmark (run as root): replays a capture onto a veth with the XDP agent attached
# and prints, per rate, packets/s offered, RPC calls/s recorded, kernel ring-buffer drops and the
# agent's CPU. Figures are printed, nothing is asserted.
#
# Usage: tools/bench/live.sh [PCAP]      (default build-bench/bulk.pcap from make_bulk_pcap.sh)
#
# Set-up: namespaces rpcbench<PID>tx / rpcbench<PID>rx joined by veth rbt<PID> / rbr<PID>
# (10.250.0.1/24, 10.250.0.2/24, offloads off). The capture is rewritten with tcprewrite:
# 10.203.0.0/16 -> 10.250.0.0/16 (lab N -> 10.250.N.x: not local on either side, so the stack
# drops the frames after XDP and never answers them), destination MAC = the receiving veth,
# source MAC = the sending one, checksums fixed. The agent runs in the rx namespace:
#   rpcmon agent -i rbr<PID> --eve /dev/null --stats-interval 0 --control-socket SOCK
# and `rpcmon stats --json --socket SOCK` is read before and after each replay (after: once its
# counters stop moving). tcpreplay sends from the tx namespace for LIVE_SECONDS (default 5) per
# rate, looping with --unique-ip (new addresses per loop, so replayed TCP flows are new flows).
#
# Two series:
#   bulk   the whole capture (at low rates only its first LIVE_SECONDS x rate packets: the
#          NFSv3 bulk copy; every packet is classified, the ring buffer's worst case)
#   calls  the capture's dcerpc phase (rpcclient enumeration, ~2 packets per call), cut out with
#          editcap using PCAP.phases; skipped when that file is missing
# Rates: LIVE_RATES (default "10000 25000 50000 75000 100000 200000 top"; a number is --pps, "top" is
# --topspeed). Columns: offered = packets/s tcpreplay reports sent; calls/s = rpc records/s
# (stats totals.records_by_type.rpc; totals.calls also counts SMB session/pipe records) over the
# replay time; drops = delta of health.ringbuf_drops.total (kernel ringbuf_drops, all hooks);
# cpu = agent utime+stime (/proc/PID/stat) from replay start to drained, divided by the replay
# time (tcpreplay's "sent in"), 100 % = one core. The
# XDP program itself runs in the sender's softirq (veth), on tcpreplay's CPU, not in the agent's.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
PCAP=$(readlink -f "${1:-$REPO/build-bench/bulk.pcap}")
RPCMON=${RPCMON:-$REPO/build-bench/rpcmon}
SECS=${LIVE_SECONDS:-5}
read -r -a RATES <<<"${LIVE_RATES:-10000 25000 50000 75000 100000 200000 top}"

die() { echo "live: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (XDP, network namespaces)"
for c in tcpreplay tcprewrite editcap capinfos ethtool; do
    command -v "$c" >/dev/null || die "$c not installed (run tools/setup.sh)"
done
[[ -x "$RPCMON" ]] || die "no rpcmon binary at $RPCMON (cmake --build build-bench --target rpcmon, or set RPCMON)"
[[ -f "$PCAP" ]] || die "no capture $PCAP (make it with tools/bench/make_bulk_pcap.sh)"

TX_NS=rpcbench$$tx RX_NS=rpcbench$$rx TX_IF=rbt$$ RX_IF=rbr$$
WORK=$(mktemp -d /tmp/rpcmon-live.XXXXXX)
AGENT_PID=""
cleanup() {
    local rc=$? i
    set +e
    if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
        kill -TERM "$AGENT_PID"
        for ((i = 0; i < 50; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$AGENT_PID" 2>/dev/null && kill -KILL "$AGENT_PID"
    fi
    for ns in "$TX_NS" "$RX_NS"; do
        [[ -e "/run/netns/$ns" ]] && ip netns del "$ns"
    done
    rm -rf "$WORK"
    ((rc == 0)) || echo "live: FAILED (rc=$rc)" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- veth pair in two fresh namespaces ---------------------------------------------------------
ip netns add "$TX_NS"
ip netns add "$RX_NS"
ip link add "$TX_IF" netns "$TX_NS" type veth peer name "$RX_IF" netns "$RX_NS"
ip -n "$TX_NS" addr add 10.250.0.1/24 dev "$TX_IF"
ip -n "$RX_NS" addr add 10.250.0.2/24 dev "$RX_IF"
for side in "$TX_NS:$TX_IF" "$RX_NS:$RX_IF"; do
    ip netns exec "${side%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "${side%%:*}" ethtool -K "${side#*:}" tso off gso off gro off tx off >/dev/null
    ip -n "${side%%:*}" link set lo up
    ip -n "${side%%:*}" link set "${side#*:}" up
done
TX_MAC=$(ip -n "$TX_NS" -o link show "$TX_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
RX_MAC=$(ip -n "$RX_NS" -o link show "$RX_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# --- captures rewritten for the veth -----------------------------------------------------------
echo "live: rewriting $PCAP for $TX_IF -> $RX_IF ($TX_MAC -> $RX_MAC)"
rewrite() {
    tcprewrite --infile="$1" --outfile="$2" --pnat=10.203.0.0/16:10.250.0.0/16 \
        --enet-dmac="$RX_MAC" --enet-smac="$TX_MAC" --fixcsum
}
rewrite "$PCAP" "$WORK/bulk.pcap"
SERIES=(bulk)
if [[ -f "$PCAP.phases" ]] && read -r _ t0 t1 < <(grep '^dcerpc ' "$PCAP.phases"); then
    editcap -A "$t0" -B "$t1" "$PCAP" "$WORK/calls-orig.pcap"
    rewrite "$WORK/calls-orig.pcap" "$WORK/calls.pcap"
    SERIES+=(calls)
else
    echo "live: no dcerpc phase in $PCAP.phases: the calls series is skipped"
fi
for s in "${SERIES[@]}"; do
    printf 'live: %-5s %s packets\n' "$s" \
        "$(capinfos -M -c "$WORK/$s.pcap" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')"
done

# --- the agent ---------------------------------------------------------------------------------
SOCK=$WORK/rpcmon.sock
# The PID is written by the process itself before exec (ip netns exec execs too).
# shellcheck disable=SC2016  # $$ and $0 are for the inner bash
setsid bash -c 'echo $$ >"$0" && exec "$@"' "$WORK/agent.pid" \
    ip netns exec "$RX_NS" "$RPCMON" agent -i "$RX_IF" --eve /dev/null --stats-interval 0 \
    --control-socket "$SOCK" </dev/null >"$WORK/agent.log" 2>&1 &
for _ in $(seq 100); do [[ -s "$WORK/agent.pid" ]] && break; sleep 0.05; done
AGENT_PID=$(cat "$WORK/agent.pid")
for _ in $(seq 200); do grep -q monitoring "$WORK/agent.log" && [[ -S "$SOCK" ]] && break; sleep 0.05; done
grep -q monitoring "$WORK/agent.log" || { cat "$WORK/agent.log" >&2; die "agent did not start"; }
HZ=$(getconf CLK_TCK)

# snapshot: prints "rpc calls drops packets" from the control socket
snapshot() {
    "$RPCMON" stats --json --socket "$SOCK" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
t, h = d["totals"], d["health"]
print(t["records_by_type"].get("rpc", 0), t["calls"]["total"], h["ringbuf_drops"]["total"], h["packets"]["total"])'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }
now() { date +%s.%N; }

# Waits until two snapshots 1.2 s apart agree (the live state is refreshed once per second).
drained() {
    local a b i
    a=$(snapshot)
    for ((i = 0; i < 20; i++)); do
        sleep 1.2
        b=$(snapshot)
        [[ "$a" == "$b" ]] && break
        a=$b
    done
    echo "$b"
}

RESULTS=$WORK/results
: >"$RESULTS"
drained >/dev/null
for s in "${SERIES[@]}"; do
    for r in "${RATES[@]}"; do
        if [[ "$r" == top ]]; then rate_opt=(--topspeed -K); else rate_opt=(--pps="$r"); fi
        read -r rpc0 calls0 drops0 pk0 < <(snapshot)
        cpu0=$(cpu_ticks)
        w0=$(now)
        ip netns exec "$TX_NS" tcpreplay -i "$TX_IF" "${rate_opt[@]}" --loop=0 --unique-ip \
            --duration="$SECS" --no-flow-stats "$WORK/$s.pcap" >"$WORK/tcpreplay.log" 2>&1 ||
            { cat "$WORK/tcpreplay.log" >&2; die "tcpreplay failed"; }
        read -r rpc1 calls1 drops1 pk1 < <(drained)
        w1=$(now)
        cpu1=$(cpu_ticks)
        sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.* sent in \([0-9.]*\) seconds.*/\1 \2/p' "$WORK/tcpreplay.log")
        failed=$(sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p' "$WORK/tcpreplay.log")
        # series rate sent_packets send_secs failed kernel_pkts rpc calls drops cpu_ticks wall
        echo "$s $r $sent ${failed:-0} $((pk1 - pk0)) $((rpc1 - rpc0)) $((calls1 - calls0))" \
            "$((drops1 - drops0)) $((cpu1 - cpu0)) $w0 $w1" >>"$RESULTS"
        awk -v hz="$HZ" '{ printf "live: %-5s %-6s offered %8.0f pps  calls %8.0f/s  drops %d  cpu %.0f %%\n",
            $1, $2, $3 / $4, $7 / $4, $9, 100 * $10 / hz / $4 }' <(tail -1 "$RESULTS")
    done
done

echo
echo "rpcmon agent on veth (XDP), $(nproc) CPUs, $SECS s per rate; pcap $PCAP; load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$RESULTS" "$HZ" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
hz = float(sys.argv[2])
print(f"{'series':6} {'rate':>7} {'sent':>9} {'offered/s':>10} {'failed':>7} {'kern pkts':>9} "
      f"{'calls/s':>9} {'rpc recs':>9} {'drops':>8} {'drop %':>7} {'cpu %':>6}")
knee = {}
best_calls = {}
for s, r, sent, secs, failed, kp, rpc, calls, drops, cpu, w0, w1 in rows:
    sent, secs, failed, kp, rpc, drops = int(sent), float(secs), int(failed), int(kp), int(rpc), int(drops)
    cpu_pct = 100 * int(cpu) / hz / secs
    offered = sent / secs
    cps = rpc / secs
    dpct = 100 * drops / kp if kp else 0
    print(f"{s:6} {r:>7} {sent:>9} {offered:>10.0f} {failed:>7} {kp:>9} {cps:>9.0f} {rpc:>9} {drops:>8} "
          f"{dpct:>6.2f}% {cpu_pct:>5.0f}%")
    if drops == 0:
        if offered > knee.get(s, (0, 0))[0]:
            knee[s] = (offered, r)
        best_calls[s] = max(best_calls.get(s, 0), cps)
print()
for s in dict.fromkeys(r[0] for r in rows):
    if s in knee:
        print(f"knee {s}: {knee[s][0]:.0f} packets/s offered with 0 drops (rate setting {knee[s][1]})")
    else:
        print(f"knee {s}: drops at every rate tried")
c = best_calls.get("calls", best_calls.get("bulk", 0))
print(f"goal 50000 calls/s with 0 drops: {'MET' if c >= 50000 else 'NOT MET'} "
      f"(best with 0 drops: {c:.0f} calls/s)")
PY
