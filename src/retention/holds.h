#pragma once
// Whether a Retention Order holds a record: the one definition, as a SQL condition that records
// embeds in its deletes and its purge, so that both apply exactly the same rule. Retention owns the
// retention_orders table; this condition is the only way anything else reads it.
//
// An active order holds the records of its organisation that match all of its non-empty scopes:
// its remit, its list of record ids, and its descriptors (any one of them).

#include <string_view>

namespace strongroom::retention {

// A SQL condition, true when an active order holds the record aliased `r` (it reads r.id,
// r.org_id, r.remit and the record's descriptors). It takes no parameters.
inline constexpr std::string_view kHeldByOrder = R"sql(EXISTS (
  SELECT 1 FROM retention_orders o
  WHERE o.status = 'active' AND o.org_id = r.org_id
    AND (o.remit = '' OR o.remit = r.remit)
    AND (o.record_ids = '' OR instr(',' || o.record_ids || ',', ',' || r.id || ',') > 0)
    AND (o.descriptors = '' OR EXISTS (
      SELECT 1 FROM record_descriptors d
      WHERE d.record_id = r.id AND instr(',' || o.descriptors || ',', ',' || d.descriptor || ',') > 0)))
)sql";

}  // namespace strongroom::retention
