// Re-enrolment at the service level: someone who has lost every second factor (security keys,
// authenticator, recovery codes) enrols again through the join-approval rules: one admin asks, a
// second approves (never the one who asked, never the person it is for; a privileged account's by
// a security officer); approval forgets the account's password and factors, ends its access and
// answers a new enrolment token; nothing else about the account changes.

#include <gtest/gtest.h>

#include "lifecycle/lifecycle_fixture.h"
#include "webauthn/fake_authenticator.h"

namespace strongroom::lifecycle {
namespace {

constexpr const char* kOrigin = "https://records.example.org";
using identity::kPassword;

class ReenrolTest : public LifecycleTest {
 protected:
  int64_t Count(const std::string& sql, const std::string& account_id) {
    int64_t n = -1;
    EXPECT_TRUE(f_.sqlite->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {account_id}));
      n = rows.front().Int(0);
      return {};
    }));
    return n;
  }
  std::string Column(const std::string& column, const std::string& account_id) {
    std::string v;
    EXPECT_TRUE(f_.sqlite->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(
          auto rows,
          tx.Query("SELECT COALESCE(" + column + ", '') FROM accounts WHERE id = ?", {account_id}));
      v = rows.front().Text(0);
      return {};
    }));
    return v;
  }
};

TEST_F(ReenrolTest, ASecondAdminApprovesAndEveryOldFactorIsForgotten) {
  const auto ann = f_.Person("ann.smith");
  const identity::RequestContext at{"192.0.2.7", "req-key", Surface::kAll, kOrigin};
  // Ann has a session and a security key.
  auto session = f_.SignIn("ann.smith", "", at);
  ASSERT_TRUE(session) << session.error().message;
  f_.NextStep();
  auto who = f_.auth->sessions.Authenticate(session->token);
  ASSERT_TRUE(who);
  testing::SoftKey key;
  auto options = f_.auth->security_keys.RegistrationOptions(*who, at);
  ASSERT_TRUE(options) << options.error().message;
  const auto m = key.Create("records.example.org", kOrigin, options->challenge);
  ASSERT_TRUE(f_.auth->security_keys.Register(
      *who, "Desk key", {m.id, m.client_data_json, m.attestation_object}, at));
  const auto before_roles = Column("roles", ann);
  const auto before_expiry = Column("expires_at", ann);

  const auto asker = Real("ada.admin", "privileged", "org_admin");
  const auto approver = Real("abe.admin", "privileged", "org_admin");
  auto id = service_.joiners.RequestReenrolment(asker, ann, f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  auto again = service_.joiners.RequestReenrolment(approver, ann, f_.ctx);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists) << "one waits already";
  auto self = service_.joiners.Approve(asker, *id, f_.ctx);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kPermissionDenied) << "never the one who asked";
  EXPECT_EQ(f_.Status(ann), "active") << "nothing happens before approval";
  EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token));

  auto pending = service_.joiners.List(approver, "pending", f_.ctx);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].purpose, "reenrol");
  EXPECT_EQ((*pending)[0].account_id, ann);
  EXPECT_EQ((*pending)[0].username, "ann.smith");
  EXPECT_EQ((*pending)[0].person_email, "ann.smith@example.org");

  auto made = service_.joiners.Approve(approver, *id, f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_TRUE(made->reopened);
  EXPECT_EQ(made->account_id, ann);
  EXPECT_EQ(made->username, "ann.smith");
  EXPECT_EQ(made->enrolment_token.size(), 64u);
  EXPECT_EQ(made->token_expires_at, f_.clock.Now() + kJoinTokenLifetime);

  // Everything the old enrolment gave is gone; the account is otherwise as it was.
  EXPECT_EQ(f_.Status(ann), "pending_enrolment");
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token)) << "its sessions end";
  EXPECT_EQ(Column("password_hash", ann), "");
  EXPECT_EQ(Column("totp_secret", ann), "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM webauthn_credentials WHERE account_id = ?", ann), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM recovery_codes WHERE account_id = ?", ann), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions WHERE account_id = ?", ann), 0);
  EXPECT_EQ(Column("roles", ann), before_roles);
  EXPECT_EQ(Column("expires_at", ann), before_expiry);
  auto old_password = f_.auth->sign_in.Login("ann.smith", kPassword, "", at);
  EXPECT_FALSE(old_password) << "the old password signs in no more";

  // They enrol again with the new token, as a joiner does, and sign in.
  auto start = f_.auth->enrolment.Begin(made->enrolment_token, kPassword, f_.ctx);
  ASSERT_TRUE(start) << start.error().message;
  f_.KeepSecret("ann.smith", *start);
  auto codes = f_.auth->enrolment.Confirm(made->enrolment_token, f_.Code("ann.smith"), f_.ctx);
  ASSERT_TRUE(codes) << codes.error().message;
  EXPECT_EQ(codes->size(), 10u);
  f_.NextStep();
  EXPECT_EQ(f_.Status(ann), "active");
  EXPECT_TRUE(f_.SignIn("ann.smith", "", at));
  EXPECT_FALSE(f_.auth->enrolment.Begin(made->enrolment_token, kPassword, f_.ctx))
      << "the token works once";

  const auto asked = f_.Events("admin.user.reenrol");
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].at("outcome"), "ok");
  EXPECT_EQ(asked[1].at("outcome"), "already_exists");
  const auto approvals = f_.Events("admin.join_request.approve");
  ASSERT_EQ(approvals.size(), 2u);
  EXPECT_EQ(approvals[1].at("outcome"), "ok");
  EXPECT_EQ(approvals[1].at("detail").at("purpose"), "reenrol");
  auto approved = service_.joiners.List(approver, "approved", f_.ctx);
  ASSERT_TRUE(approved);
  ASSERT_EQ(approved->size(), 1u);
  EXPECT_EQ((*approved)[0].purpose, "reenrol");
}

