#pragma once
// Login throttling. The policy, in full:
//
// 1. Per (username, source address): after the 3rd consecutive wrong password, each further attempt
//    must wait 1 s, then 2 s, 4 s, ... up to 60 s after the previous failure; an attempt that
//    comes too soon is refused with 429 and Retry-After, without checking the password (so it
//    neither counts nor costs an Argon2id hash). A successful login clears the record. The key is
//    the username as typed (folded), known or not, so throttling behaves identically for accounts
//    that do not exist: it cannot be used to enumerate them.
// 2. Per source address, across all usernames (credential stuffing): a token bucket of 10
//    failures that refills at one every 6 seconds. Only failed attempts take from it, so many
//    people signing in successfully from behind one address (an office's NAT) are never slowed;
//    an empty bucket refuses every further attempt from that address with 429 and Retry-After.
// 3. Per account: ten consecutive wrong passwords lock it until an admin unlocks it with a reason
//    (AuthService). The lock is per account, not per source, but an attacker cannot use it to deny
//    service quickly from one address, because (1) and (2) slow every source down first.
//
// TOTP failures are counted apart, on the login challenge (dead after 5 wrong codes).
//
// (1) lives in the store, so it holds across restarts and across nodes. (2) is in memory on each
// node (a node's own view of its sources), bounded in size.
//
// Thread-safety: SourceBuckets may be used from any thread.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace strongroom::identity {

inline constexpr int kFreeFailures = 3;
inline constexpr std::chrono::seconds kMaxDelay{60};

// The wait required after `failures` consecutive failures (0 for the first two).
std::chrono::seconds DelayAfter(int64_t failures);

class SourceBuckets {
 public:
  SourceBuckets(const Clock& clock, double capacity = 10,
                std::chrono::seconds refill_every = std::chrono::seconds(6),
                size_t max_sources = 100'000);
  // 0 if `source` may make an attempt now, else the seconds until it may.
  int64_t Check(const std::string& source);
  // Counts one failed attempt from `source`.
  void Consume(const std::string& source);

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  Bucket& Refilled(const std::string& source);  // requires mu_
  const Clock& clock_;
  const double capacity_;
  const std::chrono::seconds refill_every_;
  const size_t max_sources_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace strongroom::identity
