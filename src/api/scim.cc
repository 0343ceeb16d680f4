#include "api/scim.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

#include "api/route.h"
#include "http/error_response.h"
#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr std::string_view kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
constexpr std::string_view kScimType = "application/scim+json; charset=utf-8";
constexpr int64_t kMaxPage = 100;

// An error in SCIM's shape (RFC 7644 section 3.12), carrying the status of the one mapping.
struct ScimError {
  Error error;
  std::string scim_type;  // "" = none
};

std::unexpected<ScimError> Bad(std::string scim_type, std::string detail) {
  return std::unexpected(
      ScimError{{ErrorCode::kInvalidArgument, std::move(detail)}, std::move(scim_type)});
}

http::Response ScimJson(unsigned status, const boost::json::value& body) {
  return http::Response{status, std::string(kScimType), boost::json::serialize(body), {}};
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

template <typename T>
using ScimResult = std::expected<T, ScimError>;

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

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Providers send booleans as JSON booleans or as "True"/"False" strings (Microsoft Entra ID).
ScimResult<bool> Bool(const boost::json::value& v, std::string_view what) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_string()) {
    const auto s = Lower(v.as_string());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return Bad("invalidValue", std::string(what) + " must be true or false");
}

ScimResult<std::string> String(const boost::json::value& v, std::string_view what,
                               size_t max_bytes) {
  if (!v.is_string()) return Bad("invalidValue", std::string(what) + " must be a string");
  if (v.as_string().size() > max_bytes) {
    return Bad("invalidValue", std::string(what) + " is too long");
  }
  return std::string(v.as_string());
}

// The string attribute `key` of `o`, if it has one.
ScimResult<std::optional<std::string>> OptionalString(const boost::json::object& o,
                                                      std::string_view key, size_t max_bytes) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::optional<std::string>();
  auto s = String(*v, key, max_bytes);
  if (!s) return std::unexpected(s.error());
  return std::optional<std::string>(std::move(*s));
}

// The boolean attribute `key` of `o`, if it has one.
ScimResult<std::optional<bool>> OptionalBool(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::optional<bool>();
  auto b = Bool(*v, key);
  if (!b) return std::unexpected(b.error());
  return std::optional<bool>(*b);
}

// The name a person goes by: displayName, else name.formatted, else given and family names.
ScimResult<std::string> NameOf(const boost::json::object& o) {
  if (const auto* d = o.if_contains("displayName")) return String(*d, "displayName", 800);
  if (const auto* n = o.if_contains("name")) {
    if (!n->is_object()) return Bad("invalidValue", "name must be an object");
    const auto& name = n->as_object();
    if (const auto* f = name.if_contains("formatted")) return String(*f, "name.formatted", 800);
    std::string out;
    for (const char* part : {"givenName", "familyName"}) {
      if (const auto* p = name.if_contains(part)) {
        auto s = String(*p, part, 400);
        if (!s) return std::unexpected(s.error());
        if (!out.empty() && !s->empty()) out += ' ';
        out += *s;
      }
    }
    if (!out.empty()) return out;
  }
  return std::string();
}

ScimResult<std::string> EmailOf(const boost::json::object& o) {
  const auto* emails = o.if_contains("emails");
  if (emails == nullptr) return std::string();
  if (!emails->is_array()) return Bad("invalidValue", "emails must be an array");
  std::string first;
  for (const auto& e : emails->as_array()) {
    if (!e.is_object() || !e.as_object().contains("value")) {
      return Bad("invalidValue", "each email needs a value");
    }
    auto value = String(e.as_object().at("value"), "emails.value", 254);
    if (!value) return std::unexpected(value.error());
    const auto* primary = e.as_object().if_contains("primary");
    if (primary != nullptr && Bool(*primary, "primary").value_or(false)) return *value;
    if (first.empty()) first = *value;
  }
  return first;
}

// `attribute eq "value"` for userName or externalId: the filters provisioning clients send.
ScimResult<std::pair<std::string, std::string>> ParseFilter(std::string_view f) {
  const auto sp1 = f.find(' ');
  if (sp1 == std::string_view::npos)
    return Bad("invalidFilter", "filter must be: attribute eq \"value\"");
  const auto attribute = Lower(f.substr(0, sp1));
  auto rest = f.substr(sp1 + 1);
  if (rest.size() < 4 ||
      (rest.substr(0, 3) != "eq " && rest.substr(0, 3) != "EQ " && rest.substr(0, 3) != "Eq ")) {
    return Bad("invalidFilter", "only the eq operator is supported");
  }
  auto literal = rest.substr(3);
  auto value = http::ParseJson(literal, 2);
  if (!value || !value->is_string()) {
    return Bad("invalidFilter", "the filter's value must be a quoted string");
  }
  if (attribute == "username")
    return std::pair{std::string("userName"), std::string(value->as_string())};
  if (attribute == "externalid") {
    return std::pair{std::string("externalId"), std::string(value->as_string())};
  }
  return Bad("invalidFilter", "filters are supported on userName and externalId only");
}

ScimResult<int64_t> QueryNumber(const std::string& text, std::string_view name, int64_t fallback) {
  if (text.empty()) return fallback;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Bad("invalidValue", std::string(name) + " must be a whole number");
  }
  return n;
}

