// Every node's audit journal copied into the database the nodes share (audit/audit_copy.h), on a
// real PostgreSQL server (tests/postgres/): two nodes, each with its own journal, one search over
// both, each node's copy verified as its journal is, and what an attacker with the database's
// hands can and cannot hide.

#include "audit/audit_copy.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "audit/audit_fixture.h"
#include "audit/retention.h"
#include "audit/verifier.h"
#include "postgres/migrated_store.h"
#include "postgres/test_postgres.h"
#include "store/postgres/pg_store.h"

namespace strongroom::audit {
namespace {

using store::Opener;
using store::PgStore;

struct Node {
  std::string name;
  std::unique_ptr<PgStore> store;
  std::unique_ptr<AuditLog> log;
};

class AuditCopyTest : public ::testing::Test {
 protected:
  AuditCopyTest()
      : key_(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        conninfo_(testing::NewPostgresDatabase()) {
    a_ = Open("node-a");
    b_ = Open("node-b");
  }
  ~AuditCopyTest() override {
    for (auto* n : {&a_, &b_}) {
      n->log.reset();
      if (n->store) n->store->Close();
    }
  }

  Node Open(const std::string& name, int64_t segment_bytes = 64 << 20,
            Opener opener = Opener::kNode, int readers = 2) {
    Node n{name, nullptr, nullptr};
    n.store = testing::OpenMigrated(conninfo_, name, opener, readers);
    if (!n.store) return n;
    auto log = AuditLog::Open(*n.store, clock_, key_, Environment::kTest,
                              {dir_ / name, name, 4, segment_bytes, opener == Opener::kNode, true});
    EXPECT_TRUE(log) << log.error().message;
    if (log) n.log = std::move(*log);
    return n;
  }

  // An event by `actor` on `target`, a second after the one before.
  void Record(Node& n, const std::string& action, const std::string& target,
              const std::string& actor = "acc-1") {
    clock_.Advance(std::chrono::seconds(1));
    auto e = AuditFixture::MakeEvent(action, target);
    e.actor.account_id = actor;
    ASSERT_TRUE(n.log->Record(std::move(e)));
  }

  // The targets of a search's events, in the order given, with the node each came from.
  static std::vector<std::string> Targets(const SearchPage& page) {
    std::vector<std::string> out;
    for (const auto& text : page.events) {
      const auto e = boost::json::parse(text).as_object();
      out.push_back(std::string(e.at("target").at("id").as_string()) + "@" +
                    std::string(e.at("node").as_string()));
    }
    return out;
  }

  // Runs `sql` on the database, as an attacker with its hands would.
  void Tamper(const std::string& sql, const store::Params& params = {}) {
    ASSERT_TRUE(a_.store->Write([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(int64_t changed, tx.Exec(sql, params));
      EXPECT_GT(changed, 0) << sql;
      return {};
    }));
  }

  // `node`'s copied records, in journal order.
  std::vector<JournalRecord> Copied(const std::string& node) {
    std::vector<JournalRecord> out;
    EXPECT_TRUE(a_.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, CopiedRecords(tx, node, 0, RecordKind::kEvent, 1000));
      for (auto& c : rows) out.push_back(std::move(c.record));
      return {};
    }));
    return out;
  }

  VerifyReport VerifyOf(Node& n, bool against_journal = false) {
    auto r = VerifyCopy(*n.store, n.name, key_.public_key, Environment::kTest,
                        against_journal ? n.log->journal().dir() : std::filesystem::path());
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : VerifyReport{false, -1, r.error().message};
  }

  // Six events, alternating between the nodes (a: t1, t3, t5; b: t2, t4, t6), each node's copy
  // brought up to its head as its maintenance tick would.
  void RecordSix() {
    for (int i = 1; i <= 6; ++i) Record(i % 2 ? a_ : b_, "record.view", "t" + std::to_string(i));
    ASSERT_TRUE(a_.log->CopyToStore());
    ASSERT_TRUE(b_.log->CopyToStore());
  }

  testing::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey key_;
  std::string conninfo_;
  Node a_, b_;
};

TEST_F(AuditCopyTest, ASearchOnEitherNodeFindsBothNodesEventsNewestFirst) {
  RecordSix();
  const std::vector<std::string> all = {"t6@node-b", "t5@node-a", "t4@node-b",
                                        "t3@node-a", "t2@node-b", "t1@node-a"};
  for (auto* n : {&a_, &b_}) {
    auto page = n->log->Search({.action = "record.view"});
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(Targets(*page), all) << n->name;
    EXPECT_EQ(page->next_cursor, "");
  }
}

