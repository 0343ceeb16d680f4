#include "store/batching_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <future>

namespace strongroom::store {
namespace {

std::unexpected<Error> Closed() { return Fail(ErrorCode::kUnavailable, "the store is closed"); }

// Runs a caller's transaction function; an escaping exception becomes an error so that the
// writer thread survives a bug in one caller.
Result<void> RunGuarded(const TransactionFn& fn, Transaction& tx) {
  try {
    return fn(tx);
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInternal, "store: transaction function threw");
  }
}

// One write transaction as its function sees it: the writer's connection, and the entries it
// stages for the commit sink, kept apart from the other transactions' in the batch.
class StagingTransaction final : public Transaction {
 public:
  explicit StagingTransaction(Transaction& conn) : conn_(conn) {}
  Dialect dialect() const override { return conn_.dialect(); }
  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    return conn_.Exec(sql, params);
  }
  Result<std::vector<Row>> Query(std::string_view sql, const Params& params) override {
    return conn_.Query(sql, params);
  }
  Result<void> Stage(std::any entry) override {
    staged.push_back(std::move(entry));
    return {};
  }
  std::vector<std::any> staged;

 private:
  Transaction& conn_;
};

constexpr std::string_view kMetaTable =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

}  // namespace

Result<std::unique_ptr<StoreConnection>> BatchingStore::OpenWriter(StoreBackend& backend) {
  ASSIGN_OR_RETURN(auto writer, backend.Connect(true));
  RETURN_IF_ERROR(writer->Control(kMetaTable));
  return writer;
}

