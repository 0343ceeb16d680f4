// Listeners by purpose (common/surface.h), against a running instance: the public, admin and
// metrics surfaces each on their own port, or all on one; who signs in where; the allow-lists,
// checked before TLS; every probe of the wrong listener audited; and, behind a load balancer that
// sends a PROXY protocol header (real nginx among them), each client's own address.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakes/temp_dir.h"
#include "fakes/wait.h"
#include "integration/org_fixture.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// The error of an answer, without its request id: what a caller could compare.
std::string ErrorOf(const HttpResponse& r) {
  const auto body = JsonOf(r);
  if (!body.contains("error")) return r.body;
  auto error = body.at("error").as_object();
  error.erase("request_id");
  return boost::json::serialize(error);
}

// Audit events of `action` as the officer's session sees them on the admin port.
boost::json::array Events(ApiClient& admin, const Session& officer, const std::string& action) {
  auto r = admin.As(officer, "GET", "/api/v1/audit/events?limit=100&action=" + action);
  EXPECT_EQ(r.status, 200) << r.body;
  return JsonOf(r).contains("items") ? JsonOf(r).at("items").as_array() : boost::json::array{};
}

bool AnyReasonHas(const boost::json::array& events, const std::string& text) {
  for (const auto& e : events) {
    const auto& decision = e.at("decision").as_object();
    if (decision.contains("reason") &&
        std::string(decision.at("reason").as_string()).find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Each surface on its own listener, as `strongroom init` writes by default.
class SplitListenersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inst_.SetServer(
        {{"admin_listen", Quoted("127.0.0.1:0")}, {"metrics_listen", Quoted("127.0.0.1:0")}});
    ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
    ASSERT_NE(inst_.admin_port(), 0);
    ASSERT_NE(inst_.metrics_port(), 0);
    ASSERT_NE(inst_.admin_port(), inst_.port());
  }

  void AtPublic() { api_.set_port(inst_.port()); }
  void AtAdmin() { api_.set_port(inst_.admin_port()); }

  // Both officers enrolled (at the admin listener) and signed in there.
  void OfficersIn() {
    AtAdmin();
    for (const char* officer : {kOfficer1, kOfficer2}) {
      ASSERT_TRUE(api_.Enrol(officer, inst_.EnrolmentToken(officer))) << officer;
    }
    api_.AdvanceClock(30);
    officer1_ = api_.SignIn(kOfficer1);
    officer2_ = api_.SignIn(kOfficer2);
    ASSERT_FALSE(officer1_.cookie.empty());
    ASSERT_FALSE(officer2_.cookie.empty());
  }

  // A standard account in a new organisation, approved by the two officers; its enrolment token.
  std::string Joiner(const std::string& username) {
    AtAdmin();
    auto org = api_.As(officer1_, "POST", "/api/v1/admin/orgs",
                       Certificates({{"name", "Acme " + username}, {"agreed_expiry_days", 90}}));
    EXPECT_EQ(org.status, 201) << org.body;
    const std::string org_id(JsonOf(org).at("id").as_string());
    EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/orgs/" + org_id + "/remits",
                      boost::json::object{{"name", "north"}})
                  .status,
              201);
    auto req = api_.As(
        officer1_, "POST", "/api/v1/admin/join-requests",
        boost::json::object{
            {"org", org_id},
            {"username", username},
            {"person", {{"name", "Person " + username}, {"email", username + "@example.org"}}},
            {"kind", "standard"},
            {"roles", boost::json::array{"editor"}},
            {"remits", boost::json::array{"north"}},
            {"grants", boost::json::array{}},
            {"bpss_verified_on", "2026-01-15"},
            {"bpss_verified_by", "HR vetting team"}});
    EXPECT_EQ(req.status, 201) << req.body;
    auto ok = api_.As(officer2_, "POST",
                      "/api/v1/admin/join-requests/" +
                          std::string(JsonOf(req).at("id").as_string()) + "/approve");
    EXPECT_EQ(ok.status, 200) << ok.body;
    return std::string(JsonOf(ok).at("enrolment_token").as_string());
  }

  Instance inst_;
  ApiClient api_{inst_};
  Session officer1_;
  Session officer2_;
};

