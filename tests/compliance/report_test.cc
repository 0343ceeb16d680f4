// The compliance report's statuses are computed: from a healthy instance's facts every control is
// met, and each fact turned bad flips the control it belongs to (table-driven). The facts
// themselves are read from a real store (GatherFacts), each table through its owner.

#include "compliance/report.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "compliance/production_toml.h"
#include "identity/auth_fixture.h"

namespace strongroom::compliance {
namespace {

using std::chrono::days;
using std::chrono::hours;

constexpr const char* kHealthy = kProductionToml;

const TimePoint kNow = *ParseRfc3339("2027-06-01T12:00:00Z");

Fingerprint Deployment() { return {{{"release", "1.4"}, {"version", "1.4.2"}}}; }

// The healthy file with `extra` ("[section]\nlines"): added to that section, or appended.
Config ConfigWith(const std::string& extra = "") {
  std::string text = kHealthy;
  const auto header = extra.substr(0, extra.find('\n') + 1);
  if (const auto at = text.find(header); !header.empty() && at != std::string::npos) {
    text.insert(at + header.size(), extra.substr(header.size()));
  } else {
    text += extra;
  }
  auto cfg = ParseConfig(text, "/etc/sr/strongroom.toml");
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? *cfg : Config{};
}

ReportFacts Healthy() {
  ReportFacts f;
  f.now = kNow;
  f.store_environment = "production";
  f.people.orgs_active = 2;
  f.people.accounts_active = 40;
  f.people.standard = 30;
  f.people.editors = 10;
  f.records = {0, "", 3, 1200};
  f.audit = {5000, 4990, "2027-06-01T11:59:59Z", 4995, "2027-06-01T11:59:55Z"};
  f.gate =
      Assess(Deployment(), true, {PassedCheck::Of("ithc-1", "2027-01-10", Deployment())}, kNow);
  f.last_check_on = "2027-01-10";
  f.files.certificate = crypto::CertificateFacts{kNow + days(200), false, "EC", 256};
  f.files.master_key_mode = 0600;
  f.idle_timeout = std::chrono::minutes(5);
  return f;
}

Status StatusOf(const Report& r, const std::string& id) {
  for (const auto& c : r.controls) {
    if (c.id == id) return c.status;
  }
  ADD_FAILURE() << "no control " << id;
  return Status::kMet;
}

TEST(ReportTest, AHealthyInstanceMeetsEveryControl) {
  const auto r = Evaluate(ConfigWith(), Deployment(), Healthy());
  EXPECT_EQ(r.controls.size(), 25u);
  for (const auto& c : r.controls) {
    EXPECT_EQ(c.status, Status::kMet) << c.id << ": " << c.reason;
    EXPECT_FALSE(c.mechanism.empty()) << c.id;
    EXPECT_FALSE(c.reason.empty()) << c.id;
  }
  EXPECT_EQ(r.Count(Status::kMet), 25);
}

TEST(ReportTest, ThePurgeControlShowsHowLongBackupsKeepWhatItShreds) {
  for (const auto& [extra, shown] :
       {std::pair{std::string(), "35"},
        std::pair{std::string("[backup]\nretention_days = 7\n"), "7"}}) {
    const auto r = Evaluate(ConfigWith(extra), Deployment(), Healthy());
    bool found = false;
    for (const auto& c : r.controls) {
      if (c.id != "purge") continue;
      for (const auto& [k, v] : c.settings) {
        if (k == "backup.retention_days") {
          found = true;
          EXPECT_EQ(v, shown);
        }
      }
    }
    EXPECT_TRUE(found) << extra;
  }
}

struct Flip {
  const char* control;
  Status expected;
  std::string config;                      // added to the healthy configuration
  std::function<void(ReportFacts&)> fact;  // or a fact turned bad (neither: a special file)
};

TEST(ReportTest, EachBadFactFlipsItsControl) {
  const std::vector<Flip> flips = {
      {"supplier-certification", Status::kNotMet, "", [](auto& f) { f.people.orgs_lapsed = 1; }},
      {"supplier-certification", Status::kAtRisk, "", [](auto& f) { f.people.orgs_lapsing = 1; }},
      {"supplier-certification", Status::kAtRisk, "",
       [](auto& f) { f.people.orgs_uncertified = 1; }},
      {"idle-timeout", Status::kAtRisk, "", [](auto& f) { f.people.stale_sessions = 2; }},
      {"https-only", Status::kNotMet, "",
       [](auto& f) { f.files.certificate->not_after = f.now - hours(5); }},
      {"remote-logs", Status::kNotMet, "", nullptr},  // replaced below: no collector
      {"joiners-movers-leavers", Status::kNotMet, "", [](auto& f) { f.people.past_expiry = 1; }},
      {"joiners-movers-leavers", Status::kNotMet, "", [](auto& f) { f.people.beyond_cap = 2; }},
      {"joiners-movers-leavers", Status::kAtRisk, "", [](auto& f) { f.people.dormant = 3; }},
      {"separation-of-duties", Status::kAtRisk, "[records]\nexport_threshold = 5000\n", nullptr},
      {"bpss", Status::kNotMet, "", [](auto& f) { f.people.without_bpss = 1; }},
      {"privileged-accounts", Status::kNotMet, "",
       [](auto& f) { f.people.privileged_readers = 1; }},
      {"admin-takeover", Status::kNotMet, "", nullptr},  // replaced below: open to everyone
      {"unique-accounts", Status::kNotMet, "", [](auto& f) { f.people.generic_names = 1; }},
      {"mfa", Status::kNotMet, "", [](auto& f) { f.people.without_mfa = 1; }},
      {"login-rate-limit", Status::kAtRisk, "", nullptr},  // replaced below
      {"https-only", Status::kNotMet, "", [](auto& f) { f.files.certificate.reset(); }},
      {"https-only", Status::kAtRisk, "",
       [](auto& f) { f.files.certificate->not_after = f.now + days(10); }},
      {"https-only", Status::kAtRisk, "", [](auto& f) { f.files.certificate->self_signed = true; }},
      {"least-privilege", Status::kAtRisk, "", [](auto& f) { f.people.editors = 16; }},
      {"tenant-isolation", Status::kNotMet, "", [](auto& f) { f.people.in_inactive_org = 1; }},
      {"encryption", Status::kNotMet, "", [](auto& f) { f.files.master_key_mode = 0640; }},
      {"encryption", Status::kNotMet, "", [](auto& f) { f.files.master_key_mode.reset(); }},
      {"audit-per-user", Status::kAtRisk, "",
       [](auto& f) { f.audit.checkpointed_at = "2027-06-01T11:00:00Z"; }},
      {"ithc", Status::kAtRisk, "",
       [](auto& f) {
         f.gate = Assess(Deployment(), true,
                         {PassedCheck::Of("ithc-1", "2026-06-20", Deployment())}, f.now);
       }},
      {"ithc", Status::kNotMet, "",
       [](auto& f) {
         f.gate = Assess(Deployment(), true,
                         {PassedCheck::Of("ithc-1", "2026-05-20", Deployment())}, f.now);
       }},
      {"ithc", Status::kNotMet, "",
       [](auto& f) { f.gate = Assess(Deployment(), false, {}, f.now); }},
      {"ithc-findings", Status::kAtRisk, "", [](auto& f) { f.blocking_open = 1; }},
      {"input-validation", Status::kAtRisk, "[server]\nmax_json_depth = 200\n", nullptr},
      {"idle-timeout", Status::kNotMet, "",
       [](auto& f) { f.idle_timeout = std::chrono::minutes(30); }},
      {"attack-detection", Status::kAtRisk, "[defense]\nmode = \"detect\"\n", nullptr},
      {"remote-logs", Status::kAtRisk, "",
       [](auto& f) { f.audit.oldest_unshipped_at = "2027-06-01T10:00:00Z"; }},
      {"dos-resilience", Status::kAtRisk, "[server]\nmax_connections_per_source = 9000\n", nullptr},
      {"no-live-data-in-test", Status::kNotMet, "", [](auto& f) { f.store_environment = "test"; }},
      {"segmentation", Status::kAtRisk, "", nullptr},        // replaced below
      {"patching-hardening", Status::kNotMet, "", nullptr},  // replaced below
      {"purge", Status::kAtRisk, "",
       [](auto& f) {
         f.records = {4, "2027-06-01T09:00:00Z", 0, 1200};
       }},
      {"purge", Status::kNotMet, "",
       [](auto& f) {
         f.records = {4, "2027-05-30T09:00:00Z", 0, 1200};
       }},
  };
  // Settings that must replace, not add to, the healthy file's.
  const auto replaced = [](std::string_view from, std::string_view to) {
    std::string text = kHealthy;
    text.replace(text.find(from), from.size(), to);
    auto cfg = ParseConfig(text, "/etc/sr/strongroom.toml");
    EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
    return *cfg;
  };
  std::map<std::string, Config> special = {
      {"admin-takeover",
       replaced("admin_listen = \"10.0.0.5:8444\"\n",
                "admin_listen = \"10.0.0.5:8444\"\nadmin_allow = [\"0.0.0.0/0\"]\n")},
      {"login-rate-limit",
       replaced("listen = \"0.0.0.0:443\"\n",
                "listen = \"0.0.0.0:443\"\nrequests_per_second_per_source = 0\n")},
      {"segmentation", replaced("metrics_listen = \"127.0.0.1:9464\"\n", "")},
  };
  {
    std::string local = kHealthy;
    local.erase(local.find("collector ="));
    special["remote-logs"] = *ParseConfig(local + "local_only = true\n", "/etc/sr/strongroom.toml");
  }
  special["patching-hardening"] = ConfigWith();  // (production's parser refuses the switch off)
  special["patching-hardening"].server.syscall_filter = false;
  for (const auto& flip : flips) {
    auto facts = Healthy();
    if (flip.fact) flip.fact(facts);
    // A flip with neither a fact nor a setting of its own takes its control's special file.
    const bool own = !flip.fact && flip.config.empty();
    Config config = own ? special.at(flip.control) : ConfigWith(flip.config);
    const auto r = Evaluate(config, Deployment(), facts);
    EXPECT_EQ(StatusOf(r, flip.control), flip.expected)
        << flip.control << " (" << Name(flip.expected) << ")";
  }
  // Every control has a fact that flips it.
  std::set<std::string> flipped;
  for (const auto& flip : flips) flipped.insert(flip.control);
  for (const auto& c : Evaluate(ConfigWith(), Deployment(), Healthy()).controls) {
    EXPECT_TRUE(flipped.count(c.id)) << c.id << " has no test that breaks it";
  }
}

TEST(ReportTest, TheHtmlPageEscapesEveryValue) {
  auto facts = Healthy();
  facts.store_environment = "<script>alert(1)</script>";
  const auto html = ReportHtml(Evaluate(ConfigWith(), Deployment(), facts));
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<tr id=\"no-live-data-in-test\">"), std::string::npos);
  const auto json = boost::json::parse(ReportJson(Evaluate(ConfigWith(), Deployment(), facts)));
  EXPECT_EQ(json.at("summary").at("not_met"), 1);
}

