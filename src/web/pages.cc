#include "web/pages.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>

#include "api/auth.h"
#include "authz/authz.h"
#include "http/error_response.h"
#include "http/form.h"
#include "http/query.h"
#include "identity/qr_svg.h"
#include "identity/sessions.h"

namespace strongroom::web {
namespace {

using api::Call;
using api::Credentials;
using http::beast_http::verb;

constexpr std::string_view kHtml = "text/html; charset=utf-8";

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

// The layout's signed-in parts: who, and the CSRF token its sign-out form (and every other form
// of the page) carries.
PageData SignedIn(const Call& c, std::string title) {
  auto data = Titled(std::move(title));
  const auto& account = c.who().account;
  data["signed_in"] = true;
  data["username"] = account.username;
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

// A time as people read it, in GOV.UK's style: "3 December 2026, 10:36 UTC".
std::string Readable(std::string_view rfc3339) {
  static constexpr std::string_view kMonths[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
  const auto t = ParseRfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  const auto day = std::chrono::floor<std::chrono::days>(*t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::minutes>(*t - day)};
  return fmt::format("{} {} {}, {:02}:{:02} UTC", static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     hms.hours().count(), hms.minutes().count());
}

struct Heading {
  unsigned status;
  std::string_view text;
};
constexpr Heading kHeadings[] = {
    {400, "There is a problem with what was sent"},
    {403, "You cannot do this"},
    {404, "Page not found"},
    {409, "This has changed since you opened it"},
    {412, "This has changed since you opened it"},
    {413, "What was sent is too large"},
    {429, "Too many attempts"},
    {503, "Sorry, the service is unavailable"},
};

// The page for `error`: a request not signed in is sent to sign in; otherwise the status of the
// one mapping (http/error_response.h) and, for the caller's own mistakes, what the service said
// (as the API says it); never the detail of a fault of the service's.
http::Response ErrorPage(const Templates& templates, const Error& error) {
  if (error.code == ErrorCode::kUnauthenticated) return SeeOther("/sign-in");
  const unsigned status = http::HttpStatusFor(error.code);
  std::string_view heading = "Sorry, there is a problem with the service";
  for (const auto& h : kHeadings) {
    if (h.status == status) heading = h.text;
  }
  auto data = Titled(std::string(heading));
  data["heading"] = std::string(heading);
  data["message"] = status < 500 ? error.message : "Try again later.";
  auto html = templates.Render("error", data);
  if (!html) {
    return Html(status, "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem.");
  }
  return Html(status, std::move(*html));
}

// A form posted before there is a session has no CSRF token to carry: the browser's word that it
// came from this site stands in for one (login CSRF).
Result<void> FromThisSite(const http::Request& r) {
  const auto origin = r.Header("Origin");
  const auto site = r.Header("Sec-Fetch-Site");
  if ((!origin.empty() && origin != r.origin) ||
      (!site.empty() && site != "same-origin" && site != "none")) {
    return Fail(ErrorCode::kPermissionDenied, "a form from another site is refused");
  }
  return {};
}

// A form's error for `field`, in the layout's summary and beside the field.
void AddError(PageData& data, std::string_view field, const std::string& message) {
  if (!data.get("errors")) data["errors"] = PageData{PageData::type::list};
  PageData item;
  item["field"] = std::string(field);
  item["message"] = message;
  data["errors"].push_back(item);
  data["has_errors"] = true;
  data[std::string(field) + "_error"] = message;
}

// --- Signing in ---------------------------------------------------------------------------------

Result<http::Response> SignInPage(const ConsoleDeps& d, Call&) {
  return Page(d, 200, "sign_in", Titled("Sign in"));
}

Result<http::Response> SignIn(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(FromThisSite(c.request));
  ASSIGN_OR_RETURN(auto form, http::ParseForm(c.request, {{"username", 256}, {"password", 1024}}));
  auto challenge = d.auth.sign_in.Login(form["username"], form["password"],
                                        c.request.Cookie(api::kDeviceCookie), c.context);
  if (!challenge) {
    auto data = Titled("Sign in");
    data["username_value"] = form["username"];
    AddError(data, "username", challenge.error().message);
    return Page(d, http::HttpStatusFor(challenge.error().code), "sign_in", data);
  }
  auto data = Titled("Enter your security code");
  data["challenge"] = *challenge;
  return Page(d, 200, "sign_in_code", data);
}

Result<http::Response> CompleteSignIn(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(FromThisSite(c.request));
  ASSIGN_OR_RETURN(auto form, http::ParseForm(c.request, {{"challenge", 128}, {"code", 32}}));
  auto session = d.auth.sign_in.CompleteMfa(form["challenge"], form["code"], c.context);
  if (!session) {
    auto data = Titled("Enter your security code");
    data["challenge"] = form["challenge"];
    AddError(data, "code", session.error().message);
    return Page(d, http::HttpStatusFor(session.error().code), "sign_in_code", data);
  }
  auto resp = SeeOther("/records");
  for (auto& cookie : api::SignedInCookies(*session, c.request, d.auth.options())) {
    resp.headers.push_back(std::move(cookie));
  }
  return resp;
}

Result<http::Response> SignOut(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(d.auth.sessions.Logout(c.who(), c.context));
  auto resp = SeeOther("/sign-in");
  resp.headers.push_back(api::SignedOutCookie(c.who().account.kind));
  return resp;
}

// --- Enrolment ----------------------------------------------------------------------------------

Result<http::Response> EnrolPage(const ConsoleDeps& d, Call&) {
  return Page(d, 200, "enrol", Titled("Set up your account"));
}

// The TOTP secret of an otpauth:// URI, in groups of four for typing.
std::string SecretOf(std::string_view uri) {
  const auto at = uri.find("secret=");
  if (at == std::string_view::npos) return "";
  auto secret = uri.substr(at + 7);
  secret = secret.substr(0, secret.find('&'));
  std::string grouped;
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i > 0 && i % 4 == 0) grouped += ' ';
    grouped += secret[i];
  }
  return grouped;
}

Result<http::Response> Enrol(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(FromThisSite(c.request));
  ASSIGN_OR_RETURN(
      auto form,
      http::ParseForm(c.request, {{"token", 128}, {"password", 1024}, {"password_again", 1024}}));
  auto again = Titled("Set up your account");
  again["token_value"] = form["token"];
  if (form["password"] != form["password_again"]) {
    AddError(again, "password", "the two passwords are not the same");
    return Page(d, 400, "enrol", again);
  }
  auto start = d.auth.enrolment.Begin(form["token"], form["password"], c.context);
  if (!start) {
    const bool password = start.error().message.starts_with("password");
    AddError(again, password ? "password" : "token", start.error().message);
    return Page(d, http::HttpStatusFor(start.error().code), "enrol", again);
  }
  ASSIGN_OR_RETURN(auto qr, identity::QrCodePath(start->totp_uri));
  auto data = Titled("Set up your authenticator app");
  data["token"] = form["token"];
  data["qr_size"] = std::to_string(qr.size);
  data["qr_path"] = qr.path;
  data["secret"] = SecretOf(start->totp_uri);
  return Page(d, 200, "enrol_code", data);
}

Result<http::Response> ConfirmEnrolment(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(FromThisSite(c.request));
  ASSIGN_OR_RETURN(auto form, http::ParseForm(c.request, {{"token", 128}, {"code", 32}}));
  auto codes = d.auth.enrolment.Confirm(form["token"], form["code"], c.context);
  if (!codes) {
    // The secret was shown once: the page asks for the code again, without it.
    auto data = Titled("Set up your authenticator app");
    data["token"] = form["token"];
    AddError(data, "code", codes.error().message);
    return Page(d, http::HttpStatusFor(codes.error().code), "enrol_code", data);
  }
  auto data = Titled("Your account is set up");
  PageData list{PageData::type::list};
  for (const auto& code : *codes) list.push_back(PageData(code));
  data["codes"] = std::move(list);
  return Page(d, 200, "enrol_done", data);
}

// --- Records ------------------------------------------------------------------------------------

// The remits `who` may create records in (authz decides; the service decides again).
std::vector<std::string> CreatableRemits(const ConsoleDeps& d, const identity::Principal& who) {
  std::vector<std::string> out;
  const auto now = d.clock.Now();
  for (const auto& remit : who.account.remits) {
    const authz::Resource resource{who.account.org_id, remit, "OFFICIAL", {}};
    if (authz::Decide(who.account, authz::Action::kCreate, resource, now).allow) {
      out.push_back(remit);
    }
  }
  return out;
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

Result<http::Response> ListRecords(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"remit", "cursor"});
  if (!q) return d.records.RefuseMalformed(c.who(), "record.list", "", q.error(), c.context);
  auto& remit = (*q)["remit"];
  ASSIGN_OR_RETURN(auto page, d.records.List(c.who(), remit, 50, (*q)["cursor"], c.context));
  auto data = SignedIn(c, "Records");
  data["remits"] = RemitOptions(c.who().account.remits, remit);
  if (!CreatableRemits(d, c.who()).empty()) data["can_create"] = true;
  PageData items{PageData::type::list};
  for (const auto& s : page.items) {
    PageData item;
    item["id"] = PercentEncode(s.id);
    item["title"] = s.title;
    item["remit"] = s.remit;
    item["classification"] = s.classification;
    item["updated_at"] = Readable(s.updated_at);
    items.push_back(item);
  }
  if (!page.items.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  if (!page.next_cursor.empty()) {
    std::string next = "/records?";
    if (!remit.empty()) next += "remit=" + PercentEncode(remit) + "&";
    data["next"] = next + "cursor=" + PercentEncode(page.next_cursor);
  }
  return Page(d, 200, "records", data);
}

// The record's content, one entry per field of its body: text as it is, anything else as JSON.
PageData ContentFields(const std::string& body_json) {
  PageData fields{PageData::type::list};
  boost::system::error_code ec;
  const auto body = boost::json::parse(body_json, ec);
  if (ec || !body.is_object()) return fields;
  for (const auto& [name, value] : body.as_object()) {
    PageData field;
    field["name"] = std::string(name);
    field["value"] =
        value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
    fields.push_back(field);
  }
  return fields;
}

// As the API's view (api/records.cc): with a session it starts on the I/O thread, and the page is
// rendered once the view's audit event is durable.
void ViewRecord(const ConsoleDeps& d, Call& c, http::Respond respond) {
  auto data = SignedIn(c, "");
  d.records.GetAsync(c.who(), c.param("id"), c.context,
                     [d, data = std::move(data),
                      respond = std::move(respond)](Result<records::Record> record) mutable {
                       if (!record) return respond(std::unexpected(record.error()));
                       const auto& s = record->summary;
                       data["title"] = s.title;
                       data["record_title"] = s.title;
                       data["remit"] = s.remit;
                       data["classification"] = s.classification;
                       PageData descriptors{PageData::type::list};
                       for (const auto& desc : s.descriptors) descriptors.push_back(PageData(desc));
                       data["descriptors"] = std::move(descriptors);
                       data["version"] = std::to_string(s.version);
                       data["created_at"] = Readable(s.created_at);
                       data["updated_at"] = Readable(s.updated_at);
                       data["retain_until"] = Readable(s.retain_until);
                       data["author"] = s.author;
                       data["fields"] = ContentFields(record->body_json);
                       respond(Page(d, 200, "record", data));
                     });
}

struct NewRecord {
  std::string remit, title, classification, text;
};

Result<http::Response> NewRecordForm(const ConsoleDeps& d, Call& c, const NewRecord& values,
                                     const Error* error) {
  const auto remits = CreatableRemits(d, c.who());
  if (remits.empty()) {
    return Fail(ErrorCode::kPermissionDenied, "you may not create records in any of your remits");
  }
  auto data = SignedIn(c, "Create a record");
  data["remits"] = RemitOptions(remits, values.remit);
  data["title_value"] = values.title;
  data["text_value"] = values.text;
  if (values.classification == authz::kSensitive) data["sensitive"] = true;
  if (error == nullptr) return Page(d, 200, "record_new", data);
  // The field the service named first, for the error summary's link.
  std::string field = "text";
  for (const std::string_view name : {"remit", "title", "classification"}) {
    if (error->message.find(name) != std::string::npos) {
      field = name;
      break;
    }
  }
  AddError(data, field, error->message);
  return Page(d, http::HttpStatusFor(error->code), "record_new", data);
}

Result<http::Response> CreateRecord(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 256},
                                          {"title", records::kMaxTitleChars * 4},
                                          {"classification", 32},
                                          {"text", 65536, true}});
  if (!form) {
    return d.records.RefuseMalformed(c.who(), "record.create", "", form.error(), c.context);
  }
  NewRecord values{(*form)["remit"], (*form)["title"], (*form)["classification"], (*form)["text"]};
  records::RecordInput in;
  in.remit = values.remit;
  in.title = values.title;
  in.classification = values.classification;
  in.body_json = boost::json::serialize(boost::json::object{{"text", values.text}});
  auto written = d.records.Create(c.who(), in, c.context);
  if (!written) {
    if (written.error().code != ErrorCode::kInvalidArgument) {
      return std::unexpected(written.error());
    }
    return NewRecordForm(d, c, values, &written.error());
  }
  return SeeOther("/records/" + PercentEncode(written->id));
}

