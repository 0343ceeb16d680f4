#pragma once
// Queries over the audit log: by actor, target, action and time range, newest first, a page at a
// time. The cursor is opaque to callers (today: the last sequence number returned). Every search
// made through the CLI or API is itself recorded as an `audit.search` event by the caller.

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

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

Result<SearchPage> Search(store::Store& store, const SearchQuery& query);
// The same, inside a read transaction the caller holds (e.g. AuditLog::Observe's).
Result<SearchPage> Search(store::Transaction& tx, const SearchQuery& query);

// For readers that follow the log as it grows (attack detection): up to `limit` events after
// sequence `after`, oldest first, with their sequence numbers; and the last sequence now.
struct Followed {
  int64_t sequence;
  std::string canonical;
};
Result<std::vector<Followed>> ReadAfter(store::Store& store, int64_t after, int limit);
Result<int64_t> LastSequence(store::Store& store);

namespace internal {
// The parameterised statement for `query` with events older than `before`; for tests of its plan.
struct SearchStatement {
  std::string sql;
  store::Params params;
};
SearchStatement BuildSearch(const SearchQuery& query, int64_t before);
}  // namespace internal

}  // namespace strongroom::audit
