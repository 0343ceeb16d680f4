// One score per source for several nodes on one PostgreSQL database (defense/shared_sources.h):
// raises on every node add up, the raise that reaches the block score blocks (reported by its
// node alone), every node enforces the block soon after, and a node that starts later enforces
// the blocks in force. Then two detectors, each seeing half of an attacker's requests.

#include "defense/shared_sources.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "defense/detector.h"
#include "fakes/failing_store.h"
#include "fakes/wait.h"
#include "postgres/migrated_store.h"
#include "postgres/test_postgres.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"

namespace strongroom::defense {
namespace {

using std::chrono::seconds;
using store::PgStore;

const std::string kKey = "192.0.2.7";

struct Node {
  std::string name;
  std::unique_ptr<PgStore> store;
  std::unique_ptr<testing::FailingStore> failing;
  std::unique_ptr<SharedSources> shared;
  std::mutex mu;
  std::map<std::string, std::pair<TimePoint, bool>> enforced;  // until, own; guarded by mu
  std::vector<std::pair<std::string, double>> blocked;         // guarded by mu

  bool Enforces(const std::string& key) {
    std::lock_guard lock(mu);
    return enforced.contains(key);
  }
  bool EnforcesAsOwn(const std::string& key) {
    std::lock_guard lock(mu);
    return enforced.contains(key) && enforced.at(key).second;
  }
  std::vector<std::pair<std::string, double>> Blocked() {
    std::lock_guard lock(mu);
    return blocked;
  }
};

class SharedSourcesTest : public ::testing::Test {
 protected:
  SharedSourcesTest() : conninfo_(testing::NewPostgresDatabase()) {
    policy_.block_score = 20;
    policy_.half_life = seconds(600);
    policy_.block_for = seconds(900);
    a_ = Open("node-a");
    b_ = Open("node-b");
  }
  ~SharedSourcesTest() override {
    for (auto* n : {a_.get(), b_.get(), c_.get()}) {
      if (n == nullptr) continue;
      n->shared.reset();
      if (n->store) n->store->Close();
    }
  }

  std::unique_ptr<Node> Open(const std::string& name) {
    auto n = std::make_unique<Node>();
    n->name = name;
    n->store = testing::OpenMigrated(conninfo_, name);
    if (!n->store) return n;
    n->failing = std::make_unique<testing::FailingStore>(*n->store);
    auto* node = n.get();
    n->shared = std::make_unique<SharedSources>(
        *n->failing, policy_, clock_, name,
        SharedSourcesHooks{[node](const std::string& key, TimePoint until, bool own) {
                             std::lock_guard lock(node->mu);
                             node->enforced[key] = {until, own};
                           },
                           [node](const std::string& key, double score, TimePoint) {
                             std::lock_guard lock(node->mu);
                             node->blocked.emplace_back(key, score);
                           }});
    return n;
  }

  // The source's row: score, blocked until (ms, -1 for none) and by whom; empty if none.
  struct Row {
    double score = 0;
    int64_t until = -1;
    std::string by;
  };
  std::optional<Row> RowOf(const std::string& key) {
    std::optional<Row> out;
    EXPECT_TRUE(a_->store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT score, blocked_until_ms, blocked_by FROM "
                                           "attack_sources WHERE source = ?",
                                           {key}));
      if (rows.empty()) return {};
      out = Row{rows[0].Real(0), rows[0].IsNull(1) ? -1 : rows[0].Int(1), rows[0].Text(2)};
      return {};
    }));
    return out;
  }

  static int64_t Ms(TimePoint t) { return t.time_since_epoch().count(); }

  std::string conninfo_;
  SourcePolicy policy_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  std::unique_ptr<Node> a_, b_, c_;
};

