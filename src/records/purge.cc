#include "records/purge.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "identity/expired.h"
#include "identity/throttle.h"
#include "retention/holds.h"

namespace strongroom::records {
namespace {

const std::string& DueSql() {
  static const std::string sql =
      "SELECT r.id, r.org_id FROM records r WHERE r.retain_until <= ? AND NOT " +
      std::string(retention::kHeldByOrder);
  return sql;
}

}  // namespace

Result<std::string> RecordsStamp(store::Transaction& tx, std::string_view org_id) {
  // The third term moves when a record is deleted and another inserted: SQLite's rowids grow,
  // and PostgreSQL's xmin names the transaction that wrote each row.
  const char* sql = tx.dialect() == store::Dialect::kPostgres
                        ? "SELECT COUNT(*), CAST(COALESCE(SUM(version), 0) AS BIGINT), "
                          "CAST(COALESCE(SUM(CAST(CAST(xmin AS TEXT) AS BIGINT)), 0) AS BIGINT), "
                          "COALESCE(MAX(updated_at), '') FROM records WHERE org_id = ?"
                        : "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(SUM(rowid), 0), "
                          "COALESCE(MAX(updated_at), '') FROM records WHERE org_id = ?";
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(org_id)}));
  const auto& r = rows.front();
  return fmt::format("{}/{}/{}/{}", r.Int(0), r.Int(1), r.Int(2), r.Text(3));
}

Result<RecordCensus> TakeRecordCensus(store::Transaction& tx, TimePoint now) {
  const auto at = FormatRfc3339(now);
  static const std::string due_sql =
      "SELECT COUNT(*), COALESCE(MIN(r.retain_until), '') FROM records r WHERE r.retain_until <= "
      "? AND NOT " +
      std::string(retention::kHeldByOrder);
  static const std::string held_sql =
      "SELECT COUNT(*) FROM records r WHERE r.retain_until <= ? AND " +
      std::string(retention::kHeldByOrder);
  RecordCensus c;
  ASSIGN_OR_RETURN(auto due, tx.Query(due_sql, {at}));
  c.due = due.front().Int(0);
  c.oldest_due = due.front().Text(1);
  ASSIGN_OR_RETURN(auto held, tx.Query(held_sql, {at}));
  c.held = held.front().Int(0);
  ASSIGN_OR_RETURN(auto largest,
                   tx.Query("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM records "
                            "GROUP BY org_id) AS per_org"));
  c.largest_org = largest.front().Int(0);
  return c;
}

Result<void> Purge::CountDue(PurgeReport& report, bool list) {
  const auto now = FormatRfc3339(clock_.Now());
  return store_.Read([&](store::Transaction& tx) -> Result<void> {
    static const std::string held_sql =
        "SELECT COUNT(*) FROM records r WHERE r.retain_until <= ? AND " +
        std::string(retention::kHeldByOrder);
    ASSIGN_OR_RETURN(auto held, tx.Query(held_sql, {now}));
    report.held = held.front().Int(0);
    if (!list) return {};
    ASSIGN_OR_RETURN(auto rows, tx.Query(DueSql(), {now}));
    report.records = static_cast<int64_t>(rows.size());
    for (const auto& r : rows) report.record_ids.push_back(r.Text(0));
    return {};
  });
}

Result<int64_t> Purge::PurgeBatch(int batch) {
  int64_t purged = 0;
  const auto now = FormatRfc3339(clock_.Now());
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    purged = 0;
    ASSIGN_OR_RETURN(auto rows, tx.Query(DueSql() + " LIMIT ?", {now, int64_t{batch}}));
    for (const auto& r : rows) {
      const auto id = r.Text(0);
      RETURN_IF_ERROR(tx.Exec("DELETE FROM records WHERE id = ?", {id}));
      RETURN_IF_ERROR(
          audit_.Append(tx, audit::SystemEvent("retention.record.purge", {"record", id, r.Text(1)},
                                               "past retain_until and held by no Retention Order: "
                                               "crypto-shredded")));
      ++purged;
    }
    return {};
  }));
  return purged;
}

Result<void> Purge::DeleteExpired(PurgeReport& report) {
  return store_.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto gone,
                     identity::DeleteExpired(tx, clock_.Now(), identity::kDeviceLifetime));
    report.sessions = gone.sessions;
    report.challenges = gone.challenges;
    report.enrolment_tokens = gone.enrolment_tokens;
    report.devices = gone.devices;
    report.throttles = gone.throttles;
    auto event = audit::SystemEvent("retention.purge", {"service", "", ""}, "scheduled purge");
    event.detail = {{"records", std::to_string(report.records)},
                    {"held", std::to_string(report.held)},
                    {"sessions", std::to_string(report.sessions)},
                    {"challenges", std::to_string(report.challenges)},
                    {"enrolment_tokens", std::to_string(report.enrolment_tokens)},
                    {"devices", std::to_string(report.devices)},
                    {"throttles", std::to_string(report.throttles)}};
    RETURN_IF_ERROR(audit_.Append(tx, event));
    return {};
  });
}

Result<PurgeReport> Purge::Run(bool dry_run, Pace pace, const std::function<bool()>& stopping) {
  PurgeReport report;
  RETURN_IF_ERROR(CountDue(report, dry_run));
  if (dry_run) return report;
  const bool beside = pace == Pace::kBesideService;
  const int batch = beside ? 50 : 500;
  // Records, a batch per transaction so that reads go on meanwhile.
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(auto purged, PurgeBatch(batch));
    report.records += purged;
    if (purged < batch) break;
    if (stopping && stopping()) {
      report.stopped = true;
      break;
    }
    if (beside) std::this_thread::sleep_for(std::chrono::steady_clock::now() - started);
  }
  RETURN_IF_ERROR(DeleteExpired(report));
  // Old page images of what was purged must not linger in the write-ahead log.
  if (report.records > 0) RETURN_IF_ERROR(store_.Compact());
  return report;
}

}  // namespace strongroom::records
