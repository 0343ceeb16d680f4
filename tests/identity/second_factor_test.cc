// Second factors at the service level: counted and throttled per account, across challenges
// and sessions, one after another however they arrive, and locking the account at the limit.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "identity/auth.h"
#include "identity/auth_fixture.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class SecondFactorTest : public AuthTest {};

TEST_F(SecondFactorTest, WrongSecondFactorsAcrossChallengesAreThrottledAndLockTheAccount) {
  const auto id = f_.Person("ann.smith");
  int throttled = 0;
  for (int wrong = 1; wrong <= 10; ++wrong) {
    auto challenge =
        Patiently([&] { return f_.auth->sign_in.Login("ann.smith", kPassword, "", f_.ctx); });
    ASSERT_TRUE(challenge) << wrong;
    // A fresh challenge each time, as the tester did: the count is the account's.
    auto r = f_.auth->sign_in.CompleteMfa(challenge->challenge, "000000", f_.ctx);
    if (!r && r.error().code == ErrorCode::kResourceExhausted) {
      ++throttled;
      EXPECT_EQ(f_.Events("auth.login").size(), static_cast<size_t>(wrong - 1))
          << "a throttled code is not checked";
      f_.clock.Advance(std::chrono::seconds(r.error().retry_after_s));
      r = f_.auth->sign_in.CompleteMfa(challenge->challenge, "000000", f_.ctx);
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << wrong;
  }
  EXPECT_GE(throttled, 5);  // from the fourth on, each came too soon
  EXPECT_EQ(f_.Status(id), "locked");
  ASSERT_EQ(f_.Events("security.mfa.locked").size(), 1u);
  EXPECT_GE(f_.Events("security.throttled").size(), 5u);
  // Even the right code on a new challenge cannot sign in now: the password step refuses.
  f_.NextStep();
  EXPECT_EQ(f_.SignIn("ann.smith").error().code, ErrorCode::kUnauthenticated);
}

TEST_F(SecondFactorTest, OnlyACorrectCodeResetsTheCount) {
  f_.Person("ann.smith");
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 2; ++i) {  // two wrong, then right: never throttled, never locked
      auto challenge = f_.auth->sign_in.Login("ann.smith", kPassword, "", f_.ctx);
      ASSERT_TRUE(challenge);
      EXPECT_EQ(f_.auth->sign_in.CompleteMfa(challenge->challenge, "999999", f_.ctx).error().code,
                ErrorCode::kUnauthenticated);
    }
    ASSERT_TRUE(f_.SignIn("ann.smith")) << round;
    f_.NextStep();
  }
  EXPECT_TRUE(f_.Events("security.throttled").empty());
}

TEST_F(SecondFactorTest, ConcurrentGuessesAreCountedOneAfterAnother) {
  f_.Person("olly.officer", "privileged", "security_officer");
  auto session = f_.SignIn("olly.officer");
  ASSERT_TRUE(session);
  auto principal = f_.auth->sessions.Authenticate(session->token);
  ASSERT_TRUE(principal);
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const auto code = fmt::format("{:06}", t * 1000 + i);
        if (f_.auth->sessions.Reauthenticate(*principal, code, f_.ctx)) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  // 320 guesses: only the first three were checked against the secret.
  size_t checked = 0;
  for (const auto& e : f_.Events("auth.reauth")) {
    if (e.at("decision").at("reason").as_string() == "wrong TOTP code") ++checked;
  }
  EXPECT_EQ(checked, 3u);
  EXPECT_EQ(accepted.load(), 0);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token));
}

}  // namespace
}  // namespace strongroom::identity
