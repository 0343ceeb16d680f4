#include "web/page_kit.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>

#include "api/auth.h"
#include "api/webauthn_json.h"
#include "common/text.h"
#include "http/error_response.h"
#include "identity/sessions.h"

namespace strongroom::web {
namespace {

constexpr std::string_view kHtml = "text/html; charset=utf-8";
// How deep the JSON the console's script puts in a form may nest (a credential is one object).
constexpr int kCredentialDepth = 4;

// A day as people read it, in GOV.UK's style: "3 December 2026".
std::string ReadableDay(std::chrono::sys_days day) {
  static constexpr std::string_view kMonths[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{} {} {}", static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()));
}

}  // namespace

http::Response Html(unsigned status, std::string html) {
  return http::Response{status, std::string(kHtml), std::move(html), {}, true};
}

http::Response SeeOther(std::string location) {
  return http::Response{303, "", "", {{"Location", std::move(location)}}, true};
}

Result<http::Response> Page(const ConsoleDeps& d, unsigned status, std::string_view name,
                            const PageData& data) {
  ASSIGN_OR_RETURN(auto html, d.templates.Render(name, data));
  return Html(status, std::move(html));
}

PageData Titled(std::string title) {
  PageData data;
  data["title"] = std::move(title);
  return data;
}

bool Administers(const ConsoleDeps& d, const identity::Account& account) {
  return authz::DecideAdmin(account, authz::AdminAction::kJoinList, {account.org_id, {}, "", {}},
                            d.clock.Now())
      .allow;
}

PageData SignedIn(const ConsoleDeps& d, const Call& c, std::string title) {
  auto data = Titled(std::move(title));
  const auto& account = c.who().account;
  data["signed_in"] = true;
  // The navigation: an administrator's, or the records'; the section this page is in.
  if (Administers(d, account)) {
    data["admin"] = true;
    if (Offered(d, c.who(), authz::AdminAction::kAuditSearch)) data["searches"] = true;
    if (Offered(d, c.who(), authz::AdminAction::kOrderList)) data["holds"] = true;
  }
  std::string_view section = "in_records";
  for (const auto& [prefix, name] : {std::pair{"/exports", "in_exports"},
                                     {"/admin/join-requests", "in_joins"},
                                     {"/admin/orgs", "in_orgs"},
                                     {"/admin/users", "in_users"},
                                     {"/admin/leavers", "in_leavers"},
                                     {"/admin/audit", "in_audit"},
                                     {"/admin/retention-orders", "in_holds"},
                                     {"/admin/security-events", "in_security"},
                                     {"/account/", "in_account"}}) {
    if (c.request.path.starts_with(prefix)) section = name;
  }
  data[std::string(section)] = true;
  data["signed_in_as"] = account.username;
  data["idle_seconds"] = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(d.auth.options().idle_timeout).count());
  data["csrf_token"] =
      identity::CsrfTokenFor(c.request.Cookie(api::SessionCookieName(account.kind)));
  return data;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(ch);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 15]};
    }
  }
  return out;
}

std::string Readable(std::string_view rfc3339) {
  const auto t = ParseRfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  const auto day = std::chrono::floor<std::chrono::days>(*t);
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::minutes>(*t - day)};
  return fmt::format("{}, {:02}:{:02} UTC", ReadableDay(day), hms.hours().count(),
                     hms.minutes().count());
}

std::string ReadableDate(std::string_view date) {
  const auto t = ParseRfc3339(std::string(date) + "T00:00:00Z");
  return t ? ReadableDay(std::chrono::floor<std::chrono::days>(*t)) : std::string(date);
}

std::string Sentence(std::string message) {
  if (!message.empty() && message[0] >= 'a' && message[0] <= 'z') message[0] += 'A' - 'a';
  return message;
}

Result<http::Form> AnonymousForm(const ConsoleDeps& d, Call& c, std::string action,
                                 std::initializer_list<http::FormField> fields) {
  const auto origin = c.request.Header("Origin");
  const auto site = c.request.Header("Sec-Fetch-Site");
  if ((!origin.empty() && origin != c.request.origin) ||
      (!site.empty() && site != "same-origin" && site != "none")) {
    return d.auth.RefuseUnread(
        std::move(action),
        Error{ErrorCode::kPermissionDenied, "a form from another site is refused"}, c.context);
  }
  auto form = http::ParseForm(c.request, fields);
  if (!form) return d.auth.RefuseUnread(std::move(action), form.error(), c.context);
  return form;
}

