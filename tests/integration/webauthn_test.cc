// Security keys over the real service's API (identity/security_keys.h): registered on a session,
// offered after the password, signing in once per ceremony; every malformed credential a client
// can send is refused with a 400 and audited, nothing signs in, and a replay is refused. The
// service is configured with a host-name origin (as behind a balancer); the key is a software
// authenticator (tests/webauthn/fake_authenticator.h) that signs for that origin.

#include <gtest/gtest.h>

#include "integration/org_fixture.h"
#include "webauthn/fake_authenticator.h"

namespace strongroom::testing {
namespace {

constexpr const char* kOrigin = "https://records.example.org:8443";
constexpr const char* kRpId = "records.example.org";

Bytes Bytes64(const boost::json::value& v) {
  return Base64UrlDecode(std::string(v.as_string())).value_or(Bytes{});
}
std::string B64(std::span<const uint8_t> b) { return Base64UrlEncode(b); }

class WebAuthnApiTest : public OrgFixture {
 protected:
  void SetUp() override {
    inst_.SetServer({{"public_origin", std::string("\"") + kOrigin + "\""}});
    inst_.DetectOnly();  // hostile values are sent on purpose: the service's own answers count
    OrgFixture::SetUp();
  }

  boost::json::object Assertion(SoftKey& key, const Bytes& challenge,
                                const std::string& origin = kOrigin) {
    const auto a = key.Get(kRpId, origin, challenge);
    return {{"id", B64(a.id)},
            {"client_data_json", B64(a.client_data_json)},
            {"authenticator_data", B64(a.authenticator_data)},
            {"signature", B64(a.signature)}};
  }

  // The password step, as JSON.
  boost::json::object Password(const std::string& user) {
    auto r = api_.Call("POST", "/api/v1/auth/login",
                       boost::json::serialize(
                           boost::json::object{{"username", user}, {"password", kTestPassword}}));
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r);
  }

