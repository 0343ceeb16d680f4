#pragma once
// Local retention of the audit log. Events are kept at least `retention_days` (183 to 730 days:
// six months at least, two years at most, per MoJ guidance) and are removed only when all of
// these hold, so that nothing is lost and what remains still verifies:
// - the collector has acknowledged them (the shipper's cursor is past them);
// - they are older than the retention period;
// - they end at a signed checkpoint, which stays and anchors the rest of the chain.

#include <cstdint>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::audit {

inline constexpr int kMinRetentionDays = 183;
inline constexpr int kMaxRetentionDays = 730;

struct PruneResult {
  int64_t through = 0;  // events with seq <= through are gone (0: nothing pruned)
  int64_t deleted = 0;
};

Result<PruneResult> Prune(store::Store& store, const Clock& clock, int retention_days);

}  // namespace strongroom::audit
