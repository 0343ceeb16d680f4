#pragma once
// /api/v1/admin (API.md): organisations, remits and join requests, for privileged accounts. The
// routes only translate JSON to LifecycleService calls; every rule lives in lifecycle/.

#include "api/auth.h"
#include "http/router.h"
#include "lifecycle/lifecycle_service.h"

namespace strongroom::api {

void RegisterAdminRoutes(http::Router& router, identity::AuthService& auth,
                         lifecycle::LifecycleService& lifecycle, AuthRoutesOptions options);

}  // namespace strongroom::api
