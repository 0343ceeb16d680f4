#pragma once
// /api/v1/admin (API.md): organisations, remits, join requests, accounts, leavers and API tokens,
// for privileged accounts. The routes only translate JSON to Lifecycle calls; every rule
// lives in lifecycle/ and authz/.

#include "api/route.h"
#include "lifecycle/lifecycle.h"

namespace strongroom::api {

// `lifecycle` must outlive the table.
void AddAdminRoutes(RouteTable& table, lifecycle::Lifecycle& lifecycle, int max_json_depth);

}  // namespace strongroom::api
