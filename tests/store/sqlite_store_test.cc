#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <latch>
#include <set>
#include <thread>

#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_connection.h"

namespace strongroom::store {
namespace {

std::unique_ptr<SqliteStore> OpenStore(const std::filesystem::path& path, int max_batch = 512) {
  auto s = SqliteStore::Open({path, 2, max_batch});
  EXPECT_TRUE(s) << s.error().message;
  EXPECT_TRUE((*s)->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)"));
    return {};
  }));
  return std::move(*s);
}

Result<void> Insert(Transaction& tx, int64_t id) {
  RETURN_IF_ERROR(tx.Exec("INSERT INTO t (id) VALUES (?)", {id}));
  return {};
}

int64_t Count(Store& s) {
  return *ReadValue<int64_t>(s, [](Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM t"));
    return rows.front().Int(0);
  });
}

// While the writer is held inside one transaction, 99 more are queued; they must then commit in
// one group (one fsync), not one by one.
TEST(SqliteStoreTest, QueuedTransactionsCommitTogether) {
  testing::TempDir dir;
  auto store = OpenStore(dir / "db");
  const auto before = store->Stats();
  std::latch writer_inside(1), release(1);
  std::promise<Result<void>> first_done;
  store->WriteAsync(
      [&](Transaction& tx) -> Result<void> {
        writer_inside.count_down();
        release.wait();
        return Insert(tx, 0);
      },
      [&](Result<void> r) { first_done.set_value(r); });
  writer_inside.wait();
  constexpr int kQueued = 99;
  std::vector<std::promise<Result<void>>> done(kQueued);
  for (int i = 0; i < kQueued; ++i) {
    store->WriteAsync([i](Transaction& tx) { return Insert(tx, i + 1); },
                      [&done, i](Result<void> r) { done[static_cast<size_t>(i)].set_value(r); });
  }
  release.count_down();
  EXPECT_TRUE(first_done.get_future().get());
  for (auto& d : done) EXPECT_TRUE(d.get_future().get());
  const auto after = store->Stats();
  EXPECT_EQ(after.transactions - before.transactions, 100u);
  EXPECT_EQ(after.commits - before.commits, 2u);  // the held one, then the 99 together
  EXPECT_EQ(Count(*store), 100);
}

TEST(SqliteStoreTest, OneFailingTransactionInAGroupDoesNotUndoTheOthers) {
  testing::TempDir dir;
  auto store = OpenStore(dir / "db");
  std::latch writer_inside(1), release(1);
  store->WriteAsync(
      [&](Transaction& tx) -> Result<void> {
        writer_inside.count_down();
        release.wait();
        return Insert(tx, 1);
      },
      [](Result<void>) {});
  writer_inside.wait();
  std::promise<Result<void>> bad, good;
  store->WriteAsync(
      [](Transaction& tx) -> Result<void> {
        RETURN_IF_ERROR(Insert(tx, 2));
        RETURN_IF_ERROR(Insert(tx, 1));  // duplicate key: this transaction fails
        return {};
      },
      [&](Result<void> r) { bad.set_value(r); });
  store->WriteAsync([](Transaction& tx) { return Insert(tx, 3); },
                    [&](Result<void> r) { good.set_value(r); });
  release.count_down();
  EXPECT_FALSE(bad.get_future().get());
  EXPECT_TRUE(good.get_future().get());
  EXPECT_TRUE(store->Read([](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id FROM t ORDER BY id"));
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].Int(0), 1);
    EXPECT_EQ(rows[1].Int(0), 3);
    return {};
  }));
}

