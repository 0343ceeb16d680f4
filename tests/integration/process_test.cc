// The real server as a process: start-up and shutdown on signals, its access log, and what a
// production build never serves.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "common/bulk_lane.h"
#include "integration/instance.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

TEST(ProcessTest, SigtermClosesIdleConnectionsAndExitsZero) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto idle = TlsClient::Connect(inst.port());
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(inst.Stop(SIGTERM), 0);
  EXPECT_TRUE(idle->WaitClosed(std::chrono::seconds(5)));
  const auto log = ReadFile(inst.process().stderr_path());
  EXPECT_NE(log.find("closing the store"), std::string::npos) << log;
}

TEST(ProcessTest, SigintAlsoStopsCleanlyAndTheInstanceRestarts) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(inst.Stop(SIGINT), 0);
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(HttpsGet(inst.port(), "/readyz").status, 200);
}

TEST(ProcessTest, AccessLogNamesRouteTemplateButNeverQueryOrBody) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto r = HttpsGet(inst.port(), "/healthz?password=hunter2");
  ASSERT_EQ(r.status, 200);
  HttpsGet(inst.port(), "/private/path-with-secret");
  EXPECT_EQ(inst.Stop(SIGTERM), 0);
  const auto log = ReadFile(inst.process().stderr_path());
  EXPECT_NE(log.find("route=/healthz status=200"), std::string::npos) << log;
  EXPECT_NE(log.find("request_id=" + r.headers["x-request-id"]), std::string::npos);
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
  EXPECT_EQ(log.find("path-with-secret"), std::string::npos);
}

// What /proc says of the running server: no core dumps, no new privileges, its keys locked in
// memory; and, as the control, the same fields read from this test process, which sets none of
// them.
TEST(ProcessTest, TheServerRunsHardened) {
  auto status_of = [](pid_t pid) { return ReadFile("/proc/" + std::to_string(pid) + "/status"); };
  auto field = [](const std::string& status, const std::string& name) -> std::string {
    const auto at = status.find("\n" + name + ":");
    if (at == std::string::npos) return "";
    const auto from = status.find_first_not_of(" \t", at + name.size() + 2);
    return status.substr(from, status.find('\n', from) - from);
  };
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  const auto server = status_of(inst.process().pid());
  const auto self = status_of(::getpid());
  ASSERT_FALSE(field(self, "NoNewPrivs").empty()) << "the field is read: " << self;
  EXPECT_EQ(field(self, "NoNewPrivs"), "0") << "the control";
  EXPECT_EQ(field(server, "NoNewPrivs"), "1");
  EXPECT_EQ(field(self, "VmLck"), "0 kB") << "the control";
  // The master key and the audit signing key, each on a page of its own; unless this host's
  // RLIMIT_MEMLOCK refuses even that, which the server then says at start.
  const bool refused =
      ReadFile(inst.process().stderr_path()).find("could not be locked") != std::string::npos;
  if (!refused) {
    EXPECT_GE(std::stol(field(server, "VmLck")), 8) << field(server, "VmLck");
  }
  // The workers for anonymous requests run at the lowest CPU priority, the bulk lane (export
  // archives) lower than the rest; everything else does not.
  std::map<int, int> threads_by_nice;
  for (const auto& task : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(inst.process().pid()) + "/task")) {
    std::istringstream stat(ReadFile(task.path() / "stat"));
    std::string value;
    stat.ignore(1 << 20, ')');                    // past "pid (comm)"
    for (int i = 3; i <= 19; ++i) stat >> value;  // the 19th is nice
    ++threads_by_nice[std::stoi(value)];
  }
  EXPECT_GE(threads_by_nice[19], 1) << "an anonymous worker";
  EXPECT_EQ(threads_by_nice[BulkLane::kNice], 1) << "the bulk lane";
  EXPECT_GE(threads_by_nice[0], 3) << "the main, I/O and signed-in workers";
  EXPECT_EQ(threads_by_nice.size(), 3u);
  const auto limits = ReadFile("/proc/" + std::to_string(inst.process().pid()) + "/limits");
  EXPECT_NE(limits.find("Max core file size        0                    0"), std::string::npos)
      << limits;
}

