#include "audit/retention.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "audit/verifier.h"

namespace strongroom::audit {
namespace {

// 25 events a day apart, in small segments (a few events each), a checkpoint every 10.
class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : f_(10, 1500) {
    for (int i = 0; i < 25; ++i) {
      EXPECT_TRUE(f_.log->Record(AuditFixture::MakeEvent("x")));
      f_.clock.Advance(std::chrono::hours(24));
    }
    segments_ = *ListSegments(f_.journal());
  }
  void Shipped(int64_t seq) { ASSERT_TRUE(f_.log->index().SetShipped(seq)); }
  // The last event of each segment but the one being written.
  std::vector<int64_t> Ends() const {
    std::vector<int64_t> out;
    for (size_t i = 1; i < segments_.size(); ++i) out.push_back(segments_[i] - 1);
    return out;
  }
  AuditFixture f_;
  std::vector<int64_t> segments_;
};

TEST_F(RetentionTest, TheJournalIsInSeveralSegments) { ASSERT_GE(segments_.size(), 4u); }

TEST_F(RetentionTest, NothingYoungerThanTheRetentionPeriodIsRemoved) {
  Shipped(25);
  auto r = Prune(*f_.log, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->segments, 0);
  EXPECT_EQ(*ListSegments(f_.journal()), segments_);
}

TEST_F(RetentionTest, OldShippedSegmentsGoAndTheRestStillVerifies) {
  Shipped(25);
  f_.clock.Advance(std::chrono::days(200));
  auto r = Prune(*f_.log, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->through, Ends().back());  // every segment but the one being written
  EXPECT_EQ(r->segments, static_cast<int64_t>(segments_.size()) - 1);
  EXPECT_EQ(ListSegments(f_.journal())->front(), segments_.back());
  auto report = f_.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 25 - r->through + 1);  // and retention's own event
  // And the chain goes on from the anchor; search finds what is left.
  ASSERT_TRUE(f_.log->Record(AuditFixture::MakeEvent("after")));
  EXPECT_TRUE(f_.Verify().ok);
  EXPECT_EQ(f_.log->Search({.action = "x"})->events.size(), static_cast<size_t>(25 - r->through));
}

TEST_F(RetentionTest, UnshippedEventsAreNeverRemoved) {
  const auto ends = Ends();
  Shipped(ends[1]);  // the first two segments are acknowledged, not the third
  f_.clock.Advance(std::chrono::days(1000));
  auto r = Prune(*f_.log, f_.clock, 183);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->through, ends[1]);
  EXPECT_EQ(r->segments, 2);
  EXPECT_TRUE(f_.Verify().ok);
  Shipped(0);
  EXPECT_EQ(Prune(*f_.log, f_.clock, 183)->segments, 0);
}

TEST_F(RetentionTest, RetentionOutsideSixMonthsToTwoYearsIsRefused) {
  EXPECT_EQ(Prune(*f_.log, f_.clock, 30).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Prune(*f_.log, f_.clock, 731).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RetentionTest, RetentionIsRecordedInTheJournalAndAnyOtherRemovalIsDetected) {
  const auto ends = Ends();
  Shipped(ends[0]);  // retention may remove the first segment only
  f_.clock.Advance(std::chrono::days(200));
  auto r = Prune(*f_.log, f_.clock, 183);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->segments, 1);
  const auto recorded = testing::JournalEvents(f_.journal(), "audit.retention.prune");
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].at("detail").at("through").as_string(), std::to_string(ends[0]));
  EXPECT_TRUE(f_.Verify().ok);
  // An attacker removes the next segment too: what is left opens with a validly signed
  // checkpoint, but retention never went that far.
  std::filesystem::remove(SegmentPath(f_.journal(), segments_[1]));
  auto report = f_.Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, ends[0] + 1);
  EXPECT_NE(report.problem.find("retention did not remove"), std::string::npos) << report.problem;
}

TEST_F(RetentionTest, ASegmentWhoseAnchorIsNotSignedIsNotRemoved) {
  Shipped(25);
  f_.clock.Advance(std::chrono::days(200));
  f_.Rewrite([](std::vector<JournalRecord>& records) {
    CheckpointText c;
    auto& anchor = records.front();
    if (anchor.kind != RecordKind::kCheckpoint || !ParseCheckpointText(anchor.text, c)) return;
    c.time = "2000-01-01T00:00:00.000Z";  // made to look old enough
    anchor.text = FormatCheckpointText(c);
  });
  auto r = Prune(*f_.log, f_.clock, 183);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(*ListSegments(f_.journal()), segments_);
}

TEST_F(RetentionTest, RemovingTheAnchorIsDetected) {
  Shipped(25);
  f_.clock.Advance(std::chrono::days(200));
  ASSERT_TRUE(Prune(*f_.log, f_.clock, 183));
  f_.Rewrite([](std::vector<JournalRecord>& records) {
    ASSERT_EQ(records.front().kind, RecordKind::kCheckpoint);
    records.erase(records.begin());
  });
  auto report = f_.Verify();
  EXPECT_FALSE(report.ok);
}

}  // namespace
}  // namespace strongroom::audit
