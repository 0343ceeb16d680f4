#include "api/retention.h"

#include <boost/json.hpp>

#include "api/route.h"
#include "http/json.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

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

struct Deps {
  retention::RetentionService& retention;
  int depth;
};

Result<http::Response> MakeOrder(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto in, ReadOrder(c.request, d.depth));
  ASSIGN_OR_RETURN(auto id, d.retention.CreateOrder(c.who(), in, c.context));
  boost::json::object out{{"id", id}, {"status", "active"}};
  return http::Response::Json(201, boost::json::serialize(out));
}

Result<http::Response> ListOrders(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto orders, d.retention.ListOrders(c.who(), c.context));
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
}

Result<http::Response> LiftOrder(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(c.request, d.depth));
  ASSIGN_OR_RETURN(auto f, http::RequireStringFields(body, {{"reason", 4000}}));
  RETURN_IF_ERROR(d.retention.LiftOrder(c.who(), c.param("id"), f[0], c.context));
  return http::Response::NoContent();
}

}  // namespace

void AddRetentionRoutes(RouteTable& table, retention::RetentionService& retention,
                        int max_json_depth) {
  const Deps d{retention, max_json_depth};
  const auto ids = ArraySchema(StringSchema(64), 1000);
  table.Add(
      {verb::post, "/api/v1/retention-orders", Credentials::kSessionOrToken,
       "Make a Retention Order",
       ObjectSchema({{"reference", StringSchema(400)},
                     {"reason", StringSchema(4000)},
                     {"review_on", StringSchema(10, "date")},
                     {"scope", ObjectSchema({{"org", StringSchema(64)},
                                             {"remit", StringSchema(64)},
                                             {"record_ids", ids},
                                             {"descriptors", ArraySchema(StringSchema(32), 32)}},
                                            {"remit", "record_ids", "descriptors"})}}),
       ObjectSchema({{"id", StringSchema(64)}, {"status", StringSchema(16)}}),
       [d](Call& c) { return MakeOrder(d, c); }});
  table.Add({verb::get, "/api/v1/retention-orders", Credentials::kSessionOrToken,
             "List Retention Orders", "",
             ObjectSchema({{"items", ArraySchema(kAnyObjectSchema, 100000)}}),
             [d](Call& c) { return ListOrders(d, c); }});
  table.Add({verb::post, "/api/v1/retention-orders/{id}/lift", Credentials::kSessionOrToken,
             "Lift a Retention Order (a second security officer)",
             ObjectSchema({{"reason", StringSchema(4000)}}), "",
             [d](Call& c) { return LiftOrder(d, c); }});
}

}  // namespace strongroom::api
