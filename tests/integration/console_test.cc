// The console's pages against the real binary, as a browser without JavaScript uses them: forms
// posted, redirects followed by hand, cookies kept. (The browser tests in web/tests/ drive a real
// browser; these check what a browser cannot be made to do: forged forms, hostile fields.)

#include <fmt/format.h>
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

// What a page said, for a failed test's message: its status, title and first error; never the
// page itself, which carries the session's CSRF token.
std::string Said(const HttpResponse& r) {
  auto said = std::to_string(r.status) + " " + Between(r.body, "<title>", '<');
  if (const auto error = Between(r.body, "govuk-body\">", '<'); !error.empty()) {
    said += ": " + error;
  }
  if (const auto error = Between(r.body, "<li><a href=\"#", '<'); !error.empty()) {
    said += ": " + error;
  }
  return said;
}

// A hidden field's value as a browser posts it back: the page's HTML escapes undone.
std::string Unescaped(std::string html) {
  for (const auto& [entity, ch] :
       {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (auto at = html.find(entity); at != std::string::npos; at = html.find(entity, at + 1)) {
      html.replace(at, std::string_view(entity).size(), ch);
    }
  }
  return html;
}

std::string CookieOf(const HttpResponse& r) {
  for (const auto& c : r.set_cookies) {
    if (c.starts_with("__Host-strongroom-session=") ||
        c.starts_with("__Host-strongroom-admin-session=")) {
      return c.substr(0, c.find(';'));
    }
  }
  return "";
}

class ConsoleTest : public OrgFixture {
 protected:
  // How many of a page's own forms carry the CSRF token (beyond the layout's two: signing out, and
  // the timeout warning's staying signed in).
  static int CsrfFields(const std::string& html) {
    int n = -2;
    for (auto at = html.find("name=\"csrf_token\""); at != std::string::npos;
         at = html.find("name=\"csrf_token\"", at + 1)) {
      ++n;
    }
    return n;
  }
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
    EXPECT_EQ(password.status, 200) << Said(password);
    const auto challenge = HiddenField(password.body, "challenge");
    EXPECT_EQ(challenge.size(), 64u);
    auto code =
        Post("/sign-in/code", FormEncode({{"challenge", challenge}, {"code", api_.Totp(user)}}));
    EXPECT_EQ(code.status, 303) << Said(code);
    EXPECT_EQ(code.headers["location"], "/");
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
  ASSERT_EQ(list.status, 200) << Said(list);
  EXPECT_NE(list.body.find("First case"), std::string::npos);
  EXPECT_NE(list.body.find("Create a record"), std::string::npos) << "an editor may create";
  const auto csrf = HiddenField(list.body, "csrf_token");
  ASSERT_EQ(csrf.size(), 64u);

  // Staying signed in (the timeout warning's request) is a use of the session, with its token
  // and nothing else; the idle timeout counts from it.
  EXPECT_NE(list.body.find("data-idle-seconds=\"300\""), std::string::npos);
  EXPECT_EQ(Post("/keep-alive", "", cookie).status, 403) << "no token";
  EXPECT_EQ(Post("/keep-alive", FormEncode({{"csrf_token", csrf}, {"x", "1"}}), cookie).status,
            400);
  api_.AdvanceClock(4 * 60);
  EXPECT_EQ(Post("/keep-alive", FormEncode({{"csrf_token", csrf}}), cookie).status, 204);
  api_.AdvanceClock(4 * 60);
  EXPECT_EQ(Get("/records", cookie).status, 200) << "eight minutes since the last page";
  EXPECT_EQ(Post("/keep-alive", FormEncode({{"csrf_token", csrf}})).status, 303) << "no session";
  auto refused =
      api_.As(api_.SignIn(kOfficer2), "GET", "/api/v1/audit/events?action=auth.keep_alive");
  ASSERT_EQ(refused.status, 200) << refused.body;
  ASSERT_EQ(JsonOf(refused).at("items").as_array().size(), 1u) << "the malformed one, audited";

  // Signing out needs the form's token; then the session is over.
  EXPECT_EQ(Post("/sign-out", "", cookie).status, 403);
  EXPECT_EQ(Get("/records", cookie).status, 200);
  auto out = Post("/sign-out", FormEncode({{"csrf_token", csrf}}), cookie);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.headers["location"], "/sign-in");
  EXPECT_EQ(Get("/records", cookie).status, 303);

  // A refused request is no use of the session: it still ends five minutes after the last page.
  const auto other = SignInByForms("ann.editor");
  ASSERT_EQ(Get("/records", other).status, 200);
  api_.AdvanceClock(4 * 60);
  EXPECT_EQ(Post("/keep-alive", "", other).status, 403);
  EXPECT_EQ(Post("/keep-alive", FormEncode({{"csrf_token", std::string(64, '0')}}), other).status,
            403);
  api_.AdvanceClock(2 * 60);
  EXPECT_EQ(Get("/records", other).status, 303) << "the refused requests kept nothing alive";
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
  ASSERT_EQ(made.status, 201) << Said(made);
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
      << Said(view);
}

TEST_F(ConsoleTest, CreatesByFormOnlyWithItsTokenAndRefusesHostileForms) {
  inst_.ExpectAttacks();  // the payloads are reported
  const auto cookie = SignInByForms("ann.editor");
  auto form = Get("/records/new", cookie);
  ASSERT_EQ(form.status, 200) << Said(form);
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
  // And each refused for its token or origin, as the session's account (naming no token).
  auto refusals = api_.As(officer1_, "GET", "/api/v1/audit/events?action=auth.csrf");
  ASSERT_EQ(refusals.status, 200);
  const auto csrf_refused = JsonOf(refusals).at("items").as_array();
  ASSERT_EQ(csrf_refused.size(), 4u) << refusals.body;
  for (const auto& e : csrf_refused) {
    EXPECT_FALSE(e.at("decision").at("allow").as_bool());
    EXPECT_EQ(e.at("actor").at("username").as_string(), "ann.editor");
  }
  EXPECT_EQ(refusals.body.find(csrf), std::string::npos);
  EXPECT_EQ(refusals.body.find(sessions_["ann.editor"].csrf), std::string::npos);

  auto made = Post("/records", fields(csrf), cookie);
  ASSERT_EQ(made.status, 303) << Said(made);
  ASSERT_TRUE(made.headers["location"].starts_with("/records/"));
  auto view = Get(made.headers["location"], cookie);
  ASSERT_EQ(view.status, 200);
  EXPECT_NE(view.body.find("Made by form"), std::string::npos);
  EXPECT_NE(view.body.find("line one\nline two"), std::string::npos);
  EXPECT_EQ(ListCount("ann.editor"), 1);
}

