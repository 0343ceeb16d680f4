#include "api/retention.h"

#include <boost/json.hpp>

#include "http/json.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

identity::RequestContext Context(const http::Request& r) {
  return {r.remote_address, r.request_id};
}

Result<retention::OrderInput> ReadOrder(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  retention::OrderInput in;
  ASSIGN_OR_RETURN(in.reference, f.String("reference", 400));
  ASSIGN_OR_RETURN(in.reason, f.String("reason", 4000));
  ASSIGN_OR_RETURN(in.review_on, f.String("review_on", 10));
  ASSIGN_OR_RETURN(const auto* scope, f.Object("scope"));
  RETURN_IF_ERROR(f.Finish());
  http::FieldReader s(*scope);
  ASSIGN_OR_RETURN(in.org_id, s.String("org", 64));
  ASSIGN_OR_RETURN(in.remit, s.OptionalString("remit", 64));
  ASSIGN_OR_RETURN(in.record_ids, s.StringArray("record_ids", 1000, 64, false));
  ASSIGN_OR_RETURN(in.descriptors, s.StringArray("descriptors", 32, 32, false));
  RETURN_IF_ERROR(s.Finish());
  return in;
}

}  // namespace

void RegisterRetentionRoutes(http::Router& router, identity::AuthService& auth,
                             retention::RetentionService& retention, AuthRoutesOptions options) {
  const int depth = options.max_json_depth;

  router.Add(verb::post, "/api/v1/retention-orders",
             [&auth, &retention, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto in, ReadOrder(r, depth));
               ASSIGN_OR_RETURN(auto id, retention.CreateOrder(who, in, Context(r)));
               boost::json::object out{{"id", id}, {"status", "active"}};
               return http::Response::Json(201, boost::json::serialize(out));
             });

  router.Add(verb::get, "/api/v1/retention-orders",
             [&auth, &retention, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto orders, retention.ListOrders(who, Context(r)));
               boost::json::array items;
               for (const auto& o : orders) {
                 items.push_back({{"id", o.id},
                                  {"reference", o.reference},
                                  {"reason", o.reason},
                                  {"scope",
                                   {{"org", o.org_id},
                                    {"remit", o.remit},
                                    {"record_ids", o.record_ids},
                                    {"descriptors", o.descriptors}}},
                                  {"review_on", o.review_on},
                                  {"created_by", o.created_by},
                                  {"created_at", o.created_at},
                                  {"status", o.status},
                                  {"lifted_by", o.lifted_by},
                                  {"lifted_at", o.lifted_at}});
               }
               boost::json::object out{{"items", std::move(items)}};
               return http::Response::Json(200, boost::json::serialize(out));
             });

  router.Add(verb::post, "/api/v1/retention-orders/{id}/lift",
             [&auth, &retention, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
               ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"reason", 4000}}));
               RETURN_IF_ERROR(retention.LiftOrder(who, r.params.at("id"), f[0], Context(r)));
               return http::Response::NoContent();
             });
}

}  // namespace strongroom::api
