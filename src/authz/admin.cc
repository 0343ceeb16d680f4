#include "authz/admin.h"

#include <algorithm>
#include <array>

#include "common/names.h"

namespace strongroom::authz {
namespace {

using identity::Kind;
using identity::Role;
using enum AdminAction;

constexpr std::array kRules = {
    AdminRule{kOrgCreate, "admin.org.create", Who::kSecurityOfficer, Reach::kService, false,
              "create an organisation"},
    AdminRule{kOrgList, "admin.org.list", Who::kAdministrator, Reach::kOrganisation, false,
              "list organisations"},
    AdminRule{kOrgCertificates, "admin.org.certificates", Who::kSecurityOfficer,
              Reach::kOrganisation, false, "record an organisation's supplier certificates"},
    AdminRule{kOrgSecondFactor, "admin.org.second_factor", Who::kSecurityOfficer,
              Reach::kOrganisation, true,
              "set which second factors an organisation's people may sign in with"},
    AdminRule{kRemitCreate, "admin.remit.create", Who::kAdministrator, Reach::kOrganisation, false,
              "create a remit"},
    AdminRule{kRemitList, "admin.remit.list", Who::kAdministrator, Reach::kOrganisation, false,
              "list an organisation's remits"},
    AdminRule{kJoinRequest, "admin.join_request.create", Who::kAdministrator, Reach::kOrganisation,
              false, "ask for an account (a join request)"},
    AdminRule{kJoinApprove, "admin.join_request.approve", Who::kAdministrator, Reach::kOrganisation,
              true, "approve a join request"},
    AdminRule{kJoinReject, "admin.join_request.reject", Who::kAdministrator, Reach::kOrganisation,
              false, "reject a join request"},
    AdminRule{kJoinList, "admin.join_request.list", Who::kAdministrator, Reach::kOrganisation,
              false, "list join requests"},
    AdminRule{kUserList, "admin.user.list", Who::kAdministrator, Reach::kOrganisation, false,
              "list accounts"},
    AdminRule{kUserLeave, "admin.user.leave", Who::kAdministrator, Reach::kAccount, false,
              "remove a leaver's access"},
    AdminRule{kUserMove, "admin.user.move", Who::kAdministrator, Reach::kAccount, false,
              "move an account to new roles and remits"},
    AdminRule{kUserExpire, "admin.user.expire", Who::kAdministrator, Reach::kAccount, false,
              "expire an account"},
    AdminRule{kUserRenew, "admin.user.renew", Who::kAdministrator, Reach::kAccount, true,
              "renew an account"},
    AdminRule{kUserLock, "admin.user.lock", Who::kAdministrator, Reach::kAccount, true,
              "lock an account"},
    AdminRule{kUserUnlock, "admin.user.unlock", Who::kAdministrator, Reach::kAccount, true,
              "unlock an account"},
    AdminRule{kUserReenrol, "admin.user.reenrol", Who::kAdministrator, Reach::kAccount, false,
              "ask for an account's owner to enrol again (a second admin approves, as a join "
              "request)"},
    AdminRule{kLeavers, "admin.leavers.apply", Who::kAdministrator, Reach::kOrganisation, false,
              "remove leavers in bulk (each row as for one leaver)"},
    AdminRule{kTokenIssue, "admin.token.issue", Who::kAdministrator, Reach::kAccount, true,
              "issue an API token to a service account"},
    AdminRule{kTokenRevoke, "admin.token.revoke", Who::kAdministrator, Reach::kAccount, false,
              "revoke an API token"},
    AdminRule{kTokenList, "admin.token.list", Who::kAdministrator, Reach::kAccount, false,
              "list a service account's API tokens"},
    AdminRule{kOrderCreate, "retention.order.create", Who::kSecurityOfficer, Reach::kOrganisation,
              false, "make a Retention Order"},
    AdminRule{kOrderLift, "retention.order.lift", Who::kSecurityOfficer, Reach::kOrganisation,
              false, "lift a Retention Order"},
    AdminRule{kOrderList, "retention.order.list", Who::kSecurityOfficer, Reach::kService, false,
              "list Retention Orders"},
    AdminRule{kAuditSearch, "audit.search", Who::kSecurityOfficer, Reach::kService, false,
              "search the audit log"},
    AdminRule{kExportApprove, "export.approve", Who::kApprover, Reach::kOrganisation, false,
              "approve another person's export", true},
    AdminRule{kScimProvision, "scim", Who::kProvisioner, Reach::kOrganisation, false,
              "provision people over SCIM"},
    AdminRule{kIthcRecord, "compliance.ithc.record", Who::kSecurityOfficer, Reach::kService, false,
              "record an IT Health Check"},
    AdminRule{kIthcList, "compliance.ithc.list", Who::kSecurityOfficer, Reach::kService, false,
              "read the IT Health Check register"},
    AdminRule{kIthcFinding, "compliance.ithc.finding.add", Who::kSecurityOfficer, Reach::kService,
              false, "add a finding to an IT Health Check"},
    AdminRule{kIthcMitigate, "compliance.ithc.finding.mitigate", Who::kSecurityOfficer,
              Reach::kService, false, "record the mitigation of an IT Health Check finding"},
    AdminRule{kIthcAccept, "compliance.ithc.finding.accept", Who::kSecurityOfficer, Reach::kService,
              true, "accept the risk of an IT Health Check finding"},
    AdminRule{kIthcSignOff, "compliance.ithc.sign_off", Who::kSecurityOfficer, Reach::kService,
              true, "sign off an IT Health Check as passed (not the officer who recorded it)"},
    AdminRule{kComplianceRead, "compliance.read", Who::kSecurityOfficer, Reach::kService, false,
              "read the go-live gate and the compliance report"},
};

Decision Deny(std::string reason, bool hidden = false) {
  return {false, hidden, std::move(reason)};
}

bool IsOfficer(const Subject& s) {
  return s.kind == Kind::kPrivileged && s.roles.Has(Role::kSecurityOfficer);
}
bool IsOrgAdmin(const Subject& s) {
  return s.kind == Kind::kPrivileged && s.roles.Has(Role::kOrgAdmin);
}

bool Is(const Subject& s, Who who) {
  switch (who) {
    case Who::kSecurityOfficer:
      return IsOfficer(s);
    case Who::kAdministrator:
      return IsOfficer(s) || IsOrgAdmin(s);
    case Who::kApprover:
      return s.kind == Kind::kStandard && s.roles.Has(Role::kApprover);
    case Who::kProvisioner:
      return s.kind == Kind::kService && s.roles.Has(Role::kProvisioner);
  }
  return false;
}

}  // namespace

std::span<const AdminRule> AdminRules() { return kRules; }

const AdminRule& RuleFor(AdminAction action) {
  return *std::find_if(kRules.begin(), kRules.end(),
                       [&](const AdminRule& r) { return r.action == action; });
}

std::string_view Name(Who who) {
  static constexpr std::pair<Who, std::string_view> kNames[] = {
      {Who::kSecurityOfficer, "security officers"},
      {Who::kAdministrator, "administrators"},
      {Who::kApprover, "approvers"},
      {Who::kProvisioner, "provisioners"},
  };
  return NameIn<Who>(kNames, who, "nobody");
}

Decision DecideAdmin(const Subject& s, AdminAction action, const AdminTarget& t, TimePoint now) {
  const auto& rule = RuleFor(action);
  if (s.status != "active") return Deny("account is " + s.status);
  if (now >= s.expires_at) return Deny("account has expired");
  const bool officer = IsOfficer(s);
  const bool elsewhere = !t.org_id.empty() && t.org_id != s.org_id;
  if (rule.place_first && elsewhere) return Deny("outside the caller's organisation", true);
  if (!Is(s, rule.who)) {
    return Deny(std::string("only ") + std::string(Name(rule.who)) + " may " +
                std::string(rule.what));
  }
  if (rule.reach != Reach::kService && !officer) {
    if (elsewhere) return Deny("outside the caller's organisation", true);
    // An account whose kind is not known is treated as privileged: beyond an org admin's reach.
    if (rule.reach == Reach::kAccount && !t.org_id.empty() &&
        (!t.kind || *t.kind == Kind::kPrivileged)) {
      return Deny("a privileged account: for a security officer", true);
    }
  }
  if (rule.reach == Reach::kAccount && !t.account_id.empty() && t.account_id == s.id) {
    return Deny("nobody acts on their own account");
  }
  if (!officer && action == kJoinRequest && t.roles.Has(Role::kSecurityOfficer)) {
    return Deny("only a security officer may make a security officer");
  }
  if (!officer && action == kJoinApprove && !t.org_id.empty() &&
      (!t.kind || *t.kind != Kind::kStandard)) {
    return Deny("privileged and service accounts are approved by a security officer");
  }
  if (officer) return {true, false, "security officer"};
  if (rule.who == Who::kAdministrator) return {true, false, "org admin of the organisation"};
  return {true, false, std::string(Name(rule.who)) + " of the organisation"};
}

std::string ListedOrganisation(const Subject& s) { return IsOfficer(s) ? "" : s.org_id; }

}  // namespace strongroom::authz
