#include "audit/verifier.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "crypto/hash.h"

namespace strongroom::audit {
namespace {

// 30 events, checkpoints at 10, 20 and 30, all indexed.
class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : f_(10) {
    for (int i = 0; i < 30; ++i) {
      EXPECT_TRUE(f_.log->Record(AuditFixture::MakeEvent("record.view", "r" + std::to_string(i))));
    }
    EXPECT_TRUE(f_.log->Search({.limit = 1}));  // brings the index up to the head
  }

  VerifyReport Run() { return f_.Verify(); }

  // Edits the record of event `seq` (framed validly: only the chain can tell).
  void EditEvent(int64_t seq, const std::function<void(JournalRecord&)>& edit) {
    f_.Rewrite([&](std::vector<JournalRecord>& records) {
      for (auto& r : records) {
        if (r.kind == RecordKind::kEvent && r.sequence == seq) edit(r);
      }
    });
  }
  void RemoveRecords(const std::function<bool(const JournalRecord&)>& which) {
    f_.Rewrite([&](std::vector<JournalRecord>& records) { std::erase_if(records, which); });
  }

  AuditFixture f_;
};

TEST_F(VerifierTest, IntactLogVerifies) {
  auto r = Run();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 30);
  EXPECT_EQ(r.checkpoints, 3);
  EXPECT_EQ(r.index_entries, 30);
  EXPECT_GT(r.bytes, 30 * 300);
}

TEST_F(VerifierTest, DetectsModifiedEvent) {
  EditEvent(13, [](JournalRecord& r) {
    r.text.replace(r.text.find("\"allow\":true"), 12, "\"allow\":fals");
  });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 13);
}

TEST_F(VerifierTest, DetectsDamagedBytesInTheMiddle) {
  const auto path = SegmentPath(f_.journal(), 1);
  auto bytes = testing::ReadFile(path);
  bytes[bytes.size() / 2] ^= 0x40;
  testing::WriteFile(path, bytes);
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("damaged record"), std::string::npos) << r.problem;
}

// Search reads the index, not the events: an edited or deleted entry would hide an event from
// search while the chain still verified.
TEST_F(VerifierTest, DetectsIndexEntriesEditedToHideAnEvent) {
  for (const std::string column : {"actor_id", "action", "target_id", "time", "offset"}) {
    std::vector<store::Row> before;
    ASSERT_TRUE(f_.log->index().StoreForTest().Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(before, tx.Query("SELECT " + column + " FROM audit_events WHERE seq = 21"));
      return {};
    }));
    ASSERT_EQ(before.size(), 1u);
    f_.TamperIndex("UPDATE audit_events SET " + column + " = '\"x\"' WHERE seq = 21");
    auto r = Run();
    EXPECT_FALSE(r.ok) << column;
    EXPECT_EQ(r.first_bad_sequence, 21) << column;
    EXPECT_NE(r.problem.find("index entry differs"), std::string::npos) << r.problem;
    f_.TamperIndex(
        "UPDATE audit_events SET " + column + " = ? WHERE seq = 21",
        {column == "offset" ? store::Value(before[0].Int(0)) : store::Value(before[0].Text(0))});
    EXPECT_TRUE(Run().ok) << column << " restored";
  }
  // And the same through search itself: the edited action hides event 21.
  f_.TamperIndex("UPDATE audit_events SET action = '\"nothing\"' WHERE seq = 21");
  auto page = f_.log->Search({.target = "r20"});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->events.size(), 1u);  // still found by target; by action it is gone:
  EXPECT_EQ(f_.log->Search({.action = "record.view"})->events.size(), 29u);
}

TEST_F(VerifierTest, DetectsAnIndexEntryDeletedToHideAnEvent) {
  f_.TamperIndex("DELETE FROM audit_events WHERE seq = 17");
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 17);
  EXPECT_NE(r.problem.find("missing from the index"), std::string::npos) << r.problem;
}

