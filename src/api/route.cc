#include "api/route.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cstdlib>

#include "common/names.h"

namespace strongroom::api {
identity::RequestContext ContextOf(const http::Request& r) {
  return {r.remote_address, r.request_id, r.reach, std::string(r.origin)};
}

namespace {

// Where each route is served, by its path: the one place that says so. A path under none of these
// is a programming error (Add aborts), so that a new route is placed on purpose, never by default.
struct Placement {
  std::string_view prefix;
  Surface surfaces;
  bool exact = false;  // the path itself only, not those under it
};
constexpr Placement kPlacements[] = {
    {"/", Surface::kPublic | Surface::kAdmin, true},
    {"/assets/", Surface::kPublic | Surface::kAdmin},
    {"/sign-in", Surface::kPublic | Surface::kAdmin},
    {"/enrol", Surface::kPublic | Surface::kAdmin},
    {"/sign-out", Surface::kPublic | Surface::kAdmin},
    {"/keep-alive", Surface::kPublic | Surface::kAdmin, true},
    {"/account/", Surface::kPublic | Surface::kAdmin},
    {"/records", Surface::kPublic},
    {"/exports", Surface::kPublic},
    {"/admin/", Surface::kAdmin},
    {"/healthz", Surface::kAll},
    {"/readyz", Surface::kAll},
    {"/metrics", Surface::kMetrics},
    {"/api/v1/openapi.json", Surface::kPublic | Surface::kAdmin},
    {"/api/v1/auth/", Surface::kPublic | Surface::kAdmin},
    {"/api/v1/records", Surface::kPublic},
    {"/api/v1/exports", Surface::kPublic},
    {"/api/v1/admin/", Surface::kAdmin},
    {"/api/v1/audit/", Surface::kAdmin},
    {"/api/v1/security/", Surface::kAdmin},
    {"/api/v1/retention-orders", Surface::kAdmin},
    {"/api/v1/compliance", Surface::kAdmin},
    {"/scim/v2/", Surface::kAdmin},
};

bool HasToken(const http::Request& r) { return !r.Header("Authorization").empty(); }

std::string_view MethodName(http::beast_http::verb v) { return http::beast_http::to_string(v); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Sign-in and enrolment, and the console's pages before it, are the anonymous work (Argon2id,
// and anyone may ask); the other routes that take no credentials are operations (readiness,
// metrics, the API document).
http::Caller CallerOf(const Route& route) {
  if (route.credentials != Credentials::kNone) return http::Caller::kSignedIn;
  return route.page || route.path.starts_with("/api/v1/auth/") ? http::Caller::kAnyone
                                                               : http::Caller::kOperations;
}

// Whether an async route marked kInline may start on the I/O thread: a session's authentication
// only reads (its upkeep is queued), where a refused API token is audited synchronously.
bool PresentsSession(const http::Request& r) { return !HasToken(r); }

}  // namespace

Surface SurfacesOf(std::string_view path) {
  for (const auto& p : kPlacements) {
    if (p.exact ? path == p.prefix : path.starts_with(p.prefix)) return p.surfaces;
  }
  return Surface::kNone;
}

std::string_view Name(Credentials c) {
  static constexpr std::pair<Credentials, std::string_view> kNames[] = {
      {Credentials::kNone, "none"},
      {Credentials::kSession, "session"},
      {Credentials::kToken, "token"},
      {Credentials::kSessionOrToken, "session or token"},
  };
  return NameIn<Credentials>(kNames, c);
}

RouteTable::RouteTable(identity::Auth& auth, audit::AuditLog& audit, AuthRoutesOptions options)
    : auth_(auth), audit_(audit), options_(std::move(options)) {}

void RouteTable::Add(Route route) {
  // Programming errors: see route.h.
  if (installed_ || SurfacesOf(route.path) == Surface::kNone) std::abort();
  // Refusing a body is audited, which waits for the disk: never on the I/O thread.
  if (route.async && route.dispatch == http::Dispatch::kInline && route.request_schema == kNoBody) {
    std::abort();
  }
  routes_.push_back(std::move(route));
}

Result<identity::Principal> RouteTable::Authenticated(const Route& route, http::Request& request,
                                                      identity::Sessions::Upkeep upkeep) {
  ASSIGN_OR_RETURN(auto who, Authenticate(auth_, request, SurfacesOf(route.path), upkeep,
                                          route.page ? CsrfIn::kForm : CsrfIn::kHeader));
  const bool token = HasToken(request);
  const bool fits = route.credentials == Credentials::kSessionOrToken ||
                    (route.credentials == Credentials::kToken) == token;
  if (fits) return who;
  auto event = identity::EventFor(who, "http.credentials", "route", route.path, ContextOf(request));
  event.reason = token ? "an API token on a route for people signed in"
                       : "a session on a route for API tokens";
  return audit_.Refuse(
      std::move(event),
      {ErrorCode::kPermissionDenied, token ? "this route is for people signed in, not API tokens"
                                           : "this route takes an API token, not a session"});
}

Result<void> RouteTable::RefuseUnwantedBody(const Route& route, http::Request& request,
                                            const identity::Principal* who,
                                            const identity::RequestContext& ctx) {
  if (route.request_schema != kNoBody || request.body().empty()) return {};
  const Error no_body{ErrorCode::kInvalidArgument, "this request takes no body"};
  if (who == nullptr) return auth_.RefuseUnread("http.body", no_body, ctx);
  auto event = identity::EventFor(*who, "http.body", "route", route.path, ctx);
  event.reason = "a body on a route that takes none";
  return audit_.Refuse(std::move(event), no_body);
}

Result<http::Response> RouteTable::Run(const Route& route, http::Request& request) {
  Call call{request, nullptr, ContextOf(request)};
  if (route.credentials == Credentials::kNone) {
    RETURN_IF_ERROR(RefuseUnwantedBody(route, request, nullptr, call.context));
    return route.handler(call);
  }
  auto who = Authenticated(route, request, identity::Sessions::Upkeep::kWait);
  if (!who) return std::unexpected(who.error());
  RETURN_IF_ERROR(RefuseUnwantedBody(route, request, &*who, call.context));
  call.caller = &*who;
  return route.handler(call);
}

void RouteTable::Install(http::Router& router) {
  installed_ = true;
  for (const auto& route : routes_) {
    if (route.async) {
      router.AddAsync(
          SurfacesOf(route.path), route.method, route.path,
          [this, &route](http::Request& r, http::Respond respond) {
            // On the I/O thread (kInline, with a session) a session's upkeep is queued, as that
            // thread never waits for the writer; on a worker it is waited for, as before a
            // synchronous handler.
            const bool io_thread = route.dispatch == http::Dispatch::kInline && !HasToken(r);
            const auto upkeep =
                io_thread ? identity::Sessions::Upkeep::kQueue : identity::Sessions::Upkeep::kWait;
            auto who = Authenticated(route, r, upkeep);
            if (!who) return respond(std::unexpected(who.error()));
            Call call{r, &*who, ContextOf(r)};
            if (auto body = RefuseUnwantedBody(route, r, &*who, call.context); !body) {
              return respond(std::unexpected(body.error()));
            }
            route.async(call, std::move(respond));
          },
          route.dispatch == http::Dispatch::kInline ? &PresentsSession : nullptr, CallerOf(route),
          route.errors);  // made the route's answer on the connection's thread
      continue;
    }
    router.Add(
        SurfacesOf(route.path), route.method, route.path,
        [this, &route](http::Request& r) -> Result<http::Response> {
          auto answer = Run(route, r);
          if (!answer && route.errors) return route.errors(answer.error());
          return answer;
        },
        route.dispatch, CallerOf(route));
  }
  router.Add(
      SurfacesOf("/api/v1/openapi.json"), http::beast_http::verb::get, "/api/v1/openapi.json",
      [doc = OpenApi()](http::Request&) -> Result<http::Response> {
        return http::Response::Json(200, doc);
      },
      http::Dispatch::kInline);
}

std::string RouteTable::OpenApi() const {
  boost::json::object paths;
  for (const auto& route : routes_) {
    if (route.page) continue;
    const Surface surfaces = SurfacesOf(route.path);
    boost::json::object op{{"summary", route.summary},
                           {"x-strongroom-credentials", Name(route.credentials)},
                           {"x-strongroom-listener", SurfaceName(surfaces)}};
    boost::json::array security;
    const auto scheme = [&](std::string_view name) {
      security.push_back(boost::json::object{{name, boost::json::array{}}});
    };
    if (route.credentials == Credentials::kSession ||
        route.credentials == Credentials::kSessionOrToken) {
      if (Reaches(surfaces, Surface::kPublic)) scheme("session");
      if (Reaches(surfaces, Surface::kAdmin)) scheme("admin_session");
    }
    if (route.credentials == Credentials::kToken ||
        route.credentials == Credentials::kSessionOrToken) {
      scheme("token");
    }
    if (!security.empty()) op["security"] = std::move(security);
    if (!route.query.empty()) {
      boost::json::array parameters;
      for (auto name : route.query) {
        parameters.push_back({{"name", name},
                              {"in", "query"},
                              {"required", false},
                              {"schema", {{"type", "string"}}}});
      }
      op["parameters"] = std::move(parameters);
    }
    if (route.request_schema == kNoBody) {
      op["x-strongroom-body"] = "none";
    } else if (!route.request_schema.empty()) {
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json", {{"schema", boost::json::parse(route.request_schema)}}}}}};
    }
    boost::json::object ok{{"description", "success"}};
    if (!route.response_schema.empty()) {
      ok["content"] = {
          {"application/json", {{"schema", boost::json::parse(route.response_schema)}}}};
    }
    op["responses"] = {{"2XX", std::move(ok)},
                       {"default", {{"description", "an error: {\"error\":{code,message}}"}}}};
    auto& item = paths[route.path];
    if (!item.is_object()) item.emplace_object();
    item.as_object()[Lower(MethodName(route.method))] = std::move(op);
  }
  boost::json::object doc{
      {"openapi", "3.1.0"},
      {"info", {{"title", "Strongroom"}, {"version", "1"}}},
      {"paths", std::move(paths)},
      {"components",
       {{"securitySchemes",
         {{"session",
           {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(kSessionCookie)}}},
          {"admin_session",
           {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(kAdminSessionCookie)}}},
          {"token", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
  return boost::json::serialize(doc);
}

std::string ObjectSchema(std::initializer_list<std::pair<std::string_view, std::string>> properties,
                         std::initializer_list<std::string_view> optional) {
  boost::json::object props;
  boost::json::array required;
  for (const auto& [name, schema] : properties) {
    props[name] = boost::json::parse(schema);
    if (std::find(optional.begin(), optional.end(), name) == optional.end()) {
      required.emplace_back(name);
    }
  }
  return boost::json::serialize(boost::json::object{{"type", "object"},
                                                    {"properties", std::move(props)},
                                                    {"required", std::move(required)},
                                                    {"additionalProperties", false}});
}

std::string StringSchema(int max_length, std::string_view format) {
  boost::json::object s{{"type", "string"}, {"maxLength", max_length}};
  if (!format.empty()) s["format"] = format;
  return boost::json::serialize(s);
}

std::string ArraySchema(const std::string& items, int max_items) {
  return boost::json::serialize(boost::json::object{
      {"type", "array"}, {"items", boost::json::parse(items)}, {"maxItems", max_items}});
}

}  // namespace strongroom::api
