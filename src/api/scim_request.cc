#include "api/scim_request.h"

#include <charconv>

#include "http/json.h"

namespace strongroom::api {

std::unexpected<ScimError> Bad(std::string scim_type, std::string detail) {
  return std::unexpected(
      ScimError{{ErrorCode::kInvalidArgument, std::move(detail)}, std::move(scim_type)});
}

namespace {

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

}  // namespace

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

// The changes a PATCH asks for (RFC 7644 section 3.5.2).
ScimResult<lifecycle::ScimChange> ReadPatch(const boost::json::object& body) {
  const auto* schemas = body.if_contains("schemas");
  bool patch_schema = false;
  if (schemas != nullptr && schemas->is_array()) {
    for (const auto& s : schemas->as_array())
      patch_schema |= s.is_string() && s.as_string() == kScimPatchSchema;
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

}  // namespace strongroom::api
