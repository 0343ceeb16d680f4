#pragma once
// SCIM 2.0 (RFC 7643/7644) at /scim/v2 for HR systems and identity providers: Users (GET by id,
// GET with `filter=userName eq "..."` or `externalId eq "..."` and startIndex/count paging, POST,
// PUT, PATCH, DELETE) and the discovery endpoints. Authenticated by a `provisioner` service
// account's API token; every answer, errors included, is application/scim+json.

#include "api/route.h"
#include "lifecycle/lifecycle.h"

namespace strongroom::api {

// `lifecycle` must outlive the table.
void AddScimRoutes(RouteTable& table, lifecycle::Lifecycle& lifecycle, int max_json_depth);

}  // namespace strongroom::api
