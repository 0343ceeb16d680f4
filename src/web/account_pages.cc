// The console's pages for one's own account: security keys and passkeys (identity/
// security_keys.h), listed, added (console.js runs the browser's ceremony and posts its answer)
// and removed. Adding and removing need a fresh second factor, asked for on the form.

#include <algorithm>
#include <boost/json.hpp>

#include "api/webauthn_json.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

constexpr std::string_view kKeys = "/account/security-keys";
constexpr int kCredentialDepth = 4;

std::string Value(const http::Form& form, const std::string& name) {
  const auto at = form.find(name);
  return at == form.end() ? std::string() : at->second;
}

// The page, with a new registration ceremony; `posted` and `error` when a form comes back.
Result<http::Response> KeysPage(const ConsoleDeps& d, Call& c, const http::Form* posted,
                                const Error* error, std::string_view field) {
  ASSIGN_OR_RETURN(auto keys, d.auth.security_keys.List(c.who()));
  auto data = SignedIn(d, c, "Security keys");
  PageData rows{PageData::type::list};
  for (const auto& k : keys) {
    PageData row;
    row["id"] = PercentEncode(k.id);
    row["name"] = k.name;
    row["added"] = Readable(k.created_at);
    row["last_used"] = k.last_used_at.empty() ? std::string("Never") : Readable(k.last_used_at);
    if (!k.locked_at.empty()) row["locked"] = true;
    rows.push_back(std::move(row));
  }
  if (!keys.empty()) data["keys"] = std::move(rows);
  auto options = d.auth.security_keys.RegistrationOptions(c.who(), c.context);
  if (options) {
    data["webauthn_options"] = boost::json::serialize(api::CreationOptionsJson(*options));
  } else if (options.error().code == ErrorCode::kFailedPrecondition) {
    data["unavailable"] = Sentence(options.error().message);
  } else {
    return std::unexpected(options.error());
  }
  if (!d.auth.sessions.RequireRecentMfa(c.who())) AskFreshFactor(d, c, data);
  if (posted != nullptr) data["name_value"] = Value(*posted, "name");
  if (error != nullptr) return FormAgain(d, "account_keys", std::move(data), field, *error);
  return Page(d, 200, "account_keys", data);
}

Result<http::Response> AddKey(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(
      c.request, {{"name", 256}, {"credential", 32768}, {"code", 32}, {"key_answer", 8192}});
  if (!form) {
    return d.auth.security_keys.Refuse(c.who(), identity::SecurityKeys::Attempt::kRegistration,
                                       form.error(), c.context);
  }
  auto who = Proven(d, c, "auth.webauthn.register", *form);
  if (!who) {
    if (!ShownOnTheForm(who.error()) && who.error().code != ErrorCode::kUnauthenticated) {
      return std::unexpected(who.error());
    }
    return KeysPage(d, c, &*form, &who.error(), "code");
  }
  auto registration = api::ParseKeyRegistration((*form)["credential"], kCredentialDepth);
  if (!registration) {
    (void)d.auth.security_keys.Refuse(*who, identity::SecurityKeys::Attempt::kRegistration,
                                      registration.error(), c.context);
    const Error unread{ErrorCode::kInvalidArgument,
                       "your security key's answer could not be read: try again"};
    return KeysPage(d, c, &*form, &unread, "webauthn");
  }
  auto key = d.auth.security_keys.Register(*who, (*form)["name"], *registration, c.context);
  if (!key) {
    if (!ShownOnTheForm(key.error())) return std::unexpected(key.error());
    const bool name = key.error().message.starts_with("name");
    return KeysPage(d, c, &*form, &key.error(), name ? "name" : "webauthn");
  }
  return SeeOther(std::string(kKeys));
}

// The confirmation page for removing the key named in the path (one of the signed-in person's).
Result<http::Response> RemovePage(const ConsoleDeps& d, Call& c, const Error* error) {
  ASSIGN_OR_RETURN(auto keys, d.auth.security_keys.List(c.who()));
  const auto& id = c.param("id");
  const auto key =
      std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.id == id; });
  if (key == keys.end()) return Fail(ErrorCode::kNotFound, "no such security key");
  auto data = SignedIn(d, c, "Remove a security key");
  data["id"] = PercentEncode(key->id);
  data["name"] = key->name;
  if (!d.auth.sessions.RequireRecentMfa(c.who())) AskFreshFactor(d, c, data);
  if (error != nullptr) return FormAgain(d, "account_key_remove", std::move(data), "code", *error);
  return Page(d, 200, "account_key_remove", data);
}

Result<http::Response> RemoveKey(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"code", 32}, {"key_answer", 8192}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "auth.webauthn.remove", form.error(), c.context);
  }
  auto who = Proven(d, c, "auth.webauthn.remove", *form);
  if (!who) {
    if (!ShownOnTheForm(who.error()) && who.error().code != ErrorCode::kUnauthenticated) {
      return std::unexpected(who.error());
    }
    return RemovePage(d, c, &who.error());
  }
  RETURN_IF_ERROR(d.auth.security_keys.Remove(*who, c.param("id"), c.context));
  return SeeOther(std::string(kKeys));
}

}  // namespace

void AddAccountPages(PageTable& pages) {
  pages.Add(verb::get, std::string(kKeys), Credentials::kSession, "Your security keys and passkeys",
            [](const ConsoleDeps& d, Call& c) { return KeysPage(d, c, nullptr, nullptr, ""); });
  pages.Add(verb::post, std::string(kKeys), Credentials::kSession, "Add a security key", AddKey);
  pages.Add(verb::get, std::string(kKeys) + "/{id}/remove", Credentials::kSession,
            "Remove a security key: confirm",
            [](const ConsoleDeps& d, Call& c) { return RemovePage(d, c, nullptr); });
  pages.Add(verb::post, std::string(kKeys) + "/{id}/remove", Credentials::kSession,
            "Remove a security key", RemoveKey);
}

}  // namespace strongroom::web
