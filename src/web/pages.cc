#include "web/pages.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>

#include "api/auth.h"
#include "authz/admin.h"
#include "authz/authz.h"
#include "common/text.h"
#include "http/error_response.h"
#include "http/form.h"
#include "http/query.h"
#include "identity/qr_svg.h"
#include "identity/sessions.h"
#include "lifecycle/lifecycle.h"

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

// Whether `account` administers (authz decides): its pages are the administration's.
bool Administers(const ConsoleDeps& d, const identity::Account& account) {
  return authz::DecideAdmin(account, authz::AdminAction::kJoinList, {account.org_id, {}, "", {}},
                            d.clock.Now())
      .allow;
}

// The layout's signed-in parts: who, and the CSRF token its sign-out form (and every other form
// of the page) carries.
PageData SignedIn(const ConsoleDeps& d, const Call& c, std::string title) {
  auto data = Titled(std::move(title));
  const auto& account = c.who().account;
  data["signed_in"] = true;
  // The navigation: an administrator's, or the records'; the section this page is in.
  if (Administers(d, account)) data["admin"] = true;
  std::string_view section = "in_records";
  for (const auto& [prefix, name] : {std::pair{"/exports", "in_exports"},
                                     {"/admin/join-requests", "in_joins"},
                                     {"/admin/users", "in_users"}}) {
    if (c.request.path.starts_with(prefix)) section = name;
  }
  data[std::string(section)] = true;
  data["signed_in_as"] = account.username;
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

// A day as people read it, in GOV.UK's style: "3 December 2026".
std::string ReadableDay(std::chrono::sys_days day) {
  static constexpr std::string_view kMonths[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{} {} {}", static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()));
}

// A time as people read it: "3 December 2026, 10:36 UTC"; as given if it is not RFC 3339.
std::string Readable(std::string_view rfc3339) {
  const auto t = ParseRfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  const auto day = std::chrono::floor<std::chrono::days>(*t);
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::minutes>(*t - day)};
  return fmt::format("{}, {:02}:{:02} UTC", ReadableDay(day), hms.hours().count(),
                     hms.minutes().count());
}

// A date ("2026-01-15") as people read it: "15 January 2026"; as given if it is not one.
std::string ReadableDate(std::string_view date) {
  const auto t = ParseRfc3339(std::string(date) + "T00:00:00Z");
  return t ? ReadableDay(std::chrono::floor<std::chrono::days>(*t)) : std::string(date);
}

// A service's message as a sentence on a page: GOV.UK's error messages start with a capital.
std::string Sentence(std::string message) {
  if (!message.empty() && message[0] >= 'a' && message[0] <= 'z') message[0] += 'A' - 'a';
  return message;
}

struct Heading {
  unsigned status;
  std::string_view text;
};
constexpr Heading kHeadings[] = {
    {400, "There is a problem with what was sent"},
    {403, "You cannot do this"},
    {404, "Page not found"},
    {409, "This cannot be done now"},
    {413, "What was sent is too large"},
    {429, "Too many attempts"},
    {503, "Sorry, the service is unavailable"},
};

// A form posted before there is a session: it has no CSRF token to carry, so the browser's word
// that it came from this site stands in for one (login CSRF); then it is parsed as any form. A
// refusal of either is audited as an anonymous attempt at `action`.
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

// A form's error for `field`, in the layout's summary and beside the field.
void AddError(PageData& data, std::string_view field, const std::string& message) {
  if (!data.get("errors")) data["errors"] = PageData{PageData::type::list};
  PageData item;
  item["field"] = std::string(field);
  item["message"] = Sentence(message);
  data["errors"].push_back(item);
  data["has_errors"] = true;
  data[std::string(field) + "_error"] = Sentence(message);
}

// The form `page` again, with `data`'s values kept and `error` beside `field`; the status is the
// error's.
Result<http::Response> FormAgain(const ConsoleDeps& d, std::string_view page, PageData data,
                                 std::string_view field, const Error& error) {
  AddError(data, field, error.message);
  return Page(d, http::HttpStatusFor(error.code), page, data);
}

// --- Signing in ---------------------------------------------------------------------------------

Result<http::Response> SignInPage(const ConsoleDeps& d, Call&) {
  return Page(d, 200, "sign_in", Titled("Sign in"));
}

Result<http::Response> SignIn(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form, AnonymousForm(d, c, "auth.login.password",
                                            {{"username", 256}, {"password", 1024}}));
  auto challenge = d.auth.sign_in.Login(form["username"], form["password"],
                                        c.request.Cookie(api::kDeviceCookie), c.context);
  if (!challenge) {
    auto data = Titled("Sign in");
    data["username_value"] = form["username"];
    return FormAgain(d, "sign_in", std::move(data), "username", challenge.error());
  }
  auto data = Titled("Enter your security code");
  data["challenge"] = *challenge;
  return Page(d, 200, "sign_in_code", data);
}

