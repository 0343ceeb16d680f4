#include "store/sqlite/sqlite_connection.h"

#include <fmt/format.h>

namespace strongroom::store {
namespace {

// Pragmas for every connection. synchronous=FULL makes each commit durable in WAL mode;
// secure_delete overwrites deleted content so that purged data is really gone from the file.
constexpr const char* kPragmas =
    "PRAGMA foreign_keys = ON;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA secure_delete = ON;"
    "PRAGMA trusted_schema = OFF;"
    "PRAGMA cell_size_check = ON;";

ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorCode::kAlreadyExists;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::filesystem::path& path,
                                                                 Mode mode) {
  // No global allocation statistics: they put one process-wide mutex on every SQLite allocation,
  // which readers on several threads then queue for. Must precede SQLite's initialisation.
  static const int kConfigured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kConfigured;
  sqlite3* db = nullptr;
  const int flags = (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Fail(CodeFor(rc), fmt::format("cannot open store {}: {}", path.string(), msg));
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  if (mode == Mode::kReadWrite) RETURN_IF_ERROR(conn->ExecRaw("PRAGMA journal_mode = WAL;"));
  RETURN_IF_ERROR(conn->ExecRaw(kPragmas));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

std::unexpected<Error> SqliteConnection::SqliteError(std::string_view what) const {
  const int rc = sqlite3_extended_errcode(db_);
  return Fail(CodeFor(rc), fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
}

Result<void> SqliteConnection::ExecRaw(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Fail(CodeFor(sqlite3_extended_errcode(db_)), fmt::format("store: {}", msg));
  }
  return {};
}

Result<void> SqliteConnection::Control(std::string_view sql) {
  RETURN_IF_ERROR(Exec(sql));
  return {};
}

Result<void> SqliteConnection::CopyTo(const std::filesystem::path& dest, int pages_per_step,
                                      const std::function<void(int64_t, int64_t)>& progress) {
  sqlite3* out = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  if (sqlite3_open_v2(dest.c_str(), &out, flags, nullptr) != SQLITE_OK) {
    const std::string msg = out ? sqlite3_errmsg(out) : "out of memory";
    sqlite3_close(out);
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot create {}: {}", dest.string(), msg));
  }
  sqlite3_backup* copy = sqlite3_backup_init(out, "main", db_, "main");
  if (copy == nullptr) {
    const std::string msg = sqlite3_errmsg(out);
    sqlite3_close(out);
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot copy the store: {}", msg));
  }
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(copy, pages_per_step);
    if (progress) {
      const int64_t total = sqlite3_backup_pagecount(copy);
      progress(total - sqlite3_backup_remaining(copy), total);
    }
  } while (rc == SQLITE_OK);
  sqlite3_backup_finish(copy);
  const int finished = sqlite3_errcode(out);
  sqlite3_close(out);
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return Fail(CodeFor(rc != SQLITE_DONE ? rc : finished),
                fmt::format("cannot copy the store: {}",
                            sqlite3_errstr(rc != SQLITE_DONE ? rc : finished)));
  }
  return {};
}

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql, const Params& params) {
  auto it = statements_.find(sql);
  sqlite3_stmt* stmt = nullptr;
  if (it != statements_.end()) {
    stmt = it->second;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  } else {
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, &tail) != SQLITE_OK) {
      return SqliteError("store: cannot prepare statement");
    }
    if (tail != nullptr && *tail != '\0' &&
        std::string_view(tail).find_first_not_of(" \n\t;") != std::string_view::npos) {
      sqlite3_finalize(stmt);
      return Fail(ErrorCode::kInternal, "store: one statement at a time");
    }
    statements_.emplace(std::string(sql), stmt);
  }
  if (static_cast<size_t>(sqlite3_bind_parameter_count(stmt)) != params.size()) {
    return Fail(ErrorCode::kInternal, "store: parameter count does not match the statement");
  }
  for (const auto& v : params) {
    // As PostgreSQL's text, which cannot hold one: every backend refuses the same values.
    const auto* text = std::get_if<std::string>(&v);
    if (text != nullptr && text->find('\0') != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "store: a text value holds a NUL character");
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i + 1);
    int rc = SQLITE_OK;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            rc = sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            rc = sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            rc = sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            rc = sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
          } else {
            rc = sqlite3_bind_blob64(stmt, idx, v.data(), v.size(), SQLITE_TRANSIENT);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) return SqliteError("store: cannot bind parameter");
  }
  return stmt;
}

Result<int64_t> SqliteConnection::Exec(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return SqliteError("store: statement failed");
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

Result<std::vector<Row>> SqliteConnection::Query(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
  std::vector<Row> rows;
  int rc;
  const int ncol = sqlite3_column_count(stmt);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<Value> cols;
    cols.reserve(static_cast<size_t>(ncol));
    for (int c = 0; c < ncol; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          cols.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          cols.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          cols.emplace_back(std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        }
        case SQLITE_BLOB: {
          const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, c));
          cols.emplace_back(Bytes(p, p + sqlite3_column_bytes(stmt, c)));
          break;
        }
        default:
          cols.emplace_back(std::monostate{});
      }
    }
    rows.emplace_back(std::move(cols));
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return SqliteError("store: query failed");
  return rows;
}

void SqliteConnection::OnRowChange(std::function<void(std::string_view table)> changed) {
  on_row_change_ = std::move(changed);
  if (!on_row_change_) {
    sqlite3_update_hook(db_, nullptr, nullptr);
    return;
  }
  sqlite3_update_hook(
      db_,
      [](void* self, int, const char*, const char* table, sqlite3_int64) {
        static_cast<SqliteConnection*>(self)->on_row_change_(table);
      },
      this);
}

}  // namespace strongroom::store
