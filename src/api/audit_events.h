#pragma once
// GET /api/v1/audit/events?actor=&target=&action=&since=&until=&cursor=&limit= (API.md):
// security officers only; newest first; each search is itself an audit event.
// GET /api/v1/security/events takes the same filters over the security.* events alone (attacks
// detected, sources blocked and released, probes of other surfaces).

#include "api/route.h"
#include "audit/audit_log.h"
#include "http/router.h"
#include "store/store.h"

namespace strongroom::api {

// `audit` and `clock` must outlive the table.
void AddAuditEventRoutes(RouteTable& table, audit::AuditLog& audit, const Clock& clock);

}  // namespace strongroom::api
