// Joiners' assignments, movers, leavers, expiry and the admin lists (LifecycleService).

#include <fmt/format.h>

#include "common/csv.h"
#include "common/text.h"
#include "crypto/hash.h"
#include "identity/bootstrap.h"
#include "identity/locks.h"
#include "identity/username.h"
#include "lifecycle/lifecycle_service.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

std::unexpected<Error> NoSuchUser() { return Fail(ErrorCode::kNotFound, "no such user"); }

// A statement's result without its row count.
Result<void> Done(const Result<int64_t>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

constexpr const char* kUserColumns =
    "a.id, a.username, a.org_id, a.kind, a.roles, a.remits, a.grants, a.status, a.expires_at, "
    "COALESCE(a.last_login_at, ''), COALESCE(a.moved_at, ''), COALESCE(a.left_at, ''), p.name, "
    "p.email";

UserRow UserOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),  r.Text(4),  r.Text(5),  r.Text(6),
          r.Text(7), r.Text(8), r.Text(9), r.Text(10), r.Text(11), r.Text(12), r.Text(13)};
}

}  // namespace

struct LifecycleService::Target {
  std::string id;
  std::string org_id;
  std::string kind;
  std::string status;
  std::string roles;
  std::string remits;
  std::string grants;
  std::string person_id;
};

Result<void> LifecycleService::CheckAssignment(store::Transaction& tx, const std::string& org_id,
                                               const std::string& kind,
                                               std::vector<std::string>& roles,
                                               const std::vector<std::string>& remits,
                                               const std::vector<std::string>& grants) {
  if (HasDuplicates(roles) || HasDuplicates(remits) || HasDuplicates(grants)) {
    return Invalid("roles, remits and grants must not repeat");
  }
  const auto typed_kind = identity::ParseKind(kind);
  if (!typed_kind) return Invalid("kind must be standard, privileged or service");
  if (*typed_kind == identity::Kind::kStandard && roles.empty()) {
    roles = {"reader"};  // read-only by default
  }
  if (auto misfit = identity::RolesMisfit(*typed_kind, JoinList(roles)); !misfit.empty()) {
    return Invalid(misfit);
  }
  if (*typed_kind != identity::Kind::kStandard) {
    if (!remits.empty() || !grants.empty()) {
      return Invalid(std::string(identity::Name(*typed_kind)) +
                     " accounts never see records: no remits or grants");
    }
    return {};
  }
  for (const auto& g : grants) {
    if (g != "OFFICIAL-SENSITIVE" && !Contains(options_.descriptors, g)) {
      return Invalid("grants must be OFFICIAL-SENSITIVE or configured descriptors");
    }
  }
  for (const auto& remit : remits) {
    if (!ValidRemitName(remit)) return Invalid("remits must be names of the organisation's");
    ASSIGN_OR_RETURN(auto found, tx.Query("SELECT 1 FROM remits WHERE org_id = ? AND name = ?",
                                          {org_id, remit}));
    if (found.empty()) return Invalid("remits must be names of the organisation's");
  }
  return {};
}

Result<LifecycleService::Target> LifecycleService::LoadTarget(store::Transaction& tx,
                                                              const identity::Principal& admin,
                                                              authz::AdminAction action,
                                                              std::string_view account_id,
                                                              audit::Event& event) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, org_id, kind, status, roles, remits, grants, "
                                       "person_id FROM accounts WHERE id = ?",
                                       {std::string(account_id)}));
  if (rows.empty()) {
    event.reason = "no such account";
    return NoSuchUser();
  }
  const auto& r = rows.front();
  Target t{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7)};
  event.target.org = t.org_id;
  const auto d = authz::DecideAdmin(
      admin.account, action, {t.org_id, identity::ParseKind(t.kind), t.id, {}}, clock_.Now());
  if (!d.allow) {
    event.reason = d.reason;
    if (d.hidden) return NoSuchUser();
    return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
  }
  event.reason = d.reason;
  return t;
}

