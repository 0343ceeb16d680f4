#pragma once
// Local retention of the audit journal. Events are kept at least `retention_days` (183 to 730
// days: six months at least, two years at most, per MoJ guidance) and are removed a whole segment
// at a time, oldest first, only when all of these hold, so that nothing is lost and what remains
// still verifies:
// - the collector has acknowledged every event in the segment (the shipper's cursor is past it);
// - the segment was closed before the retention period began (the next segment's opening
//   checkpoint, written when it was sealed, is older than that);
// - it is not the segment being written; the next segment opens with a signed checkpoint of the
//   head it follows, which anchors the rest of the chain.

#include <cstdint>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/error.h"

namespace strongroom::audit {

inline constexpr int kMinRetentionDays = 183;
inline constexpr int kMaxRetentionDays = 730;

struct PruneResult {
  int64_t through = 0;  // events with seq <= through are gone (0: nothing pruned)
  int64_t segments = 0;
};

Result<PruneResult> Prune(AuditLog& log, const Clock& clock, int retention_days);

}  // namespace strongroom::audit
