// A node whose store is PostgreSQL (init --store-conninfo), served by the real binary under its
// system-call filter: officers, organisations, join requests and records work as on SQLite, what
// was written is in the database and survives a restart, a second node of the same name on the
// same database is refused, and the audit chain verifies; and a database outage under load fails
// closed, loses nothing acknowledged and ends by itself.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fakes/temp_dir.h"
#include "fakes/wait.h"
#include "integration/org_fixture.h"
#include "postgres/test_postgres.h"

namespace strongroom::testing {
namespace {

const std::string& Conninfo() {
  static const std::string conninfo = NewPostgresDatabase();
  return conninfo;
}

class PostgresNodeTest : public OrgFixture {
 protected:
  PostgresNodeTest() : OrgFixture({"--store-conninfo", Conninfo()}) {}

  // Counts rows of `table` straight from the database, as the service does not.
  int64_t CountIn(const std::string& table) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(Conninfo().c_str()), &PQfinish);
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK);
    std::unique_ptr<PGresult, decltype(&PQclear)> r(
        PQexec(c.get(), ("SELECT count(*) FROM " + table).c_str()), &PQclear);
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(c.get());
    return PQntuples(r.get()) == 1 ? std::stoll(PQgetvalue(r.get(), 0, 0)) : -1;
  }
};

TEST_F(PostgresNodeTest, TheServiceRunsOnPostgresAndWhatItWroteSurvivesARestart) {
  const auto config = ReadFile(inst_.config());
  EXPECT_NE(config.find("backend = \"postgresql\""), std::string::npos) << config;
  EXPECT_FALSE(std::filesystem::exists(inst_.data_dir() / "strongroom.db"));
  EXPECT_TRUE(std::filesystem::exists(inst_.data_dir() / "node.lock"));

  auto made = CreateRecord("ann.editor", "Case on PostgreSQL");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  EXPECT_EQ(CountIn("records"), 1);
  EXPECT_GE(CountIn("accounts"), 6);  // two officers and four users at least (org_fixture.h)
  EXPECT_EQ(api_.As(sessions_["bea.other"], "GET", "/api/v1/records/" + id).status, 404);

  ASSERT_EQ(inst_.Stop(), 0);
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  auto seen = api_.As(sessions_["rob.reader"], "GET", "/api/v1/records/" + id);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(JsonOf(seen).at("title").as_string(), "Case on PostgreSQL");
  EXPECT_EQ(ListCount("rob.reader"), 1);

  // A second node on the same database under the same name (a copy of this one's directory, its
  // own lock and journal, but not a name of its own) is refused while this one serves: its
  // journal's position in the store would be this one's (tests/integration/cluster_test.cc has
  // two nodes, each with its own name).
  TempDir other;
  std::filesystem::copy(inst_.data_dir(), other.path() / "node",
                        std::filesystem::copy_options::recursive);
  std::filesystem::remove(other.path() / "node" / "node.lock");
  std::filesystem::remove_all(other.path() / "node" / "audit");
  auto second = RunBinary({"serve", "--config", (other.path() / "node/strongroom.toml").string()},
                          std::chrono::seconds(20));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("another Strongroom node named"), std::string::npos) << second.err;
  EXPECT_EQ(ListCount("rob.reader"), 1) << "the first serves on";

  // strongroom backup takes the embedded store only: PostgreSQL's own tools back this one up.
  auto backup = RunBinary(
      {"backup", "--config", inst_.config().string(), "--to", (other.path() / "b.sra").string()});
  EXPECT_NE(backup.exit_code, 0);
  EXPECT_NE(backup.err.find("pg_basebackup"), std::string::npos) << backup.err;
  EXPECT_FALSE(std::filesystem::exists(other.path() / "b.sra"));

  ASSERT_EQ(inst_.Stop(), 0);
  auto verify = RunBinary({"audit", "verify", "--config", inst_.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // A command beside the node searches the copy in the database (audit/audit_copy.h), which
  // the node brought up to its head as it stopped.
  auto search = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                           "record.view", "--limit", "10"});
  EXPECT_NE(search.out.find(id), std::string::npos) << search.out << search.err;
}

