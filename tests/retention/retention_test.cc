// The retention matrix: (past retention or not) x (no order, an active order, a lifted order) x
// (delete, purge), with purged data really gone from the store's files.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "records/purge.h"
#include "records/records_fixture.h"
#include "retention/retention_service.h"

namespace strongroom::retention {
namespace {

enum class Hold { kNone, kActive, kLifted };
enum class Act { kDelete, kPurge };

struct Cell {
  bool past;
  Hold hold;
  Act act;
};

std::string Name(const Cell& c) {
  return std::string(c.past ? "Past" : "Kept") +
         (c.hold == Hold::kNone     ? "NoOrder"
          : c.hold == Hold::kActive ? "Held"
                                    : "Lifted") +
         (c.act == Act::kDelete ? "Delete" : "Purge");
}

void PrintTo(const Cell& c, std::ostream* os) { *os << Name(c); }

class RetentionMatrixTest : public ::testing::TestWithParam<Cell> {
 protected:
  void SetUp() override {
    for (const char* who : {"off1", "off2"}) {
      ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
        const std::string person = std::string("per-") + who;
        RETURN_IF_ERROR(
            tx.Exec("INSERT INTO people (id, org_id, name, email, created_at) VALUES "
                    "(?, 'org-a', ?, ?, '2026-01-01T00:00:00Z')",
                    {person, std::string(who), std::string(who) + "@x.example"}));
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
            "expires_at, created_at) VALUES (?, ?, 'org-a', ?, 'privileged', "
            "'security_officer', '', 'active', '2099-01-01T00:00:00Z', "
            "'2026-01-01T00:00:00Z')",
            {std::string("acc-") + who, person, std::string(who)}));
        return {};
      }));
    }
  }

  identity::Principal Officer(const std::string& who) {
    return f_.Who("acc-" + who, "org-a", "privileged", "security_officer", "", "");
  }

  std::string FilesText() {
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(f_.dir.path())) {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      all += s.str();
    }
    return all;
  }

  records::RecordsFixture f_;
  RetentionService retention_{*f_.store, *f_.audit, f_.clock, crypto::DefaultRandom()};
  records::Purge purge_{*f_.store, *f_.audit, f_.clock};
  identity::Principal editor_ =
      f_.Who("acc-ed", "org-a", "standard", "editor", "north", "PERSONAL,OFFICIAL-SENSITIVE");
};

