#include "api/admin.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

#include "api/route.h"
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

boost::json::object CertificateJson(const lifecycle::Certificate& c) {
  return {{"reference", c.reference}, {"expires_on", c.expires_on}};
}

boost::json::object OrgJson(const lifecycle::Org& o) {
  return {
      {"id", o.id},
      {"name", o.name},
      {"status", o.status},
      {"agreed_expiry_days", o.agreed_expiry_days},
      {"iso27001", CertificateJson(o.iso27001)},
      {"cyber_essentials_plus", CertificateJson(o.cyber_essentials_plus)},
      {"created_at", o.created_at},
      {"identity_provider_approves", o.identity_provider_approves},
      {"second_factor", identity::Name(o.factors.standard)},
      {"privileged_second_factor", identity::Name(o.factors.privileged)},
      {"webauthn_user_verification", identity::UserVerificationName(o.factors.user_verification)}};
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

struct Deps {
  lifecycle::Lifecycle& lifecycle;
  int depth;
};

// A handler's input read from the request; a malformed one is refused and audited as `action`.
template <typename T>
Result<T> Input(const Deps& d, Call& c, std::string_view action, Result<T> read) {
  if (!read)
    return d.lifecycle.RefuseMalformed(c.who(), std::string(action), read.error(), c.context);
  return read;
}

Result<TimePoint> ReadDate(const http::Request& r, int depth, std::string_view field) {
  ASSIGN_OR_RETURN(auto text, ReadOne(r, depth, field));
  auto t = ParseRfc3339(text);
  if (!t) t = lifecycle::ParseDate(text);
  if (!t) return Fail(ErrorCode::kInvalidArgument, std::string(field) + " must be a date");
  return *t;
}

struct Assignment {
  std::vector<std::string> roles, remits;
  std::optional<std::vector<std::string>> grants;
};

Result<Assignment> ReadAssignment(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  Assignment a;
  ASSIGN_OR_RETURN(a.roles, f.StringArray("roles", 8, 32));
  ASSIGN_OR_RETURN(a.remits, f.StringArray("remits", 64, 64));
  if (body.contains("grants")) {
    ASSIGN_OR_RETURN(a.grants, f.StringArray("grants", 33, 32));
  }
  RETURN_IF_ERROR(f.Finish());
  return a;
}

Result<std::optional<TimePoint>> ReadExpiry(const http::Request& r, int depth) {
  if (r.body().empty()) return std::optional<TimePoint>();
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  ASSIGN_OR_RETURN(auto at, f.OptionalString("at", 64));
  RETURN_IF_ERROR(f.Finish());
  if (at.empty()) return std::optional<TimePoint>();
  auto t = ParseRfc3339(at);
  if (!t) return Fail(ErrorCode::kInvalidArgument, "at must be RFC 3339 UTC");
  return std::optional<TimePoint>(*t);
}

Result<std::pair<lifecycle::Certificate, lifecycle::Certificate>> ReadCertificates(
    const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  ASSIGN_OR_RETURN(auto iso, ReadCertificate(f, "iso27001"));
  ASSIGN_OR_RETURN(auto cep, ReadCertificate(f, "cyber_essentials_plus"));
  RETURN_IF_ERROR(f.Finish());
  return std::pair{iso, cep};
}

// The policy's factors, and whether keys must verify their user (nullopt: left out, unchanged).
using FactorPolicyInput = std::pair<identity::FactorPolicy, std::optional<bool>>;

Result<FactorPolicyInput> ReadFactorPolicy(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  identity::FactorPolicy out;
  std::optional<bool> verification;
  for (const auto& [name, field] :
       {std::pair{"second_factor", &out.standard}, {"privileged_second_factor", &out.privileged}}) {
    ASSIGN_OR_RETURN(auto text, f.String(name, 32));
    auto parsed = identity::ParseSecondFactor(text);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} must be \"totp-or-webauthn\" or \"webauthn\"", name));
    }
    *field = *parsed;
  }
  // Optional: left out, it stays as it is.
  const bool given = body.if_contains("webauthn_user_verification") != nullptr;
  ASSIGN_OR_RETURN(auto uv, f.OptionalString("webauthn_user_verification", 16));
  if (given) {
    verification = identity::ParseUserVerification(uv);
    if (!verification) {
      return Fail(ErrorCode::kInvalidArgument,
                  "webauthn_user_verification must be \"required\" or \"discouraged\"");
    }
  }
  RETURN_IF_ERROR(f.Finish());
  return FactorPolicyInput{out, verification};
}

