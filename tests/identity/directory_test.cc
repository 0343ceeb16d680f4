// The directory at the service level: accounts made once per person and kind with usernames never
// reused, and what leaving, expiring and suspending an organisation end.

#include "identity/directory.h"

#include <gtest/gtest.h>

#include "identity/auth.h"
#include "identity/auth_fixture.h"
#include "identity/tokens.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class DirectoryTest : public AuthTest {
 protected:
  NewAccount Joiner(const std::string& username, const std::string& email,
                    const std::string& kind = "standard") {
    return {"org-a", username,     "Person",
            email,   kind,         kind == "standard" ? "reader" : "org_admin",
            "",      "",           "2026-01-01",
            "HR",    std::nullopt, 90};
  }

  Result<MadeAccount> Insert(const NewAccount& a) {
    return store::WriteValue<MadeAccount>(*f_.store, [&](store::Transaction& tx) {
      return InsertAccount(tx, crypto::DefaultRandom(), f_.clock.Now(), a, 72h);
    });
  }

  template <typename Fn>
  void Write(Fn fn) {
    ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> { return fn(tx); }));
  }
};

TEST_F(DirectoryTest, OneLiveAccountPerPersonAndKindAndUsernamesAreNeverReused) {
  auto first = Insert(Joiner("ann.smith", "ann@example.org"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->enrolment_token.size(), 64u);
  EXPECT_EQ(Insert(Joiner("ann.smith", "other@example.org")).error().code,
            ErrorCode::kAlreadyExists)
      << "the username is taken";
  EXPECT_EQ(Insert(Joiner("ann.two", "ann@example.org")).error().code, ErrorCode::kAlreadyExists)
      << "the person holds a standard account";
  EXPECT_TRUE(Insert(Joiner("ann.admin", "ann@example.org", "privileged")))
      << "and may hold a privileged one beside it";
  // A leaver who returns gets a new account; the old username stays taken.
  Write([&](store::Transaction& tx) { return MarkLeft(tx, first->account_id, f_.clock.Now()); });
  EXPECT_EQ(Insert(Joiner("ann.smith", "ann@example.org")).error().code, ErrorCode::kAlreadyExists);
  auto back = Insert(Joiner("ann.smith2", "ann@example.org"));
  ASSERT_TRUE(back) << back.error().message;
  // By email, the live account is the one named; by username, exactly that account.
  Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto by_email, FindAccountNamed(tx, "ann@example.org", true));
    EXPECT_EQ(by_email->id, back->account_id);
    ASSIGN_OR_RETURN(auto old, FindAccountNamed(tx, "ann.smith", false));
    EXPECT_EQ(old->status, "left");
    ASSIGN_OR_RETURN(auto nobody, FindAccountNamed(tx, "' OR 1=1 --", false));
    EXPECT_FALSE(nobody);
    return {};
  });
}

TEST_F(DirectoryTest, LeavingEndsEveryWayIn) {
  const auto id = f_.Person("ann.smith");
  auto session = f_.SignIn("ann.smith");
  ASSERT_TRUE(session);
  f_.NextStep();
  auto challenge = f_.auth->sign_in.Login("ann.smith", kPassword, session->device_token, f_.ctx);
  ASSERT_TRUE(challenge);
  Write([&](store::Transaction& tx) { return MarkLeft(tx, id, f_.clock.Now()); });
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token));
  EXPECT_FALSE(f_.auth->sign_in.CompleteMfa(challenge->challenge, f_.Code("ann.smith"), f_.ctx));
  EXPECT_EQ(f_.Status(id), "left");
  Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto devices,
                     tx.Query("SELECT 1 FROM known_devices WHERE account_id = ?", {id}));
    EXPECT_TRUE(devices.empty()) << "its devices are forgotten";
    return {};
  });
}

TEST_F(DirectoryTest, ExpiryNowEndsAccessAndRevalidationBringsTheAccountBack) {
  const auto id = f_.Person("ann.smith");
  auto session = f_.SignIn("ann.smith");
  ASSERT_TRUE(session);
  const auto now = f_.clock.Now();
  Write([&](store::Transaction& tx) { return SetExpiry(tx, id, now + 24h, now); });
  EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token)) << "a later date ends nothing";
  Write([&](store::Transaction& tx) { return SetExpiry(tx, id, now, now); });
  EXPECT_EQ(f_.Status(id), "expired");
  EXPECT_FALSE(f_.auth->sessions.Authenticate(session->token));
  Write([&](store::Transaction& tx) { return Revalidate(tx, id, now + 24h); });
  EXPECT_EQ(f_.Status(id), "active") << "as it was before it expired";
  const auto pending = f_.Pending("bob.jones").account_id;
  Write([&](store::Transaction& tx) { return SetExpiry(tx, pending, now, now); });
  Write([&](store::Transaction& tx) { return Revalidate(tx, pending, now + 24h); });
  EXPECT_EQ(f_.Status(pending), "pending_enrolment") << "still to enrol";
}

TEST_F(DirectoryTest, TheExpiryJobLeavesLockedAccountsLocked) {
  const auto active = f_.Person("ann.smith");
  const auto locked = f_.Person("bob.jones");
  Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'locked' WHERE id = ?", {locked}));
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET expires_at = ?", {FormatRfc3339(f_.clock.Now() - 1h)}));
    ASSIGN_OR_RETURN(auto expired, ExpireDue(tx, f_.clock.Now(), 10));
    EXPECT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired.front().first, active);
    return {};
  });
  EXPECT_EQ(f_.Status(active), "expired");
  EXPECT_EQ(f_.Status(locked), "locked");
}

}  // namespace
}  // namespace strongroom::identity
