#include "store/postgres/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

#include "common/text.h"

namespace strongroom::store {
namespace {

// PostgreSQL's type OIDs (catalog/pg_type.h, stable across versions) for the columns decoded as
// something other than text.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26;
constexpr Oid kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

ErrorCode CodeFor(std::string_view state, bool connection_lost) {
  // The server gives every error of its own a SQLSTATE; one without is libpq's (a connection
  // that broke before libpq marked it so: "server closed the connection unexpectedly").
  if (connection_lost || state.empty()) return ErrorCode::kUnavailable;
  if (state.starts_with("23")) return ErrorCode::kAlreadyExists;    // integrity constraints
  if (state.starts_with("22")) return ErrorCode::kInvalidArgument;  // data exceptions
  if (state == "40001" || state == "40P01") return ErrorCode::kUnavailable;  // run it again
  if (state == "55P03") return ErrorCode::kUnavailable;  // a lock not granted within lock_timeout
  // Connection, resources, operator intervention (a server shutting down), system errors.
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57") ||
      state.starts_with("58")) {
    return ErrorCode::kUnavailable;
  }
  if (state == "XX001" || state == "XX002") return ErrorCode::kDataLoss;  // corrupted data, index
  return ErrorCode::kInternal;
}

bool Identifier(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '"';
}

// The first `n` words of `sql`, lower-cased (fixed statement text: identifiers and keywords).
std::vector<std::string> FirstWords(std::string_view sql, size_t n) {
  std::vector<std::string> words;
  for (size_t i = 0; i < sql.size() && words.size() < n;) {
    if (!Identifier(sql[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < sql.size() && Identifier(sql[end])) ++end;
    words.push_back(AsciiLower(sql.substr(i, end - i)));
    i = end;
  }
  return words;
}

Value Decode(Oid type, const char* p, size_t n) {
  const std::string_view text(p, n);
  switch (type) {
    case kBool:
      return int64_t{text == "t"};
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid: {
      int64_t v = 0;
      std::from_chars(p, p + n, v);
      return v;
    }
    case kNumeric:
      if (text.find_first_of(".eEN") == std::string_view::npos) {
        int64_t v = 0;
        if (auto [end, ec] = std::from_chars(p, p + n, v); ec == std::errc() && end == p + n) {
          return v;
        }
      }
      [[fallthrough]];
    case kFloat4:
    case kFloat8:
      return std::strtod(std::string(text).c_str(), nullptr);
    case kBytea:
      // bytea_output = hex (set at connect): "\x" and two hex digits a byte.
      if (text.starts_with("\\x")) {
        if (auto bytes = HexDecode(text.substr(2))) return std::move(*bytes);
      }
      return Bytes(text.begin(), text.end());
    default:
      return std::string(text);
  }
}

// The settings `conninfo` gives, keyword and value, as libpq reads them. A parse error is not
// quoted: it can repeat part of the string, password included.
Result<std::vector<std::pair<std::string, std::string>>> ParseConninfo(
    const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* given = PQconninfoParse(conninfo.c_str(), &parse_error);
  PQfreemem(parse_error);
  if (given == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "the PostgreSQL connection string is malformed");
  }
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto* o = given; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) settings.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(given);
  return settings;
}

}  // namespace

