// The PostgreSQL connection's translation of the project's SQL (the rest of the backend is held to
// the store contract: tests/contract/).

#include "store/postgres/pg_connection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

TEST(PgConninfoTest, NoPasswordAndTcpOnlyWithVerifiedTls) {
  for (const char* ok :
       {"dbname=sr", "host=/run/postgresql dbname=sr", "host=@abstract dbname=sr",
        "host=db.example sslmode=verify-full sslrootcert=/etc/ca.pem",
        "host=/run/postgresql,db.example sslmode=verify-full",
        "postgresql://db.example/sr?sslmode=verify-full", "host=/tmp passfile=/etc/sr/pgpass"}) {
    EXPECT_TRUE(CheckConninfo(ok)) << ok;
  }
  const std::string secret = "s3cr3t-Pa55";
  for (const std::string& bad : std::vector<std::string>{
           "host=/tmp password=" + secret, "postgresql://sr:" + secret + "@/sr?host=/tmp",
           "host=db.example sslmode=require", "host=db.example", "host=127.0.0.1 sslmode=verify-ca",
           "host=/tmp,db.example sslmode=prefer", "hostaddr=10.0.0.1 host=/tmp",
           "postgresql://db.example/sr", "dbname='" + secret, "host=/tmp " + secret,
           "service=" + secret}) {
    auto r = CheckConninfo(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
  }
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
