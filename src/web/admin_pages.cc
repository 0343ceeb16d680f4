// The console's administration, on the admin listener: join requests, accounts, leavers and the
// audit log.

#include <fmt/format.h>

#include <boost/json.hpp>

#include "api/admin.h"
#include "api/audit_events.h"
#include "common/text.h"
#include "http/error_response.h"
#include "http/query.h"
#include "lifecycle/rules.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

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
  if (j.purpose == "reenrol") item["reenrol"] = true;
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

// The roles an account may be given (authz decides which suit its kind).
const std::vector<std::string> kRoles{"reader",    "editor",           "approver",
                                      "org_admin", "security_officer", "provisioner"};

// What an account may be granted beyond OFFICIAL: SENSITIVE and each descriptor configured.
std::vector<std::string> Grantable(const ConsoleDeps& d) {
  std::vector<std::string> grants{std::string(authz::kSensitive)};
  for (const auto& descriptor : d.records.options().descriptors) grants.push_back(descriptor);
  return grants;
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
  data["orgs"] = OrgOptions(orgs, form["org"]);
  PageData texts{PageData::type::list};
  for (const auto& t : kJoinTexts) {
    texts.push_back(TextField(t.name, t.label, t.hint, form[std::string(t.name)],
                              field == t.name ? message : ""));
  }
  data["text_fields"] = std::move(texts);
  const auto grants = Grantable(d);
  const auto kind = form["kind"].empty() ? std::string("standard") : form["kind"];
  const std::vector<std::string> kinds{"standard", "privileged", "service"};
  PageData choices{PageData::type::list};
  choices.push_back(Choices("kind", "Kind of account",
                            "Privileged accounts administer and never see records; service "
                            "accounts are for automation, with API tokens only",
                            true, kinds, {kind}, field == "kind" ? message : ""));
  choices.push_back(Choices("roles", "Roles", "None: a reader, read-only", false, kRoles,
                            http::FormValues(form, "roles"), field == "roles" ? message : ""));
  choices.push_back(Choices("grants", "May see", "Standard accounts: what beyond OFFICIAL", false,
                            grants, http::FormValues(form, "grants"),
                            field == "grants" ? message : ""));
  data["choices"] = std::move(choices);
  data["bpss"] = DateInput("bpss", "When their BPSS clearance was checked",
                           "For example, 27 3 2026", form, field == "bpss" ? message : "");
  if (error == nullptr) return Page(d, 200, "admin_join_new", data);
  if (field == "org") data["org_error"] = message;
  // The summary links to the field; for a group, its first input.
  const std::string link = field == "bpss"     ? "bpss_day"
                           : field == "kind"   ? "kind-" + kinds.front()
                           : field == "roles"  ? "roles-" + kRoles.front()
                           : field == "grants" ? "grants-" + grants.front()
                                               : std::string(field);
  return FormAgain(d, "admin_join_new", std::move(data), link, *error);
}

// "north, south" from the form's remits field; each trimmed, empty ones left out.
std::vector<std::string> RemitsOf(const std::string& field) {
  std::vector<std::string> out;
  for (auto& remit : SplitList(field)) {
    while (!remit.empty() && remit.front() == ' ') remit.erase(0, 1);
    while (!remit.empty() && remit.back() == ' ') remit.pop_back();
    if (!remit.empty()) out.push_back(std::move(remit));
  }
  return out;
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
  in.remits = RemitsOf(f["remits"]);
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
  const bool reenrol = found->purpose == "reenrol";
  auto data = SignedIn(d, c,
                       !approve  ? "Reject this request"
                       : reenrol ? "Approve this re-enrolment"
                                 : "Approve this account");
  AddJoinRequest(data, *found, orgs);
  data["verb"] = approve ? "approve" : "reject";
  data["button"] = approve ? "Approve" : "Reject";
  if (!approve) data["rejecting"] = true;
  const auto action = approve ? authz::AdminAction::kJoinApprove : authz::AdminAction::kJoinReject;
  // A reason refused comes after the factor was proved: not asked for again.
  if (field == "code" || (field != "reason" && NeedsCode(d, c, action))) {
    AskFreshFactor(d, c, data);
  }
  if (const auto reason = form.find("reason"); reason != form.end()) {
    data["reason_value"] = reason->second;
  }
  if (error == nullptr) return Page(d, 200, "admin_join_decide", data);
  return FormAgain(d, "admin_join_decide", std::move(data), field, *error);
}

