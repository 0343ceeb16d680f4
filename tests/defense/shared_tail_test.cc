// Behaviour across nodes (defense/audit_tail.h, Shared): every node copies its journal into the
// database each round, and the node holding the lease reads every node's events, so a pattern
// spread over the nodes is found, once. Real PostgreSQL (tests/postgres/).

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "defense/audit_tail.h"
#include "fakes/failing_store.h"
#include "fakes/temp_dir.h"
#include "postgres/migrated_store.h"
#include "postgres/test_postgres.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"

namespace strongroom::defense {
namespace {

using store::PgStore;

struct Node {
  std::string name;
  std::unique_ptr<PgStore> store;
  std::unique_ptr<testing::FailingStore> failing;  // what the tail reads and takes its lease in
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
    n->store = testing::OpenMigrated(conninfo_, name);
    if (!n->store) return n;
    auto log = audit::AuditLog::Open(*n->store, clock_, key_, Environment::kTest,
                                     {dir_ / name, name, 4, 64 << 20, true, true});
    EXPECT_TRUE(log) << log.error().message;
    if (!log) return n;
    n->log = std::move(*log);
    n->failing = std::make_unique<testing::FailingStore>(*n->store);
    auto* node = n.get();
    n->tail = std::make_unique<AuditTail>(
        *n->log, Behaviour(500), [node](const Pattern& p) { node->found.push_back(p); },
        std::chrono::milliseconds(250), AuditTail::Shared{n->failing.get(), name, &clock_});
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

  // One round of `n`'s tail: how many events it read, or -1 (and a failure) if it failed.
  static int Run(Node& n) {
    const auto read = n.tail->RunOnce();
    EXPECT_TRUE(read) << n.name << ": " << read.error().message;
    return read ? *read : -1;
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
  ASSERT_EQ(Run(*a_), 0);  // a takes the lease, at the heads
  ASSERT_EQ(Run(*b_), 0);  // b does not hold it
  const int half = kStuffingUsernames / 2;
  FailSignIns(*a_, kAttacker, "on-a-", half);
  FailSignIns(*b_, kAttacker, "on-b-", kStuffingUsernames - half);
  EXPECT_EQ(Run(*b_), 0) << "b copies its events, and reads none";
  EXPECT_EQ(Run(*a_), kStuffingUsernames) << "a reads both nodes' events";
  ASSERT_EQ(Stuffing(*a_), 1);
  EXPECT_EQ(a_->found[0].source, kAttacker);
  EXPECT_EQ(a_->found[0].count, kStuffingUsernames);
  EXPECT_TRUE(b_->found.empty());
  EXPECT_EQ(Run(*a_), 0) << "each event once";
}

TEST_F(SharedTailTest, EventsBeforeTheLeaseWasTakenAreNotReplayed) {
  FailSignIns(*a_, kAttacker, "before-", kStuffingUsernames);
  ASSERT_TRUE(b_->log->CopyToStore());
  EXPECT_EQ(Run(*a_), 0);
  EXPECT_TRUE(a_->found.empty());
  FailSignIns(*b_, kAttacker, "after-", kStuffingUsernames - 1);
  ASSERT_GE(Run(*b_), 0);
  EXPECT_EQ(Run(*a_), kStuffingUsernames - 1);
  EXPECT_TRUE(a_->found.empty()) << "one short, as the old ones were not counted";
}

TEST_F(SharedTailTest, AnotherNodeTakesOverOnceTheHoldersLeaseLapses) {
  ASSERT_GE(Run(*a_), 0);
  ASSERT_GE(Run(*b_), 0);
  clock_.Advance(kLeaseTerm);  // a stopped reading: its lease lapses
  ASSERT_GE(Run(*b_), 0) << "b takes the lease";
  FailSignIns(*a_, kAttacker, "u", kStuffingUsernames);
  EXPECT_EQ(Run(*a_), 0) << "a renews, finds b holding, and reads nothing";
  EXPECT_EQ(Run(*b_), kStuffingUsernames);
  EXPECT_EQ(Stuffing(*b_), 1);
  EXPECT_TRUE(a_->found.empty());
}

TEST_F(SharedTailTest, AHolderThatCannotRenewForAWhileKeepsItsPlace) {
  ASSERT_EQ(Run(*a_), 0);
  FailSignIns(*a_, kAttacker, "u", kStuffingUsernames);
  clock_.Advance(kLeaseRenew);
  a_->failing->failing_writes = true;  // the renewal fails; the events wait
  EXPECT_FALSE(a_->tail->RunOnce());
  a_->failing->failing_writes = false;
  clock_.Advance(kLeaseRenew);
  EXPECT_EQ(Run(*a_), kStuffingUsernames) << "renewed within its term: read on from where it was";
  EXPECT_EQ(Stuffing(*a_), 1);
}

TEST_F(SharedTailTest, AFirstReadOfTheHeadsThatFailsReplaysNothing) {
  FailSignIns(*a_, kAttacker, "old", kStuffingUsernames);
  a_->failing->failing_reads = true;  // the lease is taken, the heads not read
  EXPECT_FALSE(a_->tail->RunOnce());
  a_->failing->failing_reads = false;
  clock_.Advance(kLeaseRenew);
  EXPECT_EQ(Run(*a_), 0) << "from the heads, still";
  EXPECT_TRUE(a_->found.empty());
}

TEST_F(SharedTailTest, ANodeThatAppearsLaterIsReadFromItsFirstEvent) {
  ASSERT_GE(Run(*a_), 0);
  c_ = Open("node-c");
  FailSignIns(*c_, kAttacker, "u", kStuffingUsernames);
  ASSERT_GE(Run(*c_), 0);
  EXPECT_EQ(Run(*a_), 0) << "c is not known until a renews its lease";
  clock_.Advance(kLeaseRenew);
  EXPECT_EQ(Run(*a_), kStuffingUsernames);
  EXPECT_EQ(Stuffing(*a_), 1);
  EXPECT_TRUE(c_->found.empty());
}

}  // namespace
}  // namespace strongroom::defense
