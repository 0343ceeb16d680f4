#include "api/auth.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/route.h"
#include "api/webauthn_json.h"
#include "http/form.h"
#include "http/json.h"
#include "identity/qr_svg.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

boost::json::array Strings(const std::vector<std::string>& items) {
  return boost::json::array(items.begin(), items.end());
}

// Roles, remits and grants are arrays, as join requests take them.
boost::json::object AccountJson(const identity::Account& a) {
  return {{"id", a.id},
          {"username", a.username},
          {"kind", identity::Name(a.kind)},
          {"roles", Strings(a.roles.Names())},
          {"remits", Strings(a.remits)},
          {"grants", Strings(a.grants)},
          {"org", a.org_id},
          {"status", a.status},
          {"expires_at", FormatRfc3339(a.expires_at)}};
}

std::string SessionCookie(identity::Kind kind, std::string_view value, bool clear) {
  return fmt::format("{}={}; Secure; HttpOnly; SameSite=Strict; Path=/{}", SessionCookieName(kind),
                     value, clear ? "; Max-Age=0" : "");
}

// The session cookie a request on a route of `route_surfaces` is read from: the one of the surface
// it reaches there; where it reaches both (one listener for everything), a standard session's,
// if it has one.
std::string_view SessionCookieFor(const http::Request& request, Surface route_surfaces) {
  const Surface reach = request.reach & route_surfaces;
  const bool standard = Reaches(reach, Surface::kPublic);
  const bool admin = Reaches(reach, Surface::kAdmin);
  if (standard && admin) {
    return request.Cookie(kSessionCookie).empty() ? kAdminSessionCookie : kSessionCookie;
  }
  return standard ? kSessionCookie : admin ? kAdminSessionCookie : std::string_view();
}

// Names this client as a device its owner has signed in from (identity/throttle.h, rule 5).
std::string DeviceCookie(std::string_view value, std::chrono::seconds lifetime) {
  return fmt::format("{}={}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", kDeviceCookie,
                     value, lifetime.count());
}

bool StateChanging(verb v) { return v != verb::get && v != verb::head && v != verb::options; }

}  // namespace

std::string_view SessionCookieName(identity::Kind kind) {
  return kind == identity::Kind::kPrivileged ? kAdminSessionCookie : kSessionCookie;
}

Result<identity::Principal> Authenticate(identity::Auth& auth, const http::Request& request,
                                         Surface route_surfaces, identity::Sessions::Upkeep upkeep,
                                         CsrfIn csrf_in) {
  // Automation: a service account's API token. No cookie is involved, so no CSRF check.
  const auto authorization = request.Header("Authorization");
  if (!authorization.empty()) {
    if (!authorization.starts_with("Bearer ")) {
      return Fail(ErrorCode::kUnauthenticated, "Authorization must be a Bearer API token");
    }
    return auth.tokens.Authenticate(authorization.substr(7), ContextOf(request));
  }
  const auto cookie = SessionCookieFor(request, route_surfaces);
  const auto token = cookie.empty() ? "" : request.Cookie(cookie);
  if (token.empty()) return Fail(ErrorCode::kUnauthenticated, "sign in first");
  const bool changing = StateChanging(request.method());
  ASSIGN_OR_RETURN(auto principal,
                   auth.sessions.Authenticate(token, upkeep,
                                              changing ? identity::Sessions::Touch::kCheck
                                                       : identity::Sessions::Touch::kUse));
  // A session is good only in its own cookie, where its kind signs in (a cookie copied across
  // is no way round the listeners).
  const auto kind = principal.account.kind;
  if (SessionCookieName(kind) != cookie || !identity::SignsInAt(kind, request.reach)) {
    return Fail(ErrorCode::kUnauthenticated, "sign in first");
  }
  if (changing) {
    const auto origin = request.Header("Origin");
    const auto csrf = csrf_in == CsrfIn::kForm ? http::FormCsrfToken(request)
                                               : std::string(request.Header("X-CSRF-Token"));
    RETURN_IF_ERROR(auth.sessions.CheckChange(principal, origin.empty() || origin == request.origin,
                                              csrf, ContextOf(request)));
    auth.sessions.Use(principal);  // only now: a refused request keeps no session alive
  }
  return principal;
}

