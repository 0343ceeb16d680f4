// Security keys as second factors (identity/security_keys.h, sign_in.h): registered on a session
// with a fresh second factor, offered after a correct password, and signing in once per ceremony;
// a key used at another origin, replayed, of another account or cloned is refused, counted and
// audited, and a clone locks the key and ends the account's sessions.

#include "identity/security_keys.h"

#include <gtest/gtest.h>

#include "identity/auth_fixture.h"
#include "identity/directory.h"
#include "webauthn/fake_authenticator.h"

namespace strongroom::identity {
namespace {

constexpr const char* kOrigin = "https://records.example.org:8443";
constexpr const char* kRpId = "records.example.org";

std::string Text(const boost::json::value& v) { return std::string(v.as_string()); }

KeyRegistration AsRegistration(const testing::SoftKey::Made& m) {
  return {m.id, m.client_data_json, m.attestation_object};
}
KeyAssertion AsAssertion(const testing::SoftKey::Asserted& a) {
  return {a.id, a.client_data_json, a.authenticator_data, a.signature};
}

class SecurityKeysTest : public AuthTest {
 protected:
  SecurityKeysTest() {
    ann_ = f_.Person("ann.smith");
    bob_ = f_.Person("bob.jones");
  }

  RequestContext At(std::string origin = kOrigin) const {
    return {"192.0.2.7", "req-key", Surface::kAll, std::move(origin)};
  }

  // Signed in with TOTP: the principal, as its session authenticates it.
  Principal Session(const std::string& username) {
    auto session = f_.SignIn(username, "", At());
    EXPECT_TRUE(session) << (session ? "" : session.error().message);
    f_.NextStep();
    tokens_[username] = session ? session->token : "";
    auto p = f_.auth->sessions.Authenticate(tokens_[username]);
    EXPECT_TRUE(p);
    return p ? *p : Principal{};
  }

  Result<SecurityKey> Register(const Principal& who, testing::SoftKey& key,
                               std::string_view name = "Desk key") {
    ASSIGN_OR_RETURN(auto options, f_.auth->security_keys.RegistrationOptions(who, At()));
    return f_.auth->security_keys.Register(
        who, name, AsRegistration(key.Create(kRpId, kOrigin, options.challenge)), At());
  }

  // The password step; its security-key ceremony must be offered.
  LoginChallenge Password(const std::string& username) {
    auto login = f_.auth->sign_in.Login(username, kPassword, "", At());
    EXPECT_TRUE(login) << (login ? "" : login.error().message);
    return login ? *login : LoginChallenge{};
  }

  Result<NewSession> SignInWithKey(const std::string& username, testing::SoftKey& key,
                                   std::string_view origin = kOrigin) {
    const auto login = Password(username);
    if (!login.webauthn) return Fail(ErrorCode::kInternal, "no ceremony offered");
    return f_.auth->sign_in.CompleteWebAuthn(
        login.challenge, AsAssertion(key.Get(kRpId, origin, login.webauthn->challenge)), At());
  }

  std::string ann_, bob_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(SecurityKeysTest, ARegisteredKeyIsOfferedAfterThePasswordAndSignsIn) {
  testing::SoftKey key;
  EXPECT_FALSE(Password("ann.smith").webauthn) << "no key yet: none offered";
  const auto ann = Session("ann.smith");
  auto made = Register(ann, key);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->format, "none");
  EXPECT_EQ(made->name, "Desk key");

