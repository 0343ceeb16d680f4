// Exports over HTTPS against the real binary: a second person approves, only the requester
// downloads, once, and requests and archives expire.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/secret.h"
#include "crypto/aead.h"
#include "integration/org_fixture.h"

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
  EXPECT_EQ(api_.As(officer1_, "POST", "/api/v1/exports/" + id + "/approve").status, 401)
      << "a privileged session is not read on the public surface";
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

// The approval answers from the bulk lane; what is refused before it runs is refused as on any
// route: a body where none is taken, an id that is no export's, and each is audited.
TEST_F(ExportApiTest, AnApprovalWithABodyOrAHostileIdIsRefusedAndChangesNothing) {
  inst_.ExpectAttacks();  // the SQL in a body and in an id is reported, or refused at the edge
  const auto id = RequestExport("ann.editor");
  const std::string approve = "/api/v1/exports/" + id + "/approve";
  const auto& amy = sessions_["amy.approver"];
  const std::vector<std::tuple<std::string, HttpResponse, std::set<int>>> cases = {
      {"a body where none is taken", api_.As(amy, "POST", approve, R"({"why":"now"})"), {400}},
      {"SQL for a body", api_.As(amy, "POST", approve, "' OR 1=1 --"), {400, 403}},
      {"a long body", api_.As(amy, "POST", approve, std::string(70000, 'a')), {400, 413}},
      {"no such export", Approve("amy.approver", "exp-0000000000000000"), {404}},
      {"SQL in the id", Approve("amy.approver", "x'%20OR%20'1'%3D'1"), {403, 404}},
      {"a long id", Approve("amy.approver", std::string(3000, 'e')), {404}},
  };
  for (const auto& [what, r, want] : cases) {
    EXPECT_TRUE(want.contains(r.status)) << what << ": " << r.status << " " << r.body;
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos) << what;
  }
  auto mine = api_.As(sessions_["ann.editor"], "GET", "/api/v1/exports");
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(JsonOf(mine).at("mine").as_array().at(0).at("status").as_string(), "pending")
      << "nothing approved";
  // Each is in the audit log: as what refused the body before the approval was read, or as a
  // refused approval.
  EXPECT_GE(Decided(officer1_, "http.body").second, 1);
  EXPECT_GE(Decided(officer1_, "export.approve").second, 2);
  auto ok = Approve("amy.approver", id);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// The download reads the archive before its write decides: an id that is no approved export of
// the caller's is refused there (audited), and the real archive is untouched by the attempts.
TEST_F(ExportApiTest, ADownloadOfAHostileIdIsRefusedAndChangesNothing) {
  inst_.ExpectAttacks();  // the SQL in an id is reported, or refused at the edge
  const auto id = RequestExport("ann.editor");
  ASSERT_EQ(Approve("amy.approver", id).status, 200);
  const auto refused_before = Decided(officer1_, "export.download").second;
  const std::vector<std::tuple<std::string, HttpResponse, std::set<int>>> cases = {
      {"no such export", Download("ann.editor", "exp-0000000000000000"), {404}},
      {"SQL in the id", Download("ann.editor", "x'%20OR%20'1'%3D'1"), {403, 404}},
      {"the id with SQL after it", Download("ann.editor", id + "'%20OR%20'1'%3D'1"), {403, 404}},
      {"a long id", Download("ann.editor", std::string(3000, 'e')), {404}},
      {"a control character", Download("ann.editor", id + "%0A"), {400, 403, 404}},
      {"a script", Download("ann.editor", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"), {403, 404}},
  };
  int reached = 0;
  for (const auto& [what, r, want] : cases) {
    EXPECT_TRUE(want.contains(r.status)) << what << ": " << r.status << " " << r.body;
    EXPECT_EQ(r.body.find("<script>"), std::string::npos) << what;
    EXPECT_FALSE(r.headers.contains("x-strongroom-archive-key")) << what;
    if (r.status == 404) ++reached;
  }
  // Each that reached the service is a refused download in the audit log.
  EXPECT_GE(reached, 2);
  EXPECT_EQ(Decided(officer1_, "export.download").second, refused_before + reached);
  auto got = Download("ann.editor", id);
  ASSERT_EQ(got.status, 200) << got.body;
  const auto key = HexDecode(got.headers["x-strongroom-archive-key"]);
  ASSERT_TRUE(key);
  EXPECT_TRUE(crypto::Open(Secret(*key), AsBytes(got.body), AsBytes(id))) << "the archive, whole";
}

TEST_F(ExportApiTest, ListsOnesOwnAndThoseToApproveOnly) {
  const auto id = RequestExport("ann.editor");
  const auto list = [&](const std::string& user, const std::string& query = "") {
    auto r = api_.As(sessions_[user], "GET", "/api/v1/exports" + query);
    EXPECT_EQ(r.status, 200) << user << " " << r.body;
    return JsonOf(r);
  };
  const auto ann = list("ann.editor");
  ASSERT_EQ(ann.at("mine").as_array().size(), 1u);
  const auto& mine = ann.at("mine").at(0);
  EXPECT_EQ(mine.at("id").as_string(), id);
  EXPECT_EQ(mine.at("status").as_string(), "pending");
  EXPECT_EQ(mine.at("reason").as_string(), "case review");
  EXPECT_TRUE(ann.at("to_approve").as_array().empty()) << "not an approver, and her own";
  const auto amy = list("amy.approver");
  EXPECT_TRUE(amy.at("mine").as_array().empty());
  ASSERT_EQ(amy.at("to_approve").as_array().size(), 1u);
  EXPECT_EQ(amy.at("to_approve").at(0).at("requester").as_string(), "ann.editor");
  EXPECT_FALSE(amy.at("to_approve").at(0).as_object().contains("records"));
  for (const char* user : {"rob.reader", "bea.other"}) {
    const auto other = list(user);
    EXPECT_TRUE(other.at("mine").as_array().empty()) << user;
    EXPECT_TRUE(other.at("to_approve").as_array().empty()) << user;
  }
  ASSERT_EQ(Approve("amy.approver", id).status, 200);
  EXPECT_TRUE(list("amy.approver").at("to_approve").as_array().empty()) << "approved";
  const auto approved = list("ann.editor");
  EXPECT_EQ(approved.at("mine").at(0).at("status").as_string(), "approved");
  EXPECT_EQ(approved.at("mine").at(0).at("records").as_int64(), 3);

  // A query, or a malformed request: refused before anything is read, and audited.
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", "/api/v1/exports?status=all").status, 400);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", "/api/v1/exports",
                    boost::json::object{{"scope", {{"remit", 7}}}, {"reason", "x"}})
                .status,
            400);
  const auto [allowed, refused] = Decided(officer1_, "export.list");
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(allowed, 6) << "six lists above";
  const auto requests =
      JsonOf(api_.As(officer1_, "GET", "/api/v1/audit/events?action=export.request&limit=100"));
  EXPECT_EQ(requests.at("items").as_array().size(), 2u) << "the one made, the one refused";
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
