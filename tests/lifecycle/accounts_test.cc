// Movers, leavers and expiry at the service level: what an org admin is told about usernames
// they may not manage, returners, and locks that outlive expiry.

#include <gtest/gtest.h>

#include "identity/locks.h"
#include "lifecycle/lifecycle_fixture.h"

namespace strongroom::lifecycle {
namespace {

class AccountsTest : public LifecycleTest {};

// Finding: an org admin's dry run answered "not_in_your_organisation" for another organisation's
// username and "not_found" for an unknown one.
TEST_F(AccountsTest, AnOrgAdminCannotTellOtherOrganisationsUsersFromUnknownOnes) {
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    OrgInput org{"Other", 90, {"ISO-2", "2099-01-01"}, {"CEP-2", "2099-01-01"}};
    ASSIGN_OR_RETURN(auto made, InsertOrg(tx, *f_.keys, "org-b", org, f_.clock.Now()));
    (void)made;
    return {};
  }));
  f_.Person("ann.smith");  // organisation A
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    identity::NewAccount b{"org-b",  "bea.other", "Bea", "bea@example.org", "standard",
                           "reader", "north",     "",    "2026-01-01",      "HR"};
    ASSIGN_OR_RETURN(auto made, identity::InsertAccount(tx, crypto::DefaultRandom(), f_.clock.Now(),
                                                        b, kJoinTokenLifetime));
    (void)made;
    return {};
  }));
  const std::string csv = "username\nbea.other\nnobody.here\nann.smith\n";
  auto rows = service_.accounts.Leavers(Admin("acc-adm", "org-a", "org_admin"), csv, true, f_.ctx);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].result, "not_found");
  EXPECT_EQ((*rows)[1].result, "not_found");
  EXPECT_EQ((*rows)[2].result, "will_remove");
  // A security officer sees the truth.
  auto officer =
      service_.accounts.Leavers(Admin("acc-off", "org-a", "security_officer"), csv, true, f_.ctx);
  ASSERT_TRUE(officer);
  EXPECT_EQ((*officer)[0].result, "will_remove");
  EXPECT_EQ((*officer)[1].result, "not_found");
}

// Found in review: by email, a returner's old (left) account could be found before the live one,
// which then stayed.
TEST_F(AccountsTest, ByEmailTheReturnersLiveAccountIsTheLeaver) {
  const auto old_id = f_.Person("ann.smith");
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'left' WHERE id = ?", {old_id}));
    return {};
  }));
  f_.clock.Advance(std::chrono::hours(1));
  identity::NewAccount back{"org-a",
                            "ann.smith2",
                            "Person ann.smith",
                            "ann.smith@example.org",
                            "standard",
                            "reader",
                            "north",
                            "",
                            "2026-01-01",
                            "HR"};
  lifecycle::Approved live;
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(live, identity::InsertAccount(tx, crypto::DefaultRandom(), f_.clock.Now(),
                                                   back, kJoinTokenLifetime));
    return {};
  }));
  auto rows = service_.accounts.Leavers(Admin("acc-off", "org-a", "security_officer"),
                                        "email\nann.smith@example.org\n", false, f_.ctx);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].result, "removed");
  EXPECT_EQ(f_.Status(live.account_id), "left");
}

// A lock by hand (or after ten wrong codes) is an admin's to lift: the account passing its expiry
// date and being renewed must not lift it on the way (found in review).
TEST_F(AccountsTest, ALockSurvivesExpiryAndRenewal) {
  const auto id = f_.Person("ann.smith");
  ASSERT_TRUE(
      f_.store->Write([&](store::Transaction& tx) { return identity::LockByHand(tx, id); }));
  f_.clock.Advance(std::chrono::days(91));
  ASSERT_TRUE(service_.accounts.ExpireDue());
  EXPECT_EQ(f_.Status(id), "locked");
  const auto officer = Admin("acc-off", "org-a", "security_officer");
  ASSERT_TRUE(service_.accounts.Renew(officer, id, f_.clock.Now() + std::chrono::days(30), f_.ctx));
  EXPECT_EQ(f_.Status(id), "locked") << "renewed, still locked";
  ASSERT_TRUE(service_.accounts.Expire(officer, id, std::nullopt, f_.ctx));
  EXPECT_EQ(f_.Status(id), "locked") << "expired by hand, still locked";
}

}  // namespace
}  // namespace strongroom::lifecycle
