#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/hash.h"
#include "records/records_fixture.h"
#include "seed/demo_seed.h"
#include "store/meta.h"

namespace strongroom::seed {
namespace {

using records::RecordsFixture;

class SeedTest : public ::testing::Test {
 protected:
  RecordsFixture f_;

  void Initialise(Environment e) {
    ASSERT_TRUE(store::InitializeInstance(*f_.store, e, "inst-seed-test"));
  }

  Result<SeedReport> Seed(Environment e, SeedOptions o) {
    return SeedDemo(*f_.store, *f_.audit, *f_.keys, f_.clock, crypto::DefaultRandom(), e,
                    records::RecordsOptions{}, "olga.operator", o);
  }

  int64_t Count(const std::string& sql, std::vector<store::Value> params = {}) {
    int64_t n = -1;
    EXPECT_TRUE(f_.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
      n = rows.front().Int(0);
      return {};
    }));
    return n;
  }

  // Rows in every table a seeding run writes to.
  std::vector<int64_t> Footprint() {
    std::vector<int64_t> out;
    for (const char* t : {"organisations", "remits", "people", "accounts", "enrolment_tokens",
                          "records", "record_descriptors", "join_requests"}) {
      out.push_back(Count(std::string("SELECT COUNT(*) FROM ") + t));
    }
    out.push_back(f_.EventCount());
    return out;
  }

  // A seeded account as it will be once its person has enrolled.
  identity::Principal Enrolled(const std::string& username) {
    identity::Principal p;
    EXPECT_TRUE(f_.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, org_id, kind, roles, remits, grants FROM "
                                           "accounts WHERE username = ?",
                                           {username}));
      if (rows.empty()) return Fail(ErrorCode::kNotFound, username);
      const auto& r = rows.front();
      p = f_.Who(r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5));
      return {};
    }));
    return p;
  }

  // Everything `who` may list, following the cursor.
  std::vector<records::RecordSummary> ListAll(const identity::Principal& who) {
    std::vector<records::RecordSummary> out;
    std::string cursor;
    do {
      auto page = f_.service->List(who, "", records::kMaxListLimit, cursor, f_.ctx);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      out.insert(out.end(), page->items.begin(), page->items.end());
      cursor = page->next_cursor;
    } while (!cursor.empty());
    return out;
  }
};

TEST_F(SeedTest, SeedsSyntheticPeopleAndRecordsThatTheRealServicesServe) {
  Initialise(Environment::kTest);
  const auto events_before = f_.EventCount();
  auto report = Seed(Environment::kTest, {2, 6, 40, 1});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->organisations, 2);
  EXPECT_EQ(report->records, 80);
  ASSERT_EQ(report->accounts.size(), 12u);

  // People: each needs to enrol (token shown once, stored hashed); nobody approved them, so no
  // join request claims otherwise; every address is under the reserved .invalid domain.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM accounts a JOIN organisations o ON o.id = a.org_id "
                  "WHERE o.name LIKE 'Demo Supplier %' AND a.status = 'pending_enrolment'"),
            12);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM join_requests"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM people WHERE email NOT LIKE '%@demo.invalid'"),
            Count("SELECT COUNT(*) FROM people WHERE org_id NOT IN (SELECT id FROM organisations "
                  "WHERE name LIKE 'Demo Supplier %')"));
  std::set<std::string> usernames;
  for (const auto& a : report->accounts) {
    EXPECT_EQ(a.enrolment_token.size(), 64u) << a.username;
    const auto raw = HexDecode(a.enrolment_token);
    ASSERT_TRUE(raw) << a.username;
    const auto hash = crypto::Sha256(*raw);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM enrolment_tokens t JOIN accounts a ON a.id = "
                    "t.account_id WHERE t.token_hash = ? AND a.username = ?",
                    {Bytes(hash.begin(), hash.end()), a.username}),
              1)
        << "each token is stored as its hash, for its own account";
    usernames.insert(a.username);
  }
  EXPECT_EQ(usernames.size(), 12u);
  EXPECT_TRUE(usernames.count("ada.example.a"));
  EXPECT_EQ(report->accounts.front().kind, "privileged");

  // One audit event per organisation, person and record, each naming the operator and saying
  // that no one approved it.
  EXPECT_EQ(f_.EventCount() - events_before, 2 + 12 + 80);
  for (const char* action : {"seed.org.create", "seed.account.create", "seed.record.create"}) {
    auto e = f_.LastEvent(action);
    ASSERT_FALSE(e.empty()) << action;
    EXPECT_EQ(e.at("actor").at("username").as_string(), "olga.operator");
    EXPECT_EQ(e.at("actor").at("kind").as_string(), "cli");
    EXPECT_NE(std::string(e.at("decision").at("reason").as_string()).find("approved by no one"),
              std::string::npos);
  }

  // The editor of each organisation sees all of its records and only those, decrypted through
  // the ordinary service; every body says it is synthetic.
  for (const char* letter : {"a", "b"}) {
    const auto editor = Enrolled(std::string("basil.example.") + letter);
    const auto seen = ListAll(editor);
    EXPECT_EQ(static_cast<int64_t>(seen.size()),
              Count("SELECT COUNT(*) FROM records WHERE org_id = ?", {editor.account.org_id}));
    EXPECT_EQ(seen.size(), 40u);
    for (const auto& s : seen) {
      auto r = f_.service->Get(editor, s.id, f_.ctx);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_NE(r->summary.title.find("synthetic"), std::string::npos);
      auto body = boost::json::parse(r->body_json).as_object();
      EXPECT_TRUE(body.at("synthetic").as_bool());
      EXPECT_EQ(r->summary.author, editor.account.id);
    }
  }

  // The reader of one remit with one grant sees exactly what the policy allows.
  const auto reader = Enrolled("dev.example.a");
  ASSERT_EQ(reader.account.remits, std::vector<std::string>{"north"});
  ASSERT_EQ(reader.account.grants, std::vector<std::string>{"PERSONAL"});
  const auto seen = ListAll(reader);
  EXPECT_EQ(static_cast<int64_t>(seen.size()),
            Count("SELECT COUNT(*) FROM records r WHERE r.org_id = ? AND r.remit = 'north' AND "
                  "r.classification = 'OFFICIAL' AND NOT EXISTS (SELECT 1 FROM "
                  "record_descriptors d WHERE d.record_id = r.id AND d.descriptor <> 'PERSONAL')",
                  {reader.account.org_id}));
  EXPECT_GT(seen.size(), 0u);
  for (const auto& s : seen) {
    EXPECT_EQ(s.remit, "north");
    EXPECT_EQ(s.classification, "OFFICIAL");
  }

  // Seeded content is encrypted like any other: no title or body text in the store's files.
  ASSERT_TRUE(f_.store->Write([](store::Transaction&) -> Result<void> { return {}; }));
  for (const auto& file : {f_.dir / "db", f_.dir / "db-wal"}) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    for (const char* marker : {"DEMO-A-000001", "01632 960", "raised for a fictional person"}) {
      EXPECT_EQ(bytes.str().find(marker), std::string::npos) << marker << " in " << file;
    }
  }
}

