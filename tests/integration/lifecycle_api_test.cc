// Joiners, movers and leavers over HTTPS against the real binary, run by the admins: join requests
// approved by a second admin, organisations with current certificates, leavers (one by one, by
// bulk list, and from the command line), movers, expiry and renewal.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/secret.h"
#include "crypto/aead.h"
#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

// Joiners, movers and leavers, run by the admins over the API.
class LifecycleApiTest : public OrgFixture {
 protected:
  int SessionStatus(const std::string& user) {
    return api_.As(sessions_[user], "GET", "/api/v1/auth/session").status;
  }
  HttpResponse Admin(const Session& admin, const std::string& user, const std::string& action,
                     const boost::json::object& body = {}) {
    return api_.As(admin, "POST", "/api/v1/admin/users/" + account_ids_[user] + "/" + action,
                   body.empty() ? std::string() : boost::json::serialize(body));
  }
  boost::json::array Users(const Session& admin, const std::string& query) {
    auto r = api_.As(admin, "GET", "/api/v1/admin/users" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = JsonOf(r);
    return body.contains("items") ? body.at("items").as_array() : boost::json::array{};
  }
  static bool Lists(const boost::json::array& users, const std::string& username) {
    return std::any_of(users.begin(), users.end(),
                       [&](const auto& u) { return u.at("username").as_string() == username; });
  }
  // An org admin for organisation A, approved by officer two, signed in.
  Session OrgAdminOfA() {
    EnrolOrgAdmin(org_a_, "ada.admin");
    return api_.SignIn("ada.admin");
  }
};

TEST_F(LifecycleApiTest, ALeaverLosesAccessOnTheNextRequestAndIsNeverBack) {
  ASSERT_EQ(SessionStatus("rob.reader"), 200);
  EXPECT_EQ(Admin(officer1_, "rob.reader", "leave").status, 204);
  EXPECT_EQ(SessionStatus("rob.reader"), 401);
  EXPECT_EQ(api_.As(sessions_["rob.reader"], "GET", "/api/v1/records").status, 401);
  EXPECT_TRUE(api_.SignIn("rob.reader").cookie.empty()) << "a leaver cannot sign in";
  EXPECT_EQ(Admin(officer1_, "rob.reader", "leave").status, 409);
  EXPECT_EQ(Admin(officer1_, "rob.reader", "renew", {{"until", "2099-01-01"}}).status, 409);
  // The username is never given to anyone else.
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                    JoinBody(org_a_, "rob.reader", {}, {"north"}, {}, "standard",
                             "someone.else@example.org"))
                .status,
            409);
  auto left = Users(officer1_, "?status=left");
  EXPECT_TRUE(Lists(left, "rob.reader"));
  EXPECT_TRUE(Lists(Users(officer1_, "?moved_since=2000-01-01"), "rob.reader"));
  // Lists are arrays in JSON, as join requests take them.
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.at(0).at("roles"), boost::json::array{"reader"});
  EXPECT_EQ(left.at(0).at("remits"), boost::json::array{"north"});
  EXPECT_EQ(left.at(0).at("grants").as_array().size(), 4u);
}

// Sessions are answered from memory: a leave invalidates it before it is acknowledged. Eight
// threads ask with the leaver's session all the while; every request that starts after the
// leave's answer arrived is refused.
TEST_F(LifecycleApiTest, NoRequestThatStartsAfterALeaveIsAcknowledgedIsServed) {
  using Steady = std::chrono::steady_clock;
  struct Sample {
    Steady::time_point start;
    int status;
  };
  constexpr int kThreads = 8;
  std::atomic<bool> left{false}, stop{false};
  std::atomic<int> served_before{0}, asked_after{0};
  std::vector<std::vector<Sample>> samples(kThreads);
  std::vector<std::thread> threads;
  const auto session = sessions_["rob.reader"];
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ApiClient client(inst_);
      while (!stop) {
        const bool after = left;
        const auto start = Steady::now();
        const int status = client.As(session, "GET", "/api/v1/auth/session").status;
        samples[t].push_back({start, status});
        if (!after && status == 200) ++served_before;
        if (after) ++asked_after;
      }
    });
  }
  while (served_before < kThreads * 3) std::this_thread::yield();
  const auto leave = Admin(officer1_, "rob.reader", "leave");
  const auto acknowledged = Steady::now();
  left = true;
  while (asked_after < kThreads * 5) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_EQ(leave.status, 204);
  int after = 0;
  for (const auto& each : samples) {
    for (const auto& s : each) {
      if (s.start <= acknowledged) continue;
      ++after;
      EXPECT_EQ(s.status, 401) << "a request that started after the leave was answered";
    }
  }
  EXPECT_GE(after, kThreads * 5);
}

