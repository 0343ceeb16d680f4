#pragma once
// /api/v1/retention-orders (API.md): Retention Orders for security officers. Rules live in
// retention/.

#include "api/route.h"
#include "http/router.h"
#include "retention/retention_service.h"

namespace strongroom::api {

// `retention` must outlive the table.
void AddRetentionRoutes(RouteTable& table, retention::RetentionService& retention,
                        int max_json_depth);

}  // namespace strongroom::api
