#pragma once
// Routes as data. Each route declares its method and path, the credentials its caller presents
// (none, a person's session, a service account's API token, or either), what it does, and the
// JSON Schemas of what it takes and answers. A RouteTable installs its routes on the router: for
// each request it authenticates the caller once, as the route declares (for a session on a
// state-changing request, the CSRF token and Origin too: api::Authenticate, the one place), and
// calls the route's handler with the request and its caller. Credentials of the other sort are
// refused with 403 and audited. The same table serves GET /api/v1/openapi.json (OpenAPI 3.1), so
// clients can be generated from it and the contract cannot drift from the code.
//
// Where a route is served (common/surface.h) follows from its path, in one table (SurfacesOf):
// records and exports, and the console's pages of them, on the public surface; administration,
// the audit log, retention orders, compliance and SCIM on the admin surface; sign-in on both,
// each kind of account where it signs in.
//
// Who may take an action once authenticated is authz's (the services ask it), never the table's.
//
// Thread-safety: add and install before the server starts; handlers then run concurrently.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "audit/audit_log.h"
#include "http/router.h"
#include "identity/auth.h"

namespace strongroom::api {

enum class Credentials : uint8_t {
  kNone,            // anyone (health, the sign-in and enrolment steps)
  kSession,         // a person signed in: the session cookie
  kToken,           // a service account: Authorization: Bearer <API token>
  kSessionOrToken,  // either
};
std::string_view Name(Credentials credentials);

// A request as a handler sees it: the HTTP request and, unless the route takes no credentials,
// its authenticated caller.
// Who is asking, as authentication and the audit log see a request.
identity::RequestContext ContextOf(const http::Request& r);

struct Call {
  http::Request& request;
  const identity::Principal* caller = nullptr;
  identity::RequestContext context;

  const identity::Principal& who() const { return *caller; }
  const std::string& param(const std::string& name) const { return request.params.at(name); }
};

using RouteHandler = std::function<Result<http::Response>(Call&)>;
// For the routes that answer once a write or an audit event is durable without holding a worker.
using AsyncRouteHandler = std::function<void(Call&, http::Respond)>;

struct Route {
  http::beast_http::verb method;
  std::string path;
  Credentials credentials;
  std::string summary;
  std::string request_schema;   // JSON Schema of the body; "" for GET and DELETE, kNoBody for a
                                // POST that takes none
  std::string response_schema;  // JSON Schema of a success answer; "" when it has no body
  RouteHandler handler;
  // Where the handler runs. For `async`: kInline starts it on the I/O thread when the caller
  // presents a session (for handlers that only read, then queue writes), on a worker otherwise;
  // kWorker always on a worker, which is free again once the handler returns.
  http::Dispatch dispatch = http::Dispatch::kWorker;
  // Instead of `handler`: answers through `respond`.
  AsyncRouteHandler async = nullptr;
  // How this route answers an error (authentication's included); the API's own JSON error when
  // empty. SCIM answers in SCIM's shape.
  std::function<http::Response(const Error&)> errors = nullptr;
  // The query parameters the route takes (its handler refuses any other): published in the
  // OpenAPI document, where clients and scanners find them.
  std::vector<std::string_view> query = {};
  // A page of the console (web/), not an API call: left out of the OpenAPI document, its forms
  // carry the CSRF token in a field (api::CsrfIn::kForm), and `errors` answers in HTML.
  bool page = false;
};

// `route`, taking the query parameters `names` (its handler's ParseQuery list).
inline Route WithQuery(Route route, std::initializer_list<std::string_view> names) {
  route.query = names;
  return route;
}

// The surfaces a route of `path` is served on; kNone for a path the table does not place.
Surface SurfacesOf(std::string_view path);

class RouteTable {
 public:
  // All must outlive the router the table is installed on.
  RouteTable(identity::Auth& auth, audit::AuditLog& audit, AuthRoutesOptions options);
  // The router holds the table's routes by reference: it is neither copied nor moved.
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Every Add comes before Install (a later one would move the routes the router refers to),
  // names a path SurfacesOf places, and is not an async kInline route that takes no body (its
  // refusal of a body is audited, which would wait on the I/O thread).
  void Add(Route route);
  // Installs every route added, and GET /api/v1/openapi.json.
  void Install(http::Router& router);

  const std::vector<Route>& routes() const { return routes_; }
  // The OpenAPI 3.1 document of every route added.
  std::string OpenApi() const;

 private:
  // Authenticates `request` as `route` declares; the caller, or the refusal to answer with.
  Result<identity::Principal> Authenticated(const Route& route, http::Request& request,
                                            identity::Sessions::Upkeep upkeep);
  Result<http::Response> Run(const Route& route, http::Request& request);
  // A body sent where none is taken is refused, not ignored: the caller meant something by it.
  // Audited as an attempt at "http.body", by `who` when the route takes credentials.
  Result<void> RefuseUnwantedBody(const Route& route, http::Request& request,
                                  const identity::Principal* who,
                                  const identity::RequestContext& ctx);

  identity::Auth& auth_;
  audit::AuditLog& audit_;
  const AuthRoutesOptions options_;
  std::vector<Route> routes_;
  bool installed_ = false;
};

// Schemas, written once: an object of the given properties (JSON Schema text each), all required
// unless listed in `optional`, nothing else allowed.
std::string ObjectSchema(std::initializer_list<std::pair<std::string_view, std::string>> properties,
                         std::initializer_list<std::string_view> optional = {});
std::string StringSchema(int max_length, std::string_view format = "");
std::string ArraySchema(const std::string& items, int max_items);
// The request schema of a POST that takes no body (so that a missing schema is an error).
inline const std::string kNoBody = "none";
inline const std::string kIntegerSchema = R"({"type":"integer"})";
inline const std::string kBooleanSchema = R"({"type":"boolean"})";
inline const std::string kAnyObjectSchema = R"({"type":"object"})";

}  // namespace strongroom::api
