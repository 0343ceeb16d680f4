#pragma once
// The audit journal's derived indexes: for each event its time, actor, action and target (as its
// canonical text writes them: JSON string literals) and where it lies in the journal. Built
// behind the head by whoever searches (`CatchUp` first brings it up to a head), kept in
// `index.db` in the journal's directory, and checked against the journal by `audit verify`: an
// edited or deleted entry would hide an event from search.
//
// The same file keeps two cursors that are this node's own: how far the collector has
// acknowledged the journal (`shipped`) and how far retention has removed it (`pruned_through`).
//
// Thread-safety: every method may be called from any thread; several processes may share it.

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "audit/journal.h"
#include "audit/search.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::audit {

struct IndexRow {
  int64_t sequence = 0;
  std::string time, actor_id, action, target_id;  // JSON string literals
  Position at;
};

class JournalIndex {
 public:
  static Result<std::unique_ptr<JournalIndex>> Open(const std::filesystem::path& journal_dir);
  ~JournalIndex();

  // Indexes the journal's events up to `head`.
  Result<void> CatchUp(int64_t head);
  // Runs `query` over what is indexed; the events' text is read from the journal.
  Result<SearchPage> Search(const SearchQuery& query);
  // Up to `limit` rows in sequence order from `from`.
  Result<std::vector<IndexRow>> Rows(int64_t from, int limit);
  Result<int64_t> IndexedThrough();

  Result<int64_t> Shipped();
  Result<void> SetShipped(int64_t sequence);
  Result<int64_t> PrunedThrough();
  // Forgets the events through `sequence`, whose segments retention removed.
  Result<void> RemoveThrough(int64_t sequence);

  // For tests that play an attacker with access to the files.
  store::Store& StoreForTest() { return *db_; }

 private:
  JournalIndex(std::filesystem::path dir, std::unique_ptr<store::SqliteStore> db);
  Result<int64_t> GetCounter(std::string_view key);

  const std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> db_;
  std::mutex catch_up_mu_;
  std::optional<JournalReader> reader_;  // guarded by catch_up_mu_
  int64_t reader_through_ = 0;           // guarded by catch_up_mu_
};

}  // namespace strongroom::audit
