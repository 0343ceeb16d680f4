#pragma once
// GET /api/v1/audit/events?actor=&target=&action=&since=&until=&cursor=&limit= (API.md):
// security officers only; newest first; each search is itself an audit event.
// GET /api/v1/security/events takes the same filters over the security.* events alone (attacks
// detected, sources blocked and released, probes of other surfaces).

#include "api/route.h"
#include "audit/audit_log.h"
#include "audit/search.h"
#include "http/router.h"
#include "store/store.h"

namespace strongroom::api {

// Searches the audit log as `who` (security officers only) with the API's query string (actor,
// target, action, since, until: an RFC 3339 time or a date, the whole of that day, cursor,
// limit), over the actions
// that start with `prefix` ("" for all). The search is itself an audit event, `audit.search`,
// allowed or refused (a query it cannot read is refused, and recorded as such).
Result<audit::SearchPage> SearchAuditLog(audit::AuditLog& audit, const Clock& clock,
                                         const identity::Principal& who, std::string_view query,
                                         std::string_view prefix,
                                         const identity::RequestContext& ctx);

// `audit` and `clock` must outlive the table.
void AddAuditEventRoutes(RouteTable& table, audit::AuditLog& audit, const Clock& clock);

}  // namespace strongroom::api
