#pragma once
// The server's background housekeeping, on one thread: a signed audit checkpoint every
// `checkpoint_interval` (if the log moved), audit retention pruning every hour, and the jobs
// added with `Every` (e.g. account expiry every minute). Failures are
// logged and retried on the next round; they never stop the service (readiness reports them).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/background_thread.h"
#include "common/clock.h"
#include "store/store.h"

namespace strongroom::app {

class Maintenance {
 public:
  // Everything passed must outlive the Maintenance object.
  Maintenance(audit::AuditLog& audit, store::Store& store, const Clock& clock,
              std::chrono::milliseconds checkpoint_interval, int retention_days);
  ~Maintenance();
  // Runs `job` every `period` (at the next checkpoint tick after it is due). Before Start only.
  void Every(std::chrono::milliseconds period, std::string name, std::function<Result<void>()> job);
  void Start();
  void Stop();

 private:
  void Round();

  struct Job {
    std::chrono::milliseconds period;
    std::string name;
    std::function<Result<void>()> run;
    std::chrono::steady_clock::time_point next;
  };
  std::vector<Job> jobs_;
  audit::AuditLog& audit_;
  store::Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds checkpoint_interval_;
  const int retention_days_;
  std::chrono::steady_clock::time_point next_prune_ = std::chrono::steady_clock::now();
  BackgroundThread thread_;  // last: stopped before the rest goes
};

}  // namespace strongroom::app