BatchingStore::BatchingStore(BatchingOptions options, std::unique_ptr<StoreBackend> backend,
                             std::unique_ptr<StoreConnection> writer)
    : options_(options), backend_(std::move(backend)), writer_conn_(std::move(writer)) {
  writer_conn_->OnRowChange([this](std::string_view table) { NoteChanged(table); });
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

BatchingStore::~BatchingStore() { Close(); }

void BatchingStore::Close() {
  {
    std::lock_guard lock(mu_);
    if (closing_ && !writer_thread_.joinable()) return;
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  std::unique_lock lock(readers_mu_);
  readers_closed_ = true;
  // Wait for lent readers to come back, then close them all.
  readers_cv_.wait(lock, [&] { return static_cast<int>(idle_readers_.size()) == open_readers_; });
  idle_readers_.clear();
  open_readers_ = 0;
  lock.unlock();
  writer_conn_.reset();
}

Result<void> BatchingStore::Write(TransactionFn fn) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  WriteAsync(std::move(fn), [&promise](Result<void> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void BatchingStore::WriteAsync(TransactionFn fn, DoneFn done) {
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      queue_.push_back(PendingWrite{std::move(fn), std::move(done)});
      queue_cv_.notify_one();
      return;
    }
  }
  done(Closed());
}

void BatchingStore::WriterLoop() {
  std::vector<PendingWrite> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing, and everything queued has been written
      const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
    batch.clear();
  }
}

StoreConnection* BatchingStore::Writer() {
  if (writer_conn_ && writer_conn_->Usable()) return writer_conn_.get();
  // Lost (the database server went away): a new connection, if the server is back.
  writer_conn_.reset();
  auto conn = backend_->Connect(true);
  if (!conn) return nullptr;
  writer_conn_ = std::move(*conn);
  writer_conn_->OnRowChange([this](std::string_view table) { NoteChanged(table); });
  return writer_conn_.get();
}

void BatchingStore::NoteChanged(std::string_view table) {
  if (std::find(changed_tables_.begin(), changed_tables_.end(), table) == changed_tables_.end()) {
    changed_tables_.emplace_back(table);
  }
}

bool BatchingStore::Settle() {
  const auto landed = Landed(in_doubt_->key, std::to_string(in_doubt_->positions.back()));
  if (!landed) return false;
  if (!*landed) {
    std::lock_guard lock(sink_mu_);
    if (sink_ != nullptr) sink_->NotCommitted(in_doubt_->positions);
  }
  in_doubt_.reset();
  return true;
}

void BatchingStore::CommitBatch(std::vector<PendingWrite>& batch) {
  if (in_doubt_ && !Settle()) {
    for (auto& w : batch) {
      w.done(Fail(ErrorCode::kUnavailable,
                  "store: the outcome of an earlier commit is not known yet"));
    }
    return;
  }
  if (auto ready = backend_->ReadyToWrite(); !ready) {
    for (auto& w : batch) w.done(std::unexpected(ready.error()));
    return;
  }
  std::vector<Result<void>> results;
  results.reserve(batch.size());
  changed_tables_.clear();
  StoreConnection* conn = Writer();
  auto begin = [&]() -> Result<void> {
    if (conn == nullptr)
      return Fail(ErrorCode::kUnavailable, "store: the database cannot be reached");
    return conn->Control(backend_->BeginWrite());
  };
  auto begun = begin();
  if (!begun && conn != nullptr && !conn->Usable()) {
    // Lost while idle (a server restarted since the last batch): nothing has run, so once more
    // on a new connection.
    conn = Writer();
    begun = begin();
  }
  if (!begun) {
    if (conn != nullptr) (void)conn->Control("ROLLBACK");  // a BEGIN that got part of the way
    for (auto& w : batch) w.done(std::unexpected(begun.error()));
    return;
  }
  uint64_t committed = 0;
  std::vector<std::any> staged;
  for (auto& w : batch) {
    auto sp = conn->Control("SAVEPOINT w");
    StagingTransaction tx(*conn);
    Result<void> r = sp ? RunGuarded(w.fn, tx) : std::unexpected(sp.error());
    if (r) {
      if (auto rel = conn->Control("RELEASE w"); !rel) r = std::unexpected(rel.error());
    }
    if (r) {
      ++committed;
    } else if (sp) {
      // Refused, or its release failed: none of it stays, its staged events included.
      (void)conn->Control("ROLLBACK TO w");
      (void)conn->Control("RELEASE w");
    }
    if (r) std::move(tx.staged.begin(), tx.staged.end(), std::back_inserter(staged));
    results.push_back(std::move(r));
  }
  // The batch's events are durable before its data: no change without its event. The sink is
  // held for the batch, so that detaching it waits for the batch to end.
  std::unique_lock sink_lock(sink_mu_);
  CommitSink* const sink = sink_;
  std::vector<int64_t> positions;
  Result<void> journaled;
  if (!staged.empty() && !conn->Usable()) {
    // The database went away mid-batch: nothing of it can commit, so its events are not written.
    journaled = Fail(ErrorCode::kUnavailable, "store: the connection to the database was lost");
  } else if (!staged.empty()) {
    auto made = sink != nullptr
                    ? sink->MakeDurable(std::move(staged))
                    : Fail(ErrorCode::kUnavailable, "store: no audit journal is attached");
    if (made) {
      positions = std::move(*made);
      if (!positions.empty()) {
        auto recorded = conn->Exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value",
            {sink->CommittedKey(), std::to_string(positions.back())});
        if (!recorded) journaled = std::unexpected(recorded.error());
      }
    } else {
      journaled = std::unexpected(made.error());
    }
  }
  Result<void> announced;
  if (journaled && !changed_tables_.empty()) announced = backend_->Announce(*conn, changed_tables_);
  if (!journaled || !announced) {
    (void)conn->Control("ROLLBACK");
    if (!positions.empty()) sink->NotCommitted(positions);
    const bool lost = !conn->Usable();
    for (auto& r : results) {
      if (!r) continue;
      if (!announced) {
        r = std::unexpected(announced.error());
      } else {
        r = lost ? std::unexpected(journaled.error())
                 : Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
      }
    }
    sink_lock.unlock();
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    return;
  }
  const auto commit_started = std::chrono::steady_clock::now();
  auto commit = conn->Control("COMMIT");
  const auto commit_micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - commit_started)
                                .count());
  if (!commit) {
    if (conn->Usable()) (void)conn->Control("ROLLBACK");
    // A commit that reports failure may still have reached the database (an I/O error after
    // the log was written, a connection lost after the server committed): what the store now
    // says decides. If it cannot say yet, the batch is in doubt (see Settle).
    const std::optional<bool> landed =
        positions.empty() ? std::optional<bool>(false)
                          : Landed(sink->CommittedKey(), std::to_string(positions.back()));
    if (landed == true) {
      commit = {};
    } else {
      if (landed == false && !positions.empty()) sink->NotCommitted(positions);
      if (!landed) in_doubt_ = InDoubt{sink->CommittedKey(), positions};
      for (auto& r : results) {
        if (r) r = Fail(ErrorCode::kUnavailable, "store: commit failed");
      }
      committed = 0;
    }
  }
  sink_lock.unlock();
  // Whatever the outcome: a commit reported failed may still have reached the database, and an
  // invalidation too many costs a read.
  TellWatchers(&changed_tables_);
  {
    std::lock_guard lock(mu_);
    if (commit) ++stats_.commits;
    stats_.transactions += committed;
    stats_.commit_micros += commit_micros;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

Result<std::unique_ptr<StoreConnection>> BatchingStore::BorrowReader() {
  std::unique_lock lock(readers_mu_);
  for (;;) {
    if (readers_closed_) return Closed();
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    if (open_readers_ < options_.reader_connections) {
      ++open_readers_;
      lock.unlock();
      auto conn = backend_->Connect(false);
      if (!conn) {
        lock.lock();
        --open_readers_;
        readers_cv_.notify_all();
      }
      return conn;
    }
    readers_cv_.wait(lock);
  }
}

void BatchingStore::ReturnReader(std::unique_ptr<StoreConnection> conn) {
  std::lock_guard lock(readers_mu_);
  if (conn->Usable()) {
    idle_readers_.push_back(std::move(conn));
  } else {
    --open_readers_;  // lost: the next borrower opens another
  }
  readers_cv_.notify_all();
}

Result<void> BatchingStore::Compact() { return backend_->Compact(); }

Result<void> BatchingStore::Read(TransactionFn fn) {
  ASSIGN_OR_RETURN(auto conn, BorrowReader());
  auto begun = conn->Control(backend_->BeginRead());
  // A pooled connection lost while idle is dropped, and the next borrowed: nothing has run.
  for (int tries = 0; !begun && !conn->Usable() && tries < options_.reader_connections; ++tries) {
    ReturnReader(std::move(conn));
    ASSIGN_OR_RETURN(conn, BorrowReader());
    begun = conn->Control(backend_->BeginRead());
  }
  Result<void> result = begun ? Result<void>{} : std::unexpected(begun.error());
  if (result) {
    result = RunGuarded(fn, *conn);
    (void)conn->Control(result ? "COMMIT" : "ROLLBACK");
  }
  ReturnReader(std::move(conn));
  return result;
}

void BatchingStore::SetCommitSink(CommitSink* sink) {
  std::lock_guard lock(sink_mu_);
  sink_ = sink;
}

// Begins as a write, so that it waits for the write lock: a transaction whose COMMIT was lost
// in flight still holds it, and has ended, committed or not, once it is granted.
std::optional<bool> BatchingStore::Landed(const std::string& key, const std::string& position) {
  StoreConnection* conn = Writer();
  if (conn == nullptr) return std::nullopt;
  if (!conn->Control(backend_->BeginWrite())) {
    if (conn->Usable()) (void)conn->Control("ROLLBACK");
    return std::nullopt;
  }
  auto rows = conn->Query("SELECT value FROM meta WHERE key = ?", {key});
  (void)conn->Control("ROLLBACK");
  if (!rows) return std::nullopt;
  return !rows->empty() && rows->front().Text(0) == position;
}

int BatchingStore::WatchTables(std::vector<std::string> tables, std::function<void()> changed) {
  std::lock_guard lock(watches_mu_);
  watches_.push_back({next_watch_, std::move(tables), std::move(changed)});
  return next_watch_++;
}

void BatchingStore::Unwatch(int watch) {
  std::lock_guard lock(watches_mu_);
  std::erase_if(watches_, [&](const Watch& w) { return w.id == watch; });
}

void BatchingStore::TellWatchers(const std::vector<std::string>* tables) {
  if (tables != nullptr && tables->empty()) return;
  std::lock_guard lock(watches_mu_);
  for (const auto& w : watches_) {
    for (const auto& t : w.tables) {
      if (tables == nullptr || std::find(tables->begin(), tables->end(), t) != tables->end()) {
        w.changed();
        break;
      }
    }
  }
}

void BatchingStore::SetSeesEveryCommit(bool sees) {
  if (sees && !sees_every_commit_.load()) TellWatchers(nullptr);
  sees_every_commit_.store(sees);
}

void BatchingStore::ChangedElsewhere(const std::vector<std::string>& tables) {
  TellWatchers(&tables);
}

StoreStats BatchingStore::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace strongroom::store
