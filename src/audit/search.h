#pragma once
// Queries over the audit log: by actor, target, action and time range, newest first, a page at a
// time. The cursor is opaque to callers (the journal index's: the last sequence number returned;
// the copy across nodes' (audit_copy.h): where the last event returned lies in its order). Every
// search made through the CLI or API is itself recorded as an `audit.search` event by the caller.
// AuditLog runs them over the journal's index (journal_index.h), or on PostgreSQL over every node's
// copy (audit_copy.h).

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/value.h"

namespace strongroom::audit {

struct SearchQuery {
  std::string actor;          // account id; "" = any
  std::string target;         // target id; "" = any
  std::string action;         // exact action name; "" = any
  std::string action_prefix;  // e.g. "security." for every security event; "" = any
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  std::string cursor;  // "" = from the newest
  int limit = 100;     // 1..1000
};

struct SearchPage {
  std::vector<std::string> events;  // canonical JSON, newest first
  std::string next_cursor;          // "" when there is no more
};

// kInvalidArgument for a limit out of range or a filter too long.
Result<void> CheckFilters(const SearchQuery& query);
// As CheckFilters, and for a cursor that is not one of the journal index's; otherwise the
// sequence to search before.
Result<int64_t> CheckQuery(const SearchQuery& query);

namespace internal {
// The parameterised statement over the index for `query` with events older than `before`
// (columns seq, segment, offset); for tests of its plan.
struct SearchStatement {
  std::string sql;
  store::Params params;
};
SearchStatement BuildSearch(const SearchQuery& query, int64_t before);
// Appends the query's filters (actor, target, action or family, time range) to `st`, whose
// columns are named as the index names them, each as " AND ...".
void AppendFilters(const SearchQuery& query, SearchStatement& st);
// A value as the index keeps it: a JSON string literal, as the event's canonical text writes it.
std::string Literal(std::string_view value);
}  // namespace internal

}  // namespace strongroom::audit
