#pragma once
// The locks on an account, as an administrator acts on them: a lock by hand (status `locked`,
// sessions ended) and the locks the sign-in throttle sets (identity/throttle.h: unknown devices,
// known devices, second factors). Identity owns these columns; the admin actions that decide who
// may lock or unlock whom (lifecycle) change them only through here.
//
// Each function runs inside the caller's write transaction.

#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::identity {

// True if any lock holds now: by hand (or after too many wrong second factors), on unknown
// devices, or on any of the account's known devices.
Result<bool> AnyLockHolds(store::Transaction& tx, std::string_view account_id, TimePoint now);

// Locks an active account by hand and ends its sessions; kFailedPrecondition if it is not active.
Result<void> LockByHand(store::Transaction& tx, std::string_view account_id);

// Lifts every lock and clears the counts that led to them.
Result<void> LiftLocks(store::Transaction& tx, std::string_view account_id);

}  // namespace strongroom::identity
