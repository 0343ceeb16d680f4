// Joiners at the service level: a request approved by a second admin who is not the requester,
// not the requester's other account and not the person it is for; an org admin works in their
// own organisation only; approval needs a fresh second factor.

#include <gtest/gtest.h>

#include "lifecycle/lifecycle_fixture.h"

namespace strongroom::lifecycle {
namespace {

class JoinersTest : public LifecycleTest {
 protected:
  JoinInput Joiner(const std::string& username, const std::string& kind = "standard",
                   std::vector<std::string> roles = {}) {
    return {"org-a",
            username,
            "Person " + username,
            username + "@example.org",
            kind,
            std::move(roles),
            {},
            {},
            "2026-01-01",
            "HR"};
  }
};

TEST_F(JoinersTest, ASecondAdminApprovesAndTheAccountWaitsForItsOwner) {
  const auto requester = Real("ada.admin", "privileged", "org_admin");
  const auto approver = Real("abe.admin", "privileged", "org_admin");
  auto id = service_.joiners.Request(requester, Joiner("new.joiner"), f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  auto self = service_.joiners.Approve(requester, *id, f_.ctx);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kPermissionDenied);
  auto made = service_.joiners.Approve(approver, *id, f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(f_.Status(made->account_id), "pending_enrolment");
  EXPECT_EQ(made->enrolment_token.size(), 64u);
  EXPECT_EQ(made->token_expires_at, f_.clock.Now() + kJoinTokenLifetime);
  EXPECT_EQ(service_.joiners.Approve(approver, *id, f_.ctx).error().code,
            ErrorCode::kFailedPrecondition)
      << "decided once";
  auto listed = service_.joiners.List(approver, "approved", f_.ctx);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].roles, "reader") << "read-only by default";
}

TEST_F(JoinersTest, ThePersonARequestIsForNeverApprovesIt) {
  const auto requester = Real("ada.admin", "privileged", "org_admin");
  // Their privileged account exists; the request is for a standard account of the same person.
  const auto subject = Real("sam.subject", "privileged", "org_admin");
  auto in = Joiner("sam.standard");
  in.person_email = "sam.subject@example.org";
  auto id = service_.joiners.Request(requester, in, f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(service_.joiners.Approve(subject, *id, f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
}

TEST_F(JoinersTest, PrivilegedRequestsNeedASecurityOfficerAndAFreshSecondFactor) {
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  const auto other_admin = Real("abe.admin", "privileged", "org_admin");
  auto officer = Real("olly.officer", "privileged", "security_officer");
  auto id =
      service_.joiners.Request(officer, Joiner("new.admin", "privileged", {"org_admin"}), f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(service_.joiners.Approve(other_admin, *id, f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
  (void)admin;
  auto second = Real("oona.officer", "privileged", "security_officer");
  second.mfa_at = FormatRfc3339(f_.clock.Now() - std::chrono::minutes(6));
  EXPECT_EQ(service_.joiners.Approve(second, *id, f_.ctx).error().code,
            ErrorCode::kPermissionDenied)
      << "a stale second factor";
  second.mfa_at = FormatRfc3339(f_.clock.Now());
  EXPECT_TRUE(service_.joiners.Approve(second, *id, f_.ctx));
}

TEST_F(JoinersTest, HostileRequestsAreRefusedAndChangeNothing) {
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  auto with = [&](auto change) {
    auto in = Joiner("fine.name");
    change(in);
    return service_.joiners.Request(admin, in, f_.ctx);
  };
  const std::vector<std::pair<std::string, std::function<void(JoinInput&)>>> cases = {
      {"username", [](JoinInput& in) { in.username = "robert'); DROP TABLE accounts;--"; }},
      {"email", [](JoinInput& in) { in.person_email = "not-an-email"; }},
      {"name", [](JoinInput& in) { in.person_name = std::string(201, 'x'); }},
      {"control", [](JoinInput& in) { in.person_name = "a\nb"; }},
      {"bpss date", [](JoinInput& in) { in.bpss_verified_on = "yesterday"; }},
      {"future bpss", [](JoinInput& in) { in.bpss_verified_on = "2999-01-01"; }},
      {"kind", [](JoinInput& in) { in.kind = "root"; }},
      {"role", [](JoinInput& in) { in.roles = {"security_officer"}; }},
      {"repeat",
       [](JoinInput& in) {
         in.roles = {"reader", "reader"};
       }},
      {"remit", [](JoinInput& in) { in.remits = {"nowhere"}; }},
      {"grant", [](JoinInput& in) { in.grants = {"TOP-SECRET"}; }},
      {"other org", [](JoinInput& in) { in.org_id = "org-zz"; }},
  };
  for (const auto& [what, change] : cases) {
    auto r = with(change);
    ASSERT_FALSE(r) << what;
    EXPECT_NE(r.error().code, ErrorCode::kInternal) << what;
  }
  auto pending = service_.joiners.List(admin, "pending", f_.ctx);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  EXPECT_EQ(f_.Events("admin.join_request.create").size(), cases.size()) << "each audited";
  EXPECT_TRUE(with([](JoinInput&) {})) << "the control request is accepted";
}

}  // namespace
}  // namespace strongroom::lifecycle
