#include "store/postgres/pg_store.h"

#include <algorithm>

#include "store/postgres/pg_connection.h"

namespace strongroom::store {
namespace {

class PgBackend final : public StoreBackend {
 public:
  PgBackend(std::string conninfo, bool sole_node)
      : conninfo_(std::move(conninfo)), sole_node_(sole_node) {}
  Result<std::unique_ptr<StoreConnection>> Connect(bool writer) override {
    ASSIGN_OR_RETURN(auto conn,
                     PgConnection::Open(conninfo_, writer ? PgConnection::Mode::kReadWrite
                                                          : PgConnection::Mode::kReadOnly));
    if (writer && sole_node_) {
      // Held by the writer's session for as long as it lives (and taken again by the writer
      // that replaces a lost one): the database's one node.
      ASSIGN_OR_RETURN(auto held, conn->Query("SELECT CASE WHEN pg_try_advisory_lock(8231560713) "
                                              "THEN 1 ELSE 0 END"));
      if (held.empty() || held.front().Int(0) != 1) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "another Strongroom node is using this PostgreSQL database: one node serves "
                    "a database until sessions and jobs are shared across nodes");
      }
    }
    return std::unique_ptr<StoreConnection>(std::move(conn));
  }
  // One writer at a time across every node and command, as SQLite's BEGIN IMMEDIATE gives the
  // embedded store: the code's read-then-write steps (counters, version checks, migrations)
  // assume it. A transaction-scoped advisory lock, released at COMMIT or ROLLBACK.
  std::string_view BeginWrite() const override {
    return "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(8231560712)";
  }
  std::string_view BeginRead() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  // PostgreSQL makes no promise to overwrite what it frees: VACUUM makes the space of deleted
  // rows reusable, but their bytes stay in the data files until reused, and in the server's
  // write-ahead log and backups until those rotate (docs/operations.md says so).
  Result<void> Compact() override {
    ASSIGN_OR_RETURN(auto conn, PgConnection::Open(conninfo_, PgConnection::Mode::kReadWrite));
    return conn->Control("VACUUM records, record_descriptors");
  }

 private:
  const std::string conninfo_;
  const bool sole_node_;
};

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgOptions& options) {
  auto backend = std::make_unique<PgBackend>(options.conninfo, options.sole_node);
  ASSIGN_OR_RETURN(auto writer, OpenWriter(*backend));
  // Text compares byte by byte in the embedded store; orders and ranges (cursors, names) must
  // mean the same here. Asked of the behaviour, not the settings (an ICU provider can sit behind
  // LC_COLLATE 'C'): under byte order 'B' < 'a' and '_' < 'a' < 'b'.
  ASSIGN_OR_RETURN(auto collation,
                   writer->Query("SELECT CASE WHEN 'B' < 'a' AND '_' < 'a' AND 'a' < 'b' AND "
                                 "'Z' < '_' THEN 1 ELSE 0 END"));
  if (collation.empty() || collation.front().Int(0) != 1) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the PostgreSQL database must use the C collation (byte order): create it with "
                "CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'");
  }
  // Durability is the store's promise; a server running without fsync cannot keep it.
  ASSIGN_OR_RETURN(auto fsync, writer->Query("SELECT current_setting('fsync')"));
  if (fsync.empty() || fsync.front().Text(0) != "on") {
    return Fail(ErrorCode::kFailedPrecondition,
                "the PostgreSQL server runs with fsync off: committed data could be lost");
  }
  // A batch has a savepoint per write; past 64 in one transaction PostgreSQL stops caching them
  // for the snapshots of every concurrent reader, which then slow down.
  const int max_batch = std::min(options.max_batch, 64);
  return std::unique_ptr<PgStore>(
      new PgStore({options.reader_connections, max_batch}, std::move(backend), std::move(writer)));
}

}  // namespace strongroom::store
