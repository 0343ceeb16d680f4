#include "identity/throttle.h"

#include <gtest/gtest.h>

namespace strongroom::identity {
namespace {

TEST(ThrottleTest, DelayEscalatesAfterThreeFailuresUpToAMinute) {
  const std::vector<std::pair<int64_t, int64_t>> table = {
      {0, 0}, {1, 0}, {2, 0}, {3, 1}, {4, 2}, {5, 4}, {6, 8}, {7, 16}, {8, 32}, {9, 60}, {50, 60}};
  for (auto [failures, seconds] : table) {
    EXPECT_EQ(DelayAfter(failures).count(), seconds) << failures;
  }
}

TEST(ThrottleTest, UnknownDeviceLocksDoubleFromAQuarterHourUpToADay) {
  const std::vector<std::pair<int64_t, int64_t>> table = {
      {0, 15}, {1, 30}, {2, 60}, {3, 120}, {4, 240}, {5, 480}, {6, 960}, {7, 1440}, {40, 1440}};
  for (auto [locks, minutes] : table) {
    EXPECT_EQ(LockDuration(locks).count(), minutes) << locks;
  }
}

TEST(ThrottleTest, SourceBucketAllowsABurstOfFailuresThenRefills) {
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'800'000'000'000)));
  SourceBuckets buckets(clock, kAddressBurst, kAddressRefill);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(buckets.Take("192.0.2.1"), 0) << i;
  EXPECT_EQ(buckets.Take("192.0.2.1"), 6);
  EXPECT_EQ(buckets.Take("192.0.2.2"), 0);  // other sources are unaffected
  clock.Advance(std::chrono::seconds(6));
  EXPECT_EQ(buckets.Take("192.0.2.1"), 0);
  EXPECT_GT(buckets.Take("192.0.2.1"), 0);
  buckets.Refund("192.0.2.1");  // an attempt that succeeded gives its token back
  EXPECT_EQ(buckets.Take("192.0.2.1"), 0);
}

TEST(ThrottleTest, SuccessfulAttemptsNeverEmptyTheBucket) {
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'800'000'000'000)));
  SourceBuckets buckets(clock, kAddressBurst, kAddressRefill);
  // Each attempt takes a token and a success gives it back.
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(buckets.Take("198.51.100.7"), 0);
    buckets.Refund("198.51.100.7");
  }
}

TEST(ThrottleTest, BucketMapStaysBounded) {
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'800'000'000'000)));
  SourceBuckets buckets(clock, 10, std::chrono::seconds(6), 100);
  for (int i = 0; i < 1000; ++i) (void)buckets.Take("10.0.0." + std::to_string(i));
  // Still answers, and a fresh source gets a full bucket.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(buckets.Take("fresh"), 0);
}

}  // namespace
}  // namespace strongroom::identity
