#include "lifecycle/accounts.h"

#include <fmt/format.h>

#include "common/csv.h"
#include "common/text.h"
#include "identity/bootstrap.h"
#include "identity/locks.h"
#include "identity/username.h"
#include "lifecycle/joiners.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

Result<void> CheckReason(std::string_view reason) {
  if (auto p = CheckText(reason, {"reason", 1, 500}); !p.empty()) return Invalid(p);
  return {};
}

std::unexpected<Error> HasLeft(audit::Event& event, std::string reason, std::string message) {
  event.reason = std::move(reason);
  return Fail(ErrorCode::kFailedPrecondition, std::move(message));
}

std::string RolesOf(const identity::Account& a) { return JoinList(a.roles.Names()); }

}  // namespace

Result<void> Accounts::AccountAction(const identity::Principal& admin, authz::AdminAction action,
                                     std::string_view account_id,
                                     const identity::RequestContext& ctx, const Change& change) {
  const auto& rule = authz::RuleFor(action);
  auto event = MakeEvent(admin, std::string(rule.name), "account", account_id, ctx);
  RETURN_IF_ERROR(Admit(admin, action, event));
  auto done =
      d_.audit.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto target, identity::LoadStoredAccount(tx, account_id));
        if (!target) {
          ev.reason = "no such account";
          return Fail(ErrorCode::kNotFound, "no such user");
        }
        ev.target.org = target->org_id;
        RETURN_IF_ERROR(AdmitOn(admin, action, *target, ev));
        RETURN_IF_ERROR(change(tx, *target, ev));
        ev.allowed = true;
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<void> Accounts::Leave(const identity::Principal& admin, std::string_view account_id,
                             const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserLeave, account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") {
          return HasLeft(ev, "already left", "the account has left already");
        }
        return identity::MarkLeft(tx, t.id, d_.clock.Now());
      });
}

Result<void> Accounts::Move(const identity::Principal& admin, std::string_view account_id,
                            std::vector<std::string> roles, std::vector<std::string> remits,
                            std::optional<std::vector<std::string>> grants,
                            const identity::RequestContext& ctx) {
  return AccountAction(
      admin, authz::AdminAction::kUserMove, account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") return HasLeft(ev, "account has left", "the account has left");
        const auto new_grants = grants ? *grants : t.grants;
        RETURN_IF_ERROR(CheckAssignment(tx, d_.options, t.org_id,
                                        std::string(identity::Name(t.kind)), roles, remits,
                                        new_grants));
        // Replaced, never accumulated; the previous assignment is kept for the record.
        const std::string previous = fmt::format("roles={};remits={};grants={}", RolesOf(t),
                                                 JoinList(t.remits), JoinList(t.grants));
        ev.detail = {{"previous", previous},
                     {"roles", JoinList(roles)},
                     {"remits", JoinList(remits)},
                     {"grants", JoinList(new_grants)}};
        return identity::Reassign(tx, t.id, JoinList(roles), JoinList(remits), JoinList(new_grants),
                                  previous, d_.clock.Now());
      });
}

Result<void> Accounts::Expire(const identity::Principal& admin, std::string_view account_id,
                              std::optional<TimePoint> at, const identity::RequestContext& ctx) {
  const auto now = d_.clock.Now();
  const auto when = at.value_or(now);
  return AccountAction(
      admin, authz::AdminAction::kUserExpire, account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        if (when < now) return Invalid("at must not be in the past");
        if (t.status == "left") return HasLeft(ev, "account has left", "the account has left");
        ev.detail["expires_at"] = FormatRfc3339(when);
        return identity::SetExpiry(tx, t.id, when, now);
      });
}

Result<void> Accounts::Lock(const identity::Principal& admin, std::string_view account_id,
                            std::string_view reason, const identity::RequestContext& ctx) {
  return SetLock(admin, account_id, true, reason, ctx);
}

Result<void> Accounts::Unlock(const identity::Principal& admin, std::string_view account_id,
                              std::string_view reason, const identity::RequestContext& ctx) {
  return SetLock(admin, account_id, false, reason, ctx);
}

Result<void> Accounts::SetLock(const identity::Principal& admin, std::string_view account_id,
                               bool lock, std::string_view reason,
                               const identity::RequestContext& ctx) {
  return AccountAction(
      admin, lock ? authz::AdminAction::kUserLock : authz::AdminAction::kUserUnlock, account_id,
      ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        ev.detail["reason"] = std::string(reason);
        RETURN_IF_ERROR(CheckReason(reason));
        if (lock) return identity::LockByHand(tx, t.id);
        ASSIGN_OR_RETURN(auto locked, identity::AnyLockHolds(tx, t.id, d_.clock.Now()));
        if (!locked) {
          ev.reason = "not locked";
          return Fail(ErrorCode::kFailedPrecondition, "the account is not locked");
        }
        return identity::LiftLocks(tx, t.id);
      });
}

