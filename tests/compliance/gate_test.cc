// The go-live gate's rule (Assess) on fixed dates, and the Gate of a running instance over a real
// store: going live recorded once, readiness by mode, and a daily alert under a moved clock.

#include "compliance/gate.h"

#include <gtest/gtest.h>

#include "identity/auth_fixture.h"
#include "store/meta.h"

namespace strongroom::compliance {
namespace {

using std::chrono::days;

TimePoint Day(const std::string& date) { return *ParseRfc3339(date + "T12:00:00Z"); }

Fingerprint Deployment(const std::string& detection =
                           "on, block mode, paranoia level 1, "
                           "threshold 5") {
  return {{{"release", "1.4"},
           {"listeners", "public 0.0.0.0:443"},
           {"tls", "minimum TLS 1.2"},
           {"store", "sqlite"},
           {"keys", "key file"},
           {"detection", detection},
           {"version", "1.4.2"},
           {"host", "records-1"},
           {"configuration", "sha256:00"}}};
}

PassedCheck Passed(const std::string& id, const std::string& on,
                   const Fingerprint& f = Deployment()) {
  return PassedCheck::Of(id, on, f);
}

TEST(GateRuleTest, AYearAfterTheCheckTheGateCloses) {
  const std::vector<PassedCheck> passed = {Passed("ithc-1", "2026-12-02")};
  const auto at = [&](int days_later) {
    return Assess(Deployment(), true, passed, Day("2026-12-02") + days(days_later)).standing;
  };
  EXPECT_EQ(at(0), Standing::kCovered);
  EXPECT_EQ(at(334), Standing::kCovered);  // 2027-11-01
  EXPECT_EQ(at(335), Standing::kDue);      // 2027-11-02: 30 days before
  EXPECT_EQ(at(364), Standing::kDue);
  EXPECT_EQ(at(365), Standing::kDue);  // 2027-12-02, the day it is due
  EXPECT_EQ(at(366), Standing::kOverdue);
  const auto overdue = Assess(Deployment(), true, passed, Day("2027-12-03"));
  EXPECT_FALSE(overdue.Fit());
  EXPECT_EQ(overdue.check_id, "ithc-1");
  EXPECT_EQ(overdue.due_on, "2027-12-02");
  EXPECT_NE(overdue.reason.find("ithc-1"), std::string::npos);
  EXPECT_EQ(overdue.public_reason.find("ithc-1"), std::string::npos) << "no ids for everyone";
}

TEST(GateRuleTest, TwelveCalendarMonthsFollowTheCalendar) {
  EXPECT_EQ(DueOn("2026-12-02"), "2027-12-02");
  EXPECT_EQ(DueOn("2028-02-29"), "2029-02-28");
  EXPECT_EQ(DueOn("2027-03-01"), "2028-03-01");  // 366 days, over a leap day
  EXPECT_EQ(DueOn("2026-01-31"), "2027-01-31");
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "yesterday", "2026-1-1"}) {
    EXPECT_EQ(DueOn(bad), std::nullopt) << bad;
  }
}

TEST(GateRuleTest, NothingIsLiveWithoutACoveringCheck) {
  const auto none = Assess(Deployment(), false, {}, Day("2026-12-02"));
  EXPECT_EQ(none.standing, Standing::kNotLive);
  EXPECT_FALSE(none.Fit());
  EXPECT_NE(none.public_reason.find("not live"), std::string::npos);
  // A passed check of another deployment covers nothing here, and says what differed.
  const auto other = Assess(Deployment(), false,
                            {Passed("ithc-0", "2026-11-01",
                                    Deployment("on, detect mode, "
                                               "paranoia level 1, "
                                               "threshold 5"))},
                            Day("2026-12-02"));
  EXPECT_EQ(other.standing, Standing::kNotLive);
  EXPECT_NE(other.reason.find("ithc-0"), std::string::npos);
  EXPECT_NE(other.reason.find("detection"), std::string::npos) << other.reason;
  EXPECT_EQ(
      Assess(Deployment(), false, {Passed("ithc-1", "2026-11-01")}, Day("2026-12-02")).standing,
      Standing::kCovered);
}

TEST(GateRuleTest, AMajorChangeAfterGoingLiveClosesTheGate) {
  const std::vector<PassedCheck> passed = {Passed("ithc-1", "2026-11-01")};
  const auto detect = Deployment("on, detect mode, paranoia level 1, threshold 5");
  const auto a = Assess(detect, true, passed, Day("2026-12-02"));
  EXPECT_EQ(a.standing, Standing::kMajorChange);
  EXPECT_FALSE(a.Fit());
  EXPECT_NE(a.reason.find("detection"), std::string::npos) << a.reason;
  // A check of the changed deployment opens it again; the older one does not count for it.
  auto both = passed;
  both.push_back(Passed("ithc-2", "2026-11-20", detect));
  const auto again = Assess(detect, true, both, Day("2026-12-02"));
  EXPECT_EQ(again.standing, Standing::kCovered);
  EXPECT_EQ(again.check_id, "ithc-2");
  EXPECT_EQ(again.due_on, "2027-11-20");
}

TEST(GateRuleTest, TheLatestCoveringCheckCounts) {
  const auto a = Assess(Deployment(), true,
                        {Passed("ithc-new", "2027-06-01"), Passed("ithc-old", "2026-06-01")},
                        Day("2027-07-01"));
  EXPECT_EQ(a.standing, Standing::kCovered);
  EXPECT_EQ(a.check_id, "ithc-new");
}

