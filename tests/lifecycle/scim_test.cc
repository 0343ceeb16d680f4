// SCIM provisioning at the service level: a provisioner works inside its own organisation only;
// a user it creates waits for an admin (or is made at once where the identity provider approves);
// deactivation is a leaver, never reactivated; usernames never change.

#include <gtest/gtest.h>

#include "lifecycle/lifecycle_fixture.h"

namespace strongroom::lifecycle {
namespace {

class ScimTest : public LifecycleTest {
 protected:
  void SetUp() override {
    provisioner_ = Real("idp.sync", "service", "provisioner");
    provisioner_.mfa_at.clear();  // a token's principal proves no second factor
  }

  ScimUserInput User(const std::string& username) {
    return {username, "Person " + username, username + "@example.org", "ext-" + username, "", ""};
  }

  void IdentityProviderApproves() {
    ASSERT_TRUE(f_.store->Write([](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("UPDATE organisations SET idp_approves = 1"));
      return {};
    }));
  }

  identity::Principal provisioner_;
};

TEST_F(ScimTest, ACreatedUserWaitsForAnAdminThenIsTheAccount) {
  auto user = service_.scim.Create(provisioner_, User("new.joiner"), f_.ctx);
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->status, "pending_approval");
  EXPECT_EQ(user->external_id, "ext-new.joiner");
  const auto approver = Real("ada.admin", "privileged", "org_admin");
  auto made = service_.joiners.Approve(approver, user->id, f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  auto after = service_.scim.Get(provisioner_, user->id, f_.ctx);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, "pending_enrolment") << "the same user, now an account";
  auto page = service_.scim.List(provisioner_, "userName", "NEW.JOINER", 1, 10, f_.ctx);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->total, 1);
  EXPECT_EQ(page->users[0].id, user->id);
}

TEST_F(ScimTest, DeactivationIsALeaverAndNeverUndone) {
  IdentityProviderApproves();
  auto user = service_.scim.Create(provisioner_, User("ann.smith"), f_.ctx);
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->status, "pending_enrolment") << "made at once";
  ScimChange rename;
  rename.name = "Ann Smith-Jones";
  rename.external_id = "ext-2";
  auto renamed = service_.scim.Update(provisioner_, user->id, rename, f_.ctx);
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->name, "Ann Smith-Jones");
  EXPECT_EQ(renamed->external_id, "ext-2");
  ScimChange new_name;
  new_name.username = "ann.other";
  EXPECT_EQ(service_.scim.Update(provisioner_, user->id, new_name, f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(service_.scim.Delete(provisioner_, user->id, f_.ctx));
  auto gone = service_.scim.Get(provisioner_, user->id, f_.ctx);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, "left");
  ScimChange back;
  back.active = true;
  EXPECT_EQ(service_.scim.Update(provisioner_, user->id, back, f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(ScimTest, AnotherOrganisationsUsersAreNotThere) {
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    OrgInput org{"Other", 90, {"ISO-2", "2099-01-01"}, {"CEP-2", "2099-01-01"}};
    ASSIGN_OR_RETURN(auto made, identity::InsertOrg(tx, *f_.keys, "org-b", org, f_.clock.Now()));
    (void)made;
    return {};
  }));
  const auto ours = f_.Person("ann.smith");
  auto elsewhere = provisioner_;
  elsewhere.account.org_id = "org-b";
  EXPECT_EQ(service_.scim.Get(elsewhere, ours, f_.ctx).error().code, ErrorCode::kNotFound);
  ScimChange leave;
  leave.active = false;
  EXPECT_EQ(service_.scim.Update(elsewhere, ours, leave, f_.ctx).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(f_.Status(ours), "active");
  auto page = service_.scim.List(elsewhere, "", "", 1, 100, f_.ctx);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 0);
  // A person's account is no provisioner.
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  EXPECT_EQ(service_.scim.Get(admin, ours, f_.ctx).error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace strongroom::lifecycle
