#include "identity/account.h"

#include <gtest/gtest.h>

namespace strongroom::identity {
namespace {

TEST(RolesTest, ParsesWholeRoleNamesOnly) {
  const auto both = Roles::Parse("reader,approver");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->Has(Role::kReader));
  EXPECT_TRUE(both->Has(Role::kApprover));
  EXPECT_FALSE(both->Has(Role::kEditor));
  EXPECT_EQ(both->Names(), (std::vector<std::string>{"reader", "approver"}));
  for (const char* bad : {"read", "not_security_officer", "reader,", "READER", "reader,x",
                          "security_officer ", "reader;editor"}) {
    const auto r = Roles::Parse(bad);
    EXPECT_TRUE(!r || !r->Has(Role::kSecurityOfficer)) << bad;
    if (std::string_view(bad) != "reader,") {
      EXPECT_FALSE(r) << bad;
    }
  }
  EXPECT_TRUE(Roles::Parse("")->empty());
}

TEST(RolesTest, EveryRoleAndKindHasOneNameBothWays) {
  for (Role r : kAllRoles) EXPECT_EQ(ParseRole(Name(r)), r);
  for (Kind k : kAllKinds) EXPECT_EQ(ParseKind(Name(k)), k);
  EXPECT_FALSE(ParseKind("cli")) << "the operator is never an account in the store";
  EXPECT_FALSE(ParseKind("Standard"));
}

TEST(RolesTest, EachKindHoldsItsOwnRoles) {
  EXPECT_EQ(RolesMisfit(Kind::kStandard, "reader,editor,approver"), "");
  EXPECT_EQ(RolesMisfit(Kind::kStandard, ""), "");
  EXPECT_NE(RolesMisfit(Kind::kStandard, "reader,org_admin"), "");
  EXPECT_NE(RolesMisfit(Kind::kStandard, "reader,superuser"), "");
  EXPECT_EQ(RolesMisfit(Kind::kPrivileged, "org_admin,security_officer"), "");
  EXPECT_NE(RolesMisfit(Kind::kPrivileged, ""), "");
  EXPECT_NE(RolesMisfit(Kind::kPrivileged, "editor"), "");
  EXPECT_EQ(RolesMisfit(Kind::kService, "provisioner"), "");
  EXPECT_NE(RolesMisfit(Kind::kService, "provisioner,reader"), "");
  EXPECT_NE(RolesMisfit(Kind::kService, ""), "");
}

TEST(SortedListTest, SortsAndDropsRepeatsAndEmptyItems) {
  EXPECT_EQ(SortedList("north,east,,north"), (std::vector<std::string>{"east", "north"}));
  EXPECT_TRUE(Holds(SortedList("b,a,c"), "c"));
  EXPECT_FALSE(Holds(SortedList("b,a,c"), "d"));
}

}  // namespace
}  // namespace strongroom::identity
