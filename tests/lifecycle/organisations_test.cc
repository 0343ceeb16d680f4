// Organisations at the service level: made only by a security officer with current
// certificates, suspended when one lapses (their people's access ends) until renewed, and remits
// made within one's own organisation.

#include <gtest/gtest.h>

#include "lifecycle/lifecycle_fixture.h"

namespace strongroom::lifecycle {
namespace {

class OrganisationsTest : public LifecycleTest {
 protected:
  OrgInput Supplier(const std::string& name, const std::string& expires_on = "2099-01-01") {
    return {name, 90, {"ISO-" + name, expires_on}, {"CEP-" + name, expires_on}};
  }
};

TEST_F(OrganisationsTest, OnlyAnOfficerMakesOneAndOnlyWithCurrentCertificates) {
  const auto officer = Real("olly.officer", "privileged", "security_officer");
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  EXPECT_EQ(service_.organisations.Create(admin, Supplier("Beta"), f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      service_.organisations.Create(officer, Supplier("Beta", "2020-01-01"), f_.ctx).error().code,
      ErrorCode::kFailedPrecondition);
  auto made = service_.organisations.Create(officer, Supplier("Beta"), f_.ctx);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->status, "active");
  EXPECT_EQ(service_.organisations.Create(officer, Supplier("Beta"), f_.ctx).error().code,
            ErrorCode::kAlreadyExists);
  auto listed = service_.organisations.List(admin, f_.ctx);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << "an org admin sees their own only";
  EXPECT_EQ((*listed)[0].id, "org-a");
}

TEST_F(OrganisationsTest, ALapsedCertificateSuspendsUntilRenewed) {
  const auto officer = Real("olly.officer", "privileged", "security_officer");
  f_.Person("ann.smith");
  auto session = f_.SignIn("ann.smith");
  ASSERT_TRUE(session);
  ASSERT_EQ(*service_.organisations.CheckCertificates(false), 0) << "none lapsed yet";
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("UPDATE organisations SET cep_expires_on = '2020-01-01'"));
    return {};
  }));
  EXPECT_EQ(*service_.organisations.CheckCertificates(true), 1);
  EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token)) << "warned only";
  EXPECT_EQ(*service_.organisations.CheckCertificates(false), 1);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token)) << "suspended: access ended";
  EXPECT_FALSE(f_.SignIn("ann.smith"));
  auto renewed = service_.organisations.RenewCertificates(officer, "org-a", {"ISO-1", "2099-01-01"},
                                                          {"CEP-2", "2099-01-01"}, f_.ctx);
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(renewed->status, "active");
  f_.NextStep();
  EXPECT_TRUE(f_.SignIn("ann.smith"));
}

TEST_F(OrganisationsTest, RemitsAreMadeWithinOnesOwnOrganisation) {
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  EXPECT_TRUE(service_.organisations.CreateRemit(admin, "org-a", "south", f_.ctx));
  EXPECT_EQ(service_.organisations.CreateRemit(admin, "org-a", "south", f_.ctx).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(service_.organisations.CreateRemit(admin, "org-b", "south", f_.ctx).error().code,
            ErrorCode::kNotFound);
  for (const char* bad : {"", "South", "a b", "x/../y", "north,south"}) {
    EXPECT_EQ(service_.organisations.CreateRemit(admin, "org-a", bad, f_.ctx).error().code,
              ErrorCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace strongroom::lifecycle
