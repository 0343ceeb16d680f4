// Copying the embedded store into PostgreSQL (store/copy.h): every row of every table, with every
// kind of value, read back the same on both sides; a target that holds anything is refused.

#include "store/copy.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fakes/temp_dir.h"
#include "postgres/test_postgres.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {
namespace {

constexpr const char* kItems =
    "CREATE TABLE items (org TEXT NOT NULL, id INTEGER NOT NULL, data BLOB, score REAL, "
    "note TEXT, PRIMARY KEY (org, id))";
constexpr const char* kTags =
    "CREATE TABLE tags (id INTEGER PRIMARY KEY, org TEXT NOT NULL, item INTEGER NOT NULL, "
    "FOREIGN KEY (org, item) REFERENCES items (org, id))";

Result<void> Create(Store& store) {
  return store.Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec(kItems));
    RETURN_IF_ERROR(tx.Exec(kTags));
    return {};
  });
}

int64_t Count(Store& store, const std::string& table) {
  auto n = ReadValue<int64_t>(store, [&](Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM " + table));
    return rows.front().Int(0);
  });
  return n.value_or(-1);
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sqlite = SqliteStore::Open({(dir_.path() / "from.db").string(), 1, 64});
    ASSERT_TRUE(sqlite) << sqlite.error().message;
    from_ = std::move(*sqlite);
    ASSERT_TRUE(Migrate(*from_));
    ASSERT_TRUE(InitializeInstance(*from_, Environment::kTest, "instance-1"));
    ASSERT_TRUE(Create(*from_));
    auto pg = PgStore::Open({testing::NewPostgresDatabase(), 1, 64, Opener::kSole});
    ASSERT_TRUE(pg) << pg.error().message;
    to_ = std::move(*pg);
    ASSERT_TRUE(Migrate(*to_));
    ASSERT_TRUE(Create(*to_));
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> from_;
  std::unique_ptr<Store> to_;
};

TEST_F(CopyTest, EveryRowOfEveryTableArrivesTheSame) {
  // More rows than a page, keys that order differently as text and as numbers, and every kind of
  // value: text with quotes and non-ASCII, bytes with NULs, reals, NULLs.
  ASSERT_TRUE(from_->Write([](Transaction& tx) -> Result<void> {
    for (int64_t i = 0; i < 1203; ++i) {
      const std::string org = i % 3 == 0 ? "org-B" : "org-a";
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO items (org, id, data, score, note) VALUES (?, ?, ?, ?, ?)",
          {org, i, Bytes{0, static_cast<uint8_t>(i % 256), 0xff},
           i % 5 == 0 ? Value{} : Value{static_cast<double>(i) / 7.0},
           i % 7 == 0 ? Value{} : Value{std::string("it's \"n\u00f8te\" ") + std::to_string(i)}}));
      if (i % 2 == 0) {
        RETURN_IF_ERROR(tx.Exec("INSERT INTO tags (id, org, item) VALUES (?, ?, ?)", {i, org, i}));
      }
    }
    return {};
  }));
  std::map<std::string, int64_t> seen;
  auto copied =
      CopyStore(*from_, *to_, [&](std::string_view t, int64_t n) { seen[std::string(t)] = n; });
  ASSERT_TRUE(copied) << copied.error().message;
  std::map<std::string, CopiedTable> by_name;
  for (const auto& t : *copied) by_name[t.name] = t;
  EXPECT_EQ(by_name.at("items").rows, 1203);
  EXPECT_EQ(by_name.at("tags").rows, 602);
  EXPECT_EQ(by_name.at("items").digest.size(), 64u);
  EXPECT_EQ(seen.at("items"), 1203) << "progress told";
  EXPECT_EQ(Count(*to_, "items"), 1203);
  EXPECT_EQ(Count(*to_, "tags"), 602);
  EXPECT_TRUE(CheckEnvironment(*to_, Environment::kTest)) << "meta came too";
  // Parents first: the foreign keys held all the way.
  size_t items_at = 0, tags_at = 0;
  for (size_t i = 0; i < copied->size(); ++i) {
    if ((*copied)[i].name == "items") items_at = i;
    if ((*copied)[i].name == "tags") tags_at = i;
  }
  EXPECT_LT(items_at, tags_at);

  auto again = CopyStore(*from_, *to_, [](std::string_view, int64_t) {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(again.error().message.find("not empty"), std::string::npos) << again.error().message;
  EXPECT_EQ(Count(*to_, "items"), 1203) << "nothing copied twice";
}

TEST_F(CopyTest, ATargetWithoutTheSourcesTablesIsRefused) {
  ASSERT_TRUE(from_->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE only_here (id INTEGER PRIMARY KEY)"));
    return {};
  }));
  auto copied = CopyStore(*from_, *to_, [](std::string_view, int64_t) {});
  ASSERT_FALSE(copied);
  EXPECT_NE(copied.error().message.find("only_here"), std::string::npos) << copied.error().message;
  EXPECT_EQ(Count(*to_, "items"), 0);
}

}  // namespace
}  // namespace strongroom::store
