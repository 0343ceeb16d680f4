#pragma once
// Ships the audit log to a remote collector (rsyslog imrelp) so that it survives the loss of this
// machine: each event, and each checkpoint, as an RFC 5424 syslog message with structured data,
// over RELP with mutual TLS.
//
// Delivery is at least once. The cursor (the highest sequence whose event and checkpoint were
// both acknowledged) lives in the journal's index file and moves only after acknowledgement; after
// a crash or a collector outage shipping resumes from it, so a message may arrive twice (the
// sequence number makes duplicates evident) but none is lost. While the collector is down, events
// wait in the journal and the shipper retries with exponential backoff (0.5 s to 30 s).
//
// Thread-safety: Start/Stop from one thread; Backlog and ShipOnce from any.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "common/background_thread.h"
#include "common/clock.h"
#include "crypto/tls_channel.h"

namespace strongroom::audit {

struct ShipperOptions {
  crypto::TlsClientConfig collector;
  std::string hostname = "strongroom";  // HOSTNAME field of the syslog messages
  int batch = 500;
};

// One syslog line (RFC 5424) for an event or a checkpoint; exposed for tests.
std::string EventMessage(int64_t seq, std::string_view time, std::string_view hash_hex,
                         std::string_view canonical, std::string_view hostname);
// The collector told that the journal holds a damaged record it cannot send (alert severity).
std::string DamageMessage(std::string_view problem, std::string_view hostname);
std::string CheckpointMessage(int64_t seq, std::string_view time, std::string_view head_hex,
                              std::string_view key_id, std::string_view signature_hex,
                              std::string_view hostname);

class Shipper {
 public:
  // `log` must outlive the shipper.
  Shipper(AuditLog& log, ShipperOptions options);
  ~Shipper();

  void Start();
  void Stop();
  // Events written but not yet acknowledged by the collector.
  Result<int64_t> Backlog();
  // Ships one batch (connecting if needed); returns how many events were acknowledged.
  Result<int64_t> ShipOnce();
  // Attempts to reach the collector (connect, or send a batch) that failed, since start.
  int64_t FailedAttempts() const { return failed_attempts_.load(); }

 private:
  // One round of shipping; how long to wait before the next.
  std::chrono::milliseconds Round();

  AuditLog& log_;
  const ShipperOptions options_;
  std::optional<JournalReader> reader_;  // positioned after the cursor; ship_mu_
  int64_t reader_after_ = -1;            // the cursor it was positioned for; ship_mu_
  class Session;
  std::unique_ptr<Session> session_;  // used by one shipping call at a time (ship_mu_)
  std::mutex ship_mu_;
  std::atomic<int64_t> failed_attempts_{0};

  std::chrono::milliseconds backoff_{500};  // on the shipping thread only
  bool failing_ = false;
  BackgroundThread thread_;  // last: stopped before the rest goes
};

}  // namespace strongroom::audit