TEST_F(SplitListenersTest, OfficersEnrolAndSignInOnlyAtTheAdminListener) {
  AtPublic();
  EXPECT_FALSE(api_.Enrol(kOfficer1, inst_.EnrolmentToken(kOfficer1)))
      << "an officer's password is never typed at the public listener";
  OfficersIn();  // the token was not spent by the refusal
  AtPublic();
  api_.AdvanceClock(30);
  EXPECT_TRUE(api_.SignIn(kOfficer1).cookie.empty()) << "signed in at the public listener";
  // The answer is the one for a wrong password: the public listener says nothing of the account.
  auto right = api_.Call("POST", "/api/v1/auth/login",
                         boost::json::serialize(boost::json::object{{"username", kOfficer1},
                                                                    {"password", kTestPassword}}));
  auto wrong = api_.Call("POST", "/api/v1/auth/login",
                         boost::json::serialize(boost::json::object{
                             {"username", kOfficer1}, {"password", "not the password at all"}}));
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(ErrorOf(right), ErrorOf(wrong));
  // An officer's session is not read at the public listener, whatever cookie carries it.
  const std::string token = officer1_.cookie.substr(officer1_.cookie.find('=') + 1);
  for (const std::string& cookie : {officer1_.cookie, "__Host-strongroom-session=" + token}) {
    EXPECT_EQ(api_.Call("GET", "/api/v1/auth/session", "", "Cookie: " + cookie + "\r\n").status,
              401)
        << cookie.substr(0, cookie.find('='));  // the cookie's name, never the token
  }
  AtAdmin();
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/auth/session").status, 200);
  EXPECT_EQ(api_.Call("GET", "/api/v1/auth/session", "",
                      "Cookie: __Host-strongroom-session=" + token + "\r\n")
                .status,
            401)
      << "a privileged session travels in its own cookie only";
  EXPECT_TRUE(AnyReasonHas(Events(api_, officer1_, "auth.login.password"),
                           "does not sign in on a listener reaching public"));
  EXPECT_TRUE(AnyReasonHas(Events(api_, officer1_, "auth.enrol.begin"),
                           "does not sign in on a listener reaching public"));
  // Attempts at the public listener count against none of the officer's allowances: from ten
  // addresses (so that no address's own throttle steps in), more than enough to lock out
  // unknown devices, and the officer still signs in at the admin listener from a new one.
  for (int i = 0; i < 10; ++i) {
    ApiClient outsider(inst_);
    outsider.set_source("127.0.1." + std::to_string(10 + i));
    EXPECT_EQ(outsider
                  .Call("POST", "/api/v1/auth/login",
                        boost::json::serialize(
                            boost::json::object{{"username", kOfficer1}, {"password", "guess"}}))
                  .status,
              401);
  }
  api_.AdvanceClock(30);
  EXPECT_FALSE(api_.SignIn(kOfficer1).cookie.empty()) << "locked out from the public listener";
}