TEST_F(ReenrolTest, APrivilegedAccountIsReenrolledOnlyByTwoSecurityOfficers) {
  const auto target = Real("ada.admin", "privileged", "org_admin");
  const auto org_admin = Real("abe.admin", "privileged", "org_admin");
  const auto officer = Real("olly.officer", "privileged", "security_officer");
  const auto second = Real("oona.officer", "privileged", "security_officer");
  auto hidden = service_.joiners.RequestReenrolment(org_admin, target.account.id, f_.ctx);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound) << "beyond an org admin's reach";
  auto id = service_.joiners.RequestReenrolment(officer, target.account.id, f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  auto by_admin = service_.joiners.Approve(org_admin, *id, f_.ctx);
  ASSERT_FALSE(by_admin);
  EXPECT_EQ(by_admin.error().code, ErrorCode::kPermissionDenied);
  auto by_subject = service_.joiners.Approve(target, *id, f_.ctx);
  ASSERT_FALSE(by_subject);
  EXPECT_EQ(f_.Status(target.account.id), "active");
  auto made = service_.joiners.Approve(second, *id, f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(f_.Status(target.account.id), "pending_enrolment");
}

TEST_F(ReenrolTest, RefusedForWhatCannotEnrolAgainAndHostileIdsAndEachAudited) {
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  const auto approver = Real("abe.admin", "privileged", "org_admin");
  const auto left = f_.Person("lee.leaver");
  const auto expired = f_.Person("eve.expired");
  const auto kept = f_.Person("kit.kept");
  const auto service = f_.Pending("svc.robot", "service", "provisioner").account_id;
  ASSERT_TRUE(service_.accounts.Leave(admin, left, f_.ctx));
  ASSERT_TRUE(service_.accounts.Expire(admin, expired, std::nullopt, f_.ctx));
  const std::vector<std::pair<std::string, ErrorCode>> cases = {
      {left, ErrorCode::kFailedPrecondition},
      {expired, ErrorCode::kFailedPrecondition},
      {service, ErrorCode::kFailedPrecondition},
      {admin.account.id, ErrorCode::kNotFound},  // their own: privileged, for an officer
      {"acc-nobody", ErrorCode::kNotFound},
      {"'; DROP TABLE accounts;--", ErrorCode::kNotFound},
      {std::string(5000, 'x'), ErrorCode::kNotFound},
      {"", ErrorCode::kNotFound},
  };
  for (const auto& [id, code] : cases) {
    auto r = service_.joiners.RequestReenrolment(admin, id, f_.ctx);
    ASSERT_FALSE(r) << id.substr(0, 40);
    EXPECT_EQ(r.error().code, code) << id.substr(0, 40);
  }
  const auto officer = Real("olly.officer", "privileged", "security_officer");
  auto own = service_.joiners.RequestReenrolment(officer, officer.account.id, f_.ctx);
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, ErrorCode::kPermissionDenied) << "nobody acts on their own account";
  // Nor on another account of their own person: two people other than its subject.
  identity::MadeAccount standard;
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    identity::NewAccount mine{"org-a",
                              "olly.reader",
                              "Person olly.officer",
                              "olly.officer@example.org",
                              "standard",
                              "reader",
                              "north",
                              "",
                              "2026-01-01",
                              "HR"};
    ASSIGN_OR_RETURN(standard, identity::InsertAccount(tx, crypto::DefaultRandom(), f_.clock.Now(),
                                                       mine, kJoinTokenLifetime));
    return {};
  }));
  auto person = service_.joiners.RequestReenrolment(officer, standard.account_id, f_.ctx);
  ASSERT_FALSE(person);
  EXPECT_EQ(person.error().code, ErrorCode::kPermissionDenied);
  auto pending = service_.joiners.List(admin, "pending", f_.ctx);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty()) << "nothing asked";
  const auto events = f_.Events("admin.user.reenrol");
  ASSERT_EQ(events.size(), cases.size() + 2) << "each audited";
  for (const auto& e : events) EXPECT_FALSE(e.at("decision").at("allow").as_bool());

  // An account that leaves while its re-enrolment waits is not reopened by the approval.
  auto id = service_.joiners.RequestReenrolment(admin, kept, f_.ctx);
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(service_.accounts.Leave(admin, kept, f_.ctx));
  auto made = service_.joiners.Approve(approver, *id, f_.ctx);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(f_.Status(kept), "left");
  pending = service_.joiners.List(admin, "pending", f_.ctx);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 1u) << "still waiting, to be rejected";
  EXPECT_TRUE(service_.joiners.Reject(approver, *id, "they left", f_.ctx));
}

}  // namespace
}  // namespace strongroom::lifecycle
