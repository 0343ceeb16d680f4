#pragma once
// GET /api/v1/audit/events?actor=&target=&action=&since=&until=&cursor=&limit= (API.md):
// security officers only; newest first; each search is itself an audit event.

#include "api/auth.h"
#include "audit/audit_log.h"
#include "http/router.h"
#include "store/store.h"

namespace strongroom::api {

// `clock` must outlive the router.
void RegisterAuditEventRoutes(http::Router& router, identity::AuthService& auth,
                              audit::AuditLog& audit, const Clock& clock,
                              AuthRoutesOptions options);

}  // namespace strongroom::api
