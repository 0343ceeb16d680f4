#include "store/migrations.h"

#include <gtest/gtest.h>

#include "fakes/temp_dir.h"
#include "store/meta.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {
namespace {

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

}  // namespace
}  // namespace strongroom::store
