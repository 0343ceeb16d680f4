// The isolation matrix: every kind of actor against every action on records of several remits,
// organisations and labels. Each cell asserts the outcome, that a refused change changed nothing,
// that no title or body of a record the actor may not see appears in any answer, and that the
// audit event names the actor and the decision.

#include <gtest/gtest.h>

#include <set>

#include "records/records_fixture.h"

namespace strongroom::records {
namespace {

// The records every actor is tried against.
struct Seed {
  const char* name;
  const char* org;
  const char* remit;
  const char* classification;
  std::vector<std::string> descriptors;
};
const std::vector<Seed> kSeeds = {
    {"r1", "org-a", "north", "OFFICIAL", {}},
    {"r2", "org-a", "north", "OFFICIAL-SENSITIVE", {"PERSONAL"}},
    {"r3", "org-a", "south", "OFFICIAL", {}},
    {"r4", "org-a", "north", "OFFICIAL", {"PERSONAL"}},
    {"r5", "org-b", "north", "OFFICIAL", {}},
};

constexpr const char* kAllGrants = "OFFICIAL-SENSITIVE,PERSONAL,COMMERCIAL,LOCSEN";

enum class Expect { kOk, kNotFound, kDenied };

struct Actor {
  const char* name;
  const char* org;
  const char* kind;
  const char* roles;
  const char* remits;
  const char* grants;
  const char* status;
  bool expired;
  std::set<std::string> visible;  // seeds this actor may view and list
  bool editor;                    // may change what is visible
  bool blocked;                   // refused every action whatever the record
  bool create_sensitive;          // may create an OFFICIAL-SENSITIVE PERSONAL record in north
};

const std::vector<Actor> kActors = {
    {"reader_in_remit",
     "org-a",
     "standard",
     "reader",
     "north",
     kAllGrants,
     "active",
     false,
     {"r1", "r2", "r4"},
     false,
     false,
     false},
    {"reader_other_remit",
     "org-a",
     "standard",
     "reader",
     "south",
     kAllGrants,
     "active",
     false,
     {"r3"},
     false,
     false,
     false},
    {"editor_in_remit",
     "org-a",
     "standard",
     "editor",
     "north",
     kAllGrants,
     "active",
     false,
     {"r1", "r2", "r4"},
     true,
     false,
     true},
    {"other_org",
     "org-b",
     "standard",
     "reader,editor",
     "north,south",
     kAllGrants,
     "active",
     false,
     {"r5"},
     true,
     false,
     true},
    {"no_sensitive_grant",
     "org-a",
     "standard",
     "editor",
     "north",
     "PERSONAL",
     "active",
     false,
     {"r1", "r4"},
     true,
     false,
     false},
    {"no_personal_grant",
     "org-a",
     "standard",
     "editor",
     "north",
     "OFFICIAL-SENSITIVE",
     "active",
     false,
     {"r1"},
     true,
     false,
     false},
    {"org_admin",
     "org-a",
     "privileged",
     "org_admin",
     "north,south",
     kAllGrants,
     "active",
     false,
     {},
     false,
     true,
     false},
    {"security_officer",
     "org-a",
     "privileged",
     "security_officer",
     "north",
     kAllGrants,
     "active",
     false,
     {},
     false,
     true,
     false},
    {"locked",
     "org-a",
     "standard",
     "editor",
     "north",
     kAllGrants,
     "locked",
     false,
     {},
     false,
     true,
     false},
    {"expired",
     "org-a",
     "standard",
     "editor",
     "north",
     kAllGrants,
     "active",
     true,
     {},
     false,
     true,
     false},
    {"left",
     "org-a",
     "standard",
     "editor",
     "north",
     kAllGrants,
     "left",
     false,
     {},
     false,
     true,
     false},
};

void PrintTo(const Actor& a, std::ostream* os) { *os << a.name; }

class IsolationMatrixTest : public ::testing::TestWithParam<Actor> {
 protected:
  void SetUp() override {
    const auto& a = GetParam();
    actor_ =
        f_.Who(std::string("acc-") + a.name, a.org, a.kind, a.roles, a.remits, a.grants, a.status);
    if (a.expired) actor_.account.expires_at = f_.clock.Now();
    for (const auto& s : kSeeds) {
      auto owner = Owner(s.org);
      auto w = f_.service->Create(
          owner,
          RecordsFixture::Input(s.remit, std::string("TITLE-MARK-") + s.name, s.classification,
                                s.descriptors,
                                std::string(R"({"secret":"BODY-MARK-)") + s.name + "\"}"),
          f_.ctx);
      ASSERT_TRUE(w) << w.error().message;
      ids_[s.name] = w->id;
      names_[w->id] = s.name;
    }
  }

