// The two-person rule, once for every workflow that needs a second person: each way someone might
// try to approve their own request, and the state machine.

#include "approvals/two_person.h"

#include <gtest/gtest.h>

#include "authz/admin.h"

namespace strongroom::approvals {
namespace {

using identity::Kind;
using identity::Role;

const TimePoint kNow = TimePoint(std::chrono::milliseconds(1'800'000'000'000));

identity::Account Person(std::string id, std::string person, Kind kind, identity::Roles roles,
                         std::string org = "org-a") {
  identity::Account a;
  a.id = std::move(id);
  a.person_id = std::move(person);
  a.kind = kind;
  a.roles = roles;
  a.org_id = std::move(org);
  a.status = "active";
  a.expires_at = kNow + std::chrono::days(30);
  return a;
}

// Ann asked (from her privileged account); the request is about Joe.
const Request kAsked{State::kPending, kNow + std::chrono::hours(1), "acc-ann-admin", "per-ann",
                     "per-joe"};

// Each workflow with the authz action its decider needs.
struct Workflow {
  const char* name;
  authz::AdminAction action;
  Kind kind;
  identity::Roles roles;
};
const Workflow kWorkflows[] = {
    {"join request", authz::AdminAction::kJoinApprove, Kind::kPrivileged, {Role::kOrgAdmin}},
    {"export", authz::AdminAction::kExportApprove, Kind::kStandard, {Role::kApprover}},
    {"order lift", authz::AdminAction::kOrderLift, Kind::kPrivileged, {Role::kSecurityOfficer}},
};

struct Attempt {
  const char* who;
  identity::Account decider;
  bool allowed;
};

TEST(TwoPersonTest, EveryWayToApproveOnesOwnRequestIsRefused) {
  for (const auto& w : kWorkflows) {
    auto as = [&](std::string id, std::string person) {
      return Person(std::move(id), std::move(person), w.kind, w.roles);
    };
    auto leaver = as("acc-lee", "per-lee");
    leaver.status = "left";
    auto locked = as("acc-lou", "per-lou");
    locked.status = "locked";
    auto expired = as("acc-exp", "per-exp");
    expired.expires_at = kNow;
    const Attempt attempts[] = {
        {"the requester's own account", as("acc-ann-admin", "per-ann"), false},
        {"the requester's other account", as("acc-ann-std", "per-ann"), false},
        {"the person it is about", as("acc-joe", "per-joe"), false},
        {"a leaver", leaver, false},
        {"a locked account", locked, false},
        {"an expired account", expired, false},
        // Security officers serve every organisation; org admins and approvers their own.
        {"another organisation's", Person("acc-oth", "per-oth", w.kind, w.roles, "org-b"),
         w.action == authz::AdminAction::kOrderLift},
        {"a second person", as("acc-bob", "per-bob"), true},
    };
    for (const auto& a : attempts) {
      // What every workflow does: authz first (who, where), then the two-person rule.
      const auto may =
          authz::DecideAdmin(a.decider, w.action, {"org-a", Kind::kStandard, "", {}}, kNow);
      const auto outcome = Decide(a.decider, kAsked, Verdict::kApprove, kNow);
      EXPECT_EQ(may.allow && outcome.allowed, a.allowed) << w.name << ": " << a.who;
      if (!outcome.allowed) {
        EXPECT_FALSE(outcome.reason.empty()) << w.name << ": " << a.who;
      }
    }
  }
}

TEST(TwoPersonTest, OnlyAPendingUnexpiredRequestIsDecided) {
  const auto bob = Person("acc-bob", "per-bob", Kind::kPrivileged, {Role::kSecurityOfficer});
  for (State s : {State::kApproved, State::kRejected, State::kExpired}) {
    auto r = kAsked;
    r.state = s;
    for (Verdict v : {Verdict::kApprove, Verdict::kReject}) {
      const auto o = Decide(bob, r, v, kNow);
      EXPECT_FALSE(o.allowed) << Name(s);
      EXPECT_EQ(o.error.code, ErrorCode::kFailedPrecondition) << Name(s);
    }
  }
  auto late = kAsked;
  late.expires_at = kNow;
  EXPECT_EQ(Decide(bob, late, Verdict::kApprove, kNow).error.code, ErrorCode::kFailedPrecondition);
  const auto ok = Decide(bob, kAsked, Verdict::kApprove, kNow);
  ASSERT_TRUE(ok.allowed);
  EXPECT_EQ(ok.next, State::kApproved);
  EXPECT_EQ(Decide(bob, kAsked, Verdict::kReject, kNow).next, State::kRejected);
}

TEST(TwoPersonTest, ARequesterMayWithdrawButNotApprove) {
  const auto ann = Person("acc-ann-admin", "per-ann", Kind::kPrivileged, {Role::kOrgAdmin});
  EXPECT_TRUE(Decide(ann, kAsked, Verdict::kReject, kNow).allowed);
  const auto approve = Decide(ann, kAsked, Verdict::kApprove, kNow);
  EXPECT_FALSE(approve.allowed);
  EXPECT_EQ(approve.error.code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace strongroom::approvals