Result<http::Response> DecideJoin(const ConsoleDeps& d, Call& c, bool approve) {
  const std::string action = approve ? "admin.join_request.approve" : "admin.join_request.reject";
  auto form = approve
                  ? http::ParseForm(c.request, {{"code", 32}, {"key_answer", 8192}})
                  : http::ParseForm(c.request,
                                    {{"code", 32}, {"key_answer", 8192}, {"reason", 2000, true}});
  if (!form) return d.lifecycle.RefuseMalformed(c.who(), action, form.error(), c.context);
  auto fresh = Proven(
      d, c, approve ? authz::AdminAction::kJoinApprove : authz::AdminAction::kJoinReject, *form);
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
  auto data = SignedIn(d, c, made.reopened ? "Re-enrolment approved" : "Account approved");
  if (made.reopened) data["reenrol"] = true;
  data["username"] = made.username;
  data["token"] = made.enrolment_token;
  data["token_expires_at"] = Readable(FormatRfc3339(made.token_expires_at));
  data["account_expires_at"] = Readable(made.account_expires_at);
  return Page(d, 200, "admin_join_approved", data);
}

// The users list's filters beyond status (the API's: api::ReadUserFilter reads them).
struct UserFilterField {
  std::string_view name, label, hint;
};
constexpr UserFilterField kUserFilters[] = {
    {"expiring_within_days", "Expiring within (days)", "0 to 365"},
    {"moved_since", "Moved or left since", "A date, for example 2026-09-01"},
    {"dormant_days", "Not signed in for (days)", "1 to 3650"},
};

