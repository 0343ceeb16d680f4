// Sign-in at the service level: the same work for unknown and known usernames, attempts counted
// before they are checked, and lockout that an attacker cannot turn against the owner's own
// devices.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "identity/auth.h"
#include "identity/auth_fixture.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class SignInTest : public AuthTest {};

// Finding: a wrong password for an existing username did one more store write than for an
// unknown one (2-4 ms, measurable from outside). Both now do the same reads, the same writes with
// the same statements, and the same Argon2id work; so does a locked account given its password.
TEST_F(SignInTest, UnknownAndKnownUsernamesDoTheSameWork) {
  f_.Person("ann.smith");
  const auto locked = f_.Person("lee.locked");
  (void)f_.sqlite->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'locked' WHERE id = ?", {locked}));
    return {};
  });
  auto work = [&](const std::string& user, const std::string& password, int source) {
    f_.store->Take();
    const auto before = crypto::ArgonVerifications();
    auto r = f_.auth->sign_in.Login(user, password, "", From(source));
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << user;
    return std::make_pair(f_.store->Take(), crypto::ArgonVerifications() - before);
  };
  const auto unknown = work("nobody.here", "wrong password", 1);
  const auto known = work("ann.smith", "wrong password", 2);
  const auto locked_right = work("lee.locked", kPassword, 3);
  const auto malformed = work("Not A Username!", "wrong password", 4);
  EXPECT_EQ(unknown.second, 1u);
  ASSERT_EQ(unknown.first.size(), 3u);  // the device read; the count before the hash; the refusal
  EXPECT_FALSE(unknown.first[0].write);
  EXPECT_TRUE(unknown.first[1].write);
  EXPECT_TRUE(unknown.first[2].write);
  for (const auto* other : {&known, &locked_right, &malformed}) {
    EXPECT_EQ(other->first, unknown.first);
    EXPECT_EQ(other->second, unknown.second);
  }
}

// Sign-in attempts that arrive together are counted one after another, before any is checked:
// a burst cannot test more guesses than the limits allow.
TEST_F(SignInTest, ConcurrentWrongPasswordsAreCountedBeforeTheyAreChecked) {
  const auto id = f_.Person("ann.smith");
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        (void)f_.auth->sign_in.Login("ann.smith", fmt::format("guess {} {}", t, i), "",
                                     From(100 + t));
      }
    });
  }
  for (auto& t : threads) t.join();
  size_t checked = 0;
  for (const auto& e : f_.Events("auth.login.password")) {
    const std::string reason(e.at("decision").at("reason").as_string());
    if (reason.starts_with("wrong password")) ++checked;
  }
  EXPECT_EQ(checked, 10u) << "48 guesses at once: ten were checked, then unknown devices locked";
  EXPECT_EQ(f_.auth->sign_in.Login("ann.smith", kPassword, "", From(99)).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(f_.Status(id), "active");
}