// One attribute a PATCH operation sets (or, with `remove`, removes) on `change`.
ScimResult<void> ApplyPatchPath(lifecycle::ScimChange& change, std::string_view path_text,
                                const boost::json::value* value, bool remove) {
  const auto path = Lower(path_text);
  if (remove) {
    if (path != "externalid") return Bad("mutability", "that attribute cannot be removed");
    change.external_id = "";
    return {};
  }
  if (value == nullptr) return Bad("invalidSyntax", "an operation needs a value");
  auto set = [&](std::optional<std::string>& field, std::string_view what,
                 size_t max) -> ScimResult<void> {
    auto s = String(*value, what, max);
    if (!s) return std::unexpected(s.error());
    field = std::move(*s);
    return {};
  };
  if (path == "active") {
    auto b = Bool(*value, "active");
    if (!b) return std::unexpected(b.error());
    change.active = *b;
    return {};
  }
  if (path == "displayname" || path == "name.formatted") {
    return set(change.name, "displayName", 800);
  }
  if (path == "externalid") return set(change.external_id, "externalId", 800);
  if (path == "username") return set(change.username, "userName", 256);
  if (path == "name.givenname" || path == "name.familyname" || path.starts_with("emails") ||
      path == "preferredlanguage" || path == "title" || path == "locale" || path == "timezone") {
    return {};  // kept by the identity provider, not here: accepted and ignored
  }
  return Bad("invalidPath", "that attribute is not supported");
}

// One PATCH operation: with a path, one attribute; without, an object of attributes.
ScimResult<void> ApplyPatchOperation(lifecycle::ScimChange& change, const boost::json::value& op) {
  if (!op.is_object()) return Bad("invalidSyntax", "each operation must be an object");
  const auto& o = op.as_object();
  const auto* name = o.if_contains("op");
  if (name == nullptr || !name->is_string()) return Bad("invalidSyntax", "each operation needs op");
  const auto verb_name = Lower(name->as_string());
  if (verb_name != "add" && verb_name != "replace" && verb_name != "remove") {
    return Bad("invalidSyntax", "op must be add, replace or remove");
  }
  const auto* path = o.if_contains("path");
  const auto* value = o.if_contains("value");
  if (path != nullptr) {
    if (!path->is_string()) return Bad("invalidPath", "path must be a string");
    return ApplyPatchPath(change, path->as_string(), value, verb_name == "remove");
  }
  if (verb_name == "remove") return Bad("noTarget", "remove needs a path");
  if (value == nullptr || !value->is_object()) {
    return Bad("invalidSyntax", "without a path, value must be an object");
  }
  for (const auto& kv : value->as_object()) {
    if (kv.key() == "name" && kv.value().is_object()) {
      for (const auto& part : kv.value().as_object()) {
        auto r = ApplyPatchPath(change, "name." + std::string(part.key()), &part.value(), false);
        if (!r) return r;
      }
      continue;
    }
    if (auto r = ApplyPatchPath(change, kv.key(), &kv.value(), false); !r) return r;
  }
  return {};
}

// The changes a PATCH asks for (RFC 7644 section 3.5.2).
ScimResult<lifecycle::ScimChange> ReadPatch(const boost::json::object& body) {
  const auto* schemas = body.if_contains("schemas");
  bool patch_schema = false;
  if (schemas != nullptr && schemas->is_array()) {
    for (const auto& s : schemas->as_array())
      patch_schema |= s.is_string() && s.as_string() == kPatchSchema;
  }
  if (!patch_schema) return Bad("invalidSyntax", "schemas must name the PatchOp schema");
  const auto* ops = body.if_contains("Operations");
  if (ops == nullptr || !ops->is_array() || ops->as_array().empty()) {
    return Bad("invalidSyntax", "Operations must be a non-empty array");
  }
  lifecycle::ScimChange change;
  for (const auto& op : ops->as_array()) {
    if (auto r = ApplyPatchOperation(change, op); !r) return std::unexpected(r.error());
  }
  return change;
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

ScimResult<lifecycle::ScimUserInput> ReadNewUser(const boost::json::object& body) {
  lifecycle::ScimUserInput in;
  const auto* user_name = body.if_contains("userName");
  if (user_name == nullptr) return Bad("invalidValue", "userName is required");
  auto name = String(*user_name, "userName", 256);
  if (!name) return std::unexpected(name.error());
  in.username = *name;
  auto person = NameOf(body);
  if (!person) return std::unexpected(person.error());
  in.name = person->empty() ? in.username : *person;
  auto email = EmailOf(body);
  if (!email) return std::unexpected(email.error());
  if (email->empty()) return Bad("invalidValue", "emails is required");
  in.email = *email;
  auto external_id = OptionalString(body, "externalId", 800);
  if (!external_id) return std::unexpected(external_id.error());
  in.external_id = external_id->value_or("");
  auto active = OptionalBool(body, "active");
  if (!active) return std::unexpected(active.error());
  if (*active == false) return Bad("invalidValue", "a new user must be active");
  return in;
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

ScimResult<lifecycle::ScimChange> ReadReplacement(const boost::json::object& body) {
  lifecycle::ScimChange change;
  auto username = OptionalString(body, "userName", 256);
  if (!username) return std::unexpected(username.error());
  change.username = *username;
  auto person = NameOf(body);
  if (!person) return std::unexpected(person.error());
  if (!person->empty()) change.name = *person;
  auto external_id = OptionalString(body, "externalId", 800);
  if (!external_id) return std::unexpected(external_id.error());
  change.external_id = *external_id;
  // Okta's PUT may leave out `active`: then it stays as it is.
  auto active = OptionalBool(body, "active");
  if (!active) return std::unexpected(active.error());
  change.active = *active;
  return change;
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