// The facts come from the store: each bad row written by hand shows in its control.
class ReportFactsTest : public ::testing::Test {
 protected:
  Report Now() {
    auto standing = f_.audit->ReadStanding();
    EXPECT_TRUE(standing);
    auto facts = store::ReadValue<ReportFacts>(*f_.store, [&](store::Transaction& tx) {
      return GatherFacts(tx, config_, Deployment(), *standing, f_.clock.Now());
    });
    EXPECT_TRUE(facts) << facts.error().message;
    facts->files = Healthy().files;
    facts->files.certificate->not_after = f_.clock.Now() + days(200);
    facts->idle_timeout = std::chrono::minutes(5);
    return Evaluate(config_, Deployment(), *facts);
  }

  void Exec(const std::string& sql, const store::Params& params = {}) {
    ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(sql, params));
      return {};
    }));
  }

  identity::AuthFixture f_;
  Config config_ = ConfigWith();
};

TEST_F(ReportFactsTest, RowsInTheStoreDecideTheStatuses) {
  const auto id = f_.Person("ann.editor", "standard", "editor");
  auto r = Now();
  EXPECT_EQ(StatusOf(r, "bpss"), Status::kMet);
  EXPECT_EQ(StatusOf(r, "mfa"), Status::kMet);
  EXPECT_EQ(StatusOf(r, "joiners-movers-leavers"), Status::kMet);
  EXPECT_EQ(StatusOf(r, "no-live-data-in-test"), Status::kNotMet) << "the fixture's store is test";

  Exec("UPDATE people SET bpss_verified_on = NULL");
  Exec("UPDATE accounts SET expires_at = ? WHERE id = ?",
       {FormatRfc3339(f_.clock.Now() - hours(1)), id});
  Exec("UPDATE accounts SET username = 'admin' WHERE id = ?", {id});
  Exec("UPDATE organisations SET iso27001_expires_on = '2000-01-01'");
  r = Now();
  EXPECT_EQ(StatusOf(r, "bpss"), Status::kNotMet);
  EXPECT_EQ(StatusOf(r, "joiners-movers-leavers"), Status::kNotMet);
  EXPECT_EQ(StatusOf(r, "unique-accounts"), Status::kNotMet);
  EXPECT_EQ(StatusOf(r, "supplier-certification"), Status::kNotMet);
  EXPECT_EQ(StatusOf(r, "least-privilege"), Status::kAtRisk) << "the one standard account edits";

  Exec("UPDATE accounts SET last_login_at = ? WHERE id = ?",
       {FormatRfc3339(f_.clock.Now() - days(91)), id});
  EXPECT_EQ(StatusOf(Now(), "joiners-movers-leavers"), Status::kNotMet);
  Exec("UPDATE accounts SET expires_at = ? WHERE id = ?",
       {FormatRfc3339(f_.clock.Now() + days(30)), id});
  EXPECT_EQ(StatusOf(Now(), "joiners-movers-leavers"), Status::kAtRisk) << "dormant only";
  Exec("UPDATE organisations SET iso27001_expires_on = NULL");
  EXPECT_EQ(StatusOf(Now(), "supplier-certification"), Status::kAtRisk) << "not recorded";
  Exec("UPDATE accounts SET totp_secret = NULL WHERE id = ?", {id});
  Exec("UPDATE organisations SET status = 'suspended'");
  r = Now();
  EXPECT_EQ(StatusOf(r, "mfa"), Status::kNotMet);
  EXPECT_EQ(StatusOf(r, "tenant-isolation"), Status::kNotMet);
}

TEST_F(ReportFactsTest, OnlySecurityOfficersReadTheReportAndEachReadIsAudited) {
  Reporter reporter(*f_.store, *f_.audit, f_.clock, config_, Deployment(), Healthy().files,
                    std::chrono::minutes(5));
  const auto admin = f_.ByHand("acc-admin", "org-a", identity::Kind::kPrivileged, "org_admin");
  auto refused = reporter.Run(admin, f_.ctx);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  auto officer = admin;
  officer.account.roles = *identity::Roles::Parse("security_officer");
  auto report = reporter.Run(officer, f_.ctx);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->controls.size(), 25u);
  const auto events = f_.Events("compliance.read");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("decision").at("allow"), false);
  EXPECT_EQ(events[1].at("decision").at("allow"), true);
  EXPECT_EQ(events[1].at("target").at("type"), "report");
}

}  // namespace
}  // namespace strongroom::compliance
