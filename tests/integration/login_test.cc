// Enrolment, login with password and TOTP, sessions and logout, against the real binary, with
// codes computed by oathtool (an independent TOTP implementation) and time moved through the test
// clock instead of sleeping.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "integration/instance.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

constexpr const char* kOfficer = "demo.officer.one";
constexpr const char* kPassword = "a long and private passphrase";

// How many times `needle` occurs in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class LoginTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(inst_.Start()) << inst_.StartupError(); }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& extra_headers = "", const std::string& source = "") {
    TlsOptions from;
    from.source_address = source;
    auto c = TlsClient::Connect(inst_.port(), from);
    if (!c) return {};
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_headers;
    if (!body.empty() || method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    return c->Request(req + "\r\n" + body);
  }

  HttpResponse Post(const std::string& path, const boost::json::object& body,
                    const std::string& extra_headers = "") {
    return Call("POST", path, boost::json::serialize(body), extra_headers);
  }

  // Moves the server's clock (and this test's idea of it) forward.
  void Advance(int64_t seconds) {
    ASSERT_EQ(
        Call("POST", "/__test/clock", "{\"advance_ms\":" + std::to_string(seconds * 1000) + "}")
            .status,
        204);
    offset_s_ += seconds;
  }

  std::string Totp(const std::string& user = kOfficer) {
    auto r =
        RunProgram("/usr/bin/oathtool", {"--totp", "-b", secrets_[user], "--now",
                                         "@" + std::to_string(std::time(nullptr) + offset_s_)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, 6);
  }

  // Enrols the first demo officer; returns the recovery codes.
  std::vector<std::string> Enrol(const std::string& user = kOfficer) {
    const auto token = inst_.EnrolmentToken(user);
    EXPECT_EQ(token.size(), 64u) << inst_.init_output();
    auto start = Post("/api/v1/auth/enrol", {{"token", token}, {"password", kPassword}});
    EXPECT_EQ(start.status, 200) << start.body;
    const std::string uri(boost::json::parse(start.body).at("totp_uri").as_string());
    EXPECT_TRUE(boost::json::parse(start.body).at("qr_svg").as_string().starts_with("<svg"));
    EXPECT_TRUE(uri.starts_with("otpauth://totp/Strongroom:" + user + "?secret=")) << uri;
    const auto s = uri.find("secret=") + 7;
    secrets_[user] = uri.substr(s, uri.find('&', s) - s);
    if (user == kOfficer) secret_ = secrets_[user];
    auto done = Post("/api/v1/auth/enrol/confirm", {{"token", token}, {"code", Totp(user)}});
    EXPECT_EQ(done.status, 200) << done.body;
    std::vector<std::string> codes;
    const auto parsed = boost::json::parse(done.body);
    for (const auto& c : parsed.at("recovery_codes").as_array()) {
      codes.emplace_back(c.as_string());
    }
    Advance(30);  // the next login needs the next TOTP step: each code works once
    return codes;
  }

  std::string Challenge(const std::string& password = kPassword,
                        const std::string& user = kOfficer) {
    auto r = Post("/api/v1/auth/login", {{"username", user}, {"password", password}});
    if (r.status != 200) return "";
    return std::string(boost::json::parse(r.body).at("challenge").as_string());
  }

  struct Session {
    std::string cookie;
    std::string csrf;
  };
  Session SignIn(const std::string& user = kOfficer) {
    auto r =
        Post("/api/v1/auth/mfa", {{"challenge", Challenge(kPassword, user)}, {"code", Totp(user)}});
    EXPECT_EQ(r.status, 200) << r.body;
    Session s;
    const auto set = r.headers["set-cookie"];
    s.cookie = set.substr(0, set.find(';'));
    s.csrf = std::string(boost::json::parse(r.body).at("csrf_token").as_string());
    return s;
  }

  int SessionStatus(const Session& s) {
    return Call("GET", "/api/v1/auth/session", "", "Cookie: " + s.cookie + "\r\n").status;
  }

  Instance inst_;
  std::string secret_;
  std::map<std::string, std::string> secrets_;
  int64_t offset_s_ = 0;
};

