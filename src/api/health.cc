#include "api/health.h"

#include <boost/json.hpp>

namespace strongroom::api {

namespace {

Result<http::Response> Ready(const std::vector<ReadinessCheck>& checks, Call& c) {
  boost::json::array failing;
  boost::json::object reasons;
  for (const auto& check : checks) {
    auto r = check.check();
    if (r) continue;
    failing.emplace_back(check.name);
    if (check.explain) reasons[check.name] = r.error().message;
  }
  boost::json::object body;
  body["status"] = failing.empty() ? "ready" : "unavailable";
  // What fails, and why, is for the operators' listeners (admin, metrics): the public one is told
  // only that the service is not ready.
  if (Reaches(c.context.reach, Surface::kAdmin | Surface::kMetrics)) {
    if (!failing.empty()) body["failing"] = std::move(failing);
    if (!reasons.empty()) body["reasons"] = std::move(reasons);
  }
  if (body["status"] == "ready") return http::Response::Json(200, boost::json::serialize(body));
  body["request_id"] = c.request.request_id;
  auto r = http::Response::Json(503, boost::json::serialize(body));
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

}  // namespace

void AddHealthRoutes(RouteTable& table, std::vector<ReadinessCheck> checks) {
  const auto status = ObjectSchema({{"status", StringSchema(16)}});
  table.Add({http::beast_http::verb::get, "/healthz", Credentials::kNone,
             "Liveness: the process serves requests", "", status,
             [](Call&) -> Result<http::Response> {
               return http::Response::Json(200, R"({"status":"ok"})");
             },
             http::Dispatch::kInline});
  table.Add({http::beast_http::verb::get, "/readyz", Credentials::kNone,
             "Readiness: the store and the audit log can be written, and the go-live gate is open",
             "", kAnyObjectSchema,
             [checks = std::move(checks)](Call& c) { return Ready(checks, c); }});
}

}  // namespace strongroom::api