TEST_F(LifecycleApiTest, AReturningLeaverGetsANewAccountNeverTheOldOne) {
  // While rob's account is live, the same person cannot be given a second standard account.
  auto twin = api_.As(
      officer1_, "POST", "/api/v1/admin/join-requests",
      JoinBody(org_a_, "rob.again", {}, {"north"}, {}, "standard", "rob.reader@example.org"));
  EXPECT_EQ(twin.status, 409) << twin.body;
  ASSERT_EQ(Admin(officer1_, "rob.reader", "leave").status, 204);
  // Once he has left, he may return: a new username, a new join request, approved by a second
  // person, a new enrolment. The account that left stays left and cannot sign in.
  auto asked = api_.As(
      officer1_, "POST", "/api/v1/admin/join-requests",
      JoinBody(org_a_, "rob.returns", {}, {"north"}, {}, "standard", "rob.reader@example.org"));
  ASSERT_EQ(asked.status, 201) << asked.body;
  auto approved = api_.As(officer2_, "POST",
                          "/api/v1/admin/join-requests/" +
                              std::string(JsonOf(asked).at("id").as_string()) + "/approve");
  ASSERT_EQ(approved.status, 200) << approved.body;
  const std::string token(JsonOf(approved).at("enrolment_token").as_string());
  EXPECT_TRUE(Lists(Users(officer1_, "?status=left"), "rob.reader"));
  EXPECT_FALSE(Lists(Users(officer1_, "?status=left"), "rob.returns"));
  ASSERT_TRUE(api_.Enrol("rob.returns", token));
  api_.AdvanceClock(30);
  EXPECT_FALSE(api_.SignIn("rob.returns").cookie.empty());
  EXPECT_TRUE(api_.SignIn("rob.reader").cookie.empty()) << "the old account never comes back";
  // And while the new one is live, no third.
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                    JoinBody(org_a_, "rob.thrice", {}, {"north"}, {}, "standard",
                             "rob.reader@example.org"))
                .status,
            409);
}

TEST_F(LifecycleApiTest, AMoverGetsTheNewAssignmentInsteadOfTheOld) {
  auto made = CreateRecord("ann.editor", "north record");
  ASSERT_EQ(made.status, 201);
  // sam.south moves from south to north: sessions end, and the new remit replaces the old.
  EXPECT_EQ(
      Admin(officer1_, "sam.south", "move",
            {{"roles", boost::json::array{"reader"}}, {"remits", boost::json::array{"north"}}})
          .status,
      204);
  EXPECT_EQ(SessionStatus("sam.south"), 401);
  api_.AdvanceClock(30);
  sessions_["sam.south"] = api_.SignIn("sam.south");
  EXPECT_EQ(ListCount("sam.south"), 1);
  auto moved = Users(officer1_, "?moved_since=2000-01-01");
  ASSERT_TRUE(Lists(moved, "sam.south"));
  for (const auto& u : moved) {
    if (u.at("username").as_string() == "sam.south") {
      EXPECT_EQ(u.at("remits"), boost::json::array{"north"});
    }
  }
  // A move to a remit of another organisation, or to a privileged role, is refused.
  EXPECT_EQ(Admin(officer1_, "sam.south", "move",
                  {{"roles", boost::json::array{"reader"}}, {"remits", boost::json::array{"west"}}})
                .status,
            400);
  EXPECT_EQ(Admin(officer1_, "sam.south", "move",
                  {{"roles", boost::json::array{"org_admin"}}, {"remits", boost::json::array{}}})
                .status,
            400);
}

