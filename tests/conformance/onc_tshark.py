#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Conformance: rpcmon and tshark read the same capture; every ONC RPC call tshark finds must be
an rpcmon `rpc` record, and field by field (xid, program, version, procedure, credential flavor,
uid, gid, machine name, accept status, NFS status, MOUNT path, file names) the two must agree.

  onc_tshark.py RPCMON CAPTURE [tshark option ...]
  onc_tshark.py --records EVE.json CAPTURE     compare a live agent's output with a capture
                                               taken at the same time

tshark runs with TCP heuristics first so NFS from privileged client ports is decoded as RPC
(rpcmon classifies by the server side and content, never by the lower port number). The number
-> name tables below are written from the RFCs, independently of rpcmon's own tables.
"""
import collections
import json
import subprocess
import sys

AUTH = {0: "AUTH_NULL", 1: "AUTH_UNIX", 2: "AUTH_SHORT", 3: "AUTH_DH", 6: "RPCSEC_GSS", 7: "AUTH_TLS"}
ACCEPT = {0: "success", 1: "prog_unavail", 2: "prog_mismatch", 3: "proc_unavail", 4: "garbage_args", 5: "system_err"}
# RFC 1813 section 2.6 (nfsstat3) and RFC 7530 section 13 (nfsstat4), the values seen in practice.
NFS3 = {0: "NFS3_OK", 1: "NFS3ERR_PERM", 2: "NFS3ERR_NOENT", 5: "NFS3ERR_IO", 13: "NFS3ERR_ACCES", 17: "NFS3ERR_EXIST",
        20: "NFS3ERR_NOTDIR", 21: "NFS3ERR_ISDIR", 22: "NFS3ERR_INVAL", 28: "NFS3ERR_NOSPC", 66: "NFS3ERR_NOTEMPTY",
        70: "NFS3ERR_STALE", 10001: "NFS3ERR_BADHANDLE", 10004: "NFS3ERR_NOTSUPP", 10008: "NFS3ERR_JUKEBOX"}
NFS4 = {0: "NFS4_OK", 1: "NFS4ERR_PERM", 2: "NFS4ERR_NOENT", 13: "NFS4ERR_ACCES", 17: "NFS4ERR_EXIST",
        10008: "NFS4ERR_DELAY", 10020: "NFS4ERR_NOFILEHANDLE", 10013: "NFS4ERR_GRACE", 10022: "NFS4ERR_STALE_CLIENTID",
        10052: "NFS4ERR_BADSESSION", 10063: "NFS4ERR_SEQ_MISORDERED", 10071: "NFS4ERR_NOT_ONLY_OP"}
FIELDS = ["frame.number", "rpc.xid", "rpc.msgtyp", "rpc.program", "rpc.programversion", "rpc.procedure",
          "rpc.auth.flavor", "rpc.auth.uid", "rpc.auth.gid", "rpc.auth.machinename", "rpc.state_accept",
          "nfs.status3", "nfs.nfsstat4", "nfs.name", "mount.path", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]


def tshark(capture, extra):
    cmd = ["tshark", "-r", capture, "-o", "tcp.try_heuristic_first:TRUE", "-o", "rpc.desegment_rpc_over_tcp:TRUE",
           *extra, "-Y", "rpc", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        vals = line.split("\t")
        rows.append(dict(zip(FIELDS, vals + [""] * (len(FIELDS) - len(vals)))))
    return rows


def first_int(s, base=10):
    s = s.split(";")[0].split(",")[0]
    return int(s, base) if s else None


def main():
    rpcmon, capture, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    capture_records = None
    if rpcmon == "--records":
        capture_records, capture, extra = sys.argv[2], sys.argv[3], sys.argv[4:]
    rows = tshark(capture, extra)
    # One tshark frame may carry several RPC messages; fields then repeat, ';'-separated.
    calls, replies = [], {}
    for r in rows:
        xids = r["rpc.xid"].split(";")
        kinds = r["rpc.msgtyp"].split(";")
        for i, (x, k) in enumerate(zip(xids, kinds)):
            if not x:
                continue  # tshark shows an RPC fragment without a header in this frame
            xid = int(x, 16)
            if k == "0":
                if len(xids) > 1 and i > 0:
                    calls.append({"xid": xid, "multi": True})
                    continue
                calls.append({
                    "xid": xid, "program": first_int(r["rpc.program"]), "version": first_int(r["rpc.programversion"]),
                    "procedure": first_int(r["rpc.procedure"]), "flavor": first_int(r["rpc.auth.flavor"]),
                    "uid": first_int(r["rpc.auth.uid"]), "gid": first_int(r["rpc.auth.gid"]),
                    "machine": r["rpc.auth.machinename"].split(";")[0] or None,
                    "names": [n for n in r["nfs.name"].split(";") if n], "mount_path": r["mount.path"].split(";")[0] or None})
            elif len(xids) == 1:
                replies[xid] = {"accept": first_int(r["rpc.state_accept"]), "nfs3": first_int(r["nfs.status3"]),
                                "nfs4": first_int(r["nfs.nfsstat4"])}
    if rpcmon == "--records":
        with open(capture_records) as f:
            recs = [json.loads(l) for l in f if l.strip()]
    else:
        out = subprocess.run([rpcmon, "analyze", capture], capture_output=True, text=True)
        recs = [json.loads(l) for l in out.stdout.splitlines()]
    onc = collections.defaultdict(list)
    for rec in recs:
        if rec.get("event_type") == "rpc" and rec["rpc"].get("family") == "onc":
            onc[rec["rpc"]["xid"]].append(rec)

    n_calls, n_replies, n_recs = len(calls), len(replies), sum(len(v) for v in onc.values())
    errors = []
    def check(what, xid, got, want):
        if want is not None and got != want:
            errors.append(f"xid {xid:#x}: {what}: rpcmon {got!r}, tshark {want!r}")

    for c in calls:
        xid = c["xid"]
        if not onc.get(xid):
            errors.append(f"xid {xid:#x}: call found by tshark, missing in rpcmon")
            continue
        if c.get("multi"):
            continue
        cands = [r for r in onc[xid] if r["rpc"].get("procedure") == c["procedure"] and r["rpc"].get("program") == c["program"]]
        if not cands:
            errors.append(f"xid {xid:#x}: no rpcmon record with program {c['program']} procedure {c['procedure']}")
            continue
        # Calls that reuse an XID (crafted captures, retransmissions) pair up in order.
        rec = cands[0]
        if len(cands) > 1:
            onc[xid].remove(rec)
        rpc = rec["rpc"]
        check("version", xid, rpc.get("version"), c["version"])
        check("cred flavor", xid, rpc.get("cred", {}).get("flavor"), AUTH.get(c["flavor"], c["flavor"]))
        check("uid", xid, rpc.get("cred", {}).get("uid"), c["uid"])
        check("gid", xid, rpc.get("cred", {}).get("gid"), c["gid"])
        check("machine name", xid, rpc.get("cred", {}).get("machine_name"), c["machine"])
        if c["mount_path"] and c["program"] == 100005:
            check("mount path", xid, rec.get("mount", {}).get("path"), c["mount_path"])
        if c["names"] and c["program"] == 100003:
            nfs = rec.get("nfs", {})
            mine = set(nfs.get("names", [])) | {v for v in (nfs.get("name"), nfs.get("rename_to"), nfs.get("symlink_target")) if v}
            missing = [n for n in c["names"] if n not in mine]
            if missing:
                errors.append(f"xid {xid:#x}: file names {missing} seen by tshark, rpcmon has {sorted(mine)}")
        rep = replies.pop(xid, None)
        if rep:
            reply = rpc.get("reply")
            if reply is None:
                errors.append(f"xid {xid:#x}: tshark saw the reply, rpcmon reports reply null")
                continue
            check("accept status", xid, reply.get("accept_status"), ACCEPT.get(rep["accept"], rep["accept"]) if rep["accept"] is not None else None)
            if c["program"] == 100003 and c["version"] == 3 and rep["nfs3"] is not None:
                check("nfs status", xid, rec.get("nfs", {}).get("status"), NFS3.get(rep["nfs3"], rep["nfs3"]))
            if c["program"] == 100003 and c["version"] == 4 and rep["nfs4"] is not None:
                check("nfs status", xid, rec.get("nfs", {}).get("status"), NFS4.get(rep["nfs4"], rep["nfs4"]))
    print(f"{capture}: tshark {n_calls} calls / {n_replies} replies; rpcmon {n_recs} onc records")
    for e in errors[:40]:
        print("  MISMATCH", e)
    if len(errors) > 40:
        print(f"  ... {len(errors) - 40} more")
    if not calls:
        print("  FAIL: tshark found no calls - the capture or the tshark options are wrong")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