  const auto login = Password("ann.smith");
  ASSERT_TRUE(login.webauthn);
  EXPECT_EQ(login.webauthn->rp_id, kRpId);
  EXPECT_EQ(login.webauthn->challenge.size(), 32u);
  ASSERT_EQ(login.webauthn->allow.size(), 1u);
  EXPECT_EQ(login.webauthn->allow.front(), key.id());
  auto session = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge)), At());
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_TRUE(f_.auth->sessions.Authenticate(session->token));

  const auto events = f_.Events("auth.login");
  ASSERT_FALSE(events.empty());
  const auto& last = events.back();
  EXPECT_EQ(last.at("outcome"), "ok");
  EXPECT_EQ(last.at("detail").at("method"), "webauthn");
  EXPECT_EQ(Text(last.at("detail").at("credential")), made->id);
  const auto registered = f_.Events("auth.webauthn.register");
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(Text(registered.front().at("detail").at("credential")), made->id);

  auto listed = f_.auth->security_keys.List(ann);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_FALSE(listed->front().last_used_at.empty());
  // The same login challenge cannot be used again, with the key or a code.
  EXPECT_FALSE(f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge)), At()));
  f_.NextStep();
  EXPECT_FALSE(f_.auth->sign_in.CompleteMfa(login.challenge, f_.Code("ann.smith"), At()));
}

TEST_F(SecurityKeysTest, NoKeyIsOfferedWhereTheServiceIsReachedByAddressOrFromNoListener) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  ASSERT_TRUE(Register(ann, key));
  for (const std::string origin : {"https://192.0.2.10:8443", "https://[2001:db8::1]:8443", ""}) {
    auto login = f_.auth->sign_in.Login("ann.smith", kPassword, "", At(origin));
    ASSERT_TRUE(login) << origin;
    EXPECT_FALSE(login->webauthn) << origin;
    auto options = f_.auth->security_keys.RegistrationOptions(ann, At(origin));
    ASSERT_FALSE(options) << origin;
    EXPECT_EQ(options.error().code, ErrorCode::kFailedPrecondition);
    auto reauth = f_.auth->security_keys.ReauthOptions(ann, At(origin));
    ASSERT_FALSE(reauth) << origin;
    EXPECT_EQ(reauth.error().code, ErrorCode::kFailedPrecondition);
    const auto before = f_.Events("auth.login").size();
    auto again = f_.auth->sign_in.WebAuthnOptions(login->challenge, At(origin));
    ASSERT_FALSE(again) << origin;
    EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
    // The refusal is audited as the account's.
    const auto events = f_.Events("auth.login");
    ASSERT_EQ(events.size(), before + 1) << origin;
    EXPECT_EQ(events.back().at("decision").at("allow"), false);
    EXPECT_EQ(events.back().at("actor").at("username"), "ann.smith");
    EXPECT_EQ(events.back().at("decision").at("reason").as_string(), again.error().message);
  }
}

TEST_F(SecurityKeysTest, OptionsAskedForAnAccountWithoutAKeyAreRefusedAndAudited) {
  const auto login = Password("ann.smith");
  EXPECT_FALSE(login.webauthn);
  const auto before = f_.Events("auth.login").size();
  auto options = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
  ASSERT_FALSE(options);
  EXPECT_EQ(options.error().code, ErrorCode::kFailedPrecondition);
  const auto events = f_.Events("auth.login");
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().at("decision").at("allow"), false);
  EXPECT_EQ(events.back().at("actor").at("username"), "ann.smith");
  EXPECT_EQ(events.back().at("decision").at("reason"),
            "no security key is registered for this account");
  // The challenge still stands for the code.
  f_.NextStep();
  EXPECT_TRUE(f_.auth->sign_in.CompleteMfa(login.challenge, f_.Code("ann.smith"), At()));
}

TEST_F(SecurityKeysTest, TheRpIdIsTheHostOrAConfiguredDomainAboveIt) {
  EXPECT_EQ(RpIdFor("", "https://Records.Example.org:8443").value_or("?"), "records.example.org");
  EXPECT_EQ(RpIdFor("", "https://localhost:9000").value_or("?"), "localhost");
  EXPECT_EQ(RpIdFor("example.org", "https://records.example.org").value_or("?"), "example.org");
  EXPECT_EQ(RpIdFor("example.org", "https://example.org:443").value_or("?"), "example.org");
  for (const auto& [configured, origin] : std::vector<std::pair<std::string, std::string>>{
           {"", "https://10.0.0.1:8443"},
           {"", "https://[::1]:8443"},
           {"", "http://records.example.org"},
           {"", "records.example.org"},
           {"", "https://"},
           {"example.org", "https://badexample.org"},
           {"example.org", "https://example.org.evil.test"},
           {"records.example.org", "https://example.org"}}) {
    auto r = RpIdFor(configured, origin);
    ASSERT_FALSE(r) << configured << " " << origin;
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  }
}

