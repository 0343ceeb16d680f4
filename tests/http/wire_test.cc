#include "http/wire.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <string>

#include "http/security_headers.h"

namespace strongroom::http {
namespace {

namespace bhttp = boost::beast::http;

// Parses `wire` as a client would: any framing mistake fails the test.
bhttp::response<bhttp::string_body> Parse(const std::string& wire, bool head_request = false) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(head_request);
  parser.eager(true);
  boost::system::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(used, wire.size()) << "bytes after the message";
  return parser.release();
}

TEST(WireTest, ResponseCarriesStatusTypeHeadersSecurityHeadersAndLength) {
  Response r = Response::Json(201, R"({"id":"r-1"})");
  r.headers.emplace_back("ETag", "\"3\"");
  r.headers.emplace_back("Location", "/api/v1/records/r-1");
  std::string wire;
  ASSERT_TRUE(AppendResponse(r, "0123456789abcdef", true, wire));
  ASSERT_TRUE(wire.starts_with("HTTP/1.1 201 Created\r\n")) << wire;

  const auto msg = Parse(wire);
  EXPECT_EQ(msg.result_int(), 201u);
  EXPECT_EQ(msg.body(), R"({"id":"r-1"})");
  EXPECT_EQ(msg[bhttp::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(msg[bhttp::field::content_length], "12");
  EXPECT_EQ(msg["ETag"], "\"3\"");
  EXPECT_EQ(msg["Location"], "/api/v1/records/r-1");
  EXPECT_EQ(msg["X-Request-Id"], "0123456789abcdef");
  for (const auto& [name, value] : kSecurityHeaders) EXPECT_EQ(msg[name], value) << name;
  EXPECT_EQ(msg[kPolicyHeader], kApiPolicy);
  EXPECT_EQ(msg[kReferrerHeader], "no-referrer");
  EXPECT_EQ(msg[kCacheHeader], "no-store");
  EXPECT_TRUE(msg.keep_alive());
}

// Nothing is kept unless the response says so; what it says is one Cache-Control of three.
TEST(WireTest, CachingIsNoStoreUnlessTheResponseAllowsMore) {
  const std::pair<Caching, std::string_view> cases[] = {
      {Caching::kNever, "no-store"},
      {Caching::kRevalidate, "no-cache"},
      {Caching::kImmutable, "public, max-age=31536000, immutable"}};
  for (const auto& [caching, header] : cases) {
    Response r{200, "text/css; charset=utf-8", "p{}", {}, false};
    r.caching = caching;
    std::string wire;
    ASSERT_TRUE(AppendResponse(r, "id", true, wire));
    const auto msg = Parse(wire);
    EXPECT_EQ(msg[kCacheHeader], header);
    EXPECT_EQ(
        std::distance(msg.equal_range(kCacheHeader).first, msg.equal_range(kCacheHeader).second),
        1);
  }
}

TEST(WireTest, APageCarriesThePagePolicyAndNoHandlerSetsItsOwn) {
  Response page{200, "text/html; charset=utf-8", "<p>hi</p>", {}, true};
  std::string wire;
  ASSERT_TRUE(AppendResponse(page, "id", true, wire));
  const auto msg = Parse(wire);
  EXPECT_EQ(msg[kPolicyHeader], kPagePolicy);
  EXPECT_EQ(msg[kReferrerHeader], "same-origin");
  EXPECT_EQ(wire.find(kApiPolicy), std::string::npos);
  EXPECT_NE(kPagePolicy.find("form-action 'self'"), std::string_view::npos);

  page.headers.emplace_back("content-security-policy", "default-src *");
  wire.clear();
  EXPECT_FALSE(AppendResponse(page, "id", true, wire));
}

TEST(WireTest, ClosingResponseSaysSo) {
  std::string wire;
  ASSERT_TRUE(AppendResponse(Response::Json(400, "{}"), "id", false, wire));
  EXPECT_FALSE(Parse(wire).keep_alive());
  EXPECT_NE(wire.find("\r\nConnection: close\r\n"), std::string::npos);
}

TEST(WireTest, RepeatedHeadersAreKeptInOrder) {
  Response r = Response::NoContent();
  r.headers.emplace_back("Set-Cookie", "a=1");
  r.headers.emplace_back("Set-Cookie", "b=2");
  std::string wire;
  ASSERT_TRUE(AppendResponse(r, "id", true, wire));
  const auto msg = Parse(wire);
  auto [first, last] = msg.equal_range(bhttp::field::set_cookie);
  ASSERT_NE(first, last);
  EXPECT_EQ(first->value(), "a=1");
  ++first;
  ASSERT_NE(first, last);
  EXPECT_EQ(first->value(), "b=2");
}

TEST(WireTest, BodilessStatusesHaveNoLengthAndRefuseABody) {
  for (unsigned status : {204u, 304u}) {
    Response r{status, "", "", {}};
    std::string wire;
    ASSERT_TRUE(AppendResponse(r, "id", true, wire)) << status;
    EXPECT_EQ(wire.find("Content-Length"), std::string::npos) << status;
    EXPECT_TRUE(wire.ends_with("\r\n\r\n"));
    r.body = "x";
    std::string refused;
    EXPECT_FALSE(AppendResponse(r, "id", true, refused)) << status;
    EXPECT_TRUE(refused.empty());
  }
  std::string wire;
  ASSERT_TRUE(AppendResponse(Response::Json(200, ""), "id", true, wire));
  EXPECT_EQ(Parse(wire)[bhttp::field::content_length], "0");
}

TEST(WireTest, HeaderThatWouldSplitTheResponseIsRefused) {
  const std::pair<std::string, std::string> bad[] = {
      {"Location", "/x\r\nSet-Cookie: session=stolen"},
      {"Location", "/x\nX: y"},
      {"Location", "/x\ry"},
      {"Location", std::string("/x\0y", 4)},
      {"Location", "/x\x7fy"},
      {"Location", "/x\x01y"},
      {"X-Name\r\nSet-Cookie", "a"},
      {"X Name", "a"},
      {"X:Name", "a"},
      {"", "a"},
      {"Caf\xc3\xa9", "a"},
  };
  for (const auto& [name, value] : bad) {
    Response r = Response::Json(200, "{}");
    r.headers.emplace_back(name, value);
    std::string wire = "kept";
    auto result = AppendResponse(r, "id", true, wire);
    ASSERT_FALSE(result) << name;
    EXPECT_EQ(result.error().code, ErrorCode::kInternal);
    EXPECT_EQ(wire, "kept") << "nothing is written for a refused response";
  }
  Response r = Response::Json(200, "{}");
  r.content_type = "text/plain\r\nX-Injected: 1";
  std::string wire;
  EXPECT_FALSE(AppendResponse(r, "id", true, wire));
  EXPECT_FALSE(AppendResponse(Response::Json(200, "{}"), "id\r\nX: 1", true, wire));
}

TEST(WireTest, ServerHeadersCannotBeSetOrOverriddenByAHandler) {
  for (const std::string name :
       {"Content-Length", "content-length", "Connection", "Transfer-Encoding", "Content-Type",
        "x-request-id", "Cache-Control", "content-security-policy", "STRICT-TRANSPORT-SECURITY"}) {
    Response r = Response::Json(200, "{}");
    r.headers.emplace_back(name, "0");
    std::string wire;
    EXPECT_FALSE(AppendResponse(r, "id", true, wire)) << name;
  }
}

TEST(WireTest, StatusOutsideHttpIsRefused) {
  for (unsigned status : {0u, 99u, 600u, 1000u}) {
    std::string wire;
    EXPECT_FALSE(AppendResponse(Response::Json(status, "{}"), "id", true, wire)) << status;
  }
}

TEST(WireTest, LargeBodyIsFramedExactly) {
  std::string body(300000, 'a');
  body.front() = '"';
  body.back() = '"';
  std::string wire;
  ASSERT_TRUE(AppendResponse(Response::Json(200, body), "id", true, wire));
  EXPECT_EQ(Parse(wire).body(), body);
}

}  // namespace
}  // namespace strongroom::http
