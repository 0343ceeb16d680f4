#pragma once
// Queries over the audit log: by actor, target, action and time range, newest first, a page at a
// time. The cursor is opaque to callers (today: the last sequence number returned). Every search
// made through the CLI or API is itself recorded as an `audit.search` event by the caller.
// AuditLog::Search runs them over the journal's index (journal_index.h).

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

// kInvalidArgument for a limit out of range, a cursor that is not one, a filter too long;
// otherwise the sequence to search before.
Result<int64_t> CheckQuery(const SearchQuery& query);

namespace internal {
// The parameterised statement over the index for `query` with events older than `before`
// (columns seq, segment, offset); for tests of its plan.
struct SearchStatement {
  std::string sql;
  store::Params params;
};
SearchStatement BuildSearch(const SearchQuery& query, int64_t before);
}  // namespace internal

}  // namespace strongroom::audit
