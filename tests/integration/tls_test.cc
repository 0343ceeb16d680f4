// TLS policy of the real server: versions, suites, and no plaintext.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "integration/instance.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    instance_ = new Instance();
    ASSERT_TRUE(instance_->Start()) << instance_->StartupError();
  }
  static void TearDownTestSuite() {
    delete instance_;
    instance_ = nullptr;
  }
  static uint16_t port() { return instance_->port(); }
  static Instance* instance_;
};
Instance* TlsTest::instance_ = nullptr;

TEST_F(TlsTest, Tls10And11AreRefusedByTheServer) {
  for (int v : {TLS1_VERSION, TLS1_1_VERSION}) {
    std::string error;
    // The client is opened up (security level 0) so that the refusal is the server's own.
    auto c = TlsClient::Connect(port(),
                                {.min_version = v,
                                 .max_version = v,
                                 .tls12_ciphers = "ALL:@SECLEVEL=0",
                                 .allow_legacy = true},
                                &error);
    EXPECT_EQ(c, nullptr) << "version " << v;
    EXPECT_NE(error.find("protocol version"), std::string::npos) << error;
  }
}

TEST_F(TlsTest, Tls12And13AreAcceptedWithAeadSuitesOnly) {
  auto c12 = TlsClient::Connect(port(), TlsOptions::Exactly(TLS1_2_VERSION));
  ASSERT_NE(c12, nullptr);
  EXPECT_EQ(c12->version(), TLS1_2_VERSION);
  EXPECT_TRUE(c12->cipher().starts_with("ECDHE-"));
  EXPECT_TRUE(c12->cipher().find("GCM") != std::string::npos ||
              c12->cipher().find("CHACHA20") != std::string::npos)
      << c12->cipher();
  auto c13 = TlsClient::Connect(port());
  ASSERT_NE(c13, nullptr);
  EXPECT_EQ(c13->version(), TLS1_3_VERSION);  // 1.3 preferred when the client offers it
  EXPECT_EQ(c13->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(TlsTest, NonAeadAndNonEcdheSuitesAreRefused) {
  for (const char* suite : {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA",
                            "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA"}) {
    std::string error;
    auto c = TlsClient::Connect(port(),
                                {.min_version = TLS1_2_VERSION,
                                 .max_version = TLS1_2_VERSION,
                                 .tls12_ciphers = suite,
                                 .allow_legacy = true},
                                &error);
    EXPECT_EQ(c, nullptr) << suite;
    EXPECT_NE(error.find("handshake failure"), std::string::npos) << suite << ": " << error;
  }
}

TEST_F(TlsTest, PlaintextHttpToTheTlsPortGetsNoHttpResponse) {
  const int fd = TcpConnect(port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(n, 0) << "the server should close the connection";
  EXPECT_EQ(got.find("HTTP/"), std::string::npos);
  EXPECT_EQ(got.find("status"), std::string::npos);
}

TEST(TlsMinVersionTest, ConfiguredMinimumOf13RefusesTls12) {
  Instance inst;
  auto text = ReadFile(inst.config());
  text.replace(text.find("min_version = \"1.2\""), 19, "min_version = \"1.3\"");
  WriteFile(inst.config(), text);
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  std::string error;
  EXPECT_EQ(TlsClient::Connect(inst.port(), TlsOptions::Exactly(TLS1_2_VERSION), &error), nullptr);
  EXPECT_NE(TlsClient::Connect(inst.port(), TlsOptions::Exactly(TLS1_3_VERSION)), nullptr);
}

}  // namespace
}  // namespace strongroom::testing
