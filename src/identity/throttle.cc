#include "identity/throttle.h"

#include <algorithm>
#include <cmath>

namespace strongroom::identity {

std::chrono::seconds DelayAfter(int64_t failures) {
  if (failures < kFreeFailures) return std::chrono::seconds(0);
  const int64_t exponent = std::min<int64_t>(failures - kFreeFailures, 6);
  return std::min(std::chrono::seconds(int64_t{1} << exponent), kMaxDelay);
}

std::chrono::minutes LockDuration(int64_t previous_locks) {
  constexpr std::chrono::minutes kFirst{15}, kLongest{24 * 60};
  const int64_t doublings = std::clamp<int64_t>(previous_locks, 0, 7);
  return std::min(kFirst * (int64_t{1} << doublings), kLongest);
}

SourceBuckets::SourceBuckets(const Clock& clock, double capacity, std::chrono::seconds refill_every,
                             size_t max_sources)
    : clock_(clock), capacity_(capacity), refill_every_(refill_every), max_sources_(max_sources) {}

SourceBuckets::Bucket& SourceBuckets::Refilled(const std::string& source) {
  const auto now = clock_.Now();
  if (buckets_.size() >= max_sources_ && !buckets_.contains(source)) {
    // Forget full buckets first: they hold no information.
    std::erase_if(buckets_, [&](const auto& kv) {
      const double elapsed = std::chrono::duration<double>(now - kv.second.updated).count();
      return kv.second.tokens + elapsed / static_cast<double>(refill_every_.count()) >= capacity_;
    });
    if (buckets_.size() >= max_sources_) buckets_.erase(buckets_.begin());
  }
  auto [it, inserted] = buckets_.try_emplace(source, Bucket{capacity_, now});
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(capacity_, b.tokens + elapsed / static_cast<double>(refill_every_.count()));
  b.updated = now;
  return b;
}

int64_t SourceBuckets::Take(const std::string& source) {
  std::lock_guard lock(mu_);
  Bucket& b = Refilled(source);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return static_cast<int64_t>(
      std::ceil((1.0 - b.tokens) * static_cast<double>(refill_every_.count())));
}

void SourceBuckets::Refund(const std::string& source) {
  std::lock_guard lock(mu_);
  Bucket& b = Refilled(source);
  b.tokens = std::min(capacity_, b.tokens + 1.0);
}

}  // namespace strongroom::identity