Result<void> Accounts::Renew(const identity::Principal& admin, std::string_view account_id,
                             TimePoint until, const identity::RequestContext& ctx) {
  const auto now = d_.clock.Now();
  return AccountAction(
      admin, authz::AdminAction::kUserRenew, account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        if (t.status == "left") {
          return HasLeft(ev, "a leaver is never reactivated",
                         "the account has left: it is never renewed");
        }
        ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, t.org_id));
        const auto days =
            std::min<int64_t>(org ? org->agreed_expiry_days : 90, identity::kMaxAgreedExpiryDays);
        if (until <= now || until > now + std::chrono::days(days)) {
          return Invalid(fmt::format(
              "until must be after now and within the organisation's agreed period ({} days)",
              days));
        }
        ev.detail["expires_at"] = FormatRfc3339(until);
        ev.reason = "re-validated by an administrator";
        // An expired account comes back as it was before it expired: active, or still to enrol.
        return identity::Revalidate(tx, t.id, until);
      });
}

Result<std::vector<UserRow>> Accounts::List(const identity::Principal& admin,
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
  return d_.audit.Observe<std::vector<UserRow>>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::vector<UserRow>> {
        ASSIGN_OR_RETURN(auto out, identity::ListUsers(tx, org, filter, d_.clock.Now()));
        ev.detail["count"] = std::to_string(out.size());
        return out;
      });
}

Result<std::vector<LeaverRow>> Accounts::Leavers(const identity::Principal& admin,
                                                 std::string_view csv, bool dry_run,
                                                 const identity::RequestContext& ctx) {
  auto event =
      MakeEvent(admin, dry_run ? "admin.leavers.check" : "admin.leavers.apply", "account", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kLeavers, event));
  return ApplyLeavers(admin, false, csv, dry_run, ctx, {});
}

Result<std::vector<LeaverRow>> Accounts::LeaversFromCli(
    std::string_view operator_name, std::string_view csv, bool dry_run,
    const std::function<void(size_t, size_t)>& progress) {
  identity::Principal op;
  op.account.username = std::string(operator_name);
  op.account.kind = identity::Kind::kOperator;
  return ApplyLeavers(op, true, csv, dry_run, {"cli", ""}, progress);  // the files' holder
}

// A leavers list as read: its rows, and which column names the leavers, and how.
struct LeaversList {
  std::vector<CsvRow> rows;  // the header first
  size_t column = 0;
  bool by_email = false;
};

Result<LeaverRow> Accounts::ApplyLeaver(store::Transaction& tx, const identity::Principal& admin,
                                        bool operator_acts, const LeaversList& list, size_t i,
                                        bool dry_run, const audit::Event& event) {
  const auto& row = list.rows[i];
  LeaverRow result{row.line, list.column < row.cells.size() ? row.cells[list.column] : "", ""};
  auto name = list.by_email ? identity::CanonicalEmail(result.username)
                            : identity::CanonicalUsername(result.username, {});
  if (!name) {
    result.result = "invalid";
    return result;
  }
  result.username = *name;
  ASSIGN_OR_RETURN(auto found, identity::FindAccountNamed(tx, *name, list.by_email));
  // An account the admin may not make a leaver is "not_found", exactly as one that does not
  // exist: the list must not tell an org admin who exists elsewhere.
  const bool manageable =
      found && (operator_acts ||
                authz::DecideAdmin(admin.account, authz::AdminAction::kUserLeave,
                                   {found->org_id, found->kind, found->id, {}}, d_.clock.Now())
                    .allow);
  if (found && found->id == admin.account.id) {
    result.result = "self";
  } else if (!manageable) {
    result.result = "not_found";
  } else if (found->status == "left") {
    result.result = "already_left";
  } else if (dry_run) {
    result.result = "will_remove";
  } else {
    RETURN_IF_ERROR(identity::MarkLeft(tx, found->id, d_.clock.Now()));
    audit::Event each = event;
    each.action = "admin.user.leave";
    each.target = {"account", found->id, found->org_id};
    each.reason = "bulk leavers list, line " + std::to_string(row.line);
    each.outcome = "ok";
    each.detail.clear();
    RETURN_IF_ERROR(d_.audit.Append(tx, each));
    result.result = "removed";
  }
  return result;
}

namespace {

Result<LeaversList> ReadLeaversList(std::string_view csv) {
  LeaversList list;
  ASSIGN_OR_RETURN(list.rows, ParseCsv(csv, kMaxLeaverRows));
  if (list.rows.empty()) return Invalid("line 1: no header row");
  const auto& header = list.rows.front().cells;
  list.column = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "username" || header[i] == "email") {
      list.column = i;
      list.by_email = header[i] == "email";
      break;
    }
  }
  if (list.column == header.size()) {
    return Invalid("line 1: the header needs a username or email column");
  }
  return list;
}

}  // namespace

