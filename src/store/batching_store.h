#pragma once
// What every store backend shares (store.h's guarantees): one writer thread that owns the only
// read-write connection, and a pool of read-only connections.
//
// The writer drains the queue of pending write transactions in groups of up to `max_batch`: the
// backend's BEGIN, each transaction inside its own SAVEPOINT (rolled back alone if it fails), the
// commit sink's entries made durable, one COMMIT, then every waiter is told its outcome. Readers
// borrow connections from the pool, so reads never wait for the writer's commit.
//
// A backend supplies its connections and the words that begin its transactions. A connection that
// reports itself unusable (a database server that went away) is replaced: the writer opens a new
// one for its next batch, a reader is dropped from the pool, so service resumes by itself when the
// database does.
//
// Thread-safety: every public method may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/store.h"

namespace strongroom::store {

// One connection of a backend, as the writer and readers use it.
class StoreConnection : public Transaction {
 public:
  // Runs a statement that takes no parameters (BEGIN, COMMIT, SAVEPOINT...).
  virtual Result<void> Control(std::string_view sql) = 0;
  // Calls `changed` with the table of every row a statement inserts, updates or deletes.
  virtual void OnRowChange(std::function<void(std::string_view table)> changed) = 0;
  // False once the connection cannot be used again (its server went away).
  virtual bool Usable() const { return true; }
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual Result<std::unique_ptr<StoreConnection>> Connect(bool writer) = 0;
  // The statements that begin a batch of writes and a read.
  virtual std::string_view BeginWrite() const = 0;
  virtual std::string_view BeginRead() const = 0;
  virtual Result<void> Compact() = 0;
  // Whether a batch may be written just now (kUnavailable if not): checked before each.
  virtual Result<void> ReadyToWrite() const { return {}; }
  // Tells other nodes on the same database which `tables` the batch being written changes, inside
  // its transaction, so that they hear of it once it commits (and only then). Nothing by default:
  // a backend of one node's own has no one to tell.
  virtual Result<void> Announce(StoreConnection& /*writer*/,
                                const std::vector<std::string>& /*tables*/) {
    return {};
  }
};

struct BatchingOptions {
  int reader_connections = 4;
  int max_batch = 512;
};

class BatchingStore : public Store {
 public:
  ~BatchingStore() override;

  Result<void> Write(TransactionFn fn) override;
  void WriteAsync(TransactionFn fn, DoneFn done) override;
  Result<void> Read(TransactionFn fn) override;
  Result<void> Compact() override;
  void SetCommitSink(CommitSink* sink) override;
  int WatchTables(std::vector<std::string> tables, std::function<void()> changed) override;
  void Unwatch(int watch) override;
  bool SeesEveryCommit() const override { return sees_every_commit_.load(); }
  StoreStats Stats() const override;
  void Close() override;

 protected:
  // Opens the writer's connection and ensures the `meta` table; the backend must outlive nothing
  // but the store (it is owned).
  static Result<std::unique_ptr<StoreConnection>> OpenWriter(StoreBackend& backend);
  BatchingStore(BatchingOptions options, std::unique_ptr<StoreBackend> backend,
                std::unique_ptr<StoreConnection> writer);
  // For a backend shared with other nodes: whether their commits are heard of just now (when it
  // becomes true every watcher is called first), and the tables one of them changed.
  void SetSeesEveryCommit(bool sees);
  void ChangedElsewhere(const std::vector<std::string>& tables);

 private:
  struct PendingWrite {
    TransactionFn fn;
    DoneFn done;
  };

  void WriterLoop();
  void CommitBatch(std::vector<PendingWrite>& batch);
  // The writer's connection, opened again if it was lost; nullptr if it cannot be.
  StoreConnection* Writer();
  // Called by the writer's connection for each table a statement changed.
  void NoteChanged(std::string_view table);
  // Calls the watchers of any of `tables` (all of them for nullptr).
  void TellWatchers(const std::vector<std::string>* tables);
  // After a COMMIT that reported failure: whether the store records `position` under `key`
  // (the batch committed), or nullopt while the database cannot say.
  std::optional<bool> Landed(const std::string& key, const std::string& position);
  // Settles the batch in doubt: true once the database says whether it committed (and the sink
  // has been told if not). Until then every write is refused, so that nothing (a checkpoint
  // above all) settles its events either way; a store closed first leaves them to the next
  // start, which reads the committed position afresh.
  bool Settle();
  Result<std::unique_ptr<StoreConnection>> BorrowReader();
  void ReturnReader(std::unique_ptr<StoreConnection> conn);

  const BatchingOptions options_;
  const std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<StoreConnection> writer_conn_;  // used only by writer_thread_

  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;  // guarded by mu_
  bool closing_ = false;            // guarded by mu_
  StoreStats stats_;                // guarded by mu_

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<StoreConnection>> idle_readers_;  // guarded by readers_mu_
  int open_readers_ = 0;                                        // guarded by readers_mu_
  bool readers_closed_ = false;                                 // guarded by readers_mu_

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
  std::atomic<bool> sees_every_commit_{true};
  // Tables the batch being written changed; the writer thread's own.
  std::vector<std::string> changed_tables_;
  // A batch whose COMMIT failed and whose outcome could not be read yet; the writer thread's.
  struct InDoubt {
    std::string key;
    std::vector<int64_t> positions;
  };
  std::optional<InDoubt> in_doubt_;
  std::thread writer_thread_;
};

}  // namespace strongroom::store
