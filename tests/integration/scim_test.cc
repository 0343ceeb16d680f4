// SCIM provisioning against the real binary, in the conversations Microsoft Entra ID and Okta
// have with a SCIM server, authenticated by a provisioner service account's API token; and the
// API tokens themselves.

#include <gtest/gtest.h>

#include "common/clock.h"
#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

class ScimTest : public OrgFixture {
 protected:
  void SetUp() override {
    OrgFixture::SetUp();
    if (HasFatalFailure()) return;
    token_ = ProvisionerToken(org_a_, "acme.provisioner");
    ASSERT_TRUE(token_.starts_with("srt_")) << token_;
  }

  // A provisioner service account for `org`, asked by officer one, approved by officer two, with
  // a token issued by officer one.
  std::string ProvisionerToken(const std::string& org, const std::string& username) {
    auto req = api_.As(officer1_, "POST", "/api/v1/admin/join-requests",
                       JoinBody(org, username, {"provisioner"}, {}, {}, "service",
                                "owner." + username + "@example.org"));
    EXPECT_EQ(req.status, 201) << req.body;
    auto ok = api_.As(officer2_, "POST",
                      "/api/v1/admin/join-requests/" +
                          std::string(JsonOf(req).at("id").as_string()) + "/approve");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(JsonOf(ok).at("enrolment_token").as_string().empty());
    service_ids_[username] = std::string(JsonOf(ok).at("account_id").as_string());
    auto tok =
        api_.As(officer1_, "POST", "/api/v1/admin/users/" + service_ids_[username] + "/tokens",
                boost::json::object{{"expires_at", Days(180)}});
    EXPECT_EQ(tok.status, 201) << tok.body;
    token_ids_[username] = std::string(JsonOf(tok).at("id").as_string());
    return std::string(JsonOf(tok).at("token").as_string());
  }

  static std::string Days(int n) {
    return FormatRfc3339(SystemClock().Now() + std::chrono::days(n));
  }

  HttpResponse Scim(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& token = "") {
    std::string headers = "Authorization: Bearer " + (token.empty() ? token_ : token) + "\r\n";
    if (!body.empty()) headers += "Content-Type: application/scim+json\r\n";
    return api_.Call(method, "/scim/v2" + path, body, headers);
  }

  static std::string NewUser(const std::string& user_name, const std::string& external_id) {
    return boost::json::serialize(boost::json::object{
        {"schemas", boost::json::array{"urn:ietf:params:scim:schemas:core:2.0:User"}},
        {"externalId", external_id},
        {"userName", user_name},
        {"active", true},
        {"displayName", "Nina New"},
        {"emails",
         boost::json::array{
             {{"primary", true}, {"type", "work"}, {"value", user_name + "@acme.example"}}}},
        {"name", {{"givenName", "Nina"}, {"familyName", "New"}}}});
  }

  static void ExpectScimError(const HttpResponse& r, int status, const std::string& scim_type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/scim+json; charset=utf-8");
    auto body = JsonOf(r);
    ASSERT_TRUE(body.contains("schemas")) << r.body;
    EXPECT_EQ(body.at("schemas").as_array().at(0).as_string(),
              "urn:ietf:params:scim:api:messages:2.0:Error");
    EXPECT_EQ(body.at("status").as_string(), std::to_string(status));
    if (!scim_type.empty()) {
      ASSERT_TRUE(body.contains("scimType")) << r.body;
      EXPECT_EQ(body.at("scimType").as_string(), scim_type);
    }
  }

  std::string token_;
  std::map<std::string, std::string> service_ids_, token_ids_;
};

