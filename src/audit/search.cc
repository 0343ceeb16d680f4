#include "audit/search.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "audit/event.h"

namespace strongroom::audit {
Result<void> CheckFilters(const SearchQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return Fail(ErrorCode::kInvalidArgument, "limit must be between 1 and 1000");
  }
  for (const auto* field : {&q.actor, &q.target, &q.action, &q.action_prefix}) {
    if (field->size() > 256) return Fail(ErrorCode::kInvalidArgument, "filter value too long");
  }
  return {};
}

Result<int64_t> CheckQuery(const SearchQuery& q) {
  RETURN_IF_ERROR(CheckFilters(q));
  int64_t before = std::numeric_limits<int64_t>::max();
  if (!q.cursor.empty()) {
    auto [p, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), before);
    if (ec != std::errc() || p != q.cursor.data() + q.cursor.size() || before < 1) {
      return Fail(ErrorCode::kInvalidArgument, "cursor is not valid");
    }
  }
  return before;
}

namespace internal {

std::string Literal(std::string_view value) {
  std::string out;
  AppendEscaped(out, value);
  return out;
}

SearchStatement BuildSearch(const SearchQuery& q, int64_t before) {
  // Only the filters given appear in the statement, so SQLite can serve each one from its index
  // (actor_id, seq), (target_id, seq), (action, seq) or (time, seq); a generic "? = '' OR
  // actor_id = ?" form defeats every index and made each search a scan of the whole log. Values
  // are always bound, never written into the text.
  SearchStatement st;
  // A family of actions is read from the action index, whatever the planner guesses: the newest
  // events of the whole log may hold none of them, and reading back until enough turn up scans.
  st.sql = q.action_prefix.empty()
               ? "SELECT seq, segment, offset FROM audit_events WHERE seq < ?"
               : "SELECT seq, segment, offset FROM audit_events INDEXED BY audit_events_action "
                 "WHERE seq < ?";
  st.params.emplace_back(before);
  AppendFilters(q, st);
  st.sql += " ORDER BY seq DESC LIMIT ?";
  st.params.emplace_back(static_cast<int64_t>(q.limit + 1));
  return st;
}

void AppendFilters(const SearchQuery& q, SearchStatement& st) {
  const std::pair<const char*, const std::string*> equal[] = {
      {"actor_id", &q.actor}, {"target_id", &q.target}, {"action", &q.action}};
  for (const auto& [column, value] : equal) {
    if (value->empty()) continue;
    st.sql += fmt::format(" AND {} = ?", column);
    st.params.emplace_back(Literal(*value));
  }
  if (!q.action_prefix.empty()) {
    // A range, which the (action, seq) index serves: every action from the prefix up to (not
    // including) the prefix with its last byte raised by one, as literals without their closing
    // quote.
    std::string start = Literal(q.action_prefix);
    start.pop_back();
    std::string end = start;
    end.back() = static_cast<char>(end.back() + 1);
    st.sql += " AND action >= ? AND action < ?";
    st.params.emplace_back(start);
    st.params.emplace_back(end);
  }
  if (q.since) {
    st.sql += " AND time >= ?";
    st.params.emplace_back(Literal(FormatRfc3339(*q.since)));
  }
  if (q.until) {
    st.sql += " AND time < ?";
    st.params.emplace_back(Literal(FormatRfc3339(*q.until)));
  }
}

}  // namespace internal

}  // namespace strongroom::audit
