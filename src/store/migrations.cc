#include "store/migrations.h"

#include <fmt/format.h>

#include <charconv>
#include <span>
#include <string>

#include "store/meta.h"

namespace strongroom::store {
namespace {

struct Migration {
  int version;
  const char* description;
  std::vector<const char*> statements;
};

// The `meta` table itself is created by each backend when it opens a store.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "organisation keys, wrapped by the master key", {R"sql(
CREATE TABLE org_keys (
  org_id        TEXT PRIMARY KEY,
  master_key_id TEXT NOT NULL,
  wrapped_key   BLOB NOT NULL,
  created_at    TEXT NOT NULL
))sql"}},
      {2,
       "the hash-chained audit log and its signed checkpoints",
       {R"sql(
CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY,
  time       TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  action     TEXT NOT NULL,
  target_id  TEXT NOT NULL,
  canonical  TEXT NOT NULL,
  hash       BLOB NOT NULL
))sql",
        "CREATE INDEX audit_events_actor ON audit_events (actor_id, seq)",
        "CREATE INDEX audit_events_action ON audit_events (action, seq)",
        "CREATE INDEX audit_events_target ON audit_events (target_id, seq)",
        "CREATE INDEX audit_events_time ON audit_events (time, seq)",
        R"sql(
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  head_hash  BLOB NOT NULL,
  time       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  signature  BLOB NOT NULL
))sql"}},
  };
  return kMigrations;
}

Result<int> ReadVersion(Transaction& tx) {
  ASSIGN_OR_RETURN(auto v, GetMeta(tx, "schema_version"));
  if (!v) return 0;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0) {
    return Fail(ErrorCode::kDataLoss, "the store's schema version is unreadable");
  }
  return n;
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> SchemaVersion(Store& store) {
  int version = 0;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(version, ReadVersion(tx));
    return {};
  }));
  return version;
}

Result<void> Migrate(Store& store) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(store));
  if (current > LatestSchemaVersion()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the store has schema version {}, newer than this build knows ({}): "
                            "run the newer Strongroom or restore a backup",
                            current, LatestSchemaVersion()));
  }
  for (const auto& m : Migrations()) {
    if (m.version <= current) continue;
    RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> Result<void> {
      // Re-check inside the transaction: another node may have migrated meanwhile.
      ASSIGN_OR_RETURN(int now, ReadVersion(tx));
      if (now >= m.version) return {};
      for (const char* sql : m.statements) RETURN_IF_ERROR(tx.Exec(sql));
      return SetMeta(tx, "schema_version", std::to_string(m.version));
    }));
  }
  return {};
}

}  // namespace strongroom::store