Result<bool> ReadDryRun(const http::Request& r) {
  ASSIGN_OR_RETURN(auto q, http::ParseQuery(r.query, {"dry_run"}));
  const auto& d = q["dry_run"];
  if (d != "true" && d != "false") {
    return Fail(ErrorCode::kInvalidArgument, "dry_run must be true or false");
  }
  if (!r.Header("Content-Type").starts_with("text/csv")) {
    return Fail(ErrorCode::kInvalidArgument, "Content-Type must be text/csv");
  }
  return d == "true";
}

Result<http::Response> CreateOrg(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in, Input(d, c, "admin.org.create", ReadOrg(c.request, d.depth)));
  ASSIGN_OR_RETURN(auto org, d.lifecycle.organisations.Create(c.who(), in, c.context));
  return http::Response::Json(201, boost::json::serialize(OrgJson(org)));
}

Result<http::Response> ListOrgs(const Deps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"certificates_lapsing_within_days"});
  if (!q) return d.lifecycle.RefuseMalformed(c.who(), "admin.org.list", q.error(), c.context);
  ASSIGN_OR_RETURN(auto days, Input(d, c, "admin.org.list", ReadLapsingDays(*q)));
  ASSIGN_OR_RETURN(auto orgs, d.lifecycle.organisations.List(c.who(), c.context, days));
  boost::json::array items;
  for (const auto& o : orgs) items.push_back(OrgJson(o));
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> RenewCertificates(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto certs,
                   Input(d, c, "admin.org.certificates", ReadCertificates(c.request, d.depth)));
  ASSIGN_OR_RETURN(auto org, d.lifecycle.organisations.RenewCertificates(
                                 c.who(), c.param("id"), certs.first, certs.second, c.context));
  return http::Response::Json(200, boost::json::serialize(OrgJson(org)));
}

Result<http::Response> SetFactorPolicy(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in,
                   Input(d, c, "admin.org.second_factor", ReadFactorPolicy(c.request, d.depth)));
  ASSIGN_OR_RETURN(auto org, d.lifecycle.organisations.SetFactorPolicy(
                                 c.who(), c.param("id"), in.first, in.second, c.context));
  return http::Response::Json(200, boost::json::serialize(OrgJson(org)));
}

Result<http::Response> CreateRemit(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto name,
                   Input(d, c, "admin.remit.create", ReadOne(c.request, d.depth, "name")));
  RETURN_IF_ERROR(d.lifecycle.organisations.CreateRemit(c.who(), c.param("id"), name, c.context));
  boost::json::object out{{"org", c.param("id")}, {"name", name}};
  return http::Response::Json(201, boost::json::serialize(out));
}

// A read that takes no query: anything in one is refused, and audited as `action`.
Result<void> NoQuery(const Deps& d, Call& c, std::string_view action) {
  if (auto q = http::ParseQuery(c.request.query, {}); !q) {
    return d.lifecycle.RefuseMalformed(c.who(), std::string(action), q.error(), c.context);
  }
  return {};
}