TEST_F(SharedSourcesTest, RaisesOnEveryNodeAddUpAndTheOneThatReachesTheScoreBlocks) {
  const auto now = clock_.Now();
  EXPECT_DOUBLE_EQ(a_->shared->Raise(kKey, 5, now, true), 5);
  ASSERT_TRUE(a_->shared->RunOnce());
  b_->shared->Raise(kKey, 5, now, true);
  ASSERT_TRUE(b_->shared->RunOnce());
  EXPECT_DOUBLE_EQ(RowOf(kKey)->score, 10) << "each node's raise counts";
  // Two raises on a in one round go in as one (15 then), then b's reaches 20.
  a_->shared->Raise(kKey, 2, now, true);
  EXPECT_DOUBLE_EQ(a_->shared->Raise(kKey, 3, now, true), 5 + 5)
      << "a knows the score it last wrote (5), and what waits";
  b_->shared->Raise(kKey, 5, now, true);
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_TRUE(a_->Blocked().empty());
  EXPECT_EQ(RowOf(kKey)->until, -1);
  ASSERT_TRUE(b_->shared->RunOnce());
  ASSERT_EQ(b_->Blocked().size(), 1u) << "the node whose raise reached the score reports it";
  EXPECT_EQ(b_->Blocked()[0], std::make_pair(kKey, 20.0));
  EXPECT_TRUE(a_->Blocked().empty()) << "and no other";
  const auto row = RowOf(kKey);
  EXPECT_EQ(row->until, Ms(now + seconds(900)));
  EXPECT_EQ(row->by, "node-b");

  // Raised again while blocked: no second block, on either node.
  a_->shared->Raise(kKey, 50, now + seconds(1), true);
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_TRUE(a_->Blocked().empty());
  EXPECT_EQ(RowOf(kKey)->until, Ms(now + seconds(900)));
  EXPECT_EQ(RowOf(kKey)->by, "node-b");
}

TEST_F(SharedSourcesTest, ABlockIsEnforcedOnEveryNodeAsSoonAsItIsToldAndByANodeStartedLater) {
  ASSERT_TRUE(a_->shared->Start());
  ASSERT_TRUE(b_->shared->Start());
  EXPECT_FALSE(a_->Enforces(kKey));
  b_->shared->Raise(kKey, 25, clock_.Now(), true);
  EXPECT_TRUE(testing::WaitFor([&] { return a_->Enforces(kKey); }, std::chrono::seconds(5)))
      << "a hears of b's block";
  EXPECT_TRUE(testing::WaitFor([&] { return b_->EnforcesAsOwn(kKey); }, std::chrono::seconds(5)))
      << "b reads its own block back as its own";
  EXPECT_FALSE(a_->EnforcesAsOwn(kKey)) << "another node's, on a";
  EXPECT_EQ(b_->Blocked().size(), 1u);
  EXPECT_TRUE(a_->Blocked().empty()) << "enforced, not reported, by the node that did not decide";

  c_ = Open("node-c");
  ASSERT_TRUE(c_->shared->Start());
  EXPECT_TRUE(c_->Enforces(kKey)) << "the blocks in force, read at start";
  EXPECT_TRUE(c_->Blocked().empty());
  // b, started again, reads its block as its own (it reports the block's end).
  b_->shared.reset();
  b_->store->Close();
  b_ = Open("node-b");
  ASSERT_TRUE(b_->shared->Start());
  EXPECT_TRUE(b_->EnforcesAsOwn(kKey));
  EXPECT_TRUE(b_->Blocked().empty()) << "not reported again";
  // A block that has ended is not read.
  clock_.Advance(seconds(900));
  auto d = Open("node-d");
  ASSERT_TRUE(d->shared->Start());
  EXPECT_FALSE(d->Enforces(kKey));
  d->shared.reset();
  d->store->Close();
}

TEST_F(SharedSourcesTest, ScoresHalveAcrossNodesAndAnEndedBlockStartsFromZero) {
  const auto start = clock_.Now();
  a_->shared->Raise(kKey, 16, start, true);
  ASSERT_TRUE(a_->shared->RunOnce());
  b_->shared->Raise(kKey, 0, start + seconds(600), true);
  ASSERT_TRUE(b_->shared->RunOnce());
  EXPECT_NEAR(RowOf(kKey)->score, 8, 1e-9);
  // A clock a little behind: the score is not raised back to its old self.
  a_->shared->Raise(kKey, 0, start + seconds(590), true);
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_NEAR(RowOf(kKey)->score, 8, 1e-9);

  b_->shared->Raise(kKey, 12, start + seconds(600), true);
  ASSERT_TRUE(b_->shared->RunOnce());
  ASSERT_EQ(b_->Blocked().size(), 1u);
  // After the block: from zero, and blocked again only at the score.
  a_->shared->Raise(kKey, 5, start + seconds(1500), true);
  ASSERT_TRUE(a_->shared->RunOnce());
  const auto row = RowOf(kKey);
  EXPECT_DOUBLE_EQ(row->score, 5);
  EXPECT_EQ(row->until, -1);
  EXPECT_EQ(row->by, "");
}

