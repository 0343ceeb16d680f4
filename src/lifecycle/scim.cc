// SCIM 2.0 provisioning (RFC 7643/7644) as lifecycle operations (LifecycleService). The protocol's
// JSON lives in api/scim.cc; here are the rules: a provisioner works inside its own organisation
// only, creation is a join request, deactivation is a leaver.

#include <fmt/format.h>

#include "common/text.h"
#include "identity/bootstrap.h"
#include "identity/username.h"
#include "lifecycle/lifecycle_service.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

std::unexpected<Error> NoSuchUser() { return Fail(ErrorCode::kNotFound, "no such user"); }

// Every SCIM-visible user of an organisation: its standard accounts (under the SCIM join
// request's id when one made them) and the SCIM join requests still waiting for an admin.
constexpr const char* kScimUsers = R"sql(
WITH users AS (
  SELECT COALESCE(j.id, a.id) AS id, a.username AS username,
         COALESCE(a.external_id, j.external_id, '') AS external_id, p.name AS name,
         p.email AS email, a.status AS status, a.created_at AS created
  FROM accounts a JOIN people p ON p.id = a.person_id
  LEFT JOIN join_requests j ON j.account_id = a.id AND j.source = 'scim'
  WHERE a.org_id = ?1 AND a.kind = 'standard'
  UNION ALL
  SELECT j.id, j.username, COALESCE(j.external_id, ''), j.person_name, j.person_email,
         'pending_approval', j.requested_at
  FROM join_requests j
  WHERE j.org_id = ?1 AND j.source = 'scim' AND j.status = 'pending'
)
)sql";

ScimUser ScimUserOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6)};
}

}  // namespace

Result<void> LifecycleService::CheckProvisioner(const identity::Principal& who,
                                                audit::Event& event) {
  if (auto d =
          authz::DecideAdmin(who.account, authz::AdminAction::kScimProvision, {}, clock_.Now());
      !d.allow) {
    event.reason = d.reason;
    return Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  event.target.org = who.account.org_id;
  return {};
}

Result<std::optional<ScimUser>> LifecycleService::ScimFind(store::Transaction& tx,
                                                           const std::string& org_id,
                                                           std::string_view id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query(std::string(kScimUsers) +
                                           "SELECT id, username, external_id, name, email, "
                                           "status, created FROM users WHERE id = ?2",
                                       {org_id, std::string(id)}));
  if (rows.empty()) return std::optional<ScimUser>();
  return std::optional<ScimUser>(ScimUserOf(rows.front()));
}

Result<ScimUser> LifecycleService::ScimCreate(const identity::Principal& who,
                                              const ScimUserInput& input,
                                              const identity::RequestContext& ctx) {
  const std::string id = "jr-" + random_.RandomHex(8);
  auto event = MakeEvent(who, "scim.user.create", "join_request", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  const auto now = clock_.Now();
  return audit_.Change<ScimUser>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ScimUser> {
        JoinInput in;
        in.org_id = who.account.org_id;
        in.username = input.username;
        in.person_name = input.name;
        in.person_email = input.email;
        in.kind = "standard";
        in.bpss_verified_on = input.bpss_verified_on.empty() ? FormatRfc3339(now).substr(0, 10)
                                                             : input.bpss_verified_on;
        in.bpss_verified_by = input.bpss_verified_by.empty()
                                  ? "the organisation's identity provider (SCIM)"
                                  : input.bpss_verified_by;
        if (auto p = CheckText(input.external_id, {"externalId", 0, 200}); !p.empty()) {
          return Invalid(p);
        }
        // The provisioner acts for its organisation: the same rules as an org admin's request.
        identity::Principal as_admin = who;
        as_admin.account.kind = identity::Kind::kPrivileged;
        as_admin.account.roles = {identity::Role::kOrgAdmin};
        RETURN_IF_ERROR(CheckJoin(tx, as_admin, in, ev));
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO join_requests (id, org_id, username, person_name, person_email, kind, "
            "roles, remits, grants, bpss_verified_on, bpss_verified_by, requested_by, "
            "requested_at, status, source, external_id) VALUES (?, ?, ?, ?, ?, 'standard', ?, "
            "'', '', ?, ?, ?, ?, 'pending', 'scim', ?)",
            {id, in.org_id, in.username, in.person_name, in.person_email, JoinList(in.roles),
             in.bpss_verified_on, in.bpss_verified_by, who.account.id, FormatRfc3339(now),
             input.external_id.empty() ? store::Value{} : store::Value{input.external_id}}));
        ASSIGN_OR_RETURN(
            auto org, tx.Query("SELECT idp_approves FROM organisations WHERE id = ?", {in.org_id}));
        ev.allowed = true;
        ev.detail = {{"username", in.username}};
        if (!org.empty() && org.front().Int(0) != 0) {
          // The enrolment token is issued later by an admin, never handed to the provider.
          ASSIGN_OR_RETURN(auto made, Fulfil(tx, id, who.account.id, false));
          RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET reason = ? WHERE id = ?",
                                  {std::string("approved by the identity provider, the "
                                               "organisation's approving authority"),
                                   id}));
          ev.reason = "identity provider is the organisation's approving authority";
          ev.detail["account_id"] = made.account_id;
        } else {
          ev.reason = "provisioner of the organisation: waiting for an admin's approval";
        }
        ASSIGN_OR_RETURN(auto user, ScimFind(tx, in.org_id, id));
        if (!user) return Fail(ErrorCode::kInternal, "provisioned user not found");
        return *user;
      });
}

