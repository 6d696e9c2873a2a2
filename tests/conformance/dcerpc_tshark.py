#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Conformance: every connection-oriented DCE/RPC request tshark finds (TCP or SMB pipe) must be
an rpcmon `rpc` record with the same client port, call id and opnum; the interface (from the
bind tshark saw on that connection and pipe), its version, auth type/level, the named pipe (the
SMB create name of the request's FID), the reply kind (response or fault) and the reply status
(fault status; for responses the interface's return code where tshark's dissector exposes one)
must agree.

  dcerpc_tshark.py RPCMON CAPTURE [tshark option ...]          run `rpcmon analyze` on CAPTURE
  dcerpc_tshark.py --records EVE.json CAPTURE [tshark option ...]  compare a live agent's output

tshark always runs with tcp.try_heuristic_first (as tools/lab/capture.sh does): DCE/RPC on
ports tshark has no mapping for (EPM-assigned ports, ports < 1024) is otherwise handed to
whatever dissector owns the port number, and calls rpcmon finds would look like extras.
"""
import collections
import json
import subprocess
import sys

FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "dcerpc.pkt_type", "dcerpc.cn_call_id",
          "dcerpc.opnum", "dcerpc.cn_ctx_id", "dcerpc.cn_bind_to_uuid", "dcerpc.cn_bind_if_ver",
          "dcerpc.cn_bind_if_ver_minor", "dcerpc.auth_type", "dcerpc.auth_level", "dcerpc.cn_status",
          "dcerpc.cn_flags.last_frag", "dcerpc.drep.byteorder", "smb2.fid", "smb.fid", "smb.file",
          "frame.protocols"]
SMB_PORTS = {"139", "445"}
# The return value of a response as tshark's per-interface dissectors name it (the last
# occurrence in the frame is the operation's return value: NDR puts it after the out args).
RC_FIELDS = ["atsvc.status", "rpc_browser.rc", "clusapi.werror", "dnsserver.status", "dssetup.werror",
             "efs.werror", "eventlog.status", "frsrpc.werror", "frstrans.werror", "fsrvp.status",
             "initshutdown.werror", "iremotewinspool.werror", "lsarpc.status", "messenger.rc", "netdfs.werror",
             "netlogon.rc", "samr.status", "spoolss.rc", "srvsvc.werror", "svcctl.rc", "winreg.werror",
             "witness.werror", "wkssvc.werror", "drsuapi.rc", "mgmt.rc", "epm.rc", "dcom.hresult"]
AUTH_TYPE = {0: "none", 9: "SPNEGO", 10: "NTLMSSP", 16: "Kerberos", 68: "Netlogon"}
AUTH_LEVEL = {1: "none", 2: "connect", 3: "call", 4: "pkt", 5: "pkt_integrity", 6: "pkt_privacy"}
TSHARK_OPTS = ["-o", "tcp.try_heuristic_first:TRUE"]


def tshark(capture, extra, display_filter, fields):
    cmd = ["tshark", "-r", capture, *TSHARK_OPTS, *extra, "-Y", display_filter, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        v = line.split("\t")
        yield dict(zip(fields, v + [""] * (len(fields) - len(v))))


def first(v):
    return v.split(";")[0].split(",")[0]


def pipe_name(name):
    """'\\PIPE\\samr', '\\samr', 'samr' -> 'samr' (SMB names are case-insensitive)."""
    n = name.replace("/", "\\").lstrip("\\").lower()
    return n[5:] if n.startswith("pipe\\") else n


def smb2_pipe_names(capture, extra):
    """(tcp.stream, SMB2 FileId) -> create name. tshark shows the name on the CREATE request and
    the FileId on the response only, so join them by message id."""
    asked, names = {}, {}
    for r in tshark(capture, extra, "smb2.cmd == 5", ["tcp.stream", "smb2.flags.response", "smb2.msg_id",
                                                      "smb2.fid", "smb2.filename"]):
        resp = r["smb2.flags.response"].split(";")
        mids, fids, fnames = r["smb2.msg_id"].split(";"), r["smb2.fid"].split(";"), r["smb2.filename"].split(";")
        for i, mid in enumerate(mids):
            if i < len(resp) and resp[i] in ("0", "False") and i < len(fnames) and fnames[i]:
                asked[(r["tcp.stream"], mid)] = fnames[i]
            elif i < len(resp) and resp[i] in ("1", "True") and (r["tcp.stream"], mid) in asked and fids:
                names[(r["tcp.stream"], fids[min(i, len(fids) - 1)])] = asked[(r["tcp.stream"], mid)]
    return names


def return_code(r):
    """The response's return value as tshark decodes it, or None."""
    for f in RC_FIELDS:
        if r.get(f):
            return int(r[f].split(";")[-1], 0)
    return None


def tshark_calls(capture, extra):
    ctx = {}            # (tcp.stream, fid, ctx_id) -> (uuid, version or None)
    requests = []
    pending = {}        # (tcp.stream, call_id) -> [request], oldest first
    smb2_names = smb2_pipe_names(capture, extra)
    for r in tshark(capture, extra, "dcerpc", FIELDS + RC_FIELDS):
        types = r["dcerpc.pkt_type"].split(";")
        if len(types) != 1:
            continue  # several PDUs in one frame: the per-PDU fields cannot be paired reliably
        ptype = int(types[0])
        if SMB_PORTS & {r["tcp.srcport"], r["tcp.dstport"]} and ":smb" not in r["frame.protocols"]:
            # DCE/RPC bytes straight on TCP 139/445, outside SMB: the heuristic dissector finds
            # them (arkime dcerpc_synthetic.pcap), but ncacn_np is defined only inside SMB
            # (MS-RPCE 2.1.1.2) and no server parses PDUs there; rpcmon counts smb.bad_nbss.
            continue
        tcp_stream = r["tcp.stream"]
        # Several named pipes share one TCP connection (SMB1 and SMB2): each FID has its own
        # presentation contexts and call ids.
        fid = first(r["smb2.fid"]) or first(r["smb.fid"])
        stream = (tcp_stream, fid)
        call_id = int(r["dcerpc.cn_call_id"] or -1)
        last = r["dcerpc.cn_flags.last_frag"] in ("1", "True", "true")
        if ptype in (11, 14):  # bind, alter_context
            uuids = [u for u in r["dcerpc.cn_bind_to_uuid"].split(";") if u]
            ctx_ids = [int(c) for c in r["dcerpc.cn_ctx_id"].split(";") if c]
            majors = r["dcerpc.cn_bind_if_ver"].split(";")
            minors = r["dcerpc.cn_bind_if_ver_minor"].split(";")
            # tshark reads the version as one u_int32 and splits it (C706 12.6.3.1). MS-RPCE
            # 2.2.2.13 puts RPC_SYNTAX_IDENTIFIER there: two u_int16 (major, minor). Both read
            # the same in little-endian NDR; in big-endian the u_int32 reading swaps them, so
            # versions are only compared for little-endian PDUs (rpcmon follows MS-RPCE).
            le = first(r["dcerpc.drep.byteorder"]) in ("1", "")
            for i, (c, u) in enumerate(zip(ctx_ids, uuids)):
                ver = None
                if le and i < len(majors) and i < len(minors) and majors[i] and minors[i]:
                    ver = f"{int(majors[i])}.{int(minors[i])}"
                ctx[(stream, c)] = (u, ver)
        elif ptype == 0 and last:
            c = int(r["dcerpc.cn_ctx_id"] or -1)
            uuid, ver = ctx.get((stream, c), (None, None))
            pipe = None
            if first(r["smb.file"]):
                pipe = pipe_name(first(r["smb.file"]))
            elif fid and (tcp_stream, fid) in smb2_names:
                pipe = pipe_name(smb2_names[(tcp_stream, fid)])
            q = {"frame": r["frame.number"], "fid": fid, "port": int(r["tcp.srcport"]), "call_id": call_id,
                 "opnum": int(r["dcerpc.opnum"]), "uuid": uuid, "version": ver, "pipe": pipe,
                 "auth_type": int(r["dcerpc.auth_type"]) if r["dcerpc.auth_type"] else 0,
                 "auth_level": int(r["dcerpc.auth_level"]) if r["dcerpc.auth_level"] else None,
                 "reply": None}
            requests.append(q)
            pending.setdefault((tcp_stream, call_id), []).append(q)
        elif ptype in (2, 3) and last:
            # SMB2 READ responses carry no FileId: match by call id on the TCP connection,
            # preferring a request on the same FID when the reply names one.
            cands = pending.get((tcp_stream, call_id), [])
            same = [q for q in cands if not fid or q["fid"] == fid]
            q = (same or cands or [None])[0]
            if q is None:
                continue
            cands.remove(q)
            status = r["dcerpc.cn_status"]
            q["reply"] = (ptype, int(first(status), 16) if status else None,
                          return_code(r) if ptype == 2 else None)
    return requests


def rpcmon_records(rpcmon, capture, records_file):
    if records_file:
        with open(records_file) as f:
            lines = f.read().splitlines()
    else:
        lines = subprocess.run([rpcmon, "analyze", capture], capture_output=True, text=True).stdout.splitlines()
    mine = collections.defaultdict(list)
    for line in lines:
        rec = json.loads(line)
        if rec.get("event_type") == "rpc" and rec["rpc"].get("family") == "dcerpc":
            mine[(rec["src_port"], rec["rpc"]["call_id"], rec["rpc"].get("opnum"))].append(rec)
    return mine


def compare(q, rec):
    key = (q["port"], q["call_id"], q["opnum"])
    rpc = rec["rpc"]
    errors = []
    iface = rpc.get("interface", {})
    if q["uuid"] and iface.get("uuid") != q["uuid"]:
        errors.append(f"{key}: interface {rpc.get('interface')} vs tshark {q['uuid']}")
    elif q["uuid"] and q["version"] and iface.get("version") != q["version"]:
        errors.append(f"{key}: interface version {iface.get('version')} vs tshark {q['version']}")
    if q["auth_type"] and rpc.get("auth", {}).get("type") != AUTH_TYPE.get(q["auth_type"], q["auth_type"]):
        errors.append(f"{key}: auth type {rpc.get('auth')} vs tshark {q['auth_type']}")
    if q["auth_level"] and rpc.get("auth", {}).get("level") != AUTH_LEVEL.get(q["auth_level"]):
        errors.append(f"{key}: auth level {rpc.get('auth')} vs tshark {q['auth_level']}")
    if q["pipe"] and pipe_name(rpc.get("named_pipe", "")) != q["pipe"]:
        errors.append(f"{key}: named_pipe {rpc.get('named_pipe')!r} vs tshark {q['pipe']!r}")
    if q["reply"]:
        ptype, fault_status, rc = q["reply"]
        got = rpc.get("reply")
        want = "response" if ptype == 2 else "fault"
        if not got or got.get("packet_type") != want:
            errors.append(f"{key}: reply {got} vs tshark {want}")
        elif want == "fault" and fault_status is not None and int(got.get("status", "-1"), 16) != fault_status:
            errors.append(f"{key}: fault status {got.get('status')} vs tshark {fault_status:#010x}")
        elif want == "response" and rc is not None and "status" in got and int(got["status"], 16) != rc:
            errors.append(f"{key}: return code {got['status']} vs tshark {rc:#010x}")
    return errors


def main():
    args = sys.argv[1:]
    records_file = None
    if args and args[0] == "--records":
        records_file, args = args[1], args[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    rpcmon, capture, extra = args[0], args[1], args[2:]
    requests = tshark_calls(capture, extra)
    mine = rpcmon_records(rpcmon, capture, records_file)
    n_mine = sum(len(v) for v in mine.values())
    errors = []
    checked = collections.Counter()
    for q in requests:
        key = (q["port"], q["call_id"], q["opnum"])
        if not mine.get(key):
            errors.append(f"port {q['port']} call_id {q['call_id']} opnum {q['opnum']} (frame {q['frame']}): "
                          "request found by tshark, missing in rpcmon")
            continue
        rec = mine[key].pop(0)
        errors += compare(q, rec)
        checked["pipe"] += bool(q["pipe"])
        checked["replies"] += bool(q["reply"])
        checked["return codes"] += bool(q["reply"] and q["reply"][2] is not None and "status" in (rec["rpc"].get("reply") or {}))
    print(f"{capture}: tshark {len(requests)} requests / {checked['replies']} replies; rpcmon {n_mine} dcerpc records;"
          f" checked {checked['pipe']} named pipes, {checked['return codes']} return codes")
    for e in errors[:40]:
        print("  MISMATCH", e)
    if not requests:
        print("  FAIL: tshark found no requests")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
