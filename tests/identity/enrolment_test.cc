// Enrolment at the service level: tokens bound by their first use, and wrong codes slowed and
// counted until the token is spent.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "identity/auth.h"
#include "identity/auth_fixture.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class EnrolmentTest : public AuthTest {};

// Found in review: with the token bound by its first use, whoever caught a token in transit could
// guess the first code without limit and take the recovery codes.
TEST_F(EnrolmentTest, WrongEnrolmentCodesAreSlowedAndSpendTheToken) {
  const auto approved = f_.Pending("new.person");
  auto start = f_.auth->enrolment.Begin(approved.enrolment_token, kPassword, f_.ctx);
  ASSERT_TRUE(start);
  f_.KeepSecret("new.person", *start);
  int wrong = 0, throttled = 0;
  while (wrong < 5) {
    auto r = f_.auth->enrolment.Confirm(approved.enrolment_token, "000000", f_.ctx);
    ASSERT_FALSE(r);
    if (r.error().code == ErrorCode::kResourceExhausted) {
      ++throttled;
      f_.clock.Advance(std::chrono::seconds(r.error().retry_after_s));
      continue;
    }
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    ++wrong;
  }
  EXPECT_GT(throttled, 0);
  // Spent: the right code no longer enrols.
  f_.clock.Advance(std::chrono::minutes(2));
  EXPECT_FALSE(f_.auth->enrolment.Confirm(approved.enrolment_token, f_.Code("new.person"), f_.ctx));
  EXPECT_EQ(f_.Events("security.enrolment.ended").size(), 1u);
  EXPECT_EQ(f_.Status(approved.account_id), "pending_enrolment");
}

TEST_F(EnrolmentTest, TheFirstEnrolmentBindsItsToken) {
  const auto approved = f_.Pending("new.person");
  auto first = f_.auth->enrolment.Begin(approved.enrolment_token, kPassword, f_.ctx);
  ASSERT_TRUE(first);
  auto second =
      f_.auth->enrolment.Begin(approved.enrolment_token, "another long passphrase", f_.ctx);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  auto events = f_.Events("auth.enrol.begin");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[1].at("decision").at("allow").as_bool());
  // The first password and secret stand.
  f_.KeepSecret("new.person", *first);
  ASSERT_TRUE(f_.auth->enrolment.Confirm(approved.enrolment_token, f_.Code("new.person"), f_.ctx));
  f_.NextStep();
  EXPECT_TRUE(f_.SignIn("new.person"));
}

}  // namespace
}  // namespace strongroom::identity
