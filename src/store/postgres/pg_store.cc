#include "store/postgres/pg_store.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

#include "common/text.h"
#include "crypto/random.h"
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
      : conninfo_(std::move(conninfo)),
        opener_(opener),
        node_(std::move(node)),
        store_id_(crypto::DefaultRandom().RandomHex(8)) {}
  Result<std::unique_ptr<StoreConnection>> Connect(bool writer) override {
    ASSIGN_OR_RETURN(auto conn,
                     PgConnection::Open(conninfo_, writer ? PgConnection::Mode::kReadWrite
                                                          : PgConnection::Mode::kReadOnly));
    // A command holds the database alone for as long as its writer lives (taken again by a
    // writer that replaces a lost one); a serving node's hold is on its listening connection.
    if (writer && opener_ == Opener::kSole) RETURN_IF_ERROR(HoldAlone(*conn));
    return std::unique_ptr<StoreConnection>(std::move(conn));
  }
  // One writer at a time across every node and command, as SQLite's BEGIN IMMEDIATE gives the
  // embedded store: the code's read-then-write steps (counters, version checks, migrations)
  // assume it. A transaction-scoped advisory lock, released at COMMIT or ROLLBACK.
  std::string_view BeginWrite() const override { return begin_write_; }
  std::string_view BeginRead() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  // A serving node writes only while it holds its place: without it a command could be changing
  // the database alone (a master key rotation, say).
  Result<void> ReadyToWrite() const override {
    if (opener_ != Opener::kNode || holding_.load()) return {};
    return Fail(ErrorCode::kUnavailable,
                "store: this node does not hold its place in the PostgreSQL database just now");
  }
  // PostgreSQL makes no promise to overwrite what it frees: VACUUM makes the space of deleted
  // rows reusable, but their bytes stay in the data files until reused, and in the server's
  // write-ahead log and backups until those rotate (docs/operations.md says so).
  Result<void> Compact() override {
    ASSIGN_OR_RETURN(auto conn, PgConnection::Open(conninfo_, PgConnection::Mode::kReadWrite));
    return conn->Control("VACUUM records, record_descriptors");
  }
  // "<store id> <table>,<table>...". Table names come from the project's own statements
  // (PgConnection reads them from the SQL), never from a request; a parameter all the same.
  Result<void> Announce(StoreConnection& writer, const std::vector<std::string>& tables) override {
    std::string payload = store_id_ + " ";
    for (size_t i = 0; i < tables.size(); ++i) payload += (i == 0 ? "" : ",") + tables[i];
    RETURN_IF_ERROR(writer.Query(kAnnounce, {std::move(payload)}));
    return {};
  }
  // The tables another store's batch changed, from its announcement; nullopt for this store's
  // own (its watchers were told before its writers).
  std::optional<std::vector<std::string>> Heard(std::string_view payload) const {
    const size_t space = payload.find(' ');
    if (space == std::string_view::npos) return SplitList(payload);
    if (payload.substr(0, space) == store_id_) return std::nullopt;
    return SplitList(payload.substr(space + 1));
  }

  // A serving node's place, on the connection that listens (see Listen): the database shared
  // with the other nodes, and the node's name alone. A previous connection of this store's that
  // the server has not yet seen go (`stale_pid`) is ended first if it still holds the name.
  Result<void> HoldPlace(PgConnection& conn, int stale_pid) const {
    ASSIGN_OR_RETURN(auto held,
                     conn.Query(fmt::format("SELECT CASE WHEN pg_try_advisory_lock_shared({}) THEN "
                                            "1 ELSE 0 END",
                                            kHoldDatabase)));
    if (held.empty() || held.front().Int(0) != 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "a Strongroom command is changing this PostgreSQL database: serve once it has "
                  "finished");
    }
    const auto name = fmt::format(
        "SELECT CASE WHEN pg_try_advisory_lock({}, hashtext(?)) THEN 1 ELSE 0 END", kHoldNode);
    ASSIGN_OR_RETURN(auto named, conn.Query(name, {node_}));
    if ((named.empty() || named.front().Int(0) != 1) && stale_pid != 0) {
      RETURN_IF_ERROR(
          conn.Query(fmt::format("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE pid = ? AND "
                                 "locktype = 'advisory' AND classid = {} AND objsubid = 2 AND "
                                 "objid = CAST(CAST(hashtext(?) AS BIGINT) & 4294967295 AS OID)",
                                 kHoldNode),
                     {static_cast<int64_t>(stale_pid), node_}));
      // The server lets go of what it held once that process has ended.
      for (int i = 0; i < 50 && (named.empty() || named.front().Int(0) != 1); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ASSIGN_OR_RETURN(named, conn.Query(name, {node_}));
      }
    }
    if (named.empty() || named.front().Int(0) != 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "another Strongroom node named '" + node_ +
                      "' serves this PostgreSQL database: give each node its own name ([audit] "
                      "node)");
    }
    return {};
  }
  void SetHolding(bool holding) { holding_.store(holding); }
  Opener opener() const { return opener_; }
  const std::string& conninfo() const { return conninfo_; }

 private:
  Result<void> HoldAlone(PgConnection& conn) const {
    ASSIGN_OR_RETURN(auto held, conn.Query(fmt::format(
                                    "SELECT CASE WHEN pg_try_advisory_lock({}) THEN 1 ELSE 0 END",
                                    kHoldDatabase)));
    if (held.empty() || held.front().Int(0) != 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "a Strongroom node is serving this PostgreSQL database (or a command is "
                  "changing it): stop every node first");
    }
    return {};
  }

  const std::string conninfo_;
  const Opener opener_;
  const std::string node_;
  const std::string store_id_;  // in this store's announcements, so that it knows its own
  const std::string begin_write_ = fmt::format(
      "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({})", kWritersTurn);
  std::atomic<bool> holding_{false};
};