Result<void> LifecycleService::RevokeAccess(store::Transaction& tx, const std::string& account_id) {
  RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE account_id = ?", {account_id}));
  RETURN_IF_ERROR(tx.Exec("DELETE FROM login_challenges WHERE account_id = ?", {account_id}));
  RETURN_IF_ERROR(tx.Exec("DELETE FROM known_devices WHERE account_id = ?", {account_id}));
  RETURN_IF_ERROR(
      tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE account_id = ? AND "
              "used_at IS NULL",
              {FormatRfc3339(clock_.Now()), account_id}));
  RETURN_IF_ERROR(
      tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE account_id = ? AND "
              "revoked_at IS NULL",
              {FormatRfc3339(clock_.Now()), account_id}));
  return {};
}

Result<void> LifecycleService::AccountAction(
    const identity::Principal& admin, authz::AdminAction action, std::string_view account_id,
    const identity::RequestContext& ctx,
    const std::function<Result<void>(store::Transaction&, const Target&, audit::Event&)>& change) {
  const auto& rule = authz::RuleFor(action);
  auto event = MakeEvent(admin, std::string(rule.name), "account", account_id, ctx);
  RETURN_IF_ERROR(Admit(admin, action, event));
  auto done =
      audit_.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto target, LoadTarget(tx, admin, action, account_id, ev));
        RETURN_IF_ERROR(change(tx, target, ev));
        ev.allowed = true;
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<void> LifecycleService::Leave(const identity::Principal& admin, std::string_view account_id,
                                     const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserLeave, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") {
          ev.reason = "already left";
          return Fail(ErrorCode::kFailedPrecondition, "the account has left already");
        }
        RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'left', left_at = ? WHERE id = ?",
                                {FormatRfc3339(clock_.Now()), t.id}));
        return RevokeAccess(tx, t.id);
      });
}

Result<void> LifecycleService::Move(const identity::Principal& admin, std::string_view account_id,
                                    std::vector<std::string> roles, std::vector<std::string> remits,
                                    std::optional<std::vector<std::string>> grants,
                                    const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserMove, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") {
          ev.reason = "account has left";
          return Fail(ErrorCode::kFailedPrecondition, "the account has left");
        }
        const auto new_grants = grants ? *grants : SplitList(t.grants);
        RETURN_IF_ERROR(CheckAssignment(tx, t.org_id, t.kind, roles, remits, new_grants));
        // Replaced, never accumulated; the previous assignment is kept for the record.
        const std::string previous =
            fmt::format("roles={};remits={};grants={}", t.roles, t.remits, t.grants);
        ev.detail = {{"previous", previous},
                     {"roles", JoinList(roles)},
                     {"remits", JoinList(remits)},
                     {"grants", JoinList(new_grants)}};
        RETURN_IF_ERROR(
            tx.Exec("UPDATE accounts SET roles = ?, remits = ?, grants = ?, moved_at = ?, "
                    "previous_assignment = ? WHERE id = ?",
                    {JoinList(roles), JoinList(remits), JoinList(new_grants),
                     FormatRfc3339(clock_.Now()), previous, t.id}));
        return Done(tx.Exec("DELETE FROM sessions WHERE account_id = ?", {t.id}));
      });
}

Result<void> LifecycleService::Expire(const identity::Principal& admin, std::string_view account_id,
                                      std::optional<TimePoint> at,
                                      const identity::RequestContext& ctx) {
  const auto now = clock_.Now();
  const auto when = at.value_or(now);
  return AccountAction(
      admin, authz::AdminAction::kUserExpire, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        if (when < now) {
          return Invalid("at must not be in the past");
        }
        if (t.status == "left") {
          ev.reason = "account has left";
          return Fail(ErrorCode::kFailedPrecondition, "the account has left");
        }
        ev.detail["expires_at"] = FormatRfc3339(when);
        if (when > now) {
          return Done(tx.Exec("UPDATE accounts SET expires_at = ? WHERE id = ?",
                              {FormatRfc3339(when), t.id}));
        }
        RETURN_IF_ERROR(
            tx.Exec("UPDATE accounts SET expires_at = ?, status = CASE WHEN status = 'locked' "
                    "THEN 'locked' ELSE 'expired' END WHERE id = ?",
                    {FormatRfc3339(when), t.id}));
        return RevokeAccess(tx, t.id);
      });
}