TEST_F(ConsoleTest, ChangesAndDeletesByFormsAtTheVersionTheFormWasOpenedAt) {
  const auto made = CreateRecord("ann.editor", "Case one");
  ASSERT_EQ(made.status, 201);
  const auto created = JsonOf(made);
  const std::string id(created.at("id").as_string());
  const auto cookie = SignInByForms("ann.editor");
  const auto view = Get("/records/" + id, cookie);
  ASSERT_EQ(view.status, 200) << Said(view);
  EXPECT_NE(view.body.find("/records/" + id + "/edit"), std::string::npos);
  EXPECT_NE(view.body.find("/records/" + id + "/delete"), std::string::npos);

  // The form opens at version 1 with the record's labels; the API's body (not one text field)
  // is not offered for editing, and is kept.
  auto form = Get("/records/" + id + "/edit", cookie);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_EQ(HiddenField(form.body, "version"), "1");
  EXPECT_NE(form.body.find("value=\"PERSONAL\" checked"), std::string::npos);
  EXPECT_EQ(form.body.find("<textarea"), std::string::npos);
  const auto csrf = HiddenField(form.body, "csrf_token");
  const auto change = [&](const std::string& version, const std::string& title,
                          const std::string& extra = "") {
    return Post("/records/" + id + "/edit",
                FormEncode({{"version", version},
                            {"title", title},
                            {"classification", "OFFICIAL-SENSITIVE"},
                            {"descriptors", "PERSONAL"},
                            {"csrf_token", csrf}}) +
                    extra,
                cookie);
  };
  auto changed = change("1", "Case one, renamed", "&descriptors=LOCSEN");
  ASSERT_EQ(changed.status, 303) << Said(changed);
  EXPECT_EQ(changed.headers["location"], "/records/" + id);
  auto read = api_.As(sessions_["ann.editor"], "GET", "/api/v1/records/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  const auto record = JsonOf(read);
  EXPECT_EQ(record.at("title").as_string(), "Case one, renamed");
  EXPECT_EQ(record.at("version").as_int64(), 2);
  EXPECT_EQ(record.at("classification").as_string(), "OFFICIAL-SENSITIVE");
  EXPECT_EQ(record.at("descriptors").as_array().size(), 2u);
  EXPECT_EQ(record.at("body").at("summary").as_string(), "BODY Case one") << "kept";

  // A form opened at version 1 again: refused, and shown again with what was typed kept.
  auto stale = change("1", "Lost update");
  EXPECT_EQ(stale.status, 409) << Said(stale);
  EXPECT_NE(stale.body.find("changed since you opened it"), std::string::npos) << Said(stale);
  EXPECT_NE(stale.body.find("govuk-error-summary"), std::string::npos);
  EXPECT_NE(stale.body.find("value=\"Lost update\""), std::string::npos);
  // Versions that were never given, and a descriptor outside the vocabulary: refused, audited.
  for (const std::string bad : {"", "0", "-1", "2x", "99999999999999999999", "2 "}) {
    EXPECT_EQ(change(bad, "Bad version").status, 400) << "version '" << bad << "'";
  }
  EXPECT_EQ(change("2", "Bad descriptor", "&descriptors=SECRET").status, 400);
  auto no_version = Post(
      "/records/" + id + "/edit",
      FormEncode({{"title", "No version"}, {"classification", "OFFICIAL"}, {"csrf_token", csrf}}),
      cookie);
  EXPECT_EQ(no_version.status, 400) << Said(no_version);
  EXPECT_TRUE(no_version.headers["content-type"].starts_with("text/html"));
  auto updates = api_.As(officer1_, "GET", "/api/v1/audit/events?action=record.update&limit=100");
  int refused = 0, stale_ones = 0;
  const auto events = JsonOf(updates);
  for (const auto& e : events.at("items").as_array()) {
    if (!e.at("decision").at("allow").as_bool()) ++refused;
    if (e.at("outcome").as_string() == "failed_precondition") ++stale_ones;
  }
  EXPECT_EQ(refused, 8) << "six versions, one descriptor, one without a version";
  EXPECT_EQ(stale_ones, 1);
  EXPECT_EQ(JsonOf(api_.As(sessions_["ann.editor"], "GET", "/api/v1/records/" + id))
                .at("version")
                .as_int64(),
            2);

  // Deleting: a confirmation first, then the post at the version shown.
  auto confirm = Get("/records/" + id + "/delete", cookie);
  ASSERT_EQ(confirm.status, 200) << Said(confirm);
  EXPECT_EQ(HiddenField(confirm.body, "version"), "2");
  const auto remove = [&](const std::string& version) {
    return Post("/records/" + id + "/delete",
                FormEncode({{"version", version}, {"csrf_token", csrf}}), cookie);
  };
  EXPECT_EQ(remove("1").status, 409);
  EXPECT_EQ(Post("/records/" + id + "/delete", FormEncode({{"version", "2"}}), cookie).status, 403)
      << "no token";
  auto deleted = remove("2");
  ASSERT_EQ(deleted.status, 303) << Said(deleted);
  EXPECT_EQ(deleted.headers["location"], "/records");
  EXPECT_EQ(Get("/records/" + id, cookie).status, 404);
}

TEST_F(ConsoleTest, AsksForApprovesAndDownloadsAnExportByForms) {
  inst_.ExpectAttacks();  // the reason's script is reported
  for (int i = 0; i < 2; ++i) ASSERT_EQ(CreateRecord("ann.editor", "Exported").status, 201);
  const boost::json::array grants{"PERSONAL"};
  const auto token = Join(org_a_, "amy.approver", {"reader", "approver"}, {"north"}, grants);
  ASSERT_TRUE(api_.Enrol("amy.approver", token));
  const auto ann = SignInByForms("ann.editor");
  auto page = Get("/exports", ann);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("You have not asked for an export"), std::string::npos);
  const auto csrf = HiddenField(page.body, "csrf_token");
  const auto ask = [&](const std::string& remit, const std::string& reason) {
    return Post("/exports",
                FormEncode({{"remit", remit}, {"reason", reason}, {"csrf_token", csrf}}), ann);
  };
  // Without a reason, or for a remit not hers: the form again, with the error and what was typed.
  auto no_reason = ask("north", "");
  EXPECT_EQ(no_reason.status, 400) << Said(no_reason);
  EXPECT_NE(no_reason.body.find("id=\"reason-error\""), std::string::npos) << Said(no_reason);
  auto not_hers = ask("south", "a look at south");
  EXPECT_EQ(not_hers.status / 100, 4) << Said(not_hers);
  EXPECT_NE(not_hers.body.find("a look at south"), std::string::npos);
  auto asked = ask("north", "Case review <script>alert(1)</script>");
  ASSERT_EQ(asked.status, 303) << Said(asked);
  EXPECT_EQ(asked.headers["location"], "/exports");
  page = Get("/exports", ann);
  EXPECT_NE(page.body.find("Waiting for approval"), std::string::npos);
  EXPECT_EQ(page.body.find("/download"), std::string::npos) << "nothing to download yet";

  // Amy approves it from her list; Ann cannot approve her own, and a form needs its token.
  const auto amy = SignInByForms("amy.approver");
  auto queue = Get("/exports", amy);
  ASSERT_EQ(queue.status, 200) << Said(queue);
  EXPECT_NE(queue.body.find("Case review &lt;script&gt;"), std::string::npos);
  EXPECT_EQ(queue.body.find("<script>alert"), std::string::npos);
  const auto id = Between(queue.body, "action=\"/exports/", '/');
  ASSERT_TRUE(id.starts_with("exp-")) << id;
  const auto amy_csrf = HiddenField(queue.body, "csrf_token");
  EXPECT_EQ(Post("/exports/" + id + "/approve", FormEncode({{"csrf_token", csrf}}), ann).status,
            403)
      << "her own";
  EXPECT_EQ(Post("/exports/" + id + "/approve", "", amy).status, 403) << "no token";
  EXPECT_EQ(Post("/exports/" + id + "/approve",
                 FormEncode({{"csrf_token", amy_csrf}, {"records", "all"}}), amy)
                .status,
            400)
      << "a button's form holds nothing else";
  auto approved = Post("/exports/" + id + "/approve", FormEncode({{"csrf_token", amy_csrf}}), amy);
  ASSERT_EQ(approved.status, 303) << Said(approved);
  auto queue_after = Get("/exports", amy);
  ASSERT_EQ(queue_after.status, 200) << Said(queue_after);
  EXPECT_EQ(queue_after.body.find("/approve"), std::string::npos) << "done";

  // Ann downloads it once, opened: a file, not a page.
  page = Get("/exports", ann);
  EXPECT_NE(page.body.find("Ready to download"), std::string::npos);
  const auto download = [&](const std::string& who, const std::string& csrf_token) {
    return Post("/exports/" + id + "/download", FormEncode({{"csrf_token", csrf_token}}), who);
  };
  EXPECT_EQ(download(amy, amy_csrf).status, 404) << "not hers";
  auto file = download(ann, csrf);
  ASSERT_EQ(file.status, 200) << Said(file);
  EXPECT_EQ(file.headers["content-type"], "application/json");
  EXPECT_EQ(file.headers["content-disposition"], "attachment; filename=\"" + id + ".json\"");
  const auto archive = boost::json::parse(file.body);
  EXPECT_EQ(archive.at("records").as_array().size(), 2u);
  auto again = download(ann, csrf);
  EXPECT_EQ(again.status, 409) << "once";
  EXPECT_TRUE(again.headers["content-type"].starts_with("text/html"));
  EXPECT_NE(Get("/exports", ann).body.find("Downloaded"), std::string::npos);
}

