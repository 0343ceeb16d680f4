#pragma once
// /api/v1/auth: enrolment, login (password, then MFA), the session, logout (API.md).
//
// A standard account's session travels in the cookie `__Host-strongroom-session`, a privileged
// one's in `__Host-strongroom-admin-session` (Secure, HttpOnly, SameSite=Strict, Path=/ each):
// browsers do not tell ports apart, so one browser signed in at the public and admin listeners of
// one host keeps both sessions, and each listener reads only the cookie of the surface it serves
// (identity::SignsInAt). State-changing requests that carry a session must also carry its
// `X-CSRF-Token`, and an `Origin`, if present, must be the origin of the listener asked.

#include <string>

#include "http/router.h"
#include "identity/auth.h"

namespace strongroom::api {

inline constexpr std::string_view kSessionCookie = "__Host-strongroom-session";
inline constexpr std::string_view kAdminSessionCookie = "__Host-strongroom-admin-session";
// The cookie a session of `kind` travels in.
std::string_view SessionCookieName(identity::Kind kind);
inline constexpr std::string_view kDeviceCookie = "__Host-strongroom-device";

struct AuthRoutesOptions {
  int max_json_depth = 64;
};

class RouteTable;
// The sign-in, enrolment and session routes. `auth` must outlive the table.
void AddAuthRoutes(RouteTable& table, identity::Auth& auth, int max_json_depth);

// Where a state-changing request carries its session's CSRF token: the API's clients in the
// X-CSRF-Token header, the console's forms in their csrf_token field (http/form.h).
enum class CsrfIn : uint8_t { kHeader, kForm };

// The caller of a request, from its API token or the session cookie of the surfaces the request
// reaches on a route of `route_surfaces`; for state-changing methods also checks the CSRF token
// and Origin. kUnauthenticated or kPermissionDenied otherwise.
Result<identity::Principal> Authenticate(
    identity::Auth& auth, const http::Request& request, Surface route_surfaces,
    identity::Sessions::Upkeep upkeep = identity::Sessions::Upkeep::kWait,
    CsrfIn csrf_in = CsrfIn::kHeader);

// The cookies that sign in `session` from `request`: the session's, and the device's (a new
// device gets its cookie; a known one gets it again, so that its lifetime runs from this use).
std::vector<std::pair<std::string, std::string>> SignedInCookies(
    const identity::NewSession& session, const http::Request& request,
    const identity::AuthOptions& options);
// The cookie that ends a session of `kind` in the browser.
std::pair<std::string, std::string> SignedOutCookie(identity::Kind kind);

}  // namespace strongroom::api
