#pragma once
// Sign-in: a password (throttled and counted before it is checked: throttle.h), then a second
// factor (a TOTP or recovery code) that opens a session and makes the client a known device.

#include <string>
#include <string_view>

#include "identity/auth_common.h"
#include "identity/second_factor.h"

namespace strongroom::identity {

struct NewSession {
  std::string token;          // the session cookie's value
  std::string csrf_token;     // echoed by the client in X-CSRF-Token
  std::string device_token;   // a new device cookie's value; "" when the device was known already
  bool device_known = false;  // signed in from a known device, whose cookie should be re-sent
  Account account;
  int64_t failed_attempts = 0;
  std::string last_failed_at;  // RFC 3339, "" if none
};

class SignIn {
 public:
  SignIn(const AuthDeps& deps, SecondFactors& factors);

  // The password step: a login challenge for the second factor.
  Result<std::string> Login(std::string_view username, std::string_view password,
                            std::string_view device_token, const RequestContext& ctx);
  // The second factor step: a session.
  Result<NewSession> CompleteMfa(std::string_view challenge, std::string_view code,
                                 const RequestContext& ctx);

 private:
  struct PasswordStep;
  struct Challenge;
  Result<bool> KnownDevice(std::string_view name, const Bytes& device_hash);
  Result<PasswordStep> Reserve(std::string_view name, const std::string& key,
                               const Bytes& device_hash, bool known_device,
                               const RequestContext& ctx);
  Result<void> LoginFailed(audit::Event event, std::string reason, const PasswordStep& step);
  Result<std::string> PasswordAccepted(const PasswordStep& step, const audit::Event& event);
  Result<std::optional<Challenge>> FindChallenge(store::Transaction& tx, const Bytes& hash);
  Result<Factor> CheckCode(store::Transaction& tx, const Challenge& challenge,
                           std::string_view code, audit::Event& event, int64_t* wait);
  Result<void> OpenSession(store::Transaction& tx, const Challenge& challenge,
                           const RequestContext& ctx, NewSession& session, audit::Event& event);

  const AuthDeps& deps_;
  SecondFactors& factors_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
  SourceBuckets buckets_;
};

}  // namespace strongroom::identity
