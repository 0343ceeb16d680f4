#pragma once
// /api/v1/admin (API.md): organisations, remits, join requests, accounts, leavers and API tokens,
// for privileged accounts. The routes only translate JSON to Lifecycle calls; every rule
// lives in lifecycle/ and authz/.

#include "api/route.h"
#include "lifecycle/lifecycle.h"

namespace strongroom::api {

// The accounts list's filters from a query's parameters (status, expiring_within_days,
// moved_since: a date or an RFC 3339 time, dormant_days; format, json or csv, is checked here
// and read by the caller). kInvalidArgument naming the filter for a value out of range.
Result<lifecycle::UserFilter> ReadUserFilter(std::map<std::string, std::string>& query);

// The organisations list's filter from a query's parameters: certificates_lapsing_within_days,
// 0 to 3650 (-1 when not given). kInvalidArgument naming it for a value out of range.
Result<int> ReadLapsingDays(std::map<std::string, std::string>& query);

// `lifecycle` must outlive the table.
void AddAdminRoutes(RouteTable& table, lifecycle::Lifecycle& lifecycle, int max_json_depth);

}  // namespace strongroom::api
