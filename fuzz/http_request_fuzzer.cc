// Requests as the server reads them: Beast's parser with the server's limits, then the framing
// decision (http/framing.h), the target split, routing with its path parameters, and the query.
// A request the server would frame by Transfer-Encoding is accepted only when chunked is its one
// and last coding with no Content-Length beside it; path parameters are never empty and hold no
// '/' or control character; a query's values are within their bound.

#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include "common/config.h"
#include "fuzz_check.h"
#include "http/framing.h"
#include "http/message.h"
#include "http/query.h"
#include "http/router.h"

namespace {

using namespace strongroom;
namespace beast_http = http::beast_http;

bool Clean(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '/') return false;
  }
  return true;
}

const http::Router& Routes() {
  static const http::Router* router = [] {
    auto* r = new http::Router;
    const http::Handler none = [](http::Request&) -> Result<http::Response> {
      return http::Response::NoContent();
    };
    const auto both = Surface::kPublic | Surface::kAdmin;
    r->Add(both, beast_http::verb::get, "/api/v1/records", none);
    r->Add(both, beast_http::verb::get, "/api/v1/records/{id}", none);
    r->Add(both, beast_http::verb::put, "/api/v1/records/{id}", none);
    r->Add(Surface::kAdmin, beast_http::verb::post, "/api/v1/admin/accounts/{id}/roles", none);
    r->Add(both, beast_http::verb::get, "/scim/v2/Users/{id}", none);
    r->Add(both, beast_http::verb::post, "/api/v1/exports/{id}/approve", none);
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Config defaults;
  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(defaults.server.limits.max_header_bytes));
  parser.body_limit(static_cast<std::uint64_t>(defaults.server.limits.max_body_bytes));
  parser.eager(true);
  boost::beast::error_code ec;
  boost::asio::const_buffer in(data, size);
  while (in.size() > 0 && !ec && !parser.is_done()) {
    const auto used = parser.put(in, ec);
    if (used == 0 && !ec) break;  // needs more than there is
    in += used;
  }
  if (!parser.is_header_done()) return 0;

  const auto& header = parser.get().base();
  const auto framing = http::CheckFraming(header);
  if (framing == http::Framing::kOk &&
      header.find(beast_http::field::transfer_encoding) != header.end()) {
    FUZZ_CHECK(header.find(beast_http::field::content_length) == header.end(),
               "Transfer-Encoding and Content-Length together were framed");
    FUZZ_CHECK(parser.chunked(), "a Transfer-Encoding not ending in chunked was framed");
    FUZZ_CHECK(header.version() >= 11, "an HTTP/1.0 request with Transfer-Encoding was framed");
  }
  if (framing != http::Framing::kOk || (!parser.is_done() && ec)) return 0;

  http::Request request;
  request.message = parser.release();
  if (http::RefuseTarget(request.message.target()) != 0) return 0;
  http::SplitTarget(request);
  FUZZ_CHECK(request.path.find('?') == std::string::npos, "a path holding the query");
  FUZZ_CHECK(request.path.size() + (request.query.empty() ? 0 : request.query.size() + 1) <=
                 request.message.target().size(),
             "a split longer than the target");

  const auto match =
      Routes().Find(request.method(), request.path, Surface::kPublic | Surface::kAdmin);
  if (match.handler != nullptr) {
    FUZZ_CHECK(match.pattern != nullptr, "a match without its pattern");
    for (const auto& [name, value] : match.params) {
      FUZZ_CHECK(!value.empty(), "an empty path parameter");
      FUZZ_CHECK(Clean(value), "a path parameter holding '/' or a control character");
    }
  }
  (void)request.Cookie("__Host-strongroom-session");
  (void)http::PresentsCredentials(request);

  auto query = http::ParseQuery(request.query, {"q", "limit", "cursor", "action", "filter"}, 256);
  if (query) {
    for (const auto& [name, value] : *query) {
      FUZZ_CHECK(value.size() <= 256, "a query value longer than its bound");
      FUZZ_CHECK(Clean(value), "a query value holding '/' or a control character");
    }
  }
  return 0;
}