Result<http::Response> ListRemits(const Deps& d, Call& c) {
  RETURN_IF_ERROR(NoQuery(d, c, "admin.remit.list"));
  ASSIGN_OR_RETURN(auto remits,
                   d.lifecycle.organisations.Remits(c.who(), c.param("id"), c.context));
  boost::json::array items;
  for (const auto& r : remits) items.push_back({{"name", r.name}, {"created_at", r.created_at}});
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> RequestJoin(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in, Input(d, c, "admin.join_request.create", ReadJoin(c.request, d.depth)));
  ASSIGN_OR_RETURN(auto id, d.lifecycle.joiners.Request(c.who(), in, c.context));
  boost::json::object out{{"id", id}, {"status", "pending"}};
  return http::Response::Json(201, boost::json::serialize(out));
}

Result<http::Response> ApproveJoin(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto a, d.lifecycle.joiners.Approve(c.who(), c.param("id"), c.context));
  boost::json::object out{{"account_id", a.account_id},
                          {"username", a.username},
                          {"enrolment_token", a.enrolment_token},
                          {"enrolment_token_expires_at", FormatRfc3339(a.token_expires_at)},
                          {"expires_at", a.account_expires_at},
                          {"purpose", a.reopened ? "reenrol" : "join"}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> RequestReenrolment(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto id,
                   d.lifecycle.joiners.RequestReenrolment(c.who(), c.param("id"), c.context));
  boost::json::object out{{"id", id}, {"status", "pending"}, {"purpose", "reenrol"}};
  return http::Response::Json(201, boost::json::serialize(out));
}

Result<http::Response> RejectJoin(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto reason,
                   Input(d, c, "admin.join_request.reject", ReadOne(c.request, d.depth, "reason")));
  RETURN_IF_ERROR(d.lifecycle.joiners.Reject(c.who(), c.param("id"), reason, c.context));
  return http::Response::NoContent();
}

http::Response UsersCsv(const std::vector<lifecycle::UserRow>& users) {
  std::string csv =
      CsvLine({"id", "username", "org", "kind", "roles", "remits", "grants", "status", "expires_at",
               "last_login_at", "moved_at", "left_at", "name", "email"});
  for (const auto& u : users) {
    csv += CsvLine({u.id, u.username, u.org_id, u.kind, u.roles, u.remits, u.grants, u.status,
                    u.expires_at, u.last_login_at, u.moved_at, u.left_at, u.person_name,
                    u.person_email});
  }
  return CsvResponse(std::move(csv), "users.csv");
}

boost::json::object UserJson(const lifecycle::UserRow& u) {
  return {{"id", u.id},
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
          {"email", u.person_email}};
}

Result<http::Response> ListUsers(const Deps& d, Call& c) {
  auto q = http::ParseQuery(
      c.request.query, {"status", "expiring_within_days", "moved_since", "dormant_days", "format"});
  if (!q) return d.lifecycle.RefuseMalformed(c.who(), "admin.user.list", q.error(), c.context);
  ASSIGN_OR_RETURN(auto filter, Input(d, c, "admin.user.list", ReadUserFilter(*q)));
  ASSIGN_OR_RETURN(auto users, d.lifecycle.accounts.List(c.who(), filter, c.context));
  if ((*q)["format"] == "csv") return UsersCsv(users);
  boost::json::array items;
  for (const auto& u : users) items.push_back(UserJson(u));
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> ListJoinRequests(const Deps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"status", "format"});
  if (!q) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.join_request.list", q.error(), c.context);
  }
  const std::string status = (*q)["status"].empty() ? "pending" : (*q)["status"];
  ASSIGN_OR_RETURN(auto list, d.lifecycle.joiners.List(c.who(), status, c.context));
  if ((*q)["format"] == "csv") {
    std::string csv = CsvLine({"id", "org", "username", "kind", "roles", "remits", "requested_by",
                               "requested_at", "status", "purpose", "account_id"});
    for (const auto& j : list) {
      csv += CsvLine({j.id, j.org_id, j.username, j.kind, j.roles, j.remits, j.requested_by,
                      j.requested_at, j.status, j.purpose, j.account_id});
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
                     {"status", j.status},
                     {"purpose", j.purpose},
                     {"account_id", j.account_id.empty() ? boost::json::value(nullptr)
                                                         : boost::json::value(j.account_id)}});
  }
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> LockOrUnlock(const Deps& d, Call& c, bool lock) {
  ASSIGN_OR_RETURN(auto reason, ReadOne(c.request, d.depth, "reason"));
  RETURN_IF_ERROR(lock ? d.lifecycle.accounts.Lock(c.who(), c.param("id"), reason, c.context)
                       : d.lifecycle.accounts.Unlock(c.who(), c.param("id"), reason, c.context));
  return http::Response::NoContent();
}

