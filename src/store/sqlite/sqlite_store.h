#pragma once
// The embedded store: one SQLite file in WAL mode with synchronous=FULL.
//
// One writer thread owns the only read-write connection. It drains the queue of pending write
// transactions in groups of up to `max_batch`: BEGIN IMMEDIATE, each transaction inside its own
// SAVEPOINT (rolled back alone if it fails), one COMMIT, one fsync, then every waiter is told its
// outcome. Readers borrow read-only connections from a fixed pool, so reads never wait for the
// writer's fsync.
//
// Thread-safety: every public method may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/store.h"

namespace strongroom::store {

struct SqliteOptions {
  std::filesystem::path path;
  int reader_connections = 4;
  int max_batch = 512;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if absent) the database, starts the writer and ensures the `meta` table.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  ~SqliteStore() override;

  Result<void> Write(TransactionFn fn) override;
  void WriteAsync(TransactionFn fn, DoneFn done) override;
  Result<void> Read(TransactionFn fn) override;
  Result<void> Compact() override;
  void SetCommitSink(CommitSink* sink) override;
  int WatchTables(std::vector<std::string> tables, std::function<void()> changed) override;
  void Unwatch(int watch) override;
  StoreStats Stats() const override;
  void Close() override;

 private:
  struct PendingWrite {
    TransactionFn fn;
    DoneFn done;
  };

  SqliteStore(SqliteOptions options, std::unique_ptr<SqliteConnection> writer);
  void WriterLoop();
  void CommitBatch(std::vector<PendingWrite>& batch);
  void TellWatchers();
  // The position recorded under `key` (read on the writer's connection).
  std::optional<std::string> CommittedPosition(const std::string& key);
  Result<std::unique_ptr<SqliteConnection>> BorrowReader();
  void ReturnReader(std::unique_ptr<SqliteConnection> conn);

  const SqliteOptions options_;
  std::unique_ptr<SqliteConnection> writer_conn_;  // used only by writer_thread_

  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;  // guarded by mu_
  bool closing_ = false;            // guarded by mu_
  StoreStats stats_;                // guarded by mu_

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;  // guarded by readers_mu_
  int open_readers_ = 0;                                         // guarded by readers_mu_
  bool readers_closed_ = false;                                  // guarded by readers_mu_

  std::mutex sink_mu_;          // held by the writer while a batch uses the sink
  CommitSink* sink_ = nullptr;  // guarded by sink_mu_
  struct Watch {
    int id;
    std::vector<std::string> tables;
    std::function<void()> changed;
  };
  std::mutex watches_mu_;
  std::vector<Watch> watches_;  // guarded by watches_mu_
  int next_watch_ = 1;          // guarded by watches_mu_
  // Tables the batch being written changed; the writer thread's own.
  std::vector<std::string> changed_tables_;
  std::thread writer_thread_;
};

}  // namespace strongroom::store
