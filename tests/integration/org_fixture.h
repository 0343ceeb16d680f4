#pragma once
// Two security officers enrolled and signed in; two organisations (A with remits north and south,
// B with north); four standard users made through join requests (asked by officer one, approved
// by officer two), enrolled and signed in:
//   ann.editor (A, editor, north)   rob.reader (A, reader, north)
//   sam.south  (A, reader, south)   bea.other  (B, reader and editor, north)
// all with every grant.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "integration/api_client.h"

namespace strongroom::testing {

constexpr const char* kOfficer1 = "demo.officer.one";
constexpr const char* kOfficer2 = "demo.officer.two";

inline boost::json::object Certificates(boost::json::object org) {
  org["iso27001"] = {{"reference", "ISO-123"}, {"expires_on", "2099-01-01"}};
  org["cyber_essentials_plus"] = {{"reference", "CEP-456"}, {"expires_on", "2099-01-01"}};
  return org;
}

class OrgFixture : public ::testing::Test {
 protected:
  // `init_args`: more for `strongroom init` (e.g. another store).
  explicit OrgFixture(const std::vector<std::string>& init_args = {}) : inst_("test", init_args) {}

  void SetUp() override {
    ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
    for (const char* officer : {kOfficer1, kOfficer2}) {
      ASSERT_TRUE(api_.Enrol(officer, inst_.EnrolmentToken(officer)));
    }
    api_.AdvanceClock(30);  // each TOTP code works once: sign in on the next step
    officer1_ = api_.SignIn(kOfficer1);
    officer2_ = api_.SignIn(kOfficer2);
    ASSERT_FALSE(officer1_.cookie.empty());
    ASSERT_FALSE(officer2_.cookie.empty());

    org_a_ = MakeOrg("Acme Casework Ltd", {"north", "south"});
    org_b_ = MakeOrg("Beta Services Ltd", {"north"});
    const boost::json::array all{"OFFICIAL-SENSITIVE", "PERSONAL", "COMMERCIAL", "LOCSEN"};
    std::map<std::string, std::string> tokens;
    tokens["ann.editor"] = Join(org_a_, "ann.editor", {"editor"}, {"north"}, all);
    tokens["rob.reader"] = Join(org_a_, "rob.reader", {}, {"north"}, all);
    tokens["sam.south"] = Join(org_a_, "sam.south", {"reader"}, {"south"}, all);
    tokens["bea.other"] = Join(org_b_, "bea.other", {"reader", "editor"}, {"north"}, all);
    for (const auto& [user, token] : tokens) {
      ASSERT_EQ(token.size(), 64u) << user;
      ASSERT_TRUE(api_.Enrol(user, token)) << user;
    }
    api_.AdvanceClock(30);
    for (const auto& [user, token] : tokens) {
      sessions_[user] = api_.SignIn(user);
      ASSERT_FALSE(sessions_[user].cookie.empty()) << user;
    }
  }

  std::string MakeOrg(const std::string& name, const std::vector<std::string>& remits) {
    auto r = api_.As(officer1_, "POST", "/api/v1/admin/orgs",
                     Certificates({{"name", name}, {"agreed_expiry_days", 90}}));
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id(JsonOf(r).at("id").as_string());
    for (const auto& remit : remits) {
      auto made = api_.As(officer1_, "POST", "/api/v1/admin/orgs/" + id + "/remits",
                          boost::json::object{{"name", remit}});
      EXPECT_EQ(made.status, 201) << made.body;
    }
    return id;
  }

  boost::json::object JoinBody(const std::string& org, const std::string& username,
                               boost::json::array roles, boost::json::array remits,
                               boost::json::array grants, const std::string& kind = "standard",
                               const std::string& email = "") {
    return {{"org", org},
            {"username", username},
            {"person",
             {{"name", "Person " + username},
              {"email", email.empty() ? username + "@example.org" : email}}},
            {"kind", kind},
            {"roles", std::move(roles)},
            {"remits", std::move(remits)},
            {"grants", std::move(grants)},
            {"bpss_verified_on", "2026-01-15"},
            {"bpss_verified_by", "HR vetting team"}};
  }

  // Officer one asks, officer two approves; returns the enrolment token.
  std::string Join(const std::string& org, const std::string& username, boost::json::array roles,
                   boost::json::array remits, boost::json::array grants) {
    auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                       JoinBody(org, username, roles, remits, grants));
    EXPECT_EQ(req.status, 201) << req.body;
    const std::string id(JsonOf(req).at("id").as_string());
    auto ok = api_.As(officer2_, "POST", "/api/v1/admin/join-requests/" + id + "/approve");
    EXPECT_EQ(ok.status, 200) << ok.body;
    account_ids_[username] = std::string(JsonOf(ok).at("account_id").as_string());
    return std::string(JsonOf(ok).at("enrolment_token").as_string());
  }

  // An org admin of `org` (a privileged account), asked for by officer one, approved by officer
  // two, and enrolled; the clock moved on a step, so it may sign in.
  void EnrolOrgAdmin(const std::string& org, const std::string& username) {
    auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                       JoinBody(org, username, {"org_admin"}, {}, {}, "privileged"));
    EXPECT_EQ(req.status, 201) << req.body;
    auto ok = api_.As(officer2_, "POST",
                      "/api/v1/admin/join-requests/" +
                          std::string(JsonOf(req).at("id").as_string()) + "/approve");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(api_.Enrol(username, std::string(JsonOf(ok).at("enrolment_token").as_string())));
    api_.AdvanceClock(30);
  }

  // How many `action` events the audit log holds, allowed and refused (in that order), searched
  // as `who` (a security officer).
  std::pair<int, int> Decided(const Session& who, const std::string& action) {
    auto events = api_.As(who, "GET", "/api/v1/audit/events?limit=1000&action=" + action);
    EXPECT_EQ(events.status, 200) << events.body;
    int allowed = 0, refused = 0;
    const auto found = JsonOf(events);
    for (const auto& e : found.at("items").as_array()) {
      ++(e.at("decision").at("allow").as_bool() ? allowed : refused);
    }
    return {allowed, refused};
  }

  // A new record's JSON, as POST /api/v1/records takes it.
  static boost::json::object RecordBody(const std::string& title,
                                        const std::string& remit = "north",
                                        const std::string& classification = "OFFICIAL") {
    return {{"remit", remit},
            {"title", title},
            {"classification", classification},
            {"descriptors", boost::json::array{"PERSONAL"}},
            {"body", {{"summary", "BODY " + title}, {"n", 1}}}};
  }
  HttpResponse CreateRecord(const std::string& user, const std::string& title,
                            const std::string& remit = "north",
                            const std::string& classification = "OFFICIAL") {
    return api_.As(sessions_[user], "POST", "/api/v1/records",
                   RecordBody(title, remit, classification));
  }

  int ListCount(const std::string& user) {
    auto r = api_.As(sessions_[user], "GET", "/api/v1/records?limit=100");
    EXPECT_EQ(r.status, 200) << r.body;
    return static_cast<int>(JsonOf(r).at("items").as_array().size());
  }

  Instance inst_;
  ApiClient api_{inst_};
  Session officer1_, officer2_;
  std::string org_a_, org_b_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, std::string> account_ids_;
};

}  // namespace strongroom::testing