TEST_F(AuditCopyTest, ASearchSeesItsOwnNodeAtOnceAndAnotherAsOfThatNodesLastTick) {
  RecordSix();
  Record(a_, "record.view", "t7");
  Record(b_, "record.view", "t8");
  // a copies up to its head before it answers; b has not ticked since t8.
  auto page = a_.log->Search({.action = "record.view", .limit = 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(Targets(*page), (std::vector<std::string>{"t7@node-a", "t6@node-b"}));
  ASSERT_TRUE(b_.log->CopyToStore());
  page = a_.log->Search({.action = "record.view", .limit = 1});
  ASSERT_TRUE(page);
  EXPECT_EQ(Targets(*page), (std::vector<std::string>{"t8@node-b"}));
}

TEST_F(AuditCopyTest, PagesFollowOneAnotherAcrossNodesWithNothingTwiceOrLeftOut) {
  RecordSix();
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = b_.log->Search({.action = "record.view", .cursor = cursor, .limit = 2});
    ASSERT_TRUE(page) << page.error().message;
    for (auto& t : Targets(*page)) seen.push_back(t);
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"t6@node-b", "t5@node-a", "t4@node-b", "t3@node-a",
                                            "t2@node-b", "t1@node-a"}));
}

TEST_F(AuditCopyTest, FiltersHoldAcrossNodes) {
  RecordSix();
  Record(b_, "security.login.failed", "acc-9", "acc-9");
  Record(a_, "security.lockout", "acc-9", "acc-9");
  ASSERT_TRUE(b_.log->CopyToStore());
  const auto targets = [&](SearchQuery q) {
    auto page = a_.log->Search(q);
    EXPECT_TRUE(page) << page.error().message;
    return page ? Targets(*page) : std::vector<std::string>{};
  };
  EXPECT_EQ(targets({.actor = "acc-9"}),
            (std::vector<std::string>{"acc-9@node-a", "acc-9@node-b"}));
  EXPECT_EQ(targets({.action_prefix = "security."}),
            (std::vector<std::string>{"acc-9@node-a", "acc-9@node-b"}));
  EXPECT_EQ(targets({.target = "t4"}), (std::vector<std::string>{"t4@node-b"}));
  // t2 was recorded at start + 2 s, t5 at start + 5 s.
  const auto start = TimePoint(std::chrono::milliseconds(1'800'000'000'000));
  EXPECT_EQ(targets({.action = "record.view",
                     .since = start + std::chrono::seconds(2),
                     .until = start + std::chrono::seconds(5)}),
            (std::vector<std::string>{"t4@node-b", "t3@node-a", "t2@node-b"}));
}

TEST_F(AuditCopyTest, AHostileCursorIsRefusedAndChangesNothing) {
  RecordSix();
  auto first = a_.log->Search({.limit = 1});
  ASSERT_TRUE(first);
  ASSERT_FALSE(first->next_cursor.empty());
  const std::string hex_a = HexEncode(AsBytes(std::string("node-a")));
  for (const std::string& cursor :
       {std::string("42"),  // the journal index's kind of cursor
        std::string("abc"), std::string("1-2"), std::string("-1-1-" + hex_a),
        std::string("1-0-" + hex_a), std::string("1--1-" + hex_a), std::string("1-1-6"),
        std::string("1-1-zz"), std::string("1-1-" + std::string(130, 'a')),
        std::string("253402300800000-1-" + hex_a), std::string("1-99999999999999999999-" + hex_a),
        std::string("1-1-" + hex_a + "' OR '1'='1"), first->next_cursor + "-",
        std::string("1-1-ff"), std::string("1-1-00"), std::string("1-1-6e0a"),  // not a name
        std::string(" ") + first->next_cursor, std::string("1-1-\xff\xfe")}) {
    auto page = a_.log->Search({.cursor = cursor});
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().code, ErrorCode::kInvalidArgument) << cursor;
    EXPECT_EQ(page.error().message, "cursor is not valid");
  }
  // The cursor a page gave still works, and nothing was changed by the refusals.
  auto next = a_.log->Search({.cursor = first->next_cursor, .limit = 10});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->events.size(), 5u);
  EXPECT_TRUE(VerifyOf(a_).ok);
}

TEST_F(AuditCopyTest, EachNodesCopyVerifiesAndMatchesItsOwnJournal) {
  RecordSix();
  ASSERT_TRUE(a_.log->Checkpoint());
  ASSERT_TRUE(a_.log->CopyToStore());
  auto nodes = KnownNodes(*a_.store);
  ASSERT_TRUE(nodes);
  EXPECT_EQ(*nodes, (std::vector<std::string>{"node-a", "node-b"}));
  for (auto* n : {&a_, &b_}) {
    const auto journal = VerifyOf(*n, true);
    EXPECT_TRUE(journal.ok) << n->name << ": " << journal.problem;
    EXPECT_EQ(journal.events, n->log->journal().DurableHead().sequence) << n->name;
    EXPECT_EQ(journal.head, n->log->journal().DurableHead().sequence) << n->name;
  }
  EXPECT_EQ(VerifyOf(a_).signed_through, a_.log->journal().DurableHead().sequence);
  EXPECT_GE(VerifyOf(a_).checkpoints, 1);
}

