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
// Several nodes may serve one database (Opener::kNode), each writer's batches serialised with
// every other's by a transaction-scoped advisory lock. A batch that changes rows tells the other
// nodes which tables it changed (NOTIFY, delivered only once it commits); each store listens on a
// connection of its own and calls its watchers (Store::WatchTables), so a node's caches hear of
// another node's changes. A serving node holds its place (the database shared, its name alone)
// on that same connection, which answers a heartbeat whenever it is silent (kHeartbeat): while
// it is down, SeesEveryCommit() is false and the node does not write.
//
// `conninfo` is libpq's; TLS to the server is its `sslmode` (verify-full to check the server's
// name against its certificate), `sslrootcert`, `sslcert` and `sslkey`.
//
// Thread-safety: every public method may be called from any thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "store/batching_store.h"

namespace strongroom::store {

struct PgOptions {
  std::string conninfo;
  int reader_connections = 4;
  int max_batch = 512;
  // What the store holds for as long as it lives (session advisory locks, taken again by a
  // connection that replaces a lost one): kSole the whole database, on the writer's connection
  // (refused while any node serves), kNode a serving node's place under `node`, on the listening
  // connection (refused while kSole is held, or another node of that name serves), kBeside
  // nothing.
  Opener opener = Opener::kBeside;
  std::string node;
};

class PgBackend;
class PgConnection;

class PgStore final : public BatchingStore {
 public:
  // Connects (the writer's connection), ensures the `meta` table, takes a serving node's place
  // (kNode), and starts listening for other nodes' changes.
  static Result<std::unique_ptr<PgStore>> Open(const PgOptions& options);
  ~PgStore() override;
  void Close() override;

  // A listening connection silent this long is asked for an answer; one that gives none within
  // as long again is taken for gone (a network that drops packets without a reset).
  static constexpr std::chrono::milliseconds kHeartbeat{1000};

 private:
  // `backend_view` is `backend`, which the base owns.
  PgStore(BatchingOptions options, std::unique_ptr<PgBackend> backend, PgBackend* backend_view,
          std::unique_ptr<StoreConnection> writer);
  // The listening thread, from the connection Open made: hands what other stores changed to the
  // watchers, and holds a serving node's place, until stopped. A lost connection is made again
  // after a second; meanwhile the store sees not every commit and a node does not write.
  void Listen(std::unique_ptr<PgConnection> conn);
  void StopListening();

  PgBackend* backend_;  // owned by BatchingStore
  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;  // an eventfd that wakes the listener to stop
  std::thread listener_;
};

}  // namespace strongroom::store