void AddError(PageData& data, std::string_view field, const std::string& message) {
  if (!data.get("errors")) data["errors"] = PageData{PageData::type::list};
  PageData item;
  item["field"] = std::string(field);
  item["message"] = Sentence(message);
  data["errors"].push_back(item);
  data["has_errors"] = true;
  data[std::string(field) + "_error"] = Sentence(message);
}

Result<http::Response> FormAgain(const ConsoleDeps& d, std::string_view page, PageData data,
                                 std::string_view field, const Error& error) {
  AddError(data, field, error.message);
  return Page(d, http::HttpStatusFor(error.code), page, data);
}

bool ShownOnTheForm(const Error& error) {
  return error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kPermissionDenied ||
         error.code == ErrorCode::kFailedPrecondition || error.code == ErrorCode::kAlreadyExists;
}

Result<int64_t> VersionOf(const http::Form& form) {
  const auto at = form.find("version");
  const std::string_view v = at == form.end() ? std::string_view() : std::string_view(at->second);
  int64_t version = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || version < 1) {
    return Fail(ErrorCode::kInvalidArgument, "the form's version is not one this service gave");
  }
  return version;
}

PageData RemitOptions(const std::vector<std::string>& remits, std::string_view selected) {
  PageData list{PageData::type::list};
  for (const auto& remit : remits) {
    PageData option;
    option["name"] = remit;
    if (remit == selected) option["selected"] = true;
    list.push_back(option);
  }
  return list;
}

bool Offered(const ConsoleDeps& d, const identity::Principal& who, authz::Action action,
             const authz::Resource& resource) {
  return authz::Decide(who.account, action, resource, d.clock.Now()).allow;
}

bool Offered(const ConsoleDeps& d, const identity::Principal& who, authz::AdminAction action,
             const authz::AdminTarget& target) {
  return authz::DecideAdmin(who.account, action, target, d.clock.Now()).allow;
}

bool NeedsCode(const ConsoleDeps& d, Call& c, authz::AdminAction action) {
  return authz::RuleFor(action).fresh_second_factor && !d.auth.sessions.RequireRecentMfa(c.who());
}

void AskFreshFactor(const ConsoleDeps& d, Call& c, PageData& data) {
  data["needs_code"] = true;
  // No key, or a listener with no RP ID: the code alone.
  if (auto options = d.auth.security_keys.ReauthOptions(c.who(), c.context)) {
    data["reauth_options"] = boost::json::serialize(api::RequestOptionsJson(*options));
  }
}

Result<identity::Principal> Proven(const ConsoleDeps& d, Call& c, authz::AdminAction action,
                                   const http::Form& form) {
  if (!authz::RuleFor(action).fresh_second_factor) return c.who();
  return Proven(d, c, authz::RuleFor(action).name, form);
}

Result<identity::Principal> Proven(const ConsoleDeps& d, Call& c, std::string_view action,
                                   const http::Form& form) {
  if (d.auth.sessions.RequireRecentMfa(c.who())) return c.who();
  const auto field = [&](std::string_view name) {
    const auto at = form.find(name);
    return at == form.end() ? std::string() : at->second;
  };
  const auto answer = field("key_answer");
  if (!answer.empty()) {
    auto assertion = api::ParseKeyAssertion(answer, kCredentialDepth);
    if (!assertion) {
      return d.lifecycle.RefuseMalformed(c.who(), std::string(action), assertion.error(),
                                         c.context);
    }
    auto fresh = d.auth.security_keys.Reauthenticate(c.who(), *assertion, c.context);
    if (fresh || fresh.error().code != ErrorCode::kUnauthenticated) return fresh;
    return Fail(ErrorCode::kUnauthenticated, "your security key was not accepted");
  }
  // Neither (the form opened while the factor was fresh, and it is not now) is not a wrong one:
  // it is asked for, and counts against nothing.
  const auto code = field("code");
  if (code.empty()) {
    return d.lifecycle.RefuseMalformed(
        c.who(), std::string(action),
        Error{ErrorCode::kInvalidArgument,
              "this needs a fresh second factor: enter the code from your authenticator app"},
        c.context);
  }
  auto fresh = d.auth.sessions.Reauthenticate(c.who(), code, c.context);
  if (fresh || fresh.error().code != ErrorCode::kUnauthenticated) return fresh;
  return Fail(ErrorCode::kUnauthenticated, "the security code was not accepted");
}

