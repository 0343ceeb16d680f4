#pragma once
// /api/v1/auth: enrolment, login (password, then MFA), the session, logout (API.md).
//
// The session travels in the cookie `__Host-strongroom-session` (Secure, HttpOnly,
// SameSite=Strict, Path=/). State-changing requests that carry it must also carry the session's
// `X-CSRF-Token`, and an `Origin`, if present, must be the service's own.

#include <string>

#include "http/router.h"
#include "identity/auth.h"

namespace strongroom::api {

inline constexpr std::string_view kSessionCookie = "__Host-strongroom-session";
inline constexpr std::string_view kDeviceCookie = "__Host-strongroom-device";

struct AuthRoutesOptions {
  int max_json_depth = 64;
  std::string public_origin;  // e.g. https://127.0.0.1:8443
};

class RouteTable;
// The sign-in, enrolment and session routes. `auth` must outlive the table.
void AddAuthRoutes(RouteTable& table, identity::Auth& auth, int max_json_depth);

// The caller of a request, from its session cookie; for state-changing methods also checks the
// CSRF token and Origin. kUnauthenticated or kPermissionDenied otherwise.
Result<identity::Principal> Authenticate(
    identity::Auth& auth, const http::Request& request, const AuthRoutesOptions& options,
    identity::Sessions::Upkeep upkeep = identity::Sessions::Upkeep::kWait);

}  // namespace strongroom::api
