// The store contract (see store/store.h), run against every backend.

#include "contract/store_contract.h"

#include <atomic>
#include <thread>

#include "fakes/temp_dir.h"
#include "postgres/test_postgres.h"
#include "store/leases.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, score REAL)";

Result<int64_t> Count(Store& store) {
  return ReadValue<int64_t>(store, [](Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM items"));
    return rows.front().Int(0);
  });
}

class ContractFixture {
 public:
  explicit ContractFixture(const StoreFactory& f) : store(f.open(dir.path().string())) {
    EXPECT_TRUE(store->Write([](Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(kCreate));
      return {};
    }));
  }
  testing::TempDir dir;
  std::unique_ptr<Store> store;
};

TEST_P(StoreContractTest, WriteIsVisibleToLaterReadsWithEveryValueType) {
  ContractFixture f(GetParam());
  const Bytes blob = {0, 1, 2, 255};
  ASSERT_TRUE(f.store->Write([&](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name, data, score) VALUES (?, ?, ?, ?)",
                            {int64_t{7}, std::string("seven"), blob, 0.5}));
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO items (id, name, data, score) VALUES (?, ?, ?, ?)",
                {int64_t{8}, std::string("eight"), std::monostate{}, std::monostate{}}));
    return {};
  }));
  ASSERT_TRUE(f.store->Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, name, data, score FROM items ORDER BY id"));
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].Int(0), 7);
    EXPECT_EQ(rows[0].Text(1), "seven");
    EXPECT_EQ(rows[0].Blob(2), blob);
    EXPECT_DOUBLE_EQ(rows[0].Real(3), 0.5);
    EXPECT_TRUE(rows[1].IsNull(2));
    EXPECT_TRUE(rows[1].IsNull(3));
    return {};
  }));
}

TEST_P(StoreContractTest, FailedTransactionChangesNothingAndReturnsItsError) {
  ContractFixture f(GetParam());
  auto r = f.store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (1, 'a')"));
    return Fail(ErrorCode::kPermissionDenied, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(*Count(*f.store), 0);
}

TEST_P(StoreContractTest, ConstraintViolationIsAlreadyExistsAndRollsBack) {
  ContractFixture f(GetParam());
  ASSERT_TRUE(f.store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (1, 'a')"));
    return {};
  }));
  auto r = f.store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (2, 'b')"));
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (3, 'a')"));
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(*Count(*f.store), 1);
}

TEST_P(StoreContractTest, HostileValuesAreStoredLiterallyNeverExecuted) {
  ContractFixture f(GetParam());
  const std::vector<std::string> hostile = {"'); DROP TABLE items; --",
                                            "\" OR 1=1 --",
                                            "<script>alert(1)</script>",
                                            "?",
                                            "?1",
                                            "-- x",
                                            "/* x",
                                            "$1",
                                            "\xf0\x9f\x94\x92",
                                            std::string(100000, 'x')};
  ASSERT_TRUE(f.store->Write([&](Transaction& tx) -> Result<void> {
    int64_t id = 0;
    for (const auto& h : hostile) {
      RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (?, ?)", {++id, h}));
    }
    return {};
  }));
  ASSERT_TRUE(f.store->Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT name FROM items ORDER BY id"));
    EXPECT_EQ(rows.size(), hostile.size());
    for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].Text(0), hostile[i]);
    ASSIGN_OR_RETURN(auto one, tx.Query("SELECT id FROM items WHERE name = ?", {hostile[1]}));
    EXPECT_EQ(one.size(), 1u);
    return {};
  }));
}

// PostgreSQL's text cannot hold NUL; so that an instance behaves the same on either backend,
// every backend refuses such a value as a whole, rather than storing it or cutting it short.
TEST_P(StoreContractTest, TextWithANulCharacterIsRefusedAsAWhole) {
  ContractFixture f(GetParam());
  auto r = f.store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (?, ?)",
                            {int64_t{1}, std::string("nul\0byte", 8)}));
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(*Count(*f.store), 0);
  // Bytes may hold anything.
  const Bytes zeros = {0, 0, 'x', 0};
  ASSERT_TRUE(f.store->Write([&](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name, data) VALUES (?, ?, ?)",
                            {int64_t{1}, std::string("z"), zeros}));
    return {};
  }));
  auto data = ReadValue<Bytes>(*f.store, [](Transaction& tx) -> Result<Bytes> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT data FROM items WHERE id = 1"));
    return rows.front().Blob(0);
  });
  ASSERT_TRUE(data);
  EXPECT_EQ(*data, zeros);
}

