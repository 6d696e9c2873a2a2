#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live evasion subset: lab attack captures rewritten as tests/evasion/evasion.py does (IPv4
# fragments of 184 bytes, 24-byte fragments in reverse order, 8-byte TCP segments, reordered
# segments) are replayed with tcpreplay from the client namespace onto the veth the agent watches,
# so the kernel path is judged: the XDP program must hand every fragment to user space, user space
# must reassemble it, and the agent must report the calls and raise the alert of the unmodified
# capture (service creation, DCSync). The same rewritten capture through `rpcmon analyze` must
# give the same calls. The bad-checksum rewrites (before every data segment a copy with zeroed
# payload and a broken TCP checksum; a RST with a broken checksum) are replayed too: the kernel
# judges each classified segment's checksum, its flow tracker takes no framing from a bad one, and
# user space holds it until the real segment (insertion: dropped, counted) or the peer's ACK
# decides. Then real TCP traffic from the client namespace's own stack (veth offloads as
# LAB_OFFLOAD says: with them on, every segment the client sends carries only the pseudo-header
# sum, CHECKSUM_PARTIAL) must report every call, none taken for an insertion.
# Usage: live_evasion_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
REPO=$LIVE_REPO
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed (run tools/setup.sh)"
live_setup "evas$$" tcpreplay

# Rewrites: CAPTURE:TECHNIQUE:SID (the alert the unmodified capture raises).
CASES=(attack-svcctl:frag4-184:1000010 attack-svcctl:frag4-24-reverse:1000010
       attack-dcsync:frag4-184:1000003 attack-dcsync:tiny-segments-8:1000003
       attack-dcsync:reorder:1000003
       attack-svcctl:badsum-insertion:1000010 attack-dcsync:badsum-insertion:1000003
       attack-svcctl:rst-badsum:1000010 attack-dcsync:rst-badsum:1000003)
mkdir "$OUT/rw"
/usr/bin/python3 - "$REPO" "$OUT/rw" "${CASES[@]}" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "evasion"))
import evasion
extra = {"frag4-24-reverse": evasion.frag4(24, reverse=True)}
for case in sys.argv[3:]:
    cap, tech, _ = case.split(":")
    fn = extra.get(tech) or evasion.TECHNIQUES[tech]
    evasion.rewrite(os.path.join(evasion.LAB, "attacks", cap + ".pcap"), os.path.join(sys.argv[2], f"{cap}-{tech}.pcap"), fn)
PY

for c in "${CASES[@]}"; do
    IFS=: read -r cap tech sid <<<"$c"
    pcap="$OUT/rw/$cap-$tech.pcap"
    PID=$(start_agent "$OUT/$cap-$tech.json")
    # Every frame arrives at the agent's veth through XDP (both directions of the capture).
    lab_exec "$LAB_CLI_NS" tcpreplay -q -i "$LAB_CLI_IF" --pps 2000 "$pcap" >"$OUT/replay.log" 2>&1 ||
        { cat "$OUT/replay.log"; fail "tcpreplay $cap $tech"; }
    sleep 1.2
    stop_agent "$PID"
    /usr/bin/python3 - "$RPCMON" "$OUT/$cap-$tech.json" "$pcap" "$sid" "$cap $tech" <<'PY' || fail "$cap $tech: live differs"
import json, subprocess, sys
rpcmon, eve, pcap, sid, name = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def calls(lines):
    out = []
    for l in lines:
        r = json.loads(l)
        if r["event_type"] == "rpc":
            rpc = r["rpc"]
            out.append((r["src_ip"], r["src_port"], r["dest_port"], rpc.get("operation") or rpc.get("procedure_name"),
                        rpc.get("call_id", rpc.get("xid")), bool(rpc.get("reply"))))
    return sorted(out)
live_lines = open(eve).read().splitlines()
live = calls(live_lines)
offline = calls(subprocess.run([rpcmon, "analyze", "--no-detect", pcap], capture_output=True, text=True, check=True).stdout.splitlines())
assert live, f"{name}: no calls live"
assert live == offline, f"{name}: live {len(live)} calls, offline {len(offline)}\n  live only {set(live) - set(offline)}\n  offline only {set(offline) - set(live)}"
alerts = {json.loads(l)["alert"]["signature_id"] for l in live_lines if '"event_type":"alert"' in l}
assert sid in alerts, f"{name}: alert {sid} missing live: {sorted(alerts)}"
k = [json.loads(l) for l in live_lines if '"event_type":"stats"' in l][-1]["stats"]
frag = k["capture"]["kernel"]["xdp"]["fragments_delivered"]
defrag = k["pipeline"].get("defrag", {})
print(f"  {name}: {len(live)} calls and alert {sid} live as offline; fragments delivered {frag}, "
      f"datagrams reassembled {k['pipeline']['anomalies'].get('defrag.datagrams', 0) or defrag}")
