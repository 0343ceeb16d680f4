#include "authz/authz.h"

#include <gtest/gtest.h>

namespace strongroom::authz {
namespace {

const TimePoint kNow = TimePoint(std::chrono::milliseconds(1'800'000'000'000));

Subject Editor() {
  Subject s;
  s.id = "acc-1";
  s.kind = identity::Kind::kStandard;
  s.status = "active";
  s.expires_at = kNow + std::chrono::days(30);
  s.org_id = "org-a";
  s.roles = {identity::Role::kEditor};
  s.remits = {"north"};
  s.grants = {"OFFICIAL-SENSITIVE", "PERSONAL"};
  return s;
}

const Resource kPlain{"org-a", "north", "OFFICIAL", {}};

TEST(AuthzTest, EditorInRemitMayDoEverything) {
  for (auto a : {Action::kView, Action::kList, Action::kCreate, Action::kUpdate, Action::kDelete}) {
    EXPECT_TRUE(Decide(Editor(), a, kPlain, kNow).allow) << ActionName(a);
  }
}

TEST(AuthzTest, ReaderIsReadOnly) {
  auto s = Editor();
  s.roles = {identity::Role::kReader};
  EXPECT_TRUE(Decide(s, Action::kView, kPlain, kNow).allow);
  for (auto a : {Action::kCreate, Action::kUpdate, Action::kDelete}) {
    const auto d = Decide(s, a, kPlain, kNow);
    EXPECT_FALSE(d.allow);
    EXPECT_FALSE(d.hidden) << "a refusal by role is not a hidden record";
  }
}

TEST(AuthzTest, NoRoleOrApproverAloneReadsNothing) {
  for (identity::Roles roles : {identity::Roles{}, identity::Roles{identity::Role::kApprover}}) {
    auto s = Editor();
    s.roles = roles;
    EXPECT_FALSE(Decide(s, Action::kView, kPlain, kNow).allow);
    EXPECT_FALSE(ScopeForList(s, "", kNow).decision.allow);
  }
}

TEST(AuthzTest, WhereAndWhatTheRecordIsHideIt) {
  struct Case {
    Resource r;
    const char* why;
  } cases[] = {
      {{"org-b", "north", "OFFICIAL", {}}, "another organisation"},
      {{"org-a", "south", "OFFICIAL", {}}, "another remit"},
      {{"org-a", "north", "OFFICIAL", {"COMMERCIAL"}}, "descriptor not granted"},
  };
  for (const auto& c : cases) {
    const auto d = Decide(Editor(), Action::kView, c.r, kNow);
    EXPECT_FALSE(d.allow) << c.why;
    EXPECT_TRUE(d.hidden) << c.why;
    EXPECT_FALSE(d.reason.empty());
    // Creating such a record is refused too, but there is nothing to hide.
    EXPECT_FALSE(Decide(Editor(), Action::kCreate, c.r, kNow).hidden) << c.why;
  }
  auto s = Editor();
  s.grants = {"PERSONAL"};
  const Resource sensitive{"org-a", "north", "OFFICIAL-SENSITIVE", {}};
  EXPECT_TRUE(Decide(s, Action::kView, sensitive, kNow).hidden);
  EXPECT_TRUE(Decide(Editor(), Action::kView, sensitive, kNow).allow);
}

TEST(AuthzTest, EveryDescriptorNeedsItsGrant) {
  const Resource both{"org-a", "north", "OFFICIAL", {"PERSONAL", "COMMERCIAL"}};
  EXPECT_FALSE(Decide(Editor(), Action::kView, both, kNow).allow);
  auto s = Editor();
  s.grants = identity::SortedList("PERSONAL,OFFICIAL-SENSITIVE,COMMERCIAL");
  EXPECT_TRUE(Decide(s, Action::kView, both, kNow).allow);
}

TEST(AuthzTest, PrivilegedAndServiceAccountsNeverSeeContent) {
  for (auto kind : {identity::Kind::kPrivileged, identity::Kind::kService}) {
    auto s = Editor();
    s.kind = kind;
    s.roles = {identity::Role::kEditor, identity::Role::kReader, identity::Role::kSecurityOfficer};
    for (auto a :
         {Action::kView, Action::kList, Action::kCreate, Action::kUpdate, Action::kDelete}) {
      EXPECT_FALSE(Decide(s, a, kPlain, kNow).allow) << identity::Name(kind);
    }
    EXPECT_FALSE(ScopeForList(s, "", kNow).decision.allow);
  }
}

TEST(AuthzTest, InactiveOrExpiredAccountsAreRefused) {
  for (const char* status : {"pending_enrolment", "locked", "expired", "left", "disabled"}) {
    auto s = Editor();
    s.status = status;
    EXPECT_FALSE(Decide(s, Action::kView, kPlain, kNow).allow) << status;
    EXPECT_FALSE(ScopeForList(s, "", kNow).decision.allow) << status;
  }
  auto s = Editor();
  s.expires_at = kNow;
  EXPECT_FALSE(Decide(s, Action::kView, kPlain, kNow).allow);
  s.expires_at = kNow + std::chrono::milliseconds(1);
  EXPECT_TRUE(Decide(s, Action::kView, kPlain, kNow).allow);
}

TEST(AuthzTest, ListScopeIsThePolicyAsAFilter) {
  auto s = Editor();
  s.remits = {"east", "north"};
  auto all = ScopeForList(s, "", kNow);
  ASSERT_TRUE(all.decision.allow);
  EXPECT_EQ(all.scope.org_id, "org-a");
  EXPECT_EQ(all.scope.remits, (std::vector<std::string>{"east", "north"}));
  EXPECT_TRUE(all.scope.sensitive);
  EXPECT_EQ(all.scope.grants, (std::vector<std::string>{"PERSONAL"}));
  EXPECT_EQ(ScopeForList(s, "east", kNow).scope.remits, (std::vector<std::string>{"east"}));
  // A remit the account does not hold lists nothing, without saying whether it exists.
  auto other = ScopeForList(s, "south", kNow);
  EXPECT_TRUE(other.decision.allow);
  EXPECT_TRUE(other.scope.remits.empty());
}

}  // namespace
}  // namespace strongroom::authz