Result<http::Response> UsersPage(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query,
                            {"status", "expiring_within_days", "moved_since", "dormant_days"});
  if (!q) return d.lifecycle.RefuseMalformed(c.who(), "admin.user.list", q.error(), c.context);
  auto filter = api::ReadUserFilter(*q);
  if (!filter) {
    // Recorded, then shown beside its field (unless it could not be recorded: that fails closed).
    auto refused =
        d.lifecycle.RefuseMalformed(c.who(), "admin.user.list", filter.error(), c.context);
    if (refused.error().code != ErrorCode::kInvalidArgument) return refused;
  }
  std::vector<identity::UserRow> users;
  if (filter) {
    ASSIGN_OR_RETURN(users, d.lifecycle.accounts.List(c.who(), *filter, c.context));
  }
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Users");
  std::string kept;  // the filters again, for the CSV download (the API's list, as a file)
  PageData fields{PageData::type::list};
  for (const auto& f : kUserFilters) {
    const std::string name(f.name);
    PageData field;
    field["name"] = name;
    field["label"] = std::string(f.label);
    field["hint"] = std::string(f.hint);
    field["value"] = (*q)[name];
    std::string described = name + "-hint";
    if (!filter && filter.error().message.starts_with(name)) {
      field["error"] = Sentence(filter.error().message);
      described += " " + name + "-error";
    }
    field["described"] = described;
    fields.push_back(field);
    if (!(*q)[name].empty()) kept += "&" + name + "=" + PercentEncode((*q)[name]);
  }
  data["filters"] = std::move(fields);
  if (!(*q)["status"].empty()) kept += "&status=" + PercentEncode((*q)["status"]);
  data["csv"] = "/api/v1/admin/users?format=csv" + kept;
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
    if ((*q)["status"] == value) option["selected"] = true;
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
  if (!filter) {
    std::string field = "status";
    for (const auto& f : kUserFilters) {
      if (filter.error().message.starts_with(f.name)) field = std::string(f.name);
    }
    return FormAgain(d, "admin_users", std::move(data), field, filter.error());
  }
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
enum class Asks : uint8_t {
  kNothing,     // a confirmation
  kReason,      // why
  kAssignment,  // the new roles, remits and grants
  kUntil,       // a day
};
struct UserAction {
  std::string_view verb;  // in the path
  authz::AdminAction action;
  std::string_view title, button, warning;
  Asks asks;
  bool destructive;  // its button warns
};
constexpr UserAction kUserActions[] = {
    {"move", authz::AdminAction::kUserMove, "Move to new roles or remits",
     "Save the new assignment",
     "These replace their roles, remits and what they may see, and their sessions end.",
     Asks::kAssignment, false},
    {"renew", authz::AdminAction::kUserRenew, "Renew this account", "Renew the account",
     "The account stays open until the start of the day you choose (UTC), within the "
     "organisation's agreed period; an expired account opens again.",
     Asks::kUntil, false},
    {"expire", authz::AdminAction::kUserExpire, "Expire this account now", "Expire the account",
     "They cannot sign in from now on, until an administrator renews the account.", Asks::kNothing,
     true},
    {"leave", authz::AdminAction::kUserLeave, "Record a leaver", "Record the leaver",
     "Their access ends now: every session ends, every token is revoked, and the account can "
     "never be used again. A person who returns is given a new account.",
     Asks::kNothing, true},
    {"lock", authz::AdminAction::kUserLock, "Lock this account", "Lock the account",
     "They cannot sign in, and their sessions end, until the account is unlocked.", Asks::kReason,
     true},
    {"unlock", authz::AdminAction::kUserUnlock, "Unlock this account", "Unlock the account",
     "Every lock on the account is lifted, and they can sign in again.", Asks::kReason, false},
    {"reenrol", authz::AdminAction::kUserReenrol, "Ask for them to enrol again",
     "Ask for a re-enrolment",
     "For someone who has lost their security keys, authenticator app and recovery codes. A second "
     "administrator approves it as a join request; then their password, second factors, security "
     "keys and recovery codes are forgotten, their sessions end, and they enrol again with a new "
     "enrolment token.",
     Asks::kNothing, true},
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
    for (const char* can : {"can_move", "can_renew", "can_leave"}) data[can] = true;
    if (u.status != "expired") data["can_expire"] = true;
    data[u.status == "locked" ? "can_unlock" : "can_lock"] = true;
  }
  if (const auto kind = identity::ParseKind(u.kind);
      kind && identity::WhyNotReenrol(*kind, u.status).empty()) {
    data["can_reenrol"] = true;
  }
  if (u.kind == "service") {
    ASSIGN_OR_RETURN(const auto tokens, d.lifecycle.accounts.Tokens(c.who(), u.id, c.context));
    data["service"] = true;
    const authz::AdminTarget target{u.org_id, identity::Kind::kService, u.id, {}};
    const bool active = u.status == "active";
    if (active && Offered(d, c.who(), authz::AdminAction::kTokenIssue, target)) {
      data["can_issue"] = true;
    }
    const bool can_revoke = Offered(d, c.who(), authz::AdminAction::kTokenRevoke, target);
    const auto now = FormatRfc3339(d.clock.Now());
    PageData list{PageData::type::list};
    for (const auto& t : tokens) {
      PageData item;
      item["id"] = t.id;
      item["created_by"] = t.created_by;
      item["created_at"] = Readable(t.created_at);
      item["expires_at"] = Readable(t.expires_at);
      // RFC 3339 UTC times of one form compare as text.
      const bool revoked = !t.revoked_at.empty(), expired = t.expires_at <= now;
      // A token works only while its account is active (identity::Tokens::Authenticate).
      item["status"] = revoked   ? "Revoked"
                       : expired ? "Expired"
                       : active  ? "Active"
                                 : "Not working";
      item["tag"] = revoked || expired || !active ? "govuk-tag--grey" : "govuk-tag--green";
      if (!revoked && !expired && can_revoke) {
        item["revoke"] =
            "/admin/users/" + PercentEncode(u.id) + "/tokens/" + PercentEncode(t.id) + "/revoke";
      }
      list.push_back(item);
    }
    if (!tokens.empty()) data["has_tokens"] = true;
    data["tokens"] = std::move(list);
  }
  return Page(d, 200, "admin_user", data);
}