TEST_F(SplitListenersTest, StandardAccountsSignInOnlyAtThePublicListener) {
  OfficersIn();
  const auto token = Joiner("ann.editor");
  AtAdmin();
  EXPECT_FALSE(api_.Enrol("ann.editor", token)) << "enrolled at the admin listener";
  AtPublic();
  ASSERT_TRUE(api_.Enrol("ann.editor", token));
  api_.AdvanceClock(30);
  AtAdmin();
  EXPECT_TRUE(api_.SignIn("ann.editor").cookie.empty()) << "signed in at the admin listener";
  AtPublic();
  const auto ann = api_.SignIn("ann.editor");
  ASSERT_FALSE(ann.cookie.empty());
  EXPECT_TRUE(ann.cookie.starts_with("__Host-strongroom-session="));
  auto made = api_.As(ann, "POST", "/api/v1/records",
                      boost::json::object{{"remit", "north"},
                                          {"title", "a case"},
                                          {"classification", "OFFICIAL"},
                                          {"descriptors", boost::json::array{}},
                                          {"body", {{"n", 1}}}});
  EXPECT_EQ(made.status, 201) << made.body;
  AtAdmin();
  EXPECT_EQ(api_.As(ann, "GET", "/api/v1/auth/session").status, 401);
  EXPECT_EQ(api_.As(ann, "GET", "/api/v1/records").status, 404) << "records are not served here";
}

// An admin route asked at the public listener does not exist there, even for an officer's
// session: 404, the same answer as for a path that exists nowhere, and an audited probe.
TEST_F(SplitListenersTest, AnAdminRouteAtThePublicListenerIsANotFoundProbe) {
  OfficersIn();
  AtPublic();
  const auto probe = api_.As(officer1_, "GET", "/api/v1/admin/orgs");
  const auto nowhere = api_.As(officer1_, "GET", "/api/v1/admin/no-such-thing");
  EXPECT_EQ(probe.status, 404);
  EXPECT_EQ(ErrorOf(probe), ErrorOf(nowhere));
  for (const char* path :
       {"/api/v1/audit/events", "/api/v1/retention-orders", "/scim/v2/Users", "/metrics"}) {
    EXPECT_EQ(api_.Call("GET", path, "").status, 404) << path;
  }
  AtAdmin();
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/orgs").status, 200);
  const auto probes = Events(api_, officer1_, "security.probe");
  // Five probes from one address: each counted, the first audited (a flood of probes must not
  // flood the audit log; more from it within the minute are counted only).
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes.front().at("source").as_string(), "127.0.0.1");
  EXPECT_TRUE(
      AnyReasonHas(probes, "a route of the admin surface asked on a listener reaching public"));
  EXPECT_EQ(ScrapeMetric(inst_.metrics_port(),
                         R"(strongroom_http_refused_total{kind="probe",status="404"})"),
            5);
}

// A state-changing request is checked against the origin of the listener it reached.
TEST_F(SplitListenersTest, TheOriginCheckedIsTheListenersOwn) {
  OfficersIn();
  AtAdmin();
  const std::string public_origin = "https://127.0.0.1:" + std::to_string(inst_.port());
  const std::string admin_origin = "https://127.0.0.1:" + std::to_string(inst_.admin_port());
  const boost::json::object org =
      Certificates({{"name", "Origin Ltd"}, {"agreed_expiry_days", 90}});
  EXPECT_EQ(
      api_.As(officer1_, "POST", "/api/v1/admin/orgs", org, "Origin: " + public_origin + "\r\n")
          .status,
      403);
  EXPECT_EQ(
      api_.As(officer1_, "POST", "/api/v1/admin/orgs", org, "Origin: " + admin_origin + "\r\n")
          .status,
      201);
}