TEST_F(LifecycleApiTest, ForcedExpiryEndsAccessAndRenewalRestoresIt) {
  EXPECT_EQ(Admin(officer1_, "rob.reader", "expire").status, 204);
  EXPECT_EQ(SessionStatus("rob.reader"), 401);
  api_.AdvanceClock(30);
  EXPECT_TRUE(api_.SignIn("rob.reader").cookie.empty());
  EXPECT_TRUE(Lists(Users(officer1_, "?status=expired"), "rob.reader"));
  // Renewal is bounded by the organisation's agreed period (90 days).
  EXPECT_EQ(Admin(officer1_, "rob.reader", "renew", {{"until", "2099-01-01"}}).status, 400);
  const auto until = FormatRfc3339(SystemClock().Now() + std::chrono::days(60));
  EXPECT_EQ(Admin(officer1_, "rob.reader", "renew", {{"until", until}}).status, 204);
  api_.AdvanceClock(30);
  EXPECT_FALSE(api_.SignIn("rob.reader").cookie.empty());
  // Expiry at a later date shows in the "expiring soon" list.
  const auto soon = FormatRfc3339(SystemClock().Now() + std::chrono::days(3));
  EXPECT_EQ(Admin(officer1_, "ann.editor", "expire", {{"at", soon}}).status, 204);
  EXPECT_TRUE(Lists(Users(officer1_, "?expiring_within_days=14"), "ann.editor"));
  EXPECT_FALSE(Lists(Users(officer1_, "?expiring_within_days=14"), "bea.other"));
  EXPECT_EQ(Admin(officer1_, "ann.editor", "expire", {{"at", "2001-01-01T00:00:00Z"}}).status, 400);
}

TEST_F(LifecycleApiTest, TheExpiryJobExpiresAccountsPastTheirDateUnderAMovedClock) {
  auto run = [&] {
    auto r = api_.Call("POST", "/__test/jobs/expire-accounts", "");
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r).at("count").as_int64();
  };
  EXPECT_EQ(run(), 0);
  api_.AdvanceClock(91 * 24 * 3600);  // past every account's 90 days
  EXPECT_GE(run(), 6);                // the four users and both officers
  EXPECT_EQ(run(), 0) << "expired once";
  EXPECT_EQ(SessionStatus("ann.editor"), 401);
  EXPECT_TRUE(api_.SignIn("ann.editor").cookie.empty());
}

TEST_F(LifecycleApiTest, DormantAccountsAreThoseWithNoSignInForNDays) {
  EXPECT_FALSE(Lists(Users(officer1_, "?dormant_days=30"), "ann.editor"));
  api_.AdvanceClock(31 * 24 * 3600);
  officer1_ = api_.SignIn(kOfficer1);
  sessions_["rob.reader"] = api_.SignIn("rob.reader");  // signs in again: not dormant
  const auto dormant = Users(officer1_, "?dormant_days=30");
  EXPECT_TRUE(Lists(dormant, "ann.editor"));
  EXPECT_TRUE(Lists(dormant, "bea.other"));
  EXPECT_FALSE(Lists(dormant, "rob.reader"));
  EXPECT_FALSE(Lists(dormant, kOfficer1));
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/users?dormant_days=0").status, 400);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/users?status=superuser").status, 400);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/users?moved_since=yesterday").status, 400);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/users?format=xml").status, 400);
}

