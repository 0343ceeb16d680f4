#include "defense/behaviour.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"
#include "audit/event.h"
#include "defense/audit_tail.h"

namespace strongroom::defense {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 20000));

Fact F(std::string action, std::string username, std::string source, bool allowed,
       TimePoint at = kStart) {
  Fact f;
  f.time = at;
  f.action = std::move(action);
  f.username = std::move(username);
  f.source = std::move(source);
  f.allowed = allowed;
  return f;
}

Fact PasswordFailed(std::string username, std::string source, TimePoint at = kStart) {
  return F("auth.login.password", std::move(username), std::move(source), false, at);
}

std::vector<Pattern::Kind> Kinds(const std::vector<Pattern>& found) {
  std::vector<Pattern::Kind> out;
  for (const auto& p : found) out.push_back(p.kind);
  return out;
}

TEST(BehaviourTest, ManyUsernamesFailingFromOneSourceIsCredentialStuffing) {
  Behaviour b(500);
  for (int i = 0; i < kStuffingUsernames - 1; ++i) {
    EXPECT_TRUE(b.Observe(PasswordFailed("user" + std::to_string(i), "192.0.2.1")).empty());
  }
  const auto found = b.Observe(PasswordFailed("user-last", "192.0.2.1"));
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kCredentialStuffing});
  EXPECT_EQ(found[0].source, "192.0.2.1");
  EXPECT_EQ(found[0].count, kStuffingUsernames);
  EXPECT_EQ(found[0].weight, 4) << "enough to block";
  EXPECT_TRUE(b.Observe(PasswordFailed("one-more", "192.0.2.1")).empty()) << "once a window";
}

TEST(BehaviourTest, OnePersonMistypingAndABusyNatAreNotStuffing) {
  Behaviour b(500);
  // One person, three mistakes, then in.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.Observe(PasswordFailed("ann", "192.0.2.1")).empty());
  EXPECT_TRUE(b.Observe(F("auth.login", "ann", "192.0.2.1", true)).empty());
  // Fifty people behind one NAT: each signs in, two of them after a mistake.
  for (int i = 0; i < 50; ++i) {
    const std::string who = "person" + std::to_string(i);
    if (i % 25 == 0) {
      EXPECT_TRUE(b.Observe(PasswordFailed(who, "198.51.100.7")).empty());
    }
    EXPECT_TRUE(b.Observe(F("auth.login.password", who, "198.51.100.7", true)).empty());
    EXPECT_TRUE(b.Observe(F("auth.login", who, "198.51.100.7", true)).empty());
  }
  // The same failures spread over more than the window never add up.
  for (int i = 0; i < 3 * kStuffingUsernames; ++i) {
    const auto found =
        b.Observe(PasswordFailed("u" + std::to_string(i), "192.0.2.9", kStart + i * minutes(2)));
    EXPECT_TRUE(found.empty()) << i;
  }
}

TEST(BehaviourTest, OneUsernameFailingFromManySourcesIsPasswordSpraying) {
  Behaviour b(500);
  for (int i = 0; i < kSprayingSources - 1; ++i) {
    EXPECT_TRUE(b.Observe(PasswordFailed("ann", "192.0.2." + std::to_string(i))).empty());
  }
  const auto found = b.Observe(PasswordFailed("ann", "203.0.113.1"));
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kPasswordSpraying});
  EXPECT_EQ(found[0].subject, "ann");
  EXPECT_EQ(found[0].weight, 0) << "many sources: nobody to block";
  // The same address many times is one source.
  Behaviour same(500);
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(same.Observe(PasswordFailed("bob", "2001:db8::1")).empty());
}

Fact WrongCode(std::string username, std::string source, TimePoint at) {
  auto f = F("auth.login", std::move(username), std::move(source), false, at);
  f.wrong_code = true;
  return f;
}