TEST_F(SplitListenersTest, MetricsAreServedOnlyAtTheMetricsListener) {
  OfficersIn();
  AtAdmin();
  ASSERT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/orgs").status, 200);
  AtPublic();
  ASSERT_EQ(api_.Call("GET", "/api/v1/admin/orgs", "").status, 404);
  EXPECT_EQ(HttpsGet(inst_.port(), "/metrics").status, 404);
  EXPECT_EQ(HttpsGet(inst_.admin_port(), "/metrics").status, 404);
  EXPECT_EQ(HttpsGet(inst_.metrics_port(), "/api/v1/openapi.json").status, 404);
  EXPECT_EQ(HttpsGet(inst_.metrics_port(), "/api/v1/auth/session").status, 404);
  const auto m = HttpsGet(inst_.metrics_port(), "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_TRUE(m.headers.at("content-type").starts_with("text/plain; version=0.0.4"));
  EXPECT_GE(
      ScrapeMetric(inst_.metrics_port(),
                   R"(strongroom_http_requests_total{route="/api/v1/admin/orgs",status="200"})"),
      1);
  EXPECT_GE(ScrapeMetric(inst_.metrics_port(),
                         R"(strongroom_http_refused_total{kind="probe",status="404"})"),
            1);
  EXPECT_GE(
      ScrapeMetric(inst_.metrics_port(),
                   R"(strongroom_http_request_duration_seconds_count{route="/api/v1/auth/mfa"})"),
      2);
  EXPECT_GE(ScrapeMetric(inst_.metrics_port(), "strongroom_http_connections"), 1);
  EXPECT_EQ(ScrapeMetric(inst_.metrics_port(), "strongroom_worker_queue_depth"), 0);
  EXPECT_EQ(ScrapeMetric(inst_.metrics_port(), "strongroom_sessions"), 2) << "the two officers'";
  EXPECT_GE(ScrapeMetric(inst_.metrics_port(), "strongroom_store_commits_total"), 1);
  EXPECT_GE(ScrapeMetric(inst_.metrics_port(), "strongroom_store_transactions_total"),
            ScrapeMetric(inst_.metrics_port(), "strongroom_store_commits_total"));
  EXPECT_GT(ScrapeMetric(inst_.metrics_port(), "strongroom_store_commit_seconds_total"), 0);
  // Route templates and status codes only: no path, address, username or token.
  const std::vector<std::string> leaks = {"127.0.0.1", kOfficer1, "no-such-thing",
                                          officer1_.cookie.substr(officer1_.cookie.find('=') + 1)};
  for (size_t i = 0; i < leaks.size(); ++i) {
    EXPECT_EQ(m.body.find(leaks[i]), std::string::npos) << "leak " << i;  // never the token
  }
}

// Reads from `fd` until the peer closes or 5 s pass; what arrived.
std::string ReadUntilClosed(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[512];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// The admin listener admits only its allow-list, before TLS: an outsider's connection is closed
// without a byte read or written, and reported (once a minute per source) as a probe.
TEST(AdminAllowListTest, AnOutsiderIsClosedBeforeTheHandshakeAndAudited) {
  Instance inst;
  inst.SetServer({{"admin_listen", Quoted("127.0.0.1:0")}, {"admin_allow", R"(["127.0.0.1/32"])"}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  const int fd = TcpConnect(inst.admin_port(), "127.0.0.2");
  ASSERT_GE(fd, 0) << "the port accepts, then closes";
  const std::string hello = "\x16\x03\x01\x00\x05hello";  // the start of a ClientHello
  (void)::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
  EXPECT_EQ(ReadUntilClosed(fd), "") << "no handshake, no answer";
  ::close(fd);
  std::string error;
  TlsOptions outsider;
  outsider.source_address = "127.0.0.2";
  EXPECT_EQ(TlsClient::Connect(inst.admin_port(), outsider, &error), nullptr);
  // The public listener serves that source as anyone else.
  ApiClient from_outside(inst);
  from_outside.set_source("127.0.0.2");
  EXPECT_EQ(from_outside.Call("GET", "/healthz", "").status, 200);

  ApiClient api(inst, inst.admin_port());
  for (const char* officer : {kOfficer1, kOfficer2}) {
    ASSERT_TRUE(api.Enrol(officer, inst.EnrolmentToken(officer))) << officer;
  }
  api.AdvanceClock(30);
  const auto officer = api.SignIn(kOfficer1);
  ASSERT_FALSE(officer.cookie.empty()) << "from inside the allow-list";
  const auto probes = Events(api, officer, "security.probe");
  ASSERT_EQ(probes.size(), 1u) << "two refused connections, audited once";
  EXPECT_EQ(
      ScrapeMetric(inst.port(), R"(strongroom_http_refused_total{kind="probe",status="403"})"), 2)
      << "and both counted";
  EXPECT_EQ(probes.front().at("source").as_string(), "127.0.0.2");
  EXPECT_TRUE(AnyReasonHas(probes, "from outside its allow-list"));
}

// One listener for everything (development): the allow-lists still decide who reaches the admin
// and metrics surfaces on it.
TEST(SharedListenerTest, OutsidersReachOnlyThePublicSurface) {
  Instance inst;
  inst.SetServer(
      {{"admin_allow", R"(["127.0.0.1/32"])"}, {"metrics_allow", R"(["127.0.0.1/32"])"}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(inst.admin_port(), 0);
  ApiClient inside(inst);
  ApiClient outside(inst);
  outside.set_source("127.0.0.2");
  ASSERT_TRUE(outside.Enrol(kOfficer2, inst.EnrolmentToken(kOfficer2)) == false)
      << "an officer enrolling from outside the admin allow-list";
  ASSERT_TRUE(inside.Enrol(kOfficer1, inst.EnrolmentToken(kOfficer1)));
  inside.AdvanceClock(30);
  const auto officer = inside.SignIn(kOfficer1);
  ASSERT_FALSE(officer.cookie.empty());
  EXPECT_EQ(inside.As(officer, "GET", "/api/v1/admin/orgs").status, 200);
  EXPECT_EQ(outside.As(officer, "GET", "/api/v1/admin/orgs").status, 404)
      << "an admin route from outside the allow-list, even with a session";
  EXPECT_EQ(outside.As(officer, "GET", "/api/v1/auth/session").status, 401);
  EXPECT_EQ(outside.Call("GET", "/metrics", "").status, 404);
  EXPECT_EQ(inside.Call("GET", "/metrics", "").status, 200);
  EXPECT_EQ(outside.Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Events(inside, officer, "security.probe").size(), 1u) << "once a minute an address";
  EXPECT_EQ(
      ScrapeMetric(inst.port(), R"(strongroom_http_refused_total{kind="probe",status="404"})"), 2)
      << "each counted";
}

// The admin listener may present a certificate of its own (say, from an internal CA), and the
// public one goes on presenting the instance's.
TEST(AdminCertificateTest, TheAdminListenerPresentsItsOwnCertificate) {
  Instance inst;
  const auto dir = inst.data_dir() / "tls";
  const auto made = RunProgram(
      "/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                           "-nodes", "-subj", "/CN=admin.strongroom.test", "-days", "2", "-keyout",
                           (dir / "admin.key").string(), "-out", (dir / "admin.pem").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ::chmod((dir / "admin.key").c_str(), 0600);
  inst.SetServer({{"admin_listen", Quoted("127.0.0.1:0")}});
  inst.AddToSection(
      "tls", "admin_certificate = \"tls/admin.pem\"\nadmin_private_key = \"tls/admin.key\"\n");
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto admin = TlsClient::Connect(inst.admin_port());
  auto pub = TlsClient::Connect(inst.port());
  ASSERT_NE(admin, nullptr);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(admin->PeerCommonName(), "admin.strongroom.test");
  EXPECT_FALSE(pub->PeerCommonName().empty());
  EXPECT_NE(pub->PeerCommonName(), "admin.strongroom.test");
  EXPECT_EQ(admin->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  // doctor looks at it as at the public one: it expires in two days.
  const auto doctor = RunBinary({"doctor", "--config", inst.config().string(), "--json"});
  const auto findings = boost::json::parse(doctor.out).as_object().at("checks").as_array();
  std::map<std::string, std::string> status;
  for (const auto& f : findings) {
    status[std::string(f.at("check").as_string())] = std::string(f.at("status").as_string());
  }
  EXPECT_EQ(status["tls.admin.expiry"], "warn") << doctor.out;
  EXPECT_EQ(status["tls.admin.key_strength"], "pass");
  EXPECT_EQ(status["files.tls_admin_key"], "pass");
  EXPECT_EQ(status["tls.expiry"], "pass");
}

TEST(SharedListenerTest, ProductionWarnsThatOneListenerServesEverything) {
  Instance inst("production");
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(inst.Stop(), 0);
  const auto log = ReadFile(inst.process().stderr_path());
  EXPECT_NE(log.find("the public listener also serves the admin+metrics surface"),
            std::string::npos)
      << log;
}

TEST(SplitListenersWarningTest, ProductionWithOwnListenersDoesNotWarn) {
  Instance inst("production");
  inst.SetServer(
      {{"admin_listen", Quoted("127.0.0.1:0")}, {"metrics_listen", Quoted("127.0.0.1:0")}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  EXPECT_EQ(inst.Stop(), 0);
  const auto log = ReadFile(inst.process().stderr_path());
  EXPECT_NE(log.find("serving https://"), std::string::npos) << log;
  EXPECT_EQ(log.find("also serves"), std::string::npos) << log;
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

// Behind a load balancer that passes TLS through with a PROXY protocol header (docs/operations.md,
// "Several nodes"): the client the header names is the source for everything, a header is read
// only from the balancers `proxy_from` names, and their connections without one are refused.
class BehindABalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inst_.SetServer({{"admin_listen", Quoted("127.0.0.1:0")},
                     {"admin_allow", R"(["127.0.0.1/32"])"},
                     {"proxy_from", R"(["127.0.0.9/32"])"}});
    ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
    admin_.set_port(inst_.admin_port());
    for (const char* officer : {kOfficer1, kOfficer2}) {
      ASSERT_TRUE(admin_.Enrol(officer, inst_.EnrolmentToken(officer))) << officer;
    }
    admin_.AdvanceClock(30);
    officer_ = admin_.SignIn(kOfficer1);
    ASSERT_FALSE(officer_.cookie.empty());
  }
  static std::string Header(const std::string& client) {
    return "PROXY TCP4 " + client + " 127.0.0.1 40000 8443\r\n";
  }
  // A failed sign-in, which the audit log records with its source.
  static int FailedSignIn(ApiClient& via) {
    return via
        .Call("POST", "/api/v1/auth/login",
              R"({"username":"nobody.here","password":"not the password at all"})")
        .status;
  }
  // The sources of the refused `action`s, newest first (the officer's own sign-in is not one).
  std::vector<std::string> Sources(const std::string& action) {
    std::vector<std::string> out;
    for (const auto& e : Events(admin_, officer_, action)) {
      if (!e.at("decision").at("allow").as_bool()) out.emplace_back(e.at("source").as_string());
    }
    return out;
  }

  Instance inst_;
  ApiClient admin_{inst_, 0};
  Session officer_;
};

TEST_F(BehindABalancerTest, TheClientTheHeaderNamesIsTheSource) {
  ApiClient balancer(inst_);
  balancer.set_source("127.0.0.9");
  balancer.set_before_handshake(Header("203.0.113.7"));
  EXPECT_EQ(balancer.Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(FailedSignIn(balancer), 401);
  EXPECT_EQ(Sources("auth.login.password"), (std::vector<std::string>{"203.0.113.7"}))
      << "the balancer's own address is nowhere";

  // At the admin listener the client's address meets the allow-list, before TLS.
  ApiClient at_admin(inst_, inst_.admin_port());
  at_admin.set_source("127.0.0.9");
  at_admin.set_before_handshake(Header("203.0.113.8"));
  EXPECT_EQ(at_admin.Call("GET", "/healthz", "").status, 0) << "closed before the handshake";
  const auto probes = Events(admin_, officer_, "security.probe");
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes.front().at("source").as_string(), "203.0.113.8");
  at_admin.set_before_handshake(Header("127.0.0.1"));
  EXPECT_EQ(at_admin.Call("GET", "/healthz", "").status, 200) << "an insider through the balancer";
}

TEST_F(BehindABalancerTest, ABalancerWithoutAHeaderAndAClientWithOneAreRefused) {
  // The balancer's connection without a header, and with hostile ones: refused, and audited once
  // a minute under the balancer's address.
  for (const std::string& bytes :
       {std::string(""), std::string("PROXY TCP4 203.0.113.7 127.0.0.1 40000\r\n"),
        std::string("PROXY TCP4 203.0.113.7 127.0.0.1 40000 8443 \r\n"),
        std::string("PROXY TCP4 ' OR 1=1 -- 127.0.0.1 40000 8443\r\n"),
        std::string("PROXY TCP4 ") + std::string(300, '9') + "\r\n"}) {
    std::string error;
    TlsOptions o;
    o.source_address = "127.0.0.9";
    o.before_handshake = bytes;
    EXPECT_EQ(TlsClient::Connect(inst_.port(), o, &error), nullptr) << bytes;
  }
  const auto refused = Events(admin_, officer_, "http.refused");
  ASSERT_EQ(refused.size(), 1u) << "five refusals, audited once a minute";
  EXPECT_EQ(refused.front().at("source").as_string(), "127.0.0.9");
  EXPECT_TRUE(AnyReasonHas(refused, "PROXY protocol"));

  // Anyone else's header is not read: it goes to TLS as the client's first bytes, and fails there.
  ApiClient client(inst_);
  client.set_source("127.0.0.5");
  client.set_before_handshake(Header("203.0.113.9"));
  EXPECT_EQ(client.Call("GET", "/healthz", "").status, 0);
  client.set_before_handshake("");
  EXPECT_EQ(FailedSignIn(client), 401);
  EXPECT_EQ(Sources("auth.login.password"), (std::vector<std::string>{"127.0.0.5"}))
      << "a client cannot name its own address";
}

// A port nothing listens on now, for a program of the test's own to listen on.
uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// Debian's nginx before the node as docs/operations.md deploys it (`stream`, TLS passed through,
// `proxy_protocol on`): two clients through it are told apart by their own addresses, which only
// the header carries (nginx connects from 127.0.0.9).
TEST_F(BehindABalancerTest, ThroughNginxEachClientKeepsItsAddress) {
  TempDir dir;
  const uint16_t port = FreePort();
  ASSERT_NE(port, 0);
  WriteFile(dir / "nginx.conf",
            fmt::format(R"(load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
pid {0}/nginx.pid;
error_log stderr warn;
events {{}}
stream {{
  server {{
    listen 127.0.0.1:{1};
    proxy_pass 127.0.0.1:{2};
    proxy_protocol on;
    proxy_bind 127.0.0.9;
  }}
}}
)",
                        dir.path().string(), port, inst_.port()));
  ChildProcess nginx("/usr/sbin/nginx", {"-p", dir.path().string(), "-c",
                                         (dir / "nginx.conf").string(), "-e", "stderr"});
  ASSERT_TRUE(WaitFor(
      [&] {
        const int fd = TcpConnect(port);
        if (fd >= 0) ::close(fd);
        return fd >= 0;
      },
      std::chrono::seconds(10)))
      << "nginx listens: " << ReadFile(nginx.stderr_path());
  for (const char* client : {"127.0.0.5", "127.0.0.6"}) {
    ApiClient through(inst_, port);
    through.set_source(client);
    EXPECT_EQ(through.Call("GET", "/healthz", "").status, 200) << client;
    EXPECT_EQ(FailedSignIn(through), 401) << client;
  }
  EXPECT_EQ(Sources("auth.login.password"), (std::vector<std::string>{"127.0.0.6", "127.0.0.5"}));
}

}  // namespace
}  // namespace strongroom::testing
