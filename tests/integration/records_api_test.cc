// Records and joiners over HTTPS against the real binary: organisations and remits made by a
// security officer, accounts made only through join requests approved by a second admin, then
// records created, read, changed and listed by the people those accounts belong to.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/clock.h"
#include "common/secret.h"
#include "crypto/aead.h"
#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

class RecordsApiTest : public OrgFixture {};

TEST_F(RecordsApiTest, EditorCreatesReaderReadsOutsidersCannotTellItExists) {
  auto made = CreateRecord("ann.editor", "Case 1: <b>Smith</b> & 'Jones'");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  EXPECT_EQ(made.headers["etag"], "\"1\"");

  auto seen = api_.As(sessions_["rob.reader"], "GET", "/api/v1/records/" + id);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(seen.headers["etag"], "\"1\"");
  auto record = JsonOf(seen);
  EXPECT_EQ(record.at("title").as_string(), "Case 1: <b>Smith</b> & 'Jones'");
  EXPECT_EQ(record.at("body").at("summary").as_string(), "BODY Case 1: <b>Smith</b> & 'Jones'");
  EXPECT_EQ(record.at("classification").as_string(), "OFFICIAL");
  EXPECT_EQ(record.at("version").as_int64(), 1);

  // Another remit, another organisation and a made-up id all get the same answer.
  auto missing = api_.As(sessions_["rob.reader"], "GET",
                         "/api/v1/records/rec-00000000000000000000000000000000");
  ASSERT_EQ(missing.status, 404);
  for (const char* outsider : {"sam.south", "bea.other"}) {
    auto r = api_.As(sessions_[outsider], "GET", "/api/v1/records/" + id);
    EXPECT_EQ(r.status, 404) << outsider;
    EXPECT_EQ(JsonOf(r).at("error"), JsonOf(missing).at("error")) << outsider;
    EXPECT_EQ(r.body.find("Smith"), std::string::npos) << outsider;
    EXPECT_EQ(ListCount(outsider), 0) << outsider;
  }
  EXPECT_EQ(ListCount("rob.reader"), 1);
  // Security officers administer; they never see record content.
  auto officer = api_.As(officer1_, "GET", "/api/v1/records/" + id);
  EXPECT_EQ(officer.status, 403);
  EXPECT_EQ(officer.body.find("Smith"), std::string::npos);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/records").status, 403);
}

// Privileged accounts never see record content, and cannot use the refusal to learn which record
// ids exist in any organisation: an existing id and a missing one get the same answer.
TEST_F(RecordsApiTest, PrivilegedAccountsCannotTellWhichRecordIdsExist) {
  auto made = CreateRecord("bea.other", "Case in organisation B");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string existing(JsonOf(made).at("id").as_string());
  const std::string change =
      boost::json::serialize(boost::json::object{{"title", "x"},
                                                 {"classification", "OFFICIAL"},
                                                 {"descriptors", boost::json::array{}},
                                                 {"body", boost::json::object{}}});
  auto answers = [&](const Session& who, const std::string& id) {
    const std::string path = "/api/v1/records/" + id;
    std::vector<std::string> out;
    for (const auto& r :
         {api_.As(who, "GET", path), api_.As(who, "PUT", path, change, "If-Match: \"1\"\r\n"),
          api_.As(who, "DELETE", path, "", "If-Match: \"1\"\r\n")}) {
      out.push_back(std::to_string(r.status) + " " + boost::json::serialize(JsonOf(r).at("error")));
    }
    return out;
  };
  for (const auto* who : {&officer1_, &officer2_}) {
    const auto for_existing = answers(*who, existing);
    EXPECT_EQ(for_existing, answers(*who, "rec-00000000000000000000000000000000"));
    EXPECT_EQ(for_existing, answers(*who, "rec-nonsense"));
    EXPECT_TRUE(for_existing[0].starts_with("403 ")) << for_existing[0];
  }
  auto still = api_.As(sessions_["bea.other"], "GET", "/api/v1/records/" + existing);
  EXPECT_EQ(JsonOf(still).at("title").as_string(), "Case in organisation B");
}