  HttpResponse KeyStep(const std::string& challenge, const boost::json::value& credential) {
    return api_.Call("POST", "/api/v1/auth/mfa/webauthn",
                     boost::json::serialize(boost::json::object{{"challenge", challenge},
                                                                {"credential", credential}}));
  }
};

TEST_F(WebAuthnApiTest, ASecurityKeyRegistersSignsInAndEveryBadCredentialIsRefused) {
  const auto& ann = sessions_["ann.editor"];
  SoftKey key;
  // Registration: options for this session, then the key's answer.
  auto options = api_.As(ann, "POST", "/api/v1/auth/webauthn/credentials/options");
  ASSERT_EQ(options.status, 200) << options.body;
  const auto creation = JsonOf(options).at("public_key").as_object();
  EXPECT_EQ(creation.at("rp").at("id"), kRpId);
  EXPECT_EQ(creation.at("pubKeyCredParams").at(0).at("alg"), -7);
  const auto made = key.Create(kRpId, kOrigin, Bytes64(creation.at("challenge")));
  auto registered =
      api_.As(ann, "POST", "/api/v1/auth/webauthn/credentials",
              boost::json::object{{"name", "Desk key"},
                                  {"credential",
                                   {{"id", B64(made.id)},
                                    {"client_data_json", B64(made.client_data_json)},
                                    {"attestation_object", B64(made.attestation_object)}}}});
  ASSERT_EQ(registered.status, 201) << registered.body;
  const std::string key_id(JsonOf(registered).at("id").as_string());
  auto listed = api_.As(ann, "GET", "/api/v1/auth/webauthn/credentials");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(JsonOf(listed).at("items").as_array().size(), 1u);
  EXPECT_EQ(JsonOf(listed).at("items").at(0).at("name"), "Desk key");

  // The password step offers the key; another user's offers none.
  auto login = Password("ann.editor");
  EXPECT_EQ(login.at("second_factors"), (boost::json::array{"totp", "recovery_code", "webauthn"}));
  const auto request = login.at("webauthn").at("public_key").as_object();
  EXPECT_EQ(request.at("rpId"), kRpId);
  EXPECT_EQ(std::string(request.at("allowCredentials").at(0).at("id").as_string()), B64(key.id()));
  EXPECT_FALSE(Password("rob.reader").contains("webauthn"));
  const std::string challenge(login.at("challenge").as_string());

  // Hostile credentials: each a 400 that signs nobody in and is audited; the ceremony lives on.
  const auto good = Assertion(key, Bytes64(request.at("challenge")));
  const auto with = [&](const char* field, boost::json::value v) {
    auto c = good;
    c[field] = std::move(v);
    return c;
  };
  auto without = good;
  without.erase("signature");
  auto extra = good;
  extra["type"] = "public-key";
  const std::vector<std::pair<std::string, boost::json::value>> hostile = {
      {"not an object", "credential"},
      {"a field missing", without},
      {"an unknown field", extra},
      {"not base64url", with("signature", "not*base64url")},
      {"padded", with("id", boost::json::string(B64(key.id()) + "=="))},
      {"empty", with("authenticator_data", "")},
      {"a number", with("client_data_json", 7)},
      {"too long", with("client_data_json", boost::json::string(std::string(5000, 'A')))},
      {"null", with("id", nullptr)},
  };
  const auto [before_allowed, before_refused] = Decided(officer1_, "auth.login");
  for (const auto& [what, credential] : hostile) {
    auto r = KeyStep(challenge, credential);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_TRUE(r.set_cookies.empty()) << what;
    // Nothing sent is echoed.
    if (credential.is_object()) {
      for (const auto& [field, value] : credential.as_object()) {
        if (value.is_string() && value.as_string().size() > 3) {
          EXPECT_EQ(r.body.find(std::string(value.as_string())), std::string::npos)
              << what << ": " << field;
        }
      }
    }
  }
  const auto [after_allowed, after_refused] = Decided(officer1_, "auth.login");
  EXPECT_EQ(after_allowed, before_allowed);
  EXPECT_EQ(after_refused, before_refused + static_cast<int>(hostile.size()));

  // A key used at another origin: 401, counted; fresh options, then the key signs in.
  auto phished = KeyStep(challenge, Assertion(key, Bytes64(request.at("challenge")),
                                              "https://records.example.org.evil.test"));
  EXPECT_EQ(phished.status, 401) << phished.body;
  auto fresh = api_.Call("POST", "/api/v1/auth/mfa/webauthn/options",
                         boost::json::serialize(boost::json::object{{"challenge", challenge}}));
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  const auto assertion = Assertion(key, Bytes64(JsonOf(fresh).at("public_key").at("challenge")));
  auto signed_in = KeyStep(challenge, assertion);
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  Session by_key{"ann.editor", "", std::string(JsonOf(signed_in).at("csrf_token").as_string())};
  const auto set = signed_in.headers["set-cookie"];
  by_key.cookie = set.substr(0, set.find(';'));
  auto me = api_.As(by_key, "GET", "/api/v1/auth/session");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(JsonOf(me).at("account").at("username"), "ann.editor");

  // The same assertion again, on this challenge and on a new one: refused.
  EXPECT_EQ(KeyStep(challenge, assertion).status, 401);
  const std::string next(Password("ann.editor").at("challenge").as_string());
  auto replayed = KeyStep(next, assertion);
  EXPECT_EQ(replayed.status, 401) << replayed.body;
  EXPECT_TRUE(replayed.set_cookies.empty());

  // Removed (the key session's second factor is fresh): no longer offered.
  EXPECT_EQ(api_.As(by_key, "DELETE", "/api/v1/auth/webauthn/credentials/" + key_id).status, 204);
  EXPECT_FALSE(Password("ann.editor").contains("webauthn"));
  EXPECT_EQ(Decided(officer1_, "auth.webauthn.register"), std::make_pair(1, 0));
  EXPECT_EQ(Decided(officer1_, "auth.webauthn.remove"), std::make_pair(1, 0));
}

// A fresh second factor with a key: the session's own ceremony, used once; every malformed
// answer a 400, audited, with the session left as it was.
// Options asked for where there is no key to offer: 409, and the attempt is audited as the
// account's; the login challenge still stands for a code.
TEST_F(WebAuthnApiTest, KeyOptionsForAnAccountWithoutAKeyAreRefusedAndAudited) {
  const auto login = Password("ann.editor");
  const std::string challenge(login.at("challenge").as_string());
  const auto [allowed_before, refused_before] = Decided(officer1_, "auth.login");
  auto r = api_.Call("POST", "/api/v1/auth/mfa/webauthn/options",
                     boost::json::serialize(boost::json::object{{"challenge", challenge}}));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("no security key is registered"), std::string::npos) << r.body;
  EXPECT_EQ(Decided(officer1_, "auth.login"), std::make_pair(allowed_before, refused_before + 1));
}