TEST_F(ConsoleTest, AdministratorsAskForAndApproveAccountsByForms) {
  inst_.ExpectAttacks();  // the hostile username below is reported
  const auto one = SignInByForms(kOfficer1);
  auto start = Get("/", one);
  EXPECT_EQ(start.status, 303);
  EXPECT_EQ(start.headers["location"], "/admin/join-requests");
  auto list = Get("/admin/join-requests", one);
  ASSERT_EQ(list.status, 200) << Said(list);
  EXPECT_NE(list.body.find("No request is waiting"), std::string::npos);
  auto form = Get("/admin/join-requests/new", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_NE(form.body.find("Acme Casework Ltd"), std::string::npos);
  const auto csrf = HiddenField(form.body, "csrf_token");
  const auto ask_as = [&](const std::string& cookie, const std::string& token,
                          const std::string& username, const std::string& day,
                          const std::string& extra) {
    return Post("/admin/join-requests",
                FormEncode({{"org", org_a_},
                            {"username", username},
                            {"person_name", "Nia Newcomer"},
                            {"person_email", username + "@example.org"},
                            {"kind", "standard"},
                            {"roles", "editor"},
                            {"remits", " north , "},
                            {"grants", "PERSONAL"},
                            {"bpss_day", day},
                            {"bpss_month", "1"},
                            {"bpss_year", "2026"},
                            {"bpss_by", "HR vetting team"},
                            {"csrf_token", token}}) +
                    extra,
                cookie);
  };
  const auto ask = [&](const std::string& username, const std::string& day,
                       const std::string& extra = "") {
    return ask_as(one, csrf, username, day, extra);
  };
  // Refused, and shown again with what was typed: a date that is not one, a username that cannot
  // be one, a role twice, a remit the organisation lacks.
  auto bad_date = ask("nia.newcomer", "31x");
  EXPECT_EQ(bad_date.status, 400) << Said(bad_date);
  EXPECT_NE(bad_date.body.find("id=\"bpss-error\""), std::string::npos) << Said(bad_date);
  EXPECT_NE(bad_date.body.find("value=\"nia.newcomer\""), std::string::npos);
  auto bad_name = ask("<script>alert(1)</script>", "15");
  EXPECT_EQ(bad_name.status, 400) << Said(bad_name);
  EXPECT_EQ(bad_name.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(ask("nia.newcomer", "15", "&roles=editor").status, 400) << "a role twice";
  EXPECT_EQ(ask("nia.newcomer", "15", "&remits=west").status, 400) << "remits given twice";
  auto none_yet = Get("/admin/join-requests", one);
  ASSERT_EQ(none_yet.status, 200) << Said(none_yet);
  EXPECT_EQ(none_yet.body.find("nia.newcomer"), std::string::npos);
  auto made = ask("nia.newcomer", "15");
  ASSERT_EQ(made.status, 303) << Said(made);
  EXPECT_EQ(made.headers["location"], "/admin/join-requests");
  list = Get("/admin/join-requests", one);
  const auto id = "jr-" + Between(list.body, "href=\"/admin/join-requests/jr-", '/');
  ASSERT_EQ(id.size(), 19u) << id;

  // The one who asked cannot approve it, whatever code they give.
  api_.AdvanceClock(30);
  auto own = Post("/admin/join-requests/" + id + "/approve",
                  FormEncode({{"code", api_.Totp(kOfficer1)}, {"csrf_token", csrf}}), one);
  EXPECT_EQ(own.status, 403) << Said(own);

  // Another officer: the page asks for a fresh code; a wrong one brings the form back.
  const auto two = SignInByForms(kOfficer2);
  // Past the five minutes in which signing in counts as fresh, using the session on the way
  // (a privileged session idles out sooner).
  api_.AdvanceClock(4 * 60);
  ASSERT_EQ(Get("/admin/users", two).status, 200);
  api_.AdvanceClock(2 * 60);
  auto page = Get("/admin/join-requests/" + id + "/approve", two);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("nia.newcomer"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"code\""), std::string::npos);
  const auto csrf2 = HiddenField(page.body, "csrf_token");
  auto wrong = Post("/admin/join-requests/" + id + "/approve",
                    FormEncode({{"code", "000000"}, {"csrf_token", csrf2}}), two);
  EXPECT_EQ(wrong.status, 401) << Said(wrong);
  EXPECT_NE(wrong.body.find("security code was not accepted"), std::string::npos) << Said(wrong);
  api_.AdvanceClock(30);
  auto approved = Post("/admin/join-requests/" + id + "/approve",
                       FormEncode({{"code", api_.Totp(kOfficer2)}, {"csrf_token", csrf2}}), two);
  ASSERT_EQ(approved.status, 200) << Said(approved);
  const auto token = Between(approved.body, "id=\"enrolment-token\">", '<');
  ASSERT_EQ(token.size(), 64u) << Said(approved);
  EXPECT_TRUE(api_.Enrol("nia.newcomer", token)) << "the token shown is the one that works";
  auto users = Get("/admin/users?status=active", two);
  ASSERT_EQ(users.status, 200) << Said(users);
  EXPECT_NE(users.body.find("nia.newcomer"), std::string::npos);
  EXPECT_EQ(Get("/admin/users?status=active&role=x", two).status, 400);

  // A rejection within the window (just signed in) needs no second code, but does need a reason.
  auto asked = ask_as(two, csrf2, "ned.other", "15", "");
  ASSERT_EQ(asked.headers["location"], "/admin/join-requests") << Said(asked);
  const auto again = SignInByForms(kOfficer1);
  list = Get("/admin/join-requests", again);
  const auto other = "jr-" + Between(list.body, "href=\"/admin/join-requests/jr-", '/');
  ASSERT_EQ(other.size(), 19u) << other;
  auto reject = Get("/admin/join-requests/" + other + "/reject", again);
  ASSERT_EQ(reject.status, 200) << Said(reject);
  EXPECT_EQ(reject.body.find("id=\"code\""), std::string::npos) << "fresh enough";
  const auto csrf1 = HiddenField(reject.body, "csrf_token");
  auto no_reason = Post("/admin/join-requests/" + other + "/reject",
                        FormEncode({{"reason", ""}, {"csrf_token", csrf1}}), again);
  EXPECT_EQ(no_reason.status, 400) << Said(no_reason);
  auto rejected = Post("/admin/join-requests/" + other + "/reject",
                       FormEncode({{"reason", "Not known to HR"}, {"csrf_token", csrf1}}), again);
  EXPECT_EQ(rejected.status, 303) << Said(rejected);
  EXPECT_NE(Get("/admin/join-requests", again).body.find("No request is waiting"),
            std::string::npos);

  // Someone who is not an administrator sees none of it: a standard session is not read there,
  // so the pages send them to sign in (as an administrator).
  const auto ann = SignInByForms("ann.editor");
  for (const char* path : {"/admin/join-requests", "/admin/users", "/admin/join-requests/new"}) {
    auto r = Get(path, ann);
    EXPECT_EQ(r.status, 303) << path << " " << Said(r);
    EXPECT_EQ(r.headers["location"], "/sign-in") << path;
    EXPECT_EQ(r.body.find("nia.newcomer"), std::string::npos) << path;
  }
}

TEST_F(ConsoleTest, AdministratorsLockUnlockAndRecordLeaversByForms) {
  const auto users = JsonOf(api_.As(officer1_, "GET", "/api/v1/admin/users"));
  std::string id;
  for (const auto& u : users.at("items").as_array()) {
    if (u.at("username").as_string() == "ann.editor") id = std::string(u.at("id").as_string());
  }
  ASSERT_FALSE(id.empty());
  const auto one = SignInByForms(kOfficer1);
  auto list = Get("/admin/users", one);
  EXPECT_NE(list.body.find("href=\"/admin/users/" + id + "\""), std::string::npos);
  auto page = Get("/admin/users/" + id, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("/admin/users/" + id + "/lock"), std::string::npos);
  EXPECT_NE(page.body.find("/admin/users/" + id + "/leave"), std::string::npos);
  const auto csrf = HiddenField(page.body, "csrf_token");
  const auto act = [&](const std::string& verb,
                       std::initializer_list<std::pair<std::string, std::string>> fields,
                       const std::string& extra = "") {
    std::string body = FormEncode(fields);
    body += (body.empty() ? "" : "&") + FormEncode({{"csrf_token", csrf}}) + extra;
    return Post("/admin/users/" + id + "/" + verb, body, one);
  };
  // Hostile forms first: refused, nothing changes.
  EXPECT_EQ(act("lock", {{"reason", "x"}}, "&status=active").status, 400);
  EXPECT_EQ(act("lock", {{"reason", std::string("a\x01b")}}).status, 400);
  EXPECT_EQ(Get("/admin/users/acc-does-not-exist", one).status, 404);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", "/api/v1/records").status, 200);

  // Locked (signed in just now: no code asked for); her session ends.
  auto form = Get("/admin/users/" + id + "/lock", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_EQ(form.body.find("id=\"code\""), std::string::npos) << "fresh enough";
  auto locked = act("lock", {{"reason", "Laptop reported stolen"}});
  ASSERT_EQ(locked.status, 303) << Said(locked);
  EXPECT_EQ(locked.headers["location"], "/admin/users/" + id);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", "/api/v1/records").status, 401);
  page = Get("/admin/users/" + id, one);
  EXPECT_NE(page.body.find("/admin/users/" + id + "/unlock"), std::string::npos);

  // Later, unlocking asks for a code with the decision; a wrong one brings the form back.
  api_.AdvanceClock(4 * 60);
  ASSERT_EQ(Get("/admin/users", one).status, 200);
  api_.AdvanceClock(2 * 60);
  form = Get("/admin/users/" + id + "/unlock", one);
  EXPECT_NE(form.body.find("id=\"code\""), std::string::npos);
  // No code at all is asked for again, and is not counted as a wrong one.
  auto no_code = act("unlock", {{"reason", "Laptop found"}});
  EXPECT_EQ(no_code.status, 400) << Said(no_code);
  EXPECT_NE(no_code.body.find("enter the code from your authenticator app"), std::string::npos)
      << Said(no_code);
  auto wrong = act("unlock", {{"reason", "Laptop found"}, {"code", "000000"}});
  EXPECT_EQ(wrong.status, 401) << Said(wrong);
  EXPECT_NE(wrong.body.find("Laptop found"), std::string::npos) << "what was typed is kept";
  api_.AdvanceClock(30);
  auto unlocked = act("unlock", {{"reason", "Laptop found"}, {"code", api_.Totp(kOfficer1)}});
  ASSERT_EQ(unlocked.status, 303) << Said(unlocked);

  // A leaver: confirmed, then nothing more can be done to the account.
  ASSERT_EQ(Get("/admin/users/" + id + "/leave", one).status, 200);
  auto left = act("leave", {});
  ASSERT_EQ(left.status, 303) << Said(left);
  page = Get("/admin/users/" + id, one);
  EXPECT_NE(page.body.find(">left<"), std::string::npos) << Said(page);
  EXPECT_EQ(page.body.find("/leave\""), std::string::npos);
  EXPECT_EQ(act("leave", {}).status / 100, 4) << "left already";

  // Every step, allowed or refused, is in the audit log (the other officer's session has idled
  // out meanwhile: signed in again).
  api_.AdvanceClock(30);
  const auto two = api_.SignIn(kOfficer2);
  for (const char* action : {"admin.user.lock", "admin.user.unlock", "admin.user.leave"}) {
    const auto [allowed, refused] = Decided(two, action);
    EXPECT_EQ(allowed, 1) << action;
    EXPECT_GE(refused, std::string_view(action) == "admin.user.unlock" ? 0 : 1) << action;
  }
}

TEST_F(ConsoleTest, AdministratorsReenrolSomeoneWhoLostEveryFactorByForms) {
  const auto users = JsonOf(api_.As(officer1_, "GET", "/api/v1/admin/users"));
  std::string id;
  for (const auto& u : users.at("items").as_array()) {
    if (u.at("username").as_string() == "rob.reader") id = std::string(u.at("id").as_string());
  }
  ASSERT_FALSE(id.empty());
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/users/" + id, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("/admin/users/" + id + "/reenrol"), std::string::npos);
  auto form = Get("/admin/users/" + id + "/reenrol", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_NE(form.body.find("enrol again with a new enrolment token"), std::string::npos);
  const auto csrf = HiddenField(form.body, "csrf_token");
  const std::string path = "/admin/users/" + id + "/reenrol";
  // Hostile forms: refused, nothing asked.
  EXPECT_EQ(Post(path, FormEncode({{"csrf_token", csrf}, {"why", "x"}}), one).status, 400);
  EXPECT_EQ(Post(path, "", one).status, 403) << "no CSRF token";
  EXPECT_EQ(
      Post("/admin/users/acc-0000000000000000/reenrol", FormEncode({{"csrf_token", csrf}}), one)
          .status,
      404);
  EXPECT_NE(Get("/admin/join-requests", one).body.find("No request is waiting"), std::string::npos);

  auto asked = Post(path, FormEncode({{"csrf_token", csrf}}), one);
  ASSERT_EQ(asked.status, 303) << Said(asked);
  EXPECT_EQ(asked.headers["location"], "/admin/join-requests");
  auto list = Get("/admin/join-requests", one);
  EXPECT_NE(list.body.find("Enrol again"), std::string::npos) << Said(list);
  const auto request = "jr-" + Between(list.body, "href=\"/admin/join-requests/jr-", '/');
  ASSERT_EQ(request.size(), 19u) << request;
  EXPECT_EQ(api_.As(sessions_["rob.reader"], "GET", "/api/v1/records").status, 200)
      << "nothing happens before approval";

  const auto two = SignInByForms(kOfficer2);
  auto decide = Get("/admin/join-requests/" + request + "/approve", two);
  ASSERT_EQ(decide.status, 200) << Said(decide);
  EXPECT_NE(decide.body.find("Approve this re-enrolment"), std::string::npos);
  EXPECT_NE(decide.body.find("rob.reader is to enrol again"), std::string::npos);
  auto approved = Post("/admin/join-requests/" + request + "/approve",
                       FormEncode({{"csrf_token", HiddenField(decide.body, "csrf_token")}}), two);
  ASSERT_EQ(approved.status, 200) << Said(approved);
  EXPECT_NE(approved.body.find("Re-enrolment approved"), std::string::npos);
  const auto token = Between(approved.body, "id=\"enrolment-token\">", '<');
  ASSERT_EQ(token.size(), 64u) << Said(approved);
  EXPECT_EQ(api_.As(sessions_["rob.reader"], "GET", "/api/v1/records").status, 401);
  EXPECT_TRUE(api_.Enrol("rob.reader", token)) << "the token shown is the one that works";
  api_.AdvanceClock(30);
  EXPECT_FALSE(api_.SignIn("rob.reader").cookie.empty());

  // A leaver's page offers no re-enrolment. (Officer one's API session ended when they signed in
  // by forms: one session for a privileged account.)
  api_.AdvanceClock(30);
  ASSERT_EQ(api_.As(api_.SignIn(kOfficer1), "POST", "/api/v1/admin/users/" + id + "/leave").status,
            204);
  page = Get("/admin/users/" + id, two);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_EQ(page.body.find("/reenrol\""), std::string::npos);
}

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

// The day `days` after the instance's now, as a date input's three fields.
std::tuple<std::string, std::string, std::string> DayAfter(int64_t now, int days) {
  const std::time_t t = static_cast<std::time_t>(now + days * 86400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return {std::to_string(tm.tm_mday), std::to_string(tm.tm_mon + 1),
          std::to_string(tm.tm_year + 1900)};
}

TEST_F(ConsoleTest, AdministratorsMoveExpireAndRenewAccountsByForms) {
  const auto id = account_ids_["sam.south"];
  ASSERT_FALSE(id.empty());
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/users/" + id, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  for (const char* verb : {"/move\"", "/renew\"", "/expire\""}) {
    EXPECT_NE(page.body.find(verb), std::string::npos) << verb;
  }
  const auto csrf = HiddenField(page.body, "csrf_token");
  const auto act = [&](const std::string& verb, const std::string& fields) {
    return Post("/admin/users/" + id + "/" + verb,
                fields + (fields.empty() ? "" : "&") + FormEncode({{"csrf_token", csrf}}), one);
  };
  // What the account's page says of `key` (Roles, Remits, Status, Expires).
  const auto shown = [&](const std::string& key) {
    return Between(Get("/admin/users/" + id, one).body,
                   key + "</dt><dd class=\"govuk-summary-list__value\">", '<');
  };

  // The move form opens with what the account holds now.
  auto form = Get("/admin/users/" + id + "/move", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_NE(form.body.find("value=\"reader\" checked"), std::string::npos);
  EXPECT_NE(form.body.find("name=\"remits\" type=\"text\" value=\"south\""), std::string::npos);
  // Hostile moves: refused, with the field named; nothing changes.
  inst_.ExpectAttacks();  // the script in a remit below is reported
  EXPECT_EQ(act("move", "roles=editor&remits=north&status=active").status, 400);
  for (const auto& [fields, field] : std::vector<std::pair<std::string, std::string>>{
           {"roles=root&remits=north", "roles"},
           {"roles=editor&remits=" + FormEncode({{"r", "<script>alert(1)</script>"}}).substr(2),
            "remits"},
           {"roles=editor&remits=nowhere", "remits"},
           {"roles=editor&remits=north&grants=TOP+SECRET", "grants"}}) {
    auto refused = act("move", fields);
    EXPECT_EQ(refused.status, 400) << fields << " " << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#" + field), std::string::npos)
        << fields << " " << Said(refused);
    EXPECT_EQ(refused.body.find("<script>alert"), std::string::npos);
  }
  EXPECT_EQ(shown("Roles"), "reader");
  EXPECT_EQ(api_.As(sessions_["sam.south"], "GET", "/api/v1/records").status, 200);

  // Moved: the new assignment instead of the old, and their session ends.
  auto moved = act("move", "roles=editor&remits=north%2C+south&grants=PERSONAL");
  ASSERT_EQ(moved.status, 303) << Said(moved);
  EXPECT_EQ(shown("Roles"), "editor");
  EXPECT_EQ(shown("Remits"), "north, south");
  EXPECT_EQ(api_.As(sessions_["sam.south"], "GET", "/api/v1/records").status, 401);

  // Expired now; the page no longer offers it.
  ASSERT_EQ(Get("/admin/users/" + id + "/expire", one).status, 200);
  auto expired = act("expire", "");
  ASSERT_EQ(expired.status, 303) << Said(expired);
  page = Get("/admin/users/" + id, one);
  EXPECT_NE(page.body.find(">expired<"), std::string::npos) << Said(page);
  EXPECT_EQ(page.body.find("/expire\""), std::string::npos);

  // Renewed until a day: a day that is not one, or past the agreed period, is refused on the form.
  const int64_t now = std::time(nullptr) + api_.clock_offset();
  const auto until = [](const std::tuple<std::string, std::string, std::string>& day) {
    return FormEncode({{"until_day", std::get<0>(day)},
                       {"until_month", std::get<1>(day)},
                       {"until_year", std::get<2>(day)}});
  };
  for (const auto& bad :
       {FormEncode({{"until_day", "31"}, {"until_month", "2"}, {"until_year", "2027"}}),
        FormEncode({{"until_day", "x"}, {"until_month", "<b>"}, {"until_year", "1"}}),
        until(DayAfter(now, 400))}) {
    auto refused = act("renew", bad);
    EXPECT_EQ(refused.status, 400) << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#until_day\""), std::string::npos) << Said(refused);
    EXPECT_EQ(refused.body.find("<b>"), std::string::npos);
  }
  // Later, renewing asks for a fresh code with the day.
  api_.AdvanceClock(4 * 60);
  ASSERT_EQ(Get("/admin/users", one).status, 200);
  api_.AdvanceClock(2 * 60);
  form = Get("/admin/users/" + id + "/renew", one);
  EXPECT_NE(form.body.find("id=\"code\""), std::string::npos);
  const auto day = DayAfter(now, 30);
  EXPECT_EQ(act("renew", until(day)).status, 400) << "no code";
  api_.AdvanceClock(30);
  auto renewed = act("renew", until(day) + "&" + FormEncode({{"code", api_.Totp(kOfficer1)}}));
  ASSERT_EQ(renewed.status, 303) << Said(renewed);
  EXPECT_EQ(shown("Expires").substr(0, shown("Expires").find(',')),
            fmt::format("{} {} {}", std::get<0>(day), kMonthNames[std::stoi(std::get<1>(day)) - 1],
                        std::get<2>(day)));
  EXPECT_EQ(shown("Status"), "active");

  // Every step, allowed or refused, is in the audit log.
  const auto two = api_.SignIn(kOfficer2);
  EXPECT_EQ(Decided(two, "admin.user.move"), std::pair(1, 5)) << "allowed, refused";
  EXPECT_EQ(Decided(two, "admin.user.expire"), std::pair(1, 0)) << "allowed, refused";
  EXPECT_EQ(Decided(two, "admin.user.renew"), std::pair(1, 4)) << "allowed, refused";
}

TEST_F(ConsoleTest, SecurityOfficersAddOrganisationsRecordCertificatesAndAddRemitsByForms) {
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/orgs", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("href=\"/admin/orgs\" aria-current=\"page\""), std::string::npos);
  EXPECT_NE(page.body.find(">Acme Casework Ltd<"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/admin/orgs/" + org_b_ + "\""), std::string::npos);
  EXPECT_EQ(page.body.find("Lapses in"), std::string::npos) << "the fixture's last to 2099";
  page = Get("/admin/orgs?certificates_lapsing_within_days=30", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("No organisation has a certificate lapsing"), std::string::npos);
  for (const char* bad : {"-1", "x", "99999"}) {
    auto refused = Get(std::string("/admin/orgs?certificates_lapsing_within_days=") + bad, one);
    EXPECT_EQ(refused.status, 400) << bad << " " << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#certificates_lapsing_within_days\""), std::string::npos);
    EXPECT_NE(refused.body.find("No organisation has a certificate lapsing"), std::string::npos);
  }
  EXPECT_EQ(Get("/admin/orgs?nope=1", one).status, 400);

  // A new organisation: hostile or incomplete forms come back with the field named.
  auto form = Get("/admin/orgs/new", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_EQ(CsrfFields(form.body), 1);
  EXPECT_NE(form.body.find("name=\"agreed_expiry_days\" type=\"text\" value=\"90\""),
            std::string::npos);
  const auto csrf = HiddenField(form.body, "csrf_token");
  const int64_t now = std::time(nullptr) + api_.clock_offset();
  const auto soon = DayAfter(now, 10);
  const auto add = [&](std::initializer_list<std::pair<std::string, std::string>> changed) {
    std::map<std::string, std::string> fields = {{"name", "O'Brien & \"Sons\" <i>Ltd</i>"},
                                                 {"agreed_expiry_days", "60"},
                                                 {"iso_ref", "ISO-9"},
                                                 {"iso_expires_day", std::get<0>(soon)},
                                                 {"iso_expires_month", std::get<1>(soon)},
                                                 {"iso_expires_year", std::get<2>(soon)},
                                                 {"cep_ref", "CEP-9"},
                                                 {"cep_expires_day", "1"},
                                                 {"cep_expires_month", "1"},
                                                 {"cep_expires_year", "2099"},
                                                 {"csrf_token", csrf}};
    for (const auto& [k, v] : changed) fields[k] = v;
    std::string body;
    for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + FormEncode({{k, v}});
    return Post("/admin/orgs", body, one);
  };
  inst_.ExpectAttacks();  // the markup in the name may be reported
  for (const auto& [changed, field, status] :
       std::vector<std::tuple<std::pair<std::string, std::string>, std::string, int>>{
           {{"name", ""}, "name", 400},
           {{"name", "Acme Casework Ltd"}, "name", 409},
           {{"agreed_expiry_days", "abc"}, "agreed_expiry_days", 400},
           {{"agreed_expiry_days", "366"}, "agreed_expiry_days", 400},
           {{"iso_expires_year", "2001"}, "iso_expires_day", 409},
           {{"cep_expires_month", "13"}, "cep_expires_day", 400},
           {{"cep_ref", ""}, "cep_ref", 400}}) {
    auto refused = add({changed});
    EXPECT_EQ(refused.status, status) << changed.first << " " << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#" + field + "\""), std::string::npos)
        << changed.first << " " << Said(refused);
    EXPECT_EQ(refused.body.find("<i>Ltd"), std::string::npos) << "what was typed, as text";
  }
  EXPECT_EQ(add({{"identity_provider_approves", "maybe"}}).status, 400);
  EXPECT_EQ(add({{"status", "active"}}).status, 400);
  EXPECT_EQ(Get("/admin/orgs", one).body.find("Sons"), std::string::npos) << "nothing added";

  // Added: its page, its certificate lapsing soon tagged on the list, as text.
  auto added = add({});
  ASSERT_EQ(added.status, 303) << Said(added);
  const auto path = added.headers["location"];
  ASSERT_TRUE(path.starts_with("/admin/orgs/org-")) << path;
  page = Get("/admin/orgs?certificates_lapsing_within_days=30", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find(">O&apos;Brien &amp; &quot;Sons&quot; &lt;i&gt;Ltd&lt;/i&gt;<"),
            std::string::npos);
  EXPECT_EQ(page.body.find("<i>Ltd"), std::string::npos);
  EXPECT_NE(page.body.find(">Lapses in 10 days<"), std::string::npos) << Said(page);
  EXPECT_EQ(page.body.find("Acme Casework"), std::string::npos);
  page = Get(path, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("It has no remit yet"), std::string::npos);
  EXPECT_EQ(CsrfFields(page.body), 1) << "the remit form's own";

  // Remits: hostile names refused beside the field; a good one listed.
  const auto remit = [&](const std::string& name) {
    return Post(path + "/remits", FormEncode({{"remit", name}, {"csrf_token", csrf}}), one);
  };
  for (const std::string& bad :
       std::vector<std::string>{"", "North East", "a/b", std::string(65, 'a'), "\"><b>x"}) {
    auto refused = remit(bad);
    EXPECT_EQ(refused.status, 400) << bad << " " << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#remit\""), std::string::npos) << bad;
    EXPECT_EQ(refused.body.find("<b>x"), std::string::npos);
  }
  ASSERT_EQ(remit("east").status, 303);
  EXPECT_EQ(remit("east").status, 409) << "there already";
  page = Get(path, one);
  EXPECT_NE(page.body.find(">east<"), std::string::npos) << Said(page);
  EXPECT_EQ(Post("/admin/orgs/org-0000000000000000/remits",
                 FormEncode({{"remit", "west"}, {"csrf_token", csrf}}), one)
                .status,
            404);

  // Renewed certificates: the form opens with the numbers held; a lapsed one is refused.
  form = Get(path + "/certificates", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_NE(form.body.find("value=\"ISO-9\""), std::string::npos);
  EXPECT_EQ(CsrfFields(form.body), 1);
  const auto renew = [&](const std::string& iso_year) {
    return Post(path + "/certificates",
                FormEncode({{"iso_ref", "ISO-10"},
                            {"iso_expires_day", "1"},
                            {"iso_expires_month", "6"},
                            {"iso_expires_year", iso_year},
                            {"cep_ref", "CEP-9"},
                            {"cep_expires_day", "1"},
                            {"cep_expires_month", "1"},
                            {"cep_expires_year", "2099"},
                            {"csrf_token", csrf}}),
                one);
  };
  auto lapsed = renew("2001");
  EXPECT_EQ(lapsed.status, 409) << Said(lapsed);
  EXPECT_NE(lapsed.body.find("href=\"#iso_expires_day\""), std::string::npos);
  EXPECT_NE(lapsed.body.find("value=\"ISO-10\""), std::string::npos) << "what was typed is kept";
  ASSERT_EQ(renew("2098").status, 303);
  page = Get(path, one);
  EXPECT_NE(page.body.find("ISO-10, until 1 June 2098"), std::string::npos) << Said(page);
  EXPECT_EQ(page.body.find("Lapses in"), std::string::npos);

  // A reader of records never reaches it (the admin listener reads no standard session).
  EXPECT_EQ(Get("/admin/orgs", SignInByForms("rob.reader")).status, 303);

  // An org admin sees their own organisation only, adds its remits, and records no certificates.
  api_.AdvanceClock(30);
  officer1_ = api_.SignIn(kOfficer1);  // the fixture's session ended when `one` signed in
  EnrolOrgAdmin(org_a_, "ada.admin");
  const auto ada = SignInByForms("ada.admin");
  page = Get("/admin/orgs", ada);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find(">Acme Casework Ltd<"), std::string::npos);
  EXPECT_EQ(page.body.find("Beta Services"), std::string::npos);
  EXPECT_EQ(page.body.find("Add an organisation"), std::string::npos);
  // Nor are the audit log and Retention Orders theirs: not offered, and refused if asked for.
  EXPECT_EQ(page.body.find("href=\"/admin/audit\""), std::string::npos);
  EXPECT_EQ(page.body.find("href=\"/admin/retention-orders\""), std::string::npos);
  for (const char* officers :
       {"/admin/audit", "/admin/security-events", "/admin/retention-orders"}) {
    EXPECT_EQ(Get(officers, ada).status, 403) << officers;
  }
  EXPECT_EQ(Get("/admin/orgs/" + org_b_, ada).status, 404);
  EXPECT_EQ(Get(path, ada).status, 404);
  page = Get("/admin/orgs/" + org_a_, ada);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_EQ(page.body.find("/certificates\""), std::string::npos);
  const auto ada_csrf = HiddenField(page.body, "csrf_token");
  EXPECT_EQ(Post("/admin/orgs/" + org_b_ + "/remits",
                 FormEncode({{"remit", "west"}, {"csrf_token", ada_csrf}}), ada)
                .status,
            404);
  EXPECT_EQ(Post("/admin/orgs/" + org_a_ + "/remits",
                 FormEncode({{"remit", "west"}, {"csrf_token", ada_csrf}}), ada)
                .status,
            303);
  auto certify = Post("/admin/orgs/" + org_a_ + "/certificates",
                      FormEncode({{"iso_ref", "ISO-1"}, {"csrf_token", ada_csrf}}), ada);
  EXPECT_EQ(certify.status, 403) << Said(certify);
  EXPECT_NE(certify.body.find("href=\"#iso_ref\""), std::string::npos) << "beside the form's field";

  // Every step, allowed or refused, is in the audit log.
  const auto two = api_.SignIn(kOfficer2);
  // Allowed: the fixture's two organisations and three remits, and those above; a name or remit
  // taken, or an organisation that is not, is allowed by authz and then fails. Refused: those
  // above, and the org admin's remit in another organisation and certificates. The lists refused:
  // the four bad filters, and the org admin's two attempts at another organisation's page.
  EXPECT_EQ(Decided(two, "admin.org.list").second, 6);
  EXPECT_EQ(Decided(two, "admin.org.create"), std::pair(4, 8)) << "allowed, refused";
  EXPECT_EQ(Decided(two, "admin.remit.create"), std::pair(7, 6)) << "allowed, refused";
  EXPECT_EQ(Decided(two, "admin.org.certificates"), std::pair(1, 2)) << "allowed, refused";
}

TEST_F(ConsoleTest, AdministratorsIssueAndRevokeServiceAccountTokensByForms) {
  auto req = api_.As(
      officer1_, "POST", "/api/v1/admin/join-requests",
      JoinBody(org_a_, "acme.bot", {"provisioner"}, {}, {}, "service", "owner.bot@example.org"));
  ASSERT_EQ(req.status, 201) << req.body;
  auto ok = api_.As(
      officer2_, "POST",
      "/api/v1/admin/join-requests/" + std::string(JsonOf(req).at("id").as_string()) + "/approve");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string id(JsonOf(ok).at("account_id").as_string());
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/users/" + id, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("No API token has been issued"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/admin/users/" + id + "/tokens/new\""), std::string::npos);
  const auto csrf = HiddenField(page.body, "csrf_token");
  EXPECT_EQ(Get("/admin/users/" + account_ids_["ann.editor"] + "/tokens/new", one).status, 404)
      << "tokens are for service accounts only";
  auto standard = Get("/admin/users/" + account_ids_["ann.editor"], one);
  ASSERT_EQ(standard.status, 200) << Said(standard);
  EXPECT_EQ(standard.body.find("API tokens"), std::string::npos);
  auto token_form = Get("/admin/users/" + id + "/tokens/new", one);
  ASSERT_EQ(token_form.status, 200) << Said(token_form);
  EXPECT_EQ(CsrfFields(token_form.body), 1);

  // Hostile or impossible days: refused beside the field; nothing issued.
  const int64_t now = std::time(nullptr) + api_.clock_offset();
  const auto issue = [&](const std::tuple<std::string, std::string, std::string>& day,
                         const std::string& more = "") {
    return Post("/admin/users/" + id + "/tokens",
                FormEncode({{"until_day", std::get<0>(day)},
                            {"until_month", std::get<1>(day)},
                            {"until_year", std::get<2>(day)},
                            {"csrf_token", csrf}}) +
                    more,
                one);
  };
  for (const auto& bad : {std::tuple<std::string, std::string, std::string>{"31", "2", "2027"},
                          {"x", "<b>", "1"},
                          {"1", "1", "2001"},
                          DayAfter(now, 400)}) {
    auto refused = issue(bad);
    EXPECT_EQ(refused.status, 400) << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#until_day\""), std::string::npos) << Said(refused);
    EXPECT_EQ(refused.body.find("<b>"), std::string::npos);
  }
  EXPECT_EQ(issue(DayAfter(now, 30), "&role=security_officer").status, 400);
  EXPECT_NE(Get("/admin/users/" + id, one).body.find("No API token"), std::string::npos);

  // Issued: shown once, and it works.
  auto issued = issue(DayAfter(now, 30));
  ASSERT_EQ(issued.status, 200) << Said(issued);
  const auto token = Between(issued.body, "id=\"api-token\">", '<');
  ASSERT_EQ(token.size(), 68u) << Said(issued);
  ASSERT_TRUE(token.starts_with("srt_"));
  const std::string bearer = "Authorization: Bearer " + token + "\r\n";
  EXPECT_EQ(api_.Call("GET", "/scim/v2/Users", "", bearer).status, 200);
  page = Get("/admin/users/" + id, one);
  EXPECT_EQ(page.body.find(token), std::string::npos) << "never shown again";
  EXPECT_NE(page.body.find(">Active<"), std::string::npos) << Said(page);
  EXPECT_EQ(CsrfFields(page.body), 1) << "the revoke form's own";
  const auto revoke_at = page.body.find("/revoke\"");
  ASSERT_NE(revoke_at, std::string::npos);
  const auto from = page.body.rfind("action=\"", revoke_at) + 8;
  const auto revoke = page.body.substr(from, revoke_at + 7 - from);
  ASSERT_TRUE(revoke.starts_with("/admin/users/" + id + "/tokens/tok-")) << revoke;

  // Revoked only with the form's token, and only through its own account's page.
  EXPECT_EQ(Post(revoke, "", one).status, 403);
  const auto elsewhere =
      "/admin/users/" + account_ids_["ann.editor"] + revoke.substr(revoke.find("/tokens/"));
  EXPECT_EQ(Post(elsewhere, FormEncode({{"csrf_token", csrf}}), one).status, 404);
  EXPECT_EQ(api_.Call("GET", "/scim/v2/Users", "", bearer).status, 200);
  auto revoked = Post(revoke, FormEncode({{"csrf_token", csrf}}), one);
  ASSERT_EQ(revoked.status, 303) << Said(revoked);
  EXPECT_EQ(api_.Call("GET", "/scim/v2/Users", "", bearer).status, 401);
  page = Get("/admin/users/" + id, one);
  EXPECT_NE(page.body.find(">Revoked<"), std::string::npos) << Said(page);
  EXPECT_EQ(page.body.find("/revoke\""), std::string::npos);

  // Later, issuing asks for a fresh code.
  api_.AdvanceClock(4 * 60);
  ASSERT_EQ(Get("/admin/users", one).status, 200);
  api_.AdvanceClock(2 * 60);
  auto form = Get("/admin/users/" + id + "/tokens/new", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  EXPECT_NE(form.body.find("id=\"code\""), std::string::npos);
  const int64_t later = std::time(nullptr) + api_.clock_offset();
  auto no_code = issue(DayAfter(later, 30));
  EXPECT_EQ(no_code.status, 400) << Said(no_code);
  EXPECT_NE(no_code.body.find("href=\"#code\""), std::string::npos);
  api_.AdvanceClock(30);
  issued = issue(DayAfter(later, 30), "&" + FormEncode({{"code", api_.Totp(kOfficer1)}}));
  ASSERT_EQ(issued.status, 200) << Said(issued);

  // Every step, allowed or refused, is in the audit log.
  const auto two = api_.SignIn(kOfficer2);
  EXPECT_EQ(Decided(two, "admin.token.issue"), std::pair(2, 6)) << "allowed, refused";
  EXPECT_EQ(Decided(two, "admin.token.revoke"), std::pair(1, 1)) << "allowed, refused";
}

TEST_F(ConsoleTest, AdministratorsFilterTheUsersListAndDownloadItAsCsv) {
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/users?expiring_within_days=365&status=active", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find(">ann.editor<"), std::string::npos) << Said(page);
  const auto csv = Between(page.body, "<a class=\"govuk-link\" href=\"/api/v1/admin/users?", '"');
  ASSERT_EQ(csv, "format=csv&amp;expiring_within_days=365&amp;status=active");
  auto file = Get("/api/v1/admin/users?" + Unescaped(csv), one);
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_TRUE(file.headers["content-type"].starts_with("text/csv"));
  EXPECT_NE(file.body.find("ann.editor"), std::string::npos);
  // Nobody has been away a year yet.
  page = Get("/admin/users?dormant_days=365", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("No account matches"), std::string::npos) << Said(page);

  // Hostile filters: the error beside its field, the value kept as text, each refusal recorded.
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"dormant_days=0", "dormant_days"},
           {"expiring_within_days=400", "expiring_within_days"},
           {"moved_since=%3Cb%3Eyesterday", "moved_since"}}) {
    auto bad = Get("/admin/users?" + query, one);
    EXPECT_EQ(bad.status, 400) << query << " " << Said(bad);
    EXPECT_NE(bad.body.find("href=\"#" + field + "\""), std::string::npos) << Said(bad);
    EXPECT_EQ(bad.body.find("<b>"), std::string::npos);
  }
  EXPECT_EQ(Get("/admin/users?nope=1", one).status, 400);
  const auto found =
      JsonOf(api_.As(api_.SignIn(kOfficer2), "GET", "/api/v1/audit/events?action=admin.user.list"));
  int refused = 0;
  for (const auto& e : found.at("items").as_array()) {
    refused += e.at("decision").at("allow").as_bool() ? 0 : 1;
  }
  EXPECT_EQ(refused, 4);
}

