// The console's pages against the real binary, as a browser without JavaScript uses them: forms
// posted, redirects followed by hand, cookies kept. (The browser tests in web/tests/ drive a real
// browser; these check what a browser cannot be made to do: forged forms, hostile fields.)

#include <gtest/gtest.h>

#include <ctime>

#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

constexpr const char* kForm = "Content-Type: application/x-www-form-urlencoded\r\n";

std::string FormEncode(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + '=';
    for (const unsigned char c : value) {
      if (std::isalnum(c)) {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
  }
  return out;
}

// The text between the first `before` on a page and the next `end` after it; "" if none.
std::string Between(const std::string& html, const std::string& before, char end) {
  const auto at = html.find(before);
  if (at == std::string::npos) return "";
  const auto from = at + before.size();
  const auto to = html.find(end, from);
  return to == std::string::npos ? "" : html.substr(from, to - from);
}

// The value of the first hidden field `name` on a page; "" if there is none.
std::string HiddenField(const std::string& html, const std::string& name) {
  return Between(html, "name=\"" + name + "\" value=\"", '"');
}

std::string CookieOf(const HttpResponse& r) {
  for (const auto& c : r.set_cookies) {
    if (c.starts_with("__Host-strongroom-session=")) return c.substr(0, c.find(';'));
  }
  return "";
}

class ConsoleTest : public OrgFixture {
 protected:
  HttpResponse Get(const std::string& path, const std::string& cookie = "") {
    return api_.Call("GET", path, "", cookie.empty() ? "" : "Cookie: " + cookie + "\r\n");
  }
  HttpResponse Post(const std::string& path, const std::string& form,
                    const std::string& cookie = "", const std::string& extra = "") {
    return api_.Call("POST", path, form,
                     kForm + (cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") + extra);
  }
  // Signs `user` in through the two forms; the session cookie.
  std::string SignInByForms(const std::string& user) {
    api_.AdvanceClock(30);
    auto password = Post("/sign-in", FormEncode({{"username", user}, {"password", kTestPassword}}));
    EXPECT_EQ(password.status, 200) << password.body;
    const auto challenge = HiddenField(password.body, "challenge");
    EXPECT_EQ(challenge.size(), 64u);
    auto code =
        Post("/sign-in/code", FormEncode({{"challenge", challenge}, {"code", api_.Totp(user)}}));
    EXPECT_EQ(code.status, 303) << code.body;
    EXPECT_EQ(code.headers["location"], "/records");
    return CookieOf(code);
  }
};

TEST_F(ConsoleTest, SignsInByFormsShowsRecordsAndSignsOut) {
  auto page = Get("/sign-in");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(page.headers["content-type"].starts_with("text/html"));
  EXPECT_EQ(page.headers["content-security-policy"],
            "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'");
  EXPECT_NE(page.body.find("<form method=\"post\" action=\"/sign-in\""), std::string::npos);

  // Not signed in: every page sends you to sign in.
  for (const char* path : {"/", "/records", "/records/new", "/records/r-0123456789abcdef"}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 303) << path;
  }
  EXPECT_EQ(Get("/records").headers["location"], "/sign-in");

  // A wrong password: the form again, with the error and the username, never the password.
  auto wrong =
      Post("/sign-in", FormEncode({{"username", "ann.editor"}, {"password", "nope nope"}}));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("govuk-error-summary"), std::string::npos);
  EXPECT_NE(wrong.body.find("value=\"ann.editor\""), std::string::npos);
  EXPECT_EQ(wrong.body.find("nope nope"), std::string::npos);

  const auto cookie = SignInByForms("ann.editor");
  ASSERT_FALSE(cookie.empty());
  ASSERT_EQ(CreateRecord("ann.editor", "First case").status, 201);
  auto list = Get("/records", cookie);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("First case"), std::string::npos);
  EXPECT_NE(list.body.find("Create a record"), std::string::npos) << "an editor may create";
  const auto csrf = HiddenField(list.body, "csrf_token");
  ASSERT_EQ(csrf.size(), 64u);

  // Signing out needs the form's token; then the session is over.
  EXPECT_EQ(Post("/sign-out", "", cookie).status, 403);
  EXPECT_EQ(Get("/records", cookie).status, 200);
  auto out = Post("/sign-out", FormEncode({{"csrf_token", csrf}}), cookie);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.headers["location"], "/sign-in");
  EXPECT_EQ(Get("/records", cookie).status, 303);
}