TEST_F(SecurityKeysTest, AnOriginConfiguredInCapitalsOrWithItsDefaultPortIsTheBrowsers) {
  // As a browser writes it: "https://records.example.org", whatever the configuration says.
  const RequestContext configured{"192.0.2.7", "req-key", Surface::kAll,
                                  "https://Records.Example.org:443"};
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  auto options = f_.auth->security_keys.RegistrationOptions(ann, configured);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->rp_id, kRpId);
  ASSERT_TRUE(f_.auth->security_keys.Register(
      ann, "Desk key",
      AsRegistration(key.Create(kRpId, "https://records.example.org", options->challenge)),
      configured));
  auto login = f_.auth->sign_in.Login("ann.smith", kPassword, "", configured);
  ASSERT_TRUE(login && login->webauthn);
  EXPECT_TRUE(f_.auth->sign_in.CompleteWebAuthn(
      login->challenge,
      AsAssertion(key.Get(kRpId, "https://records.example.org", login->webauthn->challenge)),
      configured));
}

TEST_F(SecurityKeysTest, AnAssertionFromAnotherOriginOrForAnotherRpIsRefusedAndCounted) {
  testing::SoftKey key;
  ASSERT_TRUE(Register(Session("ann.smith"), key));
  for (const std::string origin : {"https://records.example.org.evil.test", "https://evil.test",
                                   "https://records.example.org:9443"}) {
    auto r = SignInWithKey("ann.smith", key, origin);
    ASSERT_FALSE(r) << origin;
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    const auto last = f_.Events("auth.login").back();
    EXPECT_NE(std::string(last.at("decision").at("reason").as_string()).find("origin"),
              std::string::npos)
        << last.at("decision").at("reason");
    EXPECT_TRUE(last.at("detail").as_object().contains("second_factor_failures"));
    f_.clock.Advance(std::chrono::minutes(10));  // past the delay wrong factors set
  }
  // Signed for another RP ID at the right origin.
  const auto login = Password("ann.smith");
  ASSERT_TRUE(login.webauthn);
  auto r = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get("evil.test", kOrigin, login.webauthn->challenge)), At());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(SecurityKeysTest, AReplayedAssertionIsRefusedForTheCeremonyIsSpent) {
  testing::SoftKey key;
  ASSERT_TRUE(Register(Session("ann.smith"), key));
  const auto login = Password("ann.smith");
  ASSERT_TRUE(login.webauthn);
  const auto assertion = AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge));
  ASSERT_TRUE(f_.auth->sign_in.CompleteWebAuthn(login.challenge, assertion, At()));
  // On a new login challenge: its ceremony's challenge is another.
  const auto next = Password("ann.smith");
  auto replayed = f_.auth->sign_in.CompleteWebAuthn(next.challenge, assertion, At());
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(std::string(f_.Events("auth.login").back().at("decision").at("reason").as_string())
                .find("challenge"),
            std::string::npos);
  // A failed try spends the ceremony too: a right answer to it now is refused, uncounted, and
  // fresh options give another that signs in.
  f_.clock.Advance(std::chrono::minutes(1));
  auto late = f_.auth->sign_in.CompleteWebAuthn(
      next.challenge, AsAssertion(key.Get(kRpId, kOrigin, next.webauthn->challenge)), At());
  ASSERT_FALSE(late);
  const auto uncounted = f_.Events("auth.login").back();
  EXPECT_EQ(uncounted.at("decision").at("reason"),
            "no security-key ceremony under way for this login challenge");
  EXPECT_FALSE(uncounted.at("detail").as_object().contains("second_factor_failures"));
  auto fresh = f_.auth->sign_in.WebAuthnOptions(next.challenge, At());
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_NE(fresh->challenge, next.webauthn->challenge);
  EXPECT_TRUE(f_.auth->sign_in.CompleteWebAuthn(
      next.challenge, AsAssertion(key.Get(kRpId, kOrigin, fresh->challenge)), At()));
}

