// SPDX-License-Identifier: Apache-2.0
// Test helpers: records in the exact shape of tests/golden/expected/*.jsonl, golden-file
// loading and a Detector run that collects alerts.
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "detect/detector.h"

namespace rpcmon::detect::test {

struct CollectSink : RecordSink {
    std::vector<Json> out;
    void emit(Json&& r) override { out.push_back(std::move(r)); }
};

inline std::string goldenPath(const std::string& name) {
    return std::string(RPCMON_SOURCE_DIR) + "/tests/golden/expected/" + name + ".jsonl";
}

inline std::vector<Json> loadGolden(const std::string& name) {
    std::vector<Json> v;
    std::ifstream in(goldenPath(name));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        v.push_back(Json::parse(line));
    }
    return v;
}

// 2026-11-24T10:00:00 + offset seconds.
inline std::string ts(double offset_s) {
    return formatTimestamp(TimeNs(1795514400ull) * 1000000000ull + TimeNs(offset_s * 1e9));
}

inline Json base(const char* et, const std::string& src, const std::string& dst, int dport, double t,
                 uint64_t flow = 1, int sport = 49700) {
    Json r;
    r["timestamp"] = ts(t);
    r["flow_id"] = flow;
    r["event_type"] = et;
    r["src_ip"] = src;
    r["src_port"] = sport;
    r["dest_ip"] = dst;
    r["dest_port"] = dport;
    r["proto"] = "TCP";
    return r;
}

// A DCE/RPC call over TCP (pipe empty) or over an SMB named pipe, as the dcerpc layer writes it.
inline Json dce(const std::string& src, const std::string& dst, const std::string& uuid, int opnum,
                double t = 0, Json args = nullptr, const std::string& level = "pkt_privacy",
                const std::string& pipe = "", uint64_t flow = 1) {
    Json r = base("rpc", src, dst, pipe.empty() ? 49667 : 445, t, flow);
    Json rpc;
    rpc["family"] = "dcerpc";
    rpc["call_id"] = 2;
    rpc["interface"] = {{"uuid", uuid}, {"version", "1.0"}};
    rpc["opnum"] = opnum;
    rpc["auth"] = {{"type", level == "none" ? "none" : "NTLMSSP"}, {"level", level}};
    if (!pipe.empty()) rpc["named_pipe"] = pipe;
    rpc["reply"] = {{"packet_type", "response"}, {"status", "0x00000000"}};
    rpc["latency_us"] = 300;
    if (!args.is_null()) rpc["args"] = args;
    r["rpc"] = rpc;
    if (!pipe.empty()) r["smb"] = {{"user", "alice"}, {"domain", "LAB"}, {"share", "IPC$"}, {"dialect", "3.1.1"}};
    return r;
}

// An ONC RPC call with AUTH_UNIX credentials (uid < 0: AUTH_NULL).
inline Json onc(const std::string& src, const std::string& dst, uint32_t prog, int vers, int proc, double t = 0,
                int uid = 1000, int gid = 1000, uint32_t xid = 1, uint64_t flow = 1, int dport = 2049) {
    Json r = base("rpc", src, dst, dport, t, flow, 800);
    Json rpc;
    rpc["family"] = "onc";
    rpc["xid"] = xid;
    rpc["program"] = prog;
    rpc["version"] = vers;
    rpc["procedure"] = proc;
    if (uid >= 0)
        rpc["cred"] = {{"flavor", "AUTH_UNIX"}, {"machine_name", "client"}, {"uid", uid}, {"gid", gid},
                       {"gids", Json::array()}, {"stamp", 42}};
    else
        rpc["cred"] = {{"flavor", "AUTH_NULL"}};
    rpc["verifier"] = {{"flavor", "AUTH_NULL"}};
    rpc["reply"] = {{"status", "accepted"}, {"accept_status", "success"}};
    rpc["latency_us"] = 200;
    r["rpc"] = rpc;
    return r;
}

inline Json smbPipe(const std::string& src, const std::string& dst, const std::string& pipe, double t = 0,
                    uint64_t flow = 1) {
    Json r = base("smb_pipe", src, dst, 445, t, flow);
    r["smb"] = {{"user", "alice"}, {"domain", "LAB"}, {"share", "IPC$"}, {"dialect", "3.1.1"},
                {"session_id", 77}, {"pipe", pipe}, {"status", "STATUS_SUCCESS"}};
    return r;
}

inline Json smbSession(const std::string& src, const std::string& dst, const std::string& auth, double t = 0,
                       uint64_t flow = 1, const std::string& status = "STATUS_SUCCESS") {
    Json r = base("smb_session", src, dst, 445, t, flow);
    r["smb"] = {{"dialect", "3.1.1"}, {"session_id", 77}, {"auth", auth}, {"encrypted", false}, {"status", status}};
    if (auth != "anonymous") r["smb"]["user"] = "alice";
    return r;
}

// The typed event of a record built above (what the protocol layers hand the detector);
// throws when the record is not one eventFromJson reads.
inline Event event(const Json& r) { return eventFromJson(r).value(); }

struct Outcome {
    std::vector<Json> alerts;
    std::map<uint32_t, int> sids;  // sid -> alert lines
    bool fired(uint32_t sid) const { return sids.count(sid) > 0; }
    const Json* first(uint32_t sid) const {
        for (const auto& a : alerts)
            if (a["alert"]["signature_id"] == sid) return &a;
        return nullptr;
    }
};

// Baselines are off unless the YAML turns them on, so signature tests see signatures only.
inline Outcome run(const std::vector<Json>& records, const std::string& yaml = "") {
    CollectSink sink;
    DetectorOptions o;
    o.rules_text = "baseline: {enabled: false}\n" + yaml;
    Detector d(o, sink);
    for (const auto& r : records) d.onRecord(r);
    d.flush();
    Outcome out;
    out.alerts = sink.out;
    for (const auto& a : sink.out) out.sids[a["alert"]["signature_id"].get<uint32_t>()]++;
    return out;
}

}  // namespace rpcmon::detect::test
