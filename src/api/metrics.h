#pragma once
// GET /metrics, on the metrics surface only: the Prometheus text exposition of what the server
// counted (http/metrics.h) and of the gauges `gauges` appends when scraped (connections, queue
// depth, the audit backlog). Operational numbers only: no record, account or address.

#include <functional>
#include <string>

#include "api/route.h"
#include "http/metrics.h"

namespace strongroom::api {

// `metrics` must outlive the table.
void AddMetricsRoute(RouteTable& table, const http::Metrics& metrics,
                     std::function<void(std::string&)> gauges);

}  // namespace strongroom::api