namespace {

Result<void> CheckReason(std::string_view reason) {
  if (auto p = CheckText(reason, {"reason", 1, 500}); !p.empty()) return Invalid(p);
  return {};
}

}  // namespace

Result<void> LifecycleService::Lock(const identity::Principal& admin, std::string_view account_id,
                                    std::string_view reason, const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserLock, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        ev.detail["reason"] = std::string(reason);
        RETURN_IF_ERROR(CheckReason(reason));
        return identity::LockByHand(tx, t.id);
      });
}

Result<void> LifecycleService::Unlock(const identity::Principal& admin, std::string_view account_id,
                                      std::string_view reason,
                                      const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserUnlock, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        ev.detail["reason"] = std::string(reason);
        RETURN_IF_ERROR(CheckReason(reason));
        ASSIGN_OR_RETURN(auto locked, identity::AnyLockHolds(tx, t.id, clock_.Now()));
        if (!locked) {
          ev.reason = "not locked";
          return Fail(ErrorCode::kFailedPrecondition, "the account is not locked");
        }
        return identity::LiftLocks(tx, t.id);
      });
}

Result<void> LifecycleService::Renew(const identity::Principal& admin, std::string_view account_id,
                                     TimePoint until, const identity::RequestContext& ctx) {
  const auto now = clock_.Now();
  return AccountAction(
      admin, authz::AdminAction::kUserRenew, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") {
          ev.reason = "a leaver is never reactivated";
          return Fail(ErrorCode::kFailedPrecondition, "the account has left: it is never renewed");
        }
        ASSIGN_OR_RETURN(auto org, tx.Query("SELECT agreed_expiry_days FROM organisations WHERE "
                                            "id = ?",
                                            {t.org_id}));
        const auto days =
            std::min<int64_t>(org.empty() ? 90 : org.front().Int(0), kMaxAgreedExpiryDays);
        if (until <= now || until > now + std::chrono::days(days)) {
          return Invalid(fmt::format(
              "until must be after now and within the organisation's agreed period ({} days)",
              days));
        }
        ev.detail["expires_at"] = FormatRfc3339(until);
        ev.reason = "re-validated by an administrator";
        // An expired account comes back as it was before it expired: active, or still to enrol.
        return Done(tx.Exec(
            "UPDATE accounts SET expires_at = ?, status = CASE WHEN status = 'expired' THEN CASE "
            "WHEN password_hash IS NULL THEN 'pending_enrolment' ELSE 'active' END ELSE status "
            "END WHERE id = ?",
            {FormatRfc3339(until), t.id}));
      });
}