Result<http::Response> Leave(const Deps& d, Call& c) {
  RETURN_IF_ERROR(d.lifecycle.accounts.Leave(c.who(), c.param("id"), c.context));
  return http::Response::NoContent();
}

Result<http::Response> Move(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in, Input(d, c, "admin.user.move", ReadAssignment(c.request, d.depth)));
  RETURN_IF_ERROR(
      d.lifecycle.accounts.Move(c.who(), c.param("id"), in.roles, in.remits, in.grants, c.context));
  return http::Response::NoContent();
}

Result<http::Response> Expire(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto at, Input(d, c, "admin.user.expire", ReadExpiry(c.request, d.depth)));
  RETURN_IF_ERROR(d.lifecycle.accounts.Expire(c.who(), c.param("id"), at, c.context));
  return http::Response::NoContent();
}

Result<http::Response> Renew(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto until,
                   Input(d, c, "admin.user.renew", ReadDate(c.request, d.depth, "until")));
  RETURN_IF_ERROR(d.lifecycle.accounts.Renew(c.who(), c.param("id"), until, c.context));
  return http::Response::NoContent();
}

Result<http::Response> Leavers(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto dry_run, Input(d, c, "admin.leavers", ReadDryRun(c.request)));
  ASSIGN_OR_RETURN(auto rows,
                   d.lifecycle.accounts.Leavers(c.who(), c.request.body(), dry_run, c.context));
  boost::json::array items;
  for (const auto& row : rows) {
    items.push_back({{"line", row.line}, {"username", row.username}, {"result", row.result}});
  }
  boost::json::object out{{"rows", std::move(items)}, {"applied", !dry_run}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> IssueToken(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto expires,
                   Input(d, c, "admin.token.issue", ReadDate(c.request, d.depth, "expires_at")));
  ASSIGN_OR_RETURN(auto issued,
                   d.lifecycle.accounts.IssueToken(c.who(), c.param("id"), expires, c.context));
  boost::json::object out{
      {"id", issued.id}, {"token", issued.token}, {"expires_at", issued.expires_at}};
  return http::Response::Json(201, boost::json::serialize(out));
}