TEST_F(ConsoleTest, SecurityOfficersMakeARetentionOrderAndASecondOneLiftsIt) {
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/retention-orders", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("No Retention Order has been made"), std::string::npos);
  auto form = Get("/admin/retention-orders/new", one);
  ASSERT_EQ(form.status, 200) << Said(form);
  const auto csrf = HiddenField(form.body, "csrf_token");
  const int64_t now = std::time(nullptr) + api_.clock_offset();
  const auto [day, month, year] = DayAfter(now, 60);
  const auto make = [&](std::initializer_list<std::pair<std::string, std::string>> changed,
                        const std::string& extra = "") {
    std::map<std::string, std::string> fields = {
        {"org", org_a_},         {"reference", "CASE-1"}, {"reason", "Litigation hold"},
        {"remit", "north"},      {"record_ids", ""},      {"review_day", day},
        {"review_month", month}, {"review_year", year},   {"csrf_token", csrf}};
    for (const auto& [k, v] : changed) fields[k] = v;
    std::string body;
    for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + FormEncode({{k, v}});
    return Post("/admin/retention-orders", body + extra, one);
  };

  // Hostile or incomplete orders: the form again with the field named; nothing made.
  inst_.ExpectAttacks();  // the script in a remit below is reported
  for (const auto& [changed, field] :
       std::vector<std::pair<std::pair<std::string, std::string>, std::string>>{
           {{"reference", ""}, "reference"},
           {{"remit", "<script>alert(1)</script>"}, "remit"},
           {{"review_year", "2001"}, "review_day"},
           {{"org", "org-does-not-exist"}, "org"}}) {
    auto refused = make({changed});
    EXPECT_EQ(refused.status / 100, 4) << changed.first << " " << Said(refused);
    EXPECT_NE(refused.body.find("href=\"#" + field + "\""), std::string::npos)
        << changed.first << " " << Said(refused);
    EXPECT_EQ(refused.body.find("<script>alert"), std::string::npos);
  }
  EXPECT_EQ(make({}, "&status=lifted").status, 400);
  EXPECT_EQ(make({{"record_ids", std::string("r-1\x01")}}).status, 400);
  EXPECT_NE(Get("/admin/retention-orders", one).body.find("No Retention Order"), std::string::npos);

  // Made; its maker may not lift it.
  auto made = make({});
  ASSERT_EQ(made.status, 303) << Said(made);
  page = Get("/admin/retention-orders", one);
  const auto lift_at = page.body.find("/lift\"");
  ASSERT_NE(lift_at, std::string::npos) << Said(page);
  const auto from = page.body.rfind("href=\"/admin/retention-orders/", lift_at) + 30;
  const auto lift = page.body.substr(from, lift_at + 5 - from);
  ASSERT_TRUE(lift.ends_with("/lift") && lift.find('/') == lift.size() - 5) << lift;
  EXPECT_NE(page.body.find(">Active<"), std::string::npos);
  const auto path = "/admin/retention-orders/" + lift;
  ASSERT_EQ(Get(path, one).status, 200);
  auto own = Post(path, FormEncode({{"reason", "Settled"}, {"csrf_token", csrf}}), one);
  EXPECT_EQ(own.status, 403) << Said(own);
  EXPECT_NE(own.body.find("Settled"), std::string::npos) << "what was typed is kept";

  // A second security officer lifts it.
  const auto two = SignInByForms(kOfficer2);
  auto confirm = Get(path, two);
  ASSERT_EQ(confirm.status, 200) << Said(confirm);
  auto lifted = Post(
      path,
      FormEncode({{"reason", "Settled"}, {"csrf_token", HiddenField(confirm.body, "csrf_token")}}),
      two);
  ASSERT_EQ(lifted.status, 303) << Said(lifted);
  page = Get("/admin/retention-orders", two);
  EXPECT_NE(page.body.find(">Lifted<"), std::string::npos) << Said(page);
  EXPECT_EQ(Get(path, two).status, 404) << "lifted already";

  api_.AdvanceClock(30);  // the officer's code of this step was used by the form
  const auto [allowed, refused] = Decided(api_.SignIn(kOfficer2), "retention.order.lift");
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(refused, 1) << "the maker's attempt";
}