// The form for an action on the account: opened (`posted` null: an assignment's fields hold the
// account's), or posted and shown again with `error` beside `field`.
Result<http::Response> UserActionPage(const ConsoleDeps& d, Call& c, const UserAction& a,
                                      const http::Form* posted, const Error* error,
                                      std::string_view field) {
  ASSIGN_OR_RETURN(auto u, FindUser(d, c));
  http::Form form = posted == nullptr ? http::Form() : *posted;
  auto data = SignedIn(d, c, std::string(a.title));
  data["id"] = PercentEncode(u.id);
  data["username"] = u.username;
  data["verb"] = std::string(a.verb);
  data["button"] = std::string(a.button);
  data["warning"] = std::string(a.warning);
  if (a.destructive) data["destructive"] = true;
  const std::string message = error == nullptr ? "" : Sentence(error->message);
  std::string link(field);  // where the error summary points
  switch (a.asks) {
    case Asks::kNothing:
      break;
    case Asks::kReason:
      data["asks_reason"] = true;
      data["reason_value"] = form["reason"];
      break;
    case Asks::kAssignment: {
      data["asks_assignment"] = true;
      const auto grants = Grantable(d);
      const auto roles = posted == nullptr ? SplitList(u.roles) : http::FormValues(form, "roles");
      const auto granted =
          posted == nullptr ? SplitList(u.grants) : http::FormValues(form, "grants");
      data["remits_value"] = posted == nullptr ? Listed(u.remits) : form["remits"];
      if (posted == nullptr && u.remits.empty()) data["remits_value"] = "";
      PageData choices{PageData::type::list};
      choices.push_back(Choices("roles", "Roles", "None: a reader, read-only", false, kRoles, roles,
                                field == "roles" ? message : ""));
      choices.push_back(Choices("grants", "May see", "Standard accounts: what beyond OFFICIAL",
                                false, grants, granted, field == "grants" ? message : ""));
      data["choices"] = std::move(choices);
      if (field == "roles") link = "roles-" + kRoles.front();
      if (field == "grants") link = "grants-" + grants.front();
      break;
    }
    case Asks::kUntil:
      data["until"] = DateInput("until", "The day it expires", "For example, 31 3 2027", form,
                                field == "until" ? message : "");
      if (field == "until") link = "until_day";
      break;
  }
  // A reason or a day refused comes after the factor was proved: not asked for again.
  if (field == "code" || (error == nullptr && NeedsCode(d, c, a.action))) {
    AskFreshFactor(d, c, data);
  }
  if (error == nullptr) return Page(d, 200, "admin_user_action", data);
  return FormAgain(d, "admin_user_action", std::move(data), link, *error);
}

// The start of the day the form's date input names, in UTC: as the API reads a date.
Result<TimePoint> UntilOf(http::Form& form) {
  const auto day = DateFrom(form["until_day"], form["until_month"], form["until_year"]);
  const auto at = lifecycle::ParseDate(day);
  if (!at || FormatRfc3339(*at).substr(0, 10) != day) {
    return Fail(ErrorCode::kInvalidArgument, "enter a real date, for example 31 3 2027");
  }
  return *at;
}

// The form's fields, after the fresh factor is proved, become the action.
Result<void> Act(const ConsoleDeps& d, Call& c, const UserAction& a,
                 const identity::Principal& admin, http::Form& form) {
  const auto& id = c.param("id");
  auto& accounts = d.lifecycle.accounts;
  switch (a.action) {
    case authz::AdminAction::kUserMove: {
      // What the account may see beyond what the form offers (a descriptor no longer
      // configured) is kept: the form can neither show nor remove it.
      ASSIGN_OR_RETURN(const auto account, FindUser(d, c));
      auto grants = http::FormValues(form, "grants");
      const auto offered = Grantable(d);
      for (auto& held : SplitList(account.grants)) {
        if (std::ranges::find(offered, held) == offered.end()) grants.push_back(std::move(held));
      }
      return accounts.Move(admin, id, http::FormValues(form, "roles"), RemitsOf(form["remits"]),
                           std::move(grants), c.context);
    }
    case authz::AdminAction::kUserRenew: {
      auto until = UntilOf(form);
      if (!until) {
        return d.lifecycle.RefuseMalformed(admin, std::string(authz::RuleFor(a.action).name),
                                           until.error(), c.context);
      }
      return accounts.Renew(admin, id, *until, c.context);
    }
    case authz::AdminAction::kUserExpire:
      return accounts.Expire(admin, id, std::nullopt, c.context);
    case authz::AdminAction::kUserLeave:
      return accounts.Leave(admin, id, c.context);
    case authz::AdminAction::kUserLock:
      return accounts.Lock(admin, id, form["reason"], c.context);
    case authz::AdminAction::kUserUnlock:
      return accounts.Unlock(admin, id, form["reason"], c.context);
    case authz::AdminAction::kUserReenrol: {
      ASSIGN_OR_RETURN(auto request, d.lifecycle.joiners.RequestReenrolment(admin, id, c.context));
      (void)request;
      return {};
    }
    default:
      return Fail(ErrorCode::kInternal, "no such action on an account");
  }
}

