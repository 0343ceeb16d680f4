#pragma once
// Leases on work that one node of several serving one database must do at a time, once for them
// all (store/postgres/pg_store.h): the purge, account expiry, the supplier certificates' check.
// A node takes a lease that is free, lapsed, or its own, which renews it for `term`; a node that
// does not hold it skips the work. If the holder stops, another node takes the work over once the
// term has lapsed. Terms are read on each taker's clock: nodes' clocks must agree to well within
// a term (NTP). A lease whose term ends further off than two terms from the taker's now was
// taken on a clock that ran well ahead: it counts as lapsed.
//
// The embedded store has one node: its leases are always its own.
//
// Thread-safety: any thread.

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "store/store.h"

namespace strongroom::store {

// Takes or renews the lease `name` for `holder` until `now + term`, if it is free, lapsed or
// already `holder`'s. Returns who holds it afterwards (`holder` if taken).
Result<std::string> TakeLease(Store& store, std::string_view name, std::string_view holder,
                              TimePoint now, std::chrono::milliseconds term);

}  // namespace strongroom::store
