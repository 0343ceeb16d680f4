#include "defense/sources.h"

#include <gtest/gtest.h>

namespace strongroom::defense {
namespace {

using std::chrono::seconds;

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 20000));

SourcePolicy Policy() {
  SourcePolicy p;
  p.block_score = 20;
  p.half_life = seconds(600);
  p.block_for = seconds(900);
  p.allow = *CidrList::Parse({"10.9.0.0/16"});
  return p;
}

TEST(SourcesTest, ScoresAddUpToABlockThatEndsAfterItsTime) {
  Sources s(Policy());
  EXPECT_FALSE(s.Raise("192.0.2.1", 5, kStart).blocked_until);
  EXPECT_FALSE(s.Raise("192.0.2.1", 10, kStart).blocked_until);
  EXPECT_FALSE(s.BlockedUntil("192.0.2.1", kStart));
  const auto r = s.Raise("192.0.2.1", 5, kStart);
  ASSERT_TRUE(r.blocked_until);
  EXPECT_EQ(*r.blocked_until, kStart + seconds(900));
  EXPECT_DOUBLE_EQ(r.score, 20);
  EXPECT_EQ(s.BlockedUntil("192.0.2.1", kStart + seconds(899)), kStart + seconds(900));
  EXPECT_FALSE(s.BlockedUntil("192.0.2.2", kStart)) << "only that source";
  EXPECT_EQ(s.blocked(), 1u);
  // Raised again while blocked: no second block.
  EXPECT_FALSE(s.Raise("192.0.2.1", 50, kStart + seconds(1)).blocked_until);

  EXPECT_TRUE(s.Release(kStart + seconds(899)).empty());
  EXPECT_EQ(s.Release(kStart + seconds(900)), std::vector<std::string>{"192.0.2.1"});
  EXPECT_FALSE(s.BlockedUntil("192.0.2.1", kStart + seconds(900)));
  EXPECT_EQ(s.blocked(), 0u);
  // It starts again from zero.
  EXPECT_DOUBLE_EQ(s.Raise("192.0.2.1", 5, kStart + seconds(901)).score, 5);
}

// Blocks the shared scores reached (defense/shared_sources.h): another node's is enforced and
// ends without a word, this node's own is reported as it ends.
TEST(SourcesTest, ABlockReachedElsewhereIsEnforcedAndOnlyThisNodesOwnEndsWithAReport) {
  Sources s(Policy());
  EXPECT_TRUE(s.Block("192.0.2.5", kStart + seconds(100), /*own=*/false));
  EXPECT_TRUE(s.Block("192.0.2.6", kStart + seconds(100), /*own=*/true));
  EXPECT_EQ(s.BlockedUntil("192.0.2.5", kStart), kStart + seconds(100));
  EXPECT_EQ(s.blocked(), 2u);
  EXPECT_FALSE(s.Block("192.0.2.5", kStart + seconds(50), false)) << "not shortened";
  EXPECT_EQ(s.BlockedUntil("192.0.2.5", kStart), kStart + seconds(100));
  EXPECT_TRUE(s.Block("192.0.2.5", kStart + seconds(200), false)) << "lengthened";
  EXPECT_EQ(s.Release(kStart + seconds(100)), std::vector<std::string>{"192.0.2.6"});
  EXPECT_EQ(s.Release(kStart + seconds(200)), std::vector<std::string>{})
      << "another node's block ends without a report";
  EXPECT_FALSE(s.BlockedUntil("192.0.2.5", kStart + seconds(200)));
  EXPECT_EQ(s.blocked(), 0u);
}

TEST(SourcesTest, AScoreHalvesEveryHalfLifeSoOddFalseAlarmsNeverAddUp) {
  Sources s(Policy());
  s.Raise("192.0.2.1", 16, kStart);
  EXPECT_NEAR(s.Raise("192.0.2.1", 0, kStart + seconds(600)).score, 8, 1e-9);
  EXPECT_NEAR(s.Raise("192.0.2.1", 0, kStart + seconds(1200)).score, 4, 1e-9);
  // One critical match an hour, all day: never near the block score.
  Sources daily(Policy());
  for (int h = 0; h < 24; ++h) {
    EXPECT_FALSE(daily.Raise("192.0.2.3", 5, kStart + std::chrono::hours(h)).blocked_until);
  }
}

TEST(SourcesTest, AllowListedSourcesAreScoredButNeverBlocked) {
  Sources s(Policy());
  const auto r = s.Raise("10.9.4.4", 1000, kStart);
  EXPECT_DOUBLE_EQ(r.score, 1000);
  EXPECT_FALSE(r.blocked_until);
  EXPECT_FALSE(s.BlockedUntil("10.9.4.4", kStart));
  EXPECT_TRUE(s.Allowed("10.9.4.4"));
  EXPECT_TRUE(s.Allowed("::ffff:10.9.4.4"));
  EXPECT_FALSE(s.Allowed("10.8.4.4"));
}

TEST(SourcesTest, AnIpv6SourceIsKeptByItsSlash64) {
  Sources s(Policy());
  s.Raise("2001:db8:1:2::1", 10, kStart);
  ASSERT_TRUE(s.Raise("2001:db8:1:2:ffff::9", 10, kStart).blocked_until);
  EXPECT_TRUE(s.BlockedUntil("2001:db8:1:2::77", kStart));
  EXPECT_FALSE(s.BlockedUntil("2001:db8:1:3::1", kStart));
  // IPv4 as a dual-stack socket reports it is the same source.
  s.Raise("192.0.2.9", 20, kStart);
  EXPECT_TRUE(s.BlockedUntil("::ffff:192.0.2.9", kStart));
}

TEST(SourcesTest, MemoryIsBoundedByDroppingTheLowestUnblockedScore) {
  auto p = Policy();
  p.max_sources = 3;
  Sources s(p);
  s.Raise("192.0.2.1", 30, kStart);  // blocked: kept
  s.Raise("192.0.2.2", 1, kStart);
  s.Raise("192.0.2.3", 9, kStart);
  s.Raise("192.0.2.4", 9, kStart);  // makes room: drops .2
  EXPECT_TRUE(s.BlockedUntil("192.0.2.1", kStart));
  EXPECT_DOUBLE_EQ(s.Raise("192.0.2.3", 0, kStart).score, 9);
  EXPECT_DOUBLE_EQ(s.Raise("192.0.2.2", 0, kStart).score, 0) << "was dropped";
}

}  // namespace
}  // namespace strongroom::defense