TEST_F(SharedSourcesTest, DetectModeScoresButNeverBlocks) {
  a_->shared->Raise(kKey, 100, clock_.Now(), false);
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_DOUBLE_EQ(RowOf(kKey)->score, 100);
  EXPECT_EQ(RowOf(kKey)->until, -1);
  EXPECT_TRUE(a_->Blocked().empty());
}

TEST_F(SharedSourcesTest, RaisesThatCannotBeWrittenWaitForTheNextRoundAndAreNotLost) {
  a_->failing->failing_writes = true;
  a_->shared->Raise(kKey, 15, clock_.Now(), true);
  const auto failed = a_->shared->RunOnce();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(RowOf(kKey));
  a_->shared->Raise(kKey, 5, clock_.Now(), true);
  a_->failing->failing_writes = false;
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_DOUBLE_EQ(RowOf(kKey)->score, 20) << "both raises, one write";
  EXPECT_EQ(a_->Blocked().size(), 1u);
}

TEST_F(SharedSourcesTest, ANodeThatCannotWriteStillEnforcesTheOtherNodesBlocks) {
  b_->shared->Raise(kKey, 25, clock_.Now(), true);
  ASSERT_TRUE(b_->shared->RunOnce());
  a_->failing->failing_writes = true;
  a_->shared->Raise("192.0.2.8", 5, clock_.Now(), true);
  EXPECT_FALSE(a_->shared->RunOnce()) << "its write failed";
  EXPECT_TRUE(a_->Enforces(kKey)) << "and it read b's block all the same";
}

TEST_F(SharedSourcesTest, WhatWaitsIsBoundedAndOneRoundWritesAtMostItsShare) {
  policy_.max_sources = 3;
  c_ = Open("node-c");
  c_->failing->failing_writes = true;
  for (int i = 1; i <= 3; ++i) {
    c_->shared->Raise("192.0.2." + std::to_string(i), 1, clock_.Now(), true);
  }
  ASSERT_FALSE(c_->shared->RunOnce());
  c_->shared->Raise("192.0.2.4", 1, clock_.Now(), true);
  c_->failing->failing_writes = false;
  ASSERT_TRUE(c_->shared->RunOnce());
  EXPECT_TRUE(RowOf("192.0.2.1") && RowOf("192.0.2.2") && RowOf("192.0.2.3"));
  EXPECT_FALSE(RowOf("192.0.2.4")) << "dropped: three sources waited";

  // One round writes at most kSourcesPerRound sources (a transaction that holds every node's
  // writers stays short); the rest go in the next.
  const auto many = static_cast<int64_t>(kSourcesPerRound) + 5;
  for (int64_t i = 0; i < many; ++i) {
    a_->shared->Raise(fmt::format("198.51.{}.{}", i / 256, i % 256), 1, clock_.Now(), true);
  }
  auto rows = [&] {
    int64_t n = 0;
    EXPECT_TRUE(a_->store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto r, tx.Query("SELECT COUNT(*) FROM attack_sources WHERE source LIKE ?",
                                        {std::string("198.51.%")}));
      n = r[0].Int(0);
      return {};
    }));
    return n;
  };
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_EQ(rows(), static_cast<int64_t>(kSourcesPerRound));
  ASSERT_TRUE(a_->shared->RunOnce());
  EXPECT_EQ(rows(), many);
}

TEST_F(SharedSourcesTest, PruneForgetsScoresDecayedToNothingAndEndedBlocksOnly) {
  const auto start = clock_.Now();
  a_->shared->Raise("192.0.2.1", 5, start, true);                  // will be old
  a_->shared->Raise("192.0.2.2", 30, start, true);                 // blocked, the block ends
  a_->shared->Raise("192.0.2.3", 5, start + seconds(5400), true);  // recent
  ASSERT_TRUE(a_->shared->RunOnce());
  clock_.Advance(seconds(6001));  // over ten half-lives after the first two
  auto pruned = b_->shared->Prune();
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 2);
  EXPECT_FALSE(RowOf("192.0.2.1"));
  EXPECT_FALSE(RowOf("192.0.2.2"));
  EXPECT_TRUE(RowOf("192.0.2.3"));

  // A block still in force is kept, however old its score.
  policy_.block_for = seconds(100'000);
  c_ = Open("node-c");
  c_->shared->Raise("192.0.2.4", 30, clock_.Now(), true);
  ASSERT_TRUE(c_->shared->RunOnce());
  clock_.Advance(seconds(6001));
  ASSERT_TRUE(b_->shared->Prune());
  EXPECT_TRUE(RowOf("192.0.2.4"));
}