TEST_F(VerifierTest, IndexEntriesOfHostileValuesStillMatch) {
  auto e = AuditFixture::MakeEvent("record.view",
                                   std::string("t\"\\\n\x01\xff") + std::string(2000, 'x'));
  e.actor.account_id = "acc-\u2028\x1b[31m";
  ASSERT_TRUE(f_.log->Record(e));
  auto page = f_.log->Search({.actor = "acc-\u2028\x1b[31m"});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->events.size(), 1u);
  auto r = Run();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 31);
  EXPECT_EQ(r.index_entries, 31);
}

TEST_F(VerifierTest, DetectsDeletedEvent) {
  RemoveRecords(
      [](const JournalRecord& r) { return r.kind == RecordKind::kEvent && r.sequence == 17; });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 17);
}

TEST_F(VerifierTest, DetectsInsertedEvent) {
  // An attacker inserts a copy of event 14 as 15 and renumbers the rest up by one.
  f_.Rewrite([](std::vector<JournalRecord>& records) {
    for (auto it = records.begin(); it != records.end(); ++it) {
      if (it->kind == RecordKind::kEvent && it->sequence == 14) {
        auto copy = *it;
        copy.sequence = 15;
        for (auto later = it + 1; later != records.end(); ++later) ++later->sequence;
        records.insert(it + 1, copy);
        return;
      }
    }
  });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 15);
}

TEST_F(VerifierTest, DetectsReorderedEvents) {
  std::string a, b;
  EditEvent(21, [&](JournalRecord& r) { a = r.text; });
  EditEvent(22, [&](JournalRecord& r) { b = r.text; });
  EditEvent(21, [&](JournalRecord& r) { r.text = b; });
  EditEvent(22, [&](JournalRecord& r) { r.text = a; });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 21);
}

TEST_F(VerifierTest, DetectsTruncationBehindTheIndex) {
  // Everything after event 26 goes, checkpoint at 30 included: the index still names them.
  RemoveRecords([](const JournalRecord& r) { return r.sequence > 26; });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 27);
}

TEST_F(VerifierTest, DetectsAJournalThatEndsBeforeTheStoresLastCommit) {
  RemoveRecords([](const JournalRecord& r) { return r.sequence > 26; });
  f_.TamperIndex("DELETE FROM audit_events WHERE seq > 26");
  f_.TamperIndex("UPDATE meta SET value = '26' WHERE key = 'indexed_through'");
  EXPECT_TRUE(Run().ok) << "the index was edited to match";
  auto r = Verify(f_.journal(), f_.log->index(), f_.key.public_key, Environment::kTest, 28);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_bad_sequence, 27);
}

TEST_F(VerifierTest, DetectsRewrittenEventsEvenWithRecomputedHashes) {
  // The attacker edits event 12 and recomputes every hash after it; only the signed checkpoint at
  // 20 (which the attacker cannot re-sign) still holds the true chain.
  f_.Rewrite([](std::vector<JournalRecord>& records) {
    crypto::Sha256Digest prev{};
    for (auto& r : records) {
      if (r.kind != RecordKind::kEvent) continue;
      if (r.sequence == 12) r.text.replace(r.text.find("alice.smith"), 11, "mallory.xyz");
      prev = crypto::Sha256Concat(
          prev, std::span(reinterpret_cast<const uint8_t*>(r.text.data()), r.text.size()));
      r.hash = prev;
    }
  });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 20);
  EXPECT_NE(r.problem.find("checkpoint"), std::string::npos);
}

TEST_F(VerifierTest, DetectsForgedCheckpointSignature) {
  f_.Rewrite([](std::vector<JournalRecord>& records) {
    for (auto& r : records) {
      CheckpointText c;
      if (r.kind != RecordKind::kCheckpoint || r.sequence != 10) continue;
      ASSERT_TRUE(ParseCheckpointText(r.text, c));
      c.signature.assign(64, 0);
      r.text = FormatCheckpointText(c);
    }
  });
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 10);
}

TEST_F(VerifierTest, WrongPublicKeyFailsEveryCheckpoint) {
  auto other = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  auto r = Verify(f_.journal(), f_.log->index(), other.public_key, Environment::kTest);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_bad_sequence, 10);
}

}  // namespace
}  // namespace strongroom::audit
