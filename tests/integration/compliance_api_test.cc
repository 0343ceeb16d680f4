// The IT Health Check register and the go-live gate through the real binary: an instance that
// enforces the gate is not ready until two officers have recorded and signed off a check of it;
// it closes again a year on (under the moved clock) and after a major change, but not after a
// minor one; the command line says where it stands.

#include <gtest/gtest.h>

#include <tuple>

#include "common/clock.h"
#include "integration/api_client.h"

namespace strongroom::testing {
namespace {

constexpr const char* kOfficer1 = "demo.officer.one";
constexpr const char* kOfficer2 = "demo.officer.two";

class ComplianceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inst_.ReplaceInConfig("gate = \"off\"", "gate = \"enforce\"");
    ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
    for (const char* officer : {kOfficer1, kOfficer2}) {
      ASSERT_TRUE(api_.Enrol(officer, inst_.EnrolmentToken(officer)));
    }
    api_.AdvanceClock(30);
    one_ = api_.SignIn(kOfficer1);
    two_ = api_.SignIn(kOfficer2);
    ASSERT_FALSE(one_.cookie.empty());
    ASSERT_FALSE(two_.cookie.empty());
  }

  boost::json::object Ready() {
    auto r = HttpsGet(inst_.port(), "/readyz");
    auto body = JsonOf(r);
    body["http_status"] = r.status;
    return body;
  }

  static std::string IthcReason(const boost::json::object& ready) {
    if (!ready.contains("reasons")) return "";
    const auto& reasons = ready.at("reasons").as_object();
    return reasons.contains("ithc") ? std::string(reasons.at("ithc").as_string()) : "";
  }

  // The deployment's fingerprint digest, as officers read it.
  std::string Fingerprint() {
    auto gate = api_.As(one_, "GET", "/api/v1/compliance/gate");
    EXPECT_EQ(gate.status, 200) << gate.body;
    return std::string(JsonOf(gate).at("fingerprint").at("digest").as_string());
  }

  boost::json::object CheckBody() {
    return {
        {"fingerprint", Fingerprint()},
        {"performed_on", FormatRfc3339(SystemClock().Now()).substr(0, 10)},
        {"organisation", "Assurance Partners Ltd"},
        {"tester", "Tess Tester"},
        {"scope", "every listener, signed in as every role"},
        {"report_sha256", std::string(64, 'e')},
        {"findings", boost::json::array{{{"title", "Stored XSS in a title"}, {"severity", "high"}},
                                        {{"title", "Server banner"}, {"severity", "info"}}}}};
  }

  // Records a check with an open high finding, mitigates it, and has the second officer sign
  // it off; returns the check's id.
  std::string PassACheck() {
    auto made = api_.As(one_, "POST", "/api/v1/compliance/ithc", CheckBody());
    EXPECT_EQ(made.status, 201) << made.body;
    const auto check = JsonOf(made);
    const std::string id(check.at("id").as_string());
    const std::string high(check.at("findings").as_array()[0].at("id").as_string());
    const auto sign_off = "/api/v1/compliance/ithc/" + id + "/sign-off";
    EXPECT_EQ(api_.As(one_, "POST", sign_off).status, 403) << "the officer who recorded it";
    auto blocked = api_.As(two_, "POST", sign_off);
    EXPECT_EQ(blocked.status, 409) << "an open high finding";
    EXPECT_NE(blocked.body.find("mitigate or accept"), std::string::npos) << blocked.body;
    EXPECT_EQ(
        api_.As(two_, "POST", "/api/v1/compliance/ithc/" + id + "/findings/" + high + "/mitigate",
                boost::json::object{{"evidence", "titles escaped; retested"}})
            .status,
        204);
    auto passed = api_.As(two_, "POST", sign_off);
    EXPECT_EQ(passed.status, 200) << passed.body;
    EXPECT_EQ(JsonOf(passed).at("status"), "passed");
    return id;
  }

  Instance inst_;
  ApiClient api_{inst_};
  Session one_;
  Session two_;
};