// Two detectors on one database, an attacker's requests spread over both: blocked at the score
// one detector alone would block it at, on both, with one report.
TEST_F(SharedSourcesTest, AnAttackerSpreadOverTwoDetectorsIsBlockedOnBothAtTheOneNodeScore) {
  struct Reports {
    std::mutex mu;
    int blocks = 0;
  };
  Reports ra, rb;
  auto make = [&](Node& node, Reports& r) {
    auto crs = Crs::Load({.prefilter = false});
    EXPECT_TRUE(crs) << crs.error().message;
    DetectorHooks hooks;
    hooks.blocked = [&r](std::string_view, double, TimePoint) {
      std::lock_guard lock(r.mu);
      ++r.blocks;
    };
    DetectorOptions options;
    options.prefilter = false;
    auto d = std::make_unique<Detector>(std::move(*crs), policy_, clock_, options, hooks);
    EXPECT_TRUE(d->ShareScores(*node.store, node.name));
    d->Start();
    return d;
  };
  auto request = [](const char* source, const char* target) {
    auto r = std::make_shared<http::Request>();
    r->remote_address = source;
    r->request_id = "0123456789abcdef";
    r->message.method(http::beast_http::verb::get);
    r->message.target(target);
    r->path = "/api/v1/records";
    r->message.set("Host", "records.example.org");
    r->message.set("User-Agent", "Mozilla/5.0");
    return r;
  };
  auto attack = [&](const char* source) {
    return request(source, "/api/v1/records?q=..%2F..%2F..%2Fetc%2Fpasswd");
  };
  // Blocked at twice what one request scores.
  auto crs = Crs::Load({.prefilter = false});
  ASSERT_TRUE(crs);
  const int score = (*crs)->Evaluate(*attack(kKey.c_str())).score;
  ASSERT_GT(score, 0);
  policy_.block_score = 2 * score;
  auto da = make(*a_, ra);
  auto db = make(*b_, rb);
  // Whether `d` refuses a clean request from `source` as blocked.
  auto refused_from = [&](Detector& d, const char* source) {
    const auto v = d.Inspect(request(source, "/api/v1/records?limit=10"),
                             http::RouteKind::kSignedIn, [](http::Verdict) {});
    return v && v->status == 429;
  };
  auto refused = [&](Detector& d) { return refused_from(d, kKey.c_str()); };
  // One request on each node makes the block score.
  EXPECT_TRUE(da->Decide(*attack(kKey.c_str()), false, false).refuse);
  ASSERT_TRUE(testing::WaitFor([&] { return RowOf(kKey).has_value(); }, std::chrono::seconds(5)))
      << "a's thread writes its raise";
  EXPECT_FALSE(refused(*da)) << "not blocked by one";
  EXPECT_TRUE(db->Decide(*attack(kKey.c_str()), false, false).refuse);
  EXPECT_TRUE(
      testing::WaitFor([&] { return refused(*da) && refused(*db); }, std::chrono::seconds(5)))
      << "blocked on both nodes";
  EXPECT_FALSE(refused_from(*da, "198.51.100.1")) << "only that source";
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        std::lock_guard lock(rb.mu);
        return rb.blocks == 1;
      },
      std::chrono::seconds(5)))
      << "reported by the node whose raise reached the score";
  {
    std::scoped_lock lock(ra.mu, rb.mu);
    EXPECT_EQ(ra.blocks + rb.blocks, 1) << "one report for the cluster";
  }
  EXPECT_EQ(db->stats().blocked_sources, 1u);
  EXPECT_EQ(da->stats().blocked_sources, 1u);
  EXPECT_EQ(db->stats().blocks, 1u);
  EXPECT_EQ(da->stats().blocks, 0u);
  da->Stop();
  db->Stop();
}

}  // namespace
}  // namespace strongroom::defense
