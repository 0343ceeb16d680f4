#include "lifecycle/scim.h"

#include <fmt/format.h>

#include "common/text.h"
#include "identity/username.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

std::unexpected<Error> NoSuchUser() { return Fail(ErrorCode::kNotFound, "no such user"); }

// Every SCIM-visible user of an organisation: its standard accounts (under the SCIM join
// request's id when one made them) and the SCIM join requests still waiting for an admin.
const std::string& ScimUsers() {
  static const std::string sql = fmt::format(R"sql(
WITH accounts_of_org AS ({}),
users AS (
  SELECT COALESCE(j.id, a.account_id) AS id, a.username AS username,
         COALESCE(a.external_id, j.external_id, '') AS external_id, a.name AS name,
         a.email AS email, a.status AS status, a.created AS created
  FROM accounts_of_org a
  LEFT JOIN join_requests j ON j.account_id = a.account_id AND j.source = 'scim'
  UNION ALL
  SELECT j.id, j.username, COALESCE(j.external_id, ''), j.person_name, j.person_email,
         'pending_approval', j.requested_at
  FROM join_requests j
  WHERE j.org_id = ?1 AND j.source = 'scim' AND j.status = 'pending'
)
)sql",
                                             identity::kStandardAccountsSql);
  return sql;
}

ScimUser ScimUserOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6)};
}

}  // namespace

Result<void> Scim::CheckProvisioner(const identity::Principal& who, audit::Event& event) {
  if (auto d =
          authz::DecideAdmin(who.account, authz::AdminAction::kScimProvision, {}, d_.clock.Now());
      !d.allow) {
    event.reason = d.reason;
    return Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  event.target.org = who.account.org_id;
  return {};
}

Result<std::optional<ScimUser>> Scim::Find(store::Transaction& tx, const std::string& org_id,
                                           std::string_view id) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query(ScimUsers() + "SELECT id, username, external_id, name, email, "
                                          "status, created FROM users WHERE id = ?2",
                            {org_id, std::string(id)}));
  if (rows.empty()) return std::optional<ScimUser>();
  return std::optional<ScimUser>(ScimUserOf(rows.front()));
}

Result<ScimUser> Scim::Visible(store::Transaction& tx, const identity::Principal& who,
                               std::string_view id, audit::Event& ev) {
  ASSIGN_OR_RETURN(auto user, Find(tx, who.account.org_id, id));
  if (!user) {
    ev.reason = "absent or outside the provisioner's organisation";
    return NoSuchUser();
  }
  return std::move(*user);
}

Result<ScimUser> Scim::Create(const identity::Principal& who, const ScimUserInput& input,
                              const identity::RequestContext& ctx) {
  const std::string id = "jr-" + d_.random.RandomHex(8);
  auto event = MakeEvent(who, "scim.user.create", "join_request", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  const auto now = d_.clock.Now();
  return d_.audit.Change<ScimUser>(
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
        RETURN_IF_ERROR(joiners_.Check(tx, as_admin, in, ev));
        RETURN_IF_ERROR(joiners_.Insert(tx, id, in, who.account.id, "scim", input.external_id));
        ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, in.org_id));
        ev.allowed = true;
        ev.detail = {{"username", in.username}};
        if (org && org->identity_provider_approves) {
          // The enrolment token is issued later by an admin, never handed to the provider.
          ASSIGN_OR_RETURN(auto made, joiners_.Fulfil(tx, id, who.account.id, false));
          RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET reason = ? WHERE id = ?",
                                  {std::string("approved by the identity provider, the "
                                               "organisation's approving authority"),
                                   id}));
          ev.reason = "identity provider is the organisation's approving authority";
          ev.detail["account_id"] = made.account_id;
        } else {
          ev.reason = "provisioner of the organisation: waiting for an admin's approval";
        }
        ASSIGN_OR_RETURN(auto user, Find(tx, in.org_id, id));
        if (!user) return Fail(ErrorCode::kInternal, "provisioned user not found");
        return *user;
      });
}

Result<ScimUser> Scim::Get(const identity::Principal& who, std::string_view id,
                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.view", "account", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  event.allowed = true;
  event.reason = "provisioner of the organisation";
  return d_.audit.Observe<ScimUser>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ScimUser> {
        ASSIGN_OR_RETURN(auto user, Visible(tx, who, id, ev));
        return user;
      });
}