Result<http::Response> CompleteSignIn(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.login", {{"challenge", 128}, {"code", 32}}));
  auto session = d.auth.sign_in.CompleteMfa(form["challenge"], form["code"], c.context);
  if (!session) {
    auto data = Titled("Enter your security code");
    data["challenge"] = form["challenge"];
    return FormAgain(d, "sign_in_code", std::move(data), "code", session.error());
  }
  auto resp = SeeOther("/");
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
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.enrol.begin",
                                 {{"token", 128}, {"password", 1024}, {"password_again", 1024}}));
  auto again = Titled("Set up your account");
  again["token_value"] = form["token"];
  if (form["password"] != form["password_again"]) {
    return FormAgain(d, "enrol", std::move(again), "password",
                     Error{ErrorCode::kInvalidArgument, "the two passwords are not the same"});
  }
  auto start = d.auth.enrolment.Begin(form["token"], form["password"], c.context);
  if (!start) {
    const bool password = start.error().message.starts_with("password");
    return FormAgain(d, "enrol", std::move(again), password ? "password" : "token", start.error());
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
  ASSIGN_OR_RETURN(auto form,
                   AnonymousForm(d, c, "auth.enrol.confirm", {{"token", 128}, {"code", 32}}));
  auto codes = d.auth.enrolment.Confirm(form["token"], form["code"], c.context);
  if (!codes) {
    // The secret was shown once: the page asks for the code again, without it.
    auto data = Titled("Set up your authenticator app");
    data["token"] = form["token"];
    return FormAgain(d, "enrol_code", std::move(data), "code", codes.error());
  }
  auto data = Titled("Your account is set up");
  PageData list{PageData::type::list};
  for (const auto& code : *codes) list.push_back(PageData(code));
  data["codes"] = std::move(list);
  return Page(d, 200, "enrol_done", data);
}

// --- Records ------------------------------------------------------------------------------------

// Whether authz lets `who` do `action` to `resource` now: what a page offers. The service decides
// again when it is done.
bool Offered(const ConsoleDeps& d, const identity::Principal& who, authz::Action action,
             const authz::Resource& resource) {
  return authz::Decide(who.account, action, resource, d.clock.Now()).allow;
}

// The remits `who` may create records in.
std::vector<std::string> CreatableRemits(const ConsoleDeps& d, const identity::Principal& who) {
  std::vector<std::string> out;
  for (const auto& remit : who.account.remits) {
    if (Offered(d, who, authz::Action::kCreate, {who.account.org_id, remit, "OFFICIAL", {}})) {
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

std::string RecordPath(std::string_view id) { return "/records/" + PercentEncode(id); }

Result<http::Response> ListRecords(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"remit", "cursor"});
  if (!q) return d.records.RefuseMalformed(c.who(), "record.list", "", q.error(), c.context);
  auto& remit = (*q)["remit"];
  ASSIGN_OR_RETURN(auto page, d.records.List(c.who(), remit, 50, (*q)["cursor"], c.context));
  auto data = SignedIn(d, c, "Records");
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
PageData ContentFields(const boost::json::value& body) {
  PageData fields{PageData::type::list};
  if (!body.is_object()) return fields;
  for (const auto& [name, value] : body.as_object()) {
    PageData field;
    field["name"] = std::string(name);
    field["value"] =
        value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
    fields.push_back(field);
  }
  return fields;
}

boost::json::value ParseBody(const std::string& body_json) {
  boost::system::error_code ec;
  auto body = boost::json::parse(body_json, ec);
  return ec ? boost::json::value() : body;
}

// As the API's view (api/records.cc): with a session it starts on the I/O thread, and the page is
// rendered once the view's audit event is durable.
void ViewRecord(const ConsoleDeps& d, Call& c, http::Respond respond) {
  auto data = SignedIn(d, c, "");
  d.records.GetAsync(c.who(), c.param("id"), c.context,
                     [d, who = c.who(), data = std::move(data),
                      respond = std::move(respond)](Result<records::Record> record) mutable {
                       if (!record) return respond(std::unexpected(record.error()));
                       const auto& s = record->summary;
                       data["title"] = s.title;
                       data["record_title"] = s.title;
                       data["id"] = PercentEncode(s.id);
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
                       data["fields"] = ContentFields(ParseBody(record->body_json));
                       const authz::Resource resource{who.account.org_id, s.remit, s.classification,
                                                      s.descriptors};
                       const bool update = Offered(d, who, authz::Action::kUpdate, resource);
                       const bool remove = Offered(d, who, authz::Action::kDelete, resource);
                       if (update) data["can_update"] = true;
                       if (remove) data["can_delete"] = true;
                       if (update || remove) data["can_change"] = true;
                       respond(Page(d, 200, "record", data));
                     });
}

// What a record's form holds: the record's values when it opens, the post's when it comes back.
struct RecordValues {
  std::string id;  // "" for a new record
  std::string version;
  std::string remit, title, classification, text;
  std::vector<std::string> descriptors;
  // The console edits a body of one text field (as it creates them); any other body is kept.
  bool text_editable = true;
};

Result<http::Response> RecordForm(const ConsoleDeps& d, Call& c, const RecordValues& v,
                                  const Error* error) {
  const bool editing = !v.id.empty();
  auto data = SignedIn(d, c, editing ? "Change this record" : "Create a record");
  if (editing) {
    data["editing"] = true;
    if (!v.remit.empty()) data["remit"] = v.remit;
    data["version"] = v.version;
    data["action"] = RecordPath(v.id) + "/edit";
    data["cancel"] = RecordPath(v.id);
    data["button"] = "Save changes";
  } else {
    const auto remits = CreatableRemits(d, c.who());
    if (remits.empty()) {
      return Fail(ErrorCode::kPermissionDenied, "you may not create records in any of your remits");
    }
    data["remits"] = RemitOptions(remits, v.remit);
    data["action"] = "/records";
    data["cancel"] = "/records";
    data["button"] = "Create record";
  }
  data["title_value"] = v.title;
  if (v.text_editable) {
    data["text_editable"] = true;
    data["text_value"] = v.text;
  }
  if (v.classification == authz::kSensitive) data["sensitive"] = true;
  PageData descriptors{PageData::type::list};
  for (const auto& name : d.records.options().descriptors) {
    PageData item;
    item["name"] = name;
    if (std::ranges::find(v.descriptors, name) != v.descriptors.end()) item["checked"] = true;
    descriptors.push_back(item);
  }
  data["descriptors"] = std::move(descriptors);
  if (error == nullptr) return Page(d, 200, "record_form", data);
  if (error->code == ErrorCode::kFailedPrecondition) {
    return FormAgain(d, "record_form", std::move(data), "title",
                     Error{error->code,
                           "This record has changed since you opened it. Open it again to see "
                           "the changes, then make yours."});
  }
  // The field the service named first, for the error summary's link.
  std::string_view field = v.text_editable ? "text" : "title";
  for (const std::string_view name : {"remit", "title", "classification", "descriptor"}) {
    if (error->message.find(name) != std::string::npos) {
      field = name == "descriptor" ? "descriptors" : name;
      break;
    }
  }
  return FormAgain(d, "record_form", std::move(data), field, *error);
}

// The errors a form is shown again for: the person can put them right there.
bool ShownOnTheForm(const Error& error) {
  return error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kPermissionDenied ||
         error.code == ErrorCode::kFailedPrecondition || error.code == ErrorCode::kAlreadyExists;
}

constexpr size_t kDescriptorBytes = 32;

Result<http::Response> CreateRecord(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 256},
                                          {"title", records::kMaxTitleChars * 4},
                                          {"classification", 32},
                                          {"descriptors", kDescriptorBytes, false, true},
                                          {"text", 65536, true}});
  if (!form) {
    return d.records.RefuseMalformed(c.who(), "record.create", "", form.error(), c.context);
  }
  RecordValues values{.remit = (*form)["remit"],
                      .title = (*form)["title"],
                      .classification = (*form)["classification"],
                      .text = (*form)["text"],
                      .descriptors = http::FormValues(*form, "descriptors")};
  records::RecordInput in;
  in.remit = values.remit;
  in.title = values.title;
  in.classification = values.classification;
  in.descriptors = values.descriptors;
  in.body_json = boost::json::serialize(boost::json::object{{"text", values.text}});
  auto written = d.records.Create(c.who(), in, c.context);
  if (!written) {
    if (!ShownOnTheForm(written.error())) return std::unexpected(written.error());
    return RecordForm(d, c, values, &written.error());
  }
  return SeeOther(RecordPath(written->id));
}