TEST_F(LoginTest, EnrolThenLoginWithPasswordAndTotp) {
  const auto codes = Enrol();
  EXPECT_EQ(codes.size(), 10u);
  auto r = Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", Totp()}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto cookie = r.headers["set-cookie"];
  EXPECT_TRUE(cookie.starts_with("__Host-strongroom-admin-session=")) << "an officer's";
  for (const char* attr : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(cookie.find(attr), std::string::npos) << attr;
  }
  auto body = boost::json::parse(r.body);
  EXPECT_EQ(body.at("account").at("username").as_string(), kOfficer);
  // Lists are arrays, as join requests take them.
  EXPECT_EQ(body.at("account").at("roles"), boost::json::array{"security_officer"});
  EXPECT_EQ(body.at("account").at("remits"), boost::json::array{});
  EXPECT_EQ(body.at("idle_timeout_s").as_int64(), 300);
  auto session = Call("GET", "/api/v1/auth/session", "",
                      "Cookie: " + cookie.substr(0, cookie.find(';')) + "\r\n");
  EXPECT_EQ(session.status, 200);
  EXPECT_EQ(session.headers["cache-control"], "no-store");
}

TEST_F(LoginTest, WrongReplayedAndOldCodesAreRefused) {
  Enrol();
  const auto challenge = Challenge();
  const auto code = Totp();
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", challenge}, {"code", "000000"}}).status, 401);
  ASSERT_EQ(Post("/api/v1/auth/mfa", {{"challenge", challenge}, {"code", code}}).status, 200);
  // The same code again, on a fresh challenge: replay.
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", code}}).status, 401);
  // A code from two steps ago.
  Advance(90);
  auto old =
      RunProgram("/usr/bin/oathtool", {"--totp", "-b", secret_, "--now",
                                       "@" + std::to_string(std::time(nullptr) + offset_s_ - 60)});
  EXPECT_EQ(
      Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", old.out.substr(0, 6)}}).status,
      401);
}

TEST_F(LoginTest, ChallengeDiesAfterFiveWrongCodesAndIsSingleUse) {
  Enrol();
  const auto challenge = Challenge();
  for (int wrong = 0; wrong < 5;) {
    auto r = Post("/api/v1/auth/mfa",
                  {{"challenge", challenge}, {"code", "12345" + std::to_string(wrong)}});
    if (r.status == 429) {  // wrong codes are slowed down after the third: waited out
      Advance(std::stoi(r.headers.at("retry-after")));
      continue;
    }
    EXPECT_EQ(r.status, 401);
    ++wrong;
  }
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", challenge}, {"code", Totp()}}).status, 401);
  // A challenge also expires: 5 minutes.
  const auto late = Challenge();
  Advance(301);
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", late}, {"code", Totp()}}).status, 401);
}

TEST_F(LoginTest, RecoveryCodesWorkOnceEach) {
  const auto codes = Enrol();
  ASSERT_EQ(Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", codes[0]}}).status, 200);
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", codes[0]}}).status, 401);
  EXPECT_EQ(Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", codes[1]}}).status, 200);
}

TEST_F(LoginTest, IdleAndAbsoluteTimeoutsEndSessions) {
  Enrol();
  auto s = SignIn();
  EXPECT_EQ(SessionStatus(s), 200);
  Advance(240);
  EXPECT_EQ(SessionStatus(s), 200);  // used within 5 minutes: still alive
  Advance(301);
  EXPECT_EQ(SessionStatus(s), 401);  // idle for more than 5 minutes
  // Absolute: kept busy every 4 minutes, it still ends after 10 hours.
  Advance(30);
  auto busy = SignIn();
  int alive_until = 0;
  for (int minutes = 4; minutes <= 10 * 60 + 8; minutes += 4) {
    Advance(240);
    if (SessionStatus(busy) != 200) break;
    alive_until = minutes;
  }
  EXPECT_GE(alive_until, 10 * 60 - 4);
  EXPECT_LE(alive_until, 10 * 60);
}

TEST_F(LoginTest, PrivilegedAccountsHaveOneSessionTheOldestEnds) {
  Enrol();
  auto first = SignIn();
  Advance(30);
  auto second = SignIn();
  EXPECT_EQ(SessionStatus(first), 401);
  EXPECT_EQ(SessionStatus(second), 200);
}

TEST_F(LoginTest, LogoutNeedsTheCsrfTokenAndEndsTheSessionAtOnce) {
  Enrol();
  auto s = SignIn();
  const std::string cookie = "Cookie: " + s.cookie + "\r\n";
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", "{}", cookie).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", "{}",
                 cookie + "X-CSRF-Token: " + std::string(64, 'a') + "\r\n")
                .status,
            403);
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", "{}",
                 cookie + "X-CSRF-Token: " + s.csrf + "\r\nOrigin: https://evil.example\r\n")
                .status,
            403);
  EXPECT_EQ(SessionStatus(s), 200);
  EXPECT_EQ(
      Call("POST", "/api/v1/auth/logout", "{}", cookie + "X-CSRF-Token: " + s.csrf + "\r\n").status,
      204);
  EXPECT_EQ(SessionStatus(s), 401);
}

