#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Live SMB / DCE/RPC-over-named-pipes test: a standalone smbd in the lab's server namespace, the
# agent on the server's veth, Samba clients in the client namespace. Checks that
#   - smb_session records carry user, domain, host and dialect;
#   - rpcclient's srvsvc / samr / lsarpc calls over \PIPE\... are dissected with the named pipe,
#     interface, opnum + operation, call id and the reply status;
#   - a session with SMB3 encryption (smbd restarted with `server smb encrypt = if_required`,
#     smbclient requiring it) is reported with smb.encrypted true and yields no cleartext rpc;
#   - a 4 MiB smbclient put and get: the kernel skips the file data (bytes delivered to user
#     space stay a small share of the wire bytes) while the pipe calls stay complete;
#   - no ring-buffer drops, and the agent's records agree with tshark on a capture taken at the
#     same time (tests/conformance/dcerpc_tshark.py --records).
# Usage: live_smb_test.sh RPCMON_BINARY     (exit 77 = skipped, with the reason)
set -euo pipefail
RPCMON=$(readlink -f "$1")
# shellcheck source=tests/live/common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
REPO=$LIVE_REPO
live_setup "smb$$" smbd smbpasswd rpcclient smbclient tcpdump tshark
SMB_ENCRYPT=off "$REPO/tools/lab/smb_server.sh" start "$LAB" >"$OUT/server.log" 2>&1 ||
    { cat "$OUT/server.log"; fail "smbd did not start"; }
# shellcheck disable=SC1091
source "$STATE/smb.env"

lab_spawn "$LAB_SRV_NS" "$STATE/tcpdump.pid" "$OUT/tcpdump.log" \
    tcpdump -Z root --immediate-mode -i "$LAB_SRV_IF" -s 0 -U -w "$OUT/live.pcap" >/dev/null
AGENT=$(start_agent "$OUT/eve.json")
for _ in $(seq 100); do grep -q 'listening on' "$OUT/tcpdump.log" && break; sleep 0.05; done

cred="$LAB_SMB_USER%$LAB_SMB_PASS"
lab_exec "$LAB_CLI_NS" timeout 30 rpcclient -U "$cred" "$LAB_SRV_IP" \
    -c 'srvinfo;netshareenumall;enumdomusers;lsaquery' >"$OUT/rpcclient.txt" 2>&1 ||
    { cat "$OUT/rpcclient.txt"; fail "rpcclient failed"; }
lab_exec "$LAB_CLI_NS" timeout 30 smbclient -L "$LAB_SRV_IP" -U "$cred" >"$OUT/smbclient.txt" 2>&1 ||
    { cat "$OUT/smbclient.txt"; fail "smbclient -L failed"; }
grep -q "$LAB_SMB_SHARE" "$OUT/smbclient.txt" || fail "smbclient -L did not list the share"
head -c 4194304 /dev/urandom >"$OUT/bulk.bin"
chmod 0644 "$OUT/bulk.bin"
lab_exec "$LAB_CLI_NS" timeout 30 smbclient "//$LAB_SRV_IP/$LAB_SMB_SHARE" -U "$cred" \
    -c "put $OUT/bulk.bin bulk.bin; get bulk.bin $OUT/back.bin" >"$OUT/smbclient-bulk.txt" 2>&1 ||
    { cat "$OUT/smbclient-bulk.txt"; fail "smbclient put/get failed"; }
cmp -s "$OUT/bulk.bin" "$OUT/back.bin" || fail "smbclient round trip differs"

# Encrypted session: smbd must allow encryption for a client that requires it.
"$REPO/tools/lab/smb_server.sh" stop "$LAB" >>"$OUT/server.log" 2>&1
SMB_ENCRYPT=if_required "$REPO/tools/lab/smb_server.sh" start "$LAB" >>"$OUT/server.log" 2>&1 ||
    { cat "$OUT/server.log"; fail "smbd (if_required) did not start"; }
lab_exec "$LAB_CLI_NS" timeout 30 smbclient --option='client smb encrypt=required' \
    "//$LAB_SRV_IP/$LAB_SMB_SHARE" -U "$cred" -c 'ls' >"$OUT/smbclient-enc.txt" 2>&1 ||
    { cat "$OUT/smbclient-enc.txt"; fail "encrypted smbclient failed"; }
grep -q readme.txt "$OUT/smbclient-enc.txt" || fail "encrypted smbclient did not list the share"
sleep 1.5   # last replies, and one more stats line
stop_agent "$AGENT"
lab_stop_pidfile "$STATE/tcpdump.pid" 5

