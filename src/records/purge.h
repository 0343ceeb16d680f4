#pragma once
// The purge job: every record has `retain_until`; past it, the record is crypto-shredded (its
// wrapped data key and ciphertext are deleted, with SQLite's secure_delete overwriting them) unless
// a Retention Order holds it (retention/holds.h). The job also has identity delete what sign-in
// leaves behind once it has outlived its use (identity/expired.h).
//
// Each purged record is its own audit event, in the same transaction as its deletion; the run
// ends with one event that counts everything.
//
// Thread-safety: Run may be called from any thread.

#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "store/store.h"

namespace strongroom::records {

struct PurgeReport {
  int64_t records = 0;
  int64_t held = 0;  // past retention but held by an order
  int64_t sessions = 0;
  int64_t challenges = 0;
  int64_t enrolment_tokens = 0;
  int64_t devices = 0;    // device cookies unused for 180 days
  int64_t throttles = 0;  // sign-in delays that ended over a day ago
  int64_t export_archives = 0;
  std::vector<std::string> record_ids;  // purged (or, on a dry run, that would be)
  bool stopped = false;  // ended early because the service is stopping: the rest is the next run's
};

// What the compliance report (compliance/report.h) reads of the records at `now`: how many are
// past retention and not held (due to the purge), the earliest retain_until among them, how
// many are held by orders, and the most records one organisation holds.
struct RecordCensus {
  int64_t due = 0;
  std::string oldest_due;  // "" when none is due
  int64_t held = 0;
  int64_t largest_org = 0;
};
Result<RecordCensus> TakeRecordCensus(store::Transaction& tx, TimePoint now);

// What is built from an organisation's records (an export) depends on, read without decrypting
// any: it differs once any of them is created, changed or removed.
Result<std::string> RecordsStamp(store::Transaction& tx, std::string_view org_id);

class Purge {
 public:
  // Everything passed must outlive the job.
  Purge(store::Store& store, audit::AuditLog& audit, const Clock& clock)
      : store_(store), audit_(audit), clock_(clock) {}

  // How a purge shares the store's one writer.
  enum class Pace {
    // Beside a serving instance: small batches, and after each the writer is left to others for
    // as long as the batch took, so that views keep more of the cores and the audit journal
    // (bench/purge_bench: their p99 during a purge 2.4-2.8x their p99 without, against 5.3-6.7x
    // back to back). The purge runs at about a quarter of its full rate.
    kBesideService,
    // Nothing else is served (`strongroom purge` with the service stopped, a restore before it
    // serves): large batches, back to back.
    kAlone,
  };
  // Purges records a batch per transaction until none is left, or until `stopping` (asked
  // between batches) says the service is stopping. `dry_run` counts only.
  Result<PurgeReport> Run(bool dry_run, Pace pace = Pace::kBesideService,
                          const std::function<bool()>& stopping = nullptr);

 private:
  // What is due (and, for a dry run, which); one batch crypto-shredded; the rest.
  Result<void> CountDue(PurgeReport& report, bool list);
  Result<int64_t> PurgeBatch(int batch);
  Result<void> DeleteExpired(PurgeReport& report);

  store::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace strongroom::records
