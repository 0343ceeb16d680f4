#include "http/wire.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>

#include "http/security_headers.h"

namespace strongroom::http {
namespace {

// RFC 9110 token characters.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Visible characters, space, tab and obs-text; no CR, LF, NUL or other controls.
bool IsFieldValue(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool Reserved(std::string_view name) {
  for (const std::string_view r :
       {std::string_view("Content-Length"), std::string_view("Connection"),
        std::string_view("Transfer-Encoding"), std::string_view("Content-Type"),
        std::string_view("X-Request-Id"), kPolicyHeader, kReferrerHeader, kCacheHeader}) {
    if (boost::beast::iequals(name, r)) return true;
  }
  for (const auto& [r, value] : kSecurityHeaders) {
    if (boost::beast::iequals(name, r)) return true;
  }
  return false;
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

std::string_view CacheControl(Caching caching) {
  switch (caching) {
    case Caching::kRevalidate:
      return "no-cache";
    case Caching::kImmutable:
      return "public, max-age=31536000, immutable";
    case Caching::kNever:
      break;
  }
  return "no-store";
}

}  // namespace

Result<void> AppendResponse(const Response& response, std::string_view request_id, bool keep_alive,
                            std::string& out) {
  const unsigned status = response.status;
  if (status < 100 || status > 599) return Fail(ErrorCode::kInternal, "invalid response status");
  // These answers have no body, and so no Content-Length (RFC 9110 8.6).
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (bodiless && !response.body.empty()) {
    return Fail(ErrorCode::kInternal, "a body on a response that cannot have one");
  }
  if (!IsFieldValue(response.content_type) || !IsFieldValue(request_id)) {
    return Fail(ErrorCode::kInternal, "invalid response header");
  }
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || !IsFieldValue(value) || Reserved(name)) {
      return Fail(ErrorCode::kInternal, "invalid response header");
    }
  }

  const std::string_view reason =
      boost::beast::http::obsolete_reason(boost::beast::http::int_to_status(status));
  char digits[24];
  out.append("HTTP/1.1 ");
  out.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
  out.append(" ").append(reason).append("\r\n");
  if (!response.content_type.empty()) AppendField(out, "Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) AppendField(out, name, value);
  for (const auto& [name, value] : kSecurityHeaders) AppendField(out, name, value);
  AppendField(out, kCacheHeader, CacheControl(response.caching));
  AppendField(out, kPolicyHeader, response.page ? kPagePolicy : kApiPolicy);
  AppendField(out, kReferrerHeader, response.page ? kPageReferrer : kApiReferrer);
  AppendField(out, "X-Request-Id", request_id);
  if (!bodiless) {
    const auto end = std::to_chars(digits, digits + sizeof digits, response.body.size()).ptr;
    AppendField(out, "Content-Length", std::string_view(digits, end - digits));
  }
  if (!keep_alive) AppendField(out, "Connection", "close");
  out.append("\r\n");
  out.append(response.body);
  return {};
}

}  // namespace strongroom::http
