#pragma once
// The server's background housekeeping, on one thread: a signed audit checkpoint every
// `checkpoint_interval` (if the log moved) and the journal's copy in a shared database brought up
// to it (audit_copy.h), audit retention pruning every hour, and the jobs
// added with `Every` (e.g. account expiry every minute). Failures are
// logged and retried on the next round; they never stop the service (readiness reports them).
// A job that one node of several does for them all is made `Leased`: it runs only on the node
// that holds its lease (store/leases.h).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/background_thread.h"
#include "common/clock.h"
#include "store/store.h"

namespace strongroom::app {

// One run of a job: how many things it dealt with; for a leased job, `elsewhere` names the node
// that holds its lease when it did not run here.
struct JobRun {
  int count = 0;
  std::string elsewhere;
};
using JobFn = std::function<Result<JobRun>()>;

class Maintenance {
 public:
  // Everything passed must outlive the Maintenance object. `node` is this node's name (the
  // holder of the leases it takes).
  Maintenance(audit::AuditLog& audit, store::Store& store, const Clock& clock, std::string node,
              std::chrono::milliseconds checkpoint_interval, int retention_days);
  ~Maintenance();
  // Runs `job` every `period` (at the next checkpoint tick after it is due). Before Start only.
  void Every(std::chrono::milliseconds period, std::string name, JobFn job);
  // `job`, run where the lease `name` is held, taken at each run for twice the longer of
  // `period` (the job's) and the checkpoint interval (the tick jobs run on): once a holder
  // stops, another node takes the job over within that.
  JobFn Leased(std::string name, std::chrono::milliseconds period,
               std::function<Result<int>()> job) const;
  void Start();
  void Stop();
  // For a long job: true once Stop has been called. The job should end at its next safe point
  // and leave the rest to its next run (the next start's).
  bool Stopping() { return thread_.Stopping(); }

 private:
  void Round();

  struct Job {
    std::chrono::milliseconds period;
    std::string name;
    JobFn run;
    std::chrono::steady_clock::time_point next;
  };
  std::vector<Job> jobs_;
  audit::AuditLog& audit_;
  store::Store& store_;
  const Clock& clock_;
  const std::string node_;
  const std::chrono::milliseconds checkpoint_interval_;
  const int retention_days_;
  std::chrono::steady_clock::time_point next_prune_ = std::chrono::steady_clock::now();
  BackgroundThread thread_;  // last: stopped before the rest goes
};

}  // namespace strongroom::app