Result<std::vector<UserRow>> LifecycleService::ListUsers(const identity::Principal& admin,
                                                         const UserFilter& filter,
                                                         const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.user.list", "account", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kUserList, event));
  const auto org = authz::ListedOrganisation(admin.account);
  static constexpr std::string_view kStatuses[] = {"pending_enrolment", "active", "locked",
                                                   "expired",           "left",   "disabled"};
  if (!filter.status.empty() &&
      std::find(std::begin(kStatuses), std::end(kStatuses), filter.status) == std::end(kStatuses)) {
    return Refuse(event, {ErrorCode::kInvalidArgument,
                          "status must be pending_enrolment, active, locked, expired, left or "
                          "disabled"});
  }
  event.allowed = true;
  event.reason =
      org.empty() ? "security officer: every organisation" : "org admin: own organisation";
  const auto now = clock_.Now();
  return audit_.Observe<std::vector<UserRow>>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::vector<UserRow>> {
        std::string sql =
            fmt::format("SELECT {} FROM accounts a JOIN people p ON p.id = a.person_id WHERE 1 = 1",
                        kUserColumns);
        store::Params params;
        if (!org.empty()) {
          sql += " AND a.org_id = ?";
          params.emplace_back(org);
        }
        if (!filter.status.empty()) {
          sql += " AND a.status = ?";
          params.emplace_back(filter.status);
        }
        if (filter.expiring_within_days >= 0) {
          sql += " AND a.status IN ('active', 'pending_enrolment', 'locked') AND a.expires_at <= ?";
          params.emplace_back(FormatRfc3339(now + std::chrono::days(filter.expiring_within_days)));
        }
        if (filter.moved_since) {
          sql += " AND (a.moved_at >= ? OR a.left_at >= ?)";
          params.emplace_back(FormatRfc3339(*filter.moved_since));
          params.emplace_back(FormatRfc3339(*filter.moved_since));
        }
        if (filter.dormant_days >= 0) {
          // Never signed in counts from when the account was made.
          sql += " AND a.status = 'active' AND COALESCE(a.last_login_at, a.created_at) <= ?";
          params.emplace_back(FormatRfc3339(now - std::chrono::days(filter.dormant_days)));
        }
        sql += " ORDER BY a.username";
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
        std::vector<UserRow> out;
        for (const auto& r : rows) out.push_back(UserOf(r));
        ev.detail["count"] = std::to_string(out.size());
        return out;
      });
}

Result<std::vector<JoinRequestRow>> LifecycleService::ListJoinRequests(
    const identity::Principal& admin, std::string_view status,
    const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.list", "join_request", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinList, event));
  const auto org = authz::ListedOrganisation(admin.account);
  if (status != "pending" && status != "approved" && status != "rejected") {
    return Refuse(event,
                  {ErrorCode::kInvalidArgument, "status must be pending, approved or rejected"});
  }
  event.allowed = true;
  event.reason =
      org.empty() ? "security officer: every organisation" : "org admin: own organisation";
  return audit_.Observe<std::vector<JoinRequestRow>>(
      event, [&](store::Transaction& tx) -> Result<std::vector<JoinRequestRow>> {
        std::string sql =
            "SELECT id, org_id, username, kind, roles, remits, requested_by, requested_at, status "
            "FROM join_requests WHERE status = ?";
        store::Params params{std::string(status)};
        if (!org.empty()) {
          sql += " AND org_id = ?";
          params.emplace_back(org);
        }
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql + " ORDER BY requested_at, id", params));
        std::vector<JoinRequestRow> out;
        for (const auto& r : rows) {
          out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                         r.Text(6), r.Text(7), r.Text(8)});
        }
        return out;
      });
}

Result<std::vector<LeaverRow>> LifecycleService::Leavers(const identity::Principal& admin,
                                                         std::string_view csv, bool dry_run,
                                                         const identity::RequestContext& ctx) {
  auto event =
      MakeEvent(admin, dry_run ? "admin.leavers.check" : "admin.leavers.apply", "account", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kLeavers, event));
  return ApplyLeavers(admin, false, csv, dry_run, ctx, {});
}

Result<std::vector<LeaverRow>> LifecycleService::LeaversFromCli(
    std::string_view operator_name, std::string_view csv, bool dry_run,
    const std::function<void(size_t, size_t)>& progress) {
  identity::Principal op;
  op.account.username = std::string(operator_name);
  op.account.kind = identity::Kind::kOperator;
  return ApplyLeavers(op, true, csv, dry_run, {"cli", ""}, progress);  // the files' holder
}