TEST_F(RecordsApiTest, ChangesNeedTheEditorRoleAndTheCurrentETag) {
  auto made = CreateRecord("ann.editor", "first title");
  ASSERT_EQ(made.status, 201);
  const std::string path = "/api/v1/records/" + std::string(JsonOf(made).at("id").as_string());
  const boost::json::object change{{"title", "second title"},
                                   {"classification", "OFFICIAL-SENSITIVE"},
                                   {"descriptors", boost::json::array{}},
                                   {"body", {{"x", 2}}}};
  // Readers are read-only, whatever they send.
  EXPECT_EQ(api_.As(sessions_["rob.reader"], "PUT", path, change, "If-Match: \"1\"\r\n").status,
            403);
  EXPECT_EQ(api_.As(sessions_["rob.reader"], "DELETE", path, "", "If-Match: \"1\"\r\n").status,
            403);
  EXPECT_EQ(CreateRecord("rob.reader", "a reader's record").status, 403);
  // No If-Match, a malformed one, a stale one.
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "PUT", path, change).status, 400);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "PUT", path, change, "If-Match: 1\r\n").status, 400);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "PUT", path, change, "If-Match: \"7\"\r\n").status,
            409);
  auto ok = api_.As(sessions_["ann.editor"], "PUT", path, change, "If-Match: \"1\"\r\n");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers["etag"], "\"2\"");
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "PUT", path, change, "If-Match: \"1\"\r\n").status,
            409);
  auto now = JsonOf(api_.As(sessions_["ann.editor"], "GET", path));
  EXPECT_EQ(now.at("title").as_string(), "second title");
  EXPECT_EQ(now.at("version").as_int64(), 2);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "DELETE", path, "", "If-Match: \"1\"\r\n").status,
            409);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "DELETE", path, "", "If-Match: \"2\"\r\n").status,
            204);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", path).status, 404);
}

TEST_F(RecordsApiTest, HostileBodiesAreRefusedAuditedAndChangeNothing) {
  ASSERT_EQ(CreateRecord("ann.editor", "the only record").status, 201);
  const std::string valid =
      R"({"remit":"north","title":"t","classification":"OFFICIAL","descriptors":[],"body":{}})";
  struct Case {
    const char* what;
    std::string body;
    int status;
  } cases[] = {
      {"unknown field",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","body":{},"org":"x"})", 400},
      {"title not a string", R"({"remit":"north","title":7,"classification":"OFFICIAL","body":{}})",
       400},
      {"body an array", R"({"remit":"north","title":"t","classification":"OFFICIAL","body":[1]})",
       400},
      {"body a string", R"({"remit":"north","title":"t","classification":"OFFICIAL","body":"x"})",
       400},
      {"descriptors a string",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","descriptors":"PERSONAL","body":{}})",
       400},
      {"NUL in title",
       R"({"remit":"north","title":"a\u0000b","classification":"OFFICIAL","body":{}})", 400},
      {"escape in title",
       R"({"remit":"north","title":"\u001b[2J","classification":"OFFICIAL","body":{}})", 400},
      {"SQL classification",
       R"({"remit":"north","title":"t","classification":"OFFICIAL' OR '1'='1","body":{}})", 400},
      {"script descriptor",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","descriptors":["<script>"],"body":{}})",
       400},
      {"traversal remit",
       R"({"remit":"../../etc","title":"t","classification":"OFFICIAL","body":{}})", 403},
      {"invalid UTF-8",
       std::string("{\"remit\":\"north\",\"title\":\"\xc0\xaf\",\"classification\":\"OFFICIAL\","
                   "\"body\":{}}"),
       400},
      {"repeated key (parsers disagree on which wins)",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","classification":"OFFICIAL-SENSITIVE","body":{}})",
       400},
      {"not JSON", "remit=north&title=t", 400},
      {"truncated", valid.substr(0, valid.size() - 3), 400},
      {"deep nesting",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","body":)" +
           std::string(100, '[') + std::string(100, ']') + "}",
       400},
      {"10 MB body",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","body":{"x":")" +
           std::string(10 * 1024 * 1024, 'a') + "\"}}",
       413},
      {"300 KiB body",
       R"({"remit":"north","title":"t","classification":"OFFICIAL","body":{"x":")" +
           std::string(300 * 1024, 'a') + "\"}}",
       400},
  };
  for (const auto& c : cases) {
    auto r = api_.As(sessions_["ann.editor"], "POST", "/api/v1/records", c.body);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body.substr(0, 200);
    EXPECT_EQ(JsonOf(r).at("error").at("code").is_string(), true) << c.what;
    // Nothing of the input comes back.
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << c.what;
    EXPECT_EQ(r.body.find("OR '1'"), std::string::npos) << c.what;
  }
  EXPECT_EQ(ListCount("ann.editor"), 1) << "nothing was created";
  // Every attempt that reached the service is in the audit log, refused, with the actor named
  // (the 10 MB body is cut off by the HTTP layer before it is read).
  auto events = api_.As(officer1_, "GET", "/api/v1/audit/events?action=record.create&limit=100");
  ASSERT_EQ(events.status, 200);
  const auto found = JsonOf(events);
  int refused = 0;
  for (const auto& e : found.at("items").as_array()) {
    if (e.at("decision").at("allow").as_bool()) continue;
    EXPECT_EQ(e.at("actor").at("username").as_string(), "ann.editor");
    ++refused;
  }
  EXPECT_EQ(refused, static_cast<int>(std::size(cases)) - 1);
  // A hostile id in the path is just a record that is not there.
  for (const char* id :
       {"..%2F..%2Fetc%2Fpasswd", "rec-'%20OR%20'1'='1", "%00", "x%0d%0aSet-Cookie:a"}) {
    auto r = api_.As(sessions_["ann.editor"], "GET", std::string("/api/v1/records/") + id);
    EXPECT_EQ(r.status, 404) << id;
  }
}