TEST_F(ScimTest, EntraConversation) {
  // Connection test.
  auto probe = Scim("GET", "/Users?startIndex=1&count=2");
  ASSERT_EQ(probe.status, 200) << probe.body;
  auto list = JsonOf(probe);
  EXPECT_EQ(list.at("schemas").as_array().at(0).as_string(),
            "urn:ietf:params:scim:api:messages:2.0:ListResponse");
  EXPECT_EQ(list.at("itemsPerPage").as_int64(), 2);
  EXPECT_EQ(list.at("totalResults").as_int64(), 3) << "org A's three users, not org B's";
  // Lookup, create, lookup again.
  auto missing = Scim("GET", "/Users?filter=userName+eq+%22nina.new%22");
  ASSERT_EQ(missing.status, 200);
  EXPECT_EQ(JsonOf(missing).at("totalResults").as_int64(), 0);
  auto made = Scim("POST", "/Users", NewUser("nina.new", "entra-oid-1"));
  ASSERT_EQ(made.status, 201) << made.body;
  const auto user = JsonOf(made);
  const std::string id(user.at("id").as_string());
  EXPECT_TRUE(user.at("active").as_bool());
  EXPECT_EQ(user.at("externalId").as_string(), "entra-oid-1");
  EXPECT_EQ(made.headers["location"], "/scim/v2/Users/" + id);
  auto found = Scim("GET", "/Users?filter=userName%20eq%20%22Nina.New%22");
  ASSERT_EQ(JsonOf(found).at("totalResults").as_int64(), 1) << found.body;
  auto by_ext = Scim("GET", "/Users?filter=externalId%20eq%20%22entra-oid-1%22");
  EXPECT_EQ(JsonOf(by_ext).at("totalResults").as_int64(), 1);
  // Organisation A's identity provider is not its approving authority: an admin must approve.
  auto pending = api_.As(officer2_, "GET", "/api/v1/admin/join-requests?status=pending");
  EXPECT_NE(pending.body.find("nina.new"), std::string::npos);
  // Entra disables a user with a string boolean and a capitalised op.
  auto off = Scim("PATCH", "/Users/" + id,
                  R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                  R"("Operations":[{"op":"Replace","path":"active","value":"False"}]})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(JsonOf(off).at("active").as_bool());
  pending = api_.As(officer2_, "GET", "/api/v1/admin/join-requests?status=pending");
  EXPECT_EQ(pending.body.find("nina.new"), std::string::npos) << "the request was withdrawn";
}

TEST_F(ScimTest, AnIdentityProviderThatApprovesMakesAccountsAtOnceAndDeactivationIsALeaver) {
  auto org =
      api_.As(officer1_, "POST", "/api/v1/admin/orgs",
              Certificates({{"name", "Okta Shop Ltd"}, {"identity_provider_approves", true}}));
  ASSERT_EQ(org.status, 201) << org.body;
  const std::string org_id(JsonOf(org).at("id").as_string());
  EXPECT_TRUE(JsonOf(org).at("identity_provider_approves").as_bool());
  const auto token = ProvisionerToken(org_id, "okta.provisioner");
  auto made = Scim("POST", "/Users", NewUser("olly.okta", "okta-00u1"), token);
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  // The account exists, waiting for enrolment; the token is an admin's to hand over.
  auto users = api_.As(officer1_, "GET", "/api/v1/admin/users?status=pending_enrolment");
  EXPECT_NE(users.body.find("olly.okta"), std::string::npos);
  EXPECT_EQ(made.body.find("enrolment"), std::string::npos);
  // Okta's PUT leaves out `active`: the user stays active; the name changes.
  auto put = Scim("PUT", "/Users/" + id,
                  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                  R"("userName":"olly.okta","name":{"givenName":"Olly","familyName":"Okta-Smith"},)"
                  R"("emails":[{"value":"olly.okta@acme.example","primary":true}]})",
                  token);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(JsonOf(put).at("active").as_bool());
  EXPECT_EQ(JsonOf(put).at("displayName").as_string(), "Olly Okta-Smith");
  // DELETE is a leaver, never a hard delete: the account is kept, left.
  EXPECT_EQ(Scim("DELETE", "/Users/" + id, "", token).status, 204);
  auto left = api_.As(officer1_, "GET", "/api/v1/admin/users?status=left");
  EXPECT_NE(left.body.find("olly.okta"), std::string::npos);
  auto after = Scim("GET", "/Users/" + id, "", token);
  ASSERT_EQ(after.status, 200);
  EXPECT_FALSE(JsonOf(after).at("active").as_bool());
  // A leaver is never reactivated.
  ExpectScimError(Scim("PATCH", "/Users/" + id,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                       R"("Operations":[{"op":"replace","value":{"active":true}}]})",
                       token),
                  400, "invalidValue");
  // A provisioner sees its own organisation only.
  EXPECT_EQ(Scim("GET", "/Users/" + id).status, 404);
}

TEST_F(ScimTest, MalformedRequestsGetScimErrors) {
  auto made = Scim("POST", "/Users", NewUser("mal.formed", "x-1"));
  ASSERT_EQ(made.status, 201);
  const std::string id(JsonOf(made).at("id").as_string());
  ExpectScimError(Scim("GET", "/Users?filter=displayName%20co%20%22a%22"), 400, "invalidFilter");
  ExpectScimError(Scim("GET", "/Users?filter=userName%20eq%20nobody"), 400, "invalidFilter");
  ExpectScimError(Scim("GET", "/Users?filter=userName%20eq%20%22a%22%20or%201%3D1"), 400,
                  "invalidFilter");
  ExpectScimError(Scim("PATCH", "/Users/" + id, R"({"Operations":[]})"), 400, "invalidSyntax");
  ExpectScimError(Scim("PATCH", "/Users/" + id,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                       R"("Operations":[{"op":"replace","path":"roles","value":"admin"}]})"),
                  400, "invalidPath");
  ExpectScimError(Scim("PATCH", "/Users/" + id,
                       R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                       R"("Operations":[{"op":"explode","path":"active","value":false}]})"),
                  400, "invalidSyntax");
  ExpectScimError(Scim("PUT", "/Users/" + id, R"({"userName":"someone.else"})"), 400,
                  "invalidValue");
  ExpectScimError(Scim("POST", "/Users", "{not json"), 400, "invalidSyntax");
  ExpectScimError(Scim("POST", "/Users", NewUser("mal.formed", "x-2")), 409, "uniqueness");
  ExpectScimError(Scim("POST", "/Users", NewUser("admin", "x-3")), 400, "invalidValue");
  ExpectScimError(Scim("POST", "/Users", R"({"userName":"no.email"})"), 400, "invalidValue");
  ExpectScimError(Scim("GET", "/Users/acc-doesnotexist"), 404, "");
  ExpectScimError(Scim("GET", "/Users", "", "srt_" + std::string(64, '0')), 401, "");
  ExpectScimError(api_.Call("GET", "/scim/v2/Users", ""), 401, "");
  // A person's session is not a provisioner.
  ExpectScimError(api_.As(officer1_, "GET", "/scim/v2/Users"), 403, "");
  for (const char* which : {"ServiceProviderConfig", "ResourceTypes", "Schemas"}) {
    EXPECT_EQ(Scim("GET", std::string("/") + which).status, 200) << which;
  }
}

TEST_F(ScimTest, ApiTokensAreScopedExpiringAndRevocable) {
  // A service account reads no records and administers nothing.
  const std::string bearer = "Authorization: Bearer " + token_ + "\r\n";
  EXPECT_EQ(api_.Call("GET", "/api/v1/records", "", bearer).status, 403);
  EXPECT_EQ(api_.Call("GET", "/api/v1/admin/users", "", bearer).status, 403);
  // Tokens only for service accounts, and for at most a year.
  EXPECT_EQ(
      api_.As(officer1_, "POST", "/api/v1/admin/users/" + account_ids_["ann.editor"] + "/tokens",
              boost::json::object{{"expires_at", Days(30)}})
          .status,
      400);
  EXPECT_EQ(api_.As(officer1_, "POST",
                    "/api/v1/admin/users/" + service_ids_["acme.provisioner"] + "/tokens",
                    boost::json::object{{"expires_at", Days(400)}})
                .status,
            400);
  // Listed for administrators, never with their secrets.
  const auto listed = "/api/v1/admin/users/" + service_ids_["acme.provisioner"] + "/tokens";
  auto tokens = api_.As(officer1_, "GET", listed);
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  const auto items = JsonOf(tokens).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items.at(0).at("id").as_string(), token_ids_["acme.provisioner"]);
  EXPECT_EQ(items.at(0).at("created_by"), kOfficer1);
  EXPECT_EQ(items.at(0).at("revoked_at"), "");
  EXPECT_EQ(tokens.body.find(token_.substr(4)), std::string::npos) << "the secret";
  EXPECT_EQ(tokens.body.find("srt_"), std::string::npos);
  EXPECT_EQ(api_.As(officer1_, "GET", listed + "?secrets=1").status, 400);
  EXPECT_EQ(api_.As(officer1_, "GET", "/api/v1/admin/users/acc-0000000000000000/tokens").status,
            404);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", listed).status, 401)
      << "a standard session is not read on the admin listener";
  EXPECT_EQ(api_.Call("GET", listed, "", bearer).status, 403) << "not by the token itself";
  // Revoked: refused on the very next request.
  EXPECT_EQ(Scim("GET", "/Users").status, 200);
  EXPECT_EQ(api_.As(officer1_, "POST",
                    "/api/v1/admin/tokens/" + token_ids_["acme.provisioner"] + "/revoke")
                .status,
            204);
  EXPECT_EQ(Scim("GET", "/Users").status, 401);
  tokens = api_.As(officer1_, "GET", listed);
  EXPECT_NE(JsonOf(tokens).at("items").at(0).at("revoked_at"), "") << tokens.body;
  // Expired: a new token, then the clock moves past it.
  const auto token = ProvisionerToken(org_b_, "beta.provisioner");
  EXPECT_EQ(Scim("GET", "/Users", "", token).status, 200);
  api_.AdvanceClock(181 * 24 * 3600);
  EXPECT_EQ(Scim("GET", "/Users", "", token).status, 401);
}

}  // namespace
}  // namespace strongroom::testing
