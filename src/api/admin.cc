#include "api/admin.h"

#include <boost/json.hpp>

#include "http/json.h"

namespace strongroom::api {
namespace {

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
          {"created_at", o.created_at}};
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
               ASSIGN_OR_RETURN(auto orgs, lifecycle.ListOrgs(who, Context(r)));
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
}

}  // namespace strongroom::api