TEST_F(SignInTest, AnAddressBurstReachesTheHashOnlyAsOftenAsItsAllowance) {
  std::vector<std::thread> threads;
  const auto before = crypto::ArgonVerifications();
  std::atomic<int> throttled{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        auto r = f_.auth->sign_in.Login(fmt::format("nobody.{}.{}", t, i), "x", "", From(7));
        if (!r && r.error().code == ErrorCode::kResourceExhausted) ++throttled;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(crypto::ArgonVerifications() - before, 10u) << "the address's burst of ten";
  EXPECT_EQ(throttled.load(), 22);
}

// Finding: ten wrong passwords from anywhere locked any known username until an admin came.
TEST_F(SignInTest, AnAttackerLocksOutUnknownDevicesOnlyAndTheOwnersDeviceSignsIn) {
  const auto id = f_.Person("ann.smith");
  auto first = f_.SignIn("ann.smith");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->device_token.size(), 64u);  // this client is now a known device
  f_.NextStep();
  // Thirty addresses, three wrong passwords each (under every per-address limit).
  for (int source = 1; source <= 30; ++source) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(f_.auth->sign_in.Login("ann.smith", "guess " + std::to_string(i), "", From(source))
                    .error()
                    .code,
                ErrorCode::kUnauthenticated);
    }
  }
  // Unknown devices are locked out, the right password included, with the usual answer.
  EXPECT_EQ(f_.auth->sign_in.Login("ann.smith", kPassword, "", From(99)).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(f_.Status(id), "active");
  // The owner's device signs in, and is told of the attempts.
  auto owner = f_.SignIn("ann.smith", first->device_token);
  ASSERT_TRUE(owner) << owner.error().message;
  EXPECT_TRUE(owner->device_token.empty()) << "a known device keeps its cookie";
  EXPECT_EQ(owner->failed_attempts, 91);
  EXPECT_EQ(owner->last_failed_at, FormatRfc3339(f_.clock.Now()));
  f_.NextStep();
  auto again = f_.SignIn("ann.smith", first->device_token);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->failed_attempts, 0) << "told once";
  // The lock ends by itself after 15 minutes; ten more failures in a row lock twice as long.
  f_.clock.Advance(15min);
  for (int source = 31; source <= 40; ++source) {
    EXPECT_EQ(f_.auth->sign_in.Login("ann.smith", "wrong", "", From(source)).error().code,
              ErrorCode::kUnauthenticated);
  }
  f_.clock.Advance(16min);
  EXPECT_EQ(f_.auth->sign_in.Login("ann.smith", kPassword, "", From(97)).error().code,
            ErrorCode::kUnauthenticated);
  f_.clock.Advance(15min);
  f_.NextStep();
  EXPECT_TRUE(f_.SignIn("ann.smith", "", From(98))) << "open again after 30 minutes";
  EXPECT_EQ(f_.Status(id), "active") << "no admin was needed";
  EXPECT_EQ(f_.Events("auth.login.password").back().at("detail").at("device").as_string(),
            "unknown");
}

TEST_F(SignInTest, AKnownDeviceHasItsOwnAllowance) {
  f_.Person("ann.smith");
  auto first = f_.SignIn("ann.smith");
  ASSERT_TRUE(first);
  const auto device = first->device_token;
  f_.NextStep();
  // Someone with the device guesses: ten wrong (waiting out the delays) lock that device only.
  for (int i = 0; i < 10; ++i) {
    auto r =
        Patiently([&] { return f_.auth->sign_in.Login("ann.smith", "wrong", device, f_.ctx); });
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
  auto locked =
      Patiently([&] { return f_.auth->sign_in.Login("ann.smith", kPassword, device, f_.ctx); });
  EXPECT_EQ(locked.error().code, ErrorCode::kUnauthenticated) << "the device is locked out";
  EXPECT_TRUE(f_.SignIn("ann.smith", "", From(50))) << "unknown devices were never locked";
}

TEST_F(SignInTest, HostileDeviceCookiesNameNoDevice) {
  f_.Person("ann.smith");
  const std::vector<std::string> hostile = {"' OR 1=1 --",
                                            std::string(64, 'z'),
                                            std::string(64, '\0'),
                                            std::string(10'000, 'a'),
                                            "<script>alert(1)</script>",
                                            std::string(63, '0') + "\n"};
  for (const auto& cookie : hostile) {
    auto session = f_.SignIn("ann.smith", cookie);
    ASSERT_TRUE(session) << session.error().message;
    EXPECT_FALSE(session->device_known);
    EXPECT_EQ(session->device_token.size(), 64u) << "signed in as from a new device";
    f_.NextStep();
  }
  EXPECT_EQ(f_.Events("auth.login.password").size(), hostile.size());
}

TEST_F(SignInTest, AnotherAccountsDeviceCookieIsAnUnknownDevice) {
  f_.Person("ann.smith");
  f_.Person("bob.jones");
  auto bob = f_.SignIn("bob.jones");
  ASSERT_TRUE(bob);
  for (int source = 1; source <= 4; ++source) {
    for (int i = 0; i < 3; ++i)
      (void)f_.auth->sign_in.Login("ann.smith", "wrong", "", From(source));
  }
  EXPECT_FALSE(f_.SignIn("ann.smith", bob->device_token)) << "Bob's device is not Ann's";
}

}  // namespace
}  // namespace strongroom::identity