TEST_F(ConsoleTest, SecurityOfficersSearchTheAuditLogByFormAndEachSearchIsRecorded) {
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/audit", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("href=\"/admin/audit\" aria-current=\"page\""), std::string::npos);
  EXPECT_NE(page.body.find(">auth.login<"), std::string::npos) << "the fixture's sign-ins";
  EXPECT_NE(page.body.find("<span class=\"govuk-body-s\">node "), std::string::npos)
      << "each event names the node that recorded it (searches cover every node's)";

  // Filtered, a page at a time, newest first: the next page keeps the filters.
  page = Get("/admin/audit?action=auth.login&limit=2", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_EQ(page.body.find(">admin.join_request.create<"), std::string::npos);
  const auto older = page.body.find("\">Older events<");
  ASSERT_NE(older, std::string::npos) << Said(page);
  const auto from = page.body.rfind("href=\"/admin/audit?", older) + 19;
  const auto next = page.body.substr(from, older - from);
  ASSERT_TRUE(next.starts_with("action=auth.login&amp;limit=2&amp;cursor=")) << next;
  EXPECT_EQ(Get("/admin/audit?" + Unescaped(next), one).status, 200);
  // An account's events, by the link on each row.
  const auto actor = Between(page.body, "href=\"/admin/audit?actor=", '"');
  ASSERT_FALSE(actor.empty());
  page = Get("/admin/audit?actor=" + actor, one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("value=\"" + actor + "\""), std::string::npos);

  // Hostile filters: a clear error beside the field, what was typed kept as text.
  inst_.ExpectAttacks();  // the script below is reported
  auto bad = Get("/admin/audit?since=yesterday", one);
  EXPECT_EQ(bad.status, 400) << Said(bad);
  EXPECT_NE(bad.body.find("href=\"#since\""), std::string::npos) << Said(bad);
  EXPECT_EQ(Get("/admin/audit?nope=1", one).status, 400);
  auto quoted = Get("/admin/audit?actor=a%22b%3Cc", one);
  ASSERT_EQ(quoted.status, 200) << Said(quoted);
  EXPECT_NE(quoted.body.find("value=\"a&quot;b&lt;c\""), std::string::npos) << "kept as text";
  EXPECT_EQ(Get("/admin/security-events?since=2000-01-01", one).status, 200);

  // A reader of records never reaches it (the admin listener reads no standard session).
  auto reader = SignInByForms("rob.reader");
  EXPECT_EQ(Get("/admin/audit", reader).status, 303) << "a standard session is not read here";

  // Every search, allowed or refused, is an audit.search event.
  const auto [allowed, refused] = Decided(api_.SignIn(kOfficer2), "audit.search");
  EXPECT_GE(allowed, 5);
  EXPECT_EQ(refused, 2) << "the bad time and the unknown filter";
}