// The text of a body the console can edit (one text field, or none); nullopt for any other.
std::optional<std::string> EditableText(const boost::json::value& body) {
  if (!body.is_object()) return std::nullopt;
  const auto& object = body.as_object();
  if (object.empty()) return std::string();
  const auto* text = object.if_contains("text");
  if (object.size() != 1 || text == nullptr || !text->is_string()) return std::nullopt;
  return std::string(text->as_string());
}

Result<http::Response> EditRecordForm(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), c.param("id"), c.context));
  const auto& s = record.summary;
  const auto text = EditableText(ParseBody(record.body_json));
  return RecordForm(d, c,
                    {.id = s.id,
                     .version = std::to_string(s.version),
                     .remit = s.remit,
                     .title = s.title,
                     .classification = s.classification,
                     .text = text.value_or(""),
                     .descriptors = s.descriptors,
                     .text_editable = text.has_value()},
                    nullptr);
}

// The version a form was opened at: the record's ETag, as the API's If-Match carries it.
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

Result<http::Response> UpdateRecord(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  auto form = http::ParseForm(c.request, {{"version", 20},
                                          {"title", records::kMaxTitleChars * 4},
                                          {"classification", 32},
                                          {"descriptors", kDescriptorBytes, false, true},
                                          {"text", 65536, true}});
  auto version = form ? VersionOf(*form) : std::unexpected(form.error());
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.update", id, version.error(), c.context);
  }
  const bool text_editable = form->contains("text");  // before form["text"] makes it so
  RecordValues values{.id = id,
                      .version = (*form)["version"],
                      .title = (*form)["title"],
                      .classification = (*form)["classification"],
                      .text = (*form)["text"],
                      .descriptors = http::FormValues(*form, "descriptors"),
                      .text_editable = text_editable};
  records::RecordInput in;
  in.title = values.title;
  in.classification = values.classification;
  in.descriptors = values.descriptors;
  if (values.text_editable) {
    in.body_json = boost::json::serialize(boost::json::object{{"text", values.text}});
  } else {
    // A body the form did not show is kept as it is (read again: the update refuses it if the
    // record has moved on since the form's version).
    ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), id, c.context));
    in.body_json = std::move(record.body_json);
    values.remit = record.summary.remit;
  }
  auto written = d.records.Update(c.who(), id, *version, in, c.context);
  if (!written) {
    if (!ShownOnTheForm(written.error())) return std::unexpected(written.error());
    return RecordForm(d, c, values, &written.error());
  }
  return SeeOther(RecordPath(id));
}

Result<http::Response> DeleteRecordForm(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), c.param("id"), c.context));
  auto data = SignedIn(d, c, "Delete this record");
  data["id"] = PercentEncode(record.summary.id);
  data["record_title"] = record.summary.title;
  data["remit"] = record.summary.remit;
  data["version"] = std::to_string(record.summary.version);
  return Page(d, 200, "record_delete", data);
}

Result<http::Response> DeleteRecord(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  auto form = http::ParseForm(c.request, {{"version", 20}});
  auto version = form ? VersionOf(*form) : std::unexpected(form.error());
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.delete", id, version.error(), c.context);
  }
  RETURN_IF_ERROR(d.records.Delete(c.who(), id, *version, c.context));
  return SeeOther("/records");
}