TEST(BehaviourTest, WrongSecondFactorsAcrossChallengesAreTotpGuessing) {
  Behaviour b(500);
  for (int i = 0; i < kTotpFailures - 1; ++i) {
    EXPECT_TRUE(b.Observe(WrongCode("ann", "192.0.2.1", kStart + i * seconds(30))).empty());
  }
  const auto found = b.Observe(WrongCode("ann", "192.0.2.1", kStart + minutes(3)));
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kTotpGuessing});
  EXPECT_EQ(found[0].subject, "ann");
  EXPECT_EQ(found[0].weight, 4) << "all from one address: it is blocked";
  // Refusals that are not wrong codes (a stale challenge, an inactive account) do not count.
  Behaviour stale(500);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(stale.Observe(F("auth.login", "bob", "192.0.2.1", false)).empty());
  }
}

TEST(BehaviourTest, GuessesMadeElsewhereNeverBlockTheAddressOfTheLastOne) {
  // Five guesses from the attacker's addresses, then one mistype by the victim at the office: the
  // account is reported, the office is not blocked.
  Behaviour b(500);
  for (int i = 0; i < kTotpFailures - 1; ++i) {
    EXPECT_TRUE(
        b.Observe(WrongCode("ann", "203.0.113." + std::to_string(i), kStart + i * seconds(30)))
            .empty());
  }
  const auto found = b.Observe(WrongCode("ann", "192.0.2.1", kStart + minutes(3)));
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kTotpGuessing});
  EXPECT_EQ(found[0].weight, 0);
}

TEST(BehaviourTest, ABurstOfViewsOfRecordsThatAreNotThereIsEnumeration) {
  Behaviour b(500);
  auto miss = [](TimePoint at) {
    auto f = F("record.view", "rob", "192.0.2.1", false, at);
    f.outcome = "not_found";
    return f;
  };
  for (int i = 0; i < kEnumerationMisses - 1; ++i) {
    auto m = miss(kStart + i * std::chrono::milliseconds(100));
    if (i % 3 == 1) m.action = "record.update";  // a write to a missing record says as much
    if (i % 3 == 2) m.action = "record.delete";
    EXPECT_TRUE(b.Observe(m).empty());
  }
  ASSERT_EQ(Kinds(b.Observe(miss(kStart + seconds(2)))), std::vector{Pattern::Kind::kEnumeration});
  // The same number of misses spread over half an hour is someone following stale links.
  Behaviour slow(500);
  for (int i = 0; i < 3 * kEnumerationMisses; ++i) {
    EXPECT_TRUE(slow.Observe(miss(kStart + i * seconds(30))).empty());
  }
}

TEST(BehaviourTest, ListingJustUnderTheCapIsBulkReading) {
  Behaviour b(500);
  auto list = [](int64_t n, TimePoint at) {
    auto f = F("record.list", "rob", "192.0.2.1", true, at);
    f.count = n;
    return f;
  };
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(b.Observe(list(100, kStart + i * minutes(10))).empty());
  const auto found = b.Observe(list(50, kStart + minutes(50)));  // 450 of 500
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kBulkReading});
  EXPECT_EQ(found[0].count, 450);
  EXPECT_TRUE(b.Observe(list(10, kStart + minutes(60))).empty()) << "once a day";
  // 400 a day, every day, is ordinary work.
  Behaviour steady(500);
  for (int day = 0; day < 3; ++day) {
    for (int i = 0; i < 4; ++i) {
      EXPECT_TRUE(steady.Observe(list(100, kStart + day * std::chrono::hours(25) + i * minutes(1)))
                      .empty());
    }
  }
}

