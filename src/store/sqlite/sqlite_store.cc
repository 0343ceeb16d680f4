#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/sqlite_connection.h"

namespace strongroom::store {
namespace {

class SqliteBackend final : public StoreBackend {
 public:
  explicit SqliteBackend(std::filesystem::path path) : path_(std::move(path)) {}
  Result<std::unique_ptr<StoreConnection>> Connect(bool writer) override {
    ASSIGN_OR_RETURN(auto conn,
                     SqliteConnection::Open(path_, writer ? SqliteConnection::Mode::kReadWrite
                                                          : SqliteConnection::Mode::kReadOnly));
    return std::unique_ptr<StoreConnection>(std::move(conn));
  }
  std::string_view BeginWrite() const override { return "BEGIN IMMEDIATE"; }
  std::string_view BeginRead() const override { return "BEGIN"; }

  // Freed space is already overwritten (secure_delete); this also folds the write-ahead log,
  // which still holds old page images, into the database and empties it.
  Result<void> Compact() override {
    ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(path_, SqliteConnection::Mode::kReadWrite));
    // TRUNCATE waits (busy timeout) for readers and the writer, copies every frame into the
    // database and empties the log. A busy answer means some frames could not be copied yet.
    ASSIGN_OR_RETURN(auto rows, conn->Query("PRAGMA wal_checkpoint(TRUNCATE)"));
    if (rows.empty() || rows.front().Int(0) != 0) {
      return Fail(ErrorCode::kUnavailable, "the store was busy; compaction will be retried");
    }
    return {};
  }

 private:
  const std::filesystem::path path_;
};

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  auto backend = std::make_unique<SqliteBackend>(options.path);
  ASSIGN_OR_RETURN(auto writer, OpenWriter(*backend));
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      {options.reader_connections, options.max_batch}, std::move(backend), std::move(writer)));
}

}  // namespace strongroom::store