TEST_F(LifecycleApiTest, AnOrgAdminManagesOnlyTheirOwnOrganisation) {
  auto ada = OrgAdminOfA();
  ASSERT_FALSE(ada.cookie.empty());
  auto users = Users(ada, "");
  EXPECT_TRUE(Lists(users, "ann.editor"));
  EXPECT_FALSE(Lists(users, "bea.other")) << "another organisation's user";
  EXPECT_FALSE(Lists(users, kOfficer1));
  // Another organisation's user, and a privileged account, are "not found" to an org admin.
  EXPECT_EQ(Admin(ada, "bea.other", "leave").status, 404);
  EXPECT_EQ(SessionStatus("bea.other"), 200);
  EXPECT_EQ(api_.As(ada, "POST", "/api/v1/admin/orgs/" + org_b_ + "/remits",
                    boost::json::object{{"name", "east"}})
                .status,
            404);
  // Remits: their own organisation's are listed; another's is "not found", as one that is not.
  auto remits = api_.As(ada, "GET", "/api/v1/admin/orgs/" + org_a_ + "/remits");
  ASSERT_EQ(remits.status, 200) << remits.body;
  const auto items = JsonOf(remits).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items.at(0).at("name"), "north");
  EXPECT_EQ(items.at(1).at("name"), "south");
  EXPECT_EQ(api_.As(ada, "GET", "/api/v1/admin/orgs/" + org_b_ + "/remits").status, 404);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/orgs/" + org_b_ + "/remits").status, 200);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/orgs/org-0000000000000000/remits").status,
            404);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/orgs/" + org_a_ + "/remits?all=1").status,
            400);
  EXPECT_EQ(
      api_.As(sessions_["ann.editor"], "GET", "/api/v1/admin/orgs/" + org_a_ + "/remits").status,
      401)
      << "a standard session is not read on the admin listener";
  // Their own organisation's: yes.
  EXPECT_EQ(Admin(ada, "sam.south", "leave").status, 204);
  // An org admin may ask for a standard account in their organisation, not approve it alone.
  auto req = api_.As(ada, "POST", "/api/v1/admin/join-requests",
                     JoinBody(org_a_, "new.joiner", {}, {"north"}, {}));
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string approve =
      "/api/v1/admin/join-requests/" + std::string(JsonOf(req).at("id").as_string()) + "/approve";
  EXPECT_EQ(api_.As(ada, "POST", approve).status, 403);
  auto pending = api_.As(officer2_, "GET", "/api/v1/admin/join-requests?status=pending");
  EXPECT_NE(pending.body.find("new.joiner"), std::string::npos);
  EXPECT_EQ(api_.As(officer2_, "POST", approve).status, 200);
}

TEST_F(LifecycleApiTest, CsvListsNeutraliseFormulas) {
  auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests", [&] {
    auto body = JoinBody(org_a_, "eve.formula", {}, {"north"}, {});
    body["person"].as_object()["name"] = "=HYPERLINK(\"http://evil.example/\",\"x\")";
    return body;
  }());
  ASSERT_EQ(req.status, 201) << req.body;
  ASSERT_EQ(api_.As(officer2_, "POST",
                    "/api/v1/admin/join-requests/" + std::string(JsonOf(req).at("id").as_string()) +
                        "/approve")
                .status,
            200);
  auto csv = api_.As(officer1_, "GET", "/api/v1/admin/users?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_NE(csv.body.find("\"'=HYPERLINK("), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find(",=HYPERLINK"), std::string::npos);
  EXPECT_EQ(csv.body.find(",\"=HYPERLINK"), std::string::npos);
  EXPECT_TRUE(csv.body.starts_with("id,username,org,"));
}

// An org admin's bulk leavers list must not tell which usernames exist in other organisations.
TEST_F(LifecycleApiTest, AnOrgAdminsLeaversListTreatsOtherOrganisationsUsersAsUnknown) {
  const auto admin = OrgAdminOfA();
  auto dry =
      api_.As(admin, "POST", "/api/v1/admin/leavers?dry_run=true",
              "username\nbea.other\nnobody.here\n" + std::string(kOfficer1) + "\nrob.reader\n",
              "Content-Type: text/csv\r\n");
  ASSERT_EQ(dry.status, 200) << dry.body;
  std::vector<std::string> results;
  const auto body = JsonOf(dry);
  for (const auto& row : body.at("rows").as_array()) {
    results.emplace_back(row.at("result").as_string());
  }
  EXPECT_EQ(results,
            (std::vector<std::string>{"not_found", "not_found", "not_found", "will_remove"}));
  EXPECT_EQ(SessionStatus("bea.other"), 200);
}

