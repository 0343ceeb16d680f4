// What only the PostgreSQL backend has to get right, on a real server (tests/postgres/): a lost
// connection, the server's types as the store's values, a transaction the server aborted, and
// connection strings that hold secrets. The rest is the store contract (tests/contract/).

#include "store/postgres/pg_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "fakes/wait.h"
#include "postgres/test_postgres.h"
#include "store/postgres/pg_connection.h"

namespace strongroom::store {
namespace {

// A connection of the test's own, beside the store's, to act on the server as an operator would.
class Admin {
 public:
  explicit Admin(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
  }
  ~Admin() { PQfinish(conn_); }
  // Ends every other session on this database, as a server restart or a failover would.
  int TerminateOthers() { return Count("pid <> pg_backend_pid()"); }
  // Ends the sessions that listen for other nodes' changes.
  // Ends the sessions that listen for other nodes' changes (their last statement is the LISTEN,
  // or a heartbeat's SELECT 1, which nothing else sends as a simple query).
  int TerminateListeners() { return Count("query IN ('LISTEN strongroom_changes', 'SELECT 1')"); }
  // Ends the listening sessions and, in the same breath, takes node `node`'s name as another node
  // of that name would: queued for it before the ended session lets go, so granted first.
  bool TerminateListenersAndTakeName(const std::string& node) {
    PGresult* res = PQexec(
        conn_, ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
                "current_database() AND query IN ('LISTEN strongroom_changes', 'SELECT 1'); "
                "SELECT pg_advisory_lock(82315607, hashtext('" +
                node + "'))")
                   .c_str());
    const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    return ok;
  }
  bool ReleaseName(const std::string& node) {
    PGresult* res =
        PQexec(conn_, ("SELECT pg_advisory_unlock(82315607, hashtext('" + node + "'))").c_str());
    const bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    return ok;
  }

 private:
  int Count(const std::string& which) {
    PGresult* res =
        PQexec(conn_, ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       "datname = current_database() AND " +
                       which)
                          .c_str());
    const int n = PQresultStatus(res) == PGRES_TUPLES_OK ? std::atoi(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return n;
  }

  PGconn* conn_;
};

// The listener's work is on its own thread: 10 s for it, polled every 5 ms.
bool WaitUntil(const std::function<bool()>& done) {
  return testing::WaitFor(done, std::chrono::seconds(10), std::chrono::milliseconds(5));
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::NewPostgresDatabase();
    auto s = PgStore::Open({conninfo_, 2, 64});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Write([](Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)"));
      return {};
    }));
  }

  Result<void> Insert(int64_t id) {
    return store_->Write([id](Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (?, 'x')", {id}));
      return {};
    });
  }
  Result<int64_t> Count() {
    return ReadValue<int64_t>(*store_, [](Transaction& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM items"));
      return rows.front().Int(0);
    });
  }

  std::string conninfo_;
  std::unique_ptr<PgStore> store_;
};

// A server that dropped the store's idle connections (a restart, a failover, an idle timeout)
// costs nothing but new connections: nothing had run on them, so the write and the read are
// made again on fresh ones.
TEST_F(PgStoreTest, ConnectionsLostWhileIdleAreReplacedWithoutFailingARequest) {
  ASSERT_TRUE(Insert(1));
  ASSERT_EQ(*Count(), 1);  // a reader is pooled now
  Admin admin(conninfo_);
  ASSERT_GE(admin.TerminateOthers(), 2) << "the writer and a reader were connected";
  auto w = Insert(2);
  EXPECT_TRUE(w) << w.error().message;
  auto n = Count();
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
}

// A connection lost inside a write fails that write (kUnavailable), and none of it stays.
TEST_F(PgStoreTest, ConnectionLostMidWriteFailsItAndKeepsNothing) {
  Admin admin(conninfo_);
  auto w = store_->Write([&](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (1, 'x')"));
    EXPECT_GE(admin.TerminateOthers(), 1);
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (2, 'x')"));
    return {};
  });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(*Count(), 0);
  EXPECT_TRUE(Insert(3)) << "and the next write runs on a new connection";
  EXPECT_EQ(*Count(), 1);
}

