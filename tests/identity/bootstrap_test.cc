// The first two officers as `init --officer` gives them: their BPSS date is parsed, checked and
// kept with the person.

#include "identity/bootstrap.h"

#include <gtest/gtest.h>

#include "identity/auth_fixture.h"

namespace strongroom::identity {
namespace {

const TimePoint kNow = *ParseRfc3339("2027-01-15T12:00:00Z");

TEST(OfficerSpecTest, TheBpssDateIsOptionalButMustBeARealPastDay) {
  auto plain = ParseOfficerSpec("ann.able,Ann Able,Ann@Example.org", kNow);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->email, "ann@example.org");
  EXPECT_EQ(plain->bpss_verified_on, "");
  auto dated = ParseOfficerSpec("ann.able,Ann Able,ann@example.org,2027-01-15", kNow);
  ASSERT_TRUE(dated);
  EXPECT_EQ(dated->bpss_verified_on, "2027-01-15");
  for (const char* bad :
       {"ann.able,Ann Able,ann@example.org,2027-01-16", "ann.able,Ann Able,ann@example.org,",
        "ann.able,Ann Able,ann@example.org,2027-02-30", "ann.able,Ann Able,ann@example.org,x",
        "ann.able,Ann Able,ann@example.org,2027-01-15,extra", "ann.able,Ann Able"}) {
    auto r = ParseOfficerSpec(bad, kNow);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(OfficerSpecTest, BootstrapKeepsEachOfficersBpssDate) {
  AuthFixture f;
  auto issued =
      BootstrapOfficers(*f.store, *f.audit, *f.keys, f.clock, crypto::DefaultRandom(),
                        {*ParseOfficerSpec("ann.able,Ann Able,ann@example.org,2026-11-02", kNow),
                         *ParseOfficerSpec("bob.baker,Bob Baker,bob@example.org", kNow)});
  ASSERT_TRUE(issued) << issued.error().message;
  auto rows = store::ReadValue<std::vector<store::Row>>(*f.store, [](store::Transaction& tx) {
    return tx.Query("SELECT email, bpss_verified_on, bpss_verified_by FROM people ORDER BY email");
  });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(1), "2026-11-02");
  EXPECT_EQ((*rows)[0].Text(2), "declared at init");
  EXPECT_TRUE((*rows)[1].IsNull(1));
  EXPECT_EQ(f.Events("admin.bootstrap.officer").front().at("detail").at("bpss_verified_on"),
            "2026-11-02");
}

}  // namespace
}  // namespace strongroom::identity