TEST_F(LoginTest, ForgedOrUnknownSessionIdsAreRefused) {
  for (const std::string& cookie : std::vector<std::string>{
           "__Host-strongroom-session=" + std::string(64, '0'), "__Host-strongroom-session=abc",
           "__Host-strongroom-session=' OR 1=1 --", "other=1"}) {
    EXPECT_EQ(Call("GET", "/api/v1/auth/session", "", "Cookie: " + cookie + "\r\n").status, 401)
        << cookie;
  }
}

TEST_F(LoginTest, UnknownUserWrongPasswordAndLockedAccountLookTheSame) {
  Enrol();
  auto unknown = Post("/api/v1/auth/login", {{"username", "nobody.here"}, {"password", kPassword}});
  auto wrong =
      Post("/api/v1/auth/login", {{"username", kOfficer}, {"password", "not the password"}});
  ASSERT_EQ(unknown.status, 401);
  ASSERT_EQ(wrong.status, 401);
  auto error_of = [](const HttpResponse& r) {
    return boost::json::serialize(boost::json::parse(r.body).at("error"));
  };
  EXPECT_EQ(error_of(unknown), error_of(wrong));
  // Wrong passwords from one source (an unknown device): slowed down (429 with Retry-After, waited
  // out on the test clock), never successful, and unknown devices are locked out at 10.
  int refused = 1, throttled = 0;
  for (int i = 0; refused < 10; ++i) {
    auto r = Post("/api/v1/auth/login", {{"username", kOfficer}, {"password", "wrong"}});
    ASSERT_NE(r.status, 200);
    if (r.status == 429) {
      ++throttled;
      const auto wait = std::stoi(r.headers.at("retry-after"));
      EXPECT_GE(wait, 1);
      EXPECT_LE(wait, 60);
      Advance(wait);
    } else {
      ASSERT_EQ(r.status, 401);
      EXPECT_EQ(error_of(r), error_of(wrong));
      ++refused;
    }
  }
  EXPECT_GT(throttled, 0);
  Advance(61);
  auto locked = Post("/api/v1/auth/login", {{"username", kOfficer}, {"password", kPassword}});
  EXPECT_EQ(locked.status, 401);
  EXPECT_EQ(error_of(locked), error_of(wrong));
}

TEST_F(LoginTest, ThrottlingTreatsUnknownUsernamesExactlyLikeKnownOnes) {
  Enrol();
  auto statuses = [&](const std::string& user) {
    std::vector<int> out;
    for (int i = 0; i < 5; ++i) {
      out.push_back(Post("/api/v1/auth/login", {{"username", user}, {"password", "wrong"}}).status);
    }
    return out;
  };
  const auto known = statuses(kOfficer);
  Advance(120);  // refill this source's bucket
  const auto unknown = statuses("no.such.person");
  EXPECT_EQ(known, unknown);
  EXPECT_EQ(known, (std::vector<int>{401, 401, 401, 429, 429}));
}

