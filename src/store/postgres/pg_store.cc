#include "store/postgres/pg_store.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/text.h"
#include "store/postgres/pg_connection.h"

namespace strongroom::store {
namespace {

// The advisory locks' keys: the database (shared by serving nodes, held alone by a command that
// changes a stopped instance), a node's name (with hashtext of the name), and the writers' turn.
constexpr std::string_view kHoldDatabase = "8231560713";
constexpr std::string_view kHoldNode = "82315607";
constexpr std::string_view kWritersTurn = "8231560712";
// The channel on which a batch names the tables it changed.
constexpr std::string_view kListen = "LISTEN strongroom_changes";
constexpr std::string_view kAnnounce = "SELECT pg_notify('strongroom_changes', ?)";

}  // namespace

class PgBackend final : public StoreBackend {
 public:
  PgBackend(std::string conninfo, Opener opener, std::string node)
      : conninfo_(std::move(conninfo)), opener_(opener), node_(std::move(node)) {}
  Result<std::unique_ptr<StoreConnection>> Connect(bool writer) override {
    ASSIGN_OR_RETURN(auto conn,
                     PgConnection::Open(conninfo_, writer ? PgConnection::Mode::kReadWrite
                                                          : PgConnection::Mode::kReadOnly));
    if (writer) {
      RETURN_IF_ERROR(Hold(*conn));
      writer_pid_.store(conn->backend_pid());
    }
    return std::unique_ptr<StoreConnection>(std::move(conn));
  }
  // One writer at a time across every node and command, as SQLite's BEGIN IMMEDIATE gives the
  // embedded store: the code's read-then-write steps (counters, version checks, migrations)
  // assume it. A transaction-scoped advisory lock, released at COMMIT or ROLLBACK.
  std::string_view BeginWrite() const override { return begin_write_; }
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
  // Table names come from the project's own statements (PgConnection reads them from the SQL),
  // never from a request; a parameter all the same.
  Result<void> Announce(StoreConnection& writer, const std::vector<std::string>& tables) override {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ",") + t;
    RETURN_IF_ERROR(writer.Query(kAnnounce, {std::move(names)}));
    return {};
  }
  // The writer's server process: a notification it sent is this store's own, already told.
  int writer_pid() const { return writer_pid_.load(); }

 private:
  Result<void> Hold(PgConnection& conn) const {
    if (opener_ == Opener::kBeside) return {};
    const bool sole = opener_ == Opener::kSole;
    ASSIGN_OR_RETURN(auto held, conn.Query(fmt::format(
                                    "SELECT CASE WHEN {}({}) THEN 1 ELSE 0 END",
                                    sole ? "pg_try_advisory_lock" : "pg_try_advisory_lock_shared",
                                    kHoldDatabase)));
    if (held.empty() || held.front().Int(0) != 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  sole ? "a Strongroom node is serving this PostgreSQL database (or a command is "
                         "changing it): stop every node first"
                       : "a Strongroom command is changing this PostgreSQL database: serve once "
                         "it has finished");
    }
    if (sole) return {};
    ASSIGN_OR_RETURN(auto named, conn.Query(fmt::format("SELECT CASE WHEN pg_try_advisory_lock("
                                                        "{}, hashtext(?)) THEN 1 ELSE 0 END",
                                                        kHoldNode),
                                            {node_}));
    if (named.empty() || named.front().Int(0) != 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "another Strongroom node named '" + node_ +
                      "' serves this PostgreSQL database: give each node its own name ([audit] "
                      "node)");
    }
    return {};
  }

  const std::string conninfo_;
  const Opener opener_;
  const std::string node_;
  const std::string begin_write_ = fmt::format(
      "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({})", kWritersTurn);
  std::atomic<int> writer_pid_{0};
};

Result<std::unique_ptr<PgStore>> PgStore::Open(const PgOptions& options) {
  auto backend = std::make_unique<PgBackend>(options.conninfo, options.opener, options.node);
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
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Fail(ErrorCode::kInternal, "store: cannot make an eventfd");
  // A batch has a savepoint per write; past 64 in one transaction PostgreSQL stops caching them
  // for the snapshots of every concurrent reader, which then slow down.
  const int max_batch = std::min(options.max_batch, 64);
  PgBackend* const held = backend.get();
  std::unique_ptr<PgStore> store(new PgStore({options.reader_connections, max_batch},
                                             std::move(backend), held, std::move(writer),
                                             options.conninfo));
  store->wake_fd_ = wake;
  store->listener_ = std::thread([s = store.get()] { s->Listen(); });
  return store;
}

PgStore::PgStore(BatchingOptions options, std::unique_ptr<PgBackend> backend,
                 const PgBackend* backend_view, std::unique_ptr<StoreConnection> writer,
                 std::string conninfo)
    : BatchingStore(options, std::move(backend), std::move(writer)),
      conninfo_(std::move(conninfo)),
      backend_(backend_view) {
  SetSeesEveryCommit(false);  // until the listener listens
}

PgStore::~PgStore() {
  StopListening();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void PgStore::Close() {
  StopListening();
  BatchingStore::Close();
}

void PgStore::StopListening() {
  stopping_.store(true);
  if (!listener_.joinable()) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  listener_.join();
}

void PgStore::Listen() {
  // Waits for `fd` to be readable or for a stop, up to `timeout_ms` (-1: no limit); false once
  // stopping.
  auto wait = [this](int fd, int timeout_ms) {
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
    while (::poll(fds, fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno == EINTR) {
    }
    return !stopping_.load();
  };
  while (!stopping_.load()) {
    auto conn = PgConnection::Open(conninfo_, PgConnection::Mode::kReadOnly);
    if (conn && (*conn)->Control(kListen)) {
      SetSeesEveryCommit(true);
      while (wait((*conn)->socket(), -1)) {
        auto heard = (*conn)->TakeNotifications();
        if (!heard) break;
        for (const auto& n : *heard) {
          if (n.sender == backend_->writer_pid()) continue;
          ChangedElsewhere(SplitList(n.payload));
        }
      }
      SetSeesEveryCommit(false);
    }
    if (!stopping_.load()) wait(-1, 1000);
  }
}

}  // namespace strongroom::store
