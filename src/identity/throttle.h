#pragma once
// Login throttling and lockout. The policy, in full:
//
// 1. Per (username, source): after the 3rd consecutive wrong password, each further attempt must
//    wait 1 s, then 2 s, 4 s, ... up to 60 s after the previous failure; an attempt that comes too
//    soon is refused with 429 and Retry-After, without checking the password (so it neither counts
//    nor costs an Argon2id hash). A successful password clears the record. The key is the username
//    as typed (folded), known or not, so throttling behaves identically for accounts that do not
//    exist: it cannot be used to enumerate them. The "source" is the client's address, or, for a
//    known device (5), the device: an owner behind the same address as an attacker keeps going.
// 2. Per source address, across all usernames (credential stuffing): a token bucket of 10
//    failures that refills at one every 6 seconds. Each attempt takes from it before anything is
//    checked and a success gives back what it took, so many people signing in successfully from
//    behind one address (an office's NAT) are never slowed, and a burst of attempts sent
//    together cannot outrun it;
//    an empty bucket refuses every further attempt from that address with 429 and Retry-After.
//    Known devices (5) are not held back by their address's bucket.
// 3. Unknown devices, per account: ten consecutive wrong passwords from devices the account has
//    never signed in from lock out unknown devices (only) for 15 minutes, doubling with each lock
//    in a row up to 24 hours (`LockDuration`); attempts during a lock are refused with the same
//    answer as a wrong password and do not extend it. A full sign-in from an unknown device
//    ends the escalation (one from a known device does not: the attack may still go on).
// 4. Second factors, per account, across challenges and sessions: each wrong TOTP or recovery
//    code (sign-in or re-authentication) counts; after the 3rd in a row each further code waits as
//    in (1), refused with 429 unchecked if it comes too soon; the 10th in a row locks the account
//    (its sessions end) until an admin unlocks it. Only a correct code resets the count. Three
//    wrong re-authentication codes end the session they were tried on. A login challenge also
//    dies after 5 wrong codes.
// 5. Known devices: a full sign-in gives the client a device cookie. Wrong passwords with that
//    cookie count against the device alone: ten in a row lock that device for 15 minutes. So an
//    attacker who knows a username can lock unknown devices, never the owner's own.
// Admins can lock an account by hand, and unlock lifts every lock above. Every refusal, throttle
// and lock is an audit event; the owner is shown the failed attempts at their next sign-in.
//
// (1), (3) and (5) are counted for each attempt in one write before its password is checked (a
// success takes the count back), (4) in the write that checks the code: attempts that arrive
// together are counted one after another. (1), (3), (4) and (5) live in the store, so they hold
// across restarts and across nodes. (2) is in memory on each node (a node's own view of its
// sources), bounded in size.
//
// Thread-safety: SourceBuckets may be used from any thread.

#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/source_buckets.h"

namespace strongroom::identity {

inline constexpr int kFreeFailures = 3;
// How long a device cookie names a device, from its last use (rule 5).
inline constexpr std::chrono::hours kDeviceLifetime = std::chrono::days(180);
inline constexpr std::chrono::seconds kMaxDelay{60};

// The wait required after `failures` consecutive failures (0 for the first two).
std::chrono::seconds DelayAfter(int64_t failures);

// How long unknown devices are locked out the time after `previous_locks` locks in a row.
std::chrono::minutes LockDuration(int64_t previous_locks);

// The allowance of sign-in attempts from one address (rule 2): a burst of 10, then one every six
// seconds.
inline constexpr double kAddressBurst = 10;
inline constexpr std::chrono::milliseconds kAddressRefill{6'000};

}  // namespace strongroom::identity
