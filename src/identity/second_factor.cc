#include "identity/second_factor.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/totp.h"
#include "identity/sessions.h"

namespace strongroom::identity {

StoredFactor StoredFactorOf(const store::Row& row, int first_column) {
  const int k = first_column;
  return {row.Blob(k), row.Blob(k + 1), row.Int(k + 2), row.Int(k + 3), row.Text(k + 4)};
}

Result<bool> SecondFactors::Throttled(store::Transaction& tx, const StoredFactor& stored,
                                      const audit::Event& event, int64_t* wait) {
  const auto now = deps_.clock.Now();
  const auto next = ParseRfc3339(stored.next_allowed_at);
  if (!next || *next <= now) return false;
  *wait = std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(*next - now).count());
  auto e = event;
  e.action = "security.throttled";
  e.allowed = false;
  e.reason = "second factor tried again too soon after repeated wrong ones";
  e.outcome = "resource_exhausted";
  RETURN_IF_ERROR(deps_.audit.Append(tx, std::move(e)));
  return true;
}

Result<Factor> SecondFactors::Check(store::Transaction& tx, const Account& account,
                                    const StoredFactor& stored, std::string_view code,
                                    const audit::Event& event, int64_t* step, int64_t* wait) {
  ASSIGN_OR_RETURN(auto throttled, Throttled(tx, stored, event, wait));
  if (throttled) return Factor::kThrottled;
  const auto now = deps_.clock.Now();
  ASSIGN_OR_RETURN(auto secret, deps_.keys.Open(tx, account.org_id, "totp:" + account.id, 1,
                                                stored.totp_key, stored.totp_secret));
  auto verified = crypto::VerifyTotp(secret, code, now, stored.last_step);
  SecureWipe(secret);
  if (!verified) return Factor::kWrong;
  *step = *verified;
  return Factor::kAccepted;
}

Result<void> SecondFactors::Failed(store::Transaction& tx, const std::string& account_id,
                                   int64_t failures, audit::Event event) {
  const auto now = deps_.clock.Now();
  RETURN_IF_ERROR(tx.Exec(
      "UPDATE accounts SET mfa_failures = ?, mfa_next_allowed_at = ?, "
      "failures_unseen = failures_unseen + 1, last_failure_at = ? WHERE id = ?",
      {failures, FormatRfc3339(now + DelayAfter(failures)), FormatRfc3339(now), account_id}));
  event.allowed = false;
  event.outcome = "unauthenticated";
  event.detail["second_factor_failures"] = std::to_string(failures);
  RETURN_IF_ERROR(deps_.audit.Append(tx, event));
  if (failures < deps_.options.lock_after_failures) return {};
  ASSIGN_OR_RETURN(auto locked, tx.Exec("UPDATE accounts SET status = 'locked' WHERE id = ? AND "
                                        "status = 'active'",
                                        {account_id}));
  if (locked == 0) return {};
  RETURN_IF_ERROR(EndSessions(tx, account_id));
  return AppendSecurityEvent(
      deps_.audit, tx, std::move(event), "security.mfa.locked",
      fmt::format("{} wrong second factors in a row: account locked and its sessions ended until "
                  "an admin unlocks it",
                  failures));
}

Result<void> SecondFactors::Accepted(store::Transaction& tx, const std::string& account_id,
                                     std::optional<int64_t> step) {
  RETURN_IF_ERROR(
      tx.Exec("UPDATE accounts SET totp_last_step = coalesce(?, totp_last_step), mfa_failures = 0, "
              "mfa_next_allowed_at = '' WHERE id = ?",
              {step ? store::Value(*step) : store::Value(), account_id}));
  return {};
}

std::unexpected<Error> SecondFactors::Refused(Factor outcome, int64_t wait, audit::Event event,
                                              std::string reason) {
  switch (outcome) {
    case Factor::kThrottled:
      return std::unexpected(Error{ErrorCode::kResourceExhausted,
                                   "too many wrong attempts; wait before trying again", wait});
    case Factor::kWrong:  // counted and audited in the write that checked it
      return NotAuthenticated();
    case Factor::kNotAllowed:
      event.reason = std::move(reason);
      return deps_.audit.Refuse(
          std::move(event),
          Error{ErrorCode::kPermissionDenied,
                "this account signs in with a security key, not a code from an authenticator "
                "app (at sign-in, a recovery code also works)"});
    case Factor::kAccepted:
    case Factor::kInvalid:
      break;
  }
  return RefuseAuthentication(deps_.audit, std::move(event), std::move(reason));
}

}  // namespace strongroom::identity
