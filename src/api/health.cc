#include "api/health.h"

#include <boost/json.hpp>

namespace strongroom::api {

void RegisterHealthRoutes(http::Router& router, std::vector<ReadinessCheck> checks) {
  router.Add(
      http::beast_http::verb::get, "/healthz",
      [](http::Request&) -> Result<http::Response> {
        return http::Response::Json(200, R"({"status":"ok"})");
      },
      http::Dispatch::kInline);

  router.Add(http::beast_http::verb::get, "/readyz",
             [checks = std::move(checks)](http::Request& request) -> Result<http::Response> {
               boost::json::array failing;
               for (const auto& c : checks) {
                 if (!c.check()) failing.emplace_back(c.name);
               }
               if (failing.empty()) return http::Response::Json(200, R"({"status":"ready"})");
               boost::json::object body{{"status", "unavailable"},
                                        {"failing", std::move(failing)},
                                        {"request_id", request.request_id}};
               auto r = http::Response::Json(503, boost::json::serialize(body));
               r.headers.emplace_back("Retry-After", "5");
               return r;
             });
}

}  // namespace strongroom::api