// Which field the service's refusal of `a` is about.
std::string_view FieldOf(const UserAction& a, std::string_view message) {
  switch (a.asks) {
    case Asks::kAssignment: {
      // As on the join form; a message about anything else is about the roles.
      const auto field = JoinField(message);
      return field == "remits" || field == "grants" ? field : "roles";
    }
    case Asks::kUntil:
      return "until";
    case Asks::kReason:
      return "reason";
    case Asks::kNothing:
      break;
  }
  return "";
}

Result<http::Form> UserActionForm(const http::Request& request, Asks asks) {
  switch (asks) {
    case Asks::kNothing:
      return http::ParseForm(request, {{"code", 32}, {"key_answer", 8192}});
    case Asks::kReason:
      return http::ParseForm(request, {{"code", 32}, {"key_answer", 8192}, {"reason", 2000, true}});
    case Asks::kAssignment:
      return http::ParseForm(request, {{"code", 32},
                                       {"key_answer", 8192},
                                       {"roles", 32, false, true},
                                       {"remits", 64 * 65},
                                       {"grants", 32, false, true}});
    case Asks::kUntil:
      return http::ParseForm(request, {{"code", 32},
                                       {"key_answer", 8192},
                                       {"until_day", 8},
                                       {"until_month", 8},
                                       {"until_year", 8}});
  }
  return Fail(ErrorCode::kInternal, "no such form");
}

Result<http::Response> ActOnUser(const ConsoleDeps& d, Call& c, const UserAction& a) {
  auto form = UserActionForm(c.request, a.asks);
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), std::string(authz::RuleFor(a.action).name),
                                       form.error(), c.context);
  }
  auto fresh = Proven(d, c, a.action, *form);
  if (!fresh) {
    if (http::HttpStatusFor(fresh.error().code) >= 500) return std::unexpected(fresh.error());
    return UserActionPage(d, c, a, &*form, &fresh.error(), "code");
  }
  auto done = Act(d, c, a, *fresh, *form);
  if (!done) {
    const auto field = FieldOf(a, done.error().message);
    if (done.error().code != ErrorCode::kInvalidArgument || field.empty()) {
      return std::unexpected(done.error());
    }
    return UserActionPage(d, c, a, &*form, &done.error(), field);
  }
  // A re-enrolment waits for a second administrator, among the join requests.
  if (a.action == authz::AdminAction::kUserReenrol) return SeeOther("/admin/join-requests");
  return SeeOther("/admin/users/" + PercentEncode(c.param("id")));
}

// --- API tokens of service accounts ------------------------------------------------------------

// The form to issue a token: opened, or posted and shown again with `error` beside `field`.
Result<http::Response> TokenPage(const ConsoleDeps& d, Call& c, http::Form form, const Error* error,
                                 std::string_view field) {
  ASSIGN_OR_RETURN(const auto u, FindUser(d, c));
  if (u.kind != "service") return Fail(ErrorCode::kNotFound, "no such service account");
  auto data = SignedIn(d, c, "Issue an API token");
  data["id"] = PercentEncode(u.id);
  data["username"] = u.username;
  const std::string message = error == nullptr ? "" : Sentence(error->message);
  data["until"] = DateInput("until", "It stops working on", "Within a year, for example 31 3 2027",
                            form, field == "until" ? message : "");
  // A day refused comes after the factor was proved: not asked for again.
  if (field == "code" || (error == nullptr && NeedsCode(d, c, authz::AdminAction::kTokenIssue))) {
    AskFreshFactor(d, c, data);
  }
  if (error == nullptr) return Page(d, 200, "admin_token_new", data);
  return FormAgain(d, "admin_token_new", std::move(data), field == "until" ? "until_day" : field,
                   *error);
}

