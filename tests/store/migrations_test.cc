#include "store/migrations.h"

#include <gtest/gtest.h>

#include "fakes/temp_dir.h"
#include "store/meta.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {
namespace {

// Organisation org-1 and its person per-1, as every schema version has them.
Result<void> InsertPerson(Transaction& tx) {
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO organisations (id, name, status, agreed_expiry_days, "
              "created_at) VALUES ('org-1', 'Org', 'active', 90, 't')"));
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO people (id, org_id, name, email, created_at) VALUES "
              "('per-1', 'org-1', 'Pat', 'pat@example.org', 't')"));
  return {};
}

TEST(MigrationsTest, FreshStoreReachesLatestAndCreatesTables) {
  testing::TempDir dir;
  auto store = *SqliteStore::Open({dir / "db", 1, 16});
  EXPECT_EQ(*SchemaVersion(*store), 0);
  ASSERT_TRUE(Migrate(*store));
  EXPECT_EQ(*SchemaVersion(*store), LatestSchemaVersion());
  EXPECT_TRUE(store->Read([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Query("SELECT org_id, master_key_id, wrapped_key FROM org_keys"));
    return {};
  }));
}

TEST(MigrationsTest, AccountsRebuiltForReturnersKeepEveryRowAndReference) {
  testing::TempDir dir;
  auto store = *SqliteStore::Open({dir / "db", 1, 16});
  ASSERT_TRUE(Migrate(*store, 10));
  // A person whose standard account left, with a session, a join request and a token naming it.
  ASSERT_TRUE(store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(InsertPerson(tx));
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at, grants, left_at, totp_secret) VALUES ('acc-1', 'per-1', "
        "'org-1', 'pat.one', 'standard', 'reader', 'north', 'left', 'e', 'c', 'PERSONAL', 'l', "
        "X'00ff')"));
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO sessions (token_hash, account_id, csrf_hash, source, "
                "created_at, last_seen_at) VALUES (X'01', 'acc-1', X'02', 's', 't', "
                "'t')"));
    // The old rule: no second standard account for the same person, ever.
    auto second = tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-2', 'per-1', 'org-1', 'pat.two', 'standard', "
        "'reader', '', 'active', 'e', 'c')");
    EXPECT_FALSE(second);
    return {};
  }));
  ASSERT_TRUE(Migrate(*store));
  EXPECT_EQ(*SchemaVersion(*store), LatestSchemaVersion());
  ASSERT_TRUE(store->Write([](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT username, status, grants, left_at, totp_secret "
                                         "FROM accounts WHERE id = 'acc-1'"));
    EXPECT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows.front().Text(0), "pat.one");
    EXPECT_EQ(rows.front().Text(1), "left");
    EXPECT_EQ(rows.front().Text(2), "PERSONAL");
    EXPECT_EQ(rows.front().Text(3), "l");
    EXPECT_EQ(rows.front().Blob(4), (Bytes{0x00, 0xff}));
    ASSIGN_OR_RETURN(auto check, tx.Query("PRAGMA foreign_key_check"));
    EXPECT_TRUE(check.empty()) << "every reference still finds its account";
    // The returner's new account is allowed; a second live one is not; usernames stay unique.
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-2', 'per-1', 'org-1', 'pat.two', 'standard', "
        "'reader', '', 'active', 'e', 'c')"));
    EXPECT_FALSE(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-3', 'per-1', 'org-1', 'pat.three', 'standard', "
        "'reader', '', 'pending_enrolment', 'e', 'c')"));
    EXPECT_FALSE(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-4', 'per-1', 'org-1', 'pat.one', 'privileged', "
        "'org_admin', '', 'active', 'e', 'c')"));
    // Foreign keys into the rebuilt table are enforced again.
    EXPECT_FALSE(
        tx.Exec("INSERT INTO sessions (token_hash, account_id, csrf_hash, source, "
                "created_at, last_seen_at) VALUES (X'03', 'acc-missing', X'02', 's', "
                "'t', 't')"));
    return {};
  }));
}

TEST(MigrationsTest, StoreFromANewerVersionIsRefused) {
  testing::TempDir dir;
  auto store = *SqliteStore::Open({dir / "db", 1, 16});
  ASSERT_TRUE(Migrate(*store));
  ASSERT_TRUE(store->Write([](Transaction& tx) {
    return SetMeta(tx, "schema_version", std::to_string(LatestSchemaVersion() + 1));
  }));
  auto r = Migrate(*store);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("newer"), std::string::npos);
}

TEST(MigrationsTest, UnreadableVersionIsDataLoss) {
  testing::TempDir dir;
  auto store = *SqliteStore::Open({dir / "db", 1, 16});
  ASSERT_TRUE(store->Write([](Transaction& tx) { return SetMeta(tx, "schema_version", "1; --"); }));
  auto r = Migrate(*store);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
}

// An archive made before archives were kept in parts becomes the one part of its build, and the
// export names that build: its download reads it as any other.
TEST(MigrationsTest, AnArchiveMadeWholeBecomesItsOnePart) {
  testing::TempDir dir;
  auto store = *SqliteStore::Open({dir / "db", 1, 16});
  ASSERT_TRUE(Migrate(*store, 22));
  ASSERT_TRUE(store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(InsertPerson(tx));
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-1', 'per-1', 'org-1', 'pat.one', 'standard', "
        "'reader', 'north', 'active', 'e', 'c')"));
    for (const char* id : {"exp-approved", "exp-pending"}) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO exports (id, org_id, requester_id, remit, reason, status, created_at, "
          "expires_at) VALUES (?, 'org-1', 'acc-1', '', 'r', 'pending', 't', 'e')",
          {std::string(id)}));
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE exports SET status = 'approved', archive = X'0102fe' "
                "WHERE id = 'exp-approved'"));
    return {};
  }));
  ASSERT_TRUE(Migrate(*store));
  ASSERT_TRUE(store->Read([](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto parts, tx.Query("SELECT export_id, build, part, data FROM export_parts"));
    EXPECT_EQ(parts.size(), 1u) << "the pending export had no archive";
    if (parts.size() == 1) {
      EXPECT_EQ(parts.front().Text(0), "exp-approved");
      EXPECT_EQ(parts.front().Int(2), 0);
      EXPECT_EQ(parts.front().Blob(3), (Bytes{0x01, 0x02, 0xfe}));
      ASSIGN_OR_RETURN(auto named, tx.Query("SELECT archive_build FROM exports WHERE id = "
                                            "'exp-approved'"));
      EXPECT_EQ(named.front().Text(0), parts.front().Text(1));
    }
    EXPECT_FALSE(tx.Query("SELECT archive FROM exports")) << "the whole-archive column is gone";
    return {};
  }));
}

}  // namespace
}  // namespace strongroom::store
