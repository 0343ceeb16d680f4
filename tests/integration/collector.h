#pragma once
// A real remote audit collector for tests: Debian's rsyslogd with imrelp over mutual TLS, on a
// loopback port, writing every message it receives to a file. Certificates (a test CA, the
// collector's and a client's) are made with the openssl command.

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "integration/process.h"

namespace strongroom::testing {

class Collector {
 public:
  explicit Collector(const std::filesystem::path& dir);
  ~Collector();

  bool Start();  // starts rsyslogd and waits until it accepts connections
  void Stop();   // SIGTERM, and waits for it to exit

  // Sequence numbers of the audit events received so far (duplicates folded).
  std::set<int64_t> ReceivedSequences() const;
  std::string Received() const;

  // The [audit] settings that point an instance at this collector.
  std::string AuditConfig() const;
  uint16_t port() const { return port_; }

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace strongroom::testing