// --- Exports ------------------------------------------------------------------------------------

struct ExportStatus {
  std::string_view status, text, tag;
};
constexpr ExportStatus kExportStatuses[] = {
    {"pending", "Waiting for approval", "govuk-tag--yellow"},
    {"approved", "Ready to download", "govuk-tag--green"},
    {"downloaded", "Downloaded", "govuk-tag--grey"},
    {"expired", "Expired", "govuk-tag--grey"},
};

PageData ExportItems(const std::vector<exports::ExportSummary>& list) {
  PageData items{PageData::type::list};
  for (const auto& e : list) {
    PageData item;
    item["id"] = PercentEncode(e.id);
    item["requester"] = e.requester;
    item["remit"] = e.remit.empty() ? "All remits" : e.remit;
    item["reason"] = e.reason;
    item["created_at"] = Readable(e.created_at);
    item["records"] = std::to_string(e.records);
    item["status"] = e.status;
    for (const auto& s : kExportStatuses) {
      if (s.status == e.status) {
        item["status"] = std::string(s.text);
        item["status_class"] = std::string(s.tag);
      }
    }
    if (e.status == "pending") item["until"] = "Expires " + Readable(e.expires_at);
    if (e.status == "approved") {
      item["until"] = "Until " + Readable(e.archive_expires_at);
      if (e.mine) item["ready"] = true;
    }
    items.push_back(item);
  }
  return items;
}

Result<http::Response> ExportsPage(const ConsoleDeps& d, Call& c, const http::Form& asked,
                                   const Error* error) {
  auto q = http::ParseQuery(c.request.query, {});
  if (!q) return d.exports.RefuseMalformed(c.who(), "export.list", q.error(), c.context);
  ASSIGN_OR_RETURN(auto list, d.exports.List(c.who(), c.context));
  auto data = SignedIn(d, c, "Exports");
  if (!list.mine.empty()) data["mine_any"] = true;
  if (!list.to_approve.empty()) data["to_approve_any"] = true;
  data["mine"] = ExportItems(list.mine);
  data["to_approve"] = ExportItems(list.to_approve);
  if (authz::ScopeForList(c.who().account, "", d.clock.Now()).decision.allow) {
    data["can_request"] = true;
    const auto remit = asked.find("remit");
    data["remits"] =
        RemitOptions(c.who().account.remits, remit == asked.end() ? "" : remit->second);
    if (const auto reason = asked.find("reason"); reason != asked.end()) {
      data["reason_value"] = reason->second;
    }
  }
  if (error == nullptr) return Page(d, 200, "exports", data);
  const bool remit = error->message.find("remit") != std::string::npos;
  return FormAgain(d, "exports", std::move(data), remit ? "remit" : "reason", *error);
}

Result<http::Response> RequestExport(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 256}, {"reason", 4000, true}});
  if (!form) return d.exports.RefuseMalformed(c.who(), "export.request", form.error(), c.context);
  auto asked = d.exports.Request(c.who(), (*form)["remit"], (*form)["reason"], c.context);
  if (!asked) {
    if (!ShownOnTheForm(asked.error())) return std::unexpected(asked.error());
    return ExportsPage(d, c, *form, &asked.error());
  }
  return SeeOther("/exports");
}

// A button's form holds nothing but its CSRF token; anything more is refused, and audited as an
// attempt at `action`.
Result<void> ButtonForm(const ConsoleDeps& d, Call& c, std::string action) {
  if (auto form = http::ParseForm(c.request, {}); !form) {
    return d.exports.RefuseMalformed(c.who(), std::move(action), form.error(), c.context);
  }
  return {};
}

Result<http::Response> ApproveExport(const ConsoleDeps& d, Call& c) {
  RETURN_IF_ERROR(ButtonForm(d, c, "export.approve"));
  RETURN_IF_ERROR(d.exports.Approve(c.who(), c.param("id"), c.context));
  return SeeOther("/exports");
}

// The requester's one download, opened: a file for the browser to save, not a page.
Result<http::Response> DownloadExport(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  RETURN_IF_ERROR(ButtonForm(d, c, "export.download"));
  ASSIGN_OR_RETURN(auto archive, d.exports.Download(c.who(), id, c.context));
  ASSIGN_OR_RETURN(auto json, exports::OpenArchive(archive, id));
  http::Response resp{200, "application/json", std::string(json.begin(), json.end()), {}, true};
  // The id is the service's own ("exp-" and hex digits): safe in the header.
  resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + id + ".json\"");
  return resp;
}

// --- Administration (the admin listener) --------------------------------------------------------

// The organisations `who` may act in, by id: their names for the pages.
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