TEST_F(SecurityKeysTest, ACeremonyOutlivedIsRefused) {
  testing::SoftKey key;
  ASSERT_TRUE(Register(Session("ann.smith"), key));
  const auto login = Password("ann.smith");
  f_.clock.Advance(f_.auth->options().webauthn_ttl + std::chrono::seconds(1));
  auto r = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge)), At());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  const auto outlived = f_.Events("auth.login").back();
  EXPECT_EQ(outlived.at("decision").at("reason"),
            "no security-key ceremony under way for this login challenge");
  EXPECT_FALSE(outlived.at("detail").as_object().contains("second_factor_failures"));
  // The login challenge still lives: new options sign in.
  auto fresh = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, fresh->challenge)), At()));
}

TEST_F(SecurityKeysTest, AKeyOfAnotherAccountSignsNobodyIn) {
  testing::SoftKey anns;
  ASSERT_TRUE(Register(Session("ann.smith"), anns));
  testing::SoftKey bobs;
  ASSERT_TRUE(Register(Session("bob.jones"), bobs));
  const auto login = Password("bob.jones");
  auto r = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(anns.Get(kRpId, kOrigin, login.webauthn->challenge)), At());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(f_.Events("auth.login").back().at("decision").at("reason"),
            "security key not accepted: security key not registered to this account");
}

TEST_F(SecurityKeysTest, ACloneIsCaughtByItsCounterLockedAndTheSessionsEnd) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  auto made = Register(ann, key);
  ASSERT_TRUE(made);
  testing::SoftKey clone = key;  // copied before the original moves on
  ASSERT_TRUE(SignInWithKey("ann.smith", key));
  ASSERT_TRUE(SignInWithKey("ann.smith", key));
  ASSERT_TRUE(f_.auth->sessions.Authenticate(tokens_["ann.smith"]));

  auto r = SignInWithKey("ann.smith", clone);  // counter 1, stored 2
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  const auto suspected = f_.Events("security.webauthn.clone_suspected");
  ASSERT_EQ(suspected.size(), 1u);
  EXPECT_EQ(suspected.front().at("outcome"), "unauthenticated");
  EXPECT_EQ(Text(suspected.front().at("detail").at("credential")), made->id);
  EXPECT_EQ(Text(f_.Events("auth.login").back().at("detail").at("second_factor_failures")), "1");
  EXPECT_NE(std::string(suspected.front().at("decision").at("reason").as_string()).find(made->id),
            std::string::npos);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(tokens_["ann.smith"])) << "sessions end";
  auto listed = f_.auth->security_keys.List(ann);
  ASSERT_TRUE(listed);
  EXPECT_FALSE(listed->front().locked_at.empty());

  // Neither holder signs in with it again, and it is no longer offered; TOTP still works.
  f_.clock.Advance(std::chrono::minutes(10));
  EXPECT_FALSE(Password("ann.smith").webauthn);
  f_.NextStep();
  EXPECT_TRUE(f_.SignIn("ann.smith", "", At()));
}