TEST_F(LifecycleApiTest, BulkLeaversDryRunThenApplyThenAgain) {
  inst_.ExpectAttacks();  // the hostile rows are reported (an officer's upload is let through)
  auto upload = [&](const std::string& csv, const std::string& dry_run) {
    return api_.As(officer1_, "POST", "/api/v1/admin/leavers?dry_run=" + dry_run, csv,
                   "Content-Type: text/csv\r\n");
  };
  const std::string csv =
      "\xEF\xBB\xBFusername,reason\r\nrob.reader,\"left, 2026\"\r\nnobody.here,x\r\n"
      "=cmd|' /C calc'!A0,x\r\n" +
      std::string(kOfficer1) + ",self\r\nsam.south,moved on\r\n";
  auto dry = upload(csv, "true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  auto results = [](const HttpResponse& r) {
    std::vector<std::string> out;
    const auto body = JsonOf(r);
    for (const auto& row : body.at("rows").as_array()) {
      out.emplace_back(row.at("result").as_string());
    }
    return out;
  };
  EXPECT_EQ(results(dry), (std::vector<std::string>{"will_remove", "not_found", "invalid", "self",
                                                    "will_remove"}));
  EXPECT_FALSE(JsonOf(dry).at("applied").as_bool());
  EXPECT_EQ(SessionStatus("rob.reader"), 200) << "a dry run changes nothing";
  auto applied = upload(csv, "false");
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(results(applied),
            (std::vector<std::string>{"removed", "not_found", "invalid", "self", "removed"}));
  EXPECT_EQ(SessionStatus("rob.reader"), 401);
  EXPECT_EQ(SessionStatus("sam.south"), 401);
  EXPECT_EQ(SessionStatus("ann.editor"), 200);
  auto again = upload(csv, "false");
  EXPECT_EQ(results(again), (std::vector<std::string>{"already_left", "not_found", "invalid",
                                                      "self", "already_left"}));
  // By email too, LF line ends.
  auto by_email = upload("email\nann.editor@example.org\n", "false");
  EXPECT_EQ(results(by_email), (std::vector<std::string>{"removed"}));

  // Malformed uploads are refused whole, naming the line; nothing changes.
  struct Case {
    std::string csv;
    int status;
    std::string message;
  } cases[] = {
      {"username\nbea.other\n\"never closed\n", 400, "line 3: a quote is never closed"},
      {"username\nbea.other\n\xff\xfe\n", 400, "line 3: not valid UTF-8"},
      {"name\nbea.other\n", 400, "line 1: the header needs a username or email column"},
      {"", 400, "line 1: no header row"},
  };
  for (const auto& c : cases) {
    auto r = upload(c.csv, "false");
    EXPECT_EQ(r.status, c.status) << c.message;
    EXPECT_EQ(JsonOf(r).at("error").at("message").as_string(), c.message);
  }
  std::string many = "username\n";
  for (int i = 0; i <= 100'000; ++i) many += "u" + std::to_string(i) + "\n";
  EXPECT_EQ(upload(many, "false").status, 400) << "100,001 rows";
  EXPECT_EQ(upload("username\n" + std::string(10 * 1024 * 1024, 'a'), "false").status, 413);
  EXPECT_EQ(
      api_.As(officer1_, "POST", "/api/v1/admin/leavers?dry_run=false", "username\nx\n").status,
      400)
      << "JSON content type";
  EXPECT_EQ(upload("username\nbea.other\n", "maybe").status, 400);
  EXPECT_EQ(SessionStatus("bea.other"), 200);
  // Standard accounts remove nobody: their sessions are not read on the admin surface.
  EXPECT_EQ(api_.As(sessions_["bea.other"], "POST", "/api/v1/admin/leavers?dry_run=false",
                    "username\nrob.reader\n", "Content-Type: text/csv\r\n")
                .status,
            401);
}

TEST_F(LifecycleApiTest, JoinRequestsNeedASecondAdminWhoIsNotTheSubject) {
  const boost::json::array none;
  // Officer one asks for a standard account for officer two (the same person as officer two's
  // privileged account): officer one may not approve their own request, officer two may not
  // approve an account for themselves.
  auto ops = api_.As(officer1_, "GET", "/api/v1/admin/orgs");
  ASSERT_EQ(ops.status, 200);
  std::string operator_org;
  const auto orgs = JsonOf(ops);
  for (const auto& o : orgs.at("items").as_array()) {
    if (o.at("name").as_string() == "Service operator") operator_org = o.at("id").as_string();
  }
  ASSERT_FALSE(operator_org.empty());
  auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                     JoinBody(operator_org, "officer.two.reader", {}, none, none, "standard",
                              "officer.two@demo.invalid"));
  ASSERT_EQ(req.status, 201) << req.body;
  const std::string id(JsonOf(req).at("id").as_string());
  const std::string approve = "/api/v1/admin/join-requests/" + id + "/approve";
  EXPECT_EQ(api_.As(officer1_, "POST", approve).status, 403);
  EXPECT_EQ(api_.As(officer2_, "POST", approve).status, 403);
  // Standard accounts approve nothing: their sessions are not read on the admin surface.
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", approve).status, 401);
  auto reject = api_.As(officer2_, "POST", "/api/v1/admin/join-requests/" + id + "/reject",
                        boost::json::object{{"reason", "not needed"}});
  EXPECT_EQ(reject.status, 204);
  EXPECT_EQ(api_.As(officer2_, "POST", approve).status, 409) << "decided already";

  // A username is never given twice; generic names are refused.
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                    JoinBody(org_a_, "ann.editor", {}, {"north"}, none))
                .status,
            409);
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                    JoinBody(org_a_, "admin", {}, {"north"}, none))
                .status,
            400);
  // Unknown remits, grants and roles, and privileged accounts with remits, are refused.
  for (auto body : {JoinBody(org_a_, "x.one", {}, {"west"}, none),
                    JoinBody(org_a_, "x.two", {}, {"north"}, {"TOP-SECRET"}),
                    JoinBody(org_a_, "x.three", {"superuser"}, {"north"}, none),
                    JoinBody(org_a_, "x.four", {"org_admin"}, {"north"}, none, "privileged")}) {
    EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/join-requests", body).status, 400);
  }
}

