#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live DCE/RPC test against a Samba AD DC: the DC in the lab's server namespace, the agent on the
# server's veth, rpcclient and impacket clients in the client namespace. Checks that
#   - endpoint-mapper calls on TCP 135 are dissected and their replies taught the agent the DC's
#     dynamic ports (stats capture.endpoints_learned > 0);
#   - calls on those dynamic ports (49152+: samr, lsarpc, drsuapi) are dissected live with the
#     interface name, including drsuapi DRSGetNCChanges from secretsdump (DCSync);
#   - no ring-buffer drops, and the agent's records agree with tshark on a capture taken at the
#     same time (tests/conformance/dcerpc_tshark.py --records).
# Usage: live_dc_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
IMPACKET=/usr/share/doc/python3-impacket/examples
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
REPO=$LIVE_REPO
[[ -d /usr/share/samba/setup ]] ||
    skip "samba-ad-provision not installed (AD schema files; see tools/lab/README.md for dc_server.sh's packages)"
for t in samrdump.py lookupsid.py secretsdump.py; do
    [[ -f "$IMPACKET/$t" ]] || skip "python3-impacket not installed ($IMPACKET/$t)"
done
live_setup "dc$$" samba samba-tool winbindd rpcclient tcpdump tshark
"$REPO/tools/lab/dc_server.sh" start "$LAB" >"$OUT/server.log" 2>&1 ||
    { cat "$OUT/server.log"; fail "Samba AD DC did not start"; }
# shellcheck disable=SC1091
source "$STATE/dc.env"

lab_spawn "$LAB_SRV_NS" "$STATE/tcpdump.pid" "$OUT/tcpdump.log" \
    tcpdump -Z root --immediate-mode -i "$LAB_SRV_IF" -s 0 -U -w "$OUT/live.pcap" >/dev/null
AGENT=$(start_agent "$OUT/eve.json")
for _ in $(seq 100); do grep -q 'listening on' "$OUT/tcpdump.log" && break; sleep 0.05; done

# Clients run in a scratch directory: impacket leaves sessionresume_* files behind.
mkdir "$OUT/scratch"
client() {  # client NAME CMD...: runs CMD in the client namespace; a refusal by Samba is fine
    local name=$1 rc=0
    shift
    (cd "$OUT/scratch" && timeout 30 ip netns exec "$LAB_CLI_NS" "$@") >"$OUT/$name.txt" 2>&1 || rc=$?
    echo "  [$rc] $name"
}
SRV=$LAB_SRV_IP
cred="$LAB_DC_DOMAIN/$LAB_DC_ADMIN:$LAB_DC_PASS@$SRV"
# 150 more accounts (no password: fast), so SAMR's user enumeration over TCP on a dynamic port
# answers with a response above one MTU.
lab_private_run "$LAB_SRV_NS" /usr/bin/python3 -c '
import sys
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
for i in range(150):
    db.newuser("bulkuser%03d" % i, None, setpassword=False)' "$LAB_DC_CONF" >"$OUT/users.log" 2>&1 ||
    { cat "$OUT/users.log"; fail "could not add accounts to the DC"; }
client epm rpcclient -U "$LAB_DC_ADMIN%$LAB_DC_PASS" "ncacn_ip_tcp:${SRV}[135]" -c 'epmmap;epmlookup'
# No port: rpcclient asks the endpoint mapper (ept_map) and calls samr/lsarpc on the answer.
client dyn rpcclient -U "$LAB_DC_ADMIN%$LAB_DC_PASS" "ncacn_ip_tcp:$SRV" -c 'enumdomusers;lsaquery'
client samrdump /usr/bin/python3 "$IMPACKET/samrdump.py" "$cred"
client lookupsid /usr/bin/python3 "$IMPACKET/lookupsid.py" "$cred" 502
# Large replies of each kind: LsarLookupSids over \\pipe\\lsarpc well above 16 KiB (502 SIDs,
# above) and between one MTU and 16 KiB (100 SIDs); over TCP on a dynamic port, the drsuapi
# SamrEnumerateUsersInDomain reply listing 150+ accounts (checked against tshark below).
client lookupsid100 /usr/bin/python3 "$IMPACKET/lookupsid.py" "$cred" 100
# "DOMAIN/krbtgt": Samba cannot crack the bare name and impacket would stop before DsGetNCChanges.
client secretsdump /usr/bin/python3 "$IMPACKET/secretsdump.py" -just-dc-user "$LAB_DC_DOMAIN/krbtgt" "$cred"
grep -q -i 'user:\[administrator\]' "$OUT/dyn.txt" || { cat "$OUT/dyn.txt"; fail "rpcclient over the dynamic port listed no users"; }
sleep 1.5   # last replies, and one more stats line
stop_agent "$AGENT"
lab_stop_pidfile "$STATE/tcpdump.pid" 5

/usr/bin/python3 - "$OUT/eve.json" "$LAB_CLI_IP" "$LAB_SRV_IP" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cli, srv = sys.argv[2], sys.argv[3]
rpc = [r for r in recs if r["event_type"] == "rpc" and r["rpc"]["family"] == "dcerpc"]
def iface(r):
    return r["rpc"].get("interface", {}).get("name")
