#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live ONC RPC test: rpcbind + nfs-ganesha in the lab's server namespace, the agent on the
# server's veth, libnfs clients (NFSv3 and v4, as an unprivileged user and as root) in the
# client namespace. Checks that
#   - MOUNT on ganesha's dynamic port is dissected: the portmapper GETPORT reply taught the
#     BPF watched map that endpoint (it is not a well-known port);
#   - calls are joined with replies, credentials and file names are right;
#   - the agent's records agree with tshark on a capture taken at the same time;
#   - a 4 MiB nfs-cp there and back: the kernel skips the READ/WRITE data (bytes delivered to
#     user space stay a small share of the wire bytes) and the calls are still all reported.
# Usage: live_nfs_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
REPO=$LIVE_REPO
live_setup "nfs$$" rpcbind ganesha.nfsd nfs-ls nfs-cat tcpdump tshark
"$REPO/tools/lab/onc_server.sh" start "$LAB" >"$OUT/server.log" 2>&1 || { cat "$OUT/server.log"; fail "NFS server did not start"; }
# shellcheck disable=SC1091
source "$STATE/onc.env"

lab_spawn "$LAB_SRV_NS" "$STATE/tcpdump.pid" "$OUT/tcpdump.log" \
    tcpdump -i "$LAB_SRV_IF" -s 0 -U -w "$OUT/live.pcap" >/dev/null
AGENT=$(start_agent "$OUT/eve.json")
sleep 0.5  # tcpdump is up by now too

user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
v3="nfs://$LAB_SRV_IP$LAB_NFS_EXPORT"
v4="nfs://$LAB_SRV_IP$LAB_NFS_PSEUDO"
lab_exec "$LAB_CLI_NS" "${user[@]}" nfs-ls "$v3/?version=3" >"$OUT/ls3.txt"
lab_exec "$LAB_CLI_NS" nfs-cat "$v3/secret.txt?version=3&uid=0&gid=0" >"$OUT/cat3.txt"
lab_exec "$LAB_CLI_NS" "${user[@]}" nfs-cat "$v4/hello.txt?version=4" >"$OUT/cat4.txt"
lab_exec "$LAB_CLI_NS" nfs-ls "$v4/subdir?version=4&uid=0&gid=0" >"$OUT/ls4.txt"
grep -q hello "$OUT/ls3.txt" || fail "nfs-ls v3 failed"
# A directory whose READDIRPLUS reply is larger than one MTU (with offloads on: one GSO
# super-packet on the server's egress).
mkdir -p "$LAB_NFS_EXPORT/many"
for i in $(seq 150); do : >"$LAB_NFS_EXPORT/many/file-with-a-longer-name-$i.dat"; done
lab_exec "$LAB_CLI_NS" nfs-ls "$v3/many?version=3&uid=0&gid=0" >"$OUT/lsmany.txt"
[[ $(grep -c "file-with-a-longer-name" "$OUT/lsmany.txt") -eq 150 ]] || fail "nfs-ls of 150 files failed"
head -c 4194304 /dev/urandom >"$OUT/bulk.bin"
chmod 0644 "$OUT/bulk.bin"
lab_exec "$LAB_CLI_NS" nfs-cp "$OUT/bulk.bin" "$v3/pub/bulk.bin?version=3&uid=0&gid=0" >/dev/null
lab_exec "$LAB_CLI_NS" nfs-cp "$v3/pub/bulk.bin?version=3&uid=0&gid=0" "$OUT/back.bin" >/dev/null
cmp -s "$OUT/bulk.bin" "$OUT/back.bin" || fail "nfs-cp round trip differs"
sleep 1
stop_agent "$AGENT"
lab_stop_pidfile "$STATE/tcpdump.pid" 5

/usr/bin/python3 - "$OUT/eve.json" "$LAB_CLI_IP" "$LAB_SRV_IP" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cli, srv = sys.argv[2], sys.argv[3]
rpc = [r for r in recs if r["event_type"] == "rpc"]
def find(**kw):
    return [r for r in rpc if all(r["rpc"].get(k) == v for k, v in kw.items())]