// Someone who has lost every second factor (security keys, authenticator, recovery codes) enrols
// again through the join-approval rules: one admin asks, a second approves, the old credentials
// stop working at once, and the new enrolment token sets up the same account again.
TEST_F(LifecycleApiTest, SomeoneWhoLostEveryFactorEnrolsAgainThroughASecondAdmin) {
  ASSERT_EQ(SessionStatus("rob.reader"), 200);
  auto asked = Admin(officer1_, "rob.reader", "reenrol");
  ASSERT_EQ(asked.status, 201) << asked.body;
  const auto request = JsonOf(asked);
  EXPECT_EQ(request.at("purpose"), "reenrol");
  const std::string id(request.at("id").as_string());
  EXPECT_EQ(Admin(officer2_, "rob.reader", "reenrol").status, 409) << "one waits already";
  auto listed = api_.As(officer2_, "GET", "/api/v1/admin/join-requests");
  ASSERT_EQ(listed.status, 200);
  const auto items = JsonOf(listed);
  int found = 0;
  for (const auto& j : items.at("items").as_array()) {
    if (j.at("id") != id.c_str()) continue;
    ++found;
    EXPECT_EQ(j.at("purpose"), "reenrol");
    EXPECT_EQ(j.at("account_id"), account_ids_["rob.reader"].c_str());
    EXPECT_EQ(j.at("username"), "rob.reader");
  }
  EXPECT_EQ(found, 1);
  const std::string approve = "/api/v1/admin/join-requests/" + id + "/approve";
  EXPECT_EQ(api_.As(officer1_, "POST", approve).status, 403) << "never the one who asked";
  EXPECT_EQ(SessionStatus("rob.reader"), 200) << "nothing happens before approval";

  auto ok = api_.As(officer2_, "POST", approve);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto approved = JsonOf(ok);
  EXPECT_EQ(approved.at("purpose"), "reenrol");
  EXPECT_EQ(approved.at("account_id"), account_ids_["rob.reader"].c_str());
  const std::string token(approved.at("enrolment_token").as_string());
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(SessionStatus("rob.reader"), 401) << "the old session ends at once";
  EXPECT_TRUE(api_.SignIn("rob.reader").cookie.empty()) << "the old password and code";

  ASSERT_TRUE(api_.Enrol("rob.reader", token));
  api_.AdvanceClock(30);
  sessions_["rob.reader"] = api_.SignIn("rob.reader");
  ASSERT_FALSE(sessions_["rob.reader"].cookie.empty());
  EXPECT_EQ(ListCount("rob.reader"), 0) << "the same account, its remits as they were";
  EXPECT_EQ(Users(officer1_, "?status=active").size(), 6u) << "no account was added";
  EXPECT_EQ(Decided(officer1_, "admin.user.reenrol"), std::make_pair(1, 1));
}

