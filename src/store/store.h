#pragma once
// The database interface every domain module writes through.
//
// Guarantees, for every backend (tests/contract/ holds the suite each one must pass):
// - `Write` runs its function inside a transaction on the store's single writer and returns only
//   once the transaction is durable (it survives a crash or power cut) or has been rolled back.
//   Writers are committed in groups: many queued transactions share one commit and one fsync,
//   each inside its own savepoint, so one transaction's failure never undoes another's.
//   A function that returns an error has all of its changes rolled back, and Write returns that
//   error.
// - `Read` runs its function against a consistent snapshot on a read-only connection.
// - SQL is parameterised: values reach the database only as `Params`, never spliced into text.
//   Placeholders are written `?`; backends translate them.
//
// Thread-safety: a Store may be used from any number of threads. A Transaction belongs to the
// function it is passed to and must not escape it.

#include <any>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/value.h"

namespace strongroom::store {

// The SQL a backend speaks. The project's SQL is written once, in the subset both take (with `?`
// placeholders and SQLite's column types, which the PostgreSQL connection translates); the few
// statements that cannot be are chosen by this.
enum class Dialect : uint8_t { kSqlite, kPostgres };

class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Dialect dialect() const = 0;
  // Runs a statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
  virtual Result<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) = 0;
  // Stages `entry` for the store's commit sink (CommitSink, below): it is made durable before
  // this transaction commits and dropped if it rolls back. kFailedPrecondition in a read, or
  // where no sink is attached.
  virtual Result<void> Stage(std::any entry);
};

// What must be durable before a write commits: the audit journal, with each change's event.
// The writer hands the sink the entries that the batch's committed transactions staged, in
// order, before COMMIT; it commits only if the sink made them durable, and records the last
// position the sink returns in the same commit (in meta, under the sink's CommittedKey: one per
// node's journal). If the commit then fails, the sink is told, so that its log can say those
// changes did not happen.
class CommitSink {
 public:
  virtual ~CommitSink() = default;
  // Called on the writer thread. Returns the entries' positions (journal sequences), in order.
  virtual Result<std::vector<int64_t>> MakeDurable(std::vector<std::any> entries) = 0;
  virtual void NotCommitted(const std::vector<int64_t>& positions) = 0;
  virtual const std::string& CommittedKey() const = 0;
};

// How whoever opens a store shares its database with others. The embedded store is one node's
// own (its callers hold a lock file beside it); on PostgreSQL (store/postgres/pg_store.h):
//   kSole    a command that changes a stopped instance: no node may serve meanwhile
//   kNode    a serving node: other nodes may serve beside it, each under its own name
//   kBeside  a command that only reads, beside whoever serves
enum class Opener : uint8_t { kSole, kNode, kBeside };

using TransactionFn = std::function<Result<void>(Transaction&)>;
using DoneFn = std::function<void(Result<void>)>;

struct StoreStats {
  uint64_t commits = 0;        // durable commits (each one fsync)
  uint64_t transactions = 0;   // write transactions that committed
  uint64_t commit_micros = 0;  // time spent making them durable (COMMIT, with its fsync)
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` on the writer; returns when it is durable. Blocks the calling thread.
  virtual Result<void> Write(TransactionFn fn) = 0;
  // As Write, but returns at once; `done` runs on the writer thread once the outcome is known, so
  // it must be short and must not call Write.
  virtual void WriteAsync(TransactionFn fn, DoneFn done) = 0;
  // Runs `fn` against a read-only snapshot.
  virtual Result<void> Read(TransactionFn fn) = 0;

  // Makes deleted data unrecoverable from the store's files once it returns: freed space is
  // already overwritten (SQLite's secure_delete); this also folds the write-ahead log, which
  // still holds old page images, into the database and empties it.
  virtual Result<void> Compact() = 0;

  // Attaches the sink that writes must make their staged entries durable in (nullptr detaches).
  // At most one at a time; it must outlive its attachment.
  virtual void SetCommitSink(CommitSink* sink) = 0;

  // Calls `changed` after every commit that inserted, updated or deleted a row of one of `tables`.
  // This store's own commits: on the writer thread and before any writer of that commit is told
  // its outcome, so a cache of those tables is invalidated before a change to them is
  // acknowledged. Another node's commits to a shared database (PostgreSQL): on a thread of its
  // own, as soon as the database tells of them (after that node's writers are told; the delay is
  // docs/operations.md's bound). `changed` must be short. Returns a handle for Unwatch, which must
  // be called before `changed` stops being callable.
  virtual int WatchTables(std::vector<std::string> tables, std::function<void()> changed) = 0;
  virtual void Unwatch(int watch) = 0;
  // Whether watchers hear of every commit just now. False while a store shared with other nodes
  // cannot hear of theirs (the connection it listens on is down, or not up yet): a cache of
  // watched tables must not answer then. When hearing resumes, every watcher is called first
  // (what was missed meanwhile is unknown).
  virtual bool SeesEveryCommit() const = 0;

  virtual StoreStats Stats() const = 0;
  // Finishes queued writes, then closes every connection. Later calls fail with kUnavailable.
  virtual void Close() = 0;
};

// Read and write helpers that return a value:
// `ASSIGN_OR_RETURN(auto n, ReadValue<int64_t>(store, fn))`. A write returns the value of the
// attempt that committed.
template <typename T, typename Run>
Result<T> ValueOf(Run run, const std::function<Result<T>(Transaction&)>& fn) {
  std::optional<T> out;
  RETURN_IF_ERROR(run([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, fn(tx));
    out.emplace(std::move(v));
    return {};
  }));
  return std::move(*out);
}
template <typename T>
Result<T> ReadValue(Store& store, const std::function<Result<T>(Transaction&)>& fn) {
  return ValueOf<T>([&](auto body) { return store.Read(body); }, fn);
}
template <typename T>
Result<T> WriteValue(Store& store, const std::function<Result<T>(Transaction&)>& fn) {
  return ValueOf<T>([&](auto body) { return store.Write(body); }, fn);
}

}  // namespace strongroom::store
