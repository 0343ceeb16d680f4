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

}  // namespace strongroom::identity
