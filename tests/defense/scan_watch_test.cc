#include "defense/scan_watch.h"

#include <gtest/gtest.h>

namespace strongroom::defense {
namespace {

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 20000));

TEST(ScanWatchTest, ManyDifferentUnknownPathsInAWindowAreAScanReportedOnce) {
  ScanWatch w({.distinct = 5, .window = std::chrono::seconds(60)});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(w.Miss("192.0.2.1", "GET", "/p" + std::to_string(i), kStart));
  }
  EXPECT_TRUE(w.Miss("192.0.2.1", "GET", "/p4", kStart)) << "the fifth different path";
  EXPECT_FALSE(w.Miss("192.0.2.1", "GET", "/p5", kStart)) << "once per window";
  EXPECT_FALSE(w.Miss("192.0.2.2", "GET", "/p0", kStart)) << "another source counts alone";
  // A new window starts the count again.
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(
        w.Miss("192.0.2.1", "GET", "/q" + std::to_string(i), kStart + std::chrono::seconds(61)));
  }
  EXPECT_TRUE(w.Miss("192.0.2.1", "GET", "/q4", kStart + std::chrono::seconds(61)));
}

TEST(ScanWatchTest, OneWrongPathAskedOverAndOverIsNotAScan) {
  ScanWatch w({.distinct = 5, .window = std::chrono::seconds(60)});
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(w.Miss("192.0.2.1", "GET", "/health", kStart));
  // Methods count as different requests for the same path (a method scan).
  for (const char* m : {"PUT", "DELETE", "TRACE", "PATCH"}) {
    EXPECT_EQ(w.Miss("192.0.2.1", m, "/health", kStart), std::string_view(m) == "PATCH") << m;
  }
}

TEST(ScanWatchTest, AnIpv6SourceIsCountedByItsSlash64) {
  ScanWatch w({.distinct = 3, .window = std::chrono::seconds(60)});
  EXPECT_FALSE(w.Miss("2001:db8:1:2::1", "GET", "/a", kStart));
  EXPECT_FALSE(w.Miss("2001:db8:1:2::2", "GET", "/b", kStart));
  EXPECT_TRUE(w.Miss("2001:db8:1:2::3", "GET", "/c", kStart));
}

}  // namespace
}  // namespace strongroom::defense
