#include "common/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdio>

namespace strongroom {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string FormatRfc3339(TimePoint t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto ms = (t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, ms);
}

std::optional<TimePoint> ParseRfc3339(std::string_view text) {
  if (text.size() != 20 && text.size() != 24) return std::nullopt;
  // Fixed shape: digits where digits belong (sscanf alone would take signs and spaces).
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < text.size(); ++i) {
    const char want = text.size() == 20 && i == 19 ? 'Z' : kShape[i];
    const bool ok = want == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == want;
    if (!ok) return std::nullopt;
  }
  const std::string s(text);
  int y, mo, d, h, mi, sec, ms = 0;
  char t, z;
  int n = 0;
  if (s.size() == 20) {
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%c%n", &y, &mo, &d, &t, &h, &mi, &sec, &z,
                    &n) != 8) {
      return std::nullopt;
    }
  } else if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d.%3d%c%n", &y, &mo, &d, &t, &h, &mi,
                         &sec, &ms, &z, &n) != 9) {
    return std::nullopt;
  }
  if (static_cast<size_t>(n) != s.size() || t != 'T' || z != 'Z') return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y),
                                        std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0 || ms < 0) {
    return std::nullopt;
  }
  return TimePoint(std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(h) +
                   std::chrono::minutes(mi) + std::chrono::seconds(sec) +
                   std::chrono::milliseconds(ms));
}

}  // namespace strongroom