// A stored list ("a,b") as people read it.
std::string Listed(std::string_view list) {
  auto items = SplitList(list);
  if (items.empty()) return "None";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void AddJoinRequest(PageData& item, const lifecycle::JoinRequestRow& j,
                    const std::map<std::string, std::string>& orgs) {
  item["id"] = PercentEncode(j.id);
  item["username"] = j.username;
  item["org"] = NameOf(orgs, j.org_id);
  item["kind"] = j.kind;
  item["roles"] = Listed(j.roles);
  item["remits"] = Listed(j.remits);
  item["requested_by"] = j.requested_by_username;
  item["person_name"] = j.person_name;
  item["person_email"] = j.person_email;
  item["grants"] = Listed(j.grants);
  item["bpss"] = ReadableDate(j.bpss_verified_on);
  item["bpss_by"] = j.bpss_verified_by;
  item["requested_at"] = Readable(j.requested_at);
}

Result<http::Response> JoinRequestsPage(const ConsoleDeps& d, Call& c) {
  if (auto q = http::ParseQuery(c.request.query, {}); !q) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.join_request.list", q.error(), c.context);
  }
  ASSIGN_OR_RETURN(auto list, d.lifecycle.joiners.List(c.who(), "pending", c.context));
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Join requests");
  PageData items{PageData::type::list};
  for (const auto& j : list) {
    PageData item;
    AddJoinRequest(item, j, orgs);
    items.push_back(item);
  }
  if (!list.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  return Page(d, 200, "admin_join_requests", data);
}

// The one-line fields of the join form: name, label, hint.
struct JoinText {
  std::string_view name, label, hint;
};
constexpr JoinText kJoinTexts[] = {
    {"username", "Username", "Letters, digits, dots and hyphens: it is never used again"},
    {"person_name", "Full name", ""},
    {"person_email", "Email address", ""},
    {"remits", "Remits", "Standard accounts only: the organisation's remits, separated by commas"},
    {"bpss_by", "Who checked their BPSS clearance", ""},
};

// A group of radios or checkboxes for the join form.
// `error`, if not "", is shown with it.
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

// Where the service's message about a join request points on the form: the first name it
// mentions (the most specific first).
std::string_view JoinField(std::string_view message) {
  constexpr std::pair<std::string_view, std::string_view> kFields[] = {
      {"bpss_verified_by", "bpss_by"},
      {"bpss", "bpss"},
      {"email", "person_email"},
      {"username", "username"},
      {"remit", "remits"},
      {"role", "roles"},
      {"kind", "kind"},
      {"name", "person_name"},
      {"grant", "grants"},
      {"descriptor", "grants"},
      {"org", "org"},
  };
  for (const auto& [needle, field] : kFields) {
    if (message.find(needle) != std::string_view::npos) return field;
  }
  return "username";
}

Result<http::Response> JoinForm(const ConsoleDeps& d, Call& c, http::Form form,
                                const Error* error) {
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Ask for an account");
  const std::string_view field = error == nullptr ? "" : JoinField(error->message);
  const std::string message = error == nullptr ? "" : Sentence(error->message);
  PageData org_list{PageData::type::list};
  for (const auto& [id, name] : orgs) {
    PageData org;
    org["id"] = id;
    org["name"] = name;
    if (id == form["org"]) org["selected"] = true;
    org_list.push_back(org);
  }
  data["orgs"] = std::move(org_list);
  PageData texts{PageData::type::list};
  for (const auto& t : kJoinTexts) {
    PageData text;
    text["name"] = std::string(t.name);
    text["label"] = std::string(t.label);
    text["value"] = form[std::string(t.name)];
    std::string described;
    if (!t.hint.empty()) {
      text["hint"] = std::string(t.hint);
      described = std::string(t.name) + "-hint";
    }
    if (field == t.name) {
      text["error"] = message;
      described += (described.empty() ? "" : " ") + std::string(t.name) + "-error";
    }
    if (!described.empty()) text["described"] = described;
    texts.push_back(text);
  }
  data["text_fields"] = std::move(texts);
  std::vector<std::string> grants{std::string(authz::kSensitive)};
  for (const auto& descriptor : d.records.options().descriptors) grants.push_back(descriptor);
  const auto kind = form["kind"].empty() ? std::string("standard") : form["kind"];
  const std::vector<std::string> kinds{"standard", "privileged", "service"};
  const std::vector<std::string> roles{"reader",    "editor",           "approver",
                                       "org_admin", "security_officer", "provisioner"};
  PageData choices{PageData::type::list};
  choices.push_back(Choices("kind", "Kind of account",
                            "Privileged accounts administer and never see records; service "
                            "accounts are for automation, with API tokens only",
                            true, kinds, {kind}, field == "kind" ? message : ""));
  choices.push_back(Choices("roles", "Roles", "None: a reader, read-only", false, roles,
                            http::FormValues(form, "roles"), field == "roles" ? message : ""));
  choices.push_back(Choices("grants", "May see", "Standard accounts: what beyond OFFICIAL", false,
                            grants, http::FormValues(form, "grants"),
                            field == "grants" ? message : ""));
  data["choices"] = std::move(choices);
  data["bpss_day"] = form["bpss_day"];
  data["bpss_month"] = form["bpss_month"];
  data["bpss_year"] = form["bpss_year"];
  if (error == nullptr) return Page(d, 200, "admin_join_new", data);
  if (field == "org" || field == "bpss") data[std::string(field) + "_error"] = message;
  // The summary links to the field; for a group, its first input.
  const std::string link = field == "bpss"     ? "bpss_day"
                           : field == "kind"   ? "kind-" + kinds.front()
                           : field == "roles"  ? "roles-" + roles.front()
                           : field == "grants" ? "grants-" + grants.front()
                                               : std::string(field);
  return FormAgain(d, "admin_join_new", std::move(data), link, *error);
}

// "2026-03-27" from the date input's three fields; as typed (for the service to refuse) unless
// each is a number.
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

Result<http::Response> RequestJoin(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"org", 64},
                                          {"username", 256},
                                          {"person_name", 800},
                                          {"person_email", 254},
                                          {"kind", 16},
                                          {"roles", 32, false, true},
                                          {"remits", 64 * 65},
                                          {"grants", 32, false, true},
                                          {"bpss_day", 8},
                                          {"bpss_month", 8},
                                          {"bpss_year", 8},
                                          {"bpss_by", 800}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.join_request.create", form.error(),
                                       c.context);
  }
  auto& f = *form;
  lifecycle::JoinInput in;
  in.org_id = f["org"];
  in.username = f["username"];
  in.person_name = f["person_name"];
  in.person_email = f["person_email"];
  in.kind = f["kind"];
  in.roles = http::FormValues(f, "roles");
  for (auto& remit : SplitList(f["remits"])) {
    while (!remit.empty() && remit.front() == ' ') remit.erase(0, 1);
    while (!remit.empty() && remit.back() == ' ') remit.pop_back();
    if (!remit.empty()) in.remits.push_back(std::move(remit));
  }
  in.grants = http::FormValues(f, "grants");
  in.bpss_verified_on = DateFrom(f["bpss_day"], f["bpss_month"], f["bpss_year"]);
  in.bpss_verified_by = f["bpss_by"];
  auto made = d.lifecycle.joiners.Request(c.who(), in, c.context);
  if (!made) {
    if (!ShownOnTheForm(made.error())) return std::unexpected(made.error());
    return JoinForm(d, c, std::move(f), &made.error());
  }
  return SeeOther("/admin/join-requests");
}

