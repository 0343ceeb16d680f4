// Sessions at the service level: re-authentication, timeouts, CSRF and sign-out.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "identity/auth.h"
#include "identity/auth_fixture.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class SessionsTest : public AuthTest {};

TEST_F(SessionsTest, WrongReauthenticationCodesEndTheSessionAndCountForTheAccount) {
  const auto id = f_.Person("olly.officer", "privileged", "security_officer");
  auto session = f_.SignIn("olly.officer");
  ASSERT_TRUE(session) << session.error().message;
  auto principal = f_.auth->sessions.Authenticate(session->token);
  ASSERT_TRUE(principal);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(f_.auth->sessions.Reauthenticate(*principal, "000000", f_.ctx).error().code,
              ErrorCode::kUnauthenticated);
    EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token)) << "still alive after " << i + 1;
  }
  EXPECT_EQ(f_.auth->sessions.Reauthenticate(*principal, "000000", f_.ctx).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token)) << "ended by the third";
  ASSERT_EQ(f_.Events("security.session.ended").size(), 1u);
  EXPECT_EQ(f_.Events("security.session.ended")[0].at("actor").at("id").as_string(), id);
  // The right code on the dead session does nothing.
  EXPECT_FALSE(f_.auth->sessions.Reauthenticate(*principal, f_.Code("olly.officer"), f_.ctx));
  // The three count for the account: seven more at sign-in lock it.
  for (int wrong = 0; wrong < 7; ++wrong) {
    auto r = Patiently([&]() -> Result<NewSession> {
      ASSIGN_OR_RETURN(auto c, f_.auth->sign_in.Login("olly.officer", kPassword, "", f_.ctx));
      return f_.auth->sign_in.CompleteMfa(c.challenge, "000000", f_.ctx);
    });
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(f_.Status(id), "locked");
}

TEST_F(SessionsTest, IdleAndAbsoluteTimeoutsEndASession) {
  f_.Person("ann.smith");
  auto idle = f_.SignIn("ann.smith");
  ASSERT_TRUE(idle);
  f_.clock.Advance(f_.auth->options().idle_timeout - 1s);
  EXPECT_TRUE(f_.auth->sessions.Authenticate(idle->token)) << "used just in time";
  f_.clock.Advance(f_.auth->options().idle_timeout + 1s);
  EXPECT_EQ(f_.auth->sessions.Authenticate(idle->token).error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(idle->token)) << "and it stays ended";

  f_.NextStep();
  auto busy = f_.SignIn("ann.smith");
  ASSERT_TRUE(busy);
  // Used every four minutes (never idle), it still ends at the absolute timeout.
  const auto absolute = f_.auth->options().absolute_timeout;
  bool alive_until_the_end = true;
  auto used = 0min;
  for (; used + 4min < absolute; used += 4min) {
    f_.clock.Advance(4min);
    alive_until_the_end = alive_until_the_end && f_.auth->sessions.Authenticate(busy->token);
  }
  EXPECT_TRUE(alive_until_the_end);
  f_.clock.Advance(absolute - used + 1s);  // under the idle timeout since its last use
  EXPECT_FALSE(f_.auth->sessions.Authenticate(busy->token));
}

TEST_F(SessionsTest, HostileTokensAuthenticateNothing) {
  f_.Person("ann.smith");
  auto session = f_.SignIn("ann.smith");
  ASSERT_TRUE(session);
  auto near = session->token;
  near.back() = near.back() == '0' ? '1' : '0';
  const std::vector<std::string> hostile = {std::string(),
                                            std::string(64, '0'),
                                            near,
                                            session->token + "0",
                                            session->token.substr(1),
                                            session->csrf_token,
                                            std::string("' OR '1'='1") + std::string(53, 'a')};
  for (size_t i = 0; i < hostile.size(); ++i) {  // a failure names the case, never the token
    EXPECT_EQ(f_.auth->sessions.Authenticate(hostile[i]).error().code, ErrorCode::kUnauthenticated)
        << "case " << i;
  }
  EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token)) << "the real one still works";
}