Result<std::vector<LeaverRow>> LifecycleService::ApplyLeavers(
    const identity::Principal& admin, bool operator_acts, std::string_view csv, bool dry_run,
    const identity::RequestContext& ctx, const std::function<void(size_t, size_t)>& progress) {
  auto event =
      MakeEvent(admin, dry_run ? "admin.leavers.check" : "admin.leavers.apply", "account", "", ctx);
  auto parsed = ParseCsv(csv, kMaxLeaverRows);
  if (!parsed) return Refuse(event, parsed.error());
  if (parsed->empty()) return Refuse(event, {ErrorCode::kInvalidArgument, "line 1: no header row"});
  const auto& header = parsed->front().cells;
  size_t column = header.size();
  bool by_email = false;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "username" || header[i] == "email") {
      column = i;
      by_email = header[i] == "email";
      break;
    }
  }
  if (column == header.size()) {
    return Refuse(event, {ErrorCode::kInvalidArgument,
                          "line 1: the header needs a username or email column"});
  }
  std::vector<LeaverRow> out;
  const auto now = FormatRfc3339(clock_.Now());
  event.allowed = true;
  event.reason = operator_acts ? "the operator at the command line"
                               : authz::DecideAdmin(admin.account, authz::AdminAction::kLeavers, {},
                                                    clock_.Now())
                                     .reason;
  auto done =
      audit_.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        out.clear();
        int removed = 0;
        std::string removed_ids;
        for (size_t i = 1; i < parsed->size(); ++i) {
          const auto& row = (*parsed)[i];
          LeaverRow result{row.line, column < row.cells.size() ? row.cells[column] : "", ""};
          auto name = by_email ? identity::CanonicalEmail(result.username)
                               : identity::CanonicalUsername(result.username, {});
          if (!name) {
            result.result = "invalid";
            out.push_back(std::move(result));
            if (progress) progress(i, parsed->size() - 1);
            continue;
          }
          result.username = *name;
          ASSIGN_OR_RETURN(
              auto rows,
              tx.Query(by_email
                           // A person who left and came back has a left account beside the
                           // live one: the live one is the leaver now.
                           ? "SELECT a.id, a.org_id, a.kind, a.status FROM accounts a JOIN "
                             "people p ON p.id = a.person_id WHERE p.email = ? AND a.kind = "
                             "'standard' ORDER BY a.status = 'left', a.created_at DESC"
                           : "SELECT id, org_id, kind, status FROM accounts WHERE username = ?",
                       {*name}));
          // An account the admin may not make a leaver is "not_found", exactly as one that does
          // not exist: the list must not tell an org admin who exists elsewhere.
          const bool manageable =
              !rows.empty() &&
              (operator_acts || authz::DecideAdmin(admin.account, authz::AdminAction::kUserLeave,
                                                   {rows.front().Text(1),
                                                    identity::ParseKind(rows.front().Text(2)),
                                                    rows.front().Text(0),
                                                    {}},
                                                   clock_.Now())
                                    .allow);
          if (!rows.empty() && rows.front().Text(0) == admin.account.id) {
            result.result = "self";
          } else if (!manageable) {
            result.result = "not_found";
          } else if (rows.front().Text(3) == "left") {
            result.result = "already_left";
          } else if (dry_run) {
            result.result = "will_remove";
          } else {
            const auto id = rows.front().Text(0);
            RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'left', left_at = ? WHERE id = ?",
                                    {now, id}));
            RETURN_IF_ERROR(RevokeAccess(tx, id));
            audit::Event each = ev;
            each.action = "admin.user.leave";
            each.target = {"account", id, rows.front().Text(1)};
            each.reason = "bulk leavers list, line " + std::to_string(row.line);
            each.outcome = "ok";
            each.detail.clear();
            ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, each));
            (void)seq;
            result.result = "removed";
            ++removed;
          }
          out.push_back(std::move(result));
          if (progress) progress(i, parsed->size() - 1);
        }
        ev.detail = {{"rows", std::to_string(out.size())}, {"removed", std::to_string(removed)}};
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return out;
}