TEST_F(RecordsApiTest, RecordContentIsNotInTheDatabaseFiles) {
  const std::string marker = "PLAINTEXT-MARKER-c41f07";
  ASSERT_EQ(CreateRecord("ann.editor", marker).status, 201);
  // The control: the same scan finds the marker in a file that holds it in plaintext.
  const auto control = inst_.data_dir() / "control.txt";
  std::ofstream(control) << "before " << marker << " after";
  std::map<std::string, size_t> scanned;  // file name -> bytes read
  bool found_in_control = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(inst_.data_dir())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    const auto bytes = all.str();
    scanned[e.path().filename().string()] = bytes.size();
    if (e.path() == control) {
      found_in_control = bytes.find(marker) != std::string::npos;
    } else {
      EXPECT_EQ(bytes.find(marker), std::string::npos) << e.path();
    }
  }
  EXPECT_TRUE(found_in_control) << "the scan can find the marker";
  EXPECT_GT(scanned["strongroom.db"], 0u) << "the database was read";
  EXPECT_GT(scanned["strongroom.db-wal"], 0u) << "its write-ahead log was read";
}

TEST_F(RecordsApiTest, JoinRequestsNeedASecondAdminWhoIsNotTheSubject) {
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
  // Standard accounts approve nothing.
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", approve).status, 403);
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

TEST_F(RecordsApiTest, OrganisationsNeedCurrentCertificates) {
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
  // Only security officers create organisations.
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", "/api/v1/admin/orgs",
                    Certificates({{"name", "Mine Ltd"}}))
                .status,
            403);
}

// Joiners, movers and leavers, run by the admins over the API.
class LifecycleApiTest : public RecordsApiTest {
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
    auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                       JoinBody(org_a_, "ada.admin", {"org_admin"}, {}, {}, "privileged"));
    EXPECT_EQ(req.status, 201) << req.body;
    auto ok = api_.As(officer2_, "POST",
                      "/api/v1/admin/join-requests/" +
                          std::string(JsonOf(req).at("id").as_string()) + "/approve");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(api_.Enrol("ada.admin", std::string(JsonOf(ok).at("enrolment_token").as_string())));
    api_.AdvanceClock(30);
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
  // Standard accounts remove nobody.
  EXPECT_EQ(api_.As(sessions_["bea.other"], "POST", "/api/v1/admin/leavers?dry_run=false",
                    "username\nrob.reader\n", "Content-Type: text/csv\r\n")
                .status,
            403);
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

