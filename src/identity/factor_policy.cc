#include "identity/factor_policy.h"

namespace strongroom::identity {

std::string_view Name(SecondFactor factor) {
  return factor == SecondFactor::kSecurityKey ? "webauthn" : "totp-or-webauthn";
}

std::optional<SecondFactor> ParseSecondFactor(std::string_view name) {
  if (name == "totp-or-webauthn") return SecondFactor::kAny;
  if (name == "webauthn") return SecondFactor::kSecurityKey;
  return std::nullopt;
}

std::string_view UserVerificationName(bool required) {
  return required ? "required" : "discouraged";
}

std::optional<bool> ParseUserVerification(std::string_view name) {
  if (name == "required") return true;
  if (name == "discouraged") return false;
  return std::nullopt;
}

bool KeyRequired(const FactorPolicy& policy, Kind kind) {
  switch (kind) {
    case Kind::kStandard:
      return policy.standard == SecondFactor::kSecurityKey;
    case Kind::kPrivileged:
      return policy.standard == SecondFactor::kSecurityKey ||
             policy.privileged == SecondFactor::kSecurityKey;
    case Kind::kService:
    case Kind::kOperator:
      return false;
  }
  return false;
}

}  // namespace strongroom::identity