class GateTest : public ::testing::Test {
 protected:
  // Records a passed check of `fingerprint` performed on `performed_on`, straight into the
  // register's tables (the register's own rules are ithc_register_test's).
  void PassCheck(const std::string& id, const std::string& performed_on,
                 const Fingerprint& fingerprint) {
    const auto officer = f_.Person(id + ".officer", "privileged", "security_officer");
    ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO ithc_checks (id, performed_on, organisation, tester, scope, "
          "report_sha256, fingerprint, fingerprint_digest, recorded_by, recorded_at, status) "
          "VALUES (?, ?, 'Testers Ltd', 'T. Ester', 'everything', ?, ?, ?, ?, ?, 'passed')",
          {id, performed_on, std::string(64, 'a'), fingerprint.Text(), fingerprint.Digest(),
           officer, FormatRfc3339(f_.clock.Now())}));
      return {};
    }));
  }

  std::string Today() const { return FormatRfc3339(f_.clock.Now()).substr(0, 10); }

  identity::AuthFixture f_;
};

TEST_F(GateTest, GoesLiveOnceWhenACheckCoversItAndSaysSo) {
  Gate gate(*f_.store, *f_.audit, f_.clock, GateMode::kEnforce, Deployment());
  auto a = gate.Refresh();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->standing, Standing::kNotLive);
  auto ready = gate.Ready();
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ready.error().message, a->public_reason);
  EXPECT_TRUE(f_.Events("compliance.live").empty());

  PassCheck("ithc-1", Today(), Deployment());
  EXPECT_FALSE(gate.Ready()) << "only what the last Refresh read counts";
  a = gate.Refresh();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->standing, Standing::kCovered);
  EXPECT_TRUE(gate.Ready());
  ASSERT_TRUE(gate.Refresh());
  const auto live = f_.Events("compliance.live");
  ASSERT_EQ(live.size(), 1u) << "going live is recorded once";
  EXPECT_EQ(live.front().at("target").at("id"), "ithc-1");

  // A major change after going live: the gate closes with that reason.
  Gate changed(*f_.store, *f_.audit, f_.clock, GateMode::kEnforce,
               Deployment("on, detect mode, paranoia level 1, threshold 5"));
  a = changed.Refresh();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->standing, Standing::kMajorChange);
  EXPECT_FALSE(changed.Ready());
}

TEST_F(GateTest, WarnModeServesButAlertsOnceADay) {
  Gate gate(*f_.store, *f_.audit, f_.clock, GateMode::kWarn, Deployment());
  ASSERT_TRUE(gate.Refresh());
  EXPECT_TRUE(gate.Ready()) << "warn never holds the service back";
  auto alerted = gate.Round();
  ASSERT_TRUE(alerted);
  EXPECT_TRUE(*alerted);
  EXPECT_FALSE(*gate.Round()) << "one alert a day";
  f_.clock.Advance(days(1));
  EXPECT_TRUE(*gate.Round());
  const auto alerts = f_.Events("compliance.ithc.alert");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts.front().at("detail").at("standing"), "not live");
  EXPECT_EQ(alerts.front().at("detail").at("gate"), "warn");
}

TEST_F(GateTest, UnderAMovedClockAlertsStartThirtyDaysBeforeAndTheGateClosesAfterAYear) {
  PassCheck("ithc-1", Today(), Deployment());
  Gate gate(*f_.store, *f_.audit, f_.clock, GateMode::kEnforce, Deployment());
  ASSERT_TRUE(gate.Refresh());
  EXPECT_FALSE(*gate.Round()) << "covered: no alert";
  f_.clock.Advance(days(340));
  EXPECT_TRUE(*gate.Round()) << "due within 30 days";
  EXPECT_TRUE(gate.Ready());
  f_.clock.Advance(days(24));  // 364 days on
  EXPECT_TRUE(gate.Ready());
  f_.clock.Advance(days(2));  // 366 days on
  EXPECT_FALSE(gate.Ready());
  EXPECT_TRUE(*gate.Round());
  const auto alerts = f_.Events("compliance.ithc.alert");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts.back().at("detail").at("standing"), "overdue");
  EXPECT_EQ(alerts.back().at("decision").at("allow"), false);
}

TEST_F(GateTest, OnlySecurityOfficersReadTheGateAndEachReadIsAudited) {
  PassCheck("ithc-1", Today(), Deployment());
  Gate gate(*f_.store, *f_.audit, f_.clock, GateMode::kOff, Deployment());
  ASSERT_TRUE(gate.Refresh());
  auto who = f_.ByHand("acc-x", "org-a", identity::Kind::kStandard, "reader");
  auto refused = gate.Show(who, f_.ctx);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  who.account.kind = identity::Kind::kPrivileged;
  who.account.roles = *identity::Roles::Parse("security_officer");
  auto shown = gate.Show(who, f_.ctx);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->standing, Standing::kCovered) << "read at start even when the gate is off";
  const auto events = f_.Events("compliance.read");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("decision").at("allow"), false);
}

TEST_F(GateTest, OffNeitherGatesNorAlerts) {
  Gate gate(*f_.store, *f_.audit, f_.clock, GateMode::kOff, Deployment());
  ASSERT_TRUE(gate.Refresh());
  EXPECT_TRUE(gate.Ready());
  EXPECT_FALSE(*gate.Round());
  EXPECT_TRUE(f_.Events("compliance.ithc.alert").empty());
}

}  // namespace
}  // namespace strongroom::compliance
