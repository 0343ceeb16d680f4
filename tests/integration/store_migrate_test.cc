// `strongroom store migrate`: an instance on SQLite moves into an empty PostgreSQL database with
// everything it holds (records, accounts, sessions) and its audit chain going on across the move;
// a serving instance, a database that is not empty and a move across environments are refused
// with nothing changed.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "integration/org_fixture.h"
#include "postgres/test_postgres.h"

namespace strongroom::testing {
namespace {

class StoreMigrateTest : public OrgFixture {};

TEST_F(StoreMigrateTest, AnInstanceMovesFromSqliteToPostgresWithItsChain) {
  auto made = CreateRecord("ann.editor", "Moved with its store");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());

  // The instance's directory, its [store] naming an empty database.
  const auto conninfo = NewPostgresDatabase();
  Instance moved(Instance::Made{});
  std::filesystem::copy(inst_.data_dir(), moved.data_dir(),
                        std::filesystem::copy_options::recursive);
  for (const auto* own :
       {"strongroom.db", "strongroom.db-wal", "strongroom.db-shm", "strongroom.db.lock"}) {
    std::filesystem::remove(moved.data_dir() / own);
  }
  moved.ReplaceInConfig("backend = \"sqlite\"\npath = \"strongroom.db\"",
                        "backend = \"postgresql\"\nconninfo = \"" + conninfo + "\"");
  auto migrate = [&](const std::filesystem::path& to) {
    return RunBinary(
        {"store", "migrate", "--from-config", inst_.config().string(), "--to-config", to.string()});
  };

  auto serving = migrate(moved.config());
  EXPECT_NE(serving.exit_code, 0) << "the instance serves";
  EXPECT_NE(serving.err.find("another Strongroom process"), std::string::npos) << serving.err;
  ASSERT_EQ(inst_.Stop(), 0);

  // Another environment: refused before anything is copied.
  const auto elsewhere = moved.data_dir() / "development.toml";
  auto text = ReadFile(moved.config());
  text.replace(text.find("environment = \"test\""), 20, "environment = \"development\"");
  WriteFile(elsewhere, text, 0600);
  auto across = migrate(elsewhere);
  EXPECT_NE(across.exit_code, 0);
  EXPECT_NE(across.err.find("different environments"), std::string::npos) << across.err;
  std::filesystem::remove(elsewhere);

  auto moved_once = migrate(moved.config());
  ASSERT_EQ(moved_once.exit_code, 0) << moved_once.out << moved_once.err;
  EXPECT_NE(moved_once.out.find("records "), std::string::npos) << moved_once.out;
  EXPECT_NE(moved_once.out.find("copied and checked"), std::string::npos) << moved_once.out;
  auto twice = migrate(moved.config());
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("not empty"), std::string::npos) << twice.err;

  // The moved instance serves what the old one held, to the sessions it had opened.
  ASSERT_TRUE(moved.Start()) << moved.StartupError();
  ApiClient on_moved(moved, api_);
  on_moved.AdvanceClock(api_.clock_offset());
  auto seen = on_moved.As(sessions_["rob.reader"], "GET", "/api/v1/records/" + id);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(JsonOf(seen).at("title").as_string(), "Moved with its store");
  EXPECT_EQ(on_moved.As(sessions_["bea.other"], "GET", "/api/v1/records/" + id).status, 404);
  ASSERT_EQ(moved.Stop(), 0);

  auto verify = RunBinary({"audit", "verify", "--config", moved.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto search = RunBinary(
      {"audit", "search", "--config", moved.config().string(), "--action", "store.migrate"});
  EXPECT_NE(search.out.find("\"rows\""), std::string::npos) << search.out << search.err;
}

}  // namespace
}  // namespace strongroom::testing