TEST_F(ConsoleTest, AdministratorsRecordLeaversFromAnUploadedListCheckedFirst) {
  const auto one = SignInByForms(kOfficer1);
  auto page = Get("/admin/leavers", one);
  ASSERT_EQ(page.status, 200) << Said(page);
  EXPECT_NE(page.body.find("enctype=\"multipart/form-data\""), std::string::npos);
  const auto csrf = HiddenField(page.body, "csrf_token");
  const std::string boundary = "----WebKitFormBoundaryq1w2e3";
  const auto upload = [&](const std::string& csv, const std::string& token) {
    std::string body;
    if (!token.empty()) {
      body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" +
             token + "\r\n";
    }
    body += "--" + boundary +
            "\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"leavers.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n" +
            csv + "\r\n--" + boundary + "--\r\n";
    return api_.Call(
        "POST", "/admin/leavers", body,
        "Content-Type: multipart/form-data; boundary=" + boundary + "\r\nCookie: " + one + "\r\n");
  };
  const std::string list =
      "\xEF\xBB\xBFusername,note\r\nann.editor,left in May\r\nnobody.here,x\r\n";

  // Checked: what each row would do, and nothing done yet.
  auto checked = upload(list, csrf);
  ASSERT_EQ(checked.status, 200) << Said(checked);
  EXPECT_NE(checked.body.find("1 person would lose their access"), std::string::npos)
      << Said(checked);
  EXPECT_NE(checked.body.find("Will lose access"), std::string::npos);
  EXPECT_NE(checked.body.find("No such account"), std::string::npos);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", "/api/v1/records").status, 200);
  EXPECT_NE(checked.body.find("action=\"/admin/leavers/apply\" enctype=\"multipart/form-data\""),
            std::string::npos)
      << "the list goes back as it is, not percent-encoded";

  // Applied from the confirmation, which carries the same list back.
  const auto carried = Unescaped(HiddenField(checked.body, "csv"));
  EXPECT_NE(carried.find("ann.editor,left in May\n"), std::string::npos);
  auto applied =
      Post("/admin/leavers/apply", FormEncode({{"csv", carried}, {"csrf_token", csrf}}), one);
  ASSERT_EQ(applied.status, 200) << Said(applied);
  EXPECT_NE(applied.body.find("1 person has lost their access"), std::string::npos)
      << Said(applied);
  EXPECT_NE(applied.body.find("Access removed"), std::string::npos);
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "GET", "/api/v1/records").status, 401)
      << "her open session ended";
  // Applied again, it changes nothing.
  auto again =
      Post("/admin/leavers/apply", FormEncode({{"csv", carried}, {"csrf_token", csrf}}), one);
  ASSERT_EQ(again.status, 200) << Said(again);
  EXPECT_NE(again.body.find("Already left"), std::string::npos);
  EXPECT_EQ(again.body.find("Access removed"), std::string::npos);
  EXPECT_EQ(inst_.AttacksReported(), 0) << "an upload's framing is not mistaken for an attack";

  // Hostile uploads: refused (or, a hostile row, shown as text), audited, nothing changes.
  inst_.ExpectAttacks();  // the script in a row below is reported
  EXPECT_EQ(upload("username\nsam.south\n", "").status, 403) << "no CSRF token";
  auto unread = api_.Call(
      "POST", "/admin/leavers",
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"" + "\r\n\r\n" +
          csrf + "\r\n--" + boundary + "\r\nX: y\r\n\r\n",
      "Content-Type: multipart/form-data; boundary=" + boundary + "\r\nCookie: " + one + "\r\n");
  EXPECT_EQ(unread.status, 400) << Said(unread);
  auto headless = upload("name\nsam.south\n", csrf);
  EXPECT_EQ(headless.status, 400) << Said(headless);
  EXPECT_NE(headless.body.find("username or email column"), std::string::npos) << Said(headless);
  EXPECT_NE(headless.body.find("govuk-file-upload--error"), std::string::npos);
  EXPECT_EQ(upload("username\nsam\x01"
                   "south\n",
                   csrf)
                .status,
            400);
  auto script = upload("username\n<img src=x onerror=alert(1)>\n", csrf);
  EXPECT_EQ(script.status, 200) << Said(script);
  EXPECT_EQ(script.body.find("<img src=x"), std::string::npos) << "a hostile row is text";
  EXPECT_NE(script.body.find("&lt;img src=x"), std::string::npos);
  EXPECT_EQ(api_.As(sessions_["sam.south"], "GET", "/api/v1/records").status, 200);

  // A reader of records never reaches the page (the admin listener reads no standard session).
  auto reader = Get("/admin/leavers", SignInByForms("rob.reader"));
  EXPECT_EQ(reader.status, 303);

  // Every check and application, allowed or refused, is in the audit log.
  const auto two = api_.SignIn(kOfficer2);
  const auto count = [&](const char* action) {
    const auto found =
        JsonOf(api_.As(two, "GET", std::string("/api/v1/audit/events?action=") + action));
    std::pair<int, int> allowed_refused;
    for (const auto& e : found.at("items").as_array()) {
      ++(e.at("decision").at("allow").as_bool() ? allowed_refused.first : allowed_refused.second);
    }
    return allowed_refused;
  };
  const auto [checks, refused_checks] = count("admin.leavers.check");
  EXPECT_EQ(checks, 2) << "the list, and the one with a script";
  EXPECT_GE(refused_checks, 3) << "the malformed body, the list without a column, the control";
  EXPECT_EQ(count("admin.leavers.apply").first, 2);
}

