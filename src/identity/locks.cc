#include "identity/locks.h"

namespace strongroom::identity {

Result<bool> AnyLockHolds(store::Transaction& tx, std::string_view account_id, TimePoint now) {
  const auto now_text = FormatRfc3339(now);
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT CASE WHEN status = 'locked' OR unknown_locked_until > ? OR "
                            "EXISTS (SELECT 1 FROM known_devices d WHERE d.account_id = "
                            "accounts.id AND d.locked_until > ?) THEN 1 ELSE 0 END FROM accounts "
                            "WHERE id = ?",
                            {now_text, now_text, std::string(account_id)}));
  return !rows.empty() && rows.front().Int(0) != 0;
}

Result<void> LockByHand(store::Transaction& tx, std::string_view account_id) {
  const std::string id(account_id);
  ASSIGN_OR_RETURN(auto locked, tx.Exec("UPDATE accounts SET status = 'locked' WHERE id = ? AND "
                                        "status = 'active'",
                                        {id}));
  if (locked == 0) {
    return Fail(ErrorCode::kFailedPrecondition, "only an active account can be locked");
  }
  RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE account_id = ?", {id}));
  return {};
}

Result<void> LiftLocks(store::Transaction& tx, std::string_view account_id) {
  const std::string id(account_id);
  RETURN_IF_ERROR(tx.Exec(
      "UPDATE accounts SET status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, "
      "failed_logins = 0, unknown_locked_until = '', unknown_locks = 0, mfa_failures = 0, "
      "mfa_next_allowed_at = '' WHERE id = ?",
      {id}));
  RETURN_IF_ERROR(tx.Exec(
      "UPDATE known_devices SET failures = 0, locked_until = '' WHERE account_id = ?", {id}));
  return {};
}

}  // namespace strongroom::identity
