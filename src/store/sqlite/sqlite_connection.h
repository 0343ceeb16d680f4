#pragma once
// One SQLite connection with a cache of prepared statements. Implements Transaction for code that
// runs inside a transaction the owner has begun.
//
// Thread-safety: none. Each connection is used by one thread at a time (the writer thread owns
// its connection; readers are lent from a pool).

#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/error.h"
#include "store/batching_store.h"

namespace strongroom::store {

class SqliteConnection final : public StoreConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static Result<std::unique_ptr<SqliteConnection>> Open(const std::filesystem::path& path,
                                                        Mode mode);
  ~SqliteConnection() override;

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<int64_t> Exec(std::string_view sql, const Params& params = {}) override;
  Result<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) override;

  // Transaction control (BEGIN, SAVEPOINT, COMMIT...): prepared once and cached, as these run
  // for every write.
  Result<void> Control(std::string_view sql) override;
  // Runs SQL text without parameters or caching (PRAGMA...).
  Result<void> ExecRaw(const char* sql);
  // Copies the database as this connection sees it into the new file `dest` (SQLite's online
  // backup API), `pages_per_step` pages at a time, telling `progress` (pages copied, pages in all)
  // after each step. Inside a read transaction the caller has begun, the copy is that
  // transaction's snapshot whatever other connections and processes write meanwhile.
  Result<void> CopyTo(const std::filesystem::path& dest, int pages_per_step,
                      const std::function<void(int64_t, int64_t)>& progress);
  // Calls `changed` with the table of every row a statement inserts, updates or deletes
  // (SQLite's update hook: foreign-key actions included). nullptr removes it.
  void OnRowChange(std::function<void(std::string_view table)> changed) override;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> Prepare(std::string_view sql, const Params& params);
  std::unexpected<Error> SqliteError(std::string_view what) const;

  sqlite3* db_;
  std::function<void(std::string_view)> on_row_change_;
  // Transparent lookup: finding a cached statement does not allocate.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> statements_;
};

}  // namespace strongroom::store
