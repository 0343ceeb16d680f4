#include "api/audit_events.h"

#include <boost/json.hpp>
#include <charconv>

#include "audit/search.h"
#include "authz/admin.h"
#include "http/query.h"

namespace strongroom::api {

void RegisterAuditEventRoutes(http::Router& router, identity::AuthService& auth,
                              audit::AuditLog& audit, const Clock& clock,
                              AuthRoutesOptions options) {
  router.Add(
      http::beast_http::verb::get, "/api/v1/audit/events",
      [&auth, &audit, &clock, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto principal, Authenticate(auth, r, options));
        auto event = identity::EventFor(principal, "audit.search", "audit", "",
                                        {r.remote_address, r.request_id});
        event.detail["query"] = r.query;
        const auto d = authz::DecideAdmin(principal.account, authz::AdminAction::kAuditSearch, {},
                                          clock.Now());
        if (!d.allow) {
          event.allowed = false;
          event.reason = d.reason;
          event.outcome = "permission_denied";
          RETURN_IF_ERROR(audit.Record(event));
          return Fail(ErrorCode::kPermissionDenied,
                      "only security officers may search the audit log");
        }
        ASSIGN_OR_RETURN(auto params,
                         http::ParseQuery(r.query, {"actor", "target", "action", "since", "until",
                                                    "cursor", "limit"}));
        audit::SearchQuery q;
        q.actor = params["actor"];
        q.target = params["target"];
        q.action = params["action"];
        q.cursor = params["cursor"];
        for (auto [name, out] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
          if (params[name].empty()) continue;
          auto t = ParseRfc3339(params[name]);
          if (!t)
            return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be RFC 3339 UTC");
          *out = *t;
        }
        if (!params["limit"].empty()) {
          const auto& l = params["limit"];
          auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), q.limit);
          if (ec != std::errc() || p != l.data() + l.size()) {
            return Fail(ErrorCode::kInvalidArgument, "limit must be a number from 1 to 1000");
          }
        }
        event.allowed = true;
        event.reason = "security officer";
        ASSIGN_OR_RETURN(auto page,
                         audit.Observe<audit::SearchPage>(
                             event, [&](store::Transaction& tx) { return audit::Search(tx, q); }));
        boost::json::array items;
        for (const auto& e : page.events) items.push_back(boost::json::parse(e));
        boost::json::object body{{"items", std::move(items)}, {"next_cursor", page.next_cursor}};
        return http::Response::Json(200, boost::json::serialize(body));
      });
}

}  // namespace strongroom::api