Result<PgStatement> TranslateSql(std::string_view sql) {
  PgStatement out;
  out.sql.reserve(sql.size() + 16);
  bool numbered = false;
  std::vector<bool> used;  // which ?NNN appear
  int plain = 0;
  const auto first = FirstWords(sql, 2);
  const bool ddl =
      first.size() == 2 && (first[0] == "create" || first[0] == "alter") && first[1] == "table";
  for (size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    size_t end = i + 1;
    // What this reader would misread is refused, never translated wrongly: PostgreSQL's E''
    // strings (a backslash escapes a quote), dollar quotes and $n parameters (write ?), and
    // nested block comments. The project's statements use none of them.
    if ((c == 'E' || c == 'e') && next == '\'' && (i == 0 || !Identifier(sql[i - 1]))) {
      return Fail(ErrorCode::kInternal, "store: an E'' string is not taken");
    }
    if (c == '$') return Fail(ErrorCode::kInternal, "store: $ outside a string is not taken");
    if (ddl && Identifier(c) && c != '"' && (i == 0 || !Identifier(sql[i - 1]))) {
      while (end < sql.size() && Identifier(sql[end]) && sql[end] != '"') ++end;
      const auto word = AsciiLower(sql.substr(i, end - i));
      if (word == "blob") {
        out.sql += "BYTEA";
      } else if (word == "real") {
        out.sql += "DOUBLE PRECISION";
      } else if (word == "integer") {
        out.sql += "BIGINT";
      } else {
        out.sql.append(sql.substr(i, end - i));
      }
      i = end;
      continue;
    }
    if (c == '\'' || c == '"') {
      // To the closing quote; a doubled quote inside closes and reopens, which copies the same.
      end = sql.find(c, i + 1);
      end = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (c == '-' && next == '-') {
      end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
    } else if (c == '/' && next == '*') {
      end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      if (sql.substr(i + 2, end - i - 2).find("/*") != std::string_view::npos) {
        return Fail(ErrorCode::kInternal, "store: a nested block comment is not taken");
      }
    } else if (c == '?') {
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
      if (end > i + 1) {
        int n = 0;
        auto [p, ec] = std::from_chars(sql.data() + i + 1, sql.data() + end, n);
        if (ec != std::errc() || n < 1 || n > 65535) {
          return Fail(ErrorCode::kInternal, "store: a numbered placeholder out of range");
        }
        numbered = true;
        out.params = std::max(out.params, n);
        if (used.size() < static_cast<size_t>(n)) used.resize(static_cast<size_t>(n));
        used[static_cast<size_t>(n - 1)] = true;
        out.sql += '$';
        out.sql.append(sql.substr(i + 1, end - i - 1));
      } else {
        out.sql += fmt::format("${}", ++plain);
      }
      i = end;
      continue;
    }
    out.sql.append(sql.substr(i, end - i));
    i = end;
  }
  if (numbered && plain > 0) {
    return Fail(ErrorCode::kInternal, "store: a statement mixes ? and ?NNN placeholders");
  }
  if (!numbered) out.params = plain;
  // PostgreSQL cannot type a parameter no placeholder names, where SQLite binds it as NULL.
  if (std::find(used.begin(), used.end(), false) != used.end()) {
    return Fail(ErrorCode::kInternal, "store: numbered placeholders leave a gap");
  }
  return out;
}

std::string ChangedTable(std::string_view sql) {
  const auto words = FirstWords(sql, 3);
  if (words.size() >= 3 && words[0] == "insert" && words[1] == "into") return words[2];
  if (words.size() >= 2 && words[0] == "update") return words[1];
  if (words.size() >= 3 && words[0] == "delete" && words[1] == "from") return words[2];
  return "";
}

Result<void> CheckConninfo(const std::string& conninfo) {
  ASSIGN_OR_RETURN(const auto settings, ParseConninfo(conninfo));
  std::string host, hostaddr, sslmode;
  bool password = false;
  bool service = false;
  for (const auto& [k, v] : settings) {
    if (k == "password") password = true;
    if (k == "service") service = true;
    if (k == "host") host = v;
    if (k == "hostaddr") hostaddr = v;
    if (k == "sslmode") sslmode = v;
  }
  if (service) {
    // A service file could say anything this check is for, out of its sight.
    return Fail(ErrorCode::kInvalidArgument,
                "the PostgreSQL connection string names a service: give its settings instead");
  }
  if (password) {
    return Fail(ErrorCode::kInvalidArgument,
                "the PostgreSQL connection string holds a password: use a passfile, a client "
                "certificate or a Unix socket instead");
  }
  // Each of a list of hosts: a Unix socket is a directory (an absolute path) or an abstract
  // socket (@name); anything else is reached over TCP.
  bool tcp = !hostaddr.empty();
  for (size_t start = 0; start <= host.size() && !host.empty();) {
    const size_t comma = std::min(host.find(',', start), host.size());
    const std::string_view one = std::string_view(host).substr(start, comma - start);
    if (!one.starts_with('/') && !one.starts_with('@')) tcp = true;
    start = comma + 1;
  }
  if (tcp && sslmode != "verify-full") {
    return Fail(ErrorCode::kInvalidArgument,
                "a PostgreSQL server reached over TCP needs sslmode=verify-full (TLS, its "
                "certificate and its name checked)");
  }
  return {};
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo, Mode mode) {
  // The caller's settings, then the defaults it did not set.
  ASSIGN_OR_RETURN(auto settings, ParseConninfo(conninfo));
  for (const auto& [keyword, value] :
       std::initializer_list<std::pair<const char*, const char*>>{{"connect_timeout", "5"},
                                                                  {"keepalives", "1"},
                                                                  {"keepalives_idle", "10"},
                                                                  {"keepalives_interval", "5"},
                                                                  {"keepalives_count", "3"},
                                                                  {"tcp_user_timeout", "30000"}}) {
    if (std::none_of(settings.begin(), settings.end(),
                     [&](const auto& s) { return s.first == keyword; })) {
      settings.emplace_back(keyword, value);
    }
  }
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [k, v] : settings) {
    keywords.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keywords.data(), values.data(), 0);
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? PQerrorMessage(c) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return Fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL: " + msg);
  }
  // Notices (e.g. "already exists, skipping") are not for the service's output.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PgConnection> conn(new PgConnection(c));
  for (const char* setting :
       {"SET client_encoding = 'UTF8'", "SET standard_conforming_strings = on",
        "SET bytea_output = 'hex'", "SET synchronous_commit = on", "SET TIME ZONE 'UTC'",
        "SET lock_timeout = '5s'", "SET idle_in_transaction_session_timeout = '60s'",
        "SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
        "SET tcp_keepalives_count = 3"}) {
    RETURN_IF_ERROR(conn->Control(setting));
  }
  if (mode == Mode::kReadOnly) {
    RETURN_IF_ERROR(conn->Control("SET default_transaction_read_only = on"));
  }
  return conn;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Usable() const { return PQstatus(conn_) == CONNECTION_OK; }