/usr/bin/python3 - "$OUT/eve.json" "$LAB_CLI_IP" "$LAB_SRV_IP" "$LAB_SMB_USER" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cli, srv, user = sys.argv[2], sys.argv[3], sys.argv[4]
sessions = [r for r in recs if r["event_type"] == "smb_session"]
assert sessions, "no smb_session record"
for s in sessions:
    assert s["src_ip"] == cli and s["dest_ip"] == srv and s["dest_port"] == 445, s
    for k in ("user", "domain", "host", "dialect"):
        assert s["smb"].get(k), f"smb_session without {k}: {s}"
    assert s["smb"]["user"] == user, s
plain = [s for s in sessions if s["smb"].get("encrypted") is False]
enc = [s for s in sessions if s["smb"].get("encrypted") is True]
assert plain, "no unencrypted smb_session"
assert enc, f"no smb_session with smb.encrypted true: {[s['smb'] for s in sessions]}"
assert all(s["smb"]["dialect"].startswith("3.") for s in enc), enc

rpc = [r for r in recs if r["event_type"] == "rpc" and r["rpc"]["family"] == "dcerpc"]
enc_flows = {s["flow_id"] for s in enc}
assert not [r for r in rpc if r["flow_id"] in enc_flows], "cleartext rpc records on an encrypted session"

def calls(pipe, iface, ops):
    return [r for r in rpc if r["rpc"].get("named_pipe") == pipe
            and r["rpc"].get("interface", {}).get("name") == iface and r["rpc"].get("operation") in ops]
want = [("srvsvc", "srvsvc", {"NetrShareEnum", "NetrShareEnumAll"}),
        ("srvsvc", "srvsvc", {"NetrServerGetInfo"}),
        ("samr", "samr", {"SamrEnumerateUsersInDomain"}),
        ("lsarpc", "lsarpc", {"LsarQueryInformationPolicy", "LsarQueryInformationPolicy2"})]
for pipe, iface, ops in want:
    got = calls(pipe, iface, ops)
    assert got, f"no {iface} {sorted(ops)} over \\PIPE\\{pipe}"
    r = got[0]
    x = r["rpc"]
    assert r["src_ip"] == cli and r["dest_port"] == 445 and r["proto"] == "TCP", r
    assert isinstance(x["call_id"], int) and isinstance(x["opnum"], int), x
    assert x["interface"]["uuid"] and x["interface"]["version"], x
    assert x["reply"] and x["reply"]["packet_type"] == "response", x
    assert x["reply"]["status"] == "0x00000000", x
    assert x["latency_us"] >= 0 and r["smb"]["user"] == user and r["smb"]["share"].upper() == "IPC$", r
share_enum = calls("srvsvc", "srvsvc", {"NetrShareEnum", "NetrShareEnumAll"})
assert len(share_enum) >= 2, "expected NetrShareEnum from both rpcclient and smbclient -L"
stats = [r for r in recs if r["event_type"] == "stats"][-1]["stats"]
kernel = stats["capture"]["kernel"]
for hook in ("xdp", "socket"):
    assert kernel[hook]["ringbuf_drops"] == 0, kernel
    assert kernel[hook]["track_lost_sync"] == 0, kernel
# The 4 MiB put and get (about 8 MiB on the wire): file data skipped in the kernel.
wire = sum(kernel[h]["bytes_classified"] for h in kernel)
delivered = sum(kernel[h]["bytes_delivered"] for h in kernel)
assert sum(kernel[h]["bulk_bytes_skipped"] for h in kernel) >= 7 << 20, kernel
assert delivered * 10 < wire, f"delivered {delivered} of {wire} wire bytes"
print(f"ok: {len(sessions)} smb_session ({len(enc)} encrypted), {len(rpc)} dcerpc records over pipes "
      f"{sorted({r['rpc'].get('named_pipe') for r in rpc})}; bulk copy: {delivered} of {wire} wire bytes "
      f"delivered ({100.0 * delivered / wire:.2f} %)")
PY
# The same traffic through tshark: every request it finds, the agent found, field by field
# (interface, opnum, auth, named pipe, reply kind and status).
/usr/bin/python3 "$REPO/tests/conformance/dcerpc_tshark.py" --records "$OUT/eve.json" "$OUT/live.pcap" ||
    fail "live records disagree with tshark"
echo PASS
