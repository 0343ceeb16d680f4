#pragma once
// Sign-in: a password (throttled and counted before it is checked: throttle.h), then a second
// factor (a TOTP or recovery code, or a security key: security_keys.h) that opens a session and
// makes the client a known device. Wrong second factors of every kind are counted together.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "identity/auth_common.h"
#include "identity/second_factor.h"
#include "identity/security_keys.h"

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

// What the password step answers: a challenge for the second factor and, when the account has a
// usable security key and the listener offers them, a security-key ceremony for it.
struct LoginChallenge {
  std::string challenge;
  std::optional<RequestOptions> webauthn;
  bool totp = true;  // a TOTP code is accepted (the organisation's policy: factor_policy.h)
};

class SignIn {
 public:
  SignIn(const AuthDeps& deps, SecondFactors& factors);

  // The password step.
  Result<LoginChallenge> Login(std::string_view username, std::string_view password,
                               std::string_view device_token, const RequestContext& ctx);
  // The second factor step with a TOTP or recovery code: a session.
  Result<NewSession> CompleteMfa(std::string_view challenge, std::string_view code,
                                 const RequestContext& ctx);
  // A new security-key ceremony for a login challenge, replacing the last (each is spent by the
  // assertion that tries it). kFailedPrecondition when the account has no usable key.
  Result<RequestOptions> WebAuthnOptions(std::string_view challenge, const RequestContext& ctx);
  // As WebAuthnOptions, unaudited, with the factors the account may use (no ceremony where it
  // would refuse): for a page shown again after a refusal that was audited already.
  Result<LoginChallenge> RenewCeremony(std::string_view challenge, const RequestContext& ctx);
  // The second factor step with a security key: a session.
  Result<NewSession> CompleteWebAuthn(std::string_view challenge, const KeyAssertion& assertion,
                                      const RequestContext& ctx);

 private:
  struct PasswordStep;
  struct Challenge;
  Result<bool> KnownDevice(std::string_view name, const Bytes& device_hash);
  Result<PasswordStep> Reserve(std::string_view name, const std::string& key,
                               const Bytes& device_hash, bool known_device,
                               const RequestContext& ctx);
  Result<void> LoginFailed(audit::Event event, std::string reason, const PasswordStep& step);
  Result<LoginChallenge> PasswordAccepted(const PasswordStep& step, const audit::Event& event,
                                          const RequestContext& ctx);
  Result<std::optional<Challenge>> FindChallenge(store::Transaction& tx, const Bytes& hash);
  // A second factor of `challenge`'s account checked by `check`, in one write with the session it
  // opens: `check` answers the outcome, having counted a wrong one (CountWrong), and for kInvalid
  // sets *refusal.
  using FactorCheck = std::function<Result<Factor>(
      store::Transaction&, const Challenge&, audit::Event&, int64_t* wait, std::string* refusal)>;
  Result<NewSession> Complete(std::string_view challenge, const RequestContext& ctx,
                              const FactorCheck& check);
  Result<Factor> CheckCode(store::Transaction& tx, const Challenge& challenge,
                           std::string_view code, audit::Event& event, int64_t* wait);
  Result<Factor> CheckKey(store::Transaction& tx, const Challenge& challenge,
                          const KeyAssertion& assertion, const RequestContext& ctx,
                          audit::Event& event, int64_t* wait, std::string* refusal);
  // A wrong second factor, counted for the challenge (which dies after too many) and the account.
  Result<void> CountWrong(store::Transaction& tx, const Challenge& challenge, audit::Event& event,
                          std::string reason);
  struct Renewed {
    bool challenge_valid = false;
    Account account;  // the challenge's, when it is valid
    std::optional<RequestOptions> options;
    bool totp = true;
  };
  Result<Renewed> Renew(std::string_view challenge, const RequestContext& ctx);
  // A ceremony for the account's usable keys, if it has any and the listener offers them.
  Result<std::optional<RequestOptions>> Ceremony(store::Transaction& tx, const Account& account,
                                                 const RequestContext& ctx);
  Result<void> OpenSession(store::Transaction& tx, const Challenge& challenge,
                           const RequestContext& ctx, NewSession& session, audit::Event& event);

  const AuthDeps& deps_;
  SecondFactors& factors_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
  SourceBuckets buckets_;
};

}  // namespace strongroom::identity