TEST_F(LifecycleApiTest, HostileReenrolmentsAreRefusedChangeNothingAndAreAudited) {
  ASSERT_EQ(Admin(officer1_, "sam.south", "leave").status, 204);
  const std::string base = "/api/v1/admin/users/";
  const std::string rob = base + account_ids_["rob.reader"] + "/reenrol";
  Session no_csrf = officer1_;
  no_csrf.csrf.clear();
  const std::vector<std::tuple<std::string, HttpResponse, int>> cases = {
      {"no such account", api_.As(officer1_, "POST", base + "acc-0000000000000000/reenrol"), 404},
      {"SQL in the id", api_.As(officer1_, "POST", base + "x'%20OR%20'1'%3D'1/reenrol"), 404},
      {"a long id", api_.As(officer1_, "POST", base + std::string(3000, 'a') + "/reenrol"), 404},
      {"a leaver", Admin(officer1_, "sam.south", "reenrol"), 409},
      {"a body where none is taken", api_.As(officer1_, "POST", rob, R"({"why":"lost"})"), 400},
      {"no CSRF token", api_.As(no_csrf, "POST", rob), 403},
      {"a standard session", api_.As(sessions_["ann.editor"], "POST", rob), 401},
  };
  for (const auto& [what, r, want] : cases) {
    EXPECT_EQ(r.status, want) << what << ": " << r.body;
    EXPECT_EQ(r.body.find("DROP"), std::string::npos) << what;
  }
  auto pending = api_.As(officer2_, "GET", "/api/v1/admin/join-requests");
  ASSERT_EQ(pending.status, 200);
  EXPECT_TRUE(JsonOf(pending).at("items").as_array().empty()) << "nothing asked";
  EXPECT_EQ(SessionStatus("rob.reader"), 200);
  // Each is in the audit log: as the action, or as what refused it before the action was read.
  EXPECT_EQ(Decided(officer1_, "admin.user.reenrol"), std::make_pair(0, 4));
  EXPECT_EQ(Decided(officer1_, "http.body"), std::make_pair(0, 1));
  EXPECT_EQ(Decided(officer1_, "auth.csrf").second, 1);
}

TEST_F(LifecycleApiTest, OrganisationsNeedCurrentCertificates) {
  auto lapsed = Certificates({{"name", "Lapsed Ltd"}});
  lapsed["iso27001"] = {{"reference", "ISO-1"}, {"expires_on", "2020-01-01"}};
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/orgs", lapsed).status, 409);
  auto missing = Certificates({{"name", "Missing Ltd"}});
  missing.erase("cyber_essentials_plus");
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/orgs", missing).status, 400);
  auto bad_date = Certificates({{"name", "Bad Date Ltd"}});
  bad_date["iso27001"] = {{"reference", "ISO-1"}, {"expires_on", "tomorrow"}};
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/orgs", bad_date).status, 400);
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/admin/orgs",
                    Certificates({{"name", "Acme Casework Ltd"}}))
                .status,
            409);
  // Only security officers create organisations (a standard session is not even read there).
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", "/api/v1/admin/orgs",
                    Certificates({{"name", "Mine Ltd"}}))
                .status,
            401);
}