// Whether the form for `action` must ask for a security code: the action needs a second factor
// proved within the window (authz/admin.h), and the session's is older.
bool NeedsCode(const ConsoleDeps& d, Call& c, authz::AdminAction action) {
  return authz::RuleFor(action).fresh_second_factor && !d.auth.sessions.RequireRecentMfa(c.who());
}

// Who acts for `action`: the caller, with the form's code proved first when NeedsCode. A code not
// accepted is for the form to show (a session ended for too many wrong codes is sent to sign in
// by the next request); a fault is the service's.
Result<identity::Principal> Proven(const ConsoleDeps& d, Call& c, authz::AdminAction action,
                                   const std::string& code) {
  if (!NeedsCode(d, c, action)) return c.who();
  // No code at all (the form opened while the factor was fresh, and it is not now) is not a wrong
  // one: it is asked for, and counts against nothing.
  if (code.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "this needs a fresh second factor: enter the code from your authenticator app");
  }
  auto fresh = d.auth.sessions.Reauthenticate(c.who(), code, c.context);
  if (fresh || fresh.error().code != ErrorCode::kUnauthenticated) return fresh;
  return Fail(ErrorCode::kUnauthenticated, "the security code was not accepted");
}

// The page to approve or reject one pending request: its details, and the fresh second factor
// either needs, asked for with it.
Result<http::Response> DecideJoinPage(const ConsoleDeps& d, Call& c, bool approve,
                                      const http::Form& form, const Error* error,
                                      std::string_view field) {
  ASSIGN_OR_RETURN(auto list, d.lifecycle.joiners.List(c.who(), "pending", c.context));
  const auto& id = c.param("id");
  const auto found = std::ranges::find(list, id, &lifecycle::JoinRequestRow::id);
  if (found == list.end()) return Fail(ErrorCode::kNotFound, "no such pending join request");
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, approve ? "Approve this account" : "Reject this request");
  AddJoinRequest(data, *found, orgs);
  data["verb"] = approve ? "approve" : "reject";
  data["button"] = approve ? "Approve" : "Reject";
  if (!approve) data["rejecting"] = true;
  const auto action = approve ? authz::AdminAction::kJoinApprove : authz::AdminAction::kJoinReject;
  // A reason refused comes after the factor was proved: not asked for again.
  if (field == "code" || (field != "reason" && NeedsCode(d, c, action))) data["needs_code"] = true;
  if (const auto reason = form.find("reason"); reason != form.end()) {
    data["reason_value"] = reason->second;
  }
  if (error == nullptr) return Page(d, 200, "admin_join_decide", data);
  return FormAgain(d, "admin_join_decide", std::move(data), field, *error);
}

Result<http::Response> DecideJoin(const ConsoleDeps& d, Call& c, bool approve) {
  const std::string action = approve ? "admin.join_request.approve" : "admin.join_request.reject";
  auto form = approve ? http::ParseForm(c.request, {{"code", 32}})
                      : http::ParseForm(c.request, {{"code", 32}, {"reason", 2000, true}});
  if (!form) return d.lifecycle.RefuseMalformed(c.who(), action, form.error(), c.context);
  auto fresh =
      Proven(d, c, approve ? authz::AdminAction::kJoinApprove : authz::AdminAction::kJoinReject,
             (*form)["code"]);
  if (!fresh) {
    if (http::HttpStatusFor(fresh.error().code) >= 500) return std::unexpected(fresh.error());
    return DecideJoinPage(d, c, approve, *form, &fresh.error(), "code");
  }
  if (!approve) {
    auto rejected = d.lifecycle.joiners.Reject(*fresh, c.param("id"), (*form)["reason"], c.context);
    if (!rejected) {
      if (rejected.error().code != ErrorCode::kInvalidArgument) {
        return std::unexpected(rejected.error());
      }
      return DecideJoinPage(d, c, approve, *form, &rejected.error(), "reason");
    }
    return SeeOther("/admin/join-requests");
  }
  ASSIGN_OR_RETURN(auto made, d.lifecycle.joiners.Approve(*fresh, c.param("id"), c.context));
  auto data = SignedIn(d, c, "Account approved");
  data["username"] = made.username;
  data["token"] = made.enrolment_token;
  data["token_expires_at"] = Readable(FormatRfc3339(made.token_expires_at));
  data["account_expires_at"] = Readable(made.account_expires_at);
  return Page(d, 200, "admin_join_approved", data);
}

