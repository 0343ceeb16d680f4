#pragma once
// Which second factors an account may sign in with: its organisation's policy. Either any (a TOTP
// code or a security key: "totp-or-webauthn", the default) or a security key only ("webauthn"),
// set for the organisation's standard accounts and, apart, for its privileged ones; a privileged
// account follows the stricter of the two. Recovery codes are accepted under every policy (they
// are how someone who lost their key gets back in to register another).
//
// The policy may also require security keys to verify their user (a PIN or a biometric, not only
// a touch): every ceremony its people's keys take part in then asks for it, and an answer without
// it is refused ("user_verification": "required"; the default "discouraged" asks for presence).
//
// Who may change the policy is authz's (admin.org.second_factor); which factors a sign-in
// accepts under it is decided here, since sign-in comes before authz (sign_in.h).

#include <optional>
#include <string_view>

#include "identity/account.h"

namespace strongroom::identity {

enum class SecondFactor : uint8_t { kAny, kSecurityKey };

std::string_view Name(SecondFactor factor);  // "totp-or-webauthn", "webauthn"
std::optional<SecondFactor> ParseSecondFactor(std::string_view name);

struct FactorPolicy {
  SecondFactor standard = SecondFactor::kAny;
  SecondFactor privileged = SecondFactor::kAny;
  bool user_verification = false;  // keys must verify their user
  bool operator==(const FactorPolicy&) const = default;
};

std::string_view UserVerificationName(bool required);  // "required", "discouraged"
std::optional<bool> ParseUserVerification(std::string_view name);

// Whether an account of `kind` must sign in with a security key (or a recovery code) under
// `policy`. Service accounts present API tokens and have no second factor; the operator has
// none either.
bool KeyRequired(const FactorPolicy& policy, Kind kind);

}  // namespace strongroom::identity
