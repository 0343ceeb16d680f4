#include "audit/verifier.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "crypto/hash.h"

namespace strongroom::audit {
namespace {

// 30 events, checkpoints at 10, 20 and 30.
class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : f_(10) {
    for (int i = 0; i < 30; ++i) {
      EXPECT_TRUE(f_.log->Record(AuditFixture::MakeEvent("record.view", "r" + std::to_string(i))));
    }
  }

  VerifyReport Run() {
    auto r = Verify(*f_.store, f_.key.public_key, Environment::kTest);
    EXPECT_TRUE(r);
    return *r;
  }

  std::string CanonicalAt(int64_t seq) {
    return *store::ReadValue<std::string>(
        *f_.store, [&](store::Transaction& tx) -> Result<std::string> {
          ASSIGN_OR_RETURN(auto rows,
                           tx.Query("SELECT canonical FROM audit_events WHERE seq = ?", {seq}));
          return rows.front().Text(0);
        });
  }

  AuditFixture f_;
};

TEST_F(VerifierTest, IntactLogVerifies) {
  auto r = Run();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 30);
  EXPECT_EQ(r.checkpoints, 3);
}

TEST_F(VerifierTest, DetectsModifiedEvent) {
  auto text = CanonicalAt(13);
  text.replace(text.find("\"allow\":true"), 12, "\"allow\":fals");
  f_.Tamper("UPDATE audit_events SET canonical = ? WHERE seq = 13", {text});
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 13);
}

// Search reads the columns, not the text: an edited column hid an event from search while the
// chain still verified.
TEST_F(VerifierTest, DetectsSearchColumnsEditedToHideAnEvent) {
  for (const std::string column : {"actor_id", "action", "target_id", "time"}) {
    const auto before = *store::ReadValue<std::string>(
        *f_.store, [&](store::Transaction& tx) -> Result<std::string> {
          ASSIGN_OR_RETURN(auto rows,
                           tx.Query("SELECT " + column + " FROM audit_events WHERE seq = 21"));
          return rows.front().Text(0);
        });
    f_.Tamper("UPDATE audit_events SET " + column + " = 'x' WHERE seq = 21");
    auto r = Run();
    EXPECT_FALSE(r.ok) << column;
    EXPECT_EQ(r.first_bad_sequence, 21) << column;
    EXPECT_NE(r.problem.find("search columns"), std::string::npos) << r.problem;
    f_.Tamper("UPDATE audit_events SET " + column + " = ? WHERE seq = 21", {before});
    EXPECT_TRUE(Run().ok) << column << " restored";
  }
}

TEST_F(VerifierTest, SearchColumnsOfHostileValuesStillMatch) {
  auto e = AuditFixture::MakeEvent("record.view",
                                   std::string("t\"\\\n\x01\xff") + std::string(2000, 'x'));
  e.actor.account_id = "acc-\u2028\x1b[31m";
  ASSERT_TRUE(f_.log->Record(e));
  auto r = Run();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, 31);
}

TEST_F(VerifierTest, DetectsDeletedEvent) {
  f_.Tamper("DELETE FROM audit_events WHERE seq = 17");
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 17);
}

TEST_F(VerifierTest, DetectsInsertedEvent) {
  // An attacker inserts an event at 15 and renumbers the rest up by one.
  f_.Tamper("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 15");
  f_.Tamper("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1015");
  f_.Tamper(
      "INSERT INTO audit_events (seq, time, actor_id, action, target_id, canonical, hash) "
      "SELECT 15, time, actor_id, action, target_id, canonical, hash FROM audit_events "
      "WHERE seq = 14");
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 15);
}

TEST_F(VerifierTest, DetectsReorderedEvents) {
  const auto a = CanonicalAt(21), b = CanonicalAt(22);
  f_.Tamper("UPDATE audit_events SET canonical = ? WHERE seq = 21", {b});
  f_.Tamper("UPDATE audit_events SET canonical = ? WHERE seq = 22", {a});
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 21);
}

TEST_F(VerifierTest, DetectsTruncationBehindACheckpoint) {
  f_.Tamper("DELETE FROM audit_events WHERE seq > 26");
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 27);
}

TEST_F(VerifierTest, DetectsRewrittenEventsEvenWithRecomputedHashes) {
  // The attacker edits event 12 and recomputes every hash after it; only the signed checkpoint at
  // 20 (which the attacker cannot re-sign) still holds the true chain.
  auto text = CanonicalAt(12);
  text.replace(text.find("alice.smith"), 11, "mallory.xyz");
  f_.Tamper("UPDATE audit_events SET canonical = ? WHERE seq = 12", {text});
  crypto::Sha256Digest prev{};
  for (int64_t seq = 1; seq <= 30; ++seq) {
    const auto c = CanonicalAt(seq);
    Bytes buf(prev.begin(), prev.end());
    buf.insert(buf.end(), c.begin(), c.end());
    prev = crypto::Sha256(buf);
    f_.Tamper("UPDATE audit_events SET hash = ? WHERE seq = ?",
              {Bytes(prev.begin(), prev.end()), seq});
  }
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 20);
  EXPECT_NE(r.problem.find("checkpoint"), std::string::npos);
}

TEST_F(VerifierTest, DetectsForgedCheckpointSignature) {
  f_.Tamper("UPDATE audit_checkpoints SET signature = zeroblob(64) WHERE seq = 10");
  auto r = Run();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 10);
}

TEST_F(VerifierTest, WrongPublicKeyFailsEveryCheckpoint) {
  auto other = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  auto r = Verify(*f_.store, other.public_key, Environment::kTest);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->first_bad_sequence, 10);
}

}  // namespace
}  // namespace strongroom::audit
