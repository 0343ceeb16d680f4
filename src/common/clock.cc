#include "common/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace strongroom {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string FormatRfc3339(TimePoint t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto ms = (t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, ms);
}

}  // namespace strongroom
