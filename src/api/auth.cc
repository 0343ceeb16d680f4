#include "api/auth.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "http/json.h"
#include "identity/qr_svg.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

identity::RequestContext Context(const http::Request& r) {
  return {r.remote_address, r.request_id};
}

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

std::string SessionCookie(std::string_view value, bool clear) {
  return fmt::format("{}={}; Secure; HttpOnly; SameSite=Strict; Path=/{}", kSessionCookie, value,
                     clear ? "; Max-Age=0" : "");
}

// Names this client as a device its owner has signed in from (identity/throttle.h, rule 5).
std::string DeviceCookie(std::string_view value, std::chrono::seconds lifetime) {
  return fmt::format("{}={}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", kDeviceCookie,
                     value, lifetime.count());
}

bool StateChanging(verb v) { return v != verb::get && v != verb::head && v != verb::options; }

}  // namespace

Result<identity::Principal> Authenticate(identity::AuthService& auth, const http::Request& request,
                                         const AuthRoutesOptions& options,
                                         identity::AuthService::Upkeep upkeep) {
  // Automation: a service account's API token. No cookie is involved, so no CSRF check.
  const auto authorization = request.Header("Authorization");
  if (!authorization.empty()) {
    if (!authorization.starts_with("Bearer ")) {
      return Fail(ErrorCode::kUnauthenticated, "Authorization must be a Bearer API token");
    }
    return auth.AuthenticateToken(authorization.substr(7), Context(request));
  }
  const auto token = request.Cookie(kSessionCookie);
  if (token.empty()) return Fail(ErrorCode::kUnauthenticated, "sign in first");
  ASSIGN_OR_RETURN(auto principal, auth.Authenticate(token, Context(request), upkeep));
  if (StateChanging(request.method())) {
    const auto origin = request.Header("Origin");
    if (!origin.empty() && origin != options.public_origin) {
      return Fail(ErrorCode::kPermissionDenied, "cross-origin request refused");
    }
    RETURN_IF_ERROR(auth.CheckCsrf(principal, request.Header("X-CSRF-Token")));
  }
  return principal;
}

void RegisterAuthRoutes(http::Router& router, identity::AuthService& auth,
                        AuthRoutesOptions options) {
  const int depth = options.max_json_depth;

  router.Add(verb::post, "/api/v1/auth/enrol",
             [&auth, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
               ASSIGN_OR_RETURN(
                   auto f, http::RequireStringFields(body, {{"token", 128}, {"password", 1024}}));
               ASSIGN_OR_RETURN(auto start, auth.BeginEnrolment(f[0], f[1], Context(r)));
               ASSIGN_OR_RETURN(auto qr, identity::QrSvg(start.totp_uri));
               boost::json::object out{{"totp_uri", start.totp_uri}, {"qr_svg", qr}};
               return http::Response::Json(200, boost::json::serialize(out));
             });

  router.Add(
      verb::post, "/api/v1/auth/enrol/confirm",
      [&auth, depth](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
        ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"token", 128}, {"code", 32}}));
        ASSIGN_OR_RETURN(auto codes, auth.ConfirmEnrolment(f[0], f[1], Context(r)));
        boost::json::array list;
        for (auto& c : codes) list.emplace_back(c);
        boost::json::object out{{"recovery_codes", std::move(list)}};
        return http::Response::Json(200, boost::json::serialize(out));
      });

  router.Add(
      verb::post, "/api/v1/auth/login", [&auth, depth](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
        ASSIGN_OR_RETURN(auto f,
                         http::RequireStringFields(body, {{"username", 256}, {"password", 1024}}));
        ASSIGN_OR_RETURN(auto challenge,
                         auth.Login(f[0], f[1], r.Cookie(kDeviceCookie), Context(r)));
        boost::json::object out{{"mfa_required", true}, {"challenge", challenge}};
        return http::Response::Json(200, boost::json::serialize(out));
      });

  router.Add(
      verb::post, "/api/v1/auth/mfa", [&auth, depth](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
        ASSIGN_OR_RETURN(auto f,
                         http::RequireStringFields(body, {{"challenge", 128}, {"code", 32}}));
        ASSIGN_OR_RETURN(auto session, auth.CompleteMfa(f[0], f[1], Context(r)));
        const auto idle =
            std::chrono::duration_cast<std::chrono::seconds>(auth.options().idle_timeout);
        boost::json::object failed{{"count", session.failed_attempts}};
        if (!session.last_failed_at.empty()) failed["last_at"] = session.last_failed_at;
        boost::json::object out{{"account", AccountJson(session.account)},
                                {"csrf_token", session.csrf_token},
                                {"idle_timeout_s", idle.count()},
                                {"failed_sign_ins_since_last", std::move(failed)}};
        auto resp = http::Response::Json(200, boost::json::serialize(out));
        resp.headers.emplace_back("Set-Cookie", SessionCookie(session.token, false));
        if (!session.device_token.empty()) {
          resp.headers.emplace_back(
              "Set-Cookie",
              DeviceCookie(session.device_token, std::chrono::duration_cast<std::chrono::seconds>(
                                                     auth.options().device_lifetime)));
        }
        return resp;
      });

  router.Add(verb::post, "/api/v1/auth/logout",
             [&auth, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto principal, Authenticate(auth, r, options));
               RETURN_IF_ERROR(auth.Logout(principal, Context(r)));
               auto resp = http::Response::NoContent();
               resp.headers.emplace_back("Set-Cookie", SessionCookie("", true));
               return resp;
             });

  router.Add(verb::post, "/api/v1/auth/reauth",
             [&auth, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto principal, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, options.max_json_depth));
               ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"code", 32}}));
               RETURN_IF_ERROR(auth.Reauthenticate(principal, f[0], Context(r)));
               return http::Response::NoContent();
             });

  router.Add(verb::get, "/api/v1/auth/session",
             [&auth, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto principal, Authenticate(auth, r, options));
               boost::json::object out{{"account", AccountJson(principal.account)}};
               return http::Response::Json(200, boost::json::serialize(out));
             });
}

}  // namespace strongroom::api
