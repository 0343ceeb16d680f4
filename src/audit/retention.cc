#include "audit/retention.h"

#include "store/meta.h"

namespace strongroom::audit {

Result<PruneResult> Prune(store::Store& store, const Clock& clock, int retention_days) {
  if (retention_days < kMinRetentionDays || retention_days > kMaxRetentionDays) {
    return Fail(ErrorCode::kInvalidArgument, "audit retention must be 183 to 730 days");
  }
  const auto cutoff = FormatRfc3339(clock.Now() - std::chrono::days(retention_days));
  PruneResult result;
  RETURN_IF_ERROR(store.Write([&](store::Transaction& tx) -> Result<void> {
    result = {};
    ASSIGN_OR_RETURN(auto shipped, store::GetMeta(tx, "audit_shipped_seq"));
    ASSIGN_OR_RETURN(auto pruned, store::GetMeta(tx, "audit_pruned_through"));
    const int64_t shipped_seq = shipped ? std::stoll(*shipped) : 0;
    const int64_t pruned_seq = pruned ? std::stoll(*pruned) : 0;
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT c.seq FROM audit_checkpoints c JOIN audit_events e "
                              "ON e.seq = c.seq WHERE c.seq <= ? AND c.seq > ? AND "
                              "e.time < ? ORDER BY c.seq DESC LIMIT 1",
                              {shipped_seq, pruned_seq, cutoff}));
    if (rows.empty()) return {};
    const int64_t through = rows.front().Int(0);
    ASSIGN_OR_RETURN(result.deleted, tx.Exec("DELETE FROM audit_events WHERE seq <= ?", {through}));
    result.through = through;
    return store::SetMeta(tx, "audit_pruned_through", std::to_string(through));
  }));
  return result;
}

}  // namespace strongroom::audit