Result<http::Response> IssueToken(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"code", 32},
                                          {"key_answer", 8192},
                                          {"until_day", 8},
                                          {"until_month", 8},
                                          {"until_year", 8}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.token.issue", form.error(), c.context);
  }
  auto fresh = Proven(d, c, authz::AdminAction::kTokenIssue, *form);
  if (!fresh) {
    if (http::HttpStatusFor(fresh.error().code) >= 500) return std::unexpected(fresh.error());
    return TokenPage(d, c, std::move(*form), &fresh.error(), "code");
  }
  auto until = UntilOf(*form);
  if (!until) {
    auto refused =
        d.lifecycle.RefuseMalformed(*fresh, "admin.token.issue", until.error(), c.context);
    if (refused.error().code != ErrorCode::kInvalidArgument) return refused;
    return TokenPage(d, c, std::move(*form), &until.error(), "until");
  }
  // The account first: once issued, nothing may stand between the token and its one showing.
  ASSIGN_OR_RETURN(const auto u, FindUser(d, c));
  auto issued = d.lifecycle.accounts.IssueToken(*fresh, u.id, *until, c.context);
  if (!issued) {
    // A day refused is the form's to show; anything else (an account not active) is a page.
    if (issued.error().code != ErrorCode::kInvalidArgument) return std::unexpected(issued.error());
    return TokenPage(d, c, std::move(*form), &issued.error(), "until");
  }
  auto data = SignedIn(d, c, "API token issued");
  data["id"] = PercentEncode(u.id);
  data["username"] = u.username;
  data["token"] = issued->token;
  data["token_id"] = issued->id;
  data["expires_at"] = Readable(issued->expires_at);
  return Page(d, 200, "admin_token_issued", data);
}

// Revokes one of the account's tokens (the service refuses a token of another account as not
// found).
Result<http::Response> RevokeToken(const ConsoleDeps& d, Call& c) {
  if (auto form = http::ParseForm(c.request, {}); !form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.token.revoke", form.error(), c.context);
  }
  RETURN_IF_ERROR(
      d.lifecycle.accounts.RevokeToken(c.who(), c.param("token"), c.context, c.param("id")));
  return SeeOther("/admin/users/" + PercentEncode(c.param("id")));
}

// --- Bulk leavers ------------------------------------------------------------------------------

// A list's bytes: 10,000 rows of long email addresses. The upload and the confirmation both send
// it as multipart/form-data (as it is, not percent-encoded), within the server's default body
// limit (1 MiB).
constexpr size_t kMaxLeaversBytes = 512 * 1024;

struct LeaverResult {
  std::string_view result, text, tag;
};
constexpr LeaverResult kLeaverResults[] = {
    {"will_remove", "Will lose access", "govuk-tag--red"},
    {"removed", "Access removed", "govuk-tag--red"},
    {"already_left", "Already left", "govuk-tag--grey"},
    {"not_found", "No such account", "govuk-tag--yellow"},
    {"self", "You: not removed", "govuk-tag--yellow"},
    {"invalid", "Not a username or email", "govuk-tag--yellow"},
};

// "1 person", "3 people".
std::string People(size_t n) { return n == 1 ? "1 person" : std::to_string(n) + " people"; }

// The upload form; `error`, if any, beside the file.
Result<http::Response> LeaversPage(const ConsoleDeps& d, Call& c, const Error* error) {
  // Who may apply a list is the service's decision, made (and audited) when one is posted.
  auto data = SignedIn(d, c, "Record leavers from a list");
  if (error == nullptr) return Page(d, 200, "admin_leavers", data);
  return FormAgain(d, "admin_leavers", std::move(data), "csv", *error);
}

