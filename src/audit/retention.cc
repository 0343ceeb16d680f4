#include "audit/retention.h"

#include <filesystem>

namespace strongroom::audit {

Result<PruneResult> Prune(AuditLog& log, const Clock& clock, int retention_days) {
  if (retention_days < kMinRetentionDays || retention_days > kMaxRetentionDays) {
    return Fail(ErrorCode::kInvalidArgument, "audit retention must be 183 to 730 days");
  }
  const auto cutoff = clock.Now() - std::chrono::days(retention_days);
  const auto& journal = log.journal();
  const auto& dir = journal.dir();
  ASSIGN_OR_RETURN(int64_t shipped, log.index().Shipped());
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  // Each segment but the last is followed by one whose name is one past its last event, and
  // whose first record is the checkpoint signed when it was opened.
  size_t removable = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1] - 1 > shipped) break;
    ASSIGN_OR_RETURN(auto anchor, ReadRecordAt(dir, {segments[i + 1], 0}));
    CheckpointText c;
    if (anchor.kind != RecordKind::kCheckpoint || !ParseCheckpointText(anchor.text, c) ||
        !crypto::VerifySignature(
            journal.key().public_key,
            CheckpointPayload(journal.environment(), anchor.sequence, anchor.hash, c.time),
            c.signature)) {
      return Fail(ErrorCode::kDataLoss,
                  "a journal segment does not open with its signed checkpoint: run audit verify");
    }
    const auto closed = ParseRfc3339(c.time);
    if (!closed || *closed >= cutoff) break;
    removable = i + 1;
  }
  if (removable == 0) return PruneResult{};
  PruneResult result{segments[removable] - 1, static_cast<int64_t>(removable)};
  // Written into the journal first (chained, then signed): verify knows how far retention went,
  // and any other segment found missing is named.
  auto event = SystemEvent("audit.retention.prune", {"audit", "", ""},
                           "shipped to the collector and past the retention period");
  event.detail = {{"through", std::to_string(result.through)},
                  {"segments", std::to_string(result.segments)}};
  RETURN_IF_ERROR(log.Record(std::move(event)));
  for (size_t i = 0; i < removable; ++i) {
    std::error_code ec;
    std::filesystem::remove(SegmentPath(dir, segments[i]), ec);
    if (ec) return Fail(ErrorCode::kUnavailable, "audit retention: cannot remove a segment");
  }
  RETURN_IF_ERROR(log.index().RemoveThrough(result.through));
  // The copy in a shared database forgets them too, once it holds this event (audit_copy.h).
  if (log.copy()) RETURN_IF_ERROR(log.CopyToStore());
  return result;
}

}  // namespace strongroom::audit
