// The console's sign-in, sign-out and enrolment: forms before any session (AnonymousForm).

#include "api/auth.h"
#include "api/webauthn_json.h"
#include "identity/qr_svg.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

// How deep the JSON a page's script puts in a form may nest (a credential is one object).
constexpr int kCredentialDepth = 4;

// The second factor's page: a code, or the account's security key (console.js runs the ceremony
// in `webauthn_options` and posts its answer; without script, only the code).
PageData CodePage(std::string_view challenge,
                  const std::optional<identity::RequestOptions>& webauthn, bool totp) {
  auto data = Titled("Enter your security code");
  data["challenge"] = std::string(challenge);
  if (totp) data["totp"] = true;
  if (webauthn) {
    data["webauthn_options"] = boost::json::serialize(api::RequestOptionsJson(*webauthn));
  }
  return data;
}

Result<http::Response> SignInPage(const ConsoleDeps& d, Call&) {
  return Page(d, 200, "sign_in", Titled("Sign in"));
}

Result<http::Response> SignIn(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form, AnonymousForm(d, c, "auth.login.password",
                                            {{"username", 256}, {"password", 1024}}));
  auto challenge = d.auth.sign_in.Login(form["username"], form["password"],
                                        c.request.Cookie(api::kDeviceCookie), c.context);
  if (!challenge) {
    auto data = Titled("Sign in");
    data["username_value"] = form["username"];
    return FormAgain(d, "sign_in", std::move(data), "username", challenge.error());
  }
  return Page(d, 200, "sign_in_code",
              CodePage(challenge->challenge, challenge->webauthn, challenge->totp));
}

// The account is signed in: to the page it asked for first.
http::Response SignedInAt(const ConsoleDeps& d, Call& c, const identity::NewSession& session) {
  auto resp = SeeOther("/");
  for (auto& cookie : api::SignedInCookies(session, c.request, d.auth.options())) {
    resp.headers.push_back(std::move(cookie));
  }
  return resp;
}

// The code page again with `error`, and a new ceremony for the key (the last one is spent).
Result<http::Response> CodeAgain(const ConsoleDeps& d, Call& c, const std::string& challenge,
                                 std::string_view field, const Error& error) {
  auto renewed = d.auth.sign_in.RenewCeremony(challenge, c.context);
  auto data = renewed ? CodePage(challenge, renewed->webauthn, renewed->totp)
                      : CodePage(challenge, std::nullopt, true);
  return FormAgain(d, "sign_in_code", std::move(data), field, error);
}

Result<http::Response> CompleteSignIn(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.login", {{"challenge", 128}, {"code", 32}}));
  auto session = d.auth.sign_in.CompleteMfa(form["challenge"], form["code"], c.context);
  if (!session) return CodeAgain(d, c, form["challenge"], "code", session.error());
  return SignedInAt(d, c, *session);
}

Result<http::Response> CompleteSignInWithKey(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.login", {{"challenge", 128}, {"credential", 8192}}));
  auto assertion = api::ParseKeyAssertion(form["credential"], kCredentialDepth);
  if (!assertion) {
    (void)d.auth.RefuseUnread("auth.login", assertion.error(), c.context);
    return CodeAgain(d, c, form["challenge"], "webauthn",
                     Error{ErrorCode::kInvalidArgument,
                           "your security key's answer could not be read: try again"});
  }
  auto session = d.auth.sign_in.CompleteWebAuthn(form["challenge"], *assertion, c.context);
  if (!session) {
    const bool wrong = session.error().code == ErrorCode::kUnauthenticated;
    return CodeAgain(d, c, form["challenge"], "webauthn",
                     wrong ? Error{ErrorCode::kUnauthenticated,
                                   "your security key was not accepted: try again, or enter a code"}
                           : session.error());
  }
  return SignedInAt(d, c, *session);
}

// Staying signed in, from the timeout warning (web/assets/console.js): authenticating the request
// was the use of the session; the form holds its CSRF token and nothing else.
Result<http::Response> KeepAlive(const ConsoleDeps& d, Call& c) {
  if (auto form = http::ParseForm(c.request, {}); !form) {
    return d.lifecycle.RefuseMalformed(c.who(), "auth.keep_alive", form.error(), c.context);
  }
  return http::Response{204, "", "", {}, true};
}