TEST_F(SessionsTest, TheCsrfTokenIsTheSessionsOwn) {
  f_.Person("ann.smith");
  f_.Person("bob.jones");
  auto ann = f_.SignIn("ann.smith");
  auto bob = f_.SignIn("bob.jones");
  ASSERT_TRUE(ann && bob);
  auto principal = f_.auth->sessions.Authenticate(ann->token);
  ASSERT_TRUE(principal);
  auto& sessions = f_.auth->sessions;
  EXPECT_TRUE(sessions.CheckChange(*principal, true, ann->csrf_token, f_.ctx));
  EXPECT_TRUE(f_.Events("auth.csrf").empty());
  const std::vector<std::string> wrong = {std::string(), bob->csrf_token, ann->token,
                                          ann->csrf_token.substr(0, 63), ann->csrf_token + "a"};
  for (size_t i = 0; i < wrong.size(); ++i) {  // a failure names the case, never the token
    EXPECT_EQ(sessions.CheckChange(*principal, true, wrong[i], f_.ctx).error().code,
              ErrorCode::kPermissionDenied)
        << "case " << i;
  }
  // Its own token from another origin: refused too.
  EXPECT_EQ(sessions.CheckChange(*principal, false, ann->csrf_token, f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
  // Each refusal is audited as the session's account, and names no token.
  const auto refused = f_.Events("auth.csrf");
  ASSERT_EQ(refused.size(), wrong.size() + 1);
  EXPECT_EQ(refused.front().at("decision").at("reason").as_string(), "no CSRF token");
  EXPECT_EQ(refused.at(1).at("decision").at("reason").as_string(), "wrong CSRF token");
  EXPECT_EQ(refused.back().at("decision").at("reason").as_string(), "another origin");
  for (const auto& e : refused) {
    EXPECT_EQ(e.at("actor").at("id").as_string(), principal->account.id);
    EXPECT_FALSE(e.at("decision").at("allow").as_bool());
    const auto text = boost::json::serialize(e);
    EXPECT_EQ(text.find(ann->csrf_token.substr(0, 16)), std::string::npos);
    EXPECT_EQ(text.find(bob->csrf_token.substr(0, 16)), std::string::npos);
  }
}

// A session is answered from memory once read; while the store cannot hear of other nodes'
// commits (store.h, SeesEveryCommit), each request reads the store again.
TEST_F(SessionsTest, MemoryAnswersOnlyWhileTheStoreHearsEveryCommit) {
  f_.Person("ann.smith");
  auto session = f_.SignIn("ann.smith");
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  auto reads = [&] {
    int n = 0;
    for (const auto& call : f_.store->Take()) n += call.write ? 0 : 1;
    return n;
  };
  (void)reads();
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  EXPECT_EQ(reads(), 0) << "from memory";
  f_.store->SetBlind(true);
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  EXPECT_EQ(reads(), 2) << "blind: from the store, each time";
  f_.store->SetBlind(false);
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  (void)reads();
  ASSERT_TRUE(f_.auth->sessions.Authenticate(session->token));
  EXPECT_EQ(reads(), 0) << "from memory again";
}

TEST_F(SessionsTest, SignOutEndsThatSessionOnly) {
  f_.Person("ann.smith");
  auto laptop = f_.SignIn("ann.smith");
  f_.NextStep();
  auto phone = f_.SignIn("ann.smith");
  ASSERT_TRUE(laptop && phone);
  auto principal = f_.auth->sessions.Authenticate(laptop->token);
  ASSERT_TRUE(principal);
  ASSERT_TRUE(f_.auth->sessions.Logout(*principal, f_.ctx));
  EXPECT_FALSE(f_.auth->sessions.Authenticate(laptop->token));
  EXPECT_TRUE(f_.auth->sessions.Authenticate(phone->token));
  ASSERT_EQ(f_.Events("auth.logout").size(), 1u);
  EXPECT_EQ(f_.Events("auth.logout")[0].at("target").at("id").as_string(), principal->session_id);
}

TEST_F(SessionsTest, APrivilegedAccountHoldsOneSessionAStandardOneThree) {
  f_.Person("olly.officer", "privileged", "security_officer");
  f_.Person("ann.smith");
  std::vector<std::string> officer, standard;
  for (int i = 0; i < 4; ++i) {
    officer.push_back(f_.SignIn("olly.officer")->token);
    standard.push_back(f_.SignIn("ann.smith")->token);
    f_.NextStep();
  }
  // The newest survive; the oldest were ended to make room.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(static_cast<bool>(f_.auth->sessions.Authenticate(officer[i])), i == 3) << i;
    EXPECT_EQ(static_cast<bool>(f_.auth->sessions.Authenticate(standard[i])), i >= 1) << i;
  }
}

TEST_F(SessionsTest, AFreshSecondFactorLastsItsWindow) {
  f_.Person("olly.officer", "privileged", "security_officer");
  auto session = f_.SignIn("olly.officer");
  ASSERT_TRUE(session);
  auto authenticated = [&] {
    auto p = f_.auth->sessions.Authenticate(session->token);
    EXPECT_TRUE(p) << "the session is alive";
    return p.value_or(Principal{});
  };
  EXPECT_TRUE(f_.auth->sessions.RequireRecentMfa(authenticated())) << "signing in proves one";
  // In use throughout (never idle), the proof goes stale after its window.
  f_.clock.Advance(3min);
  (void)authenticated();
  f_.clock.Advance(f_.auth->options().reauth_window - 3min + 1s);
  auto principal = authenticated();
  EXPECT_EQ(f_.auth->sessions.RequireRecentMfa(principal).error().code,
            ErrorCode::kPermissionDenied);
  f_.NextStep();
  ASSERT_TRUE(f_.auth->sessions.Reauthenticate(principal, f_.Code("olly.officer"), f_.ctx));
  EXPECT_TRUE(f_.auth->sessions.RequireRecentMfa(authenticated()));
}

}  // namespace
}  // namespace strongroom::identity
