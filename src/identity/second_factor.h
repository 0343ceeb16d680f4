#pragma once
// The second factor (a TOTP code, sealed per account), checked and counted per account inside the
// caller's one write, so concurrent guesses are counted one after another. Sign-in, enrolment and
// re-authentication all check codes here; throttle.h says how the counts slow and lock.

#include <string>
#include <string_view>

#include "identity/auth_common.h"

namespace strongroom::identity {

// A recovery code's length (80 random bits in base32); a TOTP code is 6 digits.
inline constexpr size_t kRecoveryCodeLength = 16;

// An account's sealed TOTP secret and its count of wrong codes.
struct StoredFactor {
  Bytes totp_key;
  Bytes totp_secret;
  int64_t last_step = -1;
  int64_t failures = 0;
  std::string next_allowed_at;  // RFC 3339; "" if no delay holds
};

// The columns StoredFactorOf reads, for a query over `accounts a`, and how many there are.
inline constexpr const char* kStoredFactorColumns =
    "a.totp_key, a.totp_secret, a.totp_last_step, a.mfa_failures, a.mfa_next_allowed_at";
inline constexpr int kStoredFactorColumnCount = 5;
StoredFactor StoredFactorOf(const store::Row& row, int first_column);

// kNotAllowed: a kind of factor the account's organisation does not accept (factor_policy.h).
enum class Factor { kAccepted, kWrong, kThrottled, kInvalid, kNotAllowed };

class SecondFactors {
 public:
  explicit SecondFactors(const AuthDeps& deps) : deps_(deps) {}

  // True (audited, *wait set) if a second factor, of any kind, comes too soon after wrong ones.
  Result<bool> Throttled(store::Transaction& tx, const StoredFactor& stored,
                         const audit::Event& event, int64_t* wait);
  // kThrottled (as Throttled) if the code comes too soon after wrong ones; otherwise the code is
  // checked: kAccepted with *step set, or kWrong (not counted yet: see Failed).
  Result<Factor> Check(store::Transaction& tx, const Account& account, const StoredFactor& stored,
                       std::string_view code, const audit::Event& event, int64_t* step,
                       int64_t* wait);

  // Counts the `failures`-th wrong code in a row and audits it; at the limit the account is
  // locked and its sessions end.
  Result<void> Failed(store::Transaction& tx, const std::string& account_id, int64_t failures,
                      audit::Event event);

  // A correct code: the count starts again, and `step` (if any) cannot be used twice.
  Result<void> Accepted(store::Transaction& tx, const std::string& account_id,
                        std::optional<int64_t> step);

  // The answer to a code that was not accepted: 429 when too soon, 401 when wrong (audited
  // already), 403 for a factor the policy does not accept, and for anything else (kInvalid) a
  // refusal audited here with `reason` (kNotAllowed: here too).
  std::unexpected<Error> Refused(Factor outcome, int64_t wait, audit::Event event,
                                 std::string reason);

 private:
  const AuthDeps& deps_;
};

}  // namespace strongroom::identity
