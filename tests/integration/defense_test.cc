// Attack detection on the running service: the CRS on every request, what a detection does
// (refusal, audit event, score, block and release), the allow-list and detect mode, record
// content quoting attacks, and failing closed when the rules cannot load.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

constexpr const char* kAttacker = "127.0.0.9";
const std::string kLoginSqli =
    R"({"username":"admin' OR '1'='1' --","password":"<script>alert('pw-marker-7f3a')</script>"})";

class DefenseTest : public OrgFixture {
 protected:
  void SetUp() override {
    inst_.ExpectAttacks();
    inst_.AddToSection("defense", "block_score = 20\nblock_s = 600\n");
    OrgFixture::SetUp();
    attacker_.set_source(kAttacker);
  }

  // The security events an officer sees, newest first.
  boost::json::array SecurityEvents(const std::string& query = "") {
    auto r = api_.As(officer1_, "GET", "/api/v1/security/events?limit=100" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r).at("items").as_array();
  }

  // Waits (bounded) until the security events hold one with `action` (the detector reports
  // after it answers, and ended blocks are released on its one-second sweep).
  boost::json::object WaitForEvent(const std::string& action) {
    for (int i = 0; i < 100; ++i) {
      for (const auto& e : SecurityEvents("&action=" + action)) return e.as_object();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no " << action << " event";
    return {};
  }

  ApiClient attacker_{inst_};
};

TEST_F(DefenseTest, AnAnonymousAttackIsRefusedAndAuditedWithRulesButNoValues) {
  const auto r = attacker_.Call("POST", "/api/v1/auth/login", kLoginSqli);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(JsonOf(r).at("error").at("code").as_string(), "permission_denied");
  // The request id is random hex and may hold any digits (the message quotes it too): take it
  // out before looking for a rule number.
  auto answer = r.body;
  const auto id = std::string(JsonOf(r).at("request_id").as_string());
  ASSERT_FALSE(id.empty());
  for (auto at = answer.find(id); at != std::string::npos; at = answer.find(id))
    answer.erase(at, id.size());
  EXPECT_EQ(answer.find("942"), std::string::npos) << "the answer names no rule: " << r.body;
  EXPECT_EQ(answer.find("rule"), std::string::npos) << r.body;

  const auto e = WaitForEvent("security.attack");
  EXPECT_EQ(e.at("source").as_string(), kAttacker);
  EXPECT_FALSE(e.at("decision").at("allow").as_bool());
  const auto& detail = e.at("detail").as_object();
  EXPECT_NE(detail.at("rules").as_string().find("942"), std::string::npos);
  EXPECT_NE(detail.at("variables").as_string().find("ARGS:json.username"), std::string::npos);
  EXPECT_EQ(detail.at("context").as_string(), "request");
  EXPECT_EQ(detail.at("path").as_string(), "/api/v1/auth/login");
  // Neither the attack nor the password (never inspected) is anywhere in the event, the log or
  // the answer.
  const auto text = boost::json::serialize(e);
  EXPECT_EQ(text.find("OR '1'"), std::string::npos);
  EXPECT_EQ(text.find("pw-marker"), std::string::npos);
  EXPECT_EQ(text.find("ARGS:json.password"), std::string::npos);
  const auto log = ReadFile(inst_.process().stderr_path());
  EXPECT_NE(log.find("attack detected from 127.0.0.9"), std::string::npos);
  EXPECT_EQ(log.find("pw-marker"), std::string::npos);
  EXPECT_EQ(log.find("ModSecurity"), std::string::npos) << "libmodsecurity's own log is off";
  // No account was touched: the sign-in never ran.
  EXPECT_TRUE(SecurityEvents("&action=auth.login").empty());
  EXPECT_GE(ScrapeMetric(inst_.port(), "strongroom_security_detections_total"), 1);
  EXPECT_GE(ScrapeMetric(inst_.port(), "strongroom_security_refused_total"), 1);
}

TEST_F(DefenseTest, RepeatedAttacksBlockTheSourceForAWhileAndTheReleaseIsAudited) {
  int refused = 0;
  HttpResponse r;
  for (int i = 0; i < 10; ++i) {
    r = attacker_.Call("GET", "/api/v1/records?q=..%2F..%2F..%2Fetc%2Fpasswd", "");
    if (r.status == 429) break;
    EXPECT_EQ(r.status, 403);
    ++refused;
  }
  ASSERT_EQ(r.status, 429) << "never blocked";
  EXPECT_GE(refused, 1);
  EXPECT_LE(refused, 4) << "a path traversal scores 10: blocked at 20";
  const auto block = WaitForEvent("security.block");
  EXPECT_EQ(block.at("source").as_string(), kAttacker);
  // Blocked: even a clean request from it, with when to retry; everyone else is served.
  const auto clean = attacker_.Call("GET", "/healthz", "");
  EXPECT_EQ(clean.status, 429);
  EXPECT_EQ(clean.headers.at("retry-after"), "600");
  EXPECT_EQ(api_.Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(ScrapeMetric(inst_.port(), "strongroom_security_blocked_sources"), 1);

  api_.AdvanceClock(600);
  officer1_ = api_.SignIn(kOfficer1);  // the officer's session has timed out meanwhile
  WaitForEvent("security.unblock");
  EXPECT_EQ(attacker_.Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(ScrapeMetric(inst_.port(), "strongroom_security_blocked_sources"), 0);
}

TEST_F(DefenseTest, ASignedInUsersCaseNotesAreStoredAndReadBackEvenWhenTheyQuoteAttacks) {
  // Ordinary notes, and notes that quote what someone typed: all stored, all read back as written.
  const std::vector<std::string> notes = {
      "Spoke to Mr O'Brien; he said \"I'll be in on Tuesday\".",
      "Risk score a < b, so no escalation (see note 3 & 4).",
      "DROP-IN session booked for 12/03 - select a room nearer the door.",
      "The script for the call was followed; exec summary attached.",
      "Client reported someone typed 1' OR '1'='1 -- into the council's form.",
      "The email contained <script>alert(1)</script>; forwarded to IT security.",
  };
  for (const auto& note : notes) {
    const auto made = CreateRecord("ann.editor", note);
    ASSERT_EQ(made.status, 201) << note << ": " << made.body;
    const auto id = std::string(JsonOf(made).at("id").as_string());
    const auto read = api_.As(sessions_["rob.reader"], "GET", "/api/v1/records/" + id);
    ASSERT_EQ(read.status, 200) << note;
    EXPECT_EQ(JsonOf(read).at("title").as_string(), note);
  }
  // Those that look like attacks are reported as what they are: signed-in content, let through.
  const auto events = SecurityEvents("&action=security.attack");
  EXPECT_GE(events.size(), 1u);
  for (const auto& e : events) {
    EXPECT_TRUE(e.at("decision").at("allow").as_bool());
    EXPECT_EQ(e.at("detail").at("context").as_string(), "signed-in content");
  }
  EXPECT_TRUE(SecurityEvents("&action=security.block").empty());
}

TEST_F(DefenseTest, AMalformedRequestCarryingAnAttackIsReportedAsWellAsRefused) {
  auto c = TlsClient::Connect(inst_.port(), TlsOptions{.source_address = kAttacker});
  ASSERT_NE(c, nullptr);
  const auto r = c->Request(
      "GET /api/v1/records?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(r.status, 400);
  const auto e = WaitForEvent("security.attack");
  EXPECT_EQ(e.at("detail").at("context").as_string(), "refused as malformed");
  EXPECT_NE(e.at("detail").at("rules").as_string().find("941"), std::string::npos)
      << boost::json::serialize(e);
}

TEST_F(DefenseTest, CredentialStuffingFromOneAddressIsReportedAndBlocksIt) {
  // Ten different usernames failing from one address: each request alone is a clean sign-in.
  for (int i = 0; i < 10; ++i) {
    const auto r = attacker_.Call(
        "POST", "/api/v1/auth/login",
        boost::json::serialize(boost::json::object{{"username", "victim." + std::to_string(i)},
                                                   {"password", "Summer2026!"}}));
    EXPECT_EQ(r.status, 401) << i;
  }
  const auto e = WaitForEvent("security.credential_stuffing");
  EXPECT_EQ(e.at("source").as_string(), kAttacker);
  EXPECT_EQ(e.at("detail").at("count").as_string(), "10");
  WaitForEvent("security.block");
  EXPECT_EQ(attacker_.Call("GET", "/healthz", "").status, 429);
  EXPECT_EQ(api_.Call("GET", "/healthz", "").status, 200) << "everyone else is served";
}

TEST_F(DefenseTest, SecurityEventsAreForSecurityOfficersAndBadFiltersAreRefused) {
  EXPECT_EQ(api_.Call("GET", "/api/v1/security/events", "").status, 401);
  // A standard account is not signed in where the admin surface is served at all.
  const auto reader = api_.As(sessions_["rob.reader"], "GET", "/api/v1/security/events");
  EXPECT_EQ(reader.status, 401);
  EXPECT_EQ(reader.body.find("\"items\""), std::string::npos) << "nothing listed";
  for (const char* bad : {"?nope=1", "?action=a&action=b", "?cursor=abc", "?since=yesterday",
                          "?limit=0", "?limit=abc", "?limit=1001", "?until=2026-13-40T00:00:00Z"}) {
    const auto r = api_.As(officer1_, "GET", std::string("/api/v1/security/events") + bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
  // A search is itself audited, with the family it was limited to; only security.* events come.
  const auto listed = SecurityEvents();
  for (const auto& e : listed) {
    EXPECT_TRUE(std::string_view(e.at("action").as_string()).starts_with("security."));
  }
  auto searches = api_.As(officer1_, "GET", "/api/v1/audit/events?action=audit.search&limit=100");
  ASSERT_EQ(searches.status, 200);
  bool audited = false;
  const auto found = JsonOf(searches);
  for (const auto& e : found.at("items").as_array()) {
    const auto* prefix = e.at("detail").as_object().if_contains("prefix");
    audited |= prefix != nullptr && prefix->as_string() == "security.";
  }
  EXPECT_TRUE(audited);
}

TEST_F(DefenseTest, ATargetLongerThan8KiBIsRefused) {
  const auto r = api_.Call("GET", "/api/v1/records?q=" + std::string(9000, 'a'), "");
  EXPECT_EQ(r.status, 414);
}

TEST(DefenseConfigTest, AllowListedSourcesAndDetectModeAreReportedButNotRefused) {
  for (const std::string mode : {"allow", "detect"}) {
    Instance inst;
    inst.ExpectAttacks();
    if (mode == "detect") {
      inst.DetectOnly();
    } else {
      auto text = ReadFile(inst.config());
      const auto at = text.find("allow = []");
      ASSERT_NE(at, std::string::npos);
      text.replace(at, 10, R"(allow = ["127.0.0.9/32"])");
      WriteFile(inst.config(), text, 0600);
    }
    ASSERT_TRUE(inst.Start()) << inst.StartupError();
    ApiClient attacker(inst);
    attacker.set_source(kAttacker);
    for (int i = 0; i < 5; ++i) {
      // The sign-in runs and refuses (no such user, then too many tries), never a 403.
      const auto status = attacker.Call("POST", "/api/v1/auth/login", kLoginSqli).status;
      EXPECT_TRUE(status == 401 || status == 429) << mode << ": " << status;
    }
    EXPECT_GE(ScrapeMetric(inst.port(), "strongroom_security_detections_total"), 5) << mode;
    EXPECT_EQ(ScrapeMetric(inst.port(), "strongroom_security_refused_total"), 0) << mode;
    EXPECT_EQ(ScrapeMetric(inst.port(), "strongroom_security_blocks_total"), 0) << mode;
  }
}

TEST(DefenseConfigTest, WithoutItsRulesTheServiceRefusesToStartAndSaysWhy) {
  for (const std::string environment : {"test", "production"}) {
    Instance inst(environment);
    inst.AddToSection("defense", "crs_rules = \"/nonexistent/crs\"\n");
    EXPECT_FALSE(inst.Start()) << environment;
    const auto why = inst.StartupError();
    EXPECT_NE(why.find("attack detection cannot start"), std::string::npos) << why;
    EXPECT_NE(why.find("/nonexistent/crs/REQUEST-901-INITIALIZATION.conf"), std::string::npos)
        << why;
  }
  Instance production("production");
  production.AddToSection("defense", "enabled = false\n");
  EXPECT_FALSE(production.Start());
  EXPECT_NE(production.StartupError().find("defense.enabled"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::testing