TEST_F(SecurityKeysTest, RegisteringNeedsAFreshSecondFactorAndItsOwnCeremony) {
  testing::SoftKey key;
  auto ann = Session("ann.smith");
  ASSERT_TRUE(f_.auth->security_keys.RegistrationOptions(ann, At()));
  f_.clock.Advance(f_.auth->options().reauth_window + std::chrono::seconds(1));
  auto options = f_.auth->security_keys.RegistrationOptions(ann, At());
  ASSERT_TRUE(options);
  auto stale = f_.auth->security_keys.Register(
      ann, "Desk key", AsRegistration(key.Create(kRpId, kOrigin, options->challenge)), At());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(f_.Events("auth.webauthn.register").back().at("outcome"), "permission_denied");

  ann = Session("ann.smith");
  // No ceremony begun on this session.
  auto unasked = f_.auth->security_keys.Register(
      ann, "Desk key", AsRegistration(key.Create(kRpId, kOrigin, options->challenge)), At());
  ASSERT_FALSE(unasked);
  EXPECT_EQ(unasked.error().code, ErrorCode::kInvalidArgument);
  // The ceremony is spent by a failed try: the right answer after it is refused.
  options = f_.auth->security_keys.RegistrationOptions(ann, At());
  ASSERT_TRUE(options);
  auto wrong_origin = f_.auth->security_keys.Register(
      ann, "Desk key", AsRegistration(key.Create(kRpId, "https://evil.test", options->challenge)),
      At());
  ASSERT_FALSE(wrong_origin);
  EXPECT_EQ(wrong_origin.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(f_.auth->security_keys.Register(
      ann, "Desk key", AsRegistration(key.Create(kRpId, kOrigin, options->challenge)), At()));
  auto listed = f_.auth->security_keys.List(ann);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  for (const auto& e : f_.Events("auth.webauthn.register")) EXPECT_NE(e.at("outcome"), "ok");
}

TEST_F(SecurityKeysTest, AKeyIsRegisteredOnceToOneAccount) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  ASSERT_TRUE(Register(ann, key));
  auto twice = Register(ann, key);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kAlreadyExists);
  auto elsewhere = Register(Session("bob.jones"), key);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(f_.Events("auth.webauthn.register").back().at("decision").at("reason"),
            "security key registered to another account");
  // The browser's id must be the attested one.
  testing::SoftKey other;
  auto options = f_.auth->security_keys.RegistrationOptions(ann, At());
  auto made = AsRegistration(other.Create(kRpId, kOrigin, options->challenge));
  made.id = key.id();
  EXPECT_FALSE(f_.auth->security_keys.Register(ann, "Mixed", made, At()));
}

TEST_F(SecurityKeysTest, AKeyNameMustBeOneLineOfAtMost64Characters) {
  const auto ann = Session("ann.smith");
  for (const std::string& name : std::vector<std::string>{"", std::string(65, 'k'), "Desk\nkey",
                                                          "Desk\x7f", "\xc3\x28", "a\u2028b"}) {
    testing::SoftKey key;
    auto r = Register(ann, key, name);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    if (!name.empty()) {
      EXPECT_EQ(r.error().message.find(name), std::string::npos);
    }
  }
  EXPECT_EQ(f_.Events("auth.webauthn.register").size(), 6u);
  testing::SoftKey key;
  EXPECT_TRUE(Register(ann, key, std::string(64, 'k')));
}

TEST_F(SecurityKeysTest, AtMostTenKeysAndOnlyOnesOwnAreRemoved) {
  auto ann = Session("ann.smith");
  std::vector<std::string> ids;
  for (int i = 0; i < kMaxSecurityKeys; ++i) {
    testing::SoftKey key;
    auto made = Register(ann, key, "Key " + std::to_string(i));
    ASSERT_TRUE(made) << i;
    ids.push_back(made->id);
  }
  testing::SoftKey eleventh;
  auto more = Register(ann, eleventh);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, ErrorCode::kFailedPrecondition);

  const auto bob = Session("bob.jones");
  for (const std::string id : {"", "key-", "key-0123456789abcdeg", "key-0123456789ABCDEF",
                               "../key-0123456789abcdef", "key-0123456789abcdef0"}) {
    auto r = f_.auth->security_keys.Remove(bob, id, At());
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << id;
  }
  EXPECT_TRUE(f_.Events("auth.webauthn.remove").empty()) << "a name of no key is audited as none";
  auto theirs = f_.auth->security_keys.Remove(bob, ids.front(), At());
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(f_.auth->security_keys.Remove(ann, ids.front(), At()));
  EXPECT_EQ(f_.Events("auth.webauthn.remove").back().at("outcome"), "ok");
  EXPECT_EQ(f_.auth->security_keys.List(ann)->size(), static_cast<size_t>(kMaxSecurityKeys - 1));
  EXPECT_TRUE(Register(ann, eleventh));
}

