#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Conformance: every connection-oriented DCE/RPC request tshark finds (TCP or SMB pipe) must be
an rpcmon `rpc` record with the same client port, call id and opnum; the interface (from the
bind tshark saw on that connection), auth type/level and reply kind (response or fault, with
the fault status) must agree.

  dcerpc_tshark.py RPCMON CAPTURE [tshark option ...]
"""
import collections
import json
import subprocess
import sys

FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "dcerpc.pkt_type", "dcerpc.cn_call_id",
          "dcerpc.opnum", "dcerpc.cn_ctx_id", "dcerpc.cn_bind_to_uuid", "dcerpc.cn_bind_if_ver",
          "dcerpc.cn_bind_if_ver_minor", "dcerpc.auth_type", "dcerpc.auth_level", "dcerpc.cn_status",
          "dcerpc.cn_flags.last_frag", "smb2.fid"]
AUTH_TYPE = {0: "none", 9: "SPNEGO", 10: "NTLMSSP", 16: "Kerberos", 68: "Netlogon"}
AUTH_LEVEL = {1: "none", 2: "connect", 3: "call", 4: "pkt", 5: "pkt_integrity", 6: "pkt_privacy"}


def rows(capture, extra):
    cmd = ["tshark", "-r", capture, *extra, "-Y", "dcerpc", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        v = line.split("\t")
        yield dict(zip(FIELDS, v + [""] * (len(FIELDS) - len(v))))


def main():
    rpcmon, capture, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    ctx = {}            # (stream, ctx_id) -> uuid
    requests = []
    replies = {}        # (client port, call_id) -> (ptype, status)
    for r in rows(capture, extra):
        types = r["dcerpc.pkt_type"].split(";")
        if len(types) != 1:
            continue  # several PDUs in one frame: the per-PDU fields cannot be paired reliably
        ptype = int(types[0])
        # Several named pipes share one TCP connection; each (pipe FID) has its own contexts.
        stream = (r["tcp.stream"], r["smb2.fid"].split(";")[0])
        call_id = int(r["dcerpc.cn_call_id"] or -1)
        if ptype in (11, 14):  # bind, alter_context
            uuids = [u for u in r["dcerpc.cn_bind_to_uuid"].split(";") if u]
            ctx_ids = [int(c) for c in r["dcerpc.cn_ctx_id"].split(";") if c]
            for c, u in zip(ctx_ids, uuids):
                ctx[(stream, c)] = u
        elif ptype == 0 and r["dcerpc.cn_flags.last_frag"] in ("1", "True", "true"):
            c = int(r["dcerpc.cn_ctx_id"] or -1)
            requests.append({"port": int(r["tcp.srcport"]), "call_id": call_id, "opnum": int(r["dcerpc.opnum"]),
                             "uuid": ctx.get((stream, c)),
                             "auth_type": int(r["dcerpc.auth_type"]) if r["dcerpc.auth_type"] else 0,
                             "auth_level": int(r["dcerpc.auth_level"]) if r["dcerpc.auth_level"] else None})
        elif ptype in (2, 3) and r["dcerpc.cn_flags.last_frag"] in ("1", "True", "true"):
            replies[(int(r["tcp.dstport"]), call_id)] = (ptype, r["dcerpc.cn_status"])
    out = subprocess.run([rpcmon, "analyze", capture], capture_output=True, text=True)
    mine = collections.defaultdict(list)
    for l in out.stdout.splitlines():
        rec = json.loads(l)
        if rec.get("event_type") == "rpc" and rec["rpc"].get("family") == "dcerpc":
            mine[(rec["src_port"], rec["rpc"]["call_id"], rec["rpc"].get("opnum"))].append(rec)
    n_mine = sum(len(v) for v in mine.values())
    errors = []
    for q in requests:
        key = (q["port"], q["call_id"], q["opnum"])
        if not mine.get(key):
            errors.append(f"port {q['port']} call_id {q['call_id']} opnum {q['opnum']}: request found by tshark, missing in rpcmon")
            continue
        rec = mine[key].pop(0)
        rpc = rec["rpc"]
        if q["uuid"] and rpc.get("interface", {}).get("uuid") != q["uuid"]:
            errors.append(f"{key}: interface {rpc.get('interface')} vs tshark {q['uuid']}")
        if q["auth_type"] and rpc.get("auth", {}).get("type") != AUTH_TYPE.get(q["auth_type"], q["auth_type"]):
            errors.append(f"{key}: auth type {rpc.get('auth')} vs tshark {q['auth_type']}")
        if q["auth_level"] and rpc.get("auth", {}).get("level") != AUTH_LEVEL.get(q["auth_level"]):
            errors.append(f"{key}: auth level {rpc.get('auth')} vs tshark {q['auth_level']}")
        rep = replies.get((q["port"], q["call_id"]))
        if rep:
            got = rpc.get("reply")
            want = "response" if rep[0] == 2 else "fault"
            if not got or got.get("packet_type") != want:
                errors.append(f"{key}: reply {got} vs tshark {want}")
            elif want == "fault" and rep[1] and int(got["status"], 16) != int(rep[1], 16):
                errors.append(f"{key}: fault status {got['status']} vs tshark {rep[1]}")
    print(f"{capture}: tshark {len(requests)} requests / {len(replies)} replies; rpcmon {n_mine} dcerpc records")
    for e in errors[:40]:
        print("  MISMATCH", e)
    if not requests:
        print("  FAIL: tshark found no requests")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
