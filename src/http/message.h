#pragma once
// The request and response types that handlers see. The HTTP layer fills a Request from the
// parsed message (path split from query, path parameters decoded by the router) and turns a
// Response into the wire message, adding the security headers every response carries.

#include <boost/beast/http.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/surface.h"

namespace strongroom::http {

namespace beast_http = boost::beast::http;

// The longest request target (path and query) served; longer ones are refused with 414 before
// routing. No route needs more, and it bounds what inspection (http/inspector.h) must scan.
inline constexpr size_t kMaxTargetBytes = 8192;

struct Request {
  beast_http::request<beast_http::string_body> message;
  std::string path;                           // without the query, not decoded
  std::string query;                          // after '?', not decoded
  std::map<std::string, std::string> params;  // path parameters, percent-decoded
  std::string route;                          // the matched route template, for logs
  std::string remote_address;
  std::string request_id;
  Surface reach = Surface::kNone;  // what the connection reaches (common/surface.h)
  std::string_view origin;         // its listener's https origin; lives as long as the server

  beast_http::verb method() const { return message.method(); }
  std::string_view Header(std::string_view name) const;
  // The value of cookie `name` from the Cookie header(s); "" if absent.
  std::string Cookie(std::string_view name) const;
  const std::string& body() const { return message.body(); }
};

// Whether a request target is refused before routing: 400 when it is not a path, 414 when it is
// longer than kMaxTargetBytes; 0 when it is routed.
unsigned RefuseTarget(std::string_view target);

// Sets `path` and `query` from the message's target (split at the first '?', neither decoded).
void SplitTarget(Request& request);

// Whether a request carries credentials of a signed-in caller (a session cookie of the right
// shape, a bearer token), checked or not: for decisions made before authentication, which must
// hold for forged credentials too (admission priority, inspection context).
bool PresentsCredentials(const Request& request);

// What a browser or proxy may keep of an answer (Cache-Control). Nothing, unless a handler says
// otherwise: only the console's assets do (web/assets.h).
enum class Caching {
  kNever,       // "no-store"
  kRevalidate,  // "no-cache": kept, but asked about again each time (with its ETag)
  kImmutable,   // "public, max-age=31536000, immutable": what is at this address never changes
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A page of the console: HTML under the page policy (http/security_headers.h), not the API's.
  bool page = false;
  Caching caching = Caching::kNever;

  static Response Json(unsigned status, std::string json_text) {
    return Response{status, "application/json; charset=utf-8", std::move(json_text), {}, false};
  }
  static Response NoContent() { return Response{204, "", "", {}, false}; }
};

using Handler = std::function<Result<Response>(Request&)>;

// For handlers that finish later without holding a thread (e.g. waiting for an audit event to be
// durable): the handler, or whatever it hands the work to, calls `respond` exactly once, from any
// thread. The request outlives the call.
using Respond = std::function<void(Result<Response>)>;
using AsyncHandler = std::function<void(Request&, Respond)>;
// A route's own response to an error (the console answers with a page).
using ErrorAnswer = std::function<Response(const Error&)>;

}  // namespace strongroom::http
