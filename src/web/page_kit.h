#pragma once
// What every part of the console (web/*_pages.cc) builds its pages from: answers (a page, a
// redirect), the layout's signed-in parts, forms shown again with their errors, the values people
// read (dates, times), and the table the parts add their routes to. Internal to web/.
//
//   void AddThingPages(PageTable& pages) {
//     pages.Add(verb::get, "/things", Credentials::kSession, "Things",
//               [](const ConsoleDeps& d, Call& c) -> Result<http::Response> {
//                 return Page(d, 200, "things", SignedIn(d, c, "Things"));
//               });
//   }

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "authz/admin.h"
#include "authz/authz.h"
#include "http/form.h"
#include "web/pages.h"

namespace strongroom::web {

using api::Call;
using api::Credentials;
using http::beast_http::verb;

// --- Answers ------------------------------------------------------------------------------------

http::Response Html(unsigned status, std::string html);
// Post-redirect-get: 303 to `location`.
http::Response SeeOther(std::string location);
// The page `name` rendered from `data`.
Result<http::Response> Page(const ConsoleDeps& d, unsigned status, std::string_view name,
                            const PageData& data);
PageData Titled(std::string title);
// A signed-in page's data: the layout's navigation, who is signed in, and the CSRF token every
// form of the page carries.
PageData SignedIn(const ConsoleDeps& d, const Call& c, std::string title);
// Whether `account` administers (authz decides): its pages are the administration's.
bool Administers(const ConsoleDeps& d, const identity::Account& account);

// --- Values as people read them -----------------------------------------------------------------

// For a path segment or a query value.
std::string PercentEncode(std::string_view s);
// "3 December 2026, 10:36 UTC" from RFC 3339; as given if it is not.
std::string Readable(std::string_view rfc3339);
// "15 January 2026" from "2026-01-15"; as given if it is not a date.
std::string ReadableDate(std::string_view date);
// A service's message as a sentence on a page: GOV.UK's error messages start with a capital.
std::string Sentence(std::string message);

// --- Forms --------------------------------------------------------------------------------------

// A form posted before there is a session: it has no CSRF token to carry, so the browser's word
// that it came from this site stands in for one (login CSRF); then it is parsed as any form. A
// refusal of either is audited as an anonymous attempt at `action`.
Result<http::Form> AnonymousForm(const ConsoleDeps& d, Call& c, std::string action,
                                 std::initializer_list<http::FormField> fields);
// A form's error for `field`, in the layout's summary and beside the field.
void AddError(PageData& data, std::string_view field, const std::string& message);
// The form `page` again, with `data`'s values kept and `error` beside `field`; the status is the
// error's.
Result<http::Response> FormAgain(const ConsoleDeps& d, std::string_view page, PageData data,
                                 std::string_view field, const Error& error);
// The errors a form is shown again for: the person can put them right there.
bool ShownOnTheForm(const Error& error);
// The version a form was opened at (a hidden field): a whole number above 0, as the API's
// If-Match carries it.
Result<int64_t> VersionOf(const http::Form& form);
// A <select>'s options, `selected` chosen.
PageData RemitOptions(const std::vector<std::string>& remits, std::string_view selected);

// A group of radios or checkboxes (the _choices fragment): `values`, those in `checked` checked;
// `error`, if not "", shown with it.
PageData Choices(std::string_view name, std::string_view legend, std::string_view hint, bool radios,
                 const std::vector<std::string>& values, const std::vector<std::string>& checked,
                 const std::string& error);
// A GOV.UK date input (the _date fragment) of the fields `name`_day, _month and _year, with what
// `form` holds of them; `error`, if not "", shown with it.
PageData DateInput(std::string_view name, std::string_view legend, std::string_view hint,
                   http::Form& form, const std::string& error);
// "2026-03-27" from a date input's three fields; as typed (for the service to refuse) unless each
// is a number.
std::string DateFrom(const std::string& day, const std::string& month, const std::string& year);
// A labelled text field of a form (its name, label, hint and value; `error`, if not "", shown with
// it, and the hint and error named by aria-describedby).
PageData TextField(std::string_view name, std::string_view label, std::string_view hint,
                   const std::string& value, const std::string& error);
// An organisation <select>'s options from OrgNames, `selected` chosen.
PageData OrgOptions(const std::map<std::string, std::string>& orgs, std::string_view selected);
// A stored list ("a,b") as people read it: "a, b", or "None".
std::string Listed(std::string_view list);

// --- Organisations ------------------------------------------------------------------------------

// The organisations the caller may act in, by id: their names for the pages (the listing is the
// service's, audited).
Result<std::map<std::string, std::string>> OrgNames(const ConsoleDeps& d, Call& c);
// An organisation's name from OrgNames, or its id.
std::string NameOf(const std::map<std::string, std::string>& names, const std::string& id);

// --- Decisions ----------------------------------------------------------------------------------

// Whether authz lets `who` do `action` to `resource` now: what a page offers. The service decides
// again when it is done.
bool Offered(const ConsoleDeps& d, const identity::Principal& who, authz::Action action,
             const authz::Resource& resource);
// Whether authz lets `who` take the administrative `action` on `target` now: what a page offers.
bool Offered(const ConsoleDeps& d, const identity::Principal& who, authz::AdminAction action,
             const authz::AdminTarget& target = {});
// Whether the form for `action` must ask for a security code: the action needs a second factor
// proved within the window (authz/admin.h), and the session's is older.
bool NeedsCode(const ConsoleDeps& d, Call& c, authz::AdminAction action);
// Marks `data` for a form that asks for a fresh second factor (_code.mustache): a code, and where
// the account has a security key, a ceremony to use it instead (the console's script puts the
// key's answer in the form's `key_answer` field: every such form takes {"key_answer", 8192}).
void AskFreshFactor(const ConsoleDeps& d, Call& c, PageData& data);
// Who acts for `action`: the caller, with the form's code or key proved first when NeedsCode.
// Neither given (refused and audited as an attempt at `action`, but not counted as a wrong one),
// or one not accepted, is for the form to show (a session ended for too many wrong ones is sent to
// sign in by the next request); a fault is the service's.
Result<identity::Principal> Proven(const ConsoleDeps& d, Call& c, authz::AdminAction action,
                                   const http::Form& form);
// The same for an action of one's own that always needs a fresh second factor (adding or
// removing one's security key), audited as `action`.
Result<identity::Principal> Proven(const ConsoleDeps& d, Call& c, std::string_view action,
                                   const http::Form& form);

// --- Routes -------------------------------------------------------------------------------------

using PageHandler = std::function<Result<http::Response>(const ConsoleDeps&, Call&)>;

// Adds routes to the route table as pages: each answers its errors with the console's error page
// and is handed the console's dependencies.
class PageTable {
 public:
  // What `deps` refers to must outlive the table's routes (each holds a copy of `deps`).
  PageTable(api::RouteTable& table, const ConsoleDeps& deps) : table_(table), deps_(deps) {}

  void Add(verb method, std::string path, Credentials credentials, std::string summary,
           PageHandler handler);
  // A route of its own making (an async one), made a page.
  void Add(api::Route route);
  const ConsoleDeps& deps() const { return deps_; }

 private:
  api::RouteTable& table_;
  const ConsoleDeps deps_;
};

// The parts of the console, each in its own file.
void AddSignInPages(PageTable& pages);
void AddRecordPages(PageTable& pages);
void AddExportPages(PageTable& pages);
void AddAdminPages(PageTable& pages);
void AddRetentionPages(PageTable& pages);
void AddOrgPages(PageTable& pages);
void AddAccountPages(PageTable& pages);

}  // namespace strongroom::web
