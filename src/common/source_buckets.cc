#include "common/source_buckets.h"

#include <algorithm>
#include <cmath>

namespace strongroom {

SourceBuckets::SourceBuckets(const Clock& clock, double capacity,
                             std::chrono::milliseconds refill_every, size_t max_sources)
    : clock_(clock), capacity_(capacity), refill_every_(refill_every), max_sources_(max_sources) {}

double SourceBuckets::Refill(std::chrono::milliseconds elapsed) const {
  // A clock stepped back refills nothing (and takes nothing away).
  if (elapsed.count() <= 0) return 0;
  return static_cast<double>(elapsed.count()) / static_cast<double>(refill_every_.count());
}

SourceBuckets::Bucket& SourceBuckets::Refilled(const std::string& source) {
  const auto now = clock_.Now();
  if (buckets_.size() >= max_sources_ && !buckets_.contains(source)) {
    // Forget full buckets first: they hold no information.
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + Refill(now - kv.second.updated) >= capacity_;
    });
    if (buckets_.size() >= max_sources_) {
      // Then the one left alone longest: a source being throttled now keeps its count.
      buckets_.erase(std::min_element(
          buckets_.begin(), buckets_.end(),
          [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; }));
    }
  }
  auto [it, inserted] = buckets_.try_emplace(source, Bucket{capacity_, now});
  Bucket& b = it->second;
  b.tokens = std::min(capacity_, b.tokens + Refill(now - b.updated));
  b.updated = std::max(b.updated, now);
  return b;
}

int64_t SourceBuckets::Take(const std::string& source) {
  std::lock_guard lock(mu_);
  Bucket& b = Refilled(source);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  const int64_t ms = std::llround((1.0 - b.tokens) * static_cast<double>(refill_every_.count()));
  return std::max<int64_t>(1, (ms + 999) / 1000);
}

void SourceBuckets::Refund(const std::string& source) {
  std::lock_guard lock(mu_);
  Bucket& b = Refilled(source);
  b.tokens = std::min(capacity_, b.tokens + 1.0);
}

}  // namespace strongroom
