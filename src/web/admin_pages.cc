// The console's administration, on the admin listener: join requests and accounts.

#include <fmt/format.h>

#include "common/text.h"
#include "http/error_response.h"
#include "http/query.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

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

}  // namespace

void AddAdminPages(PageTable& pages) {
  pages.Add(verb::get, "/admin/join-requests", Credentials::kSession, "Join requests waiting",
            JoinRequestsPage);
  pages.Add(verb::get, "/admin/join-requests/new", Credentials::kSession,
            "The form to ask for an account",
            [](const ConsoleDeps& d, Call& c) { return JoinForm(d, c, {}, nullptr); });
  pages.Add(verb::post, "/admin/join-requests", Credentials::kSession, "Ask for an account",
            RequestJoin);
  pages.Add(verb::get, "/admin/join-requests/{id}/approve", Credentials::kSession,
            "The form to approve a join request", [](const ConsoleDeps& d, Call& c) {
              return DecideJoinPage(d, c, true, {}, nullptr, "");
            });
  pages.Add(verb::post, "/admin/join-requests/{id}/approve", Credentials::kSession,
            "Approve a join request, with a fresh second factor",
            [](const ConsoleDeps& d, Call& c) { return DecideJoin(d, c, true); });
  pages.Add(verb::get, "/admin/join-requests/{id}/reject", Credentials::kSession,
            "The form to reject a join request", [](const ConsoleDeps& d, Call& c) {
              return DecideJoinPage(d, c, false, {}, nullptr, "");
            });
  pages.Add(verb::post, "/admin/join-requests/{id}/reject", Credentials::kSession,
            "Reject a join request, with a fresh second factor",
            [](const ConsoleDeps& d, Call& c) { return DecideJoin(d, c, false); });
  pages.Add(verb::get, "/admin/users", Credentials::kSession, "Accounts", UsersPage);
  pages.Add(verb::get, "/admin/users/{id}", Credentials::kSession, "An account", UserPage);
  for (const auto& a : kUserActions) {
    const std::string path = "/admin/users/{id}/" + std::string(a.verb);
    pages.Add(
        verb::get, path, Credentials::kSession, std::string(a.title),
        [&a](const ConsoleDeps& d, Call& c) { return UserActionPage(d, c, a, {}, nullptr, ""); });
    pages.Add(verb::post, path, Credentials::kSession, std::string(a.title),
              [&a](const ConsoleDeps& d, Call& c) { return ActOnUser(d, c, a); });
  }
}

}  // namespace strongroom::web