getport = [r for r in find(program=100000, procedure=3) if r.get("portmap", {}).get("program") == 100005]
assert getport, "no portmapper GETPORT for MOUNT"
mount_port = getport[0]["portmap"]["port"]
assert mount_port not in (111, 2049), mount_port
mnt = [r for r in find(program=100005, procedure=1) if r["dest_port"] == mount_port]
assert mnt, f"MNT on the learned port {mount_port} was not dissected (watched map not filled?)"
assert mnt[0]["rpc"]["reply"]["accept_status"] == "success" and mnt[0]["mount"]["status"] == "MNT3_OK", mnt[0]
assert mnt[0]["mount"]["path"].rstrip("/").endswith("export"), mnt[0]["mount"]
lookups = [r for r in find(program=100003, version=3, procedure=3) if r.get("nfs", {}).get("name") == "secret.txt"]
assert lookups, "no NFSv3 LOOKUP of secret.txt"
assert lookups[0]["rpc"]["cred"]["uid"] == 0 and lookups[0]["src_ip"] == cli and lookups[0]["dest_ip"] == srv
assert lookups[0]["nfs"]["status"] == "NFS3_OK" and lookups[0]["rpc"]["latency_us"] >= 0
nobody = [r for r in find(program=100003, version=3) if r["rpc"]["cred"].get("uid") == 65534]
assert nobody, "no NFSv3 call as uid 65534"
v4 = find(program=100003, version=4, procedure=1)
assert any("hello.txt" in r.get("nfs", {}).get("names", []) for r in v4), "no NFSv4 COMPOUND naming hello.txt"
assert all(r["nfs"].get("ops") for r in v4), "NFSv4 COMPOUND without ops"
stats = [r for r in recs if r["event_type"] == "stats"][-1]["stats"]
assert stats["capture"]["endpoints_learned"] > 0, stats["capture"]
kernel = stats["capture"]["kernel"]
for hook in ("xdp", "socket"):
    assert kernel[hook]["ringbuf_drops"] == 0, kernel
    assert kernel[hook]["track_lost_sync"] == 0, kernel
# The 4 MiB copy: WRITE and READ calls reported with their replies, their data skipped in the
# kernel (about 8 MiB on the wire), so user space got a small share of the bytes.
writes = [r for r in find(program=100003, version=3, procedure=7) if r["rpc"].get("reply")]
reads = [r for r in find(program=100003, version=3, procedure=6) if r["rpc"].get("reply")]
assert writes and reads, f"{len(writes)} WRITE and {len(reads)} READ calls with replies"
assert sum(r["nfs"].get("count", 0) for r in writes) >= 4194304, [r["nfs"] for r in writes]
wire = sum(kernel[h]["bytes_classified"] for h in kernel)
delivered = sum(kernel[h]["bytes_delivered"] for h in kernel)
skipped = sum(kernel[h]["bulk_bytes_skipped"] for h in kernel)
assert skipped >= 7 << 20, kernel
assert delivered * 10 < wire, f"delivered {delivered} of {wire} wire bytes"
print(f"ok: {len(rpc)} rpc records; MOUNT learned on port {mount_port}; {len(v4)} NFSv4 compounds; "
      f"bulk copy: {delivered} of {wire} wire bytes delivered ({100.0 * delivered / wire:.2f} %)")
PY
# The large READDIRPLUS reply: above one MTU on the wire (tshark), joined by the agent.
big=$(tshark -r "$OUT/live.pcap" -Y 'rpc.msgtyp == 1 && (rpc.procedure == 17 || rpc.procedure == 16) && rpc.program == 100003' \
      -T fields -e rpc.xid -e rpc.fraglen 2>/dev/null | awk '$2 > 1500 { print $1; exit }')
[[ -n "$big" ]] || { tshark -r "$OUT/live.pcap" -Y 'rpc.msgtyp == 1 && rpc.program == 100003' -T fields -e rpc.procedure -e rpc.fraglen | sort | uniq -c | head -20
                     fail "no READDIR/READDIRPLUS reply above one MTU in the capture"; }
/usr/bin/python3 - "$OUT/eve.json" "$big" <<'PY' || fail "the large READDIRPLUS reply is missing from the agent's records"
import json, sys
xid = int(sys.argv[2], 16) if sys.argv[2].startswith("0x") else int(sys.argv[2])
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x["event_type"] == "rpc" and x["rpc"].get("xid") == xid and x["rpc"].get("procedure") in (16, 17)]
assert r and r[0]["rpc"]["reply"] and r[0]["rpc"]["reply"]["accept_status"] == "success", r
assert r[0]["nfs"]["status"] == "NFS3_OK", r[0]
print(f"ok: READDIR(PLUS) xid {xid:#x} with its reply above one MTU")
PY
# The same traffic through tshark: every call it finds, the agent found, field by field.
/usr/bin/python3 "$REPO/tests/conformance/onc_tshark.py" --records "$OUT/eve.json" "$OUT/live.pcap" ||
    fail "live records disagree with tshark"
# libnfs as uid 0 from a client not allowed root: the alert fires live and offline alike.
/usr/bin/python3 "$REPO/tests/live/alerts_agree.py" "$RPCMON" "$OUT/eve.json" "$OUT/live.pcap" 1000070 ||
    fail "expected alerts missing, or live and offline disagree"
echo PASS
