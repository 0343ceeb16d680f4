#include "integration/collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "fakes/temp_dir.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

constexpr const char* kOpenssl = "/usr/bin/openssl";

uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

void Openssl(const std::vector<std::string>& args) {
  auto r = RunProgram(kOpenssl, args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void MakeCertificate(const std::filesystem::path& dir, const std::string& name,
                     const std::string& san) {
  const auto d = dir.string() + "/";
  WriteFile(dir / (name + ".ext"), "subjectAltName=" + san + "\n", 0600);
  Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           d + name + ".key", "-out", d + name + ".csr", "-subj", "/CN=" + name});
  Openssl({"x509", "-req", "-in", d + name + ".csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
           "-CAcreateserial", "-out", d + name + ".pem", "-days", "2", "-extfile",
           d + name + ".ext"});
}

}  // namespace

Collector::Collector(const std::filesystem::path& dir) : dir_(dir), port_(FreePort()) {
  std::filesystem::create_directories(dir_ / "work");
  const auto d = dir_.string() + "/";
  Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "2", "-subj", "/CN=Test CA"});
  MakeCertificate(dir_, "collector.test", "DNS:collector.test");
  MakeCertificate(dir_, "strongroom.test", "DNS:strongroom.test");
  WriteFile(dir_ / "rsyslog.conf",
            "global(workDirectory=\"" + d +
                "work\" maxMessageSize=\"256k\")\n"
                "module(load=\"imrelp\" tls.tlslib=\"openssl\")\n"
                "input(type=\"imrelp\" port=\"" +
                std::to_string(port_) +
                "\" address=\"127.0.0.1\"\n"
                "      tls=\"on\" tls.caCert=\"" +
                d + "ca.pem\" tls.myCert=\"" + d +
                "collector.test.pem\"\n"
                "      tls.myPrivKey=\"" +
                d +
                "collector.test.key\" tls.authMode=\"name\"\n"
                "      tls.permittedPeer=[\"strongroom.test\"])\n"
                "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n"
                "action(type=\"omfile\" file=\"" +
                d + "received.log\" template=\"raw\")\n",
            0600);
}

Collector::~Collector() { Stop(); }

bool Collector::Start() {
  process_ = std::make_unique<ChildProcess>(
      "/usr/sbin/rsyslogd", std::vector<std::string>{"-n", "-f", (dir_ / "rsyslog.conf").string(),
                                                     "-i", (dir_ / "rsyslogd.pid").string()});
  // Ready when the port accepts a TCP connection.
  for (int i = 0; i < 500; ++i) {
    const int fd = TcpConnect(port_);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    if (!process_->Running()) break;
    ::usleep(10'000);  // polling an external daemon's start-up, not a timeout under test
  }
  return false;
}

void Collector::Stop() {
  if (process_) process_->Stop(SIGTERM, std::chrono::seconds(10));
  process_.reset();
}

std::string Collector::Received() const { return ReadFile(dir_ / "received.log"); }

std::set<int64_t> Collector::ReceivedSequences() const {
  std::set<int64_t> seqs;
  std::istringstream lines(Received());
  std::string line;
  const std::string marker = " audit [strongroom@32473 seq=\"";
  while (std::getline(lines, line)) {
    const auto pos = line.find(marker);
    if (pos != std::string::npos) seqs.insert(std::stoll(line.substr(pos + marker.size())));
  }
  return seqs;
}

std::string Collector::AuditConfig() const {
  const auto d = dir_.string() + "/";
  return "collector = \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
         "collector_name = \"collector.test\"\n" + "collector_ca = \"" + d + "ca.pem\"\n" +
         "client_certificate = \"" + d + "strongroom.test.pem\"\n" + "client_key = \"" + d +
         "strongroom.test.key\"\n";
}

}  // namespace strongroom::testing
