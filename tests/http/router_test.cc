#include "http/router.h"

#include <gtest/gtest.h>

namespace strongroom::http {
namespace {

using beast_http::verb;

Handler Named(std::string name) {
  return [name](Request&) -> Result<Response> { return Response::Json(200, name); };
}

constexpr auto kPublic = Surface::kPublic;

std::string Call(const Router& router, verb method, std::string_view path,
                 Surface reach = Surface::kAll) {
  auto m = router.Find(method, path, reach);
  if (m.handler == nullptr) return m.method_mismatch ? "405" : "404";
  Request req;
  return (*m.handler)(req)->body;
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router r;
  r.Add(kPublic, verb::get, "/api/v1/records", Named("list"));
  r.Add(kPublic, verb::get, "/api/v1/records/{id}", Named("get"));
  r.Add(kPublic, verb::put, "/api/v1/records/{id}", Named("put"));
  EXPECT_EQ(Call(r, verb::get, "/api/v1/records"), "list");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/records/abc"), "get");
  EXPECT_EQ(Call(r, verb::put, "/api/v1/records/abc"), "put");
  EXPECT_EQ(Call(r, verb::head, "/api/v1/records/abc"), "405");
  EXPECT_EQ(Call(r, verb::delete_, "/api/v1/records/abc"), "405");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/records/abc/x"), "404");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/records/"), "404");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/Records"), "404");
  EXPECT_EQ(Call(r, verb::get, "/"), "404");
}

TEST(RouterTest, DecodesParametersAndRefusesHostileSegments) {
  Router r;
  r.Add(kPublic, verb::get, "/r/{id}", Named("get"));
  auto m = r.Find(verb::get, "/r/a%20b", kPublic);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("id"), "a b");
  for (const char* bad :
       {"/r/%2F", "/r/..%2Fetc", "/r/%00", "/r/%0d%0a", "/r/%zz", "/r/%4", "/r/%"}) {
    EXPECT_EQ(r.Find(verb::get, bad, kPublic).handler, nullptr) << bad;
  }
  // Dot segments are data, not navigation: they match as a literal id and the handler validates.
  EXPECT_EQ(r.Find(verb::get, "/r/..", kPublic).params.at("id"), "..");
}

// A route is found only by a request that reaches one of its surfaces; to any other it does not
// exist (404, never 405), and the match says where it was, for the probe report.
TEST(RouterTest, FindsARouteOnlyOnTheSurfacesItBelongsTo) {
  Router r;
  r.Add(Surface::kAdmin, verb::get, "/api/v1/admin/users", Named("users"));
  r.Add(Surface::kPublic | Surface::kAdmin, verb::post, "/api/v1/auth/login", Named("login"));
  r.Add(Surface::kMetrics, verb::get, "/metrics", Named("metrics"));
  EXPECT_EQ(Call(r, verb::get, "/api/v1/admin/users", Surface::kAdmin), "users");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/admin/users", Surface::kAll), "users");
  EXPECT_EQ(Call(r, verb::get, "/api/v1/admin/users", Surface::kPublic), "404");
  EXPECT_EQ(Call(r, verb::post, "/api/v1/admin/users", Surface::kPublic), "404");
  EXPECT_EQ(Call(r, verb::post, "/api/v1/admin/users", Surface::kAdmin), "405");
  EXPECT_EQ(Call(r, verb::post, "/api/v1/auth/login", Surface::kPublic), "login");
  EXPECT_EQ(Call(r, verb::post, "/api/v1/auth/login", Surface::kAdmin), "login");
  EXPECT_EQ(Call(r, verb::post, "/api/v1/auth/login", Surface::kMetrics), "404");
  EXPECT_EQ(Call(r, verb::get, "/metrics", Surface::kPublic | Surface::kAdmin), "404");
  EXPECT_EQ(Call(r, verb::get, "/metrics", Surface::kNone), "404");

  EXPECT_EQ(r.Find(verb::get, "/api/v1/admin/users", Surface::kPublic).elsewhere, Surface::kAdmin);
  EXPECT_EQ(r.Find(verb::post, "/api/v1/admin/users", Surface::kPublic).elsewhere, Surface::kNone)
      << "another method there is not a probe of a route";
  EXPECT_EQ(r.Find(verb::get, "/api/v1/admin/users", Surface::kAdmin).elsewhere, Surface::kNone);
  EXPECT_EQ(r.Find(verb::get, "/nowhere", Surface::kPublic).elsewhere, Surface::kNone);
}

TEST(DecodePathSegmentTest, Table) {
  struct Case {
    const char* in;
    std::optional<std::string> out;
  };
  for (const auto& c : std::vector<Case>{{"abc", "abc"},
                                         {"%41%62", "Ab"},
                                         {"%e2%82%ac", "\xe2\x82\xac"},
                                         {"%7f", std::nullopt},
                                         {"a\tb", std::nullopt},
                                         {"%2f", std::nullopt},
                                         {"%", std::nullopt},
                                         {"%a", std::nullopt}}) {
    EXPECT_EQ(DecodePathSegment(c.in), c.out) << c.in;
  }
}

}  // namespace
}  // namespace strongroom::http
