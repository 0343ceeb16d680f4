// The PostgreSQL connection's translation of the project's SQL (the rest of the backend is held to
// the store contract: tests/contract/).

#include "store/postgres/pg_connection.h"

#include <gtest/gtest.h>

namespace strongroom::store {
namespace {

std::string Translated(std::string_view sql) {
  auto t = TranslateSql(sql);
  EXPECT_TRUE(t) << t.error().message;
  return t ? t->sql : "";
}

TEST(PgTranslateTest, PlaceholdersAreNumberedOutsideQuotesAndComments) {
  auto t = TranslateSql("SELECT a FROM t WHERE b = ? AND c = '?' AND \"?\" = ? -- ?\n AND d = ?");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sql, "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"?\" = $2 -- ?\n AND d = $3");
  EXPECT_EQ(t->params, 3);
  EXPECT_EQ(Translated("SELECT '' || ? /* ? */ || 'it''s ?' || ?"),
            "SELECT '' || $1 /* ? */ || 'it''s ?' || $2");
  // SQLite's numbered placeholders keep their numbers; the highest is the count.
  t = TranslateSql("SELECT ?2, ?1, ?2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sql, "SELECT $2, $1, $2");
  EXPECT_EQ(t->params, 2);
}

TEST(PgTranslateTest, MixedOrOutOfRangePlaceholdersAreRefused) {
  EXPECT_FALSE(TranslateSql("SELECT ?1, ?"));
  EXPECT_FALSE(TranslateSql("SELECT ?0"));
  EXPECT_FALSE(TranslateSql("SELECT ?99999999999"));
  EXPECT_FALSE(TranslateSql("SELECT ?1, ?3")) << "PostgreSQL cannot type the ?2 nobody names";
}

// What PostgreSQL reads otherwise than this translator would is refused, not mistranslated.
TEST(PgTranslateTest, EStringsDollarsAndNestedCommentsAreRefused) {
  for (const char* sql : {"SELECT E'it\\'s ?', ?", "SELECT e'x'", "SELECT $$ ? $$, ?", "SELECT $1",
                          "SELECT /* /* */ ? */ 1"}) {
    auto t = TranslateSql(sql);
    ASSERT_FALSE(t) << sql;
    EXPECT_EQ(t.error().code, ErrorCode::kInternal) << sql;
  }
  // Not E strings: a word ending in e before a quote, and a $ inside one.
  EXPECT_EQ(Translated("SELECT 'x' FROM t WHERE name = 'e' AND v = 'a$1' AND w = ?"),
            "SELECT 'x' FROM t WHERE name = 'e' AND v = 'a$1' AND w = $1");
  EXPECT_EQ(Translated("SELECT ?1 /* a */ + ?2"), "SELECT $1 /* a */ + $2");
}

TEST(PgTranslateTest, TableDefinitionsGetPostgresTypes) {
  EXPECT_EQ(Translated("CREATE TABLE x (id INTEGER PRIMARY KEY, b BLOB, r REAL, t TEXT, "
                       "integers TEXT DEFAULT 'BLOB', \"real\" INTEGER)"),
            "CREATE TABLE x (id BIGINT PRIMARY KEY, b BYTEA, r DOUBLE PRECISION, t TEXT, "
            "integers TEXT DEFAULT 'BLOB', \"real\" BIGINT)");
  EXPECT_EQ(Translated("alter table x add column n integer not null default 0"),
            "alter table x add column n BIGINT not null default 0");
  // Elsewhere the words are left alone.
  EXPECT_EQ(Translated("SELECT CAST(? AS INTEGER), blob FROM x"),
            "SELECT CAST($1 AS INTEGER), blob FROM x");
}

TEST(PgTranslateTest, ChangedTableIsReadFromTheStatement) {
  EXPECT_EQ(ChangedTable("INSERT INTO accounts (id) VALUES (?)"), "accounts");
  EXPECT_EQ(ChangedTable("  update Sessions SET x = 1"), "sessions");
  EXPECT_EQ(ChangedTable("DELETE FROM organisations WHERE id = ?"), "organisations");
  EXPECT_EQ(ChangedTable("INSERT INTO meta(key, value) VALUES (?, ?)"), "meta");
  EXPECT_EQ(ChangedTable("SELECT * FROM accounts"), "");
  EXPECT_EQ(ChangedTable("CREATE TABLE accounts (id TEXT)"), "");
}

}  // namespace
}  // namespace strongroom::store