// A list checked (what each row would do, and the form to apply it, carrying the same list), or
// applied (what each row did). A list the service refuses comes back to the upload form.
Result<http::Response> LeaverRows(const ConsoleDeps& d, Call& c, bool apply) {
  auto form = http::ParseForm(c.request, {{"csv", kMaxLeaversBytes, true}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(
        c.who(), apply ? "admin.leavers.apply" : "admin.leavers.check", form.error(), c.context);
  }
  const auto& csv = (*form)["csv"];
  auto rows = d.lifecycle.accounts.Leavers(c.who(), csv, !apply, c.context);
  if (!rows) {
    if (rows.error().code != ErrorCode::kInvalidArgument) return std::unexpected(rows.error());
    return LeaversPage(d, c, &rows.error());
  }
  auto data = SignedIn(d, c, apply ? "Leavers recorded" : "Check the leavers");
  size_t leaving = 0;
  PageData list{PageData::type::list};
  for (const auto& row : *rows) {
    PageData item;
    item["line"] = std::to_string(row.line);
    item["name"] = row.username;
    item["result"] = row.result;
    for (const auto& r : kLeaverResults) {
      if (r.result == row.result) {
        item["result"] = std::string(r.text);
        item["tag"] = std::string(r.tag);
      }
    }
    if (row.result == "will_remove" || row.result == "removed") ++leaving;
    list.push_back(item);
  }
  data["rows"] = std::move(list);
  data["named_by"] = "Username or email";
  const auto others = rows->size() - leaving;
  const std::string rest = others == 0 ? ""
                           : others == 1
                               ? " 1 row of the list changes nothing."
                               : fmt::format(" {} rows of the list change nothing.", others);
  if (apply) {
    data["applied"] = true;
    data["summary"] =
        People(leaving) + (leaving == 1 ? " has" : " have") + " lost their access." + rest;
  } else {
    data["summary"] = People(leaving) + " would lose their access. Nothing has changed yet." + rest;
    if (leaving > 0) {
      data["can_apply"] = true;
      data["csv"] = csv;
      data["button"] = "Remove access for " + People(leaving);
    }
  }
  return Page(d, 200, "admin_leavers_rows", data);
}

// --- The audit log ------------------------------------------------------------------------------

struct AuditFilter {
  std::string_view name, label, hint;
};
constexpr AuditFilter kAuditFilters[] = {
    {"actor", "Who (an account's id)", "Each event's Who links to that person's events"},
    {"action", "What (an action)", "For example, record.view or admin.user.leave"},
    {"target", "To what (an id)", "A record's, an account's or an organisation's id"},
    {"since", "From", "A date, 2026-12-03, or a time, 2026-12-03T09:00:00Z"},
    {"until", "Until", "A date or a time, as above"},
};

// One canonical event as a row of the table.
PageData EventRow(const std::string& canonical) {
  PageData row;
  boost::system::error_code ec;
  const auto event = boost::json::parse(canonical, ec);
  if (ec || !event.is_object()) return row;
  const auto text = [&](std::initializer_list<std::string_view> path) {
    const boost::json::value* v = &event;
    for (const auto key : path) {
      v = v->is_object() ? v->as_object().if_contains(key) : nullptr;
      if (v == nullptr) return std::string();
    }
    return v->is_string() ? std::string(v->as_string()) : std::string();
  };
  row["time"] = Readable(text({"time"}));
  row["node"] = text({"node"});  // which node recorded it: searches cover every node's
  const auto id = text({"actor", "id"});
  const auto username = text({"actor", "username"});
  row["who"] = username.empty() ? (id.empty() ? std::string("anonymous") : id) : username;
  if (!id.empty()) row["actor_link"] = "/admin/audit?actor=" + PercentEncode(id);
  row["source"] = text({"source"});
  row["action"] = text({"action"});
  row["target"] = text({"target", "type"}) + " " + text({"target", "id"});
  const auto* decision = event.as_object().if_contains("decision");
  const bool allowed = decision != nullptr && decision->is_object() &&
                       decision->as_object().if_contains("allow") != nullptr &&
                       decision->as_object().at("allow") == true;
  row["decision"] = allowed ? "Allowed" : "Refused";
  row["tag"] = allowed ? "govuk-tag--green" : "govuk-tag--red";
  row["reason"] = text({"decision", "reason"});
  return row;
}

// The audit log's search (`security`: the security.* events alone), for security officers: the
// API's search (api::SearchAuditLog decides, and records each search), its filters a GET form.
Result<http::Response> AuditPage(const ConsoleDeps& d, Call& c, bool security) {
  const std::string_view path = security ? "/admin/security-events" : "/admin/audit";
  auto found = api::SearchAuditLog(d.audit, d.clock, c.who(), c.request.query,
                                   security ? "security." : "", c.context);
  if (!found && found.error().code != ErrorCode::kInvalidArgument) {
    return std::unexpected(found.error());
  }
  // The filters as given (a query that does not parse at all was refused, and recorded, above).
  auto given = http::ParseQuery(c.request.query,
                                {"actor", "target", "action", "since", "until", "cursor", "limit"});
  if (!given) return std::unexpected(found ? given.error() : found.error());
  auto data = SignedIn(d, c, security ? "Security events" : "Audit log");
  data["path"] = std::string(path);
  data["lede"] = security ? "Attacks detected, sources blocked and released, and probes of the "
                            "surfaces a listener does not serve."
                          : "Who did what, to what, from where, and what was decided: every "
                            "view and change, allowed or refused.";
  std::string_view field;
  if (!found) {
    field = "actor";
    for (const auto& f : kAuditFilters) {
      if (found.error().message.starts_with(f.name)) field = f.name;
    }
  }
  PageData filters{PageData::type::list};
  std::string kept;  // the filters again, for the next page's link
  for (const auto& f : kAuditFilters) {
    const std::string name(f.name);
    PageData filter;
    filter["name"] = name;
    filter["label"] = std::string(f.label);
    filter["hint"] = std::string(f.hint);
    filter["value"] = (*given)[name];
    std::string described = name + "-hint";
    if (field == f.name) {
      filter["error"] = Sentence(found.error().message);
      described += " " + name + "-error";
    }
    filter["described"] = described;
    filters.push_back(filter);
    if (!(*given)[name].empty()) kept += name + "=" + PercentEncode((*given)[name]) + "&";
  }
  if (!(*given)["limit"].empty()) kept += "limit=" + PercentEncode((*given)["limit"]) + "&";
  data["filters"] = std::move(filters);
  if (!found) return FormAgain(d, "admin_audit", std::move(data), field, found.error());
  PageData items{PageData::type::list};
  for (const auto& e : found->events) items.push_back(EventRow(e));
  if (!found->events.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  if (!found->next_cursor.empty()) {
    data["next"] = std::string(path) + "?" + kept + "cursor=" + PercentEncode(found->next_cursor);
  }
  return Page(d, 200, "admin_audit", data);
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
  pages.Add(verb::get, "/admin/leavers", Credentials::kSession, "The form to upload a leavers list",
            [](const ConsoleDeps& d, Call& c) { return LeaversPage(d, c, nullptr); });
  pages.Add(verb::post, "/admin/leavers", Credentials::kSession,
            "Check a leavers list (a CSV file): what each row would do",
            [](const ConsoleDeps& d, Call& c) { return LeaverRows(d, c, false); });
  pages.Add(verb::post, "/admin/leavers/apply", Credentials::kSession, "Apply a leavers list",
            [](const ConsoleDeps& d, Call& c) { return LeaverRows(d, c, true); });
  pages.Add(verb::get, "/admin/audit", Credentials::kSession, "Search the audit log",
            [](const ConsoleDeps& d, Call& c) { return AuditPage(d, c, false); });
  pages.Add(verb::get, "/admin/security-events", Credentials::kSession,
            "Security events: attacks detected, blocks, probes",
            [](const ConsoleDeps& d, Call& c) { return AuditPage(d, c, true); });
  pages.Add(verb::get, "/admin/users", Credentials::kSession, "Accounts", UsersPage);
  pages.Add(verb::get, "/admin/users/{id}", Credentials::kSession, "An account", UserPage);
  pages.Add(verb::get, "/admin/users/{id}/tokens/new", Credentials::kSession,
            "The form to issue an API token to a service account",
            [](const ConsoleDeps& d, Call& c) { return TokenPage(d, c, {}, nullptr, ""); });
  pages.Add(verb::post, "/admin/users/{id}/tokens", Credentials::kSession,
            "Issue an API token to a service account, with a fresh second factor; shown once",
            IssueToken);
  pages.Add(verb::post, "/admin/users/{id}/tokens/{token}/revoke", Credentials::kSession,
            "Revoke a service account's API token", RevokeToken);
  for (const auto& a : kUserActions) {
    const std::string path = "/admin/users/{id}/" + std::string(a.verb);
    pages.Add(verb::get, path, Credentials::kSession, std::string(a.title),
              [&a](const ConsoleDeps& d, Call& c) {
                return UserActionPage(d, c, a, nullptr, nullptr, "");
              });
    pages.Add(verb::post, path, Credentials::kSession, std::string(a.title),
              [&a](const ConsoleDeps& d, Call& c) { return ActOnUser(d, c, a); });
  }
}

}  // namespace strongroom::web