if "frag" in name:
    assert frag > 0, f"{name}: the kernel delivered no fragments"
if "badsum" in name:
    xdp = k["capture"]["kernel"]["xdp"]
    an = k["capture"].get("anomalies", {})
    print(f"    checksums: kernel good {xdp['csum_good']} bad {xdp['csum_bad']} partial {xdp['csum_partial']}, "
          f"tracker fell back {xdp['track_csum_unsure']}; held insertions dropped "
          f"{an.get('tcp.bad_checksum_insertion', 0)}, bad segments dropped {an.get('tcp.bad_checksum', 0)}")
    assert xdp["csum_bad"] > 0, f"{name}: no bad checksum judged in the kernel"
    assert an.get("tcp.bad_checksum", 0) > 0, f"{name}: no bad-checksum segment counted"
    if "insertion" in name:
        assert an.get("tcp.bad_checksum_insertion", 0) > 0, f"{name}: no insertion dropped"
PY
done

# Real TCP from the client namespace's stack: an ONC RPC client and a minimal server on 2049
# (replies ACCEPTED/SUCCESS to each call), 30 calls, every tenth with 5000 bytes of arguments
# (several segments, or one GSO packet with offloads on).
cat >"$OUT/onc_srv.py" <<'PY'
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 2049))
s.listen(1)
c, _ = s.accept()
buf = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    buf += d
    while len(buf) >= 4:
        n = struct.unpack(">I", buf[:4])[0] & 0x7fffffff
        if len(buf) < 4 + n:
            break
        rec, buf = buf[4:4 + n], buf[4 + n:]
        body = rec[:4] + struct.pack(">IIIII", 1, 0, 0, 0, 0)
        c.sendall(struct.pack(">I", 0x80000000 | len(body)) + body)
PY
cat >"$OUT/onc_cli.py" <<'PY'
import socket, struct, sys
c = socket.create_connection((sys.argv[1], 2049))
for i in range(30):
    args = b"\0" * 5000 if i % 10 == 9 else b""
    body = struct.pack(">IIIIIIIIII", 0x5000 + i, 0, 2, 100003, 3, 0, 0, 0, 0, 0) + args
    c.sendall(struct.pack(">I", 0x80000000 | len(body)) + body)
    want, got = 4 + 24, b""
    while len(got) < want:
        d = c.recv(want - len(got))
        assert d, "server closed"
        got += d
c.close()
print("30 calls answered")
PY
PID=$(start_agent "$OUT/legit.json")
SRV=$(lab_spawn "$LAB_SRV_NS" "$STATE/onc_srv.pid" "$OUT/onc_srv.log" /usr/bin/python3 "$OUT/onc_srv.py" "$LAB_SRV_IP")
sleep 0.5
lab_exec "$LAB_CLI_NS" /usr/bin/python3 "$OUT/onc_cli.py" "$LAB_SRV_IP" || { cat "$OUT/onc_srv.log"; fail "legit client"; }
sleep 1.2
stop_agent "$PID"
kill "$SRV" 2>/dev/null || true
/usr/bin/python3 - "$OUT/legit.json" "${LAB_OFFLOAD:-off}" <<'PY' || fail "legit traffic (offloads ${LAB_OFFLOAD:-off})"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
calls = {r["rpc"]["xid"]: r["rpc"] for r in lines if r["event_type"] == "rpc"}
want = set(range(0x5000, 0x5000 + 30))
assert want <= set(calls), f"missing calls: {sorted(want - set(calls))}"
assert all(calls[x].get("reply") for x in want), "a call without its reply"
st = [r for r in lines if r["event_type"] == "stats"][-1]["stats"]["capture"]
xdp, an = st["kernel"]["xdp"], st.get("anomalies", {})
print(f"  legit ({sys.argv[2]} offloads): 30 calls with replies; kernel good {xdp['csum_good']} partial {xdp['csum_partial']} "
      f"bad {xdp['csum_bad']} not checked {xdp['csum_not_checked']}; held and taken on the ACK "
      f"{an.get('tcp.partial_checksum_acked', 0)}; undecided left {st['undecided_segments']}")
assert xdp["csum_bad"] == 0 and not an.get("tcp.partial_checksum_insertion") and not an.get("tcp.bad_checksum_insertion")
assert not an.get("tcp.partial_checksum_expired"), "a legit segment waited in vain"
if sys.argv[2] == "on":
    assert xdp["csum_partial"] > 0, "offloads on, yet no partial checksum seen: the case proves nothing"
    assert an.get("tcp.partial_checksum_acked", 0) > 0
else:
    assert xdp["csum_partial"] == 0 and xdp["csum_good"] > 0
PY
echo PASS