TEST_F(ConsoleTest, RefusalsBeforeAnyPageAreAnsweredWithPagesAndTheApiKeepsJson) {
  inst_.ExpectAttacks();  // the script in a query below is refused as one
  const auto html = [](const HttpResponse& r) {
    return r.headers.at("content-type").starts_with("text/html");
  };
  auto missing = Get("/no-such-page-<b>");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(html(missing)) << Said(missing);
  EXPECT_NE(missing.body.find("Page not found"), std::string::npos);
  EXPECT_EQ(missing.body.find("no-such-page"), std::string::npos) << "the path is not echoed";
  EXPECT_EQ(missing.headers["content-security-policy"],
            "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'");
  auto method = api_.Call("DELETE", "/sign-in", "");
  EXPECT_EQ(method.status, 405);
  EXPECT_TRUE(html(method)) << Said(method);
  auto attack = Get("/sign-in?next=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  EXPECT_EQ(attack.status, 403);
  EXPECT_TRUE(html(attack)) << Said(attack);
  EXPECT_EQ(attack.body.find("<script>alert"), std::string::npos);
  // The API, the operations' endpoints and SCIM answer as they always have.
  for (const char* path : {"/api/v1/no-such-thing", "/scim/v2/Nothing"}) {
    auto r = api_.Call("GET", path, "");
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(r.headers["content-type"].starts_with("application/json")) << path;
  }
  EXPECT_FALSE(html(api_.Call("DELETE", "/healthz", "")));
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
  // Nor a way to change or delete a record, and the forms are refused if opened by hand.
  const auto shared = JsonOf(api_.As(sessions_["rob.reader"], "GET", "/api/v1/records"));
  const std::string id(shared.at("items").at(0).at("id").as_string());
  auto view = Get("/records/" + id, cookie);
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.body.find("/edit"), std::string::npos);
  EXPECT_EQ(view.body.find("/delete"), std::string::npos);
  EXPECT_EQ(Get("/records/" + id + "/edit", cookie).status, 200) << "a reader may read it";
  const auto csrf = HiddenField(list.body, "csrf_token");
  auto change = Post("/records/" + id + "/edit",
                     FormEncode({{"version", "1"},
                                 {"title", "Changed by a reader"},
                                 {"classification", "OFFICIAL"},
                                 {"csrf_token", csrf}}),
                     cookie);
  EXPECT_EQ(change.status, 403) << Said(change);
  EXPECT_EQ(Post("/records/" + id + "/delete", FormEncode({{"version", "1"}, {"csrf_token", csrf}}),
                 cookie)
                .status,
            403);
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
  // A malformed one, by form or by the API, is refused before any password is checked too; all
  // three are audited as anonymous attempts.
  auto malformed = Post(
      "/sign-in",
      FormEncode({{"username", "rob.reader"}, {"password", kTestPassword}, {"role", "admin"}}));
  EXPECT_EQ(malformed.status, 400) << Said(malformed);
  EXPECT_EQ(HiddenField(malformed.body, "challenge"), "");
  EXPECT_EQ(api_.Call("POST", "/api/v1/auth/login", R"({"username":"rob.reader","password":1})",
                      "Content-Type: application/json\r\n")
                .status,
            400);
  auto attempts =
      api_.As(officer1_, "GET", "/api/v1/audit/events?action=auth.login.password&limit=500");
  ASSERT_EQ(attempts.status, 200);
  const auto found = JsonOf(attempts);
  std::vector<std::string> reasons;
  for (const auto& e : found.at("items").as_array()) {
    if (e.at("decision").at("allow").as_bool()) continue;  // the fixture's own sign-ins
    EXPECT_EQ(e.at("actor").at("kind").as_string(), "anonymous");
    reasons.emplace_back(e.at("decision").at("reason").as_string());
    EXPECT_EQ(reasons.back().find(kTestPassword), std::string::npos);
  }
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_NE(std::ranges::count(reasons, "a form from another site is refused"), 0);

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

// The assets are kept for a year at the address the pages give them, asked about again at any
// other (304 for the version the browser holds); a query of anything else is refused and recorded.
// Pages are never kept.
TEST_F(ConsoleTest, AssetsAreKeptAtTheirVersionedAddressAndPagesNever) {
  auto page = Get("/sign-in");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["cache-control"], "no-store");
  const auto from = page.body.find("\"/assets/console.css?v=");
  ASSERT_NE(from, std::string::npos) << page.body;
  const auto address = page.body.substr(from + 1, page.body.find('"', from + 1) - from - 1);
  const auto version = address.substr(address.find("?v=") + 3);
  ASSERT_EQ(version.size(), 16u) << address;

  auto kept = Get(address);
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(kept.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(kept.headers["etag"], "\"" + version + "\"");
  EXPECT_EQ(kept.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(kept.headers["x-content-type-options"], "nosniff");
  for (const std::string other : {"/assets/console.css", "/assets/console.css?v=0123456789abcdef",
                                  "/assets/console.css?v="}) {
    auto asked = Get(other);
    EXPECT_EQ(asked.status, 200) << other;
    EXPECT_EQ(asked.headers["cache-control"], "no-cache") << other;
    EXPECT_EQ(asked.headers["etag"], kept.headers["etag"]) << other;
    EXPECT_EQ(asked.body, kept.body) << other;
  }
  for (const auto& held : {"\"" + version + "\"", "W/\"" + version + "\"",
                           "\"0123456789abcdef\", \"" + version + "\"", std::string("*")}) {
    auto again = api_.Call("GET", address, "", "If-None-Match: " + held + "\r\n");
    EXPECT_EQ(again.status, 304) << held;
    EXPECT_TRUE(again.body.empty()) << held;
    EXPECT_EQ(again.headers["etag"], kept.headers["etag"]) << held;
    EXPECT_EQ(again.headers["cache-control"], "public, max-age=31536000, immutable") << held;
    EXPECT_EQ(again.headers.count("content-type"), 0u) << held;
    EXPECT_EQ(again.headers.count("content-length"), 0u) << held;
  }
  auto changed = api_.Call("GET", address, "", "If-None-Match: \"0123456789abcdef\"\r\n");
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, kept.body);

  const auto before = Decided(officer1_, "console.asset");
  for (const auto& hostile :
       {std::string("?x=1"), "?v=" + std::string(65, 'a'), std::string("?v=1&v=2")}) {
    auto refused = Get("/assets/console.css" + hostile);
    EXPECT_EQ(refused.status, 400) << hostile;
    EXPECT_EQ(refused.headers["cache-control"], "no-store") << hostile;
    EXPECT_EQ(refused.body.find(".app-sign-out"), std::string::npos) << hostile;
  }
  EXPECT_EQ(Decided(officer1_, "console.asset"), std::pair(before.first, before.second + 3));
  // Malformed escapes: inspection's to refuse or the query's, never served.
  inst_.ExpectAttacks();
  for (const std::string hostile : {"?v=%zz", "?v=%00", "?v=%0d%0aSet-Cookie:%20a=1"}) {
    auto refused = Get("/assets/console.css" + hostile);
    EXPECT_GE(refused.status, 400) << hostile;
    EXPECT_LT(refused.status, 500) << hostile;
    EXPECT_EQ(refused.body.find(".app-sign-out"), std::string::npos) << hostile;
    EXPECT_EQ(refused.headers.count("set-cookie"), 0u) << hostile;
  }
  EXPECT_EQ(Get("/assets/nothing.css?v=" + version).status, 404);
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
  ASSERT_EQ(begun.status, 200) << Said(begun);
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
  ASSERT_EQ(done.status, 200) << Said(done);
  int codes = 0;
  for (auto at = done.body.find("<li>"); at != std::string::npos;
       at = done.body.find("<li>", at + 1)) {
    ++codes;
  }
  EXPECT_EQ(codes, 10);
  // The token is spent.
  EXPECT_EQ(enrol(token, kTestPassword, kTestPassword).status / 100, 4);
}

TEST_F(ConsoleTest, SecurityKeyAndSecondFactorFormsRefuseHostileInput) {
  inst_.ExpectAttacks();  // the payloads are reported
  // One's own keys: the page, then forms no browser's script would post.
  const auto cookie = SignInByForms("ann.editor");
  auto page = Get("/account/security-keys", cookie);
  ASSERT_EQ(page.status, 200) << Said(page);
  const auto csrf = HiddenField(page.body, "csrf_token");
  ASSERT_EQ(csrf.size(), 64u);
  const auto add = [&](const std::string& name, const std::string& credential) {
    return FormEncode({{"name", name}, {"credential", credential}, {"csrf_token", csrf}});
  };
  const std::string shaped =
      R"({"id":"AAAA","client_data_json":"AAAA","attestation_object":"AAAA"})";
  const auto [allowed_before, refused_before] = Decided(officer1_, "auth.webauthn.register");
  const struct {
    const char* what;
    std::string body;
  } hostile[] = {
      {"a name too long", add(std::string(300, 'k'), shaped)},
      {"a name with a control character", add("Desk\x07key", shaped)},
      {"a name with a line break", add("Desk\nkey", shaped)},
      {"a script for a name", add("<script>alert(1)</script>", "not json")},
      {"a credential that is not JSON", add("Desk key", "{\"id\":")},
      {"a credential that is not an object", add("Desk key", "[1,2]")},
      {"a credential with a field missing", add("Desk key", R"({"id":"AAAA"})")},
      {"a credential with an unknown field",
       add("Desk key", R"({"id":"AAAA","client_data_json":"AAAA","attestation_object":"AAAA",)"
                       R"("type":"public-key"})")},
      {"a credential not base64url", add("Desk key", R"({"id":"' OR '1'='1","client_data_json":)"
                                                     R"("AAAA","attestation_object":"AAAA"})")},
      {"a credential far too long", add("Desk key", std::string(40000, 'A'))},
      {"an unknown field", add("Desk key", shaped) + "&kind=admin"},
      {"invalid UTF-8", "name=%C0%AF&credential=x&csrf_token=" + csrf},
  };
  for (const auto& h : hostile) {
    auto r = Post("/account/security-keys", h.body, cookie);
    EXPECT_EQ(r.status, 400) << h.what << ": " << Said(r);
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos) << h.what;
  }
  // Without the form's token: refused before anything is read.
  EXPECT_EQ(
      Post("/account/security-keys", FormEncode({{"name", "k"}, {"credential", shaped}}), cookie)
          .status,
      403);
  const auto [allowed_after, refused_after] = Decided(officer1_, "auth.webauthn.register");
  EXPECT_EQ(allowed_after, allowed_before);
  EXPECT_EQ(refused_after, refused_before + static_cast<int>(std::size(hostile)));
  page = Get("/account/security-keys", cookie);
  EXPECT_NE(page.body.find("You have no security keys."), std::string::npos) << "nothing added";
  for (const char* id : {"key-zzzzzzzzzzzzzzzz", "nokey", "key-0123456789abcdef"}) {
    EXPECT_EQ(Get(std::string("/account/security-keys/") + id + "/remove", cookie).status, 404)
        << id;
    EXPECT_EQ(Post(std::string("/account/security-keys/") + id + "/remove",
                   FormEncode({{"csrf_token", csrf}}), cookie)
                  .status,
              404)
        << id;
  }

  // Signing in with a key: an answer that cannot be read is refused, and signs nobody in.
  api_.AdvanceClock(30);
  auto password =
      Post("/sign-in", FormEncode({{"username", "rob.reader"}, {"password", kTestPassword}}));
  ASSERT_EQ(password.status, 200) << Said(password);
  const auto challenge = HiddenField(password.body, "challenge");
  for (const std::string& credential :
       {std::string("{"), std::string("[]"), std::string(9000, 'A'),
        std::string(R"({"id":"AAAA","client_data_json":"AAAA","authenticator_data":"AAAA"})")}) {
    auto r = Post("/sign-in/webauthn",
                  FormEncode({{"challenge", challenge}, {"credential", credential}}));
    EXPECT_EQ(r.status, 400) << credential.substr(0, 40) << ": " << Said(r);
    EXPECT_TRUE(CookieOf(r).empty());
  }
  auto bogus =
      Post("/sign-in/webauthn",
           FormEncode({{"challenge", std::string(64, 'f')},
                       {"credential", R"({"id":"AAAA","client_data_json":"AAAA",)"
                                      R"("authenticator_data":"AAAA","signature":"AAAA"})"}}));
  EXPECT_EQ(bogus.status, 401) << Said(bogus);
  EXPECT_TRUE(CookieOf(bogus).empty());

  // An organisation's second factors: only the two values, nothing else. (Officer one's console
  // session ends their API one: a privileged account has one session. Officer two searches.)
  const auto officer = SignInByForms(kOfficer1);
  const std::string path = "/admin/orgs/" + org_a_ + "/second-factor";
  auto form = Get(path, officer);
  ASSERT_EQ(form.status, 200) << Said(form);
  const auto officer_csrf = HiddenField(form.body, "csrf_token");
  const auto [set_allowed, set_refused] = Decided(officer2_, "admin.org.second_factor");
  const struct {
    const char* what;
    std::string body;
  } choices[] = {
      {"an unknown value", FormEncode({{"second_factor", "sms"},
                                       {"privileged_second_factor", "webauthn"},
                                       {"csrf_token", officer_csrf}})},
      {"SQL", FormEncode({{"second_factor", "webauthn' OR '1'='1"},
                          {"privileged_second_factor", "webauthn"},
                          {"csrf_token", officer_csrf}})},
      {"a value missing",
       FormEncode({{"second_factor", "webauthn"}, {"csrf_token", officer_csrf}})},
      {"an unknown field", FormEncode({{"second_factor", "webauthn"},
                                       {"privileged_second_factor", "webauthn"},
                                       {"grace_days", "7"},
                                       {"csrf_token", officer_csrf}})},
      {"an unknown verification", FormEncode({{"second_factor", "webauthn"},
                                              {"privileged_second_factor", "webauthn"},
                                              {"webauthn_user_verification", "always"},
                                              {"csrf_token", officer_csrf}})},
  };
  for (const auto& h : choices) {
    auto r = Post(path, h.body, officer);
    EXPECT_EQ(r.status, 400) << h.what << ": " << Said(r);
  }
  EXPECT_EQ(Decided(officer2_, "admin.org.second_factor"),
            std::pair(set_allowed, set_refused + static_cast<int>(std::size(choices))));
  auto org = Get("/admin/orgs/" + org_a_, officer);
  EXPECT_NE(org.body.find("Standard accounts: an authenticator app or a security key."),
            std::string::npos)
      << "nothing changed";

  // With the session's factor stale, a security key's answer that cannot be read (not JSON, not
  // an object, a script, nested too deep, longer than the field may be) proves nothing: 400,
  // audited, nothing changed. The long one is of plain letters: 8,000 brackets once met this
  // address's share of attack inspection in the full suite under the sanitizers (the answer was
  // a closed connection, then 429s), which is not what this test is about.
  const auto [before_allowed, before_refused] = Decided(officer2_, "admin.org.second_factor");
  api_.AdvanceClock(4 * 60);
  ASSERT_EQ(Get("/admin/orgs", officer).status, 200);
  api_.AdvanceClock(2 * 60);
  const auto stale = Get(path, officer);
  ASSERT_EQ(stale.status, 200) << Said(stale);
  ASSERT_NE(stale.body.find("id=\"code\""), std::string::npos) << "a fresh factor is asked for";
  const std::string answers[] = {"not json", "[1,2]", "<script>alert(1)</script>",
                                 std::string(64, '{'), std::string(9000, 'a')};
  for (const auto& answer : answers) {
    auto r = Post(path,
                  FormEncode({{"second_factor", "webauthn"},
                              {"privileged_second_factor", "webauthn"},
                              {"webauthn_user_verification", "discouraged"},
                              {"key_answer", answer},
                              {"csrf_token", HiddenField(stale.body, "csrf_token")}}),
                  officer);
    EXPECT_EQ(r.status, 400) << answer.substr(0, 20) << ": " << Said(r);
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  }
  // (Officer two's API session idled out meanwhile: signed in again to search.)
  const auto two = api_.SignIn(kOfficer2);
  EXPECT_EQ(Decided(two, "admin.org.second_factor"),
            std::pair(before_allowed, before_refused + static_cast<int>(std::size(answers))));
  org = Get("/admin/orgs/" + org_a_, officer);
  EXPECT_NE(org.body.find("Standard accounts: an authenticator app or a security key."),
            std::string::npos)
      << "nothing changed";
}

}  // namespace
}  // namespace strongroom::testing
