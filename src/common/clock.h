#pragma once
// Time, injected. Every component that needs the time takes a `Clock&` so that tests can move it
// instead of sleeping. `SystemClock` is the real one; `ManualClock` only moves when told to.
//
// Thread-safety: both implementations may be read from any thread; ManualClock::Advance may race
// with readers safely (the value is atomic).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strongroom {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), millisecond resolution.
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_ms_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(std::chrono::milliseconds(now_ms_.load())); }
  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

// The system clock moved forward by an offset that can only grow. Test builds use it so that
// integration tests can move a real server's time (idle timeouts, expiry) without sleeping; the
// control that moves it exists only in test builds on non-production instances.
class OffsetClock final : public Clock {
 public:
  TimePoint Now() const override {
    return base_.Now() + std::chrono::milliseconds(offset_ms_.load());
  }
  void Advance(std::chrono::milliseconds by) {
    if (by.count() > 0) offset_ms_ += by.count();
  }

 private:
  SystemClock base_;
  std::atomic<int64_t> offset_ms_{0};
};

// "2026-11-28T02:41:00.123Z"
std::string FormatRfc3339(TimePoint t);
// Parses "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC only); nullopt otherwise.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace strongroom
