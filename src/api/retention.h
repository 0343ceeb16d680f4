#pragma once
// /api/v1/retention-orders (API.md): Retention Orders for security officers. Rules live in
// retention/.

#include "api/auth.h"
#include "http/router.h"
#include "retention/retention_service.h"

namespace strongroom::api {

void RegisterRetentionRoutes(http::Router& router, identity::AuthService& auth,
                             retention::RetentionService& retention, AuthRoutesOptions options);

}  // namespace strongroom::api