TEST_F(SecurityKeysTest, WrongKeysAreCountedWithWrongCodesAndThrottled) {
  testing::SoftKey key;
  ASSERT_TRUE(Register(Session("ann.smith"), key));
  testing::SoftKey stranger;
  const auto login = Password("ann.smith");
  // A wrong code, then wrong keys, up to the failures that are free of delay.
  ASSERT_FALSE(f_.auth->sign_in.CompleteMfa(login.challenge, "000000", At()));
  for (int i = 1; i < kFreeFailures; ++i) {
    auto options = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
    ASSERT_TRUE(options);
    auto wrong = f_.auth->sign_in.CompleteWebAuthn(
        login.challenge, AsAssertion(stranger.Get(kRpId, kOrigin, options->challenge)), At());
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(Text(f_.Events("auth.login").back().at("detail").at("second_factor_failures")),
              std::to_string(i + 1));
  }
  // Too soon after them: 429, and nothing checked, even the right key.
  auto fresh = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
  ASSERT_TRUE(fresh);
  auto soon = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, fresh->challenge)), At());
  ASSERT_FALSE(soon);
  EXPECT_EQ(soon.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(f_.Events("security.throttled").size(), 1u);
  f_.clock.Advance(std::chrono::seconds(soon.error().retry_after_s));
  fresh = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, fresh->challenge)), At()));
}

TEST(FactorPolicyTest, PrivilegedAccountsFollowTheStricterOfTheTwo) {
  const auto any = SecondFactor::kAny, key = SecondFactor::kSecurityKey;
  for (const auto& [policy, standard, privileged] :
       std::vector<std::tuple<FactorPolicy, bool, bool>>{{{any, any}, false, false},
                                                         {{key, any}, true, true},
                                                         {{any, key}, false, true},
                                                         {{key, key}, true, true}}) {
    EXPECT_EQ(KeyRequired(policy, Kind::kStandard), standard);
    EXPECT_EQ(KeyRequired(policy, Kind::kPrivileged), privileged);
    EXPECT_FALSE(KeyRequired(policy, Kind::kService));
  }
  for (const auto* name : {"totp-or-webauthn", "webauthn"}) {
    EXPECT_EQ(Name(*ParseSecondFactor(name)), name);
  }
  for (const auto* name : {"", "WEBAUTHN", "totp", "webauthn ", "any"}) {
    EXPECT_FALSE(ParseSecondFactor(name)) << name;
  }
}

TEST_F(SecurityKeysTest, UnderAPolicyOfKeysOnlyACodeIsRefusedUncountedAndKeysAndRecoveryCodesWork) {
  testing::SoftKey key;
  ASSERT_TRUE(Register(Session("ann.smith"), key));
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(
        auto org, SetFactorPolicy(tx, "org-a", {SecondFactor::kSecurityKey, SecondFactor::kAny}));
    EXPECT_TRUE(org);
    return {};
  }));
  const auto login = Password("ann.smith");
  EXPECT_FALSE(login.totp);
  ASSERT_TRUE(login.webauthn);
  f_.NextStep();
  auto code = f_.auth->sign_in.CompleteMfa(login.challenge, f_.Code("ann.smith"), At());
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, ErrorCode::kPermissionDenied);
  const auto refused = f_.Events("auth.login").back();
  EXPECT_EQ(refused.at("outcome"), "permission_denied");
  EXPECT_EQ(refused.at("decision").at("reason"),
            "a TOTP code, where the organisation requires a security key");
  EXPECT_FALSE(refused.at("detail").as_object().contains("second_factor_failures"));
  // The same login challenge still takes the key; the next, a recovery code.
  EXPECT_TRUE(f_.auth->sign_in.CompleteWebAuthn(
      login.challenge, AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge)), At()));
  const auto next = Password("ann.smith");
  EXPECT_TRUE(f_.auth->sign_in.CompleteMfa(next.challenge, f_.recovery["ann.smith"].front(), At()));
  // Another organisation's policy, or the privileged one's, leaves a standard account as it was.
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(
        auto org, SetFactorPolicy(tx, "org-a", {SecondFactor::kAny, SecondFactor::kSecurityKey}));
    EXPECT_TRUE(org);
    return {};
  }));
  EXPECT_TRUE(Password("ann.smith").totp);
}