std::vector<std::pair<std::string, std::string>> SignedInCookies(
    const identity::NewSession& session, const http::Request& request,
    const identity::AuthOptions& options) {
  std::vector<std::pair<std::string, std::string>> cookies{
      {"Set-Cookie", SessionCookie(session.account.kind, session.token, false)}};
  // The browser should not forget a device in daily use: the service counts its lifetime from
  // its last use.
  std::string device = session.device_token;
  if (device.empty() && session.device_known) device = request.Cookie(kDeviceCookie);
  if (device.size() == 64) {
    cookies.emplace_back("Set-Cookie",
                         DeviceCookie(device, std::chrono::duration_cast<std::chrono::seconds>(
                                                  options.device_lifetime)));
  }
  return cookies;
}

std::pair<std::string, std::string> SignedOutCookie(identity::Kind kind) {
  return {"Set-Cookie", SessionCookie(kind, "", true)};
}

namespace {

struct Deps {
  identity::Auth& auth;
  int depth;
};

// The string fields of a request made before anyone is signed in; a body that cannot be read is
// refused and audited as an anonymous attempt at `action`.
Result<std::vector<std::string>> ReadFields(const Deps& d, Call& c, std::string action,
                                            std::initializer_list<http::StringField> fields) {
  auto body = http::ParseJsonObject(c.request, d.depth);
  if (!body) return d.auth.RefuseUnread(std::move(action), body.error(), c.context);
  auto values = http::RequireStringFields(*body, fields);
  if (!values) return d.auth.RefuseUnread(std::move(action), values.error(), c.context);
  return values;
}

Result<http::Response> BeginEnrolment(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto f,
                   ReadFields(d, c, "auth.enrol.begin", {{"token", 128}, {"password", 1024}}));
  ASSIGN_OR_RETURN(auto start, d.auth.enrolment.Begin(f[0], f[1], c.context));
  ASSIGN_OR_RETURN(auto qr, identity::QrSvg(start.totp_uri));
  boost::json::object out{{"totp_uri", start.totp_uri}, {"qr_svg", qr}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> ConfirmEnrolment(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto f, ReadFields(d, c, "auth.enrol.confirm", {{"token", 128}, {"code", 32}}));
  ASSIGN_OR_RETURN(auto codes, d.auth.enrolment.Confirm(f[0], f[1], c.context));
  boost::json::array list;
  for (auto& code : codes) list.emplace_back(code);
  boost::json::object out{{"recovery_codes", std::move(list)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> Login(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(
      auto f, ReadFields(d, c, "auth.login.password", {{"username", 256}, {"password", 1024}}));
  ASSIGN_OR_RETURN(auto login,
                   d.auth.sign_in.Login(f[0], f[1], c.request.Cookie(kDeviceCookie), c.context));
  boost::json::array factors;
  if (login.totp) factors.emplace_back("totp");
  factors.emplace_back("recovery_code");
  boost::json::object out{{"mfa_required", true}, {"challenge", login.challenge}};
  if (login.webauthn) {
    factors.emplace_back("webauthn");
    out["webauthn"] = {{"public_key", RequestOptionsJson(*login.webauthn)}};
  }
  out["second_factors"] = std::move(factors);
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> SignedIn(const Deps& d, Call& c, const identity::NewSession& session) {
  const auto idle = std::chrono::duration_cast<std::chrono::seconds>(d.auth.options().idle_timeout);
  boost::json::object failed{{"count", session.failed_attempts}};
  if (!session.last_failed_at.empty()) failed["last_at"] = session.last_failed_at;
  boost::json::object out{{"account", AccountJson(session.account)},
                          {"csrf_token", session.csrf_token},
                          {"idle_timeout_s", idle.count()},
                          {"failed_sign_ins_since_last", std::move(failed)}};
  auto resp = http::Response::Json(200, boost::json::serialize(out));
  resp.headers = SignedInCookies(session, c.request, d.auth.options());
  return resp;
}

Result<http::Response> CompleteMfa(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto f, ReadFields(d, c, "auth.login", {{"challenge", 128}, {"code", 32}}));
  ASSIGN_OR_RETURN(auto session, d.auth.sign_in.CompleteMfa(f[0], f[1], c.context));
  return SignedIn(d, c, session);
}

Result<http::Response> WebAuthnOptions(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto f, ReadFields(d, c, "auth.login", {{"challenge", 128}}));
  ASSIGN_OR_RETURN(auto options, d.auth.sign_in.WebAuthnOptions(f[0], c.context));
  boost::json::object out{{"public_key", RequestOptionsJson(options)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

// {"challenge", "credential": an assertion}, read before anyone is signed in.
Result<std::pair<std::string, identity::KeyAssertion>> ReadKeySignIn(const Deps& d, Call& c) {
  const auto refuse = [&](const Error& e) {
    return d.auth.RefuseUnread("auth.login", e, c.context);
  };
  auto body = http::ParseJsonObject(c.request, d.depth);
  if (!body) return refuse(body.error());
  http::FieldReader f(*body);
  auto challenge = f.String("challenge", 128);
  if (!challenge) return refuse(challenge.error());
  auto credential = f.Object("credential");
  if (!credential) return refuse(credential.error());
  if (auto done = f.Finish(); !done) return refuse(done.error());
  auto assertion = ReadKeyAssertion(**credential);
  if (!assertion) return refuse(assertion.error());
  return std::pair{std::move(*challenge), std::move(*assertion)};
}

Result<http::Response> CompleteWebAuthn(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in, ReadKeySignIn(d, c));
  ASSIGN_OR_RETURN(auto session, d.auth.sign_in.CompleteWebAuthn(in.first, in.second, c.context));
  return SignedIn(d, c, session);
}

boost::json::object KeyJson(const identity::SecurityKey& k) {
  const auto or_null = [](const std::string& v) -> boost::json::value {
    return v.empty() ? boost::json::value(nullptr) : boost::json::value(v);
  };
  return {{"id", k.id},
          {"name", k.name},
          {"created_at", k.created_at},
          {"last_used_at", or_null(k.last_used_at)},
          {"locked_at", or_null(k.locked_at)},
          {"format", k.format},
          {"attestation", k.attestation},
          {"aaguid", k.aaguid},
          {"backup_eligible", k.backup_eligible},
          {"backed_up", k.backed_up}};
}

Result<http::Response> KeyOptions(const Deps& d, Call& c) {
  auto options = d.auth.security_keys.RegistrationOptions(c.who(), c.context);
  if (!options) {
    return d.auth.security_keys.Refuse(c.who(), identity::SecurityKeys::Attempt::kRegistration,
                                       options.error(), c.context);
  }
  boost::json::object out{{"public_key", CreationOptionsJson(*options)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

// {"name", "credential": a new key}; a body that cannot be read is refused and audited.
Result<std::pair<std::string, identity::KeyRegistration>> ReadNewKey(const Deps& d, Call& c) {
  auto body = http::ParseJsonObject(c.request, d.depth);
  if (!body) return std::unexpected(body.error());
  http::FieldReader f(*body);
  ASSIGN_OR_RETURN(auto name, f.String("name", 256));
  ASSIGN_OR_RETURN(auto credential, f.Object("credential"));
  RETURN_IF_ERROR(f.Finish());
  ASSIGN_OR_RETURN(auto registration, ReadKeyRegistration(*credential));
  return std::pair{std::move(name), std::move(registration)};
}

Result<http::Response> RegisterKey(const Deps& d, Call& c) {
  auto in = ReadNewKey(d, c);
  if (!in) {
    return d.auth.security_keys.Refuse(c.who(), identity::SecurityKeys::Attempt::kRegistration,
                                       in.error(), c.context);
  }
  ASSIGN_OR_RETURN(auto key,
                   d.auth.security_keys.Register(c.who(), in->first, in->second, c.context));
  return http::Response::Json(201, boost::json::serialize(KeyJson(key)));
}

Result<http::Response> ListKeys(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto keys, d.auth.security_keys.List(c.who()));
  boost::json::array items;
  for (const auto& k : keys) items.push_back(KeyJson(k));
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> RemoveKey(const Deps& d, Call& c) {
  RETURN_IF_ERROR(d.auth.security_keys.Remove(c.who(), c.param("id"), c.context));
  return http::Response::NoContent();
}

Result<http::Response> Logout(const Deps& d, Call& c) {
  RETURN_IF_ERROR(d.auth.sessions.Logout(c.who(), c.context));
  auto resp = http::Response::NoContent();
  resp.headers.push_back(SignedOutCookie(c.who().account.kind));
  return resp;
}

Result<http::Response> Reauthenticate(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(c.request, d.depth));
  ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"code", 32}}));
  RETURN_IF_ERROR(d.auth.sessions.Reauthenticate(c.who(), f[0], c.context));
  return http::Response::NoContent();
}

Result<http::Response> ReauthOptions(const Deps& d, Call& c) {
  auto options = d.auth.security_keys.ReauthOptions(c.who(), c.context);
  if (!options) {
    return d.auth.security_keys.Refuse(c.who(), identity::SecurityKeys::Attempt::kReauthentication,
                                       options.error(), c.context);
  }
  boost::json::object out{{"public_key", RequestOptionsJson(*options)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

// {"credential": an assertion}; a body that cannot be read is refused and audited.
Result<identity::KeyAssertion> ReadKeyReauth(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  ASSIGN_OR_RETURN(auto credential, f.Object("credential"));
  RETURN_IF_ERROR(f.Finish());
  return ReadKeyAssertion(*credential);
}

Result<http::Response> ReauthenticateWithKey(const Deps& d, Call& c) {
  auto assertion = ReadKeyReauth(c.request, d.depth);
  if (!assertion) {
    auto event =
        identity::EventFor(c.who(), "auth.reauth", "session", c.who().session_id, c.context);
    event.reason = "a security key's answer that cannot be read";
    return d.auth.Refuse(std::move(event), assertion.error());
  }
  RETURN_IF_ERROR(d.auth.security_keys.Reauthenticate(c.who(), *assertion, c.context));
  return http::Response::NoContent();
}

Result<http::Response> CurrentSession(const Deps&, Call& c) {
  boost::json::object out{{"account", AccountJson(c.who().account)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

}  // namespace

void AddAuthRoutes(RouteTable& table, identity::Auth& auth, int max_json_depth) {
  const Deps d{auth, max_json_depth};
  const auto hex64 = StringSchema(128);
  const auto account = R"({"type":"object"})";
  table.Add({verb::post, "/api/v1/auth/enrol", Credentials::kNone,
             "Set the password with a one-time enrolment token; answers the TOTP secret",
             ObjectSchema({{"token", hex64}, {"password", StringSchema(1024)}}),
             ObjectSchema({{"totp_uri", StringSchema(512)}, {"qr_svg", StringSchema(1 << 20)}}),
             [d](Call& c) { return BeginEnrolment(d, c); }});
  table.Add({verb::post, "/api/v1/auth/enrol/confirm", Credentials::kNone,
             "Confirm enrolment with the first code; answers the recovery codes",
             ObjectSchema({{"token", hex64}, {"code", StringSchema(32)}}),
             ObjectSchema({{"recovery_codes", ArraySchema(StringSchema(16), 10)}}),
             [d](Call& c) { return ConfirmEnrolment(d, c); }});
  const auto public_key = R"({"type":"object"})";
  table.Add({verb::post, "/api/v1/auth/login", Credentials::kNone,
             "The password step of signing in; answers an MFA challenge, the second factors the "
             "account may use, and a security-key ceremony if it has a key",
             ObjectSchema({{"username", StringSchema(256)}, {"password", StringSchema(1024)}}),
             ObjectSchema({{"mfa_required", kBooleanSchema},
                           {"challenge", hex64},
                           {"second_factors", ArraySchema(StringSchema(16), 3)},
                           {"webauthn", ObjectSchema({{"public_key", public_key}})}},
                          {"webauthn"}),
             [d](Call& c) { return Login(d, c); }});
  table.Add({verb::post, "/api/v1/auth/mfa", Credentials::kNone,
             "The second factor; sets the session (and device) cookie",
             ObjectSchema({{"challenge", hex64}, {"code", StringSchema(32)}}),
             ObjectSchema({{"account", account},
                           {"csrf_token", hex64},
                           {"idle_timeout_s", kIntegerSchema},
                           {"failed_sign_ins_since_last", kAnyObjectSchema}}),
             [d](Call& c) { return CompleteMfa(d, c); }});
  table.Add({verb::post, "/api/v1/auth/mfa/webauthn/options", Credentials::kNone,
             "A new security-key ceremony for a login challenge",
             ObjectSchema({{"challenge", hex64}}), ObjectSchema({{"public_key", public_key}}),
             [d](Call& c) { return WebAuthnOptions(d, c); }});
  table.Add({verb::post, "/api/v1/auth/mfa/webauthn", Credentials::kNone,
             "The second factor with a security key; sets the session (and device) cookie",
             ObjectSchema({{"challenge", hex64}, {"credential", KeyAssertionSchema()}}),
             ObjectSchema({{"account", account},
                           {"csrf_token", hex64},
                           {"idle_timeout_s", kIntegerSchema},
                           {"failed_sign_ins_since_last", kAnyObjectSchema}}),
             [d](Call& c) { return CompleteWebAuthn(d, c); }});
  const auto key = ObjectSchema({{"id", StringSchema(20)},
                                 {"name", StringSchema(256)},
                                 {"created_at", StringSchema(40, "date-time")},
                                 {"last_used_at", R"({"type":["string","null"]})"},
                                 {"locked_at", R"({"type":["string","null"]})"},
                                 {"format", StringSchema(16)},
                                 {"attestation", StringSchema(16)},
                                 {"aaguid", StringSchema(32)},
                                 {"backup_eligible", kBooleanSchema},
                                 {"backed_up", kBooleanSchema}});
  table.Add({verb::post, "/api/v1/auth/webauthn/credentials/options", Credentials::kSession,
             "A ceremony to register a security key or passkey for this account", kNoBody,
             ObjectSchema({{"public_key", public_key}}),
             [d](Call& c) { return KeyOptions(d, c); }});
  table.Add({verb::post, "/api/v1/auth/webauthn/credentials", Credentials::kSession,
             "Register the security key made for that ceremony (needs a fresh second factor)",
             ObjectSchema({{"name", StringSchema(256)}, {"credential", KeyRegistrationSchema()}}),
             key, [d](Call& c) { return RegisterKey(d, c); }});
  table.Add({verb::get, "/api/v1/auth/webauthn/credentials", Credentials::kSession,
             "This account's security keys", "",
             ObjectSchema({{"items", ArraySchema(key, identity::kMaxSecurityKeys * 10)}}),
             [d](Call& c) { return ListKeys(d, c); }});
  table.Add({verb::delete_, "/api/v1/auth/webauthn/credentials/{id}", Credentials::kSession,
             "Remove one of this account's security keys (needs a fresh second factor)", "", "",
             [d](Call& c) { return RemoveKey(d, c); }});
  table.Add({verb::post, "/api/v1/auth/logout", Credentials::kSession, "End this session",
             kAnyObjectSchema, "", [d](Call& c) { return Logout(d, c); }});
  table.Add({verb::post, "/api/v1/auth/reauth", Credentials::kSession,
             "A fresh second factor before a sensitive action",
             ObjectSchema({{"code", StringSchema(32)}}), "",
             [d](Call& c) { return Reauthenticate(d, c); }});
  table.Add({verb::post, "/api/v1/auth/reauth/webauthn/options", Credentials::kSession,
             "A security-key ceremony for a fresh second factor on this session", kNoBody,
             ObjectSchema({{"public_key", public_key}}),
             [d](Call& c) { return ReauthOptions(d, c); }});
  table.Add({verb::post, "/api/v1/auth/reauth/webauthn", Credentials::kSession,
             "A fresh second factor with a security key, for that ceremony",
             ObjectSchema({{"credential", KeyAssertionSchema()}}), "",
             [d](Call& c) { return ReauthenticateWithKey(d, c); }});
  table.Add({verb::get, "/api/v1/auth/session", Credentials::kSessionOrToken,
             "The signed-in account", "", ObjectSchema({{"account", account}}),
             [d](Call& c) { return CurrentSession(d, c); }});
}

}  // namespace strongroom::api
