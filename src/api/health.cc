#include "api/health.h"

#include <boost/json.hpp>

namespace strongroom::api {

void RegisterHealthRoutes(http::Router& router, std::vector<ReadinessCheck> checks,
                          std::function<boost::json::object()> details) {
  router.Add(
      http::beast_http::verb::get, "/healthz",
      [](http::Request&) -> Result<http::Response> {
        return http::Response::Json(200, R"({"status":"ok"})");
      },
      http::Dispatch::kInline);

  router.Add(http::beast_http::verb::get, "/readyz",
             [checks = std::move(checks),
              details = std::move(details)](http::Request& request) -> Result<http::Response> {
               boost::json::array failing;
               for (const auto& c : checks) {
                 if (!c.check()) failing.emplace_back(c.name);
               }
               boost::json::object body;
               body["status"] = failing.empty() ? "ready" : "unavailable";
               if (!failing.empty()) body["failing"] = std::move(failing);
               if (details) {
                 for (auto& [k, v] : details()) body[k] = v;
               }
               if (body["status"] == "ready") {
                 return http::Response::Json(200, boost::json::serialize(body));
               }
               body["request_id"] = request.request_id;
               auto r = http::Response::Json(503, boost::json::serialize(body));
               r.headers.emplace_back("Retry-After", "5");
               return r;
             });
}

}  // namespace strongroom::api