TEST_F(ComplianceApiTest, NotLiveUntilASecondOfficerSignsOffACheckOfThisDeployment) {
  auto ready = Ready();
  EXPECT_EQ(ready.at("http_status"), 503);
  EXPECT_EQ(ready.at("failing").as_array(), boost::json::array{"ithc"});
  EXPECT_NE(IthcReason(ready).find("not live"), std::string::npos) << ready;
  const auto log = ReadFile(inst_.process().stderr_path());
  EXPECT_NE(log.find("IT Health Check: not live"), std::string::npos) << log;
  auto status = RunBinary({"ithc", "status", "--config", inst_.config().string()});
  EXPECT_EQ(status.exit_code, 1) << status.err;
  EXPECT_NE(status.out.find("standing: not live"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("detection = on, block mode"), std::string::npos) << status.out;

  auto gate = api_.As(one_, "GET", "/api/v1/compliance/gate");
  ASSERT_EQ(gate.status, 200) << gate.body;
  EXPECT_EQ(JsonOf(gate).at("standing"), "not live") << gate.body;
  EXPECT_EQ(JsonOf(gate).at("gate"), "enforce");
  const auto digest = JsonOf(gate).at("fingerprint").as_object().at("digest");

  const auto id = PassACheck();
  ready = Ready();
  EXPECT_EQ(ready.at("http_status"), 200) << ready;
  gate = api_.As(two_, "GET", "/api/v1/compliance/gate");
  EXPECT_EQ(JsonOf(gate).at("standing"), "covered");
  EXPECT_EQ(JsonOf(gate).at("check").as_string(), id);
  auto listed = api_.As(one_, "GET", "/api/v1/compliance/ithc");
  ASSERT_EQ(listed.status, 200);
  const auto register_json = JsonOf(listed);
  const auto& item = register_json.at("items").as_array().at(0);
  EXPECT_EQ(item.at("fingerprint").at("digest"), digest);
  EXPECT_EQ(item.at("findings").as_array().at(0).at("state"), "mitigated");
  EXPECT_EQ(item.at("findings").as_array().at(1).at("state"), "open") << "info does not block";

  status = RunBinary({"ithc", "status", "--config", inst_.config().string()});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("standing: covered"), std::string::npos) << status.out;
  auto list = RunBinary({"ithc", "list", "--config", inst_.config().string()});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(id + " performed"), std::string::npos) << list.out;
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "compliance.live"});
  EXPECT_NE(audit.out.find(id), std::string::npos) << audit.out;

  // A year on, under the moved clock: alerts from 30 days before, closed after 12 months.
  api_.AdvanceClock(364LL * 24 * 3600);
  EXPECT_EQ(Ready().at("http_status"), 200);
  auto job = api_.Call("POST", "/__test/jobs/ithc", "");
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(JsonOf(job).at("count"), 1) << "due within 30 days: an alert";
  EXPECT_EQ(JsonOf(api_.Call("POST", "/__test/jobs/ithc", "")).at("count"), 0) << "one alert a day";
  api_.AdvanceClock(3LL * 24 * 3600);  // 367 days: past 12 months whatever the leap days
  ready = Ready();
  EXPECT_EQ(ready.at("http_status"), 503);
  EXPECT_NE(IthcReason(ready).find("12 calendar months"), std::string::npos) << ready;
  EXPECT_EQ(JsonOf(api_.Call("POST", "/__test/jobs/ithc", "")).at("count"), 1);
  audit = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                     "compliance.ithc.alert"});
  EXPECT_NE(audit.out.find("\"standing\":\"overdue\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("\"standing\":\"due\""), std::string::npos) << audit.out;
}

