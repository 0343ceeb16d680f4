#include "api/scim.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/route.h"
#include "api/scim_request.h"
#include "http/error_response.h"
#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr std::string_view kScimType = "application/scim+json; charset=utf-8";
constexpr int64_t kMaxPage = 100;

http::Response ScimJson(unsigned status, const boost::json::value& body) {
  return http::Response{status, std::string(kScimType), boost::json::serialize(body), {}, false};
}

http::Response ErrorResponse(const ScimError& e) {
  const unsigned status = http::HttpStatusFor(e.error.code);
  std::string detail = e.error.message;
  if (e.error.code == ErrorCode::kInternal || e.error.code == ErrorCode::kDataLoss) {
    detail = "the request could not be completed";
  }
  boost::json::object body{{"schemas", boost::json::array{kErrorSchema}},
                           {"status", std::to_string(status)},
                           {"detail", detail}};
  if (!e.scim_type.empty()) body["scimType"] = e.scim_type;
  auto r = ScimJson(status, body);
  if (e.error.code == ErrorCode::kUnavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Lifts a service error into SCIM's error shape.
template <typename T>
ScimResult<T> Lift(Result<T> r) {
  if (!r) {
    std::string type;
    if (r.error().code == ErrorCode::kAlreadyExists) type = "uniqueness";
    if (r.error().code == ErrorCode::kInvalidArgument) type = "invalidValue";
    return std::unexpected(ScimError{r.error(), type});
  }
  return std::move(*r);
}

boost::json::object UserJson(const lifecycle::ScimUser& u) {
  boost::json::object o{
      {"schemas", boost::json::array{kUserSchema}},
      {"id", u.id},
      {"userName", u.username},
      {"name", {{"formatted", u.name}}},
      {"displayName", u.name},
      {"emails", boost::json::array{{{"value", u.email}, {"type", "work"}, {"primary", true}}}},
      {"active", u.active()},
      {"meta",
       {{"resourceType", "User"}, {"created", u.created}, {"location", "/scim/v2/Users/" + u.id}}}};
  if (!u.external_id.empty()) o["externalId"] = u.external_id;
  return o;
}

ScimResult<boost::json::object> Body(const http::Request& r, int depth) {
  auto type = r.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  if (type != "application/scim+json" && type != "application/json") {
    return Bad("invalidSyntax", "Content-Type must be application/scim+json");
  }
  auto v = http::ParseJson(r.body(), depth);
  if (!v) return Bad("invalidSyntax", v.error().message);
  if (!v->is_object()) return Bad("invalidSyntax", "the body must be a JSON object");
  return std::move(v->as_object());
}

// Runs a SCIM handler: authenticates the provisioner and renders any error in SCIM's shape.
// A SCIM handler as a route handler: its SCIM errors are answered in SCIM's shape.
template <typename Fn>
RouteHandler Scim(Fn fn) {
  return [fn](Call& c) -> Result<http::Response> {
    ScimResult<http::Response> out = fn(c);
    if (!out) return ErrorResponse(out.error());
    return std::move(*out);
  };
}

boost::json::object Discovery(std::string_view which) {
  if (which == "ServiceProviderConfig") {
    return {{"schemas",
             boost::json::array{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
            {"patch", {{"supported", true}}},
            {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
            {"filter", {{"supported", true}, {"maxResults", kMaxPage}}},
            {"changePassword", {{"supported", false}}},
            {"sort", {{"supported", false}}},
            {"etag", {{"supported", false}}},
            {"authenticationSchemes",
             boost::json::array{{{"type", "oauthbearertoken"},
                                 {"name", "API token"},
                                 {"description", "A provisioner service account's API token"}}}},
            {"meta", {{"resourceType", "ServiceProviderConfig"}}}};
  }
  const boost::json::object user_type{
      {"schemas", boost::json::array{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
      {"id", "User"},
      {"name", "User"},
      {"endpoint", "/Users"},
      {"schema", kUserSchema},
      {"meta", {{"resourceType", "ResourceType"}, {"location", "/scim/v2/ResourceTypes/User"}}}};
  if (which == "ResourceTypes") {
    return {{"schemas", boost::json::array{kListSchema}},
            {"totalResults", 1},
            {"Resources", boost::json::array{user_type}}};
  }
  auto attribute = [](const char* name, const char* type, bool required, const char* mutability,
                      const char* uniqueness) {
    return boost::json::object{{"name", name},          {"type", type},
                               {"multiValued", false},  {"required", required},
                               {"caseExact", false},    {"mutability", mutability},
                               {"returned", "default"}, {"uniqueness", uniqueness}};
  };
  boost::json::object emails = attribute("emails", "complex", true, "immutable", "none");
  emails["multiValued"] = true;
  const boost::json::object user_schema{
      {"schemas", boost::json::array{"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
      {"id", kUserSchema},
      {"name", "User"},
      {"description", "A person's account"},
      {"attributes",
       boost::json::array{attribute("userName", "string", true, "immutable", "server"),
                          attribute("displayName", "string", false, "readWrite", "none"),
                          attribute("name", "complex", false, "readWrite", "none"),
                          attribute("externalId", "string", false, "readWrite", "none"),
                          attribute("active", "boolean", false, "readWrite", "none"),
                          std::move(emails)}},
      {"meta",
       {{"resourceType", "Schema"}, {"location", "/scim/v2/Schemas/" + std::string(kUserSchema)}}}};
  return {{"schemas", boost::json::array{kListSchema}},
          {"totalResults", 1},
          {"Resources", boost::json::array{user_schema}}};
}

}  // namespace

namespace {

struct Deps {
  lifecycle::Lifecycle& lifecycle;
  int depth;
};

ScimResult<http::Response> ListUsers(const Deps& d, Call& c) {
  auto q = http::ParseQuery(
      c.request.query, {"filter", "startIndex", "count", "attributes", "excludedAttributes"}, 1024);
  if (!q) return Bad("invalidValue", q.error().message);
  std::pair<std::string, std::string> filter;
  if (!(*q)["filter"].empty()) {
    auto f = ParseFilter((*q)["filter"]);
    if (!f) return std::unexpected(f.error());
    filter = *f;
  }
  auto start = QueryNumber((*q)["startIndex"], "startIndex", 1);
  auto count = QueryNumber((*q)["count"], "count", kMaxPage);
  if (!start) return std::unexpected(start.error());
  if (!count) return std::unexpected(count.error());
  // RFC 7644 3.4.2.4: below 1 is 1; negative counts are 0.
  const int64_t from = std::max<int64_t>(1, *start);
  const int64_t n = std::clamp<int64_t>(*count, 0, kMaxPage);
  auto page = Lift(d.lifecycle.scim.List(c.who(), filter.first, filter.second, from, n, c.context));
  if (!page) return std::unexpected(page.error());
  boost::json::array resources;
  for (const auto& u : page->users) resources.push_back(UserJson(u));
  boost::json::object out{{"schemas", boost::json::array{kListSchema}},
                          {"totalResults", page->total},
                          {"startIndex", from},
                          {"itemsPerPage", static_cast<int64_t>(resources.size())},
                          {"Resources", std::move(resources)}};
  return ScimJson(200, out);
}

ScimResult<http::Response> GetUser(const Deps& d, Call& c) {
  auto user = Lift(d.lifecycle.scim.Get(c.who(), c.param("id"), c.context));
  if (!user) return std::unexpected(user.error());
  return ScimJson(200, UserJson(*user));
}

ScimResult<http::Response> CreateUser(const Deps& d, Call& c) {
  auto body = Body(c.request, d.depth);
  if (!body) return std::unexpected(body.error());
  auto in = ReadNewUser(*body);
  if (!in) return std::unexpected(in.error());
  auto user = Lift(d.lifecycle.scim.Create(c.who(), *in, c.context));
  if (!user) return std::unexpected(user.error());
  auto resp = ScimJson(201, UserJson(*user));
  resp.headers.emplace_back("Location", "/scim/v2/Users/" + user->id);
  return resp;
}

// PUT replaces, PATCH applies operations; both end in the same update.
ScimResult<http::Response> UpdateUser(const Deps& d, Call& c, bool patch) {
  auto body = Body(c.request, d.depth);
  if (!body) return std::unexpected(body.error());
  auto change = patch ? ReadPatch(*body) : ReadReplacement(*body);
  if (!change) return std::unexpected(change.error());
  auto user = Lift(d.lifecycle.scim.Update(c.who(), c.param("id"), *change, c.context));
  if (!user) return std::unexpected(user.error());
  return ScimJson(200, UserJson(*user));
}

ScimResult<http::Response> DeleteUser(const Deps& d, Call& c) {
  auto done = d.lifecycle.scim.Delete(c.who(), c.param("id"), c.context);
  if (!done) return std::unexpected(ScimError{done.error(), ""});
  return http::Response::NoContent();
}

}  // namespace

void AddScimRoutes(RouteTable& table, lifecycle::Lifecycle& lifecycle, int max_json_depth) {
  const Deps d{lifecycle, max_json_depth};
  const auto scim_errors = [](const Error& e) { return ErrorResponse(ScimError{e, ""}); };
  const std::string user = R"({"type":"object","description":"a SCIM 2.0 User, RFC 7643"})";
  auto add = [&](http::beast_http::verb method, std::string path, std::string summary,
                 std::string request, std::string response, RouteHandler handler,
                 std::initializer_list<std::string_view> query = {}) {
    Route route{method,
                std::move(path),
                Credentials::kToken,
                std::move(summary),
                std::move(request),
                std::move(response),
                std::move(handler)};
    route.errors = scim_errors;
    route.query = query;
    table.Add(std::move(route));
  };
  for (const char* which : {"ServiceProviderConfig", "ResourceTypes", "Schemas"}) {
    add(verb::get, std::string("/scim/v2/") + which, std::string("SCIM ") + which, "",
        kAnyObjectSchema, Scim([which](Call&) -> ScimResult<http::Response> {
          return ScimJson(200, Discovery(which));
        }));
  }
  add(verb::get, "/scim/v2/Users", "List the organisation's users (filter userName eq)", "",
      kAnyObjectSchema, Scim([d](Call& c) { return ListUsers(d, c); }),
      {"filter", "startIndex", "count", "attributes", "excludedAttributes"});
  add(verb::get, "/scim/v2/Users/{id}", "A user", "", user,
      Scim([d](Call& c) { return GetUser(d, c); }));
  add(verb::post, "/scim/v2/Users", "A joiner (a join request, approved as configured)", user, user,
      Scim([d](Call& c) { return CreateUser(d, c); }));
  add(verb::put, "/scim/v2/Users/{id}", "Replace a user's name, username or active", user, user,
      Scim([d](Call& c) { return UpdateUser(d, c, false); }));
  add(verb::patch, "/scim/v2/Users/{id}", "Patch a user (active=false is a leaver)",
      R"({"type":"object","description":"a SCIM PatchOp"})", user,
      Scim([d](Call& c) { return UpdateUser(d, c, true); }));
  add(verb::delete_, "/scim/v2/Users/{id}", "A leaver", "", "",
      Scim([d](Call& c) { return DeleteUser(d, c); }));
}

}  // namespace strongroom::api