// An organisation that requires user verification: every ceremony asks for it, and an answer
// without it (a touch only) is refused and counted; with it, accepted.
TEST_F(SecurityKeysTest, WhereThePolicyAsksKeysMustVerifyTheirUser) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  ASSERT_TRUE(Register(ann, key));  // registered before the policy: a touch was enough
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto org,
                     SetFactorPolicy(tx, "org-a", {SecondFactor::kAny, SecondFactor::kAny, true}));
    EXPECT_TRUE(org && org->factors.user_verification);
    return {};
  }));
  auto login = Password("ann.smith");
  ASSERT_TRUE(login.webauthn);
  EXPECT_TRUE(login.webauthn->user_verification);
  auto touched = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge,
      AsAssertion(key.Get(kRpId, kOrigin, login.webauthn->challenge, testing::kUp)), At());
  ASSERT_FALSE(touched);
  EXPECT_EQ(touched.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(f_.Events("auth.login").back().at("detail").at("second_factor_failures"), "1");
  auto renewed = f_.auth->sign_in.WebAuthnOptions(login.challenge, At());
  ASSERT_TRUE(renewed);
  EXPECT_TRUE(renewed->user_verification);
  auto verified = f_.auth->sign_in.CompleteWebAuthn(
      login.challenge,
      AsAssertion(key.Get(kRpId, kOrigin, renewed->challenge, testing::kUp | testing::kUv)), At());
  ASSERT_TRUE(verified) << verified.error().message;

  // Re-authentication and registration ask for it too.
  const auto fresh = *f_.auth->sessions.Authenticate(verified->token);
  auto reauth = f_.auth->security_keys.ReauthOptions(fresh, At());
  ASSERT_TRUE(reauth);
  EXPECT_TRUE(reauth->user_verification);
  EXPECT_FALSE(f_.auth->security_keys.Reauthenticate(
      fresh, AsAssertion(key.Get(kRpId, kOrigin, reauth->challenge, testing::kUp)), At()));
  auto creation = f_.auth->security_keys.RegistrationOptions(fresh, At());
  ASSERT_TRUE(creation);
  EXPECT_TRUE(creation->user_verification);
  testing::SoftKey second;
  EXPECT_FALSE(f_.auth->security_keys.Register(
      fresh, "Touch only",
      AsRegistration(
          second.Create(kRpId, kOrigin, creation->challenge, testing::kUp | testing::kAt)),
      At()));
}

