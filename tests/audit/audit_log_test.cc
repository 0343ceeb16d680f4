#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "audit/audit_fixture.h"
#include "audit/verifier.h"
#include "store/meta.h"

namespace strongroom::audit {
namespace {

std::optional<std::string> Meta(store::Store& s, const char* key) {
  return *store::ReadValue<std::optional<std::string>>(
      s, [&](store::Transaction& tx) { return store::GetMeta(tx, key); });
}

TEST(AuditLogTest, RecordAssignsGaplessSequencesAndChains) {
  AuditFixture f;
  for (int i = 1; i <= 5; ++i) {
    auto seq = f.log->Record(AuditFixture::MakeEvent("record.view"));
    ASSERT_TRUE(seq);
    EXPECT_EQ(*seq, i);
  }
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 5);
}

TEST(AuditLogTest, ChangeCommitsDataAndEventTogether) {
  AuditFixture f;
  auto r = f.log->Change<int>(AuditFixture::MakeEvent("record.update"),
                              [](store::Transaction& tx) -> Result<int> {
                                RETURN_IF_ERROR(store::SetMeta(tx, "k", "v1"));
                                return 7;
                              });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(Meta(*f.store, "k"), "v1");
  EXPECT_EQ(f.EventCount(), 1);
}

// A journal whose changes a store committed under one node name, opened under another (a host
// renamed): refused, naming the name to set, rather than correcting every change as never
// committed. A new node with a journal of its own still opens.
TEST(AuditLogTest, ARenamedNodeIsRefusedRatherThanTakingChangesForUncommitted) {
  AuditFixture f;
  ASSERT_TRUE(f.log->Change<int>(AuditFixture::MakeEvent("record.update"),
                                 [](store::Transaction& tx) -> Result<int> {
                                   RETURN_IF_ERROR(store::SetMeta(tx, "k", "v1"));
                                   return 1;
                                 }));
  f.log.reset();
  SystemClock clock;
  auto renamed = AuditLog::Open(*f.store, clock, f.key, Environment::kTest,
                                {f.journal(), "node-2", 1000, 64 << 20, true});
  ASSERT_FALSE(renamed);
  EXPECT_EQ(renamed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(renamed.error().message.find("set [audit] node = \"node-1\""), std::string::npos)
      << renamed.error().message;
  auto fresh = AuditLog::Open(*f.store, clock, f.key, Environment::kTest,
                              {f.dir / "audit-2", "node-2", 1000, 64 << 20, true});
  ASSERT_TRUE(fresh) << fresh.error().message;
  fresh->reset();
  f.Reopen();
  EXPECT_EQ(f.EventCount(), 1) << "no correction was written";
  EXPECT_TRUE(f.Verify().ok);
}

TEST(AuditLogTest, RefusedChangeIsRolledBackAndItsRefusalAudited) {
  AuditFixture f;
  auto r = f.log->Change<int>(AuditFixture::MakeEvent("record.update"),
                              [](store::Transaction& tx) -> Result<int> {
                                RETURN_IF_ERROR(store::SetMeta(tx, "k", "half-done"));
                                return Fail(ErrorCode::kPermissionDenied, "not an editor");
                              });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Meta(*f.store, "k"), std::nullopt);
  ASSERT_EQ(f.EventCount(), 1);
  EXPECT_NE(f.Events().front().find("\"outcome\":\"permission_denied\""), std::string::npos);
}

#ifdef STRONGROOM_TESTING
TEST(AuditLogTest, WhenTheLogCannotBeWrittenNothingChangesAndNothingIsReturned) {
  AuditFixture f;
  ASSERT_TRUE(
      f.log->Change<int>(AuditFixture::MakeEvent("w"), [](store::Transaction& tx) -> Result<int> {
        RETURN_IF_ERROR(store::SetMeta(tx, "k", "before"));
        return 1;
      }));
  f.log->InjectFailureForTest(true);
  auto w =
      f.log->Change<int>(AuditFixture::MakeEvent("w"), [](store::Transaction& tx) -> Result<int> {
        RETURN_IF_ERROR(store::SetMeta(tx, "k", "after"));
        return 1;
      });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kUnavailable);
  auto read = f.log->Observe<std::string>(AuditFixture::MakeEvent("r"),
                                          [](store::Transaction& tx) -> Result<std::string> {
                                            return store::GetMeta(tx, "k")->value_or("");
                                          });
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(f.log->Probe());
  EXPECT_EQ(Meta(*f.store, "k"), "before");
  f.log->InjectFailureForTest(false);
  EXPECT_TRUE(f.log->Probe());
  EXPECT_EQ(f.EventCount(), 1);
}
#endif

