// Per-source token buckets on a clock moved by hand.

#include "common/source_buckets.h"

#include <gtest/gtest.h>

namespace strongroom {
namespace {

using namespace std::chrono_literals;

TEST(SourceBucketsTest, ABurstThenTheRateAndOtherSourcesUntouched) {
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  SourceBuckets buckets(clock, 3, 250ms);  // four a second after a burst of three
  for (int i = 0; i < 3; ++i) EXPECT_EQ(buckets.Take("a"), 0) << i;
  EXPECT_EQ(buckets.Take("a"), 1) << "under a second to wait says one";
  EXPECT_EQ(buckets.Take("b"), 0) << "another source has its own bucket";
  clock.Advance(250ms);
  EXPECT_EQ(buckets.Take("a"), 0) << "one token back after a quarter second";
  EXPECT_EQ(buckets.Take("a"), 1);
  buckets.Refund("a");
  EXPECT_EQ(buckets.Take("a"), 0) << "a refund gives the token back";
  clock.Advance(10s);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(buckets.Take("a"), 0) << "refilled to the burst only";
  EXPECT_GT(buckets.Take("a"), 0);
}

TEST(SourceBucketsTest, ASlowRefillSaysHowLongToWait) {
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  SourceBuckets buckets(clock, 1, 6s);
  EXPECT_EQ(buckets.Take("a"), 0);
  EXPECT_EQ(buckets.Take("a"), 6);
  clock.Advance(4s);
  EXPECT_EQ(buckets.Take("a"), 2);
}

TEST(SourceBucketsTest, TheMapStaysBoundedAndForgetsFullBucketsFirst) {
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  SourceBuckets buckets(clock, 2, 1s, 3);
  EXPECT_EQ(buckets.Take("busy"), 0);
  EXPECT_EQ(buckets.Take("busy"), 0);  // empty now
  for (int i = 0; i < 50; ++i) {
    const auto source = "s" + std::to_string(i);
    EXPECT_EQ(buckets.Take(source), 0);
    buckets.Refund(source);  // full again: nothing worth remembering
  }
  EXPECT_GT(buckets.Take("busy"), 0) << "the empty bucket was kept; full ones were forgotten";
}

TEST(SourceBucketsTest, WhenNoneIsFullTheOneLeftAloneLongestGoes) {
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  SourceBuckets buckets(clock, 1, 1h, 2);
  EXPECT_EQ(buckets.Take("old"), 0);  // empty for an hour
  clock.Advance(1s);
  EXPECT_EQ(buckets.Take("attacker"), 0);
  clock.Advance(1s);
  EXPECT_GT(buckets.Take("attacker"), 0) << "throttled, and touched last";
  EXPECT_EQ(buckets.Take("newcomer"), 0) << "a third source: one bucket must go";
  EXPECT_GT(buckets.Take("attacker"), 0) << "the attacker's empty bucket was kept";
  EXPECT_EQ(buckets.Take("old"), 0) << "the oldest went, and starts full again";
}

}  // namespace
}  // namespace strongroom
