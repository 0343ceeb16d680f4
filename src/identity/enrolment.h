#pragma once
// Enrolment: a joiner turns the one-time enrolment token an approver passed them into a password
// and a TOTP second factor, and receives their recovery codes. The first Begin binds the token;
// wrong confirmation codes are counted like any second factor and spend the token at the limit.

#include <string>
#include <string_view>
#include <vector>

#include "identity/auth_common.h"
#include "identity/second_factor.h"

namespace strongroom::identity {

inline constexpr int kRecoveryCodes = 10;

struct EnrolmentStart {
  std::string totp_uri;  // otpauth://totp/...; holds the secret: shown once, to its owner
};

// kInvalidArgument with the reason if `password` does not meet the policy for `kind`.
Result<void> CheckPasswordPolicy(std::string_view password, Kind kind,
                                 const CommonPasswords& common);

class Enrolment {
 public:
  Enrolment(const AuthDeps& deps, SecondFactors& factors) : deps_(deps), factors_(factors) {}

  Result<EnrolmentStart> Begin(std::string_view token, std::string_view password,
                               const RequestContext& ctx);
  // The recovery codes, shown once.
  Result<std::vector<std::string>> Confirm(std::string_view token, std::string_view code,
                                           const RequestContext& ctx);

 private:
  struct Pending;
  Result<Pending> Find(store::Transaction& tx, std::string_view token);
  Result<std::vector<std::string>> Complete(store::Transaction& tx, const Pending& pending,
                                            int64_t step, audit::Event& event);

  const AuthDeps& deps_;
  SecondFactors& factors_;
};

}  // namespace strongroom::identity