TEST_F(LoginTest, ALockedAccountIsUnlockedOnlyByAnAdminWithFreshMfaAndAReason) {
  const std::string other = "demo.officer.two";
  Enrol();
  Enrol(other);
  // Lock officer two: ten wrong passwords, waiting out the throttle on the test clock.
  for (int refused = 0; refused < 10;) {
    auto r = Post("/api/v1/auth/login", {{"username", other}, {"password", "wrong"}});
    if (r.status == 429) {
      Advance(std::stoi(r.headers.at("retry-after")));
    } else {
      ASSERT_EQ(r.status, 401);
      ++refused;
    }
  }
  Advance(61);
  EXPECT_EQ(Challenge(kPassword, other), "");  // locked

  auto admin = SignIn();
  const std::string headers =
      "Cookie: " + admin.cookie + "\r\nX-CSRF-Token: " + admin.csrf + "\r\n";
  const auto id = [&] {
    auto s = Call("GET", "/api/v1/auth/session", "", "Cookie: " + admin.cookie + "\r\n");
    return std::string(boost::json::parse(s.body).at("account").at("id").as_string());
  }();
  // The target's id comes from the audit trail of the lock, as an admin would find it.
  auto search = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "auth.login.password"});
  std::string target;
  std::istringstream lines(search.out);
  for (std::string line; std::getline(lines, line) && target.empty();) {
    auto v = boost::json::parse(line);
    if (v.at("actor").at("username").as_string() == other) {
      target = std::string(v.at("target").at("id").as_string());
    }
  }
  ASSERT_NE(target, id);
  const std::string path = "/api/v1/admin/users/" + target + "/unlock";

  EXPECT_EQ(
      Call("POST", path, R"({"reason":"confirmed by phone"})", "Cookie: " + admin.cookie + "\r\n")
          .status,
      403);  // no CSRF token
  EXPECT_EQ(Call("POST", path, R"({})", headers).status, 400);
  EXPECT_EQ(Call("POST", path, R"({"reason":"line\nbreak"})", headers).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/admin/users/acc-doesnotexist/unlock",
                 R"({"reason":"confirmed by phone"})", headers)
                .status,
            404);
  // The sign-in's second factor grows too old for an admin action while the session stays in use.
  Advance(200);
  ASSERT_EQ(Call("GET", "/api/v1/auth/session", "", "Cookie: " + admin.cookie + "\r\n").status,
            200);
  Advance(150);
  EXPECT_EQ(Call("POST", path, R"({"reason":"confirmed by phone"})", headers).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/auth/reauth", R"({"code":"000000"})", headers).status, 401);
  ASSERT_EQ(Call("POST", "/api/v1/auth/reauth", "{\"code\":\"" + Totp() + "\"}", headers).status,
            204);
  EXPECT_EQ(Call("POST", path, R"({"reason":"confirmed by phone"})", headers).status, 204);
  EXPECT_EQ(Call("POST", path, R"({"reason":"again"})", headers).status, 409);  // not locked now

  Advance(30);
  EXPECT_NE(Challenge(kPassword, other), "");
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "admin.user.unlock"});
  EXPECT_NE(audit.out.find("\"reason\":\"confirmed by phone\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("\"allow\":false"), std::string::npos);  // refusals are audited too
}

TEST_F(LoginTest, AnAdminLocksAnAccountByHandItsSessionsEndAndUnlockRestoresIt) {
  inst_.ExpectAttacks();  // a NUL in a reason is reported (and let through to be refused: 400)
  const std::string other = "demo.officer.two";
  Enrol();
  Enrol(other);
  auto target = SignIn(other);
  auto admin = SignIn();
  const std::string headers =
      "Cookie: " + admin.cookie + "\r\nX-CSRF-Token: " + admin.csrf + "\r\n";
  auto me = Call("GET", "/api/v1/auth/session", "", "Cookie: " + target.cookie + "\r\n");
  ASSERT_EQ(me.status, 200);
  const std::string id(boost::json::parse(me.body).at("account").at("id").as_string());
  const std::string lock = "/api/v1/admin/users/" + id + "/lock";
  EXPECT_EQ(Call("POST", lock, R"({"reason":"x\u0000y"})", headers).status, 400);
  EXPECT_EQ(Call("POST", lock, R"({"reason":"lost laptop","why":1})", headers).status, 400);
  EXPECT_EQ(
      Call("POST", "/api/v1/admin/users/acc-nope/lock", R"({"reason":"lost laptop"})", headers)
          .status,
      404);
  EXPECT_EQ(Call("POST", lock, R"({"reason":"lost laptop"})", headers).status, 204);
  EXPECT_EQ(SessionStatus(target), 401) << "its sessions ended";
  EXPECT_EQ(Call("POST", lock, R"({"reason":"again"})", headers).status, 409);
  Advance(30);
  EXPECT_EQ(Challenge(kPassword, other), "") << "locked by hand: no sign-in";
  ASSERT_EQ(Call("POST", "/api/v1/auth/reauth", "{\"code\":\"" + Totp() + "\"}", headers).status,
            204);
  EXPECT_EQ(
      Call("POST", "/api/v1/admin/users/" + id + "/unlock", R"({"reason":"found it"})", headers)
          .status,
      204);
  EXPECT_NE(Challenge(kPassword, other), "");
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "admin.user.lock"});
  EXPECT_NE(audit.out.find("\"reason\":\"lost laptop\""), std::string::npos) << audit.out;
}