TEST(SqliteStoreTest, ThrowingTransactionIsAnErrorAndWriterSurvives) {
  testing::TempDir dir;
  auto store = OpenStore(dir / "db");
  auto r = store->Write([](Transaction&) -> Result<void> { throw std::runtime_error("bug"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(store->Write([](Transaction& tx) { return Insert(tx, 1); }));
}

TEST(SqliteStoreTest, CloseFinishesQueuedWrites) {
  testing::TempDir dir;
  auto store = OpenStore(dir / "db");
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    store->WriteAsync([i](Transaction& tx) { return Insert(tx, i); },
                      [&](Result<void> r) { ok += r ? 1 : 0; });
  }
  store->Close();
  EXPECT_EQ(ok, 50);
  auto reopened = OpenStore(dir / "db");
  EXPECT_EQ(Count(*reopened), 50);
}

// A child process acknowledges each durable write on a pipe and is killed with SIGKILL in the
// middle of the stream; every acknowledged write must be there when the store is reopened.
TEST(SqliteStoreTest, AcknowledgedWritesSurviveSigkill) {
  testing::TempDir dir;
  const auto path = dir / "db";
  OpenStore(path)->Close();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto s = SqliteStore::Open({path, 1, 512});
    if (!s) ::_exit(3);
    std::vector<std::thread> writers;
    std::mutex pipe_mu;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int64_t i = 0;; ++i) {
          const int64_t id = i * 4 + t + 1;
          if (!(*s)->Write([id](Transaction& tx) { return Insert(tx, id); })) ::_exit(4);
          std::lock_guard lock(pipe_mu);
          if (::write(fds[1], &id, sizeof id) != sizeof id) ::_exit(5);
        }
      });
    }
    for (auto& w : writers) w.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::vector<int64_t> acked;
  int64_t id;
  while (acked.size() < 400 && ::read(fds[0], &id, sizeof id) == sizeof id) acked.push_back(id);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  while (::read(fds[0], &id, sizeof id) == sizeof id) acked.push_back(id);  // acked before death
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << status;
  ASSERT_GE(acked.size(), 400u);

  auto store = OpenStore(path);
  std::set<int64_t> present;
  ASSERT_TRUE(store->Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id FROM t"));
    for (const auto& r : rows) present.insert(r.Int(0));
    return {};
  }));
  for (int64_t a : acked) EXPECT_TRUE(present.contains(a)) << "lost acknowledged write " << a;
}

}  // namespace
}  // namespace strongroom::store

namespace strongroom::store {
namespace {

// A copy taken inside a read transaction is that transaction's snapshot, however many commits
// other connections make while it is taken, and is a store of its own.
TEST(SqliteCopyTest, ACopyIsTheSnapshotOfItsReadTransactionWhileWritesGoOn) {
  testing::TempDir dir;
  auto store = OpenStore(dir / "db");
  ASSERT_TRUE(store->Write([&](Transaction& tx) -> Result<void> {
    for (int64_t i = 1; i <= 5000; ++i) RETURN_IF_ERROR(Insert(tx, i));
    return {};
  }));
  auto reader = SqliteConnection::Open(dir / "db", SqliteConnection::Mode::kReadOnly);
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_TRUE((*reader)->ExecRaw("BEGIN"));
  auto seen = (*reader)->Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->front().Int(0), 5000);
  int steps = 0;
  int64_t next = 5001;
  // One page per step, and a commit by the store between every two steps.
  auto copied = (*reader)->CopyTo(dir / "copy", 1, [&](int64_t done, int64_t total) {
    ++steps;
    EXPECT_LE(done, total);
    ASSERT_TRUE(store->Write([&](Transaction& tx) { return Insert(tx, next++); }));
  });
  ASSERT_TRUE(copied) << copied.error().message;
  ASSERT_TRUE((*reader)->ExecRaw("COMMIT"));
  EXPECT_GT(steps, 5) << "the copy was taken in several steps";
  EXPECT_GT(Count(*store), 5000 + 5);
  auto copy = SqliteStore::Open({dir / "copy", 1, 1});
  ASSERT_TRUE(copy) << copy.error().message;
  EXPECT_EQ(Count(**copy), 5000);
  // A place it cannot create is an error.
  EXPECT_FALSE((*reader)->CopyTo(dir / "no-such-dir" / "copy", 100, {}));
}

}  // namespace
}  // namespace strongroom::store