TEST_F(ConsoleTest, HostileRecordsRenderAsText) {
  inst_.ExpectAttacks();  // a signed-in writer's content is reported, not refused
  const std::string title = "<img src=x onerror=alert(1)>";
  auto made = api_.As(sessions_["ann.editor"], "POST", "/api/v1/records",
                      boost::json::object{{"remit", "north"},
                                          {"title", title},
                                          {"classification", "OFFICIAL"},
                                          {"descriptors", boost::json::array{}},
                                          {"body",
                                           {{"text", "</script><script>alert(2)</script>"},
                                            {"\"><b>", "'single' & \"double\""}}}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  const auto cookie = SignInByForms("ann.editor");
  for (const auto& path : {std::string("/records"), "/records/" + id}) {
    auto r = Get(path, cookie);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find("<img src=x"), std::string::npos) << path;
    EXPECT_NE(r.body.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("<b>"), std::string::npos) << path;
  }
  auto view = Get("/records/" + id, cookie);
  EXPECT_NE(view.body.find("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(view.body.find("&apos;single&apos; &amp; &quot;double&quot;"), std::string::npos)
      << view.body;
}

TEST_F(ConsoleTest, CreatesByFormOnlyWithItsTokenAndRefusesHostileForms) {
  inst_.ExpectAttacks();  // the payloads are reported
  const auto cookie = SignInByForms("ann.editor");
  auto form = Get("/records/new", cookie);
  ASSERT_EQ(form.status, 200) << form.body;
  const auto csrf = HiddenField(form.body, "csrf_token");
  ASSERT_EQ(csrf.size(), 64u);
  const auto fields = [&](const std::string& token) {
    return FormEncode({{"remit", "north"},
                       {"title", "Made by form"},
                       {"classification", "OFFICIAL"},
                       {"text", "line one\r\nline two"},
                       {"csrf_token", token}});
  };
  // Without the token, with another's, or from another site: refused, nothing made.
  EXPECT_EQ(Post("/records", FormEncode({{"remit", "north"}, {"title", "x"}}), cookie).status, 403);
  EXPECT_EQ(Post("/records", fields(std::string(64, 'a')), cookie).status, 403);
  EXPECT_EQ(Post("/records", fields(csrf), cookie, "Origin: https://evil.example\r\n").status, 403);
  // The API's header is not a form's token.
  EXPECT_EQ(Post("/records", FormEncode({{"remit", "north"}}), cookie,
                 "X-CSRF-Token: " + sessions_["ann.editor"].csrf + "\r\n")
                .status,
            403);
  const struct {
    const char* what;
    std::string body;
  } hostile[] = {
      {"an unknown field", fields(csrf) + "&role=admin"},
      {"a field twice", fields(csrf) + "&title=again"},
      {"a control character", FormEncode({{"remit", "north"},
                                          {"title", "bell\x07"},
                                          {"classification", "OFFICIAL"},
                                          {"csrf_token", csrf}})},
      {"a line break in a one-line field", FormEncode({{"remit", "north"},
                                                       {"title", "a\nb"},
                                                       {"classification", "OFFICIAL"},
                                                       {"csrf_token", csrf}})},
      {"bad percent-encoding", "remit=north&title=%zz&csrf_token=" + csrf},
      {"invalid UTF-8", "remit=north&title=%C0%AF&classification=OFFICIAL&csrf_token=" + csrf},
      {"a title too long", FormEncode({{"remit", "north"},
                                       {"title", std::string(900, 'x')},
                                       {"classification", "OFFICIAL"},
                                       {"csrf_token", csrf}})},
      {"a SQL payload for a remit", FormEncode({{"remit", "north' OR '1'='1"},
                                                {"title", "t"},
                                                {"classification", "OFFICIAL"},
                                                {"csrf_token", csrf}})},
      {"an unknown classification", FormEncode({{"remit", "north"},
                                                {"title", "t"},
                                                {"classification", "SECRET"},
                                                {"csrf_token", csrf}})},
  };
  for (const auto& h : hostile) {
    auto r = Post("/records", h.body, cookie);
    EXPECT_GE(r.status, 400) << h.what;
    EXPECT_LT(r.status, 500) << h.what;
    EXPECT_TRUE(r.headers["content-type"].starts_with("text/html")) << h.what;
    EXPECT_EQ(r.body.find("OR '1'"), std::string::npos) << h.what;
  }
  EXPECT_EQ(ListCount("ann.editor"), 0) << "nothing was made";
  // Each refused form that reached the service is in the audit log, with the actor named.
  auto events = api_.As(officer1_, "GET", "/api/v1/audit/events?action=record.create&limit=100");
  ASSERT_EQ(events.status, 200);
  int refused = 0;
  const auto found = JsonOf(events);
  for (const auto& e : found.at("items").as_array()) {
    EXPECT_FALSE(e.at("decision").at("allow").as_bool());
    EXPECT_EQ(e.at("actor").at("username").as_string(), "ann.editor");
    ++refused;
  }
  EXPECT_EQ(refused, static_cast<int>(std::size(hostile)));

  auto made = Post("/records", fields(csrf), cookie);
  ASSERT_EQ(made.status, 303) << made.body;
  ASSERT_TRUE(made.headers["location"].starts_with("/records/"));
  auto view = Get(made.headers["location"], cookie);
  ASSERT_EQ(view.status, 200);
  EXPECT_NE(view.body.find("Made by form"), std::string::npos);
  EXPECT_NE(view.body.find("line one\nline two"), std::string::npos);
  EXPECT_EQ(ListCount("ann.editor"), 1);
}

TEST_F(ConsoleTest, ReadersSeeNoEditControlsAndErrorsLeakNothing) {
  inst_.ExpectAttacks();  // the path traversal below is refused as one
  ASSERT_EQ(CreateRecord("ann.editor", "Shared case").status, 201);
  const auto cookie = SignInByForms("rob.reader");
  auto list = Get("/records", cookie);
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("Shared case"), std::string::npos);
  EXPECT_EQ(list.body.find("Create a record"), std::string::npos);
  auto form = Get("/records/new", cookie);
  EXPECT_EQ(form.status, 403);
  EXPECT_NE(form.body.find("You cannot do this"), std::string::npos);
  auto missing = Get("/records/r-does-not-exist", cookie);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.headers["content-type"].starts_with("text/html"));
  EXPECT_EQ(missing.body.find("r-does-not-exist"), std::string::npos);

  // A sign-in form from another site is refused before any password is checked.
  auto forged =
      Post("/sign-in", FormEncode({{"username", "rob.reader"}, {"password", kTestPassword}}), "",
           "Sec-Fetch-Site: cross-site\r\n");
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(HiddenField(forged.body, "challenge"), "");

  // The pages are not API: the OpenAPI document does not list them; the styles are served.
  auto doc = api_.Call("GET", "/api/v1/openapi.json", "");
  EXPECT_EQ(doc.body.find("\"/sign-in\""), std::string::npos);
  EXPECT_NE(doc.body.find("\"/api/v1/records\""), std::string::npos);
  auto css = Get("/assets/govuk-frontend.min.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_GT(css.body.size(), 10000u);
  EXPECT_EQ(Get("/assets/..%2Fetc%2Fpasswd").status, 403);
  EXPECT_EQ(Get("/assets/layout.mustache").status, 404);
}

TEST_F(ConsoleTest, EnrolsByFormsShowingTheSecretOnceAndRefusingHostileInput) {
  const boost::json::array grants{"PERSONAL"};
  const auto token = Join(org_a_, "new.person", {"editor"}, {"north"}, grants);
  ASSERT_EQ(token.size(), 64u);
  const auto enrol = [&](const std::string& t, const std::string& p1, const std::string& p2,
                         const std::string& extra = "") {
    return Post("/enrol", FormEncode({{"token", t}, {"password", p1}, {"password_again", p2}}), "",
                extra);
  };
  EXPECT_EQ(Get("/enrol").status, 200);
  auto mismatch = enrol(token, kTestPassword, "another passphrase entirely");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("not the same"), std::string::npos);
  EXPECT_NE(mismatch.body.find("value=\"" + token + "\""), std::string::npos) << "kept";
  EXPECT_EQ(mismatch.body.find(kTestPassword), std::string::npos) << "never echoed";
  EXPECT_EQ(enrol(token, "short", "short").status, 400);
  EXPECT_EQ(enrol(std::string(64, 'f'), kTestPassword, kTestPassword).status / 100, 4);
  EXPECT_EQ(enrol(token, kTestPassword, kTestPassword, "Origin: https://evil.example\r\n").status,
            403);

  auto begun = enrol(token, kTestPassword, kTestPassword);
  ASSERT_EQ(begun.status, 200) << begun.body;
  EXPECT_NE(begun.body.find("<svg class=\"app-qr\""), std::string::npos);
  std::string secret = Between(begun.body, "id=\"secret\">", '<');
  std::erase(secret, ' ');
  ASSERT_EQ(secret.size(), 32u) << "the key, as text";
  ASSERT_EQ(HiddenField(begun.body, "token"), token);

  auto wrong = Post("/enrol/confirm", FormEncode({{"token", token}, {"code", "000000"}}));
  EXPECT_EQ(wrong.status / 100, 4);
  EXPECT_NE(wrong.body.find("code-error"), std::string::npos);
  EXPECT_EQ(wrong.body.find("id=\"secret\""), std::string::npos) << "the secret is shown once";

  const auto now = std::to_string(std::time(nullptr) + api_.clock_offset());
  const auto code = RunProgram("/usr/bin/oathtool", {"--totp", "-b", secret, "--now", "@" + now});
  ASSERT_EQ(code.exit_code, 0);
  auto done =
      Post("/enrol/confirm", FormEncode({{"token", token}, {"code", code.out.substr(0, 6)}}));
  ASSERT_EQ(done.status, 200) << done.body;
  int codes = 0;
  for (auto at = done.body.find("<li>"); at != std::string::npos;
       at = done.body.find("<li>", at + 1)) {
    ++codes;
  }
  EXPECT_EQ(codes, 10);
  // The token is spent.
  EXPECT_EQ(enrol(token, kTestPassword, kTestPassword).status / 100, 4);
}

}  // namespace
}  // namespace strongroom::testing
