// Records over HTTPS against the real binary: created, read, changed and listed by the people
// accounts made through approved join requests belong to, with hostile input refused and
// nothing readable in the database files.

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
  // Security officers administer; they never see record content. Their sessions are not even
  // read on the records routes, which are the public surface's (common/surface.h).
  auto officer = api_.As(officer1_, "GET", "/api/v1/records/" + id);
  EXPECT_EQ(officer.status, 401);
  EXPECT_EQ(officer.body.find("Smith"), std::string::npos);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/records").status, 401);
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
    EXPECT_TRUE(for_existing[0].starts_with("401 ")) << for_existing[0];
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
  // A signed-in writer's body is record content: attacks in it are reported, not refused, so the
  // service's own answers below are what is tested. Attacks in the path are refused.
  inst_.ExpectAttacks();
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
  // A hostile id in the path is refused as an attack, or is just a record that is not there.
  for (const auto& [id, status] :
       std::vector<std::pair<const char*, int>>{{"..%2F..%2Fetc%2Fpasswd", 403},
                                                {"%00", 403},
                                                {"x%0d%0aSet-Cookie:a", 403},
                                                {"rec-'%20OR%20'1'='1", 404}}) {
    auto r = api_.As(sessions_["ann.editor"], "GET", std::string("/api/v1/records/") + id);
    EXPECT_EQ(r.status, status) << id;
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

}  // namespace
}  // namespace strongroom::testing