// Findings of the outside test, over HTTPS against the real binary.

// Re-authentication codes could be guessed at 1,500 a second with a stolen session.
TEST_F(LoginTest, GuessingReauthenticationCodesEndsTheSessionAfterThree) {
  Enrol();
  auto s = SignIn();
  const std::string headers = "Cookie: " + s.cookie + "\r\nX-CSRF-Token: " + s.csrf + "\r\n";
  std::map<int, int> statuses;
  for (int i = 0; i < 300; ++i) {
    const auto code = std::to_string(100000 + i);
    ++statuses[Call("POST", "/api/v1/auth/reauth", "{\"code\":\"" + code + "\"}", headers).status];
  }
  EXPECT_EQ(statuses.count(204), 0u);
  EXPECT_EQ(statuses[401], 300);
  EXPECT_EQ(SessionStatus(s), 401) << "the session ended";
  ASSERT_EQ(inst_.Stop(), 0);
  auto checked = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "auth.reauth"});
  EXPECT_EQ(Count(checked.out, "wrong TOTP code"), 3u) << "only three codes were ever checked";
  auto ended = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                          "security.session.ended"});
  EXPECT_EQ(Count(ended.out, "\"action\":\"security.session.ended\""), 1u) << ended.out;
}

// With the password known, 30 wrong codes over 6 challenges and then the right code signed in.
TEST_F(LoginTest, WrongCodesAcrossChallengesAreSlowedThenLockTheAccount) {
  // Guessing codes is an attack the detectors name (security.totp_guessing); this test is about
  // the account's own throttle and lock, so its one address is not blocked along the way.
  inst_.ExpectAttacks();
  inst_.Stop();
  inst_.AddToSection("defense", "block_score = 10000\n");
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  Enrol();
  int wrong = 0, throttled = 0;
  while (wrong < 30) {
    const auto challenge = Challenge();
    if (challenge.empty()) break;  // the password step refuses: the account is locked
    for (int i = 0; i < 5 && wrong < 30; ++i) {
      auto r = Post("/api/v1/auth/mfa", {{"challenge", challenge}, {"code", "000000"}});
      if (r.status == 429) {
        ++throttled;
        Advance(std::stoi(r.headers.at("retry-after")));
        continue;
      }
      ASSERT_EQ(r.status, 401);
      ++wrong;
    }
  }
  EXPECT_LT(wrong, 30) << "the password step stopped answering";
  EXPECT_GT(throttled, 0);
  Advance(3600);
  EXPECT_EQ(Challenge(), "") << "locked until an admin unlocks it, right password or not";
  auto locked = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "security.mfa.locked"});
  EXPECT_EQ(Count(locked.out, "\"action\":\"security.mfa.locked\""), 1u) << locked.out;
  auto checked =
      RunBinary({"audit", "search", "--config", inst_.config().string(), "--action", "auth.login"});
  EXPECT_EQ(Count(checked.out, "wrong MFA code"), 10u) << "the tenth wrong code locked it";
  // The detectors read the audit log a few times a second.
  size_t seen = 0;
  for (int i = 0; i < 50 && seen == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto guessing = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                               "security.totp_guessing"});
    seen = Count(guessing.out, "\"action\":\"security.totp_guessing\"");
  }
  EXPECT_GE(seen, 1u) << "the detectors saw the guessing";
}