TEST_F(ComplianceApiTest, AMajorChangeClosesTheGateAndAMinorOneDoesNot) {
  PassACheck();
  ASSERT_EQ(Ready().at("http_status"), 200);
  // Minor: a log level and the audit retention period.
  ASSERT_EQ(inst_.Stop(), 0);
  inst_.ReplaceInConfig("level = \"info\"", "level = \"debug\"");
  inst_.ReplaceInConfig("retention_days = 365", "retention_days = 400");
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  EXPECT_EQ(Ready().at("http_status"), 200);
  // Major: attack detection only reports.
  ASSERT_EQ(inst_.Stop(), 0);
  inst_.DetectOnly();
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  const auto ready = Ready();
  EXPECT_EQ(ready.at("http_status"), 503);
  EXPECT_NE(IthcReason(ready).find("major change"), std::string::npos) << ready;
  auto status = RunBinary({"ithc", "status", "--config", inst_.config().string()});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("covered another detection"), std::string::npos) << status.out;
}

TEST_F(ComplianceApiTest, TheReportIsComputedFromTheInstance) {
  const auto status_of = [&](const std::string& id) -> std::string {
    auto r = api_.As(one_, "GET", "/api/v1/compliance");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto report = JsonOf(r);
    for (const auto& c : report.at("controls").as_array()) {
      if (c.at("id").as_string() == id) return std::string(c.at("status").as_string());
    }
    return "absent";
  };
  EXPECT_EQ(status_of("ithc"), "not met");
  // init's own organisation (the service operator's) has no certificates recorded, until an
  // officer records them.
  EXPECT_EQ(status_of("supplier-certification"), "at risk");
  auto orgs = api_.As(one_, "GET", "/api/v1/admin/orgs");
  ASSERT_EQ(orgs.status, 200) << orgs.body;
  const auto operator_org = JsonOf(orgs).at("items").as_array().at(0).at("id").as_string();
  const boost::json::object current{
      {"iso27001", {{"reference", "ISO-9"}, {"expires_on", "2099-01-01"}}},
      {"cyber_essentials_plus", {{"reference", "CEP-9"}, {"expires_on", "2099-01-01"}}}};
  auto recorded = api_.As(
      one_, "PUT", "/api/v1/admin/orgs/" + std::string(operator_org) + "/certificates", current);
  ASSERT_EQ(recorded.status, 200) << recorded.body;
  EXPECT_EQ(status_of("supplier-certification"), "met");
  // An organisation whose certificate expires in ten days puts the control at risk.
  const auto soon = FormatRfc3339(SystemClock().Now() + std::chrono::hours(240)).substr(0, 10);
  boost::json::object org{
      {"name", "Lapsing Ltd"},
      {"agreed_expiry_days", 90},
      {"iso27001", {{"reference", "ISO-1"}, {"expires_on", soon}}},
      {"cyber_essentials_plus", {{"reference", "CEP-1"}, {"expires_on", "2099-01-01"}}}};
  ASSERT_EQ(api_.As(one_, "POST", "/api/v1/admin/orgs", org).status, 201);
  EXPECT_EQ(status_of("supplier-certification"), "at risk");
  PassACheck();
  EXPECT_EQ(status_of("ithc"), "met");

  auto html = api_.As(two_, "GET", "/api/v1/compliance?format=html");
  ASSERT_EQ(html.status, 200);
  EXPECT_NE(html.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(html.body.find("<tr id=\"supplier-certification\">"), std::string::npos);
  EXPECT_EQ(api_.As(two_, "GET", "/api/v1/compliance?format=xml").status, 400);
  EXPECT_EQ(api_.As(two_, "GET", "/api/v1/compliance?colour=red").status, 400);

  // The command line computes the same, and exits 1 while a control is not met: here, no remote
  // collector for the audit log, and the demo officers have no BPSS date.
  auto cli = RunBinary({"compliance", "report", "--config", inst_.config().string()});
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  const auto report = boost::json::parse(cli.out).as_object();
  EXPECT_EQ(report.at("controls").as_array().size(), 25u);
  std::vector<std::string> not_met;
  for (const auto& c : report.at("controls").as_array()) {
    if (c.at("status") == "not met") not_met.emplace_back(c.at("id").as_string());
  }
  EXPECT_EQ(not_met, (std::vector<std::string>{"bpss", "remote-logs"})) << cli.out;
  auto page = RunBinary({"compliance", "report", "--config", inst_.config().string(), "--html"});
  EXPECT_TRUE(page.out.starts_with("<!DOCTYPE html>")) << page.out.substr(0, 100);
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "compliance.read"});
  EXPECT_NE(audit.out.find("\"kind\":\"cli\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("\"type\":\"report\""), std::string::npos) << audit.out;
}