// Nodes on one database: each store hears of the others' commits to the tables it watches (and
// only those), not of its own a second time; while it cannot hear (its listening connection is
// gone) it says so, and once it hears again every watcher is told first.
TEST_F(PgStoreTest, AStoreHearsOfAnotherNodesCommitsAndSaysWhileItCannot) {
  auto other = PgStore::Open({conninfo_, 1, 64});
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_TRUE((*other)->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE others (id INTEGER PRIMARY KEY)"));
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE marks (id INTEGER PRIMARY KEY)"));
    return {};
  }));
  std::atomic<int> items{0};
  std::atomic<int> marks{0};
  const int w1 = store_->WatchTables({"items"}, [&] { ++items; });
  const int w2 = store_->WatchTables({"marks"}, [&] { ++marks; });
  ASSERT_TRUE(WaitUntil([&] { return store_->SeesEveryCommit() && (*other)->SeesEveryCommit(); }));
  items = 0;

  ASSERT_TRUE(Insert(1));
  EXPECT_EQ(items.load(), 1) << "its own commit, before the write returned";
  auto on_other = [&](const char* sql) {
    return (*other)->Write([sql](Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(sql));
      return {};
    });
  };
  ASSERT_TRUE(on_other("INSERT INTO others (id) VALUES (1)"));
  ASSERT_TRUE(on_other("INSERT INTO items (id, name) VALUES (2, 'y')"));
  ASSERT_TRUE(on_other("INSERT INTO marks (id) VALUES (1)"));
  // Heard in commit order: once the mark is heard, so is everything before it.
  ASSERT_TRUE(WaitUntil([&] { return marks.load() == 1; }));
  EXPECT_EQ(items.load(), 2) << "the other node's change to items once; its own and others' not";

  Admin admin(conninfo_);
  ASSERT_EQ(admin.TerminateListeners(), 2) << "each store listens on a connection of its own";
  ASSERT_TRUE(WaitUntil([&] { return !store_->SeesEveryCommit(); }));
  const int before = items.load();
  ASSERT_TRUE(WaitUntil([&] { return store_->SeesEveryCommit(); })) << "it listens again";
  EXPECT_GT(items.load(), before) << "what it missed meanwhile is unknown: every watcher told";
  store_->Unwatch(w1);
  store_->Unwatch(w2);
}

// A serving node holds its place on its listening connection and writes only while it does: a
// lost connection stops its writes (and its hearing) until a new one holds the place again.
TEST(PgStoreOpenTest, ANodeWritesOnlyWhileItHoldsItsPlace) {
  const auto conninfo = testing::NewPostgresDatabase();
  auto node = PgStore::Open({conninfo, 1, 64, Opener::kNode, "a"});
  ASSERT_TRUE(node) << node.error().message;
  auto& store = **node;
  auto write = [&] {
    return store.Write([](Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)"));
      return {};
    });
  };
  ASSERT_TRUE(WaitUntil([&] { return store.SeesEveryCommit(); }));
  ASSERT_TRUE(write());
  Admin admin(conninfo);
  // The name taken by another as the node's listening connection goes: it cannot hold its place
  // again until that lets go.
  ASSERT_TRUE(admin.TerminateListenersAndTakeName("a"));
  ASSERT_TRUE(WaitUntil([&] { return !store.SeesEveryCommit(); }));
  auto refused = write();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("does not hold its place"), std::string::npos)
      << refused.error().message;
  ASSERT_TRUE(admin.ReleaseName("a"));
  ASSERT_TRUE(WaitUntil([&] { return store.SeesEveryCommit(); }));
  EXPECT_TRUE(write()) << "its place held again";
}

// The heartbeat: a live connection answers; one the server has ended does not.
TEST(PgConnectionTest, PingAnswersUntilTheConnectionIsGone) {
  const auto conninfo = testing::NewPostgresDatabase();
  auto conn = PgConnection::Open(conninfo, PgConnection::Mode::kReadWrite);
  ASSERT_TRUE(conn) << conn.error().message;
  EXPECT_TRUE((*conn)->Ping(std::chrono::seconds(2)));
  EXPECT_TRUE((*conn)->Ping(std::chrono::seconds(2))) << "and again";
  Admin admin(conninfo);
  ASSERT_EQ(admin.TerminateOthers(), 1);
  auto gone = (*conn)->Ping(std::chrono::seconds(2));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUnavailable);
}

TEST_F(PgStoreTest, ServerTypesReadAsTheStoresValues) {
  auto rows = ReadValue<std::vector<Row>>(*store_, [](Transaction& tx) {
    return tx.Query(
        "SELECT true, false, CAST(5 AS NUMERIC), CAST(2.5 AS NUMERIC), CAST(7 AS SMALLINT), "
        "CAST(1.5 AS DOUBLE PRECISION), CAST(NULL AS TEXT), CAST(? AS BYTEA), CAST(? AS BYTEA), "
        "'text'",
        {Bytes{0, 'a', 0xff}, Bytes{}});
  });
  ASSERT_TRUE(rows) << rows.error().message;
  const auto& r = rows->front();
  EXPECT_EQ(r.Int(0), 1);
  EXPECT_EQ(r.Int(1), 0);
  EXPECT_EQ(r.Int(2), 5);
  EXPECT_DOUBLE_EQ(r.Real(3), 2.5);
  EXPECT_EQ(r.Int(4), 7);
  EXPECT_DOUBLE_EQ(r.Real(5), 1.5);
  EXPECT_TRUE(r.IsNull(6));
  EXPECT_EQ(r.Blob(7), (Bytes{0, 'a', 0xff}));
  EXPECT_TRUE(r.IsNull(8)) << "empty bytes are NULL, as in the embedded store";
  EXPECT_EQ(r.Text(9), "text");
}