TEST_P(RetentionMatrixTest, OutcomeFollowsRetentionAndOrders) {
  const auto cell = GetParam();
  auto input =
      records::RecordsFixture::Input("north", "held or not", "OFFICIAL", {"PERSONAL"}, "{}");
  input.retain_until = f_.clock.Now() + std::chrono::days(10);
  auto made = f_.service->Create(editor_, input, f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  // A record nobody holds, past retention, as a control: every purge takes it.
  // A record no order holds, with the same retention, as a control.
  auto control_input = records::RecordsFixture::Input("north", "control", "OFFICIAL", {}, "{}");
  control_input.retain_until = input.retain_until;
  auto control = f_.service->Create(editor_, control_input, f_.ctx);
  ASSERT_TRUE(control);
  Bytes wrapped;
  ASSERT_TRUE(f_.store->Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT wrapped_key FROM records WHERE id = ?", {made->id}));
    wrapped = rows.front().Blob(0);
    return {};
  }));
  if (cell.hold != Hold::kNone) {
    OrderInput order{"LIT-2026-001", "litigation", "org-a", "north", {},
                     {"PERSONAL"},   "2099-01-01"};
    auto id = retention_.CreateOrder(Officer("off1"), order, f_.ctx);
    ASSERT_TRUE(id) << id.error().message;
    if (cell.hold == Hold::kLifted) {
      // The officer who made it may not lift it; a second one may.
      EXPECT_EQ(retention_.LiftOrder(Officer("off1"), *id, "settled", f_.ctx).error().code,
                ErrorCode::kPermissionDenied);
      ASSERT_TRUE(retention_.LiftOrder(Officer("off2"), *id, "settled", f_.ctx));
    }
  }
  f_.clock.Advance(std::chrono::days(cell.past ? 11 : 9));

  const bool held = cell.hold == Hold::kActive;
  if (cell.act == Act::kDelete) {
    auto r = f_.service->Delete(editor_, made->id, 1, f_.ctx);
    if (held) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
      EXPECT_EQ(f_.LastEvent("record.delete").at("decision").at("reason").as_string(),
                "held by a Retention Order");
    } else {
      EXPECT_TRUE(r) << r.error().message;
    }
    EXPECT_EQ(f_.service->Get(editor_, made->id, f_.ctx).has_value(), held);
    return;
  }
  auto report = purge_.Run(false);
  ASSERT_TRUE(report) << report.error().message;
  const bool gone = cell.past && !held;
  EXPECT_EQ(report->records, (cell.past ? 1 : 0) + (gone ? 1 : 0)) << "with the control";
  EXPECT_EQ(f_.service->Get(editor_, control->id, f_.ctx).has_value(), !cell.past);
  EXPECT_EQ(report->held, cell.past && held ? 1 : 0);
  EXPECT_EQ(f_.service->Get(editor_, made->id, f_.ctx).has_value(), !gone);
  if (gone) {
    // Crypto-shredded: the wrapped key is nowhere in the database or its log.
    const auto text = FilesText();
    EXPECT_EQ(text.find(std::string(wrapped.begin(), wrapped.end())), std::string::npos);
    EXPECT_EQ(f_.LastEvent("retention.record.purge").at("target").at("id").is_string(), true);
  }
  // A second purge finds nothing more.
  EXPECT_EQ(purge_.Run(false)->records, 0);
}

std::vector<Cell> AllCells() {
  std::vector<Cell> out;
  for (bool past : {false, true}) {
    for (auto hold : {Hold::kNone, Hold::kActive, Hold::kLifted}) {
      for (auto act : {Act::kDelete, Act::kPurge}) out.push_back({past, hold, act});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cells, RetentionMatrixTest, ::testing::ValuesIn(AllCells()),
                         [](const ::testing::TestParamInfo<Cell>& p) { return Name(p.param); });

TEST(RetentionOrderTest, OnlySecurityOfficersMakeOrdersAndInputIsChecked) {
  records::RecordsFixture f;
  RetentionService retention(*f.store, *f.audit, f.clock, crypto::DefaultRandom());
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  OrderInput order{"REF-1", "reason", "org-a", "", {}, {}, "2099-01-01"};
  EXPECT_EQ(retention.CreateOrder(editor, order, f.ctx).error().code, ErrorCode::kPermissionDenied);
  auto officer = f.Who("acc-o", "org-a", "privileged", "security_officer", "", "");
  for (auto bad : {OrderInput{"", "r", "org-a", "", {}, {}, "2099-01-01"},
                   OrderInput{"R", "r", "org-a", "", {}, {}, "2001-01-01"},
                   OrderInput{"R", "r", "org-a", "", {}, {}, "soon"},
                   OrderInput{"R", "r", "org-a", "a,b", {}, {}, "2099-01-01"},
                   OrderInput{"R", "r", "org-a", "", {"rec-1' OR 1=1"}, {}, "2099-01-01"}}) {
    EXPECT_EQ(retention.CreateOrder(officer, bad, f.ctx).error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(
      retention
          .CreateOrder(officer, OrderInput{"R", "r", "org-zz", "", {}, {}, "2099-01-01"}, f.ctx)
          .error()
          .code,
      ErrorCode::kNotFound);
  EXPECT_EQ(f.LastEvent("retention.order.create").at("outcome").as_string(), "not_found");
}

}  // namespace
}  // namespace strongroom::retention