// --- Assets -------------------------------------------------------------------------------------

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "";
}

// The assets served: every embedded file under "assets/" of a type above.
Result<http::Response> Asset(Call& c) {
  const auto& name = c.param("name");
  for (const auto& f : EmbeddedFiles()) {
    if (f.name.starts_with("assets/") && f.name.substr(7) == name && !ContentTypeOf(name).empty()) {
      // The API's policy, not a page's: an asset is never a document to run (an SVG opened on
      // its own runs nothing).
      return http::Response{200, std::string(ContentTypeOf(name)), std::string(f.text), {}, false};
    }
  }
  return Fail(ErrorCode::kNotFound, "no such asset");
}

}  // namespace

void AddConsolePages(api::RouteTable& table, const ConsoleDeps& deps) {
  const ConsoleDeps d = deps;
  // Every route here is a page, and answers errors with one.
  const auto add = [&table, &templates = deps.templates](api::Route route) {
    route.errors = [&templates](const Error& e) { return ErrorPage(templates, e); };
    route.page = true;
    table.Add(std::move(route));
  };
  const auto page = [&add](verb method, std::string path, Credentials credentials,
                           std::string summary, api::RouteHandler handler) {
    add({method, std::move(path), credentials, std::move(summary), "", "", std::move(handler)});
  };
  page(verb::get, "/", Credentials::kNone, "The console's start: the records",
       [](Call&) -> Result<http::Response> { return SeeOther("/records"); });
  page(verb::get, "/sign-in", Credentials::kNone, "Sign in: the password",
       [d](Call& c) { return SignInPage(d, c); });
  page(verb::post, "/sign-in", Credentials::kNone, "Sign in: check the password",
       [d](Call& c) { return SignIn(d, c); });
  page(verb::post, "/sign-in/code", Credentials::kNone, "Sign in: the second factor",
       [d](Call& c) { return CompleteSignIn(d, c); });
  page(verb::get, "/enrol", Credentials::kNone, "Enrolment: the token and a password",
       [d](Call& c) { return EnrolPage(d, c); });
  page(verb::post, "/enrol", Credentials::kNone, "Enrolment: the authenticator app",
       [d](Call& c) { return Enrol(d, c); });
  page(verb::post, "/enrol/confirm", Credentials::kNone, "Enrolment: the first code",
       [d](Call& c) { return ConfirmEnrolment(d, c); });
  page(verb::post, "/sign-out", Credentials::kSession, "Sign out",
       [d](Call& c) { return SignOut(d, c); });
  page(verb::get, "/records", Credentials::kSession, "Records",
       [d](Call& c) { return ListRecords(d, c); });
  page(verb::post, "/records", Credentials::kSession, "Create a record",
       [d](Call& c) { return CreateRecord(d, c); });
  page(verb::get, "/records/new", Credentials::kSession, "The form to create a record",
       [d](Call& c) { return NewRecordForm(d, c, {}, nullptr); });
  add({verb::get, "/records/{id}", Credentials::kSession, "A record", "", "", nullptr,
       http::Dispatch::kInline,
       [d](Call& c, http::Respond respond) { ViewRecord(d, c, std::move(respond)); }});
  add({verb::get, "/assets/{name}", Credentials::kNone, "The console's styles and scripts", "", "",
       [](Call& c) { return Asset(c); }, http::Dispatch::kInline});
}

}  // namespace strongroom::web
