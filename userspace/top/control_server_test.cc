// SPDX-License-Identifier: Apache-2.0
// The control socket without an agent: permissions, request/answer, many requests on one
// connection, the client bound, stale sockets, and the "no agent" message.
#include "top/control_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <thread>

namespace rpcmon::top {
namespace {

class ControlServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/rpcmon-ctl-XXXXXX";
        ASSERT_TRUE(mkdtemp(tmpl));
        dir_ = tmpl;
        path_ = dir_ + "/sub/rpcmon.sock";
    }
    void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
    // Runs the client on a thread while this thread polls the server (as the agent loop does).
    Json ask(ControlServer& srv, ControlClient& cli, const Json& req) {
        auto f = std::async(std::launch::async, [&] { return cli.request(req, 2000); });
        while (f.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) srv.poll(answer_);
        return f.get();
    }
    std::string dir_, path_;
    int answered_ = 0;
    ControlServer::Answer answer_ = [this](const Json& req) -> Json {
        answered_++;
        return Json{{"cmd", req.value("cmd", "")}, {"n", answered_}};
    };
};

TEST_F(ControlServerTest, SocketAndNewDirectoryArePrivate) {
    ControlServerOptions o;
    o.path = path_;
    ControlServer srv(o);
    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // no --control-group: root only
    ASSERT_EQ(stat((dir_ + "/sub").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0750u);
}

TEST_F(ControlServerTest, WorldWritableDirectoryIsRefused) {
    std::string dir = dir_ + "/open";
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
    ControlServerOptions o;
    o.path = dir + "/rpcmon.sock";
    EXPECT_THROW(ControlServer srv(o), std::runtime_error);
    ASSERT_EQ(chmod(dir.c_str(), 01777), 0);  // sticky (like /tmp): others cannot replace it
    ControlServer srv(o);
    struct stat st;
    ASSERT_EQ(stat(o.path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlServerTest, AnswersEveryLineOnOneConnection) {
    ControlServerOptions o;
    o.path = path_;
    ControlServer srv(o);
    ControlClient cli(path_);
    EXPECT_EQ(ask(srv, cli, {{"cmd", "snapshot"}})["n"], 1);
    EXPECT_EQ(ask(srv, cli, {{"cmd", "snapshot"}, {"bpf_stats", true}})["n"], 2);
    EXPECT_EQ(srv.bpfClients(), 1u);
    EXPECT_EQ(srv.clients(), 1u);
}

TEST_F(ControlServerTest, ClientsAreBoundedAndClosedOnesForgotten) {
    ControlServerOptions o;
    o.path = path_;
    o.max_clients = 2;
    ControlServer srv(o);
    {
        ControlClient a(path_), b(path_);
        ask(srv, a, "snapshot");
        ask(srv, b, "snapshot");
        ControlClient c(path_);
        EXPECT_THROW(ask(srv, c, "snapshot"), std::runtime_error);  // "too many clients"
    }
    for (int i = 0; i < 10; i++) srv.poll(answer_);
    EXPECT_EQ(srv.clients(), 0u);
}

TEST_F(ControlServerTest, StaleSocketIsReplacedLiveOneIsNot) {
    ControlServerOptions o;
    o.path = path_;
    {
        ControlServer first(o);
        EXPECT_THROW(ControlServer second(o), std::runtime_error);  // another agent answers
    }
    // A dead agent's socket file: bind a socket, close it without unlinking.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    close(fd);
    ControlServer again(o);
    ControlClient cli(path_);
    EXPECT_EQ(ask(again, cli, "snapshot")["cmd"], "snapshot");
}

TEST_F(ControlServerTest, NoAgentMessage) {
    try {
        ControlClient cli(dir_ + "/nothing.sock");
        FAIL() << "connected to nothing";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no rpcmon agent at " + dir_ + "/nothing.sock: is `rpcmon agent` running?"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(ControlServerTest, ControlGroupOwnsSocketAndNewDirectory) {
    group* g = getgrnam("daemon");
    if (geteuid() != 0 || !g) GTEST_SKIP() << "needs root and a `daemon` group";
    ControlServerOptions o;
    o.path = path_;
    o.group = "daemon";
    ControlServer srv(o);
    struct stat st;
    ASSERT_EQ(stat(path_.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, g->gr_gid);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    ASSERT_EQ(stat((dir_ + "/sub").c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, g->gr_gid);
}

TEST_F(ControlServerTest, UnknownGroupIsAClearError) {
    ControlServerOptions o;
    o.path = path_;
    o.group = "no-such-group-rpcmon";
    EXPECT_THROW(ControlServer srv(o), std::runtime_error);
}

}  // namespace
}  // namespace rpcmon::top
