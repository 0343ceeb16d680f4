#include "store/meta.h"

#include <fmt/format.h>

namespace strongroom::store {

Result<bool> TableExists(Transaction& tx, std::string_view name) {
  const char* sql = tx.dialect() == Dialect::kPostgres
                        ? "SELECT 1 FROM information_schema.tables WHERE table_schema = "
                          "current_schema() AND table_name = ?"
                        : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(name)}));
  return !rows.empty();
}

Result<std::optional<std::string>> GetMeta(Transaction& tx, std::string_view key) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT value FROM meta WHERE key = ?", {std::string(key)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.front().Text(0));
}

Result<std::vector<std::pair<std::string, std::string>>> MetaWithPrefix(Transaction& tx,
                                                                        std::string_view prefix) {
  // substr(key, 1, n) = prefix: no LIKE, whose % and _ a prefix could hold.
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? "
                                       "ORDER BY key",
                                       {static_cast<int64_t>(prefix.size()), std::string(prefix)}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows) out.emplace_back(row.Text(0), row.Text(1));
  return out;
}

Result<void> SetMeta(Transaction& tx, std::string_view key, std::string_view value) {
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
              "excluded.value",
              {std::string(key), std::string(value)}));
  return {};
}

Result<void> InitializeInstance(Store& store, Environment environment,
                                std::string_view instance_id) {
  return store.Write([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto existing, GetMeta(tx, "environment"));
    if (existing) return Fail(ErrorCode::kAlreadyExists, "the store was initialised before");
    RETURN_IF_ERROR(SetMeta(tx, "environment", EnvironmentName(environment)));
    return SetMeta(tx, "instance_id", instance_id);
  });
}

Result<void> CheckEnvironment(Store& store, Environment expected) {
  return store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto env, GetMeta(tx, "environment"));
    if (!env) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "the store has not been initialised: run 'strongroom init'");
    }
    if (*env != EnvironmentName(expected)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("the store belongs to a {} instance but the configuration says {}: "
                              "stores never cross environments",
                              *env, EnvironmentName(expected)));
    }
    return {};
  });
}

}  // namespace strongroom::store