class SupplierCertificateTest : public OrgFixture {};

TEST_F(SupplierCertificateTest, ALapsedCertificateSuspendsTheOrganisationUntilRenewed) {
  const auto in_days = [](int n) {
    return FormatRfc3339(SystemClock().Now() + std::chrono::days(n)).substr(0, 10);
  };
  const boost::json::object soon{
      {"iso27001", {{"reference", "ISO-2"}, {"expires_on", in_days(2)}}},
      {"cyber_essentials_plus", {{"reference", "CEP-2"}, {"expires_on", in_days(300)}}}};
  EXPECT_EQ(
      api_.As(sessions_["bea.other"], "PUT", "/api/v1/admin/orgs/" + org_b_ + "/certificates", soon)
          .status,
      401);
  ASSERT_EQ(
      api_.As(officer1_, "PUT", "/api/v1/admin/orgs/" + org_b_ + "/certificates", soon).status,
      200);
  auto lapsing =
      api_.As(officer1_, "GET", "/api/v1/admin/orgs?certificates_lapsing_within_days=30");
  ASSERT_EQ(lapsing.status, 200);
  EXPECT_NE(lapsing.body.find("Beta Services Ltd"), std::string::npos);
  EXPECT_EQ(lapsing.body.find("Acme Casework Ltd"), std::string::npos);

  api_.AdvanceClock(3 * 24 * 3600);
  auto job = api_.Call("POST", "/__test/jobs/certificates", "");
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(JsonOf(job).at("count").as_int64(), 1);
  EXPECT_TRUE(api_.SignIn("bea.other").cookie.empty()) << "a suspended organisation's people";
  EXPECT_FALSE(api_.SignIn("ann.editor").cookie.empty()) << "other organisations go on";

  officer1_ = api_.SignIn(kOfficer1);
  const boost::json::object renewed{
      {"iso27001", {{"reference", "ISO-3"}, {"expires_on", in_days(400)}}},
      {"cyber_essentials_plus", {{"reference", "CEP-2"}, {"expires_on", in_days(300)}}}};
  auto r = api_.As(officer1_, "PUT", "/api/v1/admin/orgs/" + org_b_ + "/certificates", renewed);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonOf(r).at("status").as_string(), "active");
  api_.AdvanceClock(30);
  EXPECT_FALSE(api_.SignIn("bea.other").cookie.empty());
}

class LeaversCliTest : public OrgFixture {};

TEST_F(LeaversCliTest, AppliesAFileWithTheServiceStoppedAndAuditsTheOperator) {
  const auto file = inst_.data_dir() / "leavers.csv";
  {
    std::ofstream out(file);
    out << "username\nrob.reader\nnobody.here\n\"=cmd\"\n";
  }
  auto busy =
      RunBinary({"admin", "leavers", "apply", "--config", inst_.config().string(), file.string()});
  EXPECT_NE(busy.exit_code, 0) << "the service holds the instance";
  ASSERT_EQ(inst_.Stop(), 0);
  auto dry = RunBinary({"admin", "leavers", "apply", "--config", inst_.config().string(),
                        file.string(), "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("line 2: rob.reader will_remove"), std::string::npos) << dry.out;
  auto run =
      RunBinary({"admin", "leavers", "apply", "--config", inst_.config().string(), file.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("line 2: rob.reader removed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("line 3: nobody.here not_found"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("line 4: =cmd invalid"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("3/3"), std::string::npos) << "a progress bar: " << run.err;
  auto again =
      RunBinary({"admin", "leavers", "apply", "--config", inst_.config().string(), file.string()});
  EXPECT_NE(again.out.find("line 2: rob.reader already_left"), std::string::npos) << again.out;
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "admin.user.leave"});
  EXPECT_NE(audit.out.find("\"kind\":\"cli\""), std::string::npos) << audit.out;
  ASSERT_TRUE(inst_.Start());
  EXPECT_TRUE(api_.SignIn("rob.reader").cookie.empty());
}

}  // namespace
}  // namespace strongroom::testing