TEST(BehaviourTest, ASessionMovingToAnotherAddressRightAfterFailuresIsReported) {
  Behaviour b(500);
  auto signed_in = F("auth.login", "ann", "192.0.2.1", true);
  signed_in.session = "s1";
  EXPECT_TRUE(b.Observe(signed_in).empty());
  for (int i = 0; i < kNewSourceFailures; ++i) {
    EXPECT_TRUE(b.Observe(PasswordFailed("ann", "203.0.113.5", kStart + minutes(1))).empty());
  }
  auto use = [](std::string source, std::string session) {
    auto f = F("record.view", "ann", std::move(source), true, kStart + minutes(2));
    f.session = std::move(session);
    return f;
  };
  EXPECT_TRUE(b.Observe(use("192.0.2.1", "s1")).empty()) << "where it signed in";
  const auto found = b.Observe(use("203.0.113.5", "s1"));
  ASSERT_EQ(Kinds(found), std::vector{Pattern::Kind::kNewSourceAfterFailures});
  EXPECT_EQ(found[0].source, "203.0.113.5");
  EXPECT_EQ(found[0].weight, 0) << "anyone can fail sign-ins for a victim: it weighs on nobody";
  EXPECT_TRUE(b.Observe(use("203.0.113.5", "s1")).empty()) << "once a session";
  EXPECT_TRUE(b.Observe(use("198.51.100.1", "tok-1")).empty())
      << "a session or token not seen starting is not judged";
  // Without the failures, a session changing address is just a network change.
  Behaviour calm(500);
  auto bob = F("auth.login", "bob", "192.0.2.1", true);
  bob.session = "s2";
  EXPECT_TRUE(calm.Observe(bob).empty());
  auto moved = F("record.view", "bob", "203.0.113.5", true, kStart + minutes(2));
  moved.session = "s2";
  EXPECT_TRUE(calm.Observe(moved).empty());
}

TEST(BehaviourTest, UsernamesThatThenSignInFromThereAreNotCountedAsStuffing) {
  Behaviour b(500);
  for (int i = 0; i < kStuffingUsernames - 1; ++i) {
    const std::string who = "colleague" + std::to_string(i);
    EXPECT_TRUE(b.Observe(PasswordFailed(who, "198.51.100.7")).empty());
    EXPECT_TRUE(b.Observe(F("auth.login.password", who, "198.51.100.7", true)).empty());
  }
  EXPECT_TRUE(b.Observe(PasswordFailed("one-more", "198.51.100.7")).empty());
}

TEST(BehaviourTest, ItsOwnAndTheWafsEventsAreIgnoredAndFactsComeFromCanonicalEvents) {
  Behaviour b(500);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(
        b.Observe(F("security.attack", "u" + std::to_string(i), "192.0.2.1", false)).empty());
  }
  audit::Event e;
  e.sequence = 9;
  e.time = kStart;
  e.actor = {"acc-1", "ann", "standard", "sess1"};
  e.source = "192.0.2.1";
  e.action = "record.list";
  e.allowed = true;
  e.outcome = "ok";
  e.detail["count"] = "42";
  const auto f = FactOf(audit::Canonical(e));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->username, "ann");
  EXPECT_EQ(f->session, "sess1");
  EXPECT_EQ(f->source, "192.0.2.1");
  EXPECT_EQ(f->action, "record.list");
  EXPECT_TRUE(f->allowed);
  EXPECT_EQ(f->count, 42);
  EXPECT_EQ(f->time, kStart);
  EXPECT_FALSE(FactOf("not json"));
}

TEST(AuditTailTest, FollowsTheLogFromItsHeadAndHandsOnWhatItFinds) {
  audit::AuditFixture fx;
  for (int i = 0; i < 20; ++i) {  // before the tail starts: not replayed
    auto e = audit::AuditFixture::MakeEvent("auth.login.password", "x");
    e.actor.username = "old" + std::to_string(i);
    e.allowed = false;
    ASSERT_TRUE(fx.log->Record(e));
  }
  std::vector<Pattern> found;
  AuditTail tail(*fx.log, Behaviour(500), [&](const Pattern& p) { found.push_back(p); });
  ASSERT_TRUE(tail.SkipToHead());
  EXPECT_EQ(*tail.RunOnce(), 0);
  for (int i = 0; i < kStuffingUsernames; ++i) {
    auto e = audit::AuditFixture::MakeEvent("auth.login.password", "x");
    e.actor.username = "new" + std::to_string(i);
    e.source = "192.0.2.44";
    e.allowed = false;
    ASSERT_TRUE(fx.log->Record(e));
  }
  EXPECT_EQ(*tail.RunOnce(), kStuffingUsernames);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, Pattern::Kind::kCredentialStuffing);
  EXPECT_EQ(found[0].source, "192.0.2.44");
  EXPECT_EQ(*tail.RunOnce(), 0) << "each event once";
}

}  // namespace
}  // namespace strongroom::defense