// Ten wrong passwords from 30 addresses locked any known username until an admin came.
TEST_F(LoginTest, AnAttackerFromThirtyAddressesCannotLockTheOwnerOutOfTheirDevice) {
  Enrol();
  auto first = Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", Totp()}});
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.set_cookies.size(), 2u);
  const auto& device = first.set_cookies[1];
  EXPECT_TRUE(
      device.starts_with("__Host-strongroom-device="));  // its value is a secret: not printed
  for (const char* attr : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/", "Max-Age="}) {
    EXPECT_NE(device.find(attr), std::string::npos) << attr;
  }
  const std::string device_cookie = "Cookie: " + device.substr(0, device.find(';')) + "\r\n";
  Advance(30);
  for (int n = 2; n <= 31; ++n) {
    const std::string source = "127.0.0." + std::to_string(n);
    for (int i = 0; i < 3; ++i) {
      auto r = Call("POST", "/api/v1/auth/login",
                    R"({"username":"demo.officer.one","password":"a guess of the attacker"})", "",
                    source);
      EXPECT_EQ(r.status, 401) << source;
    }
  }
  // A browser that never signed in as the owner is locked out, the right password included...
  EXPECT_EQ(Challenge(), "");
  // ...while the owner's own device signs in, and is told.
  auto login = Call(
      "POST", "/api/v1/auth/login",
      boost::json::serialize(boost::json::object{{"username", kOfficer}, {"password", kPassword}}),
      device_cookie);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string challenge(boost::json::parse(login.body).at("challenge").as_string());
  auto mfa =
      Call("POST", "/api/v1/auth/mfa",
           boost::json::serialize(boost::json::object{{"challenge", challenge}, {"code", Totp()}}),
           device_cookie);
  ASSERT_EQ(mfa.status, 200) << mfa.body;
  const auto told = boost::json::parse(mfa.body).at("failed_sign_ins_since_last");
  EXPECT_EQ(told.at("count").as_int64(), 91);
  ASSERT_EQ(mfa.set_cookies.size(), 2u);
  EXPECT_EQ(mfa.set_cookies[1].substr(0, mfa.set_cookies[1].find(';')),
            device.substr(0, device.find(';')))
      << "a known device keeps its cookie, sent again so that its lifetime runs from this use";
  // And the lock ends by itself: no admin needed.
  Advance(15 * 60);
  EXPECT_NE(Challenge(), "");
}

TEST_F(LoginTest, AnEnrolmentTokenSetsThePasswordOnce) {
  const auto token = inst_.EnrolmentToken(kOfficer);
  ASSERT_EQ(Post("/api/v1/auth/enrol", {{"token", token}, {"password", kPassword}}).status, 200);
  auto again =
      Post("/api/v1/auth/enrol", {{"token", token}, {"password", "another private passphrase"}});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.body.find("passphrase"), std::string::npos);
}

TEST_F(LoginTest, SignInAlwaysIssuesANewSessionIdNeverTheOneOffered) {
  Enrol();
  const std::string planted = "__Host-strongroom-session=" + std::string(64, 'a');
  auto r = Post("/api/v1/auth/mfa", {{"challenge", Challenge()}, {"code", Totp()}},
                "Cookie: " + planted + "\r\n");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["set-cookie"].find(std::string(64, 'a')), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/auth/session", "", "Cookie: " + planted + "\r\n").status, 401);
}

TEST_F(LoginTest, APasswordTypedAsTheUsernameNeverReachesTheAuditLog) {
  const std::string typed = "My Secret Passphrase 2026!";
  EXPECT_EQ(Post("/api/v1/auth/login", {{"username", typed}, {"password", "x"}}).status, 401);
  auto r = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "auth.login.password"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("(malformed username)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Secret Passphrase"), std::string::npos);
}

