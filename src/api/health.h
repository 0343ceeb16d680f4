#pragma once
// Liveness and readiness, for load balancers and orchestrators. Neither needs authentication and
// neither returns any data beyond a status word.
//   GET /healthz  200 {"status":"ok"} while the process serves requests.
//   GET /readyz   200 {"status":"ready"} when every readiness check passes (the store and the
//                 audit log can be written, the go-live gate is open), else 503
//                 {"status":"unavailable"}; asked on a listener that reaches the admin or metrics
//                 surface, the 503 also says {"failing":[names], "reasons":{name: reason}}, with
//                 a reason for the checks whose messages are written to be shown.
// Operational counters (the audit backlog, refusals) are for the metrics listener only
// (api/metrics.h), not for whoever can reach a health check.

#include <functional>
#include <string>
#include <vector>

#include "api/route.h"
#include "common/error.h"

namespace strongroom::api {

struct ReadinessCheck {
  std::string name;  // shown in the 503 body, e.g. "store"
  std::function<Result<void>()> check;
  // The failure's message names no path, address, id or secret: shown in the 503 body (on the
  // operators' listeners).
  bool explain = false;
};

void AddHealthRoutes(RouteTable& table, std::vector<ReadinessCheck> checks);

}  // namespace strongroom::api