Result<ScimUser> LifecycleService::ScimGet(const identity::Principal& who, std::string_view id,
                                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.view", "account", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  event.allowed = true;
  event.reason = "provisioner of the organisation";
  return audit_.Observe<ScimUser>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ScimUser> {
        ASSIGN_OR_RETURN(auto user, ScimFind(tx, who.account.org_id, id));
        if (!user) {
          ev.reason = "absent or outside the provisioner's organisation";
          return NoSuchUser();
        }
        return *user;
      });
}

Result<ScimPage> LifecycleService::ScimList(const identity::Principal& who,
                                            std::string_view attribute, std::string_view value,
                                            int64_t start_index, int64_t count,
                                            const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.list", "account", "", ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  event.allowed = true;
  event.reason = "provisioner of the organisation";
  event.detail = {{"filter", std::string(attribute)}, {"value", std::string(value)}};
  return audit_.Observe<ScimPage>(event, [&](store::Transaction& tx) -> Result<ScimPage> {
    std::string where = " FROM users";
    store::Params params{who.account.org_id};
    if (attribute == "userName") {
      // userName is case-insensitive (RFC 7643): usernames are stored lower-case.
      where += " WHERE username = lower(?2)";
      params.emplace_back(std::string(value));
    } else if (attribute == "externalId") {
      where += " WHERE external_id = ?2";
      params.emplace_back(std::string(value));
    }
    ASSIGN_OR_RETURN(auto total,
                     tx.Query(std::string(kScimUsers) + "SELECT COUNT(*)" + where, params));
    params.emplace_back(count);
    params.emplace_back(start_index - 1);
    const auto n = params.size();
    ASSIGN_OR_RETURN(
        auto rows,
        tx.Query(std::string(kScimUsers) +
                     "SELECT id, username, external_id, name, email, status, "
                     "created" +
                     where + fmt::format(" ORDER BY created, id LIMIT ?{} OFFSET ?{}", n - 1, n),
                 params));
    ScimPage page;
    page.total = total.front().Int(0);
    for (const auto& r : rows) page.users.push_back(ScimUserOf(r));
    return page;
  });
}

Result<ScimUser> LifecycleService::ScimUpdate(const identity::Principal& who, std::string_view id,
                                              const ScimChange& change,
                                              const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.update", "account", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  const auto now = FormatRfc3339(clock_.Now());
  return audit_.Change<ScimUser>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ScimUser> {
        ASSIGN_OR_RETURN(auto user, ScimFind(tx, who.account.org_id, id));
        if (!user) {
          ev.reason = "absent or outside the provisioner's organisation";
          return NoSuchUser();
        }
        const bool pending = user->status == "pending_approval";
        if (change.username &&
            identity::CanonicalUsername(*change.username, {}).value_or("") != user->username) {
          return Invalid("userName never changes: a username is never reassigned");
        }
        if (change.active == true && !user->active()) {
          return Invalid("a leaver is never reactivated: raise a new join request");
        }
        ASSIGN_OR_RETURN(auto account, tx.Query("SELECT id, person_id FROM accounts WHERE "
                                                "username = ? AND org_id = ?",
                                                {user->username, who.account.org_id}));
        if (change.name) {
          if (auto p = CheckText(*change.name, {"name", 1, 200}); !p.empty()) return Invalid(p);
          if (pending) {
            RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET person_name = ? WHERE id = ?",
                                    {*change.name, user->id}));
          } else if (!account.empty()) {
            RETURN_IF_ERROR(tx.Exec("UPDATE people SET name = ? WHERE id = ?",
                                    {*change.name, account.front().Text(1)}));
          }
          ev.detail["name"] = "changed";
        }
        if (change.external_id) {
          if (auto p = CheckText(*change.external_id, {"externalId", 0, 200}); !p.empty()) {
            return Invalid(p);
          }
          if (pending) {
            RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET external_id = ? WHERE id = ?",
                                    {*change.external_id, user->id}));
          } else if (!account.empty()) {
            RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET external_id = ? WHERE id = ?",
                                    {*change.external_id, account.front().Text(0)}));
          }
        }
        if (change.active == false && user->active()) {
          if (pending) {
            RETURN_IF_ERROR(
                tx.Exec("UPDATE join_requests SET status = 'rejected', decided_by = "
                        "?, decided_at = ?, reason = ? WHERE id = ?",
                        {who.account.id, now, std::string("deprovisioned by the identity provider"),
                         user->id}));
          } else if (!account.empty()) {
            const auto account_id = account.front().Text(0);
            RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'left', left_at = ? WHERE id = ?",
                                    {now, account_id}));
            RETURN_IF_ERROR(RevokeAccess(tx, account_id));
          }
          ev.detail["active"] = "false: a leaver";
        }
        ev.allowed = true;
        ev.reason = "provisioner of the organisation";
        ASSIGN_OR_RETURN(auto after, ScimFind(tx, who.account.org_id, id));
        if (!after) {
          // A rejected request is no longer a user; show what the provider asked for.
          user->status = "left";
          return *user;
        }
        return *after;
      });
}

Result<void> LifecycleService::ScimDelete(const identity::Principal& who, std::string_view id,
                                          const identity::RequestContext& ctx) {
  ScimChange change;
  change.active = false;
  ASSIGN_OR_RETURN(auto user, ScimUpdate(who, id, change, ctx));
  (void)user;
  return {};
}

}  // namespace strongroom::lifecycle