Result<http::Response> UsersPage(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"status"});
  if (!q) return d.lifecycle.RefuseMalformed(c.who(), "admin.user.list", q.error(), c.context);
  identity::UserFilter filter;
  filter.status = (*q)["status"];
  ASSIGN_OR_RETURN(auto users, d.lifecycle.accounts.List(c.who(), filter, c.context));
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Users");
  PageData statuses{PageData::type::list};
  for (const auto& [value, text] : {std::pair{"", "Any"},
                                    {"active", "Active"},
                                    {"pending_enrolment", "Waiting to enrol"},
                                    {"locked", "Locked"},
                                    {"expired", "Expired"},
                                    {"left", "Left"}}) {
    PageData option;
    option["value"] = std::string(value);
    option["text"] = std::string(text);
    if (filter.status == value) option["selected"] = true;
    statuses.push_back(option);
  }
  data["statuses"] = std::move(statuses);
  PageData items{PageData::type::list};
  for (const auto& u : users) {
    PageData item;
    item["id"] = PercentEncode(u.id);
    item["username"] = u.username;
    item["name"] = u.person_name;
    item["org"] = u.org_id.empty() ? "" : NameOf(orgs, u.org_id);
    item["kind"] = u.kind;
    item["roles"] = Listed(u.roles);
    item["status"] = u.status;
    item["expires_at"] = u.expires_at.empty() ? "Never" : Readable(u.expires_at);
    item["last_login_at"] = u.last_login_at.empty() ? "Never" : Readable(u.last_login_at);
    items.push_back(item);
  }
  if (!users.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  return Page(d, 200, "admin_users", data);
}

// One account, as the caller may see it (an org admin: their organisation's only).
Result<identity::UserRow> FindUser(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto users, d.lifecycle.accounts.List(c.who(), {}, c.context));
  const auto found = std::ranges::find(users, c.param("id"), &identity::UserRow::id);
  if (found == users.end()) return Fail(ErrorCode::kNotFound, "no such account");
  return std::move(*found);
}

// What may be done to an account from its page: the lifecycle's actions, each its own form.
struct UserAction {
  std::string_view verb;  // in the path
  authz::AdminAction action;
  std::string_view title, button, warning;
  bool reason;  // the form asks why
};
constexpr UserAction kUserActions[] = {
    {"leave", authz::AdminAction::kUserLeave, "Record a leaver", "Record the leaver",
     "Their access ends now: every session ends, every token is revoked, and the account can "
     "never be used again. A person who returns is given a new account.",
     false},
    {"lock", authz::AdminAction::kUserLock, "Lock this account", "Lock the account",
     "They cannot sign in, and their sessions end, until the account is unlocked.", true},
    {"unlock", authz::AdminAction::kUserUnlock, "Unlock this account", "Unlock the account",
     "Every lock on the account is lifted, and they can sign in again.", true},
};

Result<http::Response> UserPage(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto u, FindUser(d, c));
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, u.username);
  data["id"] = PercentEncode(u.id);
  data["username"] = u.username;
  data["name"] = u.person_name;
  data["email"] = u.person_email;
  data["org"] = u.org_id.empty() ? "" : NameOf(orgs, u.org_id);
  data["kind"] = u.kind;
  data["roles"] = Listed(u.roles);
  data["remits"] = Listed(u.remits);
  data["grants"] = Listed(u.grants);
  data["status"] = u.status;
  data["expires_at"] = u.expires_at.empty() ? "Never" : Readable(u.expires_at);
  data["last_login_at"] = u.last_login_at.empty() ? "Never" : Readable(u.last_login_at);
  if (u.status != "left") {
    data["can_leave"] = true;
    data[u.status == "locked" ? "can_unlock" : "can_lock"] = true;
  }
  return Page(d, 200, "admin_user", data);
}

Result<http::Response> UserActionPage(const ConsoleDeps& d, Call& c, const UserAction& a,
                                      const http::Form& form, const Error* error,
                                      std::string_view field) {
  ASSIGN_OR_RETURN(auto u, FindUser(d, c));
  auto data = SignedIn(d, c, std::string(a.title));
  data["id"] = PercentEncode(u.id);
  data["username"] = u.username;
  data["verb"] = std::string(a.verb);
  data["button"] = std::string(a.button);
  data["warning"] = std::string(a.warning);
  if (a.reason) data["asks_reason"] = true;
  // A reason refused comes after the factor was proved: not asked for again.
  if (field == "code" || (field != "reason" && NeedsCode(d, c, a.action))) {
    data["needs_code"] = true;
  }
  if (const auto reason = form.find("reason"); reason != form.end()) {
    data["reason_value"] = reason->second;
  }
  if (error == nullptr) return Page(d, 200, "admin_user_action", data);
  return FormAgain(d, "admin_user_action", std::move(data), field, *error);
}

Result<http::Response> ActOnUser(const ConsoleDeps& d, Call& c, const UserAction& a) {
  auto form = http::ParseForm(c.request, {{"code", 32}, {"reason", 2000, true}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), std::string(authz::RuleFor(a.action).name),
                                       form.error(), c.context);
  }
  auto fresh = Proven(d, c, a.action, (*form)["code"]);
  if (!fresh) {
    if (http::HttpStatusFor(fresh.error().code) >= 500) return std::unexpected(fresh.error());
    return UserActionPage(d, c, a, *form, &fresh.error(), "code");
  }
  const auto& id = c.param("id");
  const auto& reason = (*form)["reason"];
  auto done = a.action == authz::AdminAction::kUserLeave
                  ? d.lifecycle.accounts.Leave(*fresh, id, c.context)
              : a.action == authz::AdminAction::kUserLock
                  ? d.lifecycle.accounts.Lock(*fresh, id, reason, c.context)
                  : d.lifecycle.accounts.Unlock(*fresh, id, reason, c.context);
  if (!done) {
    if (done.error().code != ErrorCode::kInvalidArgument) return std::unexpected(done.error());
    return UserActionPage(d, c, a, *form, &done.error(), "reason");
  }
  return SeeOther("/admin/users/" + PercentEncode(id));
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

