#include "api/metrics.h"

namespace strongroom::api {

void AddMetricsRoute(RouteTable& table, const http::Metrics& metrics,
                     std::function<void(std::string&)> gauges) {
  table.Add({http::beast_http::verb::get, "/metrics", Credentials::kNone,
             "Prometheus text exposition: requests, latency, refusals, load, audit backlog", "", "",
             [&metrics, gauges = std::move(gauges)](Call&) -> Result<http::Response> {
               auto text = metrics.Render();
               if (gauges) gauges(text);
               return http::Response{
                   200, "text/plain; version=0.0.4; charset=utf-8", std::move(text), {}};
             }});
}

}  // namespace strongroom::api