TEST_P(StoreContractTest, ParameterCountMismatchIsRefused) {
  ContractFixture f(GetParam());
  auto r = f.store->Write([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (?, ?)", {int64_t{1}}));
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(*Count(*f.store), 0);
}

TEST_P(StoreContractTest, ReadsCannotWrite) {
  ContractFixture f(GetParam());
  auto r = f.store->Read([](Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO items (id, name) VALUES (1, 'a')"));
    return {};
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(*Count(*f.store), 0);
}

TEST_P(StoreContractTest, ConcurrentWritersAllCommit) {
  ContractFixture f(GetParam());
  constexpr int kThreads = 4, kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t id = t * 1000 + i;
        auto r = f.store->Write([&](Transaction& tx) -> Result<void> {
          RETURN_IF_ERROR(
              tx.Exec("INSERT INTO items (id, name) VALUES (?, ?)", {id, std::to_string(id)}));
          return {};
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*Count(*f.store), kThreads * kPerThread);
}

TEST_P(StoreContractTest, ClosedStoreRefusesWithUnavailable) {
  ContractFixture f(GetParam());
  f.store->Close();
  auto w = f.store->Write([](Transaction&) -> Result<void> { return {}; });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kUnavailable);
  auto r = f.store->Read([](Transaction&) -> Result<void> { return {}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST_P(StoreContractTest, MigratesOnceAndRecordsEnvironment) {
  ContractFixture f(GetParam());
  EXPECT_EQ(*SchemaVersion(*f.store), LatestSchemaVersion());
  EXPECT_TRUE(Migrate(*f.store));  // idempotent
  ASSERT_TRUE(InitializeInstance(*f.store, Environment::kTest, "instance-1"));
  EXPECT_EQ(InitializeInstance(*f.store, Environment::kTest, "x").error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_TRUE(CheckEnvironment(*f.store, Environment::kTest));
  auto wrong = CheckEnvironment(*f.store, Environment::kProduction);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
}

// One holder at a time; renewed by its holder; free to another once lapsed (store/leases.h).
TEST_P(StoreContractTest, ALeaseHasOneHolderUntilItLapses) {
  using std::chrono::minutes;
  ContractFixture f(GetParam());
  const TimePoint t0{std::chrono::milliseconds(1'800'000'000'000)};
  const minutes term(2);
  auto take = [&](const char* name, const char* holder, TimePoint at) {
    auto held = TakeLease(*f.store, name, holder, at, term);
    EXPECT_TRUE(held) << held.error().message;
    return held.value_or("");
  };
  EXPECT_EQ(take("purge", "a", t0), "a");
  EXPECT_EQ(take("purge", "b", t0 + minutes(1)), "a") << "held";
  EXPECT_EQ(take("expiry", "b", t0 + minutes(1)), "b") << "another lease is another's to take";
  EXPECT_EQ(take("purge", "a", t0 + minutes(1)), "a") << "renewed, until t0 + 3 min";
  EXPECT_EQ(take("purge", "b", t0 + minutes(3) - std::chrono::milliseconds(1)), "a");
  EXPECT_EQ(take("purge", "b", t0 + minutes(3)), "b") << "lapsed";
  EXPECT_EQ(take("purge", "a", t0 + minutes(3)), "b");
  // A clock a little behind the holder's: still held. A term that ends further off than two
  // terms from now was taken on a clock that ran well ahead: lapsed.
  EXPECT_EQ(take("purge", "a", t0 + minutes(3) - std::chrono::milliseconds(5)), "b");
  EXPECT_EQ(take("purge", "a", t0 - minutes(10)), "a");
}

std::unique_ptr<Store> OpenSqlite(const std::string& dir) {
  auto s = SqliteStore::Open({dir + "/contract.db", 2, 64});
  EXPECT_TRUE(s) << s.error().message;
  EXPECT_TRUE(Migrate(**s));
  return std::move(*s);
}

std::unique_ptr<Store> OpenPostgres(const std::string&) {
  auto s = PgStore::Open({testing::NewPostgresDatabase(), 2, 64});
  // Thrown, not asserted: gtest reports it as the test's failure.
  if (!s) throw std::runtime_error("cannot open the PostgreSQL store: " + s.error().message);
  if (auto m = Migrate(**s); !m) throw std::runtime_error("cannot migrate: " + m.error().message);
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values(StoreFactory{"Sqlite", OpenSqlite},
                                           StoreFactory{"Postgres", OpenPostgres}),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace strongroom::store