Result<ScimPage> Scim::List(const identity::Principal& who, std::string_view attribute,
                            std::string_view value, int64_t start_index, int64_t count,
                            const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.list", "account", "", ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  event.allowed = true;
  event.reason = "provisioner of the organisation";
  event.detail = {{"filter", std::string(attribute)}, {"value", std::string(value)}};
  return d_.audit.Observe<ScimPage>(event, [&](store::Transaction& tx) -> Result<ScimPage> {
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
    ASSIGN_OR_RETURN(auto total, tx.Query(ScimUsers() + "SELECT COUNT(*)" + where, params));
    params.emplace_back(count);
    params.emplace_back(start_index - 1);
    const auto n = params.size();
    ASSIGN_OR_RETURN(
        auto rows,
        tx.Query(ScimUsers() +
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

Result<void> Scim::Apply(store::Transaction& tx, const identity::Principal& who,
                         const ScimUser& user, const ScimChange& change, audit::Event& ev) {
  const bool pending = user.status == "pending_approval";
  if (change.username &&
      identity::CanonicalUsername(*change.username, {}).value_or("") != user.username) {
    return Invalid("userName never changes: a username is never reassigned");
  }
  if (change.active == true && !user.active()) {
    return Invalid("a leaver is never reactivated: raise a new join request");
  }
  if (change.name) {
    if (auto p = CheckText(*change.name, {"name", 1, 200}); !p.empty()) return Invalid(p);
  }
  if (change.external_id) {
    if (auto p = CheckText(*change.external_id, {"externalId", 0, 200}); !p.empty()) {
      return Invalid(p);
    }
  }
  const auto now = d_.clock.Now();
  if (pending) {  // the provider's own request, still waiting for an admin
    if (change.name) {
      RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET person_name = ? WHERE id = ?",
                              {*change.name, user.id}));
    }
    if (change.external_id) {
      RETURN_IF_ERROR(tx.Exec("UPDATE join_requests SET external_id = ? WHERE id = ?",
                              {*change.external_id, user.id}));
    }
    if (change.active == false) {
      RETURN_IF_ERROR(
          tx.Exec("UPDATE join_requests SET status = 'rejected', decided_by = ?, "
                  "decided_at = ?, reason = ? WHERE id = ?",
                  {who.account.id, FormatRfc3339(now),
                   std::string("deprovisioned by the identity provider"), user.id}));
    }
  } else {
    ASSIGN_OR_RETURN(auto account, identity::FindAccountNamed(tx, user.username, false));
    if (!account || account->org_id != who.account.org_id) {
      return Fail(ErrorCode::kInternal, "the user's account is missing");
    }
    if (change.name) RETURN_IF_ERROR(identity::SetPersonName(tx, account->id, *change.name));
    if (change.external_id) {
      RETURN_IF_ERROR(identity::SetExternalId(tx, account->id, *change.external_id));
    }
    if (change.active == false && user.active()) {
      RETURN_IF_ERROR(identity::MarkLeft(tx, account->id, now));
    }
  }
  if (change.name) ev.detail["name"] = "changed";
  if (change.active == false && user.active()) ev.detail["active"] = "false: a leaver";
  return {};
}

Result<ScimUser> Scim::Update(const identity::Principal& who, std::string_view id,
                              const ScimChange& change, const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "scim.user.update", "account", id, ctx);
  RETURN_IF_ERROR(CheckProvisioner(who, event));
  return d_.audit.Change<ScimUser>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ScimUser> {
        ASSIGN_OR_RETURN(auto user, Visible(tx, who, id, ev));
        RETURN_IF_ERROR(Apply(tx, who, user, change, ev));
        ev.allowed = true;
        ev.reason = "provisioner of the organisation";
        ASSIGN_OR_RETURN(auto after, Find(tx, who.account.org_id, id));
        if (!after) {
          // A rejected request is no longer a user; show what the provider asked for.
          user.status = "left";
          return user;
        }
        return *after;
      });
}

Result<void> Scim::Delete(const identity::Principal& who, std::string_view id,
                          const identity::RequestContext& ctx) {
  ScimChange change;
  change.active = false;
  ASSIGN_OR_RETURN(auto user, Update(who, id, change, ctx));
  (void)user;
  return {};
}

}  // namespace strongroom::lifecycle
