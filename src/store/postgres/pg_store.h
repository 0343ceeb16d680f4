#pragma once
// The scale-out store: PostgreSQL (15, from Debian) through libpq, behind the same interface and
// guarantees as the embedded one (store.h; tests/contract/ runs the same suite on both).
//
// Writes are batched as the embedded store batches them (batching_store.h): one writer
// connection, each batch one transaction with a savepoint per write and one COMMIT, made durable
// by PostgreSQL with synchronous_commit on (set by every connection). Reads run in REPEATABLE READ
// READ ONLY transactions on a pool of connections: each read sees one snapshot. A lost
// connection is replaced, so service resumes by itself once the server is back; meanwhile reads
// and writes fail with kUnavailable.
//
// `conninfo` is libpq's; TLS to the server is its `sslmode` (verify-full to check the server's
// name against its certificate), `sslrootcert`, `sslcert` and `sslkey`.
//
// Thread-safety: every public method may be called from any thread.

#include <memory>
#include <string>

#include "store/batching_store.h"

namespace strongroom::store {

struct PgOptions {
  std::string conninfo;
  int reader_connections = 4;
  int max_batch = 512;
  // Refuse to write while another store opened so holds the database (a session advisory lock
  // held by the writer's connection): a serving node, or a command that changes a stopped one.
  // Several nodes need cluster-wide sessions and jobs, which are not yet built.
  bool sole_node = false;
};

class PgStore final : public BatchingStore {
 public:
  // Connects (the writer's connection) and ensures the `meta` table.
  static Result<std::unique_ptr<PgStore>> Open(const PgOptions& options);

 private:
  using BatchingStore::BatchingStore;
};

}  // namespace strongroom::store
