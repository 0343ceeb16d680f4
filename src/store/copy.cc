#include "store/copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace strongroom::store {
namespace {

constexpr int kPage = 500;

struct Table {
  std::string name;
  std::vector<std::string> columns;  // as the source declares them
  std::vector<size_t> key;           // the primary key's columns (indexes into columns), in order
  std::vector<std::string> parents;  // the tables its foreign keys refer to
};

bool PlainIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Joined(const std::vector<std::string>& parts, std::string_view separator = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

std::unexpected<Error> Unplain(std::string_view what) {
  return Fail(ErrorCode::kFailedPrecondition,
              fmt::format("the source store has a {} whose name is not a plain identifier", what));
}

// Every table of the source with its columns, key and parents, parents first.
Result<std::vector<Table>> ReadSchema(Store& from) {
  std::vector<Table> tables;
  RETURN_IF_ERROR(from.Read([&](Transaction& tx) -> Result<void> {
    if (tx.dialect() != Dialect::kSqlite) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "the store to copy from must be the embedded (SQLite) store");
    }
    ASSIGN_OR_RETURN(auto names, tx.Query("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite%' ORDER BY name"));
    for (const auto& n : names) {
      Table t{n.Text(0), {}, {}, {}};
      if (!PlainIdentifier(t.name)) return Unplain("table");
      ASSIGN_OR_RETURN(auto columns, tx.Query("SELECT name, pk FROM pragma_table_info(?) "
                                              "ORDER BY cid",
                                              {t.name}));
      std::vector<std::pair<int64_t, size_t>> key;
      for (const auto& c : columns) {
        if (!PlainIdentifier(c.Text(0))) return Unplain("column");
        if (c.Int(1) > 0) key.emplace_back(c.Int(1), t.columns.size());
        t.columns.push_back(c.Text(0));
      }
      if (key.empty()) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("table {} has no primary key to copy it in order by", t.name));
      }
      std::sort(key.begin(), key.end());
      for (const auto& k : key) t.key.push_back(k.second);
      ASSIGN_OR_RETURN(auto parents, tx.Query("SELECT DISTINCT \"table\" FROM "
                                              "pragma_foreign_key_list(?)",
                                              {t.name}));
      for (const auto& p : parents) {
        if (p.Text(0) != t.name) t.parents.push_back(p.Text(0));
      }
      tables.push_back(std::move(t));
    }
    return {};
  }));
  std::vector<Table> ordered;
  while (!tables.empty()) {
    auto ready = std::find_if(tables.begin(), tables.end(), [&](const Table& t) {
      return std::all_of(t.parents.begin(), t.parents.end(), [&](const std::string& p) {
        return std::any_of(ordered.begin(), ordered.end(),
                           [&](const Table& o) { return o.name == p; });
      });
    });
    if (ready == tables.end()) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "the source store's foreign keys refer in a circle, or to a missing table");
    }
    ordered.push_back(std::move(*ready));
    tables.erase(ready);
  }
  return ordered;
}

// The statement that reads a page of `t` in key order: the first page, or the one after a key.
std::string PageSql(const Table& t, bool after) {
  std::vector<std::string> key;
  std::vector<std::string> marks;
  for (size_t k : t.key) {
    key.push_back(t.columns[k]);
    marks.emplace_back("?");
  }
  return fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT {}", Joined(t.columns), t.name,
                     after ? fmt::format(" WHERE ({}) > ({})", Joined(key), Joined(marks)) : "",
                     Joined(key), kPage);
}

// Reads `t` from `store` a page at a time, in key order, handing each page to `take`.
Result<void> EachPage(Store& store, const Table& t,
                      const std::function<Result<void>(const std::vector<Row>&)>& take) {
  const std::string first = PageSql(t, false);
  const std::string next = PageSql(t, true);
  Params after;
  for (;;) {
    std::vector<Row> page;
    RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(page, tx.Query(after.empty() ? first : next, after));
      return {};
    }));
    if (page.empty()) return {};
    RETURN_IF_ERROR(take(page));
    if (page.size() < static_cast<size_t>(kPage)) return {};
    after.clear();
    for (size_t k : t.key) after.push_back(page.back()[k]);
  }
}