// A call the system-call filter forbids (setuid, to the user the server already is) kills the
// server; the control, the same call with the filter off, runs and returns 0.
TEST(ProcessTest, ACallOutsideTheAllowListKillsTheServer) {
  const std::string call =
      "POST /__test/forbidden-call HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
  Instance filtered;
  ASSERT_TRUE(filtered.Start()) << filtered.StartupError();
  const auto status = ReadFile("/proc/" + std::to_string(filtered.process().pid()) + "/status");
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << "in filter mode: " << status;
  EXPECT_EQ(HttpsGet(filtered.port(), "/healthz").status, 200) << "serving under the filter";
  auto client = TlsClient::Connect(filtered.port());
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->Request(call).status, 0) << "no answer: the process is gone";
  EXPECT_EQ(filtered.Stop(SIGTERM), 128 + SIGSYS) << "killed by SIGSYS, not stopped by SIGTERM";

  Instance open;
  open.SetServer({{"syscall_filter", "false"}});
  ASSERT_TRUE(open.Start()) << open.StartupError();
  auto control = TlsClient::Connect(open.port());
  ASSERT_NE(control, nullptr);
  const auto r = control->Request(call);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "{\"result\":0}") << "the call ran";
  EXPECT_NE(ReadFile(open.process().stderr_path()).find("without the system-call allow-list"),
            std::string::npos)
      << "and the start said it was off";
  EXPECT_EQ(open.Stop(SIGTERM), 0);
}

std::string StatusField(pid_t pid, const std::string& name) {
  const auto status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("\n" + name + ":\t");
  if (at == std::string::npos) return "?";
  const auto from = at + name.size() + 3;
  return status.substr(from, status.find('\n', from) - from);
}

// A port below 1024 that nothing on this host listens on, or 0.
uint16_t FreeLowPort() {
  for (uint16_t port = 990; port > 900; --port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

// Started as root, the server binds what needs root (here a port below 1024), then serves as the
// instance directory's owner for good: its user, its group, no other groups.
TEST(ProcessTest, StartedAsRootItServesAsTheInstancesOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, as CI and `make test` run";
  Instance inst;
  inst.GiveTo(Instance::kNobody, Instance::kNogroup);
  const uint16_t low = FreeLowPort();
  ASSERT_NE(low, 0);
  inst.SetServer({{"redirect_listen", "\"127.0.0.1:" + std::to_string(low) + "\""}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(inst.redirect_port(), low) << "bound while still root";
  const pid_t pid = inst.process().pid();
  EXPECT_EQ(StatusField(pid, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusField(pid, "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(StatusField(pid, "Groups").find_first_not_of(' '), std::string::npos)
      << "no supplementary groups: " << StatusField(pid, "Groups");
  EXPECT_EQ(StatusField(pid, "CapEff"), "0000000000000000");
  EXPECT_EQ(StatusField(::getpid(), "Uid"), "0\t0\t0\t0") << "the control";
  // It works as that user: the store and the audit log take writes.
  const auto enrol = [&] {
    auto c = TlsClient::Connect(inst.port());
    const std::string body = R"({"token":")" + inst.EnrolmentToken("demo.officer.one") +
                             R"(","password":"a long and private passphrase"})";
    return c ? c->Request(
                   "POST /api/v1/auth/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   "application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body)
             : HttpResponse{};
  };
  const auto enrolled = enrol();
  EXPECT_EQ(enrolled.status, 200) << enrolled.body;
  EXPECT_EQ(inst.Stop(SIGTERM), 0);
  EXPECT_NE(ReadFile(inst.process().stderr_path()).find("serving as uid 65534 gid 65534"),
            std::string::npos);
}

TEST(ProcessTest, AnOwnerWithRootsGroupIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, as CI and `make test` run";
  Instance inst;
  inst.GiveTo(54321, 0);  // a uid with no account here: its group is the directory's, root's
  EXPECT_FALSE(inst.Start());
  EXPECT_NE(inst.StartupError().find("has root's group"), std::string::npos) << inst.StartupError();
}

TEST(ProcessTest, AProductionInstanceOwnedByRootIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, as CI and `make test` run";
  Instance inst("production");
  inst.GiveTo(0, 0);
  EXPECT_FALSE(inst.Start());
  EXPECT_NE(inst.StartupError().find("in production the service does not run as root"),
            std::string::npos)
      << inst.StartupError();
}

TEST(ProcessTest, TestRoutesDoNotExistInProduction) {
  Instance inst("production");
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto c = TlsClient::Connect(inst.port());
  ASSERT_NE(c, nullptr);
  auto r = c->Request(
      "POST /__test/echo-json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\n\r\n{}");
  EXPECT_EQ(r.status, 404);
}

}  // namespace
}  // namespace strongroom::testing