TEST_F(WebAuthnApiTest, ASecurityKeyGivesTheSessionAFreshSecondFactor) {
  const auto& ann = sessions_["ann.editor"];
  EXPECT_EQ(api_.As(ann, "POST", "/api/v1/auth/reauth/webauthn/options").status, 409)
      << "no key yet";
  SoftKey key;
  auto options = api_.As(ann, "POST", "/api/v1/auth/webauthn/credentials/options");
  ASSERT_EQ(options.status, 200) << options.body;
  const auto made =
      key.Create(kRpId, kOrigin, Bytes64(JsonOf(options).at("public_key").at("challenge")));
  ASSERT_EQ(api_.As(ann, "POST", "/api/v1/auth/webauthn/credentials",
                    boost::json::object{{"name", "Desk key"},
                                        {"credential",
                                         {{"id", B64(made.id)},
                                          {"client_data_json", B64(made.client_data_json)},
                                          {"attestation_object", B64(made.attestation_object)}}}})
                .status,
            201);
  auto asked = api_.As(ann, "POST", "/api/v1/auth/reauth/webauthn/options");
  ASSERT_EQ(asked.status, 200) << asked.body;
  const auto request = JsonOf(asked).at("public_key").as_object();
  EXPECT_EQ(request.at("rpId"), kRpId);
  EXPECT_EQ(std::string(request.at("allowCredentials").at(0).at("id").as_string()), B64(key.id()));
  const auto good = Assertion(key, Bytes64(request.at("challenge")));
  const std::string path = "/api/v1/auth/reauth/webauthn";
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"not JSON", "{"},
      {"no credential", "{}"},
      {"an unknown field",
       boost::json::serialize(boost::json::object{{"credential", good}, {"code", "123456"}})},
      {"a credential not an object", R"({"credential":"x"})"},
      {"not base64url",
       R"({"credential":{"id":"*","client_data_json":"*","authenticator_data":"*",)"
       R"("signature":"*"}})"},
  };
  for (const auto& [what, body] : hostile) {
    auto r = api_.As(ann, "POST", path, body);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
  }
  // Refused: the options asked for before there was a key, and each hostile body.
  EXPECT_EQ(Decided(officer1_, "auth.reauth"),
            std::make_pair(0, static_cast<int>(hostile.size()) + 1));
  auto ok = api_.As(ann, "POST", path, boost::json::object{{"credential", good}});
  EXPECT_EQ(ok.status, 204) << ok.body;
  auto again = api_.As(ann, "POST", path, boost::json::object{{"credential", good}});
  EXPECT_EQ(again.status, 401) << "its ceremony is spent";
  EXPECT_EQ(Decided(officer1_, "auth.reauth"),
            std::make_pair(1, static_cast<int>(hostile.size()) + 2));
  EXPECT_EQ(api_.As(ann, "GET", "/api/v1/auth/session").status, 200);
}

