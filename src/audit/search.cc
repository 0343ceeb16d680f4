#include "audit/search.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace strongroom::audit {

Result<SearchPage> Search(store::Store& store, const SearchQuery& query) {
  return store::ReadValue<SearchPage>(store,
                                      [&](store::Transaction& tx) { return Search(tx, query); });
}

Result<std::vector<Followed>> ReadAfter(store::Store& store, int64_t after, int limit) {
  return store::ReadValue<std::vector<Followed>>(
      store, [&](store::Transaction& tx) -> Result<std::vector<Followed>> {
        ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT seq, canonical FROM audit_events WHERE seq > "
                                             "? ORDER BY seq LIMIT ?",
                                             {after, static_cast<int64_t>(limit)}));
        std::vector<Followed> out;
        for (const auto& r : rows) out.push_back({r.Int(0), r.Text(1)});
        return out;
      });
}

Result<int64_t> LastSequence(store::Store& store) {
  return store::ReadValue<int64_t>(store, [](store::Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COALESCE(MAX(seq), 0) FROM audit_events"));
    return rows.front().Int(0);
  });
}

namespace internal {

SearchStatement BuildSearch(const SearchQuery& q, int64_t before) {
  // Only the filters given appear in the statement, so SQLite can serve each one from its index
  // (actor_id, seq), (target_id, seq), (action, seq) or (time, seq); a generic "? = '' OR
  // actor_id = ?" form defeats every index and made each search a scan of the whole log. Values
  // are always bound, never written into the text.
  SearchStatement st;
  // A family of actions is read from the action index, whatever the planner guesses: the newest
  // events of the whole log may hold none of them, and reading back until enough turn up scans.
  st.sql = q.action_prefix.empty()
               ? "SELECT seq, canonical FROM audit_events WHERE seq < ?"
               : "SELECT seq, canonical FROM audit_events INDEXED BY audit_events_action WHERE "
                 "seq < ?";
  st.params.emplace_back(before);
  const std::pair<const char*, const std::string*> equal[] = {
      {"actor_id", &q.actor}, {"target_id", &q.target}, {"action", &q.action}};
  for (const auto& [column, value] : equal) {
    if (value->empty()) continue;
    st.sql += fmt::format(" AND {} = ?", column);
    st.params.emplace_back(*value);
  }
  if (!q.action_prefix.empty()) {
    // A range, which the (action, seq) index serves: every action from the prefix up to (not
    // including) the prefix with its last byte raised by one.
    std::string end = q.action_prefix;
    end.back() = static_cast<char>(end.back() + 1);
    st.sql += " AND action >= ? AND action < ?";
    st.params.emplace_back(q.action_prefix);
    st.params.emplace_back(end);
  }
  if (q.since) {
    st.sql += " AND time >= ?";
    st.params.emplace_back(FormatRfc3339(*q.since));
  }
  if (q.until) {
    st.sql += " AND time < ?";
    st.params.emplace_back(FormatRfc3339(*q.until));
  }
  st.sql += " ORDER BY seq DESC LIMIT ?";
  st.params.emplace_back(static_cast<int64_t>(q.limit + 1));
  return st;
}

}  // namespace internal

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
  const auto statement = internal::BuildSearch(q, before);
  SearchPage page;
  {
    ASSIGN_OR_RETURN(auto rows, tx.Query(statement.sql, statement.params));
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
