// The administration policy as a table: every action against every kind of caller, for a target
// in the caller's organisation and in another, of each kind of account, and the caller's own. The
// expectations below are written from the controls, not computed: `DecideAdmin` must agree with
// them cell by cell. docs/authorization.md is rendered from the production table and must match.

#include "authz/admin.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace strongroom::authz {
namespace {

using identity::Kind;
using identity::Role;
using enum AdminAction;

const TimePoint kNow = TimePoint(std::chrono::milliseconds(1'800'000'000'000));

Subject Caller(Kind kind, identity::Roles roles) {
  Subject s;
  s.id = "acc-caller";
  s.person_id = "per-caller";
  s.kind = kind;
  s.roles = roles;
  s.org_id = "org-a";
  s.status = "active";
  s.expires_at = kNow + std::chrono::days(30);
  return s;
}

enum Col { kOfficer, kOrgAdmin, kApprover, kEditor, kReader, kProvisioner, kCols };
const char* const kColNames[kCols] = {"security officer", "org admin", "approver",
                                      "editor",           "reader",    "provisioner"};

Subject CallerOf(Col c) {
  switch (c) {
    case kOfficer:
      return Caller(Kind::kPrivileged, {Role::kSecurityOfficer});
    case kOrgAdmin:
      return Caller(Kind::kPrivileged, {Role::kOrgAdmin});
    case kApprover:
      return Caller(Kind::kStandard, {Role::kReader, Role::kApprover});
    case kEditor:
      return Caller(Kind::kStandard, {Role::kEditor});
    case kReader:
      return Caller(Kind::kStandard, {Role::kReader});
    case kProvisioner:
      return Caller(Kind::kService, {Role::kProvisioner});
    case kCols:
      break;
  }
  return {};
}

// Who may take each action at all (in their reach): Y yes, - no. From the controls: officers
// run the service (organisations, orders, the audit log, privileged accounts, the IT Health
// Check register); org admins manage
// their own organisation's people; approvers approve others' exports; provisioners drive SCIM.
const std::map<AdminAction, std::string> kMay = {
    //                 officer, org admin, approver, editor, reader, provisioner
    {kOrgCreate, "Y-----"},       {kOrgList, "YY----"},        {kOrgCertificates, "Y-----"},
    {kOrgSecondFactor, "Y-----"}, {kRemitCreate, "YY----"},    {kRemitList, "YY----"},
    {kJoinRequest, "YY----"},     {kJoinApprove, "YY----"},    {kJoinReject, "YY----"},
    {kJoinList, "YY----"},        {kUserList, "YY----"},       {kUserLeave, "YY----"},
    {kUserMove, "YY----"},        {kUserExpire, "YY----"},     {kUserRenew, "YY----"},
    {kUserLock, "YY----"},        {kUserUnlock, "YY----"},     {kUserReenrol, "YY----"},
    {kLeavers, "YY----"},         {kTokenIssue, "YY----"},     {kTokenRevoke, "YY----"},
    {kTokenList, "YY----"},       {kOrderCreate, "Y-----"},    {kOrderLift, "Y-----"},
    {kOrderList, "Y-----"},       {kAuditSearch, "Y-----"},    {kExportApprove, "--Y---"},
    {kScimProvision, "-----Y"},   {kIthcRecord, "Y-----"},     {kIthcList, "Y-----"},
    {kIthcFinding, "Y-----"},     {kIthcMitigate, "Y-----"},   {kIthcAccept, "Y-----"},
    {kIthcSignOff, "Y-----"},     {kComplianceRead, "Y-----"},
};

enum class Answer { kAllow, kDeny, kHidden };
const char* Text(Answer a) {
  return a == Answer::kAllow ? "allow" : a == Answer::kDeny ? "deny" : "not found";
}

Answer Of(const Decision& d) {
  if (d.allow) return Answer::kAllow;
  return d.hidden ? Answer::kHidden : Answer::kDeny;
}

TEST(AdminPolicyTest, EveryCallerActionAndTargetCell) {
  ASSERT_EQ(kMay.size(), AdminRules().size()) << "every action has its row above";
  int cells = 0;
  for (const auto& rule : AdminRules()) {
    for (int c = 0; c < kCols; ++c) {
      const auto col = static_cast<Col>(c);
      const bool may = kMay.at(rule.action)[static_cast<size_t>(c)] == 'Y';
      for (const std::string org : {"org-a", "org-b"}) {
        for (Kind kind : {Kind::kStandard, Kind::kPrivileged, Kind::kService}) {
          for (const bool self : {false, true}) {
            AdminTarget t;
            t.org_id = rule.reach == Reach::kService ? "" : org;
            if (rule.reach == Reach::kAccount || rule.action == kJoinApprove) t.kind = kind;
            if (rule.reach == Reach::kAccount) t.account_id = self ? "acc-caller" : "acc-other";
            Answer want = Answer::kAllow;
            if (rule.place_first && org == "org-b") {
              want = Answer::kHidden;  // another organisation's export: as if absent, to anyone
            } else if (!may) {
              want = Answer::kDeny;  // not who may: refused whatever the target
            } else if (col != kOfficer && rule.reach != Reach::kService && org == "org-b") {
              want = Answer::kHidden;  // another organisation: as if absent
            } else if (col != kOfficer && rule.reach == Reach::kAccount &&
                       kind == Kind::kPrivileged) {
              want = Answer::kHidden;  // privileged accounts are the officers' to manage
            } else if (rule.reach == Reach::kAccount && self) {
              want = Answer::kDeny;  // nobody acts on their own account
            } else if (col == kOrgAdmin && rule.action == kJoinApprove && kind != Kind::kStandard) {
              want = Answer::kDeny;  // privileged and service joiners: an officer approves
            }
            const auto d = DecideAdmin(CallerOf(col), rule.action, t, kNow);
            EXPECT_EQ(Text(Of(d)), Text(want))
                << rule.name << " by " << kColNames[c] << " on " << org << " "
                << identity::Name(kind) << (self ? " (self)" : "") << ": " << d.reason;
            EXPECT_FALSE(d.reason.empty());
            ++cells;
          }
        }
      }
    }
  }
  EXPECT_EQ(cells, static_cast<int>(AdminRules().size()) * kCols * 2 * 3 * 2);
}

TEST(AdminPolicyTest, InactiveOrExpiredCallersAreRefusedEverything) {
  for (const char* status : {"locked", "expired", "left", "suspended", "pending_enrolment"}) {
    auto s = CallerOf(kOfficer);
    s.status = status;
    for (const auto& rule : AdminRules()) {
      EXPECT_FALSE(DecideAdmin(s, rule.action, {"org-a", Kind::kStandard, "acc-x", {}}, kNow).allow)
          << status << " " << rule.name;
    }
  }
  auto s = CallerOf(kOfficer);
  s.expires_at = kNow;
  EXPECT_FALSE(DecideAdmin(s, kAuditSearch, {}, kNow).allow);
}

TEST(AdminPolicyTest, OnlyAnOfficerMakesASecurityOfficer) {
  const AdminTarget officer_asked{"org-a", Kind::kPrivileged, "", {Role::kSecurityOfficer}};
  EXPECT_FALSE(DecideAdmin(CallerOf(kOrgAdmin), kJoinRequest, officer_asked, kNow).allow);
  EXPECT_TRUE(DecideAdmin(CallerOf(kOfficer), kJoinRequest, officer_asked, kNow).allow);
  const AdminTarget admin_asked{"org-a", Kind::kPrivileged, "", {Role::kOrgAdmin}};
  EXPECT_TRUE(DecideAdmin(CallerOf(kOrgAdmin), kJoinRequest, admin_asked, kNow).allow)
      << "an org admin may ask; an officer approves";
  EXPECT_FALSE(DecideAdmin(CallerOf(kOrgAdmin), kJoinApprove, admin_asked, kNow).allow);
}

TEST(AdminPolicyTest, ListsOfAnOrgAdminAreTheirOrganisationsOnly) {
  EXPECT_EQ(ListedOrganisation(CallerOf(kOfficer)), "");
  EXPECT_EQ(ListedOrganisation(CallerOf(kOrgAdmin)), "org-a");
}

// The documentation of the policy is the table: rendered here, compared with docs/.
std::string Rendered() {
  std::ostringstream out;
  out << "# Authorization\n\n"
         "Who may do what in Strongroom. This page is rendered from the policy tables in\n"
         "`src/authz/` (`tests/authz/admin_test.cc` fails when they differ); change the code, "
         "then\nthe page.\n\n"
         "## Record content (`authz::Decide`)\n\n"
         "Only active, unexpired standard accounts holding `reader` or `editor` see records, and "
         "only\nrecords of their organisation, in one of their remits, whose classification and "
         "every\ndescriptor they are granted. `reader` views and lists; `editor` also creates, "
         "updates and\ndeletes. Privileged and service accounts never see record content. A "
         "record outside the\ncaller's organisation, remits or grants is answered \"not found\", "
         "as if absent.\n\n"
         "## Administration (`authz::DecideAdmin`)\n\n"
         "An org admin reaches their own organisation only, and of its accounts the standard and\n"
         "service ones; anything beyond is answered \"not found\". Nobody acts on their own "
         "account.\nPrivileged and service joiners, and security officers, are approved by a "
         "security officer.\nWho approves what another person asked for (two people) is the "
         "approvals rule.\n\n"
         "| Action (audit name) | Who | Reach | Fresh second factor |\n"
         "|---|---|---|---|\n";
  // Rows marked place-first check the target's organisation before the caller's role.
  for (const auto& r : AdminRules()) {
    out << "| " << r.what << " (`" << r.name << "`) | " << Name(r.who) << " | "
        << (r.reach == Reach::kService        ? "the service"
            : r.reach == Reach::kOrganisation ? "an organisation"
                                              : "an account")
        << (r.place_first ? " (of another organisation: \"not found\" to anyone)" : "") << " | "
        << (r.fresh_second_factor ? "yes" : "no") << " |\n";
  }
  return out.str();
}

TEST(AdminPolicyTest, TheDocumentationIsTheTable) {
  const std::string path = std::string(STRONGROOM_SOURCE_DIR) + "/docs/authorization.md";
  if (std::getenv("STRONGROOM_WRITE_DOCS") != nullptr) std::ofstream(path) << Rendered();
  std::ifstream in(path);
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), Rendered())
      << "docs/authorization.md differs from the policy; STRONGROOM_WRITE_DOCS=1 rewrites it";
}

}  // namespace
}  // namespace strongroom::authz