TEST_F(AuditCopyTest, AnEventEditedInTheDatabaseIsNamed) {
  RecordSix();
  Tamper(
      "UPDATE audit_copy SET text = REPLACE(text, 't3', 't9') WHERE node = 'node-a' AND "
      "kind = 1 AND text LIKE '%\"t3\"%'");
  const auto r = VerifyOf(a_);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "hash does not match the chain (modified)");
  EXPECT_TRUE(VerifyOf(b_).ok) << "the other node's copy is its own";
}

TEST_F(AuditCopyTest, ASearchKeyEditedToHideAnEventIsNamed) {
  RecordSix();
  Tamper(
      "UPDATE audit_copy SET actor_id = '\"acc-2\"' WHERE node = 'node-b' AND sequence = 2 AND "
      "kind = 1");
  const auto r = VerifyOf(b_);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 2);
  EXPECT_EQ(r.problem,
            "a copied event's search keys differ from its text (edited to hide it from search)");
}

TEST_F(AuditCopyTest, ANodesChainPassedOffAsAnothersIsNamed) {
  RecordSix();
  Tamper(
      "INSERT INTO audit_copy SELECT 'node-x', sequence, kind, hash, text, time, actor_id, "
      "action, target_id FROM audit_copy WHERE node = 'node-a'");
  EXPECT_TRUE(VerifyOf(a_).ok);
  auto x = VerifyCopy(*a_.store, "node-x", key_.public_key, Environment::kTest);
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->ok);
  EXPECT_EQ(x->first_bad_sequence, 1);
  EXPECT_EQ(x->problem, "a copied event names another node");
}

TEST_F(AuditCopyTest, RowsRemovedFromACopysEndAreCopiedAgainByItsNode) {
  RecordSix();
  Tamper("DELETE FROM audit_copy WHERE node = 'node-a' AND sequence >= 2");
  EXPECT_TRUE(VerifyOf(a_).ok) << "what remains holds to the chain";
  EXPECT_EQ(VerifyOf(a_).head, 1);
  ASSERT_TRUE(a_.log->CopyToStore());  // a's next tick
  const auto r = VerifyOf(a_, true);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.head, a_.log->journal().DurableHead().sequence);
}

TEST_F(AuditCopyTest, EventsRemovedFromTheDatabaseAreNamed) {
  RecordSix();
  Tamper("DELETE FROM audit_copy WHERE node = 'node-b' AND kind = 1 AND sequence = 2");
  const auto r = VerifyOf(b_);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_sequence, 2);
  EXPECT_EQ(r.problem, "event missing (deleted)");
}

TEST_F(AuditCopyTest, AChainRewrittenInTheDatabaseIsCaughtAtTheNextCheckpoint) {
  // a: three events, a checkpoint every 4 records, so the first is signed at 4: record up to it.
  RecordSix();
  Record(a_, "record.view", "t7");
  ASSERT_TRUE(a_.log->CopyToStore());
  const auto before = VerifyOf(a_);
  ASSERT_TRUE(before.ok) << before.problem;
  ASSERT_GE(before.signed_through, 4);
  // Rewrite event 2 and the chain hashes after it, consistently: only the signature can tell.
  auto records = Copied("node-a");
  crypto::Sha256Digest prev{};
  for (auto& r : records) {
    if (r.kind != RecordKind::kEvent) continue;
    if (r.sequence == 2) {
      const auto at = r.text.find("record.view");
      ASSERT_NE(at, std::string::npos);
      r.text.replace(at, 11, "record.edit");
    }
    prev = crypto::Sha256Concat(prev, AsBytes(r.text));
    if (r.sequence >= 2) {
      // The search keys too, as a careful attacker would: only the signature can tell.
      Tamper(
          "UPDATE audit_copy SET text = ?, hash = ?, action = ? WHERE node = 'node-a' AND kind = "
          "1 AND sequence = ?",
          {r.text, Bytes(prev.begin(), prev.end()), std::string(SearchKeysOf(r.text)->action),
           r.sequence});
    }
  }
  const auto after = VerifyOf(a_);
  EXPECT_FALSE(after.ok);
  EXPECT_EQ(after.problem, "chain differs from the signed checkpoint (events rewritten)");
}

