#include "store/leases.h"

namespace strongroom::store {

Result<std::string> TakeLease(Store& store, std::string_view name, std::string_view holder,
                              TimePoint now, std::chrono::milliseconds term) {
  std::string held_by;
  RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT holder, until_ms FROM leases WHERE name = ?",
                                         {std::string(name)}));
    const int64_t at = now.time_since_epoch().count();
    // A term that ends further off than two terms from now was taken on a clock that ran well
    // ahead: lapsed, or the work would stop until that clock's time. (Within that, ordinary skew
    // between the nodes' clocks never hands a held lease over.)
    const int64_t until = rows.empty() ? 0 : rows.front().Int(1);
    if (!rows.empty() && rows.front().Text(0) != holder && until > at &&
        until <= at + 2 * term.count()) {
      held_by = rows.front().Text(0);
      return {};
    }
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO leases (name, holder, until_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
        "SET holder = excluded.holder, until_ms = excluded.until_ms",
        {std::string(name), std::string(holder), at + term.count()}));
    held_by = holder;
    return {};
  }));
  return held_by;
}

}  // namespace strongroom::store