TEST_F(ComplianceApiTest, AnOrgAdminIsRefusedEverywhereWhateverTheBodySays) {
  // An organisation and its administrator, asked for by one officer, approved by the other.
  auto org = api_.As(
      one_, "POST", "/api/v1/admin/orgs",
      boost::json::object{
          {"name", "Acme Casework Ltd"},
          {"agreed_expiry_days", 90},
          {"iso27001", {{"reference", "ISO-1"}, {"expires_on", "2099-01-01"}}},
          {"cyber_essentials_plus", {{"reference", "CEP-1"}, {"expires_on", "2099-01-01"}}}});
  ASSERT_EQ(org.status, 201) << org.body;
  auto asked =
      api_.As(one_, "POST", "/api/v1/admin/join-requests",
              boost::json::object{{"org", JsonOf(org).at("id")},
                                  {"username", "ada.admin"},
                                  {"person", {{"name", "Ada Admin"}, {"email", "ada@example.org"}}},
                                  {"kind", "privileged"},
                                  {"roles", boost::json::array{"org_admin"}},
                                  {"remits", boost::json::array{}},
                                  {"grants", boost::json::array{}},
                                  {"bpss_verified_on", "2026-01-15"},
                                  {"bpss_verified_by", "HR vetting team"}});
  ASSERT_EQ(asked.status, 201) << asked.body;
  auto approved = api_.As(two_, "POST",
                          "/api/v1/admin/join-requests/" +
                              std::string(JsonOf(asked).at("id").as_string()) + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_TRUE(
      api_.Enrol("ada.admin", std::string(JsonOf(approved).at("enrolment_token").as_string())));
  const auto check = PassACheck();  // something to ask about
  api_.AdvanceClock(30);
  const auto ada = api_.SignIn("ada.admin");
  ASSERT_FALSE(ada.cookie.empty());

  const std::string base = "/api/v1/compliance/ithc/" + check;
  const std::vector<std::tuple<std::string, std::string, std::string>> calls = {
      {"GET", "/api/v1/compliance", ""},
      {"GET", "/api/v1/compliance?format=nonsense", ""},
      {"GET", "/api/v1/compliance/gate", ""},
      {"GET", "/api/v1/compliance/ithc", ""},
      {"GET", base, ""},
      {"POST", "/api/v1/compliance/ithc", "{}"},
      {"POST", "/api/v1/compliance/ithc", "not json"},
      {"POST", base + "/findings", R"({"title":"x","severity":"low"})"},
      {"POST", base + "/findings", "[1,2"},
      {"POST", base + "/findings/itf-1/mitigate", R"({"evidence":"x"})"},
      {"POST", base + "/findings/itf-1/accept", "{}"},
      {"POST", base + "/sign-off", ""},
  };
  for (const auto& [method, path, body] : calls) {
    auto r = api_.As(ada, method, path, body);
    EXPECT_EQ(r.status, 403) << method << " " << path << ": " << r.body;
  }
  // Each refused, and audited as refused.
  auto audit =
      RunBinary({"audit", "search", "--config", inst_.config().string(), "--actor",
                 std::string(JsonOf(approved).at("account_id").as_string()), "--limit", "100"});
  int refused = 0;
  for (auto at = audit.out.find("\"action\":\"compliance."); at != std::string::npos;
       at = audit.out.find("\"action\":\"compliance.", at + 1)) {
    const auto line_end = audit.out.find('\n', at);
    refused += audit.out.substr(at, line_end - at).find("\"allow\":false") != std::string::npos;
  }
  EXPECT_EQ(refused, static_cast<int>(calls.size())) << audit.out;
}

TEST_F(ComplianceApiTest, HostileInputIsRefusedWithNothingRecorded) {
  inst_.ExpectAttacks();  // the script payloads are reported (an officer's body is let through)
  const std::vector<std::pair<const char*, boost::json::object>> cases = [&] {
    std::vector<std::pair<const char*, boost::json::object>> out;
    auto with = [&](const char* what, const std::function<void(boost::json::object&)>& spoil) {
      auto body = CheckBody();
      spoil(body);
      out.emplace_back(what, std::move(body));
    };
    with("unknown field", [](auto& b) { b["covers"] = "everything"; });
    with("a fingerprint that is no digest", [](auto& b) { b["fingerprint"] = "ours"; });
    with("number for a string", [](auto& b) { b["tester"] = 7; });
    with("missing field", [](auto& b) { b.erase("scope"); });
    with("future date", [](auto& b) { b["performed_on"] = "2999-12-31"; });
    with("script in the digest", [](auto& b) { b["report_sha256"] = "<script>alert(1)</script>"; });
    with("newline in the tester", [](auto& b) { b["tester"] = "Tess\nSigned-off: yes"; });
    with("finding not an object", [](auto& b) { b["findings"] = boost::json::array{"high"}; });
    with("unknown severity", [](auto& b) {
      b["findings"] = boost::json::array{{{"title", "x"}, {"severity", "P1"}}};
    });
    with("unknown finding field", [](auto& b) {
      b["findings"] =
          boost::json::array{{{"title", "x"}, {"severity", "low"}, {"state", "accepted"}}};
    });
    return out;
  }();
  for (const auto& [what, body] : cases) {
    auto r = api_.As(one_, "POST", "/api/v1/compliance/ithc", body);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.body.find("Signed-off"), std::string::npos) << "never echoed";
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << "never echoed";
  }
  // A check of another deployment (before a major change, say) covers nothing here.
  auto other = CheckBody();
  other["fingerprint"] = std::string(64, 'a');
  auto r = api_.As(one_, "POST", "/api/v1/compliance/ithc", other);
  EXPECT_EQ(r.status, 409) << r.body;
  auto listed = api_.As(one_, "GET", "/api/v1/compliance/ithc");
  EXPECT_EQ(JsonOf(listed).at("items").as_array().size(), 0u);
  EXPECT_EQ(api_.As(one_, "POST", "/api/v1/compliance/ithc/ithc-0000/sign-off").status, 404);
  auto audit = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                          "compliance.ithc.record"});
  EXPECT_NE(audit.out.find("performed_on must be a date"), std::string::npos) << audit.out;
  EXPECT_EQ(api_.Call("GET", "/api/v1/compliance/ithc", "").status, 401) << "no session";
  EXPECT_EQ(Ready().at("http_status"), 503) << "nothing was signed off";
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

// Why the service is not ready is for the operators' listeners: the public one is told only that
// it is not.
TEST(GateReadinessTest, OnlyTheOperatorsListenersAreToldWhy) {
  Instance inst;
  inst.ReplaceInConfig("gate = \"off\"", "gate = \"enforce\"");
  inst.SetServer({{"admin_listen", "\"127.0.0.1:0\""}, {"metrics_listen", "\"127.0.0.1:0\""}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto pub = HttpsGet(inst.port(), "/readyz");
  EXPECT_EQ(pub.status, 503);
  EXPECT_EQ(JsonOf(pub), (boost::json::object{{"status", "unavailable"},
                                              {"request_id", pub.headers["x-request-id"]}}))
      << pub.body;
  for (const auto port : {inst.admin_port(), inst.metrics_port()}) {
    auto ops = HttpsGet(port, "/readyz");
    EXPECT_EQ(ops.status, 503);
    EXPECT_NE(ops.body.find("\"failing\":[\"ithc\"]"), std::string::npos) << ops.body;
    EXPECT_NE(ops.body.find("no passed IT Health Check covers this deployment"), std::string::npos)
        << ops.body;
  }
}

}  // namespace
}  // namespace strongroom::testing