TEST_F(LoginTest, SecurityOfficersSearchTheAuditLogOverTheApiAndTheSearchIsAudited) {
  EXPECT_EQ(Call("GET", "/api/v1/audit/events", "").status, 401);
  Enrol();
  auto s = SignIn();
  const std::string cookie = "Cookie: " + s.cookie + "\r\n";
  auto r = Call("GET", "/api/v1/audit/events?action=auth.login&limit=5", "", cookie);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = boost::json::parse(r.body);
  ASSERT_EQ(body.at("items").as_array().size(), 1u);
  EXPECT_EQ(body.at("items").at(0).at("actor").at("username").as_string(), kOfficer);
  for (const char* bad : {"?nope=1", "?action=a&action=b", "?cursor=abc", "?since=yesterday",
                          "?limit=0", "?limit=abc", "?actor=%zz"}) {
    EXPECT_EQ(Call("GET", std::string("/api/v1/audit/events") + bad, "", cookie).status, 400)
        << bad;
  }
  // A NUL and a path traversal are attacks: refused before the search sees them, even from a
  // security officer.
  inst_.ExpectAttacks();
  for (const char* attack : {"?actor=%00", "?target=%2e%2e%2fetc"}) {
    const auto refused = Call("GET", std::string("/api/v1/audit/events") + attack, "", cookie);
    EXPECT_EQ(refused.status, 403) << attack;
    EXPECT_NE(refused.body.find("looks like an attack"), std::string::npos) << attack;
  }
  // A date is its whole day: today's events from today until today, none until yesterday.
  const auto today =
      std::string(body.at("items").at(0).at("time").as_string()).substr(0, 10);  // the sign-in's
  auto day =
      Call("GET", "/api/v1/audit/events?action=auth.login&since=" + today + "&until=" + today, "",
           cookie);
  ASSERT_EQ(day.status, 200) << day.body;
  EXPECT_EQ(boost::json::parse(day.body).at("items").as_array().size(), 1u);
  auto before = Call("GET", "/api/v1/audit/events?action=auth.login&until=2000-01-01", "", cookie);
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(boost::json::parse(before.body).at("items").as_array().empty());
  // Every search is recorded, the refused ones too (before this one: the first search, the seven
  // malformed and the two dated ones; the attacks never reached it).
  auto searches = Call("GET", "/api/v1/audit/events?action=audit.search", "", cookie);
  ASSERT_EQ(searches.status, 200);
  int allowed = 0, refused = 0;
  const auto found = boost::json::parse(searches.body);
  for (const auto& e : found.at("items").as_array()) {
    ++(e.at("decision").at("allow").as_bool() ? allowed : refused);
  }
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(refused, 7);
}

TEST_F(LoginTest, HostileInputsAreRefusedAndCreateNothing) {
  const auto token = inst_.EnrolmentToken(kOfficer);
  struct Case {
    boost::json::object body;
    int status;
  };
  const std::vector<Case> cases = {
      {{{"token", token}, {"password", "short"}}, 400},  // privileged minimum is 15
      {{{"token", token}, {"password", std::string(129, 'x')}}, 400},
      {{{"token", token}, {"password", "passwordpassword"}}, 400},  // common
      {{{"token", token}, {"password", "line\nbreak in password"}}, 400},
      {{{"token", token}, {"password", kPassword}, {"admin", true}}, 400},  // unknown field
      {{{"token", 12345}, {"password", kPassword}}, 400},
      {{{"token", std::string(64, 'f')}, {"password", kPassword}}, 401},
      {{{"token", "' OR 1=1 --"}, {"password", kPassword}}, 401},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Post("/api/v1/auth/enrol", c.body).status, c.status)
        << boost::json::serialize(c.body);
  }
  for (const auto& body :
       std::vector<boost::json::object>{{{"username", std::string(300, 'a')}, {"password", "x"}},
                                        {{"username", "a"}, {"password", "x"}, {"extra", "1"}},
                                        {{"username", "a"}}}) {
    EXPECT_EQ(Post("/api/v1/auth/login", body).status, 400);
  }
  // The real token still works: nothing above consumed or changed it.
  EXPECT_EQ(Post("/api/v1/auth/enrol", {{"token", token}, {"password", kPassword}}).status, 200);
}

}  // namespace
}  // namespace strongroom::testing