http::Response ErrorPage(const Templates& templates, const Error& error) {
  if (error.code == ErrorCode::kUnauthenticated) return SeeOther("/sign-in");
  const unsigned status = http::HttpStatusFor(error.code);
  std::string_view heading = "Sorry, there is a problem with the service";
  for (const auto& h : kHeadings) {
    if (h.status == status) heading = h.text;
  }
  auto data = Titled(std::string(heading));
  data["heading"] = std::string(heading);
  data["message"] = status < 500 ? Sentence(error.message) : "Try again later.";
  auto html = templates.Render("error", data);
  if (!html) {
    return Html(status, "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem.");
  }
  return Html(status, std::move(*html));
}

bool IsPagePath(std::string_view path) {
  for (const std::string_view json : {"/api/", "/scim/", "/__test/"}) {
    if (path.starts_with(json)) return false;
  }
  return path != "/healthz" && path != "/readyz" && path != "/metrics";
}

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
  page(verb::get, "/", Credentials::kSession,
       "The console's start: join requests for administrators, records for everyone else",
       [d](Call& c) -> Result<http::Response> {
         return SeeOther(Administers(d, c.who().account) ? "/admin/join-requests" : "/records");
       });
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
       [d](Call& c) { return RecordForm(d, c, {}, nullptr); });
  page(verb::get, "/records/{id}/edit", Credentials::kSession, "The form to change a record",
       [d](Call& c) { return EditRecordForm(d, c); });
  page(verb::post, "/records/{id}/edit", Credentials::kSession, "Change a record",
       [d](Call& c) { return UpdateRecord(d, c); });
  page(verb::get, "/admin/join-requests", Credentials::kSession, "Join requests waiting",
       [d](Call& c) { return JoinRequestsPage(d, c); });
  page(verb::get, "/admin/join-requests/new", Credentials::kSession,
       "The form to ask for an account", [d](Call& c) { return JoinForm(d, c, {}, nullptr); });
  page(verb::post, "/admin/join-requests", Credentials::kSession, "Ask for an account",
       [d](Call& c) { return RequestJoin(d, c); });
  page(verb::get, "/admin/join-requests/{id}/approve", Credentials::kSession,
       "The form to approve a join request",
       [d](Call& c) { return DecideJoinPage(d, c, true, {}, nullptr, ""); });
  page(verb::post, "/admin/join-requests/{id}/approve", Credentials::kSession,
       "Approve a join request, with a fresh second factor",
       [d](Call& c) { return DecideJoin(d, c, true); });
  page(verb::get, "/admin/join-requests/{id}/reject", Credentials::kSession,
       "The form to reject a join request",
       [d](Call& c) { return DecideJoinPage(d, c, false, {}, nullptr, ""); });
  page(verb::post, "/admin/join-requests/{id}/reject", Credentials::kSession,
       "Reject a join request, with a fresh second factor",
       [d](Call& c) { return DecideJoin(d, c, false); });
  page(verb::get, "/admin/users", Credentials::kSession, "Accounts",
       [d](Call& c) { return UsersPage(d, c); });
  page(verb::get, "/admin/users/{id}", Credentials::kSession, "An account",
       [d](Call& c) { return UserPage(d, c); });
  for (const auto& a : kUserActions) {
    const std::string path = "/admin/users/{id}/" + std::string(a.verb);
    page(verb::get, path, Credentials::kSession, std::string(a.title),
         [d, &a](Call& c) { return UserActionPage(d, c, a, {}, nullptr, ""); });
    page(verb::post, path, Credentials::kSession, std::string(a.title),
         [d, &a](Call& c) { return ActOnUser(d, c, a); });
  }
  page(verb::get, "/exports", Credentials::kSession, "Exports: yours, and those to approve",
       [d](Call& c) { return ExportsPage(d, c, {}, nullptr); });
  page(verb::post, "/exports", Credentials::kSession, "Ask for an export",
       [d](Call& c) { return RequestExport(d, c); });
  page(verb::post, "/exports/{id}/approve", Credentials::kSession, "Approve an export",
       [d](Call& c) { return ApproveExport(d, c); });
  page(verb::post, "/exports/{id}/download", Credentials::kSession, "Download an export, once",
       [d](Call& c) { return DownloadExport(d, c); });
  page(verb::get, "/records/{id}/delete", Credentials::kSession, "Confirm a record's deletion",
       [d](Call& c) { return DeleteRecordForm(d, c); });
  page(verb::post, "/records/{id}/delete", Credentials::kSession, "Delete a record",
       [d](Call& c) { return DeleteRecord(d, c); });
  add({verb::get, "/records/{id}", Credentials::kSession, "A record", "", "", nullptr,
       http::Dispatch::kInline,
       [d](Call& c, http::Respond respond) { ViewRecord(d, c, std::move(respond)); }});
  add({verb::get, "/assets/{name}", Credentials::kNone, "The console's styles and scripts", "", "",
       [](Call& c) { return Asset(c); }, http::Dispatch::kInline});
}

}  // namespace strongroom::web
