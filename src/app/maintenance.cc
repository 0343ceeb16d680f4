#include "app/maintenance.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/retention.h"
#include "store/leases.h"

namespace strongroom::app {

Maintenance::Maintenance(audit::AuditLog& audit, store::Store& store, const Clock& clock,
                         std::string node, std::chrono::milliseconds checkpoint_interval,
                         int retention_days)
    : audit_(audit),
      store_(store),
      clock_(clock),
      node_(std::move(node)),
      checkpoint_interval_(checkpoint_interval),
      retention_days_(retention_days) {}

Maintenance::~Maintenance() { Stop(); }

void Maintenance::Every(std::chrono::milliseconds period, std::string name, JobFn job) {
  jobs_.push_back({period, std::move(name), std::move(job), std::chrono::steady_clock::now()});
}

JobFn Maintenance::Leased(std::string name, std::chrono::milliseconds period,
                          std::function<Result<int>()> job) const {
  // Renewed at each run, which comes at the first tick after the period: two of the longer.
  const auto term = 2 * std::max(period, std::chrono::milliseconds(checkpoint_interval_));
  return [this, name = std::move(name), term, job = std::move(job)]() -> Result<JobRun> {
    ASSIGN_OR_RETURN(auto holder, store::TakeLease(store_, name, node_, clock_.Now(), term));
    if (holder != node_) return JobRun{0, std::move(holder)};
    ASSIGN_OR_RETURN(int count, job());
    return JobRun{count, ""};
  };
}

void Maintenance::Start() {
  thread_.Start(checkpoint_interval_, [this] {
    Round();
    return checkpoint_interval_;
  });
}

void Maintenance::Stop() { thread_.Stop(); }

void Maintenance::Round() {
  if (auto r = audit_.Checkpoint(); !r) {
    spdlog::error("audit checkpoint failed: {}", r.error().message);
  }
  if (auto r = audit_.CopyToStore(); !r) {
    spdlog::error("audit copy to the database failed: {}", r.error().message);
  }
  for (auto& job : jobs_) {
    if (std::chrono::steady_clock::now() < job.next) continue;
    job.next += job.period;
    if (auto r = job.run(); !r) spdlog::error("{} failed: {}", job.name, r.error().message);
  }
  if (std::chrono::steady_clock::now() >= next_prune_) {
    next_prune_ += std::chrono::hours(1);
    auto pruned = audit::Prune(audit_, clock_, retention_days_);
    if (!pruned) {
      spdlog::error("audit retention failed: {}", pruned.error().message);
    } else if (pruned->segments > 0) {
      spdlog::info("audit retention: removed {} journal segment(s), events through sequence {}",
                   pruned->segments, pruned->through);
    }
  }
}

}  // namespace strongroom::app