Result<std::map<std::string, std::string>> OrgNames(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto orgs, d.lifecycle.organisations.List(c.who(), c.context));
  std::map<std::string, std::string> names;
  for (auto& org : orgs) names.emplace(std::move(org.id), std::move(org.name));
  return names;
}

std::string NameOf(const std::map<std::string, std::string>& names, const std::string& id) {
  const auto at = names.find(id);
  return at == names.end() ? id : at->second;
}

std::string Listed(std::string_view list) {
  auto items = SplitList(list);
  if (items.empty()) return "None";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

PageData Choices(std::string_view name, std::string_view legend, std::string_view hint, bool radios,
                 const std::vector<std::string>& values, const std::vector<std::string>& checked,
                 const std::string& error) {
  PageData group;
  group["name"] = std::string(name);
  group["legend"] = std::string(legend);
  group["hint"] = std::string(hint);
  std::string described = std::string(name) + "-hint";
  if (!error.empty()) {
    group["error"] = error;
    described += " " + std::string(name) + "-error";
  }
  group["described"] = described;
  group["container"] =
      radios ? "govuk-radios govuk-radios--small" : "govuk-checkboxes govuk-checkboxes--small";
  PageData options{PageData::type::list};
  for (const auto& value : values) {
    PageData option;
    option["id"] = std::string(name) + "-" + value;
    option["name"] = std::string(name);
    option["value"] = value;
    option["type"] = radios ? "radio" : "checkbox";
    option["item"] = radios ? "govuk-radios__item" : "govuk-checkboxes__item";
    option["input"] = radios ? "govuk-radios__input" : "govuk-checkboxes__input";
    option["label_class"] = radios ? "govuk-radios__label" : "govuk-checkboxes__label";
    if (std::ranges::find(checked, value) != checked.end()) option["checked"] = true;
    options.push_back(option);
  }
  group["options"] = std::move(options);
  return group;
}

PageData DateInput(std::string_view name, std::string_view legend, std::string_view hint,
                   http::Form& form, const std::string& error) {
  PageData date;
  date["name"] = std::string(name);
  date["legend"] = std::string(legend);
  date["hint"] = std::string(hint);
  for (const char* part : {"day", "month", "year"}) {
    date[part] = form[std::string(name) + "_" + part];
  }
  if (!error.empty()) date["error"] = error;
  return date;
}

std::string DateFrom(const std::string& day, const std::string& month, const std::string& year) {
  const auto number = [](const std::string& s, size_t max) {
    return !s.empty() && s.size() <= max &&
           std::ranges::all_of(s, [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  if (!number(day, 2) || !number(month, 2) || year.size() != 4 || !number(year, 4)) {
    return year + "-" + month + "-" + day;
  }
  return fmt::format("{}-{:0>2}-{:0>2}", year, month, day);
}

PageData TextField(std::string_view name, std::string_view label, std::string_view hint,
                   const std::string& value, const std::string& error) {
  PageData text;
  const std::string n(name);
  text["name"] = n;
  text["label"] = std::string(label);
  text["value"] = value;
  std::string described;
  if (!hint.empty()) {
    text["hint"] = std::string(hint);
    described = n + "-hint";
  }
  if (!error.empty()) {
    text["error"] = error;
    described += (described.empty() ? "" : " ") + n + "-error";
  }
  if (!described.empty()) text["described"] = described;
  return text;
}

PageData OrgOptions(const std::map<std::string, std::string>& orgs, std::string_view selected) {
  PageData list{PageData::type::list};
  for (const auto& [id, name] : orgs) {
    PageData org;
    org["id"] = id;
    org["name"] = name;
    if (id == selected) org["selected"] = true;
    list.push_back(org);
  }
  return list;
}

void PageTable::Add(verb method, std::string path, Credentials credentials, std::string summary,
                    PageHandler handler) {
  Add({method, std::move(path), credentials, std::move(summary), "", "",
       [d = deps_, handler = std::move(handler)](Call& c) { return handler(d, c); }});
}

void PageTable::Add(api::Route route) {
  route.errors = [&templates = deps_.templates](const Error& e) { return ErrorPage(templates, e); };
  route.page = true;
  table_.Add(std::move(route));
}

}  // namespace strongroom::web