  identity::Principal Owner(const std::string& org) {
    return f_.Who("acc-owner-" + org, org, "standard", "editor", "north,south", kAllGrants);
  }

  // The record as its owner sees it: "version|title|body", or "gone".
  std::string Snapshot(const std::string& seed) {
    const auto& s =
        *std::find_if(kSeeds.begin(), kSeeds.end(), [&](const Seed& x) { return seed == x.name; });
    auto r = f_.service->Get(Owner(s.org), ids_[seed], f_.ctx);
    if (!r) return "gone";
    return std::to_string(r->summary.version) + "|" + r->summary.title + "|" + r->body_json;
  }

  int64_t Version(const std::string& seed) {
    const auto snap = Snapshot(seed);
    return snap == "gone" ? 0 : std::stoll(snap.substr(0, snap.find('|')));
  }

  Expect ExpectedFor(const std::string& seed, bool change) const {
    const auto& a = GetParam();
    if (a.blocked) return Expect::kDenied;
    if (!a.visible.contains(seed)) return Expect::kNotFound;
    if (change && !a.editor) return Expect::kDenied;
    return Expect::kOk;
  }

  template <typename T>
  void CheckOutcome(const Result<T>& r, Expect expect, const std::string& cell) {
    switch (expect) {
      case Expect::kOk:
        EXPECT_TRUE(r.has_value()) << cell << ": " << (r ? "" : r.error().message);
        break;
      case Expect::kNotFound:
        ASSERT_FALSE(r.has_value()) << cell;
        EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << cell;
        EXPECT_EQ(r.error().message, "no such record") << cell << ": like a missing record";
        break;
      case Expect::kDenied:
        ASSERT_FALSE(r.has_value()) << cell;
        EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied) << cell;
        break;
    }
    if (!r) {
      EXPECT_EQ(r.error().message.find("MARK"), std::string::npos) << cell;
    }
  }

  void CheckAudit(const std::string& action, bool allowed, const std::string& cell) {
    auto e = f_.LastEvent(action);
    ASSERT_FALSE(e.empty()) << cell;
    EXPECT_EQ(e.at("actor").at("id").as_string(), actor_.account.id) << cell;
    EXPECT_EQ(e.at("decision").at("allow").as_bool(), allowed) << cell;
    EXPECT_FALSE(e.at("decision").at("reason").as_string().empty()) << cell;
    const auto text = boost::json::serialize(e);
    EXPECT_EQ(text.find("MARK"), std::string::npos) << cell << ": no content in the audit log";
  }

