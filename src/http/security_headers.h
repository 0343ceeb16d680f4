#pragma once
// The headers every response carries (API.md), whatever produced it: handler, router miss or a
// protocol error. The API never serves active content, so its policy forbids everything.
// X-Request-Id is added beside them, per request.

#include <array>
#include <string_view>
#include <utility>

namespace strongroom::http {

inline constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kSecurityHeaders{{
    {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
    {"Cache-Control", "no-store"},
}};

}  // namespace strongroom::http
