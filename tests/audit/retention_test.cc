#include "audit/retention.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "audit/verifier.h"
#include "store/meta.h"

namespace strongroom::audit {
namespace {

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : f_(10) {
    for (int i = 0; i < 25; ++i) {
      EXPECT_TRUE(f_.log->Record(AuditFixture::MakeEvent("x")));
      f_.clock.Advance(std::chrono::hours(24));
    }
  }
  void Shipped(int64_t seq) {
    ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) {
      return store::SetMeta(tx, "audit_shipped_seq", std::to_string(seq));
    }));
  }
  AuditFixture f_;
};

TEST_F(RetentionTest, NothingYoungerThanTheRetentionPeriodIsRemoved) {
  Shipped(25);
  auto r = Prune(*f_.store, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->deleted, 0);
}

TEST_F(RetentionTest, OldShippedEventsGoUpToACheckpointAndTheRestStillVerifies) {
  Shipped(25);
  f_.clock.Advance(std::chrono::days(200));
  auto r = Prune(*f_.store, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->through, 20);  // the newest checkpoint at or below the shipped cursor
  EXPECT_EQ(r->deleted, 20);
  auto report = Verify(*f_.store, f_.key.public_key, Environment::kTest);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->events, 5);
  // And the chain goes on from the anchor.
  ASSERT_TRUE(f_.log->Record(AuditFixture::MakeEvent("after")));
  EXPECT_TRUE(Verify(*f_.store, f_.key.public_key, Environment::kTest)->ok);
}

TEST_F(RetentionTest, UnshippedEventsAreNeverRemoved) {
  Shipped(15);
  f_.clock.Advance(std::chrono::days(1000));
  auto r = Prune(*f_.store, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->through, 10);
  Shipped(0);
  EXPECT_EQ(Prune(*f_.store, f_.clock, 183)->deleted, 0);
}

TEST_F(RetentionTest, RetentionOutsideSixMonthsToTwoYearsIsRefused) {
  EXPECT_EQ(Prune(*f_.store, f_.clock, 30).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Prune(*f_.store, f_.clock, 731).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RetentionTest, DeletingTheAnchorCheckpointIsDetected) {
  Shipped(25);
  f_.clock.Advance(std::chrono::days(200));
  ASSERT_TRUE(Prune(*f_.store, f_.clock, 183));
  f_.Tamper("DELETE FROM audit_checkpoints WHERE seq = 20");
  auto report = Verify(*f_.store, f_.key.public_key, Environment::kTest);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, 21);
}

}  // namespace
}  // namespace strongroom::audit
