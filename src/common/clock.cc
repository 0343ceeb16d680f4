#include "common/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace strongroom {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

namespace {

// `n` decimal digits of `value` (which fits), most significant first.
void PutDigits(char* out, int64_t value, int n) {
  for (int i = n - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// The number the decimal digits text[at, at + n) spell (the caller checked they are digits).
int Digits(std::string_view text, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
  return v;
}

}  // namespace

// Both run on every request (sessions, records, audit events): plain digit arithmetic rather than
// a formatting or scanning library.
std::string FormatRfc3339(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  if (static_cast<int>(ymd.year()) < 0 || static_cast<int>(ymd.year()) > 9999) {
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, (t - secs).count());
  }
  const auto in_day = std::chrono::duration_cast<std::chrono::milliseconds>(t - days).count();
  std::string out = "0000-00-00T00:00:00.000Z";
  PutDigits(&out[0], static_cast<int>(ymd.year()), 4);
  PutDigits(&out[5], static_cast<unsigned>(ymd.month()), 2);
  PutDigits(&out[8], static_cast<unsigned>(ymd.day()), 2);
  PutDigits(&out[11], in_day / 3'600'000, 2);
  PutDigits(&out[14], in_day / 60'000 % 60, 2);
  PutDigits(&out[17], in_day / 1000 % 60, 2);
  PutDigits(&out[20], in_day % 1000, 3);
  return out;
}

std::optional<TimePoint> ParseRfc3339(std::string_view text) {
  if (text.size() != 20 && text.size() != 24) return std::nullopt;
  // Fixed shape: digits where digits belong, nothing else (no signs, spaces or offsets).
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < text.size(); ++i) {
    const char want = text.size() == 20 && i == 19 ? 'Z' : kShape[i];
    const bool ok = want == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == want;
    if (!ok) return std::nullopt;
  }
  const int h = Digits(text, 11, 2), mi = Digits(text, 14, 2), sec = Digits(text, 17, 2);
  const int ms = text.size() == 24 ? Digits(text, 20, 3) : 0;
  const std::chrono::year_month_day ymd{
      std::chrono::year(Digits(text, 0, 4)),
      std::chrono::month(static_cast<unsigned>(Digits(text, 5, 2))),
      std::chrono::day(static_cast<unsigned>(Digits(text, 8, 2)))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return TimePoint(std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(h) +
                   std::chrono::minutes(mi) + std::chrono::seconds(sec) +
                   std::chrono::milliseconds(ms));
}

}  // namespace strongroom