// The server answers COMMIT in a transaction it already aborted with ROLLBACK, not an error; the
// connection must not take that for a commit.
TEST(PgConnectionTest, CommitOfAnAbortedTransactionIsAFailure) {
  auto conn = PgConnection::Open(testing::NewPostgresDatabase(), PgConnection::Mode::kReadWrite);
  ASSERT_TRUE(conn) << conn.error().message;
  auto& c = **conn;
  ASSERT_TRUE(c.Control("CREATE TABLE t (id INTEGER PRIMARY KEY)"));
  ASSERT_TRUE(c.Control("BEGIN"));
  ASSERT_TRUE(c.Exec("INSERT INTO t (id) VALUES (1)"));
  EXPECT_FALSE(c.Exec("INSERT INTO t (id) VALUES (1)"));  // aborts the transaction
  auto commit = c.Control("COMMIT");
  ASSERT_FALSE(commit);
  EXPECT_EQ(commit.error().code, ErrorCode::kUnavailable);
  auto rows = c.Query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ(rows->front().Int(0), 0);
  // Several statements at once (a BEGIN and its lock): the first that fails stops the rest.
  EXPECT_TRUE(c.Control("BEGIN; SELECT 1"));
  EXPECT_TRUE(c.Control("ROLLBACK"));
}

// Values never reach an error: not a refused value's text, not a password in a connection string.
TEST(PgConnectionTest, ErrorsQuoteNoValueAndNoPassword) {
  auto conn = PgConnection::Open(testing::NewPostgresDatabase(), PgConnection::Mode::kReadWrite);
  ASSERT_TRUE(conn) << conn.error().message;
  auto bad = (*conn)->Query("SELECT CAST(? AS BIGINT)", {std::string("secret-value-1")});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.find("secret-value-1"), std::string::npos) << bad.error().message;
  auto nul = (*conn)->Query("SELECT ?", {std::string("a\0b", 3)});
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, ErrorCode::kInvalidArgument);

  for (const char* conninfo :
       {"host=/nonexistent-dir user=u password=secret-pw-2 dbname=d",
        "postgresql://u:secret-pw-2@/d?host=/nonexistent-dir", "host=/x password='secret-pw-2"}) {
    auto c = PgConnection::Open(conninfo, PgConnection::Mode::kReadWrite);
    ASSERT_FALSE(c) << conninfo;
    EXPECT_EQ(c.error().message.find("secret-pw-2"), std::string::npos) << c.error().message;
  }
}

// Text must order byte by byte, as in the embedded store: a database that collates otherwise is
// refused, with what to do, even when its LC_COLLATE says C (ICU behind it).
TEST(PgStoreOpenTest, ADatabaseThatDoesNotCollateByBytesIsRefused) {
  const auto conninfo = testing::NewPostgresDatabase(
      "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LC_COLLATE 'C' LC_CTYPE 'C'");
  auto s = PgStore::Open({conninfo, 1, 64});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("C collation"), std::string::npos) << s.error().message;
}

// Serving nodes share a database, each under a name of its own; a command that changes a stopped
// instance holds it alone. Each refusal says what to do.
TEST(PgStoreOpenTest, NodesServeBesideEachOtherUnderTheirOwnNamesAndCommandsAlone) {
  const auto conninfo = testing::NewPostgresDatabase();
  auto a = PgStore::Open({conninfo, 1, 64, Opener::kNode, "a"});
  ASSERT_TRUE(a) << a.error().message;
  auto b = PgStore::Open({conninfo, 1, 64, Opener::kNode, "b"});
  ASSERT_TRUE(b) << b.error().message;
  auto again = PgStore::Open({conninfo, 1, 64, Opener::kNode, "a"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(again.error().message.find("named 'a'"), std::string::npos) << again.error().message;
  auto sole = PgStore::Open({conninfo, 1, 64, Opener::kSole});
  ASSERT_FALSE(sole);
  EXPECT_NE(sole.error().message.find("stop every node first"), std::string::npos)
      << sole.error().message;
  EXPECT_TRUE(PgStore::Open({conninfo, 1, 64, Opener::kBeside})) << "a reader goes beside";

  a->reset();
  b->reset();
  // The server lets go of a closed connection's locks once its process has ended.
  ASSERT_TRUE(WaitUntil([&] {
    sole = PgStore::Open({conninfo, 1, 64, Opener::kSole});
    return sole.has_value();
  })) << sole.error().message;
  auto node = PgStore::Open({conninfo, 1, 64, Opener::kNode, "c"});
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("a Strongroom command is changing"), std::string::npos)
      << node.error().message;
}

}  // namespace
}  // namespace strongroom::store
