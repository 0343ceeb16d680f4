#pragma once
// Whether a Retention Order holds a record: the one definition, used as SQL so that deletes and
// the purge job apply exactly the same rule.
//
// An active order holds the records of its organisation that match all of its non-empty scopes:
// its remit, its list of record ids, and its descriptors (any one of them).

#include <string_view>

#include "common/error.h"
#include "store/store.h"

namespace strongroom::records {

// A SQL condition, true when an active order holds the record aliased `r` (columns r.id,
// r.org_id, r.remit). It takes no parameters.
inline constexpr std::string_view kHeldByOrder = R"sql(EXISTS (
  SELECT 1 FROM retention_orders o
  WHERE o.status = 'active' AND o.org_id = r.org_id
    AND (o.remit = '' OR o.remit = r.remit)
    AND (o.record_ids = '' OR instr(',' || o.record_ids || ',', ',' || r.id || ',') > 0)
    AND (o.descriptors = '' OR EXISTS (
      SELECT 1 FROM record_descriptors d
      WHERE d.record_id = r.id AND instr(',' || o.descriptors || ',', ',' || d.descriptor || ',') > 0)))
)sql";

// True when an active Retention Order holds record `id`.
Result<bool> HeldByOrder(store::Transaction& tx, std::string_view id);

}  // namespace strongroom::records
