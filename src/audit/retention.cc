#include "audit/retention.h"

#include <filesystem>

namespace strongroom::audit {

Result<PruneResult> Prune(AuditLog& log, const Clock& clock, int retention_days) {
  if (retention_days < kMinRetentionDays || retention_days > kMaxRetentionDays) {
    return Fail(ErrorCode::kInvalidArgument, "audit retention must be 183 to 730 days");
  }
  const auto cutoff = clock.Now() - std::chrono::days(retention_days);
  const auto& dir = log.journal().dir();
  ASSIGN_OR_RETURN(int64_t shipped, log.index().Shipped());
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  PruneResult result;
  // Each segment but the last is followed by one whose name is one past its last event, and
  // whose first record is the checkpoint signed when it was opened.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const int64_t last = segments[i + 1] - 1;
    if (last > shipped) break;
    ASSIGN_OR_RETURN(auto anchor, ReadRecordAt(dir, {segments[i + 1], 0}));
    CheckpointText c;
    if (anchor.kind != RecordKind::kCheckpoint || !ParseCheckpointText(anchor.text, c)) {
      return Fail(ErrorCode::kDataLoss, "a journal segment does not open with its checkpoint");
    }
    const auto closed = ParseRfc3339(c.time);
    if (!closed || *closed >= cutoff) break;
    // Recorded before the file goes, so verify never sees a gap retention did not write down.
    RETURN_IF_ERROR(log.index().RemoveThrough(last));
    std::error_code ec;
    std::filesystem::remove(SegmentPath(dir, segments[i]), ec);
    if (ec) return Fail(ErrorCode::kUnavailable, "audit retention: cannot remove a segment");
    result.through = last;
    ++result.segments;
  }
  return result;
}

}  // namespace strongroom::audit
