#include "api/admin.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

#include "common/csv.h"
#include "common/text.h"
#include "http/json.h"
#include "http/query.h"
#include "lifecycle/rules.h"

namespace strongroom::api {
namespace {

// A stored comma-separated list as a JSON array: the API answers lists as it takes them (a CSV
// keeps the list in one cell).
boost::json::array ListJson(std::string_view list) {
  boost::json::array out;
  for (auto& item : SplitList(list)) out.emplace_back(item);
  return out;
}

using http::beast_http::verb;

identity::RequestContext Context(const http::Request& r) {
  return {r.remote_address, r.request_id};
}

boost::json::object CertificateJson(const lifecycle::Certificate& c) {
  return {{"reference", c.reference}, {"expires_on", c.expires_on}};
}

boost::json::object OrgJson(const lifecycle::Org& o) {
  return {{"id", o.id},
          {"name", o.name},
          {"status", o.status},
          {"agreed_expiry_days", o.agreed_expiry_days},
          {"iso27001", CertificateJson(o.iso27001)},
          {"cyber_essentials_plus", CertificateJson(o.cyber_essentials_plus)},
          {"created_at", o.created_at},
          {"identity_provider_approves", o.identity_provider_approves}};
}

Result<lifecycle::Certificate> ReadCertificate(http::FieldReader& f, std::string_view name) {
  ASSIGN_OR_RETURN(const auto* object, f.Object(name));
  http::FieldReader c(*object);
  lifecycle::Certificate out;
  ASSIGN_OR_RETURN(out.reference, c.String("reference", 400));
  ASSIGN_OR_RETURN(out.expires_on, c.String("expires_on", 10));
  RETURN_IF_ERROR(c.Finish());
  return out;
}

Result<lifecycle::OrgInput> ReadOrg(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  lifecycle::OrgInput in;
  ASSIGN_OR_RETURN(in.name, f.String("name", 800));
  ASSIGN_OR_RETURN(auto days, f.Int("agreed_expiry_days", 1, 365, 90));
  in.agreed_expiry_days = static_cast<int>(days);
  ASSIGN_OR_RETURN(in.iso27001, ReadCertificate(f, "iso27001"));
  ASSIGN_OR_RETURN(in.cyber_essentials_plus, ReadCertificate(f, "cyber_essentials_plus"));
  ASSIGN_OR_RETURN(in.identity_provider_approves, f.Bool("identity_provider_approves", false));
  RETURN_IF_ERROR(f.Finish());
  return in;
}

Result<lifecycle::JoinInput> ReadJoin(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  lifecycle::JoinInput in;
  ASSIGN_OR_RETURN(in.org_id, f.String("org", 64));
  ASSIGN_OR_RETURN(in.username, f.String("username", 256));
  ASSIGN_OR_RETURN(const auto* person, f.Object("person"));
  http::FieldReader p(*person);
  ASSIGN_OR_RETURN(in.person_name, p.String("name", 800));
  ASSIGN_OR_RETURN(in.person_email, p.String("email", 254));
  RETURN_IF_ERROR(p.Finish());
  ASSIGN_OR_RETURN(in.kind, f.String("kind", 16));
  ASSIGN_OR_RETURN(in.roles, f.StringArray("roles", 8, 32, false));
  ASSIGN_OR_RETURN(in.remits, f.StringArray("remits", 64, 64, false));
  ASSIGN_OR_RETURN(in.grants, f.StringArray("grants", 33, 32, false));
  ASSIGN_OR_RETURN(in.bpss_verified_on, f.String("bpss_verified_on", 10));
  ASSIGN_OR_RETURN(in.bpss_verified_by, f.String("bpss_verified_by", 800));
  RETURN_IF_ERROR(f.Finish());
  return in;
}

// A body of exactly one string field.
Result<std::string> ReadOne(const http::Request& r, int depth, std::string_view field) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{field, 2000}}));
  return f[0];
}

// A whole number from a query parameter ("" = `fallback`).
Result<int> QueryInt(const std::string& text, std::string_view name, int lo, int hi, int fallback) {
  if (text.empty()) return fallback;
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < lo || n > hi) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} must be a number from {} to {}", name, lo, hi));
  }
  return n;
}

http::Response CsvResponse(std::string body, std::string_view filename) {
  http::Response r{200, "text/csv; charset=utf-8", std::move(body), {}};
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment; filename=\"{}\"", filename));
  return r;
}

