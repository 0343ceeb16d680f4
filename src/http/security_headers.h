#pragma once
// The headers every response carries (API.md), whatever produced it: handler, router miss or a
// protocol error, and the one content security policy each carries: the API never serves active
// content, so its policy forbids everything; the console's pages (Response::page) load their
// styles and scripts from this origin only, never inline, and post forms only to it. The same
// goes for the referrer policy, below.
// X-Request-Id is added beside them, per request, and Cache-Control as the response allows.

#include <array>
#include <string_view>
#include <utility>

namespace strongroom::http {

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kSecurityHeaders{{
    {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
}};

// Cache-Control, from Response::caching: "no-store" for every answer but the console's assets.
inline constexpr std::string_view kCacheHeader = "Cache-Control";

inline constexpr std::string_view kPolicyHeader = "Content-Security-Policy";
inline constexpr std::string_view kApiPolicy =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
inline constexpr std::string_view kPagePolicy =
    "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";
// A page's own forms must carry its origin (browsers send "Origin: null" under no-referrer, which
// the pages refuse as they would a form from anywhere else); other sites are told nothing.
inline constexpr std::string_view kReferrerHeader = "Referrer-Policy";
inline constexpr std::string_view kApiReferrer = "no-referrer";
inline constexpr std::string_view kPageReferrer = "same-origin";

}  // namespace strongroom::http