TEST_F(WebAuthnApiTest, AnOfficerSetsAnOrganisationToKeysOnlyAndItsPeopleCodesAreRefused) {
  const std::string path = "/api/v1/admin/orgs/" + org_a_ + "/second-factor";
  const auto [allowed_before, refused_before] = Decided(officer1_, "admin.org.second_factor");
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"not JSON", "{second_factor: webauthn}"},
      {"a field missing", R"({"second_factor":"webauthn"})"},
      {"an unknown value", R"({"second_factor":"sms","privileged_second_factor":"webauthn"})"},
      {"in capitals", R"({"second_factor":"WEBAUTHN","privileged_second_factor":"webauthn"})"},
      {"a number", R"({"second_factor":1,"privileged_second_factor":"webauthn"})"},
      {"an unknown field",
       R"({"second_factor":"webauthn","privileged_second_factor":"webauthn","grace_days":7})"},
      {"SQL", R"({"second_factor":"webauthn' OR '1'='1","privileged_second_factor":"webauthn"})"},
      {"an unknown verification",
       R"({"second_factor":"webauthn","privileged_second_factor":"webauthn",)"
       R"("webauthn_user_verification":"always"})"},
      {"a verification not a string",
       R"({"second_factor":"webauthn","privileged_second_factor":"webauthn",)"
       R"("webauthn_user_verification":true})"},
  };
  for (const auto& [what, body] : hostile) {
    auto r = api_.As(officer1_, "PUT", path, body);
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.body.find("OR '1'"), std::string::npos) << what;
  }
  const boost::json::object keys_only{{"second_factor", "webauthn"},
                                      {"privileged_second_factor", "totp-or-webauthn"}};
  // An org admin of the organisation itself may not: it is a security officer's.
  EnrolOrgAdmin(org_a_, "ada.orgadmin");
  EXPECT_EQ(api_.As(api_.SignIn("ada.orgadmin"), "PUT", path, keys_only).status, 403);
  EXPECT_EQ(
      api_.As(officer1_, "PUT", "/api/v1/admin/orgs/org-nothere/second-factor", keys_only).status,
      404);
  auto org = api_.As(officer1_, "GET", "/api/v1/admin/orgs");
  ASSERT_EQ(org.status, 200);
  const auto orgs = JsonOf(org);
  for (const auto& o : orgs.at("items").as_array()) {
    EXPECT_EQ(o.at("second_factor"), "totp-or-webauthn") << "nothing changed";
  }
  const auto [allowed_mid, refused_mid] = Decided(officer1_, "admin.org.second_factor");
  // Each attempt audited: the unreadable ones and the org admin's refused; the unknown
  // organisation's allowed (an officer's) and then found to be none.
  EXPECT_EQ(allowed_mid, allowed_before + 1);
  EXPECT_EQ(refused_mid, refused_before + static_cast<int>(hostile.size()) + 1);

  auto set = api_.As(officer1_, "PUT", path, keys_only);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(JsonOf(set).at("second_factor"), "webauthn");
  EXPECT_EQ(JsonOf(set).at("privileged_second_factor"), "totp-or-webauthn");
  EXPECT_EQ(JsonOf(set).at("webauthn_user_verification"), "discouraged") << "left out: presence";
  auto strict = keys_only;
  strict["webauthn_user_verification"] = "required";
  auto verified = api_.As(officer1_, "PUT", path, strict);
  ASSERT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(JsonOf(verified).at("webauthn_user_verification"), "required");
  // A PUT that leaves it out leaves it as it is (a client that knows only the two factors).
  auto kept = api_.As(officer1_, "PUT", path, keys_only);
  ASSERT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(JsonOf(kept).at("webauthn_user_verification"), "required");
  auto empty = keys_only;
  empty["webauthn_user_verification"] = "";
  EXPECT_EQ(api_.As(officer1_, "PUT", path, empty).status, 400) << "given, it must be one";

  // Its people are offered no code; one sent is refused (403), and not counted as a wrong one.
  api_.AdvanceClock(30);
  auto login = Password("ann.editor");
  EXPECT_EQ(login.at("second_factors"), (boost::json::array{"recovery_code"}));
  auto mfa =
      api_.Call("POST", "/api/v1/auth/mfa",
                boost::json::serialize(boost::json::object{{"challenge", login.at("challenge")},
                                                           {"code", api_.Totp("ann.editor")}}));
  EXPECT_EQ(mfa.status, 403) << mfa.body;
  EXPECT_TRUE(mfa.set_cookies.empty());
  // Another organisation's people sign in with codes as before.
  EXPECT_FALSE(api_.SignIn("bea.other").cookie.empty());
}

}  // namespace
}  // namespace strongroom::testing
