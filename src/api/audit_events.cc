#include "api/audit_events.h"

#include <boost/json.hpp>
#include <charconv>

#include "api/route.h"
#include "audit/search.h"
#include "authz/admin.h"
#include "http/query.h"

namespace strongroom::api {

namespace {

struct Deps {
  audit::AuditLog& audit;
  const Clock& clock;
};

// The API's query parameters as a search over the actions starting with `prefix`.
Result<audit::SearchQuery> ReadQuery(std::string_view query, std::string_view prefix) {
  ASSIGN_OR_RETURN(auto params, http::ParseQuery(query, {"actor", "target", "action", "since",
                                                         "until", "cursor", "limit"}));
  audit::SearchQuery q;
  q.action_prefix = std::string(prefix);
  q.actor = params["actor"];
  q.target = params["target"];
  q.action = params["action"];
  q.cursor = params["cursor"];
  for (auto [name, out] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    if (params[name].empty()) continue;
    auto t = ParseRfc3339(params[name]);
    // A date is the whole day: from its start, until its end (the next day's start).
    if (!t && params[name].size() == 10) {
      t = ParseRfc3339(params[name] + "T00:00:00Z");
      if (t && out == &q.until) *t += std::chrono::days(1);
    }
    if (!t) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(name) + " must be a date (2026-03-27) or an RFC 3339 UTC time");
    }
    *out = *t;
  }
  if (!params["limit"].empty()) {
    const auto& l = params["limit"];
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), q.limit);
    if (ec != std::errc() || p != l.data() + l.size()) {
      return Fail(ErrorCode::kInvalidArgument, "limit must be a number from 1 to 1000");
    }
  }
  return q;
}

Result<http::Response> SearchEvents(const Deps& deps, Call& c, std::string_view prefix) {
  ASSIGN_OR_RETURN(auto page, SearchAuditLog(deps.audit, deps.clock, c.who(), c.request.query,
                                             prefix, c.context));
  boost::json::array items;
  for (const auto& e : page.events) items.push_back(boost::json::parse(e));
  boost::json::object body{{"items", std::move(items)}, {"next_cursor", page.next_cursor}};
  return http::Response::Json(200, boost::json::serialize(body));
}

}  // namespace

Result<audit::SearchPage> SearchAuditLog(audit::AuditLog& audit, const Clock& clock,
                                         const identity::Principal& who, std::string_view query,
                                         std::string_view prefix,
                                         const identity::RequestContext& ctx) {
  auto event = identity::EventFor(who, "audit.search", "audit", "", ctx);
  event.detail["query"] = std::string(query);
  if (!prefix.empty()) event.detail["prefix"] = std::string(prefix);
  const auto may =
      authz::DecideAdmin(who.account, authz::AdminAction::kAuditSearch, {}, clock.Now());
  if (!may.allow) {
    event.reason = may.reason;
    return audit.Refuse(std::move(event), {ErrorCode::kPermissionDenied,
                                           "only security officers may search the audit log"});
  }
  auto q = ReadQuery(query, prefix);
  if (!q) return audit.Refuse(std::move(event), q.error());
  // The cursor is the log's own kind (the journal index's, or the copy's across nodes).
  if (auto checked = audit.CheckSearch(*q); !checked) {
    return audit.Refuse(std::move(event), checked.error());
  }
  event.allowed = true;
  event.reason = "security officer";
  return audit.ObserveSearch(std::move(event), *q);
}

void AddAuditEventRoutes(RouteTable& table, audit::AuditLog& audit, const Clock& clock) {
  const Deps d{audit, clock};
  const auto page = ObjectSchema(
      {{"items", ArraySchema(kAnyObjectSchema, 1000)}, {"next_cursor", StringSchema(200)}});
  const auto filters = {std::string_view("actor"),  std::string_view("target"),
                        std::string_view("action"), std::string_view("since"),
                        std::string_view("until"),  std::string_view("cursor"),
                        std::string_view("limit")};
  table.Add(
      WithQuery({http::beast_http::verb::get, "/api/v1/audit/events", Credentials::kSessionOrToken,
                 "Search the audit log (actor, target, action, since, until, cursor, limit)", "",
                 page, [d](Call& c) { return SearchEvents(d, c, ""); }},
                filters));
  table.Add(WithQuery(
      {http::beast_http::verb::get, "/api/v1/security/events", Credentials::kSessionOrToken,
       "Detected attacks, blocks and probes: the security.* events (same filters)", "", page,
       [d](Call& c) { return SearchEvents(d, c, "security."); }},
      filters));
}

}  // namespace strongroom::api