  RecordsFixture f_;
  identity::Principal actor_;
  std::map<std::string, std::string> ids_;
  std::map<std::string, std::string> names_;
};

TEST_P(IsolationMatrixTest, View) {
  for (const auto& s : kSeeds) {
    const std::string cell = std::string(GetParam().name) + " view " + s.name;
    const auto expect = ExpectedFor(s.name, false);
    auto r = f_.service->Get(actor_, ids_[s.name], f_.ctx);
    CheckOutcome(r, expect, cell);
    if (r) {
      EXPECT_EQ(r->summary.title, std::string("TITLE-MARK-") + s.name);
      EXPECT_NE(r->body_json.find(std::string("BODY-MARK-") + s.name), std::string::npos);
    }
    CheckAudit("record.view", expect == Expect::kOk, cell);
  }
}

TEST_P(IsolationMatrixTest, List) {
  const auto& a = GetParam();
  for (const std::string remit : {"", "north", "south"}) {
    const std::string cell = std::string(a.name) + " list remit='" + remit + "'";
    auto page = f_.service->List(actor_, remit, 100, "", f_.ctx);
    if (a.blocked) {
      CheckOutcome(page, Expect::kDenied, cell);
      CheckAudit("record.list", false, cell);
      continue;
    }
    ASSERT_TRUE(page) << cell << ": " << page.error().message;
    std::set<std::string> seen;
    for (const auto& item : page->items) {
      const auto& name = names_[item.id];
      seen.insert(name);
      EXPECT_EQ(item.title, "TITLE-MARK-" + name) << cell;
    }
    std::set<std::string> expected;
    for (const auto& s : kSeeds) {
      if (a.visible.contains(s.name) && (remit.empty() || remit == s.remit)) {
        expected.insert(s.name);
      }
    }
    EXPECT_EQ(seen, expected) << cell;
    EXPECT_TRUE(page->next_cursor.empty()) << cell;
    CheckAudit("record.list", true, cell);
  }
}

TEST_P(IsolationMatrixTest, Create) {
  const auto& a = GetParam();
  struct Try {
    const char* classification;
    std::vector<std::string> descriptors;
    bool ok;
  } tries[] = {
      {"OFFICIAL", {}, !a.blocked && a.editor},
      {"OFFICIAL-SENSITIVE", {"PERSONAL"}, !a.blocked && a.editor && a.create_sensitive},
  };
  for (const auto& t : tries) {
    const std::string cell = std::string(a.name) + " create " + t.classification;
    const auto before = f_.EventCount();
    auto r = f_.service->Create(
        actor_, RecordsFixture::Input("north", "new", t.classification, t.descriptors, "{}"),
        f_.ctx);
    CheckOutcome(r, t.ok ? Expect::kOk : Expect::kDenied, cell);
    CheckAudit("record.create", t.ok, cell);
    EXPECT_EQ(f_.EventCount(), before + 1) << cell;
    if (r) {
      // It went to the creator's own organisation.
      auto e = f_.LastEvent("record.create");
      EXPECT_EQ(e.at("target").at("org").as_string(), a.org);
    }
  }
}

TEST_P(IsolationMatrixTest, UpdateThenDelete) {
  for (const auto& s : kSeeds) {
    const std::string cell = std::string(GetParam().name) + " update " + s.name;
    const auto expect = ExpectedFor(s.name, true);
    const auto before = Snapshot(s.name);
    const auto version = Version(s.name);
    auto r = f_.service->Update(
        actor_, ids_[s.name], version,
        RecordsFixture::Input("", "changed title", "OFFICIAL", {}, R"({"changed":true})"), f_.ctx);
    CheckOutcome(r, expect, cell);
    CheckAudit("record.update", expect == Expect::kOk, cell);
    if (expect == Expect::kOk) {
      EXPECT_EQ(Version(s.name), version + 1) << cell;
    } else {
      EXPECT_EQ(Snapshot(s.name), before) << cell << ": a refused change changed nothing";
    }
  }
  for (const auto& s : kSeeds) {
    const std::string cell = std::string(GetParam().name) + " delete " + s.name;
    const auto expect = ExpectedFor(s.name, true);
    const auto before = Snapshot(s.name);
    auto r = f_.service->Delete(actor_, ids_[s.name], Version(s.name), f_.ctx);
    CheckOutcome(r, expect, cell);
    CheckAudit("record.delete", expect == Expect::kOk, cell);
    if (expect == Expect::kOk) {
      EXPECT_EQ(Snapshot(s.name), "gone") << cell;
    } else {
      EXPECT_EQ(Snapshot(s.name), before) << cell;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Actors, IsolationMatrixTest, ::testing::ValuesIn(kActors),
                         [](const ::testing::TestParamInfo<Actor>& p) {
                           return std::string(p.param.name);
                         });

}  // namespace
}  // namespace strongroom::records