Result<http::Response> ListTokens(const Deps& d, Call& c) {
  RETURN_IF_ERROR(NoQuery(d, c, "admin.token.list"));
  ASSIGN_OR_RETURN(auto tokens, d.lifecycle.accounts.Tokens(c.who(), c.param("id"), c.context));
  boost::json::array items;
  for (const auto& t : tokens) {
    items.push_back({{"id", t.id},
                     {"role", t.role},
                     {"created_by", t.created_by},
                     {"created_at", t.created_at},
                     {"expires_at", t.expires_at},
                     {"revoked_at", t.revoked_at}});
  }
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> RevokeToken(const Deps& d, Call& c) {
  RETURN_IF_ERROR(d.lifecycle.accounts.RevokeToken(c.who(), c.param("id"), c.context));
  return http::Response::NoContent();
}

// The schemas of what the admin routes take and answer.
struct Schemas {
  std::string certificate =
      ObjectSchema({{"reference", StringSchema(100)}, {"expires_on", StringSchema(10, "date")}});
  std::string org = ObjectSchema({{"name", StringSchema(200)},
                                  {"agreed_expiry_days", kIntegerSchema},
                                  {"iso27001", certificate},
                                  {"cyber_essentials_plus", certificate},
                                  {"identity_provider_approves", kBooleanSchema}},
                                 {"agreed_expiry_days", "identity_provider_approves"});
  std::string names = ArraySchema(StringSchema(64), 64);
  std::string join = ObjectSchema(
      {{"org", StringSchema(64)},
       {"username", StringSchema(256)},
       {"person", ObjectSchema({{"name", StringSchema(200)}, {"email", StringSchema(254)}})},
       {"kind", R"({"enum":["standard","privileged","service"]})"},
       {"roles", names},
       {"remits", names},
       {"grants", names},
       {"bpss_verified_on", StringSchema(10, "date")},
       {"bpss_verified_by", StringSchema(200)}},
      {"roles", "remits", "grants"});
  std::string reason = ObjectSchema({{"reason", StringSchema(500)}});
  std::string items = ObjectSchema({{"items", ArraySchema(kAnyObjectSchema, 100000)}});
};

// The routes of each part of the lifecycle, on the same handlers' dependencies.
struct AdminRoutes {
  RouteTable& table;
  Deps d;
  Schemas s;
  using C = Credentials;

  RouteHandler to(Result<http::Response> (*fn)(const Deps&, Call&)) const {
    return [d = d, fn](Call& c) { return fn(d, c); };
  }

  void Organisations() {
    table.Add({verb::post, "/api/v1/admin/orgs", C::kSessionOrToken, "Create an organisation",
               s.org, kAnyObjectSchema, to(CreateOrg)});
    table.Add(WithQuery(
        {verb::get, "/api/v1/admin/orgs", C::kSessionOrToken,
         "List organisations (certificates_lapsing_within_days)", "", s.items, to(ListOrgs)},
        {"certificates_lapsing_within_days"}));
    table.Add(
        {verb::put, "/api/v1/admin/orgs/{id}/certificates", C::kSessionOrToken,
         "Record an organisation's current supplier certificates",
         ObjectSchema({{"iso27001", s.certificate}, {"cyber_essentials_plus", s.certificate}}),
         kAnyObjectSchema, to(RenewCertificates)});
    const auto factor = R"({"type":"string","enum":["totp-or-webauthn","webauthn"]})";
    table.Add({verb::put, "/api/v1/admin/orgs/{id}/second-factor", C::kSessionOrToken,
               "Set which second factors an organisation's people may sign in with, and whether "
               "their security keys must verify their user (needs a fresh second factor)",
               ObjectSchema({{"second_factor", factor},
                             {"privileged_second_factor", factor},
                             {"webauthn_user_verification",
                              R"({"type":"string","enum":["discouraged","required"]})"}},
                            {"webauthn_user_verification"}),
               kAnyObjectSchema, to(SetFactorPolicy)});
    table.Add({verb::post, "/api/v1/admin/orgs/{id}/remits", C::kSessionOrToken, "Create a remit",
               ObjectSchema({{"name", StringSchema(64)}}), kAnyObjectSchema, to(CreateRemit)});
    table.Add({verb::get, "/api/v1/admin/orgs/{id}/remits", C::kSessionOrToken,
               "List an organisation's remits", "", s.items, to(ListRemits)});
  }

  void Joiners() {
    table.Add({verb::post, "/api/v1/admin/join-requests", C::kSessionOrToken,
               "Ask for an account (a second admin approves)", s.join, kAnyObjectSchema,
               to(RequestJoin)});
    table.Add(
        WithQuery({verb::get, "/api/v1/admin/join-requests", C::kSessionOrToken,
                   "List join requests (status, format=csv)", "", s.items, to(ListJoinRequests)},
                  {"status", "format"}));
    table.Add({verb::post, "/api/v1/admin/join-requests/{id}/approve", C::kSessionOrToken,
               "Approve a join request; answers the one-time enrolment token", kNoBody,
               kAnyObjectSchema, to(ApproveJoin)});
    table.Add({verb::post, "/api/v1/admin/join-requests/{id}/reject", C::kSessionOrToken,
               "Reject a join request", s.reason, "", to(RejectJoin)});
  }

  void Accounts() {
    table.Add(WithQuery(
        {verb::get, "/api/v1/admin/users", C::kSessionOrToken,
         "List accounts (status, expiring_within_days, moved_since, dormant_days, format)", "",
         s.items, to(ListUsers)},
        {"status", "expiring_within_days", "moved_since", "dormant_days", "format"}));
    table.Add({verb::post, "/api/v1/admin/users/{id}/lock", C::kSessionOrToken,
               "Lock an account by hand", s.reason, "",
               [d = d](Call& c) { return LockOrUnlock(d, c, true); }});
    table.Add({verb::post, "/api/v1/admin/users/{id}/unlock", C::kSessionOrToken,
               "Lift every lock on an account", s.reason, "",
               [d = d](Call& c) { return LockOrUnlock(d, c, false); }});
    table.Add({verb::post, "/api/v1/admin/users/{id}/reenrol", C::kSessionOrToken,
               "Ask for the account's owner to enrol again (a second admin approves, as a join "
               "request)",
               kNoBody, kAnyObjectSchema, to(RequestReenrolment)});
    table.Add({verb::post, "/api/v1/admin/users/{id}/leave", C::kSessionOrToken,
               "A leaver: access ends now", kNoBody, "", to(Leave)});
    table.Add(
        {verb::post, "/api/v1/admin/users/{id}/move", C::kSessionOrToken,
         "A mover: the new assignment replaces the old",
         ObjectSchema({{"roles", s.names}, {"remits", s.names}, {"grants", s.names}}, {"grants"}),
         "", to(Move)});
    table.Add({verb::post, "/api/v1/admin/users/{id}/expire", C::kSessionOrToken,
               "Expire an account now or at a time",
               ObjectSchema({{"at", StringSchema(64, "date-time")}}, {"at"}), "", to(Expire)});
    table.Add({verb::post, "/api/v1/admin/users/{id}/renew", C::kSessionOrToken,
               "Renew an account within its organisation's agreed period",
               ObjectSchema({{"until", StringSchema(64, "date")}}), "", to(Renew)});
    table.Add(WithQuery({verb::post, "/api/v1/admin/leavers", C::kSessionOrToken,
                         "Bulk leavers from a CSV body (text/csv; dry_run=true|false)",
                         R"({"type":"string","contentMediaType":"text/csv"})",
                         ObjectSchema({{"rows", ArraySchema(kAnyObjectSchema, 10000)},
                                       {"applied", kBooleanSchema}}),
                         to(Leavers)},
                        {"dry_run"}));
    table.Add({verb::post, "/api/v1/admin/users/{id}/tokens", C::kSessionOrToken,
               "Issue an API token to a service account",
               ObjectSchema({{"expires_at", StringSchema(64, "date")}}),
               ObjectSchema({{"id", StringSchema(64)},
                             {"token", StringSchema(68)},
                             {"expires_at", StringSchema(64, "date-time")}}),
               to(IssueToken)});
    table.Add({verb::get, "/api/v1/admin/users/{id}/tokens", C::kSessionOrToken,
               "List a service account's API tokens (never their secrets)", "", s.items,
               to(ListTokens)});
    table.Add({verb::post, "/api/v1/admin/tokens/{id}/revoke", C::kSessionOrToken,
               "Revoke an API token", kNoBody, "", to(RevokeToken)});
  }
};

}  // namespace

Result<int> ReadLapsingDays(std::map<std::string, std::string>& q) {
  return QueryInt(q["certificates_lapsing_within_days"], "certificates_lapsing_within_days", 0,
                  3650, -1);
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

void AddAdminRoutes(RouteTable& table, lifecycle::Lifecycle& lifecycle, int max_json_depth) {
  AdminRoutes routes{table, {lifecycle, max_json_depth}, {}};
  routes.Organisations();
  routes.Joiners();
  routes.Accounts();
}

}  // namespace strongroom::api
