// The real server as a process: start-up and shutdown on signals, its access log, and what a
// production build never serves.

#include <gtest/gtest.h>
#include <signal.h>

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