Result<std::vector<LeaverRow>> Accounts::ApplyLeavers(
    const identity::Principal& admin, bool operator_acts, std::string_view csv, bool dry_run,
    const identity::RequestContext& ctx, const std::function<void(size_t, size_t)>& progress) {
  auto event =
      MakeEvent(admin, dry_run ? "admin.leavers.check" : "admin.leavers.apply", "account", "", ctx);
  auto list = ReadLeaversList(csv);
  if (!list) return Refuse(event, list.error());
  std::vector<LeaverRow> out;
  event.allowed = true;
  event.reason = operator_acts ? "the operator at the command line"
                               : authz::DecideAdmin(admin.account, authz::AdminAction::kLeavers, {},
                                                    d_.clock.Now())
                                     .reason;
  const size_t rows = list->rows.size() - 1;
  auto done =
      d_.audit.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        out.clear();
        int removed = 0;
        for (size_t i = 1; i <= rows; ++i) {
          ASSIGN_OR_RETURN(auto result,
                           ApplyLeaver(tx, admin, operator_acts, *list, i, dry_run, ev));
          if (result.result == "removed") ++removed;
          out.push_back(std::move(result));
          if (progress) progress(i, rows);
        }
        ev.detail = {{"rows", std::to_string(out.size())}, {"removed", std::to_string(removed)}};
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return out;
}

Result<IssuedToken> Accounts::IssueToken(const identity::Principal& admin,
                                         std::string_view account_id, TimePoint expires_at,
                                         const identity::RequestContext& ctx) {
  const auto now = d_.clock.Now();
  IssuedToken out;
  RETURN_IF_ERROR(AccountAction(
      admin, authz::AdminAction::kTokenIssue, account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        if (t.kind != identity::Kind::kService) {
          return Invalid("API tokens are for service accounts only");
        }
        if (t.status != "active") {
          return Fail(ErrorCode::kFailedPrecondition, "the account is not active");
        }
        if (expires_at <= now || expires_at > now + std::chrono::days(kMaxTokenDays)) {
          return Invalid("expires_at must be after now and within a year");
        }
        auto token = identity::DrawToken(d_.random);
        token.account_id = t.id;
        token.org_id = t.org_id;
        token.role = RolesOf(t);
        token.created_by = admin.account.id;
        token.expires_at = expires_at;
        out = {token.id, token.token, FormatRfc3339(expires_at)};
        ev.detail = {{"token_id", out.id}, {"expires_at", out.expires_at}, {"role", token.role}};
        return identity::InsertToken(tx, token, now);
      }));
  return out;
}

Result<void> Accounts::RevokeToken(const identity::Principal& admin, std::string_view token_id,
                                   const identity::RequestContext& ctx,
                                   std::string_view expected_account) {
  ASSIGN_OR_RETURN(auto account_id,
                   store::ReadValue<std::string>(d_.store, [&](store::Transaction& tx) {
                     return identity::TokenOwner(tx, token_id);
                   }));
  return AccountAction(
      admin, authz::AdminAction::kTokenRevoke, account_id.empty() ? "none" : account_id, ctx,
      [&](store::Transaction& tx, const identity::Account& t, audit::Event& ev) -> Result<void> {
        ev.detail["token_id"] = std::string(token_id.substr(0, 64));
        if (!expected_account.empty() && expected_account != t.id) {
          ev.reason = "the token is another account's";
          return Fail(ErrorCode::kNotFound, "no such active token");
        }
        ASSIGN_OR_RETURN(auto revoked, identity::RevokeToken(tx, token_id, t.id, d_.clock.Now()));
        if (!revoked) return Fail(ErrorCode::kNotFound, "no such active token");
        return {};
      });
}

Result<std::vector<identity::TokenRow>> Accounts::Tokens(const identity::Principal& admin,
                                                         std::string_view account_id,
                                                         const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.token.list", "account", account_id, ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kTokenList, event));
  return d_.audit.Observe<std::vector<identity::TokenRow>>(
      event,
      [&](store::Transaction& tx, audit::Event& ev) -> Result<std::vector<identity::TokenRow>> {
        ASSIGN_OR_RETURN(auto target, identity::LoadStoredAccount(tx, account_id));
        if (!target) {
          ev.reason = "no such account";
          return Fail(ErrorCode::kNotFound, "no such user");
        }
        ev.target.org = target->org_id;
        RETURN_IF_ERROR(AdmitOn(admin, authz::AdminAction::kTokenList, *target, ev));
        ev.allowed = true;
        return identity::ListTokens(tx, target->id);
      });
}

Result<int> Accounts::ExpireDue() {
  const auto event = audit::SystemEvent("system.accounts.expire", {"account", "", ""},
                                        "past the account's expiry date");
  int count = 0;
  auto done = d_.store.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto expired, identity::ExpireDue(tx, d_.clock.Now(), 1000));
    for (const auto& [id, org_id] : expired) {
      auto each = event;
      each.target = {"account", id, org_id};
      RETURN_IF_ERROR(d_.audit.Append(tx, each));
    }
    count = static_cast<int>(expired.size());
    return {};
  });
  if (!done) return std::unexpected(done.error());
  return count;
}

}  // namespace strongroom::lifecycle