TEST_F(AuditCopyTest, AnUnsignedTailRewrittenInTheDatabaseIsCaughtByItsNodesJournal) {
  RecordSix();
  Record(a_, "record.view", "t7");  // a's fourth event: signed (a checkpoint every 4)
  Record(a_, "record.view", "t8");  // after the last checkpoint
  ASSERT_TRUE(a_.log->CopyToStore());
  const auto records = Copied("node-a");
  ASSERT_FALSE(records.empty());
  const auto& last = records.back();
  ASSERT_EQ(last.kind, RecordKind::kEvent);
  crypto::Sha256Digest prev{};
  for (const auto& r : records) {
    if (r.kind == RecordKind::kEvent && r.sequence < last.sequence) prev = r.hash;
  }
  std::string text = last.text;
  text.replace(text.find("t8"), 2, "t0");
  const auto hash = crypto::Sha256Concat(prev, AsBytes(text));
  Tamper(
      "UPDATE audit_copy SET text = ?, hash = ?, target_id = ? WHERE node = 'node-a' AND kind = 1 "
      "AND sequence = ?",
      {text, Bytes(hash.begin(), hash.end()), std::string("\"t0\""), last.sequence});
  // From the database alone the tail holds to the chain, and no signature covers it yet.
  const auto alone = VerifyOf(a_);
  EXPECT_TRUE(alone.ok) << alone.problem;
  EXPECT_LT(alone.signed_through, alone.head);
  // Its node's journal says otherwise.
  const auto against = VerifyOf(a_, true);
  EXPECT_FALSE(against.ok);
  EXPECT_EQ(against.first_bad_sequence, last.sequence);
  EXPECT_EQ(against.problem,
            "the copy differs from this node's journal (rewritten in the database)");
}

TEST_F(AuditCopyTest, RetentionRemovesANodesRowsWithItsSegmentsAndWhatIsLeftVerifies) {
  // A node of its own in small segments; 25 events a day apart, shipped.
  auto c = Open("node-c", 1500);
  for (int i = 1; i <= 25; ++i) {
    Record(c, "x", "r" + std::to_string(i));
    clock_.Advance(std::chrono::hours(24));
  }
  ASSERT_TRUE(c.log->CopyToStore());
  ASSERT_TRUE(c.log->index().SetShipped(25));
  auto pruned = Prune(*c.log, clock_, 183);
  ASSERT_TRUE(pruned);
  ASSERT_EQ(pruned->segments, 0) << "nothing is old enough yet";
  clock_.Advance(std::chrono::days(200));
  pruned = Prune(*c.log, clock_, 183);
  ASSERT_TRUE(pruned) << pruned.error().message;
  ASSERT_GT(pruned->through, 0);
  ASSERT_TRUE(c.log->CopyToStore());  // the prune's own event
  const auto r = VerifyOf(c, true);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, c.log->journal().DurableHead().sequence - pruned->through);
  auto page = a_.log->Search({.action = "x", .limit = 1000});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->events.size(), static_cast<size_t>(25 - pruned->through));
  // Removing more than retention did (the anchor, so the rest has none) is named.
  Tamper("DELETE FROM audit_copy WHERE node = 'node-c' AND kind = 2 AND sequence = ?",
         {pruned->through});
  EXPECT_FALSE(VerifyOf(c).ok);
  c.log.reset();
  c.store->Close();
}

// Searches copy before the read they run in, never inside it: with one reader, searches at once
// and a maintenance tick's copy all finish (a copy inside the read waited for a second reader).
TEST_F(AuditCopyTest, SearchesAtOnceOnOneReaderAllFinish) {
  auto c = Open("node-c", 64 << 20, Opener::kNode, 1);
  for (int i = 0; i < 20; ++i) Record(c, "record.view", "c" + std::to_string(i));
  std::vector<std::future<bool>> done;
  for (int i = 0; i < 4; ++i) {
    done.push_back(std::async(std::launch::async, [&c] {
      bool ok = true;
      for (int j = 0; j < 10; ++j) {
        auto e = AuditFixture::MakeEvent("audit.search", "audit");
        ok = ok && c.log->ObserveSearch(std::move(e), {.action = "record.view", .limit = 5});
      }
      return ok;
    }));
  }
  done.push_back(std::async(std::launch::async, [&c] {
    bool ok = true;
    for (int j = 0; j < 10; ++j) ok = ok && c.log->CopyToStore().has_value();
    return ok;
  }));
  for (auto& f : done) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "deadlocked";
    EXPECT_TRUE(f.get());
  }
  c.log.reset();
  c.store->Close();
}

TEST_F(AuditCopyTest, ACommandBesideTheNodesSearchesWhatTheyCopiedAndCopiesNothing) {
  RecordSix();
  auto beside = Open("node-a", 64 << 20, Opener::kBeside);  // a's journal, as `audit search` runs
  Record(a_, "record.view", "t7");                          // not yet copied by a
  auto page = beside.log->Search({.action = "record.view", .limit = 1});
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(Targets(*page), (std::vector<std::string>{"t6@node-b"}));
  beside.log.reset();
  beside.store->Close();
}

}  // namespace
}  // namespace strongroom::audit