Result<http::Response> SignOut(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(d.auth.sessions.Logout(c.who(), c.context));
  auto resp = SeeOther("/sign-in");
  resp.headers.push_back(api::SignedOutCookie(c.who().account.kind));
  return resp;
}

// --- Enrolment ----------------------------------------------------------------------------------

Result<http::Response> EnrolPage(const ConsoleDeps& d, Call&) {
  return Page(d, 200, "enrol", Titled("Set up your account"));
}

// The TOTP secret of an otpauth:// URI, in groups of four for typing.
std::string SecretOf(std::string_view uri) {
  const auto at = uri.find("secret=");
  if (at == std::string_view::npos) return "";
  auto secret = uri.substr(at + 7);
  secret = secret.substr(0, secret.find('&'));
  std::string grouped;
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i > 0 && i % 4 == 0) grouped += ' ';
    grouped += secret[i];
  }
  return grouped;
}

Result<http::Response> Enrol(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.enrol.begin",
                                 {{"token", 128}, {"password", 1024}, {"password_again", 1024}}));
  auto again = Titled("Set up your account");
  again["token_value"] = form["token"];
  if (form["password"] != form["password_again"]) {
    return FormAgain(d, "enrol", std::move(again), "password",
                     Error{ErrorCode::kInvalidArgument, "the two passwords are not the same"});
  }
  auto start = d.auth.enrolment.Begin(form["token"], form["password"], c.context);
  if (!start) {
    const bool password = start.error().message.starts_with("password");
    return FormAgain(d, "enrol", std::move(again), password ? "password" : "token", start.error());
  }
  ASSIGN_OR_RETURN(auto qr, identity::QrCodePath(start->totp_uri));
  auto data = Titled("Set up your authenticator app");
  data["token"] = form["token"];
  data["qr_size"] = std::to_string(qr.size);
  data["qr_path"] = qr.path;
  data["secret"] = SecretOf(start->totp_uri);
  return Page(d, 200, "enrol_code", data);
}

Result<http::Response> ConfirmEnrolment(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.enrol.confirm", {{"token", 128}, {"code", 32}}));
  auto codes = d.auth.enrolment.Confirm(form["token"], form["code"], c.context);
  if (!codes) {
    // The secret was shown once: the page asks for the code again, without it.
    auto data = Titled("Set up your authenticator app");
    data["token"] = form["token"];
    return FormAgain(d, "enrol_code", std::move(data), "code", codes.error());
  }
  auto data = Titled("Your account is set up");
  PageData list{PageData::type::list};
  for (const auto& code : *codes) list.push_back(PageData(code));
  data["codes"] = std::move(list);
  return Page(d, 200, "enrol_done", data);
}

}  // namespace

void AddSignInPages(PageTable& pages) {
  pages.Add(verb::get, "/sign-in", Credentials::kNone, "Sign in: the password", SignInPage);
  pages.Add(verb::post, "/sign-in", Credentials::kNone, "Sign in: check the password", SignIn);
  pages.Add(verb::post, "/sign-in/code", Credentials::kNone, "Sign in: the second factor",
            CompleteSignIn);
  pages.Add(verb::post, "/sign-in/webauthn", Credentials::kNone,
            "Sign in: the second factor, with a security key", CompleteSignInWithKey);
  pages.Add(verb::get, "/enrol", Credentials::kNone, "Enrolment: the token and a password",
            EnrolPage);
  pages.Add(verb::post, "/enrol", Credentials::kNone, "Enrolment: the authenticator app", Enrol);
  pages.Add(verb::post, "/enrol/confirm", Credentials::kNone, "Enrolment: the first code",
            ConfirmEnrolment);
  pages.Add(verb::post, "/sign-out", Credentials::kSession, "Sign out", SignOut);
  pages.Add(verb::post, "/keep-alive", Credentials::kSession,
            "Stay signed in: a use of the session, from the timeout warning", KeepAlive);
}

}  // namespace strongroom::web