// The database server crashes (stopped at once) while clients create records, and comes back:
// meanwhile requests fail closed (503, /readyz too), nothing acknowledged is lost, and the node
// serves again by itself, without a restart of its own.
class OwnServer {
 protected:
  OwnPostgres pg_;
};
class PostgresRestartTest : protected OwnServer, public OrgFixture {
 protected:
  PostgresRestartTest() : OrgFixture({"--store-conninfo", pg_.NewDatabase()}) {}
};

TEST_F(PostgresRestartTest, ADatabaseOutageFailsClosedLosesNothingAndEndsByItself) {
  const auto editor = sessions_["ann.editor"];
  std::mutex mu;
  std::vector<std::string> acknowledged;  // guarded by mu
  std::atomic<int> refused{0};            // 503s
  std::atomic<int> other{0};              // any other failure
  std::atomic<bool> stop{false};
  std::string first_other;  // guarded by mu
  auto writer = [&](int n) {
    ApiClient client(inst_, api_);
    for (int i = 0; !stop; ++i) {
      const auto r = client.As(
          editor, "POST", "/api/v1/records",
          RecordBody("through the outage " + std::to_string(n) + "-" + std::to_string(i)));
      if (r.status == 201) {
        std::lock_guard lock(mu);
        acknowledged.emplace_back(JsonOf(r).at("id").as_string());
      } else if (r.status == 503) {
        ++refused;
        // As a client told to come back later does, if not after the whole Retry-After.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else if (++other == 1) {
        std::lock_guard lock(mu);
        first_other = std::to_string(r.status) + " " + r.body;
      }
    }
  };
  auto count = [&] {
    std::lock_guard lock(mu);
    return acknowledged.size();
  };
  auto until = [](const std::function<bool()>& done) {
    return WaitFor(done, std::chrono::minutes(1));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) threads.emplace_back(writer, t);
  const bool before = until([&] { return count() >= 20; });
  bool during = false, ready_refused = false, after = false;
  if (before) {
    pg_.Crash();
    // Once a create is refused, the outage has been seen.
    during = until([&] { return refused > 0; });
    // Asked from another address (attack detection rations each source's requests, and the
    // writers' is queued behind its own load), until it answers.
    ApiClient probe(inst_, api_);
    probe.set_source("127.0.0.2");
    int ready = 0;
    ready_refused = until([&] { return (ready = probe.Call("GET", "/readyz", "").status) != 0; }) &&
                    ready == 503;
    const size_t at_outage = count();
    EXPECT_EQ(pg_.Restart(), "");
    after = until([&] { return count() >= at_outage + 20; });
  }
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(before) << "creates before the outage";
  EXPECT_TRUE(during) << "no create was refused while the database was down";
  EXPECT_TRUE(ready_refused) << "/readyz said ready while the database was down";
  ASSERT_TRUE(after) << "creates did not resume after the database came back";
  EXPECT_EQ(other.load(), 0) << "every failure was a 503; the first other: " << first_other;
  for (const auto& id : acknowledged) {
    const auto r = api_.As(editor, "GET", "/api/v1/records/" + id);
    ASSERT_EQ(r.status, 200) << id << ": " << r.body;
  }
  RecordProperty("acknowledged", std::to_string(acknowledged.size()));
  RecordProperty("refused", std::to_string(refused.load()));
  EXPECT_EQ(api_.Call("GET", "/readyz", "").status, 200);
  ASSERT_EQ(inst_.Stop(), 0);
  auto verify = RunBinary({"audit", "verify", "--config", inst_.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// What the configuration may say of the database is checked before any connection: a password
// in the file, or TCP without verified TLS, stops init with a message that quotes neither.
TEST(PostgresInitTest, APasswordOrUnverifiedTcpIsRefusedAtInit) {
  const std::string secret = "hunter2-Secret";
  for (const std::string& conninfo : {Conninfo() + " password=" + secret,
                                      std::string("host=db.example dbname=sr sslmode=require")}) {
    TempDir dir;
    auto r = RunBinary({"init", "--data-dir", (dir.path() / "i").string(), "--environment", "test",
                        "--store-conninfo", conninfo});
    EXPECT_NE(r.exit_code, 0) << conninfo;
    EXPECT_NE(r.err.find("PostgreSQL"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "i" / "strongroom.toml"))
        << "nothing written";
  }
}

}  // namespace
}  // namespace strongroom::testing