// Re-authentication with a key: its ceremony is the session's and used once; a fresh second
// factor as a code gives; wrong ones counted alike; a copy caught; no key, no ceremony.
TEST_F(SecurityKeysTest, AKeyReauthenticatesTheSessionOnceForItsCeremony) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  ASSERT_TRUE(Register(ann, key));
  f_.clock.Advance(std::chrono::minutes(6));
  ASSERT_FALSE(f_.auth->sessions.RequireRecentMfa(ann)) << "stale: a sensitive action waits";
  auto options = f_.auth->security_keys.ReauthOptions(ann, At());
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->rp_id, kRpId);
  ASSERT_EQ(options->allow.size(), 1u);
  EXPECT_EQ(options->allow.front(), key.id());
  const auto assertion = AsAssertion(key.Get(kRpId, kOrigin, options->challenge));
  auto fresh = f_.auth->security_keys.Reauthenticate(ann, assertion, At());
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_TRUE(f_.auth->sessions.RequireRecentMfa(*fresh));
  auto replayed = f_.auth->security_keys.Reauthenticate(ann, assertion, At());
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().code, ErrorCode::kUnauthenticated) << "its ceremony is spent";
  const auto events = f_.Events("auth.reauth");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("outcome"), "ok");
  EXPECT_EQ(events[0].at("detail").at("method"), "webauthn");
  EXPECT_EQ(Text(events[1].at("decision").at("reason")),
            "no security-key ceremony under way for this session");

  // Another session's ceremony is not this one's; another origin's assertion is a wrong one.
  const auto other = Session("ann.smith");
  auto theirs = f_.auth->security_keys.ReauthOptions(other, At());
  ASSERT_TRUE(theirs);
  EXPECT_FALSE(f_.auth->security_keys.Reauthenticate(
      ann, AsAssertion(key.Get(kRpId, kOrigin, theirs->challenge)), At()));
  ASSERT_TRUE(f_.auth->security_keys.ReauthOptions(ann, At()));
  auto mine = f_.auth->security_keys.ReauthOptions(ann, At());
  ASSERT_TRUE(mine);
  auto elsewhere = f_.auth->security_keys.Reauthenticate(
      ann, AsAssertion(key.Get(kRpId, "https://evil.example.org", mine->challenge)), At());
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kUnauthenticated);
  const auto wrong = f_.Events("auth.reauth").back();
  EXPECT_EQ(wrong.at("detail").at("second_factor_failures"), "1") << "counted as a wrong code is";

  // Bob has no key: no ceremony.
  const auto bob = Session("bob.jones");
  auto none = f_.auth->security_keys.ReauthOptions(bob, At());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(SecurityKeysTest, ACopyUsedToReauthenticateIsCaughtAndEndsTheSessions) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  ASSERT_TRUE(Register(ann, key));
  testing::SoftKey copy = key;
  ASSERT_TRUE(SignInWithKey("ann.smith", key));  // the original moves on to 1
  auto options = f_.auth->security_keys.ReauthOptions(ann, At());
  ASSERT_TRUE(options);
  auto r = f_.auth->security_keys.Reauthenticate(
      ann, AsAssertion(copy.Get(kRpId, kOrigin, options->challenge)), At());  // 1 again
  ASSERT_FALSE(r);
  EXPECT_EQ(f_.Events("security.webauthn.clone_suspected").size(), 1u);
  EXPECT_FALSE(f_.auth->sessions.Authenticate(tokens_["ann.smith"])) << "its sessions end";
  auto listed = f_.auth->security_keys.List(ann);
  ASSERT_TRUE(listed);
  EXPECT_FALSE(listed->front().locked_at.empty());
}

TEST_F(SecurityKeysTest, UnderAPolicyOfKeysOnlyACodeDoesNotReauthenticateAndAKeyDoes) {
  testing::SoftKey key;
  const auto ann = Session("ann.smith");
  const auto bob = Session("bob.jones");
  ASSERT_TRUE(Register(ann, key));
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(
        auto org, SetFactorPolicy(tx, "org-a", {SecondFactor::kSecurityKey, SecondFactor::kAny}));
    EXPECT_TRUE(org);
    return {};
  }));
  f_.NextStep();
  auto code = f_.auth->sessions.Reauthenticate(ann, f_.Code("ann.smith"), At());
  ASSERT_FALSE(code);
  EXPECT_EQ(code.error().code, ErrorCode::kPermissionDenied);
  const auto refused = f_.Events("auth.reauth").back();
  EXPECT_EQ(refused.at("outcome"), "permission_denied");
  EXPECT_FALSE(refused.at("detail").as_object().contains("second_factor_failures"))
      << "unchecked, uncounted";
  auto options = f_.auth->security_keys.ReauthOptions(ann, At());
  ASSERT_TRUE(options);
  EXPECT_TRUE(f_.auth->security_keys.Reauthenticate(
      ann, AsAssertion(key.Get(kRpId, kOrigin, options->challenge)), At()));
  // Bob's organisation is the same, and he has no key yet: his code is how he adds his first.
  f_.NextStep();
  EXPECT_TRUE(f_.auth->sessions.Reauthenticate(bob, f_.Code("bob.jones"), At()));
}

}  // namespace
}  // namespace strongroom::identity