// Each value with its type and length, so that no two different rows hash alike.
void Digest(crypto::Sha256Stream& hash, const Row& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    const Value& v = row[i];
    std::string text;
    char type = 'n';
    if (const auto* x = std::get_if<int64_t>(&v)) {
      type = 'i';
      text = std::to_string(*x);
    } else if (const auto* d = std::get_if<double>(&v)) {
      type = 'r';
      text = fmt::format("{}", *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      type = 't';
      text = *s;
    } else if (const auto* b = std::get_if<Bytes>(&v); b != nullptr && !b->empty()) {
      // Empty bytes are NULL in both stores (they bind them so).
      type = 'b';
      text.assign(b->begin(), b->end());
    }
    const std::string head = fmt::format("{}{}:", type, text.size());
    hash.Update(AsBytes(head));
    hash.Update(AsBytes(text));
  }
}

Result<CopiedTable> Count(Store& store, const Table& t) {
  crypto::Sha256Stream hash;
  CopiedTable out{t.name, 0, ""};
  RETURN_IF_ERROR(EachPage(store, t, [&](const std::vector<Row>& page) -> Result<void> {
    for (const auto& row : page) Digest(hash, row);
    out.rows += static_cast<int64_t>(page.size());
    return {};
  }));
  // Counted apart from the paging too, so that rows the paging could miss on both sides alike
  // are not missed by the check.
  int64_t counted = 0;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query(fmt::format("SELECT COUNT(*) FROM {}", t.name)));
    counted = rows.front().Int(0);
    return {};
  }));
  if (counted != out.rows) {
    return Fail(ErrorCode::kDataLoss, fmt::format("table {}: {} rows counted, {} read in key order",
                                                  t.name, counted, out.rows));
  }
  const auto digest = hash.Final();
  out.digest = HexEncode(digest);
  return out;
}

// The target has every table and column of the source, and nothing in them but its own schema
// version.
Result<void> CheckEmptyTarget(Store& to, const std::vector<Table>& tables) {
  return to.Read([&](Transaction& tx) -> Result<void> {
    for (const auto& t : tables) {
      auto shape =
          tx.Query(fmt::format("SELECT {} FROM {} WHERE 1 = 0", Joined(t.columns), t.name));
      if (!shape) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("the target store has no table {} with the source's columns: "
                                "are both at this build's schema?",
                                t.name));
      }
      ASSIGN_OR_RETURN(
          auto rows,
          tx.Query(t.name == "meta" ? std::string("SELECT COUNT(*) FROM meta WHERE key <> "
                                                  "'schema_version'")
                                    : fmt::format("SELECT COUNT(*) FROM {}", t.name)));
      if (rows.front().Int(0) != 0) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("the target store is not empty (table {}): copy only into a new "
                                "database",
                                t.name));
      }
    }
    return {};
  });
}

}  // namespace

Result<std::vector<CopiedTable>> CopyStore(
    Store& from, Store& to,
    const std::function<void(std::string_view table, int64_t rows)>& progress) {
  ASSIGN_OR_RETURN(auto tables, ReadSchema(from));
  RETURN_IF_ERROR(CheckEmptyTarget(to, tables));
  for (const auto& t : tables) {
    std::vector<std::string> marks(t.columns.size(), "?");
    const std::string insert =
        fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, Joined(t.columns), Joined(marks));
    int64_t copied = 0;
    RETURN_IF_ERROR(EachPage(from, t, [&](const std::vector<Row>& page) -> Result<void> {
      RETURN_IF_ERROR(to.Write([&](Transaction& tx) -> Result<void> {
        for (const auto& row : page) {
          // The target's schema version is its own (the same: both are at this build's).
          if (t.name == "meta" && row.Text(0) == "schema_version") continue;
          Params values;
          values.reserve(row.size());
          for (size_t i = 0; i < row.size(); ++i) values.push_back(row[i]);
          RETURN_IF_ERROR(tx.Exec(insert, values));
        }
        return {};
      }));
      copied += static_cast<int64_t>(page.size());
      progress(t.name, copied);
      return {};
    }));
  }
  std::vector<CopiedTable> report;
  for (const auto& t : tables) {
    ASSIGN_OR_RETURN(auto source, Count(from, t));
    ASSIGN_OR_RETURN(auto target, Count(to, t));
    if (source.rows != target.rows || source.digest != target.digest) {
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("table {} differs after the copy ({} rows in the source, {} in the "
                              "target): do not serve the copy",
                              t.name, source.rows, target.rows));
    }
    report.push_back(std::move(source));
  }
  return report;
}

}  // namespace strongroom::store
