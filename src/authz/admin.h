#pragma once
// Administration decisions: whether a subject may take an administrative action, and on what.
//
// The policy is one table, `AdminRules()`, a row per action: who may take it, how far an org
// admin's reach goes, and whether a fresh second factor is needed. `DecideAdmin` applies it, deny
// by default, in this order (the first failing rule is the reason):
// 1. the subject must be active and not past its expiry;
// 2. it must be who the row names (for rows marked `place_first`, after 3, as for records): a
//    security officer (a privileged account holding
//    security_officer); an administrator (a security officer, or a privileged account holding
//    org_admin); an approver (an active standard account holding approver); or a provisioner (a
//    service account holding provisioner);
// 3. an org admin, approver or provisioner reaches their own organisation only, and of its
//    accounts the standard and service ones; a target beyond reach is `hidden` (the caller is
//    told "not found", as if it were absent), so refusals never reveal another organisation;
// 4. nobody acts on their own account;
// 5. a join request for a privileged or service account, or one granting security_officer, is
//    for a security officer to raise and approve.
// Whether a second factor is fresh is the caller's to know (the session's); the table says which
// actions need it. Who may approve what someone else asked for (two people) is approvals/'s rule.
//
// docs/authorization.md is rendered from the table; a test fails when the two differ.
//
// Pure functions over constant data; safe from any thread.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "authz/authz.h"
#include "identity/account.h"

namespace strongroom::authz {

enum class AdminAction : uint8_t {
  kOrgCreate,
  kOrgList,
  kOrgCertificates,
  kOrgSecondFactor,
  kRemitCreate,
  kRemitList,
  kJoinRequest,
  kJoinApprove,
  kJoinReject,
  kJoinList,
  kUserList,
  kUserLeave,
  kUserMove,
  kUserExpire,
  kUserRenew,
  kUserLock,
  kUserUnlock,
  kUserReenrol,
  kLeavers,
  kTokenIssue,
  kTokenRevoke,
  kTokenList,
  kOrderCreate,
  kOrderLift,
  kOrderList,
  kAuditSearch,
  kExportApprove,
  kScimProvision,
  kIthcRecord,
  kIthcList,
  kIthcFinding,
  kIthcMitigate,
  kIthcAccept,
  kIthcSignOff,
  kComplianceRead,
};

enum class Who : uint8_t { kSecurityOfficer, kAdministrator, kApprover, kProvisioner };

enum class Reach : uint8_t {
  kService,       // not one organisation's: every one, or none
  kOrganisation,  // one organisation (a list is confined to it)
  kAccount,       // one account, in its organisation
};

struct AdminRule {
  AdminAction action;
  std::string_view name;  // the audit event's action
  Who who;
  Reach reach;
  bool fresh_second_factor;
  std::string_view what;  // in words, for the docs and refusals
  // The target's organisation is checked before who the caller is (as for record content): a
  // caller of another organisation is told "not found" whatever their role.
  bool place_first = false;
};

std::span<const AdminRule> AdminRules();
const AdminRule& RuleFor(AdminAction action);
std::string_view Name(Who who);

// What an action is taken on.
struct AdminTarget {
  std::string org_id;                  // the organisation acted on or in; "" for kService
  std::optional<identity::Kind> kind;  // of the account acted on, or asked for
  std::string account_id;              // the account acted on ("" if none)
  identity::Roles roles;               // asked for (join requests)
};

Decision DecideAdmin(const Subject& subject, AdminAction action, const AdminTarget& target,
                     TimePoint now);

// The organisation a list of `action` is confined to for `subject`: "" for every organisation
// (a security officer), else the subject's own. Meaningful once DecideAdmin allowed the action.
std::string ListedOrganisation(const Subject& subject);

}  // namespace strongroom::authz