Result<lifecycle::UserFilter> ReadUserFilter(std::map<std::string, std::string>& q) {
  lifecycle::UserFilter f;
  f.status = q["status"];
  ASSIGN_OR_RETURN(f.expiring_within_days,
                   QueryInt(q["expiring_within_days"], "expiring_within_days", 0, 365, -1));
  ASSIGN_OR_RETURN(f.dormant_days, QueryInt(q["dormant_days"], "dormant_days", 1, 3650, -1));
  if (!q["moved_since"].empty()) {
    auto t = ParseRfc3339(q["moved_since"]);
    if (!t) t = lifecycle::ParseDate(q["moved_since"]);
    if (!t) return Fail(ErrorCode::kInvalidArgument, "moved_since must be a date or RFC 3339 time");
    f.moved_since = *t;
  }
  if (q.contains("format") && q["format"] != "csv" && q["format"] != "json") {
    return Fail(ErrorCode::kInvalidArgument, "format must be json or csv");
  }
  return f;
}

}  // namespace

void RegisterAdminRoutes(http::Router& router, identity::AuthService& auth,
                         lifecycle::LifecycleService& lifecycle, AuthRoutesOptions options) {
  const int depth = options.max_json_depth;

  router.Add(verb::post, "/api/v1/admin/orgs",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto in = ReadOrg(r, depth);
               if (!in)
                 return lifecycle.RefuseMalformed(who, "admin.org.create", in.error(), Context(r));
               ASSIGN_OR_RETURN(auto org, lifecycle.CreateOrg(who, *in, Context(r)));
               return http::Response::Json(201, boost::json::serialize(OrgJson(org)));
             });

  router.Add(verb::get, "/api/v1/admin/orgs",
             [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto q = http::ParseQuery(r.query, {"certificates_lapsing_within_days"});
               if (!q)
                 return lifecycle.RefuseMalformed(who, "admin.org.list", q.error(), Context(r));
               auto days = QueryInt((*q)["certificates_lapsing_within_days"],
                                    "certificates_lapsing_within_days", 0, 3650, -1);
               if (!days) {
                 return lifecycle.RefuseMalformed(who, "admin.org.list", days.error(), Context(r));
               }
               ASSIGN_OR_RETURN(auto orgs, lifecycle.ListOrgs(who, Context(r), *days));
               boost::json::array items;
               for (const auto& o : orgs) items.push_back(OrgJson(o));
               boost::json::object out{{"items", std::move(items)}};
               return http::Response::Json(200, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/admin/orgs/{id}/remits",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto name = ReadOne(r, depth, "name");
               if (!name) {
                 return lifecycle.RefuseMalformed(who, "admin.remit.create", name.error(),
                                                  Context(r));
               }
               RETURN_IF_ERROR(lifecycle.CreateRemit(who, r.params.at("id"), *name, Context(r)));
               boost::json::object out{{"org", r.params.at("id")}, {"name", *name}};
               return http::Response::Json(201, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/admin/join-requests",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto in = ReadJoin(r, depth);
               if (!in) {
                 return lifecycle.RefuseMalformed(who, "admin.join_request.create", in.error(),
                                                  Context(r));
               }
               ASSIGN_OR_RETURN(auto id, lifecycle.RequestJoin(who, *in, Context(r)));
               boost::json::object out{{"id", id}, {"status", "pending"}};
               return http::Response::Json(201, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/admin/join-requests/{id}/approve",
             [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto a, lifecycle.Approve(who, r.params.at("id"), Context(r)));
               boost::json::object out{
                   {"account_id", a.account_id},
                   {"username", a.username},
                   {"enrolment_token", a.enrolment_token},
                   {"enrolment_token_expires_at", FormatRfc3339(a.token_expires_at)},
                   {"expires_at", a.account_expires_at}};
               return http::Response::Json(200, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/admin/join-requests/{id}/reject",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto reason = ReadOne(r, depth, "reason");
               if (!reason) {
                 return lifecycle.RefuseMalformed(who, "admin.join_request.reject", reason.error(),
                                                  Context(r));
               }
               RETURN_IF_ERROR(lifecycle.Reject(who, r.params.at("id"), *reason, Context(r)));
               return http::Response::NoContent();
             });

  router.Add(
      verb::get, "/api/v1/admin/users",
      [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        auto q = http::ParseQuery(
            r.query, {"status", "expiring_within_days", "moved_since", "dormant_days", "format"});
        if (!q) return lifecycle.RefuseMalformed(who, "admin.user.list", q.error(), Context(r));
        auto filter = ReadUserFilter(*q);
        if (!filter) {
          return lifecycle.RefuseMalformed(who, "admin.user.list", filter.error(), Context(r));
        }
        ASSIGN_OR_RETURN(auto users, lifecycle.ListUsers(who, *filter, Context(r)));
        if ((*q)["format"] == "csv") {
          std::string csv =
              CsvLine({"id", "username", "org", "kind", "roles", "remits", "grants", "status",
                       "expires_at", "last_login_at", "moved_at", "left_at", "name", "email"});
          for (const auto& u : users) {
            csv += CsvLine({u.id, u.username, u.org_id, u.kind, u.roles, u.remits, u.grants,
                            u.status, u.expires_at, u.last_login_at, u.moved_at, u.left_at,
                            u.person_name, u.person_email});
          }
          return CsvResponse(std::move(csv), "users.csv");
        }
        boost::json::array items;
        for (const auto& u : users) {
          items.push_back({{"id", u.id},
                           {"username", u.username},
                           {"org", u.org_id},
                           {"kind", u.kind},
                           {"roles", ListJson(u.roles)},
                           {"remits", ListJson(u.remits)},
                           {"grants", ListJson(u.grants)},
                           {"status", u.status},
                           {"expires_at", u.expires_at},
                           {"last_login_at", u.last_login_at},
                           {"moved_at", u.moved_at},
                           {"left_at", u.left_at},
                           {"name", u.person_name},
                           {"email", u.person_email}});
        }
        boost::json::object out{{"items", std::move(items)}};
        return http::Response::Json(200, boost::json::serialize(out));
      });

  router.Add(verb::get, "/api/v1/admin/join-requests",
             [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto q = http::ParseQuery(r.query, {"status", "format"});
               if (!q) {
                 return lifecycle.RefuseMalformed(who, "admin.join_request.list", q.error(),
                                                  Context(r));
               }
               const std::string status = (*q)["status"].empty() ? "pending" : (*q)["status"];
               ASSIGN_OR_RETURN(auto list, lifecycle.ListJoinRequests(who, status, Context(r)));
               if ((*q)["format"] == "csv") {
                 std::string csv = CsvLine({"id", "org", "username", "kind", "roles", "remits",
                                            "requested_by", "requested_at", "status"});
                 for (const auto& j : list) {
                   csv += CsvLine({j.id, j.org_id, j.username, j.kind, j.roles, j.remits,
                                   j.requested_by, j.requested_at, j.status});
                 }
                 return CsvResponse(std::move(csv), "join-requests.csv");
               }
               boost::json::array items;
               for (const auto& j : list) {
                 items.push_back({{"id", j.id},
                                  {"org", j.org_id},
                                  {"username", j.username},
                                  {"kind", j.kind},
                                  {"roles", ListJson(j.roles)},
                                  {"remits", ListJson(j.remits)},
                                  {"requested_by", j.requested_by},
                                  {"requested_at", j.requested_at},
                                  {"status", j.status}});
               }
               boost::json::object out{{"items", std::move(items)}};
               return http::Response::Json(200, boost::json::serialize(out));
             });

  for (const bool lock : {true, false}) {
    router.Add(verb::post,
               lock ? "/api/v1/admin/users/{id}/lock" : "/api/v1/admin/users/{id}/unlock",
               [&auth, &lifecycle, options, lock](http::Request& r) -> Result<http::Response> {
                 ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
                 ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, options.max_json_depth));
                 ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"reason", 2000}}));
                 const auto& id = r.params.at("id");
                 RETURN_IF_ERROR(lock ? lifecycle.Lock(who, id, f[0], Context(r))
                                      : lifecycle.Unlock(who, id, f[0], Context(r)));
                 return http::Response::NoContent();
               });
  }

  router.Add(verb::post, "/api/v1/admin/users/{id}/leave",
             [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               RETURN_IF_ERROR(lifecycle.Leave(who, r.params.at("id"), Context(r)));
               return http::Response::NoContent();
             });

  router.Add(
      verb::post, "/api/v1/admin/users/{id}/move",
      [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        auto read = [&]() -> Result<std::tuple<std::vector<std::string>, std::vector<std::string>,
                                               std::optional<std::vector<std::string>>>> {
          ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
          http::FieldReader f(body);
          ASSIGN_OR_RETURN(auto roles, f.StringArray("roles", 8, 32));
          ASSIGN_OR_RETURN(auto remits, f.StringArray("remits", 64, 64));
          std::optional<std::vector<std::string>> grants;
          if (body.contains("grants")) {
            ASSIGN_OR_RETURN(grants, f.StringArray("grants", 33, 32));
          }
          RETURN_IF_ERROR(f.Finish());
          return std::tuple{roles, remits, grants};
        };
        auto in = read();
        if (!in) return lifecycle.RefuseMalformed(who, "admin.user.move", in.error(), Context(r));
        auto& [roles, remits, grants] = *in;
        RETURN_IF_ERROR(lifecycle.Move(who, r.params.at("id"), roles, remits, grants, Context(r)));
        return http::Response::NoContent();
      });

  router.Add(verb::post, "/api/v1/admin/users/{id}/expire",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto read = [&]() -> Result<std::optional<TimePoint>> {
                 if (r.body().empty()) return std::optional<TimePoint>();
                 ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
                 http::FieldReader f(body);
                 ASSIGN_OR_RETURN(auto at, f.OptionalString("at", 64));
                 RETURN_IF_ERROR(f.Finish());
                 if (at.empty()) return std::optional<TimePoint>();
                 auto t = ParseRfc3339(at);
                 if (!t) return Fail(ErrorCode::kInvalidArgument, "at must be RFC 3339 UTC");
                 return std::optional<TimePoint>(*t);
               };
               auto at = read();
               if (!at) {
                 return lifecycle.RefuseMalformed(who, "admin.user.expire", at.error(), Context(r));
               }
               RETURN_IF_ERROR(lifecycle.Expire(who, r.params.at("id"), *at, Context(r)));
               return http::Response::NoContent();
             });

  router.Add(verb::post, "/api/v1/admin/users/{id}/renew",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto read = [&]() -> Result<TimePoint> {
                 ASSIGN_OR_RETURN(auto text, ReadOne(r, depth, "until"));
                 auto t = ParseRfc3339(text);
                 if (!t) t = lifecycle::ParseDate(text);
                 if (!t) return Fail(ErrorCode::kInvalidArgument, "until must be a date");
                 return *t;
               };
               auto until = read();
               if (!until) {
                 return lifecycle.RefuseMalformed(who, "admin.user.renew", until.error(),
                                                  Context(r));
               }
               RETURN_IF_ERROR(lifecycle.Renew(who, r.params.at("id"), *until, Context(r)));
               return http::Response::NoContent();
             });

  router.Add(
      verb::post, "/api/v1/admin/leavers",
      [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        auto q = http::ParseQuery(r.query, {"dry_run"});
        auto check = [&]() -> Result<bool> {
          if (!q) return std::unexpected(q.error());
          const auto& d = (*q)["dry_run"];
          if (d != "true" && d != "false") {
            return Fail(ErrorCode::kInvalidArgument, "dry_run must be true or false");
          }
          const auto type = r.Header("Content-Type");
          if (!type.starts_with("text/csv")) {
            return Fail(ErrorCode::kInvalidArgument, "Content-Type must be text/csv");
          }
          return d == "true";
        };
        auto dry_run = check();
        if (!dry_run) {
          return lifecycle.RefuseMalformed(who, "admin.leavers", dry_run.error(), Context(r));
        }
        ASSIGN_OR_RETURN(auto rows, lifecycle.Leavers(who, r.body(), *dry_run, Context(r)));
        boost::json::array items;
        for (const auto& row : rows) {
          items.push_back({{"line", row.line}, {"username", row.username}, {"result", row.result}});
        }
        boost::json::object out{{"rows", std::move(items)}, {"applied", !*dry_run}};
        return http::Response::Json(200, boost::json::serialize(out));
      });

  router.Add(verb::post, "/api/v1/admin/users/{id}/tokens",
             [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto read = [&]() -> Result<TimePoint> {
                 ASSIGN_OR_RETURN(auto text, ReadOne(r, depth, "expires_at"));
                 auto t = ParseRfc3339(text);
                 if (!t) t = lifecycle::ParseDate(text);
                 if (!t) return Fail(ErrorCode::kInvalidArgument, "expires_at must be a date");
                 return *t;
               };
               auto expires = read();
               if (!expires) {
                 return lifecycle.RefuseMalformed(who, "admin.token.issue", expires.error(),
                                                  Context(r));
               }
               ASSIGN_OR_RETURN(auto issued,
                                lifecycle.IssueToken(who, r.params.at("id"), *expires, Context(r)));
               boost::json::object out{
                   {"id", issued.id}, {"token", issued.token}, {"expires_at", issued.expires_at}};
               return http::Response::Json(201, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/admin/tokens/{id}/revoke",
             [&auth, &lifecycle, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               RETURN_IF_ERROR(lifecycle.RevokeToken(who, r.params.at("id"), Context(r)));
               return http::Response::NoContent();
             });

  router.Add(
      verb::put, "/api/v1/admin/orgs/{id}/certificates",
      [&auth, &lifecycle, options, depth](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        auto read = [&]() -> Result<std::pair<lifecycle::Certificate, lifecycle::Certificate>> {
          ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
          http::FieldReader f(body);
          ASSIGN_OR_RETURN(auto iso, ReadCertificate(f, "iso27001"));
          ASSIGN_OR_RETURN(auto cep, ReadCertificate(f, "cyber_essentials_plus"));
          RETURN_IF_ERROR(f.Finish());
          return std::pair{iso, cep};
        };
        auto certs = read();
        if (!certs) {
          return lifecycle.RefuseMalformed(who, "admin.org.certificates", certs.error(),
                                           Context(r));
        }
        ASSIGN_OR_RETURN(auto org, lifecycle.RenewCertificates(who, r.params.at("id"), certs->first,
                                                               certs->second, Context(r)));
        return http::Response::Json(200, boost::json::serialize(OrgJson(org)));
      });
}

}  // namespace strongroom::api