class RetentionApiTest : public OrgFixture {};

TEST_F(RetentionApiTest, AnOrderStopsDeleteAndPurgeUntilASecondOfficerLiftsIt) {
  auto made =
      api_.As(sessions_["ann.editor"], "POST", "/api/v1/records",
              boost::json::object{
                  {"remit", "north"},
                  {"title", "held"},
                  {"classification", "OFFICIAL"},
                  {"descriptors", boost::json::array{"PERSONAL"}},
                  {"body", boost::json::object{}},
                  {"retain_until", FormatRfc3339(SystemClock().Now() + std::chrono::hours(24))}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string path = "/api/v1/records/" + std::string(JsonOf(made).at("id").as_string());
  const boost::json::object order{
      {"reference", "LIT-42"},
      {"reason", "pending litigation"},
      {"review_on", "2099-06-30"},
      {"scope",
       {{"org", org_a_}, {"remit", "north"}, {"descriptors", boost::json::array{"PERSONAL"}}}}};
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", "/api/v1/retention-orders", order).status,
            403);
  auto created = api_.As(officer1_, "POST", "/api/v1/retention-orders", order);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(JsonOf(created).at("id").as_string());
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "DELETE", path, "", "If-Match: \"1\"\r\n").status,
            409);
  // Past its retention date, still held: the purge leaves it.
  api_.AdvanceClock(2 * 24 * 3600);
  sessions_["ann.editor"] = {};
  auto purge = api_.Call("POST", "/__test/jobs/purge", "");
  ASSERT_EQ(purge.status, 200) << purge.body;
  EXPECT_EQ(JsonOf(purge).at("count").as_int64(), 0);
  // The officers' sessions idled out with the clock: sign in again.
  officer1_ = api_.SignIn(kOfficer1);
  officer2_ = api_.SignIn(kOfficer2);
  auto listed = api_.As(officer2_, "GET", "/api/v1/retention-orders");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("LIT-42"), std::string::npos);
  const std::string lift = "/api/v1/retention-orders/" + id + "/lift";
  EXPECT_EQ(api_.As(officer1_, "POST", lift, boost::json::object{{"reason", "settled"}}).status,
            403)
      << "the officer who made it";
  EXPECT_EQ(api_.As(officer2_, "POST", lift, boost::json::object{{"reason", "settled"}}).status,
            204);
  EXPECT_EQ(api_.As(officer2_, "POST", lift, boost::json::object{{"reason", "again"}}).status, 409);
  purge = api_.Call("POST", "/__test/jobs/purge", "");
  EXPECT_EQ(JsonOf(purge).at("count").as_int64(), 1);
}