namespace {

// The listening connection: a serving node's place held on it, then LISTEN.
Result<std::unique_ptr<PgConnection>> ListeningConnection(const PgBackend& backend, int stale_pid) {
  ASSIGN_OR_RETURN(auto conn,
                   PgConnection::Open(backend.conninfo(), PgConnection::Mode::kReadWrite));
  if (backend.opener() == Opener::kNode) RETURN_IF_ERROR(backend.HoldPlace(*conn, stale_pid));
  RETURN_IF_ERROR(conn->Control(kListen));
  return conn;
}

}  // namespace

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
  // A serving node takes its place before it serves: refused here, not later.
  ASSIGN_OR_RETURN(auto listening, ListeningConnection(*backend, 0));
  backend->SetHolding(true);
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Fail(ErrorCode::kInternal, "store: cannot make an eventfd");
  // A batch has a savepoint per write; past 64 in one transaction PostgreSQL stops caching them
  // for the snapshots of every concurrent reader, which then slow down.
  const int max_batch = std::min(options.max_batch, 64);
  PgBackend* const view = backend.get();
  std::unique_ptr<PgStore> store(new PgStore({options.reader_connections, max_batch},
                                             std::move(backend), view, std::move(writer)));
  store->wake_fd_ = wake;
  store->listener_ = std::thread(
      [s = store.get(), conn = std::move(listening)]() mutable { s->Listen(std::move(conn)); });
  return store;
}

PgStore::PgStore(BatchingOptions options, std::unique_ptr<PgBackend> backend,
                 PgBackend* backend_view, std::unique_ptr<StoreConnection> writer)
    : BatchingStore(options, std::move(backend), std::move(writer)), backend_(backend_view) {
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

void PgStore::Listen(std::unique_ptr<PgConnection> conn) {
  // Waits up to `timeout_ms` for `fd` (-1: none) to be readable or for a stop. Whether `fd` is
  // readable.
  auto wait = [this](int fd, int timeout_ms) {
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
    int n = 0;
    while ((n = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    return n > 0 && fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  };
  int stale_pid = 0;
  while (!stopping_.load()) {
    if (!conn) {
      auto made = ListeningConnection(*backend_, stale_pid);
      if (!made) {
        wait(-1, 1000);
        continue;
      }
      conn = std::move(*made);
      backend_->SetHolding(true);
    }
    stale_pid = conn->backend_pid();
    SetSeesEveryCommit(true);
    // What libpq holds already is told first: notifications it read while the connection was
    // made, or while a heartbeat waited for its answer, leave nothing on the socket to wake for.
    auto tell = [&]() -> bool {
      auto heard = conn->TakeNotifications();
      if (!heard) return false;
      for (const auto& n : *heard) {
        if (auto tables = backend_->Heard(n.payload)) ChangedElsewhere(*tables);
      }
      return true;
    };
    bool alive = tell();
    while (alive && !stopping_.load()) {
      if (wait(conn->socket(), kHeartbeat.count())) {
        alive = tell();
      } else if (!stopping_.load()) {
        // Silent for a heartbeat: an answer within another, or the connection is gone.
        alive = conn->Ping(kHeartbeat) && tell();
      }
    }
    // Without its place, and blind, until a new connection has both.
    backend_->SetHolding(false);
    SetSeesEveryCommit(false);
    conn.reset();
  }
}

}  // namespace strongroom::store