TEST(AuditLogTest, ObserveReturnsDataOnlyWithItsEventRecorded) {
  AuditFixture f;
  auto r = f.log->Observe<int>(AuditFixture::MakeEvent("record.view"),
                               [](store::Transaction&) -> Result<int> { return 5; });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 5);
  auto missing = f.log->Observe<int>(AuditFixture::MakeEvent("record.view"),
                                     [](store::Transaction&) -> Result<int> {
                                       return Fail(ErrorCode::kNotFound, "no such record");
                                     });
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(f.EventCount(), 2);  // the failed read is audited too
}

TEST(AuditLogTest, CheckpointsEveryNEventsAndOnDemand) {
  AuditFixture f(/*checkpoint_every=*/10);
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  auto checkpoints = [&] {
    std::vector<int64_t> out;
    auto reader = JournalReader::FromStart(f.journal());
    while (auto item = reader->Next()) {
      if (!*item) break;
      if ((*item)->record.kind == RecordKind::kCheckpoint) out.push_back((*item)->record.sequence);
    }
    return out;
  };
  EXPECT_EQ(checkpoints(), (std::vector<int64_t>{10, 20}));
  ASSERT_TRUE(f.log->Checkpoint());
  EXPECT_EQ(checkpoints(), (std::vector<int64_t>{10, 20, 25}));
  ASSERT_TRUE(f.log->Checkpoint());  // head unmoved: nothing new
  EXPECT_EQ(checkpoints().size(), 3u);
}

TEST(AuditLogTest, ConcurrentRecordersShareCommitsAndKeepTheChain) {
  AuditFixture f;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
    });
  }
  for (auto& t : threads) t.join();
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 400);
}

TEST(AuditLogTest, RecordAsyncReportsEachDurableSequence) {
  AuditFixture f;
  std::mutex mu;
  std::condition_variable cv;
  std::set<int64_t> seqs;
  for (int i = 0; i < 200; ++i) {
    f.log->RecordAsync(AuditFixture::MakeEvent("x"), [&](Result<int64_t> r) {
      ASSERT_TRUE(r);
      std::lock_guard lock(mu);
      seqs.insert(*r);
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return seqs.size() == 200; });
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 200);
  lock.unlock();
  EXPECT_TRUE(f.Verify().ok);
}

// A child appends events, acknowledging each durable one on a pipe, and is killed with SIGKILL;
// every acknowledged event must be there afterwards and the chain must verify.
TEST(AuditLogTest, AcknowledgedEventsSurviveSigkill) {
  AuditFixture f;
  f.Close();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto s = store::SqliteStore::Open({f.dir / "db", 1, 256});
    if (!s) ::_exit(3);
    auto opened = AuditLog::Open(**s, f.clock, f.key, Environment::kTest,
                                 {f.journal(), "node-1", 100, 64 << 20, true});
    if (!opened) ::_exit(3);
    AuditLog& log = **opened;
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&] {
        for (;;) {
          auto seq = log.Record(AuditFixture::MakeEvent("record.view"));
          if (!seq) ::_exit(4);
          std::lock_guard lock(mu);
          if (::write(fds[1], &*seq, sizeof(int64_t)) != sizeof(int64_t)) ::_exit(5);
        }
      });
    }
    for (auto& w : writers) w.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<int64_t> acked;
  int64_t seq;
  while (acked.size() < 500 && ::read(fds[0], &seq, sizeof seq) == sizeof seq) acked.push_back(seq);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  while (::read(fds[0], &seq, sizeof seq) == sizeof seq) acked.push_back(seq);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  f.Reopen();
  const int64_t max_acked = *std::max_element(acked.begin(), acked.end());
  EXPECT_GE(f.EventCount(), max_acked);
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_sequence;
  // Gapless, and every acknowledged sequence is present.
  EXPECT_GE(report.events, max_acked);
}

}  // namespace
}  // namespace strongroom::audit