Result<IssuedToken> LifecycleService::IssueToken(const identity::Principal& admin,
                                                 std::string_view account_id, TimePoint expires_at,
                                                 const identity::RequestContext& ctx) {
  const auto now = clock_.Now();
  IssuedToken out;
  RETURN_IF_ERROR(AccountAction(
      admin, authz::AdminAction::kTokenIssue, account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        if (identity::ParseKind(t.kind) != identity::Kind::kService) {
          return Invalid("API tokens are for service accounts only");
        }
        if (t.status != "active") {
          return Fail(ErrorCode::kFailedPrecondition, "the account is not active");
        }
        if (expires_at <= now || expires_at > now + std::chrono::days(kMaxTokenDays)) {
          return Invalid("expires_at must be after now and within a year");
        }
        const auto secret = random_.RandomSecret(32);
        out.id = "tok-" + random_.RandomHex(8);
        out.token = "srt_" + HexEncode(secret.view());
        out.expires_at = FormatRfc3339(expires_at);
        const auto hash = crypto::Sha256(AsBytes(out.token));
        ev.detail = {{"token_id", out.id}, {"expires_at", out.expires_at}, {"role", t.roles}};
        return Done(
            tx.Exec("INSERT INTO api_tokens (id, token_hash, account_id, org_id, role, created_by, "
                    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    {out.id, Bytes(hash.begin(), hash.end()), t.id, t.org_id, t.roles,
                     admin.account.id, FormatRfc3339(now), out.expires_at}));
      }));
  return out;
}

Result<void> LifecycleService::RevokeToken(const identity::Principal& admin,
                                           std::string_view token_id,
                                           const identity::RequestContext& ctx) {
  std::string account_id;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT account_id FROM api_tokens WHERE id = ?",
                                         {std::string(token_id)}));
    if (!rows.empty()) account_id = rows.front().Text(0);
    return {};
  }));
  return AccountAction(
      admin, authz::AdminAction::kTokenRevoke, account_id.empty() ? "none" : account_id, ctx,
      [&](store::Transaction& tx, const Target& t, audit::Event& ev) -> Result<void> {
        ev.detail["token_id"] = std::string(token_id.substr(0, 64));
        ASSIGN_OR_RETURN(auto n,
                         tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND "
                                 "account_id = ? AND revoked_at IS NULL",
                                 {FormatRfc3339(clock_.Now()), std::string(token_id), t.id}));
        if (n == 0) return Fail(ErrorCode::kNotFound, "no such active token");
        return {};
      });
}

Result<int> LifecycleService::ExpireDue() {
  audit::Event event;
  event.actor = {"", "strongroom", "system", ""};
  event.source = "system";
  event.action = "system.accounts.expire";
  event.target = {"account", "", ""};
  event.allowed = true;
  event.reason = "past the account's expiry date";
  const auto now = FormatRfc3339(clock_.Now());
  int count = 0;
  auto done = store_.Write([&](store::Transaction& tx) -> Result<void> {
    count = 0;
    // A locked account stays locked past its date (it cannot sign in either way): expiring it
    // would let a renewal make it active again without anyone unlocking it.
    ASSIGN_OR_RETURN(auto due, tx.Query("SELECT id, org_id FROM accounts WHERE status IN "
                                        "('active', 'pending_enrolment') AND expires_at <= ? "
                                        "LIMIT 1000",
                                        {now}));
    for (const auto& r : due) {
      const auto id = r.Text(0);
      RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'expired' WHERE id = ?", {id}));
      RETURN_IF_ERROR(RevokeAccess(tx, id));
      auto each = event;
      each.target = {"account", id, r.Text(1)};
      each.outcome = "ok";
      ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, each));
      (void)seq;
      ++count;
    }
    return {};
  });
  if (!done) return std::unexpected(done.error());
  return count;
}

}  // namespace strongroom::lifecycle
