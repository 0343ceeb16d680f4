#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>

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

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  ASSIGN_OR_RETURN(auto writer,
                   SqliteConnection::Open(options.path, SqliteConnection::Mode::kReadWrite));
  RETURN_IF_ERROR(writer->ExecRaw(
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
  return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(writer)));
}

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<SqliteConnection> writer)
    : options_(std::move(options)), writer_conn_(std::move(writer)) {
  writer_conn_->OnRowChange([this](std::string_view table) {
    if (std::find(changed_tables_.begin(), changed_tables_.end(), table) == changed_tables_.end()) {
      changed_tables_.emplace_back(table);
    }
  });
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
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

Result<void> SqliteStore::Write(TransactionFn fn) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  WriteAsync(std::move(fn), [&promise](Result<void> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void SqliteStore::WriteAsync(TransactionFn fn, DoneFn done) {
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

void SqliteStore::WriterLoop() {
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

void SqliteStore::CommitBatch(std::vector<PendingWrite>& batch) {
  std::vector<Result<void>> results;
  results.reserve(batch.size());
  // BEGIN, COMMIT and ROLLBACK go through the statement cache too: compiled once per connection.
  changed_tables_.clear();
  auto begun = writer_conn_->Exec("BEGIN IMMEDIATE");
  if (!begun) {
    for (auto& w : batch) w.done(std::unexpected(begun.error()));
    return;
  }
  uint64_t committed = 0;
  std::vector<std::any> staged;
  for (auto& w : batch) {
    // Prepared once and cached: these run twice per transaction on the hot path.
    auto sp = writer_conn_->Exec("SAVEPOINT w");
    StagingTransaction tx(*writer_conn_);
    Result<void> r = sp ? RunGuarded(w.fn, tx) : std::unexpected(sp.error());
    if (r) {
      if (auto rel = writer_conn_->Exec("RELEASE w"); !rel) r = std::unexpected(rel.error());
    }
    if (r) {
      ++committed;
    } else if (sp) {
      // Refused, or its release failed: none of it stays, its staged events included.
      (void)writer_conn_->Exec("ROLLBACK TO w");
      (void)writer_conn_->Exec("RELEASE w");
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
  if (!staged.empty()) {
    auto made = sink != nullptr
                    ? sink->MakeDurable(std::move(staged))
                    : Fail(ErrorCode::kUnavailable, "store: no audit journal is attached");
    if (made) {
      positions = std::move(*made);
      if (!positions.empty()) {
        auto recorded = writer_conn_->Exec(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value",
            {sink->CommittedKey(), std::to_string(positions.back())});
        if (!recorded) journaled = std::unexpected(recorded.error());
      }
    } else {
      journaled = std::unexpected(made.error());
    }
  }
  if (!journaled) {
    (void)writer_conn_->Exec("ROLLBACK");
    if (!positions.empty()) sink->NotCommitted(positions);
    for (auto& r : results) {
      if (r) r = Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
    }
    sink_lock.unlock();
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    return;
  }
  const auto commit_started = std::chrono::steady_clock::now();
  auto commit = writer_conn_->Exec("COMMIT");
  const auto commit_micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - commit_started)
                                .count());
  if (!commit) {
    (void)writer_conn_->Exec("ROLLBACK");
    // A commit that reports failure may still have reached the database (an I/O error after
    // the log was written): what the store now says decides.
    if (!positions.empty() &&
        CommittedPosition(sink->CommittedKey()) == std::to_string(positions.back())) {
      commit = Result<int64_t>(0);
    } else {
      if (!positions.empty()) sink->NotCommitted(positions);
      for (auto& r : results) {
        if (r) r = Fail(ErrorCode::kUnavailable, "store: commit failed");
      }
      committed = 0;
    }
  }
  sink_lock.unlock();
  // Whatever the outcome: a commit reported failed may still have reached the database, and an
  // invalidation too many costs a read.
  TellWatchers();
  {
    std::lock_guard lock(mu_);
    if (commit) ++stats_.commits;
    stats_.transactions += committed;
    stats_.commit_micros += commit_micros;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
}

Result<std::unique_ptr<SqliteConnection>> SqliteStore::BorrowReader() {
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
      auto conn = SqliteConnection::Open(options_.path, SqliteConnection::Mode::kReadOnly);
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

void SqliteStore::ReturnReader(std::unique_ptr<SqliteConnection> conn) {
  std::lock_guard lock(readers_mu_);
  idle_readers_.push_back(std::move(conn));
  readers_cv_.notify_all();
}

Result<void> SqliteStore::Compact() {
  ASSIGN_OR_RETURN(auto conn,
                   SqliteConnection::Open(options_.path, SqliteConnection::Mode::kReadWrite));
  // TRUNCATE waits (busy timeout) for readers and the writer, copies every frame into the
  // database and empties the log. A busy answer means some frames could not be copied yet.
  ASSIGN_OR_RETURN(auto rows, conn->Query("PRAGMA wal_checkpoint(TRUNCATE)"));
  if (rows.empty() || rows.front().Int(0) != 0) {
    return Fail(ErrorCode::kUnavailable, "the store was busy; compaction will be retried");
  }
  return {};
}

Result<void> SqliteStore::Read(TransactionFn fn) {
  ASSIGN_OR_RETURN(auto conn, BorrowReader());
  auto begun = conn->Exec("BEGIN");
  Result<void> result = begun ? Result<void>{} : std::unexpected(begun.error());
  if (result) {
    result = RunGuarded(fn, *conn);
    (void)conn->Exec(result ? "COMMIT" : "ROLLBACK");
  }
  ReturnReader(std::move(conn));
  return result;
}

void SqliteStore::SetCommitSink(CommitSink* sink) {
  std::lock_guard lock(sink_mu_);
  sink_ = sink;
}

std::optional<std::string> SqliteStore::CommittedPosition(const std::string& key) {
  auto rows = writer_conn_->Query("SELECT value FROM meta WHERE key = ?", {key});
  if (!rows || rows->empty()) return std::nullopt;
  return rows->front().Text(0);
}

int SqliteStore::WatchTables(std::vector<std::string> tables, std::function<void()> changed) {
  std::lock_guard lock(watches_mu_);
  watches_.push_back({next_watch_, std::move(tables), std::move(changed)});
  return next_watch_++;
}

void SqliteStore::Unwatch(int watch) {
  std::lock_guard lock(watches_mu_);
  std::erase_if(watches_, [&](const Watch& w) { return w.id == watch; });
}

void SqliteStore::TellWatchers() {
  if (changed_tables_.empty()) return;
  std::lock_guard lock(watches_mu_);
  for (const auto& w : watches_) {
    for (const auto& t : w.tables) {
      if (std::find(changed_tables_.begin(), changed_tables_.end(), t) != changed_tables_.end()) {
        w.changed();
        break;
      }
    }
  }
}

StoreStats SqliteStore::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace strongroom::store