epm = [r for r in rpc if r["dest_port"] == 135 and iface(r) == "epm"]
assert epm, "no endpoint-mapper call on TCP 135"
learned_ports = {e["port"] for r in epm for e in r.get("epm", {}).get("endpoints", [])
                 if e.get("protocol") == "ncacn_ip_tcp" and e.get("port", 0) >= 49152}
assert learned_ports, "no ept_map/ept_lookup reply named a dynamic ncacn_ip_tcp port"
stats = [r for r in recs if r["event_type"] == "stats"][-1]["stats"]
assert stats["capture"]["endpoints_learned"] > 0, stats["capture"]
for hook in ("xdp", "socket"):
    assert stats["capture"]["kernel"][hook]["ringbuf_drops"] == 0, stats["capture"]["kernel"]
dyn = [r for r in rpc if r["dest_port"] >= 49152]
assert dyn, "no call on a dynamic port was dissected"
assert all(r["proto"] == "TCP" and r["src_ip"] == cli and r["dest_ip"] == srv for r in dyn)
assert {r["dest_port"] for r in dyn} & learned_ports, (sorted({r["dest_port"] for r in dyn}), sorted(learned_ports))
by_iface = {}
for r in dyn:
    by_iface.setdefault(iface(r), []).append(r)
assert "samr" in by_iface, f"no samr call on a dynamic port: {sorted(by_iface, key=str)}"
assert any(r["rpc"].get("operation") == "SamrEnumerateUsersInDomain" and
           r["rpc"]["reply"] and r["rpc"]["reply"].get("status") in ("0x00000000", "0x00000105")
           for r in by_iface["samr"]), "no successful SamrEnumerateUsersInDomain on a dynamic port"
drs = by_iface.get("drsuapi", [])
assert drs, f"no drsuapi call on a dynamic port: {sorted(by_iface, key=str)}"
ops = {r["rpc"].get("operation") for r in drs}
assert {"IDL_DRSBind", "IDL_DRSGetNCChanges"} <= ops or {"DRSBind", "DRSGetNCChanges"} <= ops, ops
for r in dyn:
    assert r["rpc"].get("interface", {}).get("name") and r["rpc"].get("operation"), r
# The large replies over the pipe: LookupSids of 502 and of 100 SIDs, each joined.
lookups = [r for r in rpc if r["rpc"].get("operation") in ("LsarLookupSids", "LsarLookupSids2", "LsarLookupSids3")]
for n in (502, 100):
    got = [r for r in lookups if r["rpc"].get("args", {}).get("sid_count") == n and r["dest_port"] == 445]
    assert got, f"no LookupSids of {n} SIDs over the pipe: {[(r['dest_port'], r['rpc'].get('args')) for r in lookups]}"
    assert all(r["rpc"]["reply"] and "status" in r["rpc"]["reply"] for r in got), got
print(f"ok: {len(rpc)} dcerpc records; {len(epm)} epm calls on 135 named ports {sorted(learned_ports)}; "
      f"{len(dyn)} calls on dynamic ports {sorted({r['dest_port'] for r in dyn})} "
      f"({', '.join(f'{k} {len(v)}' for k, v in sorted(by_iface.items(), key=lambda kv: str(kv[0])))}); "
      f"endpoints_learned {stats['capture']['endpoints_learned']}")
PY
# A DCE/RPC response above one MTU on a dynamic port (tshark), joined by the agent.
tshark -r "$OUT/live.pcap" -Y 'dcerpc.pkt_type == 2 && tcp.srcport >= 49152 && dcerpc.cn_frag_len > 1500' \
    -T fields -e tcp.dstport -e dcerpc.cn_call_id -e dcerpc.cn_frag_len 2>/dev/null >"$OUT/bigdyn.txt"
[[ -s "$OUT/bigdyn.txt" ]] || fail "no DCE/RPC response above one MTU on a dynamic port in the capture"
/usr/bin/python3 - "$OUT/eve.json" "$OUT/bigdyn.txt" <<'PY' || fail "a large response on a dynamic port is missing"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rpc = {(r["src_port"], r["rpc"].get("call_id")): r for r in recs if r["event_type"] == "rpc" and r["rpc"]["family"] == "dcerpc"}
rows = [l.split() for l in open(sys.argv[2]) if l.strip()]
for port, call_id, flen in rows:
    r = rpc.get((int(port), int(call_id.split(",")[0])))
    assert r and r["rpc"].get("reply"), f"response of {flen.split(',')[0]} bytes (client port {port}, call {call_id}) not joined"
print(f"ok: {len(rows)} DCE/RPC responses above one MTU on dynamic ports joined (largest {max(int(x[2].split(',')[0]) for x in rows)} bytes)")
PY
# The same traffic through tshark: every request it finds (135, dynamic ports, SMB pipes), the
# agent found, field by field.
/usr/bin/python3 "$REPO/tests/conformance/dcerpc_tshark.py" --records "$OUT/eve.json" "$OUT/live.pcap" ||
    fail "live records disagree with tshark"
# Detections on real attack tools: DCSync (secretsdump), SAMR enumeration (samrdump), LSARPC SID
# enumeration (lookupsid), endpoint-mapper enumeration - live, and the same offline.
/usr/bin/python3 "$REPO/tests/live/alerts_agree.py" "$RPCMON" "$OUT/eve.json" "$OUT/live.pcap" \
    1000003 1000001 1000002 || fail "expected alerts missing, or live and offline disagree"
echo PASS
