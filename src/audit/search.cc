#include "audit/search.h"

#include <charconv>
#include <limits>

namespace strongroom::audit {

Result<SearchPage> Search(store::Store& store, const SearchQuery& query) {
  return store::ReadValue<SearchPage>(store,
                                      [&](store::Transaction& tx) { return Search(tx, query); });
}

Result<SearchPage> Search(store::Transaction& tx, const SearchQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "limit must be between 1 and 1000");
  }
  int64_t before = std::numeric_limits<int64_t>::max();
  if (!q.cursor.empty()) {
    auto [p, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), before);
    if (ec != std::errc() || p != q.cursor.data() + q.cursor.size() || before < 1) {
      return Fail(ErrorCode::kInvalidArgument, "cursor is not valid");
    }
  }
  for (const auto* field : {&q.actor, &q.target, &q.action}) {
    if (field->size() > 256) return Fail(ErrorCode::kInvalidArgument, "filter value too long");
  }
  const std::string since = q.since ? FormatRfc3339(*q.since) : "";
  const std::string until = q.until ? FormatRfc3339(*q.until) : "~";  // sorts after any time
  SearchPage page;
  {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT seq, canonical FROM audit_events WHERE seq < ? "
                              "AND (? = '' OR actor_id = ?) AND (? = '' OR target_id = ?) "
                              "AND (? = '' OR action = ?) AND time >= ? AND time < ? "
                              "ORDER BY seq DESC LIMIT ?",
                              {before, q.actor, q.actor, q.target, q.target, q.action, q.action,
                               since, until, static_cast<int64_t>(q.limit + 1)}));
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(q.limit); ++i) {
      page.events.push_back(rows[i].Text(1));
    }
    if (rows.size() > static_cast<size_t>(q.limit)) {
      page.next_cursor = std::to_string(rows[static_cast<size_t>(q.limit) - 1].Int(0));
    }
  }
  return page;
}

}  // namespace strongroom::audit