TEST_F(SeedTest, RefusedInProductionWhateverTheCallerClaims) {
  Initialise(Environment::kProduction);
  const auto before = Footprint();
  auto claimed_production = Seed(Environment::kProduction, {});
  ASSERT_FALSE(claimed_production);
  EXPECT_EQ(claimed_production.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(claimed_production.error().message.find("production"), std::string::npos);
  // A configuration that says "test" does not make a production store a test one.
  for (auto claim : {Environment::kTest, Environment::kDevelopment, Environment::kPreproduction}) {
    auto r = Seed(claim, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(Footprint(), before);
}

TEST_F(SeedTest, RunsInEveryNonProductionEnvironment) {
  for (auto e : {Environment::kPreproduction, Environment::kDevelopment}) {
    RecordsFixture other;
    ASSERT_TRUE(store::InitializeInstance(*other.store, e, "inst-other"));
    auto r = SeedDemo(*other.store, *other.audit, *other.keys, other.clock, crypto::DefaultRandom(),
                      e, records::RecordsOptions{}, "olga.operator", {1, 4, 3, 1});
    ASSERT_TRUE(r) << EnvironmentName(e) << ": " << r.error().message;
    EXPECT_EQ(r->records, 3);
  }
}

TEST_F(SeedTest, ASecondRunIsRefusedAndChangesNothing) {
  Initialise(Environment::kTest);
  ASSERT_TRUE(Seed(Environment::kTest, {1, 4, 5, 1}));
  const auto before = Footprint();
  auto again = Seed(Environment::kTest, {1, 4, 5, 1});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Footprint(), before);
}

TEST_F(SeedTest, OutOfRangeOptionsAreRefusedAndChangeNothing) {
  Initialise(Environment::kTest);
  const auto before = Footprint();
  const std::vector<SeedOptions> bad = {{0, 6, 10, 1},       {27, 6, 10, 1},  {-1, 6, 10, 1},
                                        {1, 3, 10, 1},       {1, 501, 10, 1}, {1, 6, -1, 1},
                                        {1, 6, 1'000'001, 1}};
  for (const auto& o : bad) {
    auto r = Seed(Environment::kTest, o);
    ASSERT_FALSE(r) << o.organisations << " " << o.people_per_organisation << " "
                    << o.records_per_organisation;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(Footprint(), before);
}

// Titles and bodies of every seeded record, sorted, as the editor of Demo Supplier A sees them.
std::vector<std::string> ContentOf(uint64_t content_seed) {
  RecordsFixture f;
  EXPECT_TRUE(store::InitializeInstance(*f.store, Environment::kTest, "inst-content"));
  EXPECT_TRUE(SeedDemo(*f.store, *f.audit, *f.keys, f.clock, crypto::DefaultRandom(),
                       Environment::kTest, records::RecordsOptions{}, "olga.operator",
                       {1, 5, 30, content_seed}));
  identity::Principal editor;
  std::vector<std::string> ids;
  EXPECT_TRUE(f.store->Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, org_id, grants FROM accounts WHERE "
                                         "username = 'basil.example.a'"));
    editor = f.Who(rows.front().Text(0), rows.front().Text(1), "standard", "editor", "north,south",
                   rows.front().Text(2));
    ASSIGN_OR_RETURN(auto found, tx.Query("SELECT id FROM records"));
    for (const auto& row : found) ids.push_back(row.Text(0));
    return {};
  }));
  std::vector<std::string> out;
  for (const auto& id : ids) {
    auto r = f.service->Get(editor, id, f.ctx);
    out.push_back(r ? r->summary.title + r->summary.classification + r->body_json : "?");
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SeedContentTest, TheSameSeedGivesTheSameContent) {
  const auto first = ContentOf(7);
  ASSERT_EQ(first.size(), 30u);
  EXPECT_EQ(std::count(first.begin(), first.end(), "?"), 0);
  EXPECT_EQ(ContentOf(7), first);
  EXPECT_NE(ContentOf(8), first);
}

}  // namespace
}  // namespace strongroom::seed