int PgConnection::backend_pid() const { return PQbackendPID(conn_); }

Result<void> PgConnection::Ping(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  auto gone = [] { return Fail(ErrorCode::kUnavailable, "store: the database did not answer"); };
  // Waits for the socket to be ready for `events`, until the deadline; false if it was not.
  auto ready = [&](short events) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd{PQsocket(conn_), events, 0};
      const int n = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n == 0 || errno != EINTR) return false;
    }
  };
  if (PQsendQuery(conn_, "SELECT 1") == 0) return gone();
  for (int flushed; (flushed = PQflush(conn_)) != 0;) {
    if (flushed < 0 || !ready(POLLOUT)) return gone();
  }
  // Every result, then the end of them (PQgetResult would block while the server is busy).
  bool answered = false;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) return gone();
    if (PQisBusy(conn_) != 0) {
      if (!ready(POLLIN)) return gone();
      continue;
    }
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) break;
    answered = answered || PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
  }
  if (!answered) return gone();
  return {};
}

int PgConnection::socket() const { return PQsocket(conn_); }

Result<std::vector<PgConnection::Notification>> PgConnection::TakeNotifications() {
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    return Fail(ErrorCode::kUnavailable, "store: the connection to the database was lost");
  }
  std::vector<Notification> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.push_back({n->be_pid, n->extra != nullptr ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

std::unexpected<Error> PgConnection::PgError(std::string_view what, PGresult* res) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  last_state_ = state ? state : "";
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  std::string message = primary ? primary : lost ? "the connection to PostgreSQL was lost" : "";
  // A type's refusal quotes the value it refused.
  if (last_state_.starts_with("22"))
    message = "a value does not fit its column (" + last_state_ + ")";
  if (message.empty()) {
    message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
  }
  return Fail(CodeFor(last_state_, lost), fmt::format("{}: {}", what, message));
}

Result<void> PgConnection::Control(std::string_view sql) {
  ASSIGN_OR_RETURN(auto translated, TranslateSql(sql));
  if (translated.params != 0)
    return Fail(ErrorCode::kInternal, "store: a control statement takes no values");
  // Several statements may be given (a BEGIN and a lock): the result is the last one's, and the
  // first to fail stops the rest.
  ResultPtr res(PQexec(conn_, translated.sql.c_str()));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return PgError("store", res.get());
  // The server answers COMMIT in a transaction it already aborted with ROLLBACK, not an error.
  if (AsciiLower(translated.sql) == "commit" &&
      std::strcmp(PQcmdStatus(res.get()), "COMMIT") != 0) {
    return Fail(ErrorCode::kUnavailable, "store: the transaction was rolled back, not committed");
  }
  return {};
}

Result<const PgConnection::Prepared*> PgConnection::Prepare(std::string_view sql,
                                                            const Params& params) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    ASSIGN_OR_RETURN(auto translated, TranslateSql(sql));
    // Counted here, so that a mismatch never reaches the server (where a failed statement
    // would end the caller's transaction).
    if (static_cast<size_t>(translated.params) != params.size()) {
      return Fail(ErrorCode::kInternal, "store: parameter count does not match the statement");
    }
    Prepared p{fmt::format("s{}", statements_.size() + 1), translated.params, ChangedTable(sql)};
    ResultPtr res(PQprepare(conn_, p.name.c_str(), translated.sql.c_str(), 0, nullptr));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return PgError("store: cannot prepare statement", res.get());
    }
    it = statements_.emplace(std::string(sql), std::move(p)).first;
  }
  if (static_cast<size_t>(it->second.params) != params.size()) {
    return Fail(ErrorCode::kInternal, "store: parameter count does not match the statement");
  }
  return &it->second;
}

