// Behaviour across nodes (defense/audit_tail.h, Shared): every node copies its journal into the
// database each round, and the node holding the lease reads every node's events, so a pattern
// spread over the nodes is found, once. Real PostgreSQL (tests/postgres/).

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "defense/audit_tail.h"
#include "fakes/temp_dir.h"
#include "postgres/test_postgres.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"

namespace strongroom::defense {
namespace {

using store::Opener;
using store::PgStore;

struct Node {
  std::string name;
  std::unique_ptr<PgStore> store;
  std::unique_ptr<audit::AuditLog> log;
  std::vector<Pattern> found;
  std::unique_ptr<AuditTail> tail;
};

class SharedTailTest : public ::testing::Test {
 protected:
  SharedTailTest()
      : key_(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        conninfo_(testing::NewPostgresDatabase()) {
    a_ = Open("node-a");
    b_ = Open("node-b");
  }
  ~SharedTailTest() override {
    for (auto* n : {a_.get(), b_.get(), c_.get()}) {
      if (n == nullptr) continue;
      n->tail.reset();
      n->log.reset();
      if (n->store) n->store->Close();
    }
  }

  std::unique_ptr<Node> Open(const std::string& name) {
    auto n = std::make_unique<Node>();
    n->name = name;
    auto store = PgStore::Open({conninfo_, 2, 64, Opener::kNode, name});
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return n;
    n->store = std::move(*store);
    EXPECT_TRUE(store::Migrate(*n->store));
    auto log = audit::AuditLog::Open(*n->store, clock_, key_, Environment::kTest,
                                     {dir_ / name, name, 4, 64 << 20, true, true});
    EXPECT_TRUE(log) << log.error().message;
    if (!log) return n;
    n->log = std::move(*log);
    auto* node = n.get();
    n->tail = std::make_unique<AuditTail>(
        *n->log, Behaviour(500), [node](const Pattern& p) { node->found.push_back(p); },
        std::chrono::milliseconds(250), AuditTail::Shared{n->store.get(), name, &clock_});
    return n;
  }

  // `count` failed sign-ins on `n` from `source`, each for another username (`prefix` + i).
  void FailSignIns(Node& n, const std::string& source, const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      auto e = audit::AuditFixture::MakeEvent("auth.login.password", "x");
      e.actor.username = prefix + std::to_string(i);
      e.source = source;
      e.allowed = false;
      ASSERT_TRUE(n.log->Record(e));
    }
  }

  static int Stuffing(const Node& n) {
    int found = 0;
    for (const auto& p : n.found) found += p.kind == Pattern::Kind::kCredentialStuffing;
    return found;
  }

  testing::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey key_;
  std::string conninfo_;
  std::unique_ptr<Node> a_, b_, c_;
};

constexpr const char* kAttacker = "192.0.2.44";

TEST_F(SharedTailTest, SignInsFailedOnTwoNodesAreOnePatternFoundOnceByTheLeaseHolder) {
  ASSERT_EQ(*a_->tail->RunOnce(), 0);  // a takes the lease, at the heads
  ASSERT_EQ(*b_->tail->RunOnce(), 0);  // b does not hold it
  const int half = kStuffingUsernames / 2;
  FailSignIns(*a_, kAttacker, "on-a-", half);
  FailSignIns(*b_, kAttacker, "on-b-", kStuffingUsernames - half);
  EXPECT_EQ(*b_->tail->RunOnce(), 0) << "b copies its events, and reads none";
  EXPECT_EQ(*a_->tail->RunOnce(), kStuffingUsernames) << "a reads both nodes' events";
  ASSERT_EQ(Stuffing(*a_), 1);
  EXPECT_EQ(a_->found[0].source, kAttacker);
  EXPECT_EQ(a_->found[0].count, kStuffingUsernames);
  EXPECT_TRUE(b_->found.empty());
  EXPECT_EQ(*a_->tail->RunOnce(), 0) << "each event once";
}

TEST_F(SharedTailTest, EventsBeforeTheLeaseWasTakenAreNotReplayed) {
  FailSignIns(*a_, kAttacker, "before-", kStuffingUsernames);
  ASSERT_TRUE(b_->log->CopyToStore());
  EXPECT_EQ(*a_->tail->RunOnce(), 0);
  EXPECT_TRUE(a_->found.empty());
  FailSignIns(*b_, kAttacker, "after-", kStuffingUsernames - 1);
  ASSERT_TRUE(b_->tail->RunOnce());
  EXPECT_EQ(*a_->tail->RunOnce(), kStuffingUsernames - 1);
  EXPECT_TRUE(a_->found.empty()) << "one short, as the old ones were not counted";
}

TEST_F(SharedTailTest, AnotherNodeTakesOverOnceTheHoldersLeaseLapses) {
  ASSERT_TRUE(a_->tail->RunOnce());
  ASSERT_TRUE(b_->tail->RunOnce());
  clock_.Advance(kLeaseTerm);  // a stopped reading: its lease lapses
  ASSERT_TRUE(b_->tail->RunOnce()) << "b takes the lease";
  FailSignIns(*a_, kAttacker, "u", kStuffingUsernames);
  EXPECT_EQ(*a_->tail->RunOnce(), 0) << "a renews, finds b holding, and reads nothing";
  EXPECT_EQ(*b_->tail->RunOnce(), kStuffingUsernames);
  EXPECT_EQ(Stuffing(*b_), 1);
  EXPECT_TRUE(a_->found.empty());
}

TEST_F(SharedTailTest, ANodeThatAppearsLaterIsReadFromItsFirstEvent) {
  ASSERT_TRUE(a_->tail->RunOnce());
  c_ = Open("node-c");
  FailSignIns(*c_, kAttacker, "u", kStuffingUsernames);
  ASSERT_TRUE(c_->tail->RunOnce());
  EXPECT_EQ(*a_->tail->RunOnce(), 0) << "c is not known until a renews its lease";
  clock_.Advance(kLeaseRenew);
  EXPECT_EQ(*a_->tail->RunOnce(), kStuffingUsernames);
  EXPECT_EQ(Stuffing(*a_), 1);
  EXPECT_TRUE(c_->found.empty());
}

}  // namespace
}  // namespace strongroom::defense