TEST(PurgeCliTest, DryRunAndPurgeWithTheServiceStopped) {
  Instance inst;
  auto dry = RunBinary({"purge", "--config", inst.config().string(), "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run: 0 record(s)"), std::string::npos) << dry.out;
  ASSERT_TRUE(inst.Start());
  auto busy = RunBinary({"purge", "--config", inst.config().string()});
  EXPECT_NE(busy.exit_code, 0) << "the running service holds the instance lock";
  inst.Stop();
  auto run = RunBinary({"purge", "--config", inst.config().string()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("purged 0 record(s)"), std::string::npos) << run.out;
}

// The token `seed-demo` printed for `username`, or "".
std::string SeededToken(const std::string& out, const std::string& username) {
  const auto line = out.find("  " + username + " ");
  if (line == std::string::npos) return "";
  const auto at = out.find("token ", line);
  return at == std::string::npos ? "" : out.substr(at + 6, 64);
}

TEST(SeedDemoTest, SeededPeopleEnrolAndSeeOnlyWhatTheirGrantsAllow) {
  Instance inst("test");
  auto seeded = RunBinary({"seed-demo", "--config", inst.config().string(), "--organisations", "2",
                           "--people", "4", "--records", "60"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  EXPECT_NE(seeded.out.find("Seeded 2 organisation(s), 8 person(s) and 120 record(s)"),
            std::string::npos)
      << seeded.out.substr(0, seeded.out.find('\n'));  // not the tokens below it
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto busy = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(busy.exit_code, 2) << "the running service holds the instance lock";

  ApiClient api(inst);
  for (const char* who : {"basil.example.a", "dev.example.a", "basil.example.b"}) {
    ASSERT_TRUE(api.Enrol(who, SeededToken(seeded.out, who))) << who;
  }
  // A token is the person's own: it does not enrol anyone twice.
  EXPECT_FALSE(api.Enrol("dev.example.a", SeededToken(seeded.out, "dev.example.a")));
  api.AdvanceClock(30);
  const auto editor = api.SignIn("basil.example.a");
  const auto reader = api.SignIn("dev.example.a");
  const auto other = api.SignIn("basil.example.b");
  ASSERT_FALSE(editor.cookie.empty());
  ASSERT_FALSE(reader.cookie.empty());
  ASSERT_FALSE(other.cookie.empty());

  auto listed = [&](const Session& s) {
    auto r = api.As(s, "GET", "/api/v1/records?limit=100");
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r);
  };
  const auto all = listed(editor);
  ASSERT_EQ(all.at("items").as_array().size(), 60u);
  EXPECT_EQ(all.at("next_cursor").as_string(), "");
  const auto mine = listed(reader);
  const auto& seen = mine.at("items").as_array();
  EXPECT_GT(seen.size(), 0u);
  EXPECT_LT(seen.size(), 60u);
  std::set<std::string> readable;
  for (const auto& item : seen) {
    const auto& o = item.as_object();
    EXPECT_EQ(o.at("remit").as_string(), "north");
    EXPECT_EQ(o.at("classification").as_string(), "OFFICIAL");
    for (const auto& d : o.at("descriptors").as_array()) EXPECT_EQ(d.as_string(), "PERSONAL");
    readable.insert(std::string(o.at("id").as_string()));
  }
  int hidden = 0;
  for (const auto& item : all.at("items").as_array()) {
    const std::string id(item.at("id").as_string());
    auto full = api.As(editor, "GET", "/api/v1/records/" + id);
    ASSERT_EQ(full.status, 200) << full.body;
    EXPECT_TRUE(JsonOf(full).at("body").at("synthetic").as_bool());
    EXPECT_EQ(api.As(reader, "GET", "/api/v1/records/" + id).status,
              readable.count(id) ? 200 : 404);
    hidden += readable.count(id) ? 0 : 1;
    EXPECT_EQ(api.As(other, "GET", "/api/v1/records/" + id).status, 404)
        << "another demo organisation's editor";
  }
  EXPECT_GT(hidden, 0);
}

TEST(SeedDemoTest, RefusedOnAProductionInstanceWhateverItsConfigurationSays) {
  Instance inst("production");
  const auto before = RunBinary({"audit", "verify", "--config", inst.config().string()});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  auto r = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refuses to run on a production instance"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // Editing the configuration to say "test" does not make the production store a test one.
  std::stringstream text;
  text << std::ifstream(inst.config()).rdbuf();
  std::string config = text.str();
  const auto at = config.find("environment = \"production\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 26, "environment = \"test\"");
  std::ofstream(inst.config(), std::ios::trunc) << config;
  auto claimed = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(claimed.exit_code, 2);
  EXPECT_NE(claimed.err.find("never cross environments"), std::string::npos) << claimed.err;
  std::ofstream(inst.config(), std::ios::trunc) << text.str();
  const auto after = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(after.out, before.out) << "nothing was written";
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

class ExportApiTest : public OrgFixture {
 protected:
  void SetUp() override {
    OrgFixture::SetUp();
    if (HasFatalFailure()) return;
    const boost::json::array all{"OFFICIAL-SENSITIVE", "PERSONAL", "COMMERCIAL", "LOCSEN"};
    const auto token = Join(org_a_, "amy.approver", {"reader", "approver"}, {"north"}, all);
    ASSERT_TRUE(api_.Enrol("amy.approver", token));
    api_.AdvanceClock(30);
    sessions_["amy.approver"] = api_.SignIn("amy.approver");
    ASSERT_FALSE(sessions_["amy.approver"].cookie.empty());
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(CreateRecord("ann.editor", "export me " + std::to_string(i)).status, 201);
    ASSERT_EQ(CreateRecord("ann.editor", "elsewhere", "south").status, 403) << "not ann's remit";
  }

  std::string RequestExport(const std::string& user) {
    auto r =
        api_.As(sessions_[user], "POST", "/api/v1/exports",
                boost::json::object{{"scope", {{"remit", "north"}}}, {"reason", "case review"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(JsonOf(r).at("id").as_string());
  }
  HttpResponse Approve(const std::string& user, const std::string& id) {
    return api_.As(sessions_[user], "POST", "/api/v1/exports/" + id + "/approve");
  }
  HttpResponse Download(const std::string& user, const std::string& id) {
    return api_.As(sessions_[user], "GET", "/api/v1/exports/" + id + "/download");
  }
};

TEST_F(ExportApiTest, ASecondPersonApprovesAndOnlyTheRequesterDownloadsOnce) {
  const auto id = RequestExport("ann.editor");
  EXPECT_EQ(Approve("ann.editor", id).status, 403) << "the requester";
  EXPECT_EQ(Approve("rob.reader", id).status, 403) << "no approver role";
  EXPECT_EQ(Approve("bea.other", id).status, 404) << "another organisation";
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/exports/" + id + "/approve").status, 404)
      << "the operator's officers are of another organisation";
  EXPECT_EQ(Download("ann.editor", id).status, 409) << "not approved yet";
  auto ok = Approve("amy.approver", id);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(JsonOf(ok).at("records").as_int64(), 3);
  EXPECT_EQ(Approve("amy.approver", id).status, 409) << "approved already";
  EXPECT_EQ(Download("amy.approver", id).status, 404) << "not the approver's";
  auto got = Download("ann.editor", id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.headers["content-type"], "application/octet-stream");
  EXPECT_EQ(got.body.find("export me"), std::string::npos) << "encrypted";
  const auto key = HexDecode(got.headers["x-strongroom-archive-key"]);
  ASSERT_TRUE(key);
  Secret k(*key);
  auto plain = crypto::Open(k, AsBytes(got.body), AsBytes(id));
  ASSERT_TRUE(plain) << plain.error().message;
  const auto archive = boost::json::parse(std::string(plain->begin(), plain->end())).as_object();
  EXPECT_EQ(archive.at("records").as_array().size(), 3u);
  EXPECT_NE(std::string(plain->begin(), plain->end()).find("export me 2"), std::string::npos);
  EXPECT_EQ(Download("ann.editor", id).status, 409) << "downloaded once only";
}

TEST_F(ExportApiTest, RequestsAndArchivesExpire) {
  const auto stale = RequestExport("ann.editor");
  const auto fresh = RequestExport("ann.editor");
  ASSERT_EQ(Approve("amy.approver", fresh).status, 200);
  api_.AdvanceClock(25 * 3600);  // the archive's 24 hours pass; the request's 72 do not
  sessions_["ann.editor"] = api_.SignIn("ann.editor");
  sessions_["amy.approver"] = api_.SignIn("amy.approver");
  EXPECT_EQ(Download("ann.editor", fresh).status, 409);
  EXPECT_EQ(api_.Call("POST", "/__test/jobs/purge", "").status, 200);
  api_.AdvanceClock(48 * 3600);
  sessions_["amy.approver"] = api_.SignIn("amy.approver");
  EXPECT_EQ(Approve("amy.approver", stale).status, 409) << "72 hours without approval";
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

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
      403);
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

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

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