Result<void> PgConnection::Run(const Prepared& p, const Params& params,
                               const std::function<Result<void>(PGresult*)>& take) {
  const size_t n = params.size();
  std::vector<std::string> text(n);
  std::vector<const char*> values(n, nullptr);
  std::vector<int> lengths(n, 0);
  std::vector<int> formats(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto& v = params[i];
    if (const auto* s = std::get_if<std::string>(&v)) {
      if (std::memchr(s->data(), '\0', s->size()) != nullptr) {
        return Fail(ErrorCode::kInvalidArgument, "store: a text value holds a NUL character");
      }
      values[i] = s->c_str();
    } else if (const auto* b = std::get_if<Bytes>(&v)) {
      // Empty bytes are NULL, as the embedded store binds them (NULL stays values[i]).
      if (!b->empty()) {
        values[i] = reinterpret_cast<const char*>(b->data());
        lengths[i] = static_cast<int>(b->size());
        formats[i] = 1;
      }
    } else if (const auto* x = std::get_if<int64_t>(&v)) {
      text[i] = std::to_string(*x);
      values[i] = text[i].c_str();
    } else if (const auto* d = std::get_if<double>(&v)) {
      text[i] = fmt::format("{}", *d);
      values[i] = text[i].c_str();
    }
  }
  ResultPtr res(PQexecPrepared(conn_, p.name.c_str(), static_cast<int>(n), values.data(),
                               lengths.data(), formats.data(), 0));
  const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return PgError("store: statement failed", res.get());
  }
  last_state_.clear();
  return take(res.get());
}

Result<int64_t> PgConnection::Exec(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(const Prepared* p, Prepare(sql, params));
  int64_t changed = 0;
  RETURN_IF_ERROR(Run(*p, params, [&](PGresult* res) -> Result<void> {
    const char* tuples = PQcmdTuples(res);
    std::from_chars(tuples, tuples + std::strlen(tuples), changed);
    return {};
  }));
  if (changed > 0 && on_row_change_ && !p->table.empty()) on_row_change_(p->table);
  return changed;
}

Result<std::vector<Row>> PgConnection::Query(std::string_view sql, const Params& params) {
  ASSIGN_OR_RETURN(const Prepared* p, Prepare(sql, params));
  std::vector<Row> rows;
  RETURN_IF_ERROR(Run(*p, params, [&](PGresult* res) -> Result<void> {
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      std::vector<Value> cols;
      cols.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) {
          cols.emplace_back(std::monostate{});
        } else {
          cols.push_back(Decode(PQftype(res, c), PQgetvalue(res, r, c),
                                static_cast<size_t>(PQgetlength(res, r, c))));
        }
      }
      rows.emplace_back(std::move(cols));
    }
    return {};
  }));
  // A statement that changes rows and returns some (RETURNING) changed its table too.
  if (!rows.empty() && on_row_change_ && !p->table.empty()) on_row_change_(p->table);
  return rows;
}

void PgConnection::OnRowChange(std::function<void(std::string_view table)> changed) {
  on_row_change_ = std::move(changed);
}

}  // namespace strongroom::store
