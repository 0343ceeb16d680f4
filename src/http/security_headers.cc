#include "http/security_headers.h"

namespace strongroom::http {

void AddSecurityHeaders(boost::beast::http::fields& f, std::string_view request_id) {
  f.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  f.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  f.set("X-Content-Type-Options", "nosniff");
  f.set("Referrer-Policy", "no-referrer");
  f.set("X-Frame-Options", "DENY");
  f.set("Cross-Origin-Opener-Policy", "same-origin");
  f.set("Cross-Origin-Resource-Policy", "same-origin");
  f.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  f.set("Cache-Control", "no-store");
  f.set("X-Request-Id", request_id);
}

}  // namespace strongroom::http
