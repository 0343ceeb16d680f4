#pragma once
// Movers, leavers, expiry and locks: what administrators do to accounts that exist, and the lists
// they review them by (including the monthly user-access review's filters).
//
// - A mover's roles, remits and grants are replaced, never accumulated, and their sessions end.
// - A leaver's account is `left` for good and every way it signs in ends at once; a bulk leavers
//   list (CSV of usernames or emails) does the same for each row it names.
// - An account past its expiry is expired by the scheduled job; an admin may renew it within the
//   organisation's agreed period, or expire it early.
// - Locks by hand need a reason; unlocking lifts every lock the sign-in throttle set.
// - API tokens are issued for service accounts only, for at most a year.
// An org admin acts on their own organisation's accounts only; anything else is "not found".
//
// Thread-safety: all methods may be called from any thread.

#include <functional>

#include "identity/tokens.h"
#include "lifecycle/admin_actions.h"

namespace strongroom::lifecycle {

using identity::UserFilter;
using identity::UserRow;

struct IssuedToken {
  std::string id;
  std::string token;  // "srt_..."; shown once, never stored
  std::string expires_at;
};

inline constexpr int kMaxTokenDays = 365;

struct LeaverRow {
  size_t line = 0;
  std::string username;
  std::string result;  // removed, will_remove, already_left, not_found, self or invalid
};

inline constexpr size_t kMaxLeaverRows = 10'000;

struct LeaversList;  // a bulk leavers list as read

class Accounts : private AdminActions {
 public:
  explicit Accounts(const LifecycleDeps& deps) : AdminActions(deps) {}

  Result<void> Leave(const identity::Principal& admin, std::string_view account_id,
                     const identity::RequestContext& ctx);
  // `grants` nullopt: kept as they are.
  Result<void> Move(const identity::Principal& admin, std::string_view account_id,
                    std::vector<std::string> roles, std::vector<std::string> remits,
                    std::optional<std::vector<std::string>> grants,
                    const identity::RequestContext& ctx);
  // `at` nullopt: now.
  Result<void> Expire(const identity::Principal& admin, std::string_view account_id,
                      std::optional<TimePoint> at, const identity::RequestContext& ctx);
  Result<void> Lock(const identity::Principal& admin, std::string_view account_id,
                    std::string_view reason, const identity::RequestContext& ctx);
  Result<void> Unlock(const identity::Principal& admin, std::string_view account_id,
                      std::string_view reason, const identity::RequestContext& ctx);
  Result<void> Renew(const identity::Principal& admin, std::string_view account_id, TimePoint until,
                     const identity::RequestContext& ctx);
  Result<std::vector<UserRow>> List(const identity::Principal& admin, const UserFilter& filter,
                                    const identity::RequestContext& ctx);
  // A bulk leavers list; `dry_run` says what it would do.
  Result<std::vector<LeaverRow>> Leavers(const identity::Principal& admin, std::string_view csv,
                                         bool dry_run, const identity::RequestContext& ctx);
  // The same, by the operator at the command line, who holds the instance's files.
  Result<std::vector<LeaverRow>> LeaversFromCli(
      std::string_view operator_name, std::string_view csv, bool dry_run,
      const std::function<void(size_t, size_t)>& progress);
  Result<IssuedToken> IssueToken(const identity::Principal& admin, std::string_view account_id,
                                 TimePoint expires_at, const identity::RequestContext& ctx);
  // Revokes the token `token_id`; with `expected_account`, only if it is that account's (another's
  // is refused as not found).
  Result<void> RevokeToken(const identity::Principal& admin, std::string_view token_id,
                           const identity::RequestContext& ctx,
                           std::string_view expected_account = "");
  // The API tokens of the account `account_id`, newest first; never their secrets.
  Result<std::vector<identity::TokenRow>> Tokens(const identity::Principal& admin,
                                                 std::string_view account_id,
                                                 const identity::RequestContext& ctx);
  // The scheduled job: accounts past their expiry are expired; how many.
  Result<int> ExpireDue();

 private:
  using Change =
      std::function<Result<void>(store::Transaction&, const identity::Account&, audit::Event&)>;
  // A lock by hand, or every lock lifted, with the admin's reason.
  Result<void> SetLock(const identity::Principal& admin, std::string_view account_id, bool lock,
                       std::string_view reason, const identity::RequestContext& ctx);
  // Loads the account, asks authz, and makes `change` with its event in one write.
  Result<void> AccountAction(const identity::Principal& admin, authz::AdminAction action,
                             std::string_view account_id, const identity::RequestContext& ctx,
                             const Change& change);
  Result<std::vector<LeaverRow>> ApplyLeavers(const identity::Principal& admin, bool operator_acts,
                                              std::string_view csv, bool dry_run,
                                              const identity::RequestContext& ctx,
                                              const std::function<void(size_t, size_t)>& progress);
  Result<LeaverRow> ApplyLeaver(store::Transaction& tx, const identity::Principal& admin,
                                bool operator_acts, const LeaversList& list, size_t row,
                                bool dry_run, const audit::Event& event);
};

}  // namespace strongroom::lifecycle
