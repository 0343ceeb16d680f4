#pragma once
// One PostgreSQL connection (libpq) with a cache of prepared statements. Implements Transaction
// for code that runs inside a transaction the owner has begun.
//
// The project's SQL is written once for both backends: `?` placeholders (and SQLite's `?NNN`),
// translated here to `$n` outside quoted text and comments. Values only ever travel as
// parameters: integers and reals as their decimal text, text as text, bytes in binary (empty bytes
// as NULL, as SQLite binds them). Results are
// read in text format and decoded by column type: integers and booleans as int64, floating and
// numeric columns as double (a numeric with no fraction as int64), bytea as bytes, anything else
// as text. Text cannot hold NUL in PostgreSQL: a text value with one is refused
// (kInvalidArgument), never cut short.
//
// Errors carry PostgreSQL's primary message only, never its DETAIL, which can quote the values a
// constraint refused; and for a value its column's type refused (SQLSTATE class 22), whose
// message quotes the value, not even that.
//
// Thread-safety: none. Each connection is used by one thread at a time.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.h"
#include "store/batching_store.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace strongroom::store {

// `sql` as PostgreSQL takes it, and how many values it takes: `?` (or `?NNN`) placeholders as
// `$n` (kInternal for a statement that mixes the two forms), and in CREATE TABLE and ALTER TABLE
// SQLite's column types as PostgreSQL's (BLOB as BYTEA, REAL as DOUBLE PRECISION, INTEGER as
// BIGINT: SQLite's integers are 64-bit). Quoted text, quoted identifiers and comments are left as
// they are.
struct PgStatement {
  std::string sql;
  int params = 0;
};
Result<PgStatement> TranslateSql(std::string_view sql);

// The table an INSERT, UPDATE or DELETE statement changes; "" for any other statement.
std::string ChangedTable(std::string_view sql);

// What a configured connection string may say (the store refuses the rest before connecting):
// no `password` (the configuration file is no place for a secret: libpq's `passfile`, a client
// certificate or peer authentication on a Unix socket instead), and a server reached over TCP
// only with `sslmode=verify-full`, which checks its certificate and its name; no `service` (a
// service file could say otherwise out of this check's sight). Errors name the keyword, never a
// value.
Result<void> CheckConninfo(const std::string& conninfo);

class PgConnection final : public StoreConnection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // `conninfo` is libpq's (keywords or a postgresql:// URI). Unless it says otherwise, a connection
  // gives up after 5 s and a dead peer is noticed within 30 s (TCP keepalives and
  // tcp_user_timeout), so that the store's single writer never hangs on a lost server. Sessions
  // are set to UTF-8, synchronous_commit on, a lock wait of at most 5 s (as SQLite's busy
  // timeout), and for kReadOnly default_transaction_read_only. The server ends a session left
  // idle inside a transaction for 60 s, and notices a client gone from the network within about
  // 25 s (its own keepalives over TCP), so that a node lost mid-batch does not hold the writers'
  // turn, and every other node's writes, for longer.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo, Mode mode);
  ~PgConnection() override;

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  Result<int64_t> Exec(std::string_view sql, const Params& params = {}) override;
  Result<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) override;

  // Runs through the simple protocol: several statements may be given, separated by `;`. A COMMIT
  // that the server answers with anything but COMMIT (a transaction it had already aborted) is a
  // failure.
  Result<void> Control(std::string_view sql) override;
  // Reports the table of each INSERT, UPDATE or DELETE that changed a row, read from the
  // statement: the schema's one cascade (record_descriptors) is not reported.
  void OnRowChange(std::function<void(std::string_view table)> changed) override;
  bool Usable() const override;
  // The SQLSTATE of the last failure ("" if none): 40001 and 40P01 say "run it again".
  const std::string& last_state() const { return last_state_; }
  // The server process serving this connection (PostgreSQL's pg_backend_pid()).
  int backend_pid() const;

  // After LISTEN: the socket to wait on for notifications, and those that arrived since the last
  // call (what the server sent is read first); kUnavailable once the connection is lost.
  struct Notification {
    int sender = 0;  // the backend_pid of the connection whose transaction sent it
    std::string payload;
  };
  int socket() const;
  Result<std::vector<Notification>> TakeNotifications();
  // Asks the server for an answer and waits for it at most `deadline` (a heartbeat): kUnavailable
  // if none came, after which the connection is not to be used again. Notifications that arrive
  // meanwhile stay for TakeNotifications.
  Result<void> Ping(std::chrono::milliseconds deadline);

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  struct Prepared {
    std::string name;
    int params = 0;
    std::string table;  // what it changes, for OnRowChange
  };
  Result<const Prepared*> Prepare(std::string_view sql, const Params& params);
  // Runs a prepared statement; the result is handed to `take` on success.
  Result<void> Run(const Prepared& p, const Params& params,
                   const std::function<Result<void>(PGresult*)>& take);
  std::unexpected<Error> PgError(std::string_view what, PGresult* res);

  PGconn* conn_;
  std::function<void(std::string_view)> on_row_change_;
  std::string last_state_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, Prepared, Hash, std::equal_to<>> statements_;
};

}  // namespace strongroom::store
