#include "authz/authz.h"

#include <algorithm>

#include "common/names.h"

namespace strongroom::authz {
namespace {

using identity::Holds;
using identity::Kind;
using identity::Role;

Decision Deny(std::string reason, bool hidden = false) {
  return {false, hidden, std::move(reason)};
}

}  // namespace

Decision DecideSubject(const Subject& s, TimePoint now) {
  if (s.status != "active") return Deny("account is " + s.status);
  if (now >= s.expires_at) return Deny("account has expired");
  if (s.kind != Kind::kStandard) {
    return Deny(std::string(identity::Name(s.kind)) + " accounts never see record content");
  }
  if (!s.roles.Has(Role::kReader) && !s.roles.Has(Role::kEditor)) {
    return Deny("no role that may read records");
  }
  return {true, false, ""};
}

namespace {

// Rule 6 for changes.
Decision CheckChangeRole(const Subject& s, Action action) {
  const bool change =
      action == Action::kCreate || action == Action::kUpdate || action == Action::kDelete;
  if (change && !s.roles.Has(Role::kEditor)) {
    return Deny("only an editor may " + std::string(ActionName(action)));
  }
  return {true, false, ""};
}

}  // namespace

std::string_view ActionName(Action action) {
  static constexpr std::pair<Action, std::string_view> kNames[] = {
      {Action::kView, "view"},     {Action::kList, "list"},     {Action::kCreate, "create"},
      {Action::kUpdate, "update"}, {Action::kDelete, "delete"},
  };
  return NameIn<Action>(kNames, action);
}

Decision Decide(const Subject& s, Action action, const Resource& r, TimePoint now) {
  auto d = DecideSubject(s, now);
  if (!d.allow) return d;
  // A new record is placed by its creator: refusing it reveals nothing that exists. For the
  // rest, where and what the record is are checked before the role, so that a reader who may not
  // change a record learns nothing about records they cannot see either.
  const bool hide = action != Action::kCreate;
  if (r.org_id != s.org_id) return Deny("record belongs to another organisation", hide);
  if (!Holds(s.remits, r.remit)) return Deny("remit not assigned to the account", hide);
  if (r.classification == kSensitive && !Holds(s.grants, kSensitive)) {
    return Deny("OFFICIAL-SENSITIVE needs the sensitive-access grant", hide);
  }
  for (const auto& descriptor : r.descriptors) {
    if (!Holds(s.grants, descriptor))
      return Deny("descriptor " + descriptor + " not granted", hide);
  }
  if (d = CheckChangeRole(s, action); !d.allow) return d;
  return {true, false,
          "role, organisation, remit and labels allow " + std::string(ActionName(action))};
}

ScopeDecision ScopeForList(const Subject& s, std::string_view remit, TimePoint now) {
  ScopeDecision out;
  out.decision = DecideSubject(s, now);
  if (!out.decision.allow) return out;
  out.scope.org_id = s.org_id;
  if (remit.empty()) {
    out.scope.remits = s.remits;
  } else if (Holds(s.remits, remit)) {
    out.scope.remits = {std::string(remit)};
  }
  out.scope.sensitive = Holds(s.grants, kSensitive);
  for (const auto& g : s.grants) {
    if (g != kSensitive) out.scope.grants.push_back(g);
  }
  out.decision.reason = "listing within the account's organisation, remits and grants";
  return out;
}

}  // namespace strongroom::authz
