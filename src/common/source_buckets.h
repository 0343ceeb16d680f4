#pragma once
// Token buckets, one per source (an address, a device): a burst of `capacity` at once, then one
// more every `refill_every`. Used for the sign-in allowance of an address (identity/throttle.h)
// and for the requests an address may send (http/server.h).
//
// The map is bounded: past `max_sources`, full buckets (which hold no information) are forgotten
// first, then the one left alone longest. Thread-safe.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace strongroom {

class SourceBuckets {
 public:
  SourceBuckets(const Clock& clock, double capacity, std::chrono::milliseconds refill_every,
                size_t max_sources = 100'000);
  // Takes one token from `source`'s bucket: 0 if it may go ahead, else the whole seconds (at
  // least 1) until it may, and nothing is taken. Checking and taking are one step, so concurrent
  // attempts cannot all pass a check before any is counted.
  int64_t Take(const std::string& source);
  // Gives back what Take took (for an attempt that, after all, does not count).
  void Refund(const std::string& source);

 private:
  struct Bucket {
    double tokens;
    TimePoint updated;
  };
  Bucket& Refilled(const std::string& source);  // requires mu_
  double Refill(std::chrono::milliseconds elapsed) const;
  const Clock& clock_;
  const double capacity_;
  const std::chrono::milliseconds refill_every_;
  const size_t max_sources_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace strongroom
