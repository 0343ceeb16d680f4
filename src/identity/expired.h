#pragma once
// What sign-in leaves behind that has outlived its use, deleted by its owner for the purge job:
// sessions past their lifetime, login challenges, security-key ceremonies and enrolment tokens
// past their expiry or used, device cookies unused for their lifetime, and sign-in delays a day
// past their end (failed sign-ins with made-up usernames would otherwise pile up).
//
// Runs inside the caller's write transaction.

#include <chrono>
#include <cstdint>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::identity {

struct ExpiredCounts {
  int64_t sessions = 0;
  int64_t challenges = 0;  // login challenges and security-key ceremonies
  int64_t enrolment_tokens = 0;
  int64_t devices = 0;
  int64_t throttles = 0;
};

Result<ExpiredCounts> DeleteExpired(store::Transaction& tx, TimePoint now,
                                    std::chrono::hours device_lifetime);

// What a restored instance must not honour from before its backup (backup/backup.h): every
// session and half-finished sign-in, and every enrolment token not yet used (it may have been
// used since, on the instance backed up; an admin issues a new one).
struct Forgotten {
  int64_t sessions = 0;
  int64_t enrolment_tokens = 0;
};
Result<Forgotten> ForgetLiveCredentials(store::Transaction& tx, TimePoint now);

}  // namespace strongroom::identity
