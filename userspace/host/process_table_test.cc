// SPDX-License-Identifier: Apache-2.0
#include "host/process_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

using namespace rpcmon;

namespace {

struct Collect : RecordSink {
    std::vector<Json> recs;
    void emit(Json&& r) override { recs.push_back(std::move(r)); }
};

rpcmon_host_conn_record conn(uint8_t role, const char* comm, uint32_t pid, uint32_t netns = 0) {
    rpcmon_host_conn_record r{};
    r.hdr.type = RPCMON_REC_HOST_CONN;
    r.hdr.size = sizeof r;
    uint8_t srv[4] = {10, 0, 0, 2}, cli[4] = {10, 0, 0, 1};
    r.local_addr[10] = r.local_addr[11] = r.remote_addr[10] = r.remote_addr[11] = 0xff;
    bool server = role == RPCMON_HOST_CONN_SERVER;
    std::memcpy(r.local_addr + 12, server ? srv : cli, 4);
    std::memcpy(r.remote_addr + 12, server ? cli : srv, 4);
    r.local_port = server ? 445 : 40000;
    r.remote_port = server ? 40000 : 445;
    r.role = role;
    r.tgid = r.pid = pid;
    r.uid = 7;
    r.netns = netns;
    std::snprintf(r.comm, sizeof r.comm, "%s", comm);
    return r;
}

Json record(uint16_t sport) {
    return {{"event_type", "rpc"}, {"src_ip", "10.0.0.1"}, {"src_port", sport}, {"dest_ip", "10.0.0.2"}, {"dest_port", 445}};
}

TEST(ProcessTable, WireRecordsGainTheLocalProcess) {
    Collect out;
    host::ProcessTable t(out);
    t.emit(record(40000));  // nothing known yet: passes unchanged
    t.onConnection(conn(RPCMON_HOST_CONN_CLIENT, "python3", 100));
    t.emit(record(40000));
    t.onConnection(conn(RPCMON_HOST_CONN_SERVER, "smbd", 200));   // the serving side wins
    t.onConnection(conn(RPCMON_HOST_CONN_CLIENT, "python3", 100));
    t.emit(record(40000));
    t.emit(record(40001));  // another connection: unknown
    Json own = record(40000);
    own["process"] = {{"pid", 1}};  // host records bring their own
    t.emit(std::move(own));
    ASSERT_EQ(out.recs.size(), 5u);
    EXPECT_FALSE(out.recs[0].contains("process"));
    EXPECT_EQ(out.recs[1]["process"]["name"], "python3");
    EXPECT_EQ(out.recs[2]["process"]["name"], "smbd");
    EXPECT_EQ(out.recs[2]["process"]["pid"], 200);
    EXPECT_EQ(out.recs[2]["process"]["uid"], 7);
    EXPECT_FALSE(out.recs[3].contains("process"));
    EXPECT_EQ(out.recs[4]["process"]["pid"], 1);
    EXPECT_EQ(t.stats()["records_attributed"], 2);
}

// An agent on the client's link (both ends on one kernel, as in a lab): the caller in the
// agent's network namespace names the flow, not the server across the link.
TEST(ProcessTable, OwnNetworkNamespaceFirst) {
    Collect out;
    host::ProcessTable t(out);
    t.setOwnNetns(4026531992u);
    t.onConnection(conn(RPCMON_HOST_CONN_CLIENT, "python3", 100, 4026531992u));
    t.onConnection(conn(RPCMON_HOST_CONN_SERVER, "smbd", 200, 4026532500u));
    t.emit(record(40000));
    // The server side's own agent (its namespace) sees smbd for the same flow.
    host::ProcessTable srv(out);
    srv.setOwnNetns(4026532500u);
    srv.onConnection(conn(RPCMON_HOST_CONN_CLIENT, "python3", 100, 4026531992u));
    srv.onConnection(conn(RPCMON_HOST_CONN_SERVER, "smbd", 200, 4026532500u));
    srv.emit(record(40000));
    ASSERT_EQ(out.recs.size(), 2u);
    EXPECT_EQ(out.recs[0]["process"]["name"], "python3");
    EXPECT_EQ(out.recs[1]["process"]["name"], "smbd");
}

}  // namespace
