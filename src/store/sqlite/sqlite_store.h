#pragma once
// The embedded store: one SQLite file in WAL mode with synchronous=FULL, written and read as
// every backend is (batching_store.h): one writer with group commit (BEGIN IMMEDIATE, a savepoint
// per write, one COMMIT and one fsync per batch) and a pool of read-only connections, so reads
// never wait for the writer's fsync.
//
// Thread-safety: every public method may be called from any thread.

#include <filesystem>
#include <memory>

#include "store/batching_store.h"
#include "store/sqlite/sqlite_connection.h"

namespace strongroom::store {

struct SqliteOptions {
  std::filesystem::path path;
  int reader_connections = 4;
  int max_batch = 512;
};

class SqliteStore final : public BatchingStore {
 public:
  // Opens (creating if absent) the database, starts the writer and ensures the `meta` table.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);

 private:
  using BatchingStore::BatchingStore;
};

}  // namespace strongroom::store
