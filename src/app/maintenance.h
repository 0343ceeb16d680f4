#pragma once
// The server's background housekeeping, on one thread: a signed audit checkpoint every
// `checkpoint_interval` (if the log moved), and audit retention pruning every hour. Failures are
// logged and retried on the next round; they never stop the service (readiness reports them).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "store/store.h"

namespace strongroom::app {

class Maintenance {
 public:
  // Everything passed must outlive the Maintenance object.
  Maintenance(audit::AuditLog& audit, store::Store& store, const Clock& clock,
              std::chrono::milliseconds checkpoint_interval, int retention_days);
  ~Maintenance();
  void Start();
  void Stop();

 private:
  void Loop();

  audit::AuditLog& audit_;
  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds checkpoint_interval_;
  const int retention_days_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace strongroom::app
