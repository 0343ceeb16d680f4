#pragma once
// Authentication: enrolment with a one-time token, password + TOTP login, and server-side
// sessions. Every step, allowed or refused, is an audit event written through the audit log.
//
// Policy (defaults from DESIGN.md and OWASP ASVS; the throttling and lockout rules in full are in
// identity/throttle.h):
// - Passwords: Argon2id; at least 12 characters for standard and 15 for privileged accounts, at
//   most 128; refused when in the common-password list; no composition rules.
// - MFA is mandatory: login gives a short-lived, single-use challenge (5 minutes, dies after 5
//   wrong codes) that only a TOTP code (each step usable once) or an unused recovery code turns
//   into a session. Wrong codes are counted per account across challenges and sessions, slowed
//   down like wrong passwords, and ten in a row lock the account; three wrong re-authentication
//   codes end the session they were tried on.
// - Sessions: 256-bit random tokens stored only as SHA-256; idle timeout 5 minutes (last use is
//   recorded at most every 15 seconds), absolute lifetime 10 hours; at most 3 sessions per
//   standard account and 1 per privileged account (the oldest ends). A session of an account that
//   is no longer active, or past its expiry, ends on its next use.
// - Known devices: a full sign-in gives the browser or client a device cookie (256 bits, stored as
//   SHA-256, 180 days from its last use). Wrong passwords from a known device count against that
//   device alone; wrong passwords from unknown devices lock unknown devices only, for a time that
//   grows with each lock. So nobody can lock an owner out of their own devices by guessing.
// - No enumeration: an unknown user, a wrong password, and a locked, expired or pending account all
//   get the same error after the same Argon2id work and the same store writes.
//
// Thread-safety: all methods may be called from any thread; Argon2id runs on the caller's thread
// (a worker, never an I/O thread).

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "identity/account.h"
#include "identity/common_passwords.h"
#include "identity/throttle.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::identity {

struct RequestContext {
  std::string source;
  std::string request_id;
};

struct Principal {
  Account account;
  std::string session_id;  // a non-secret handle: the first 16 hex digits of the token's hash
  Bytes csrf_hash;
  Bytes token_hash;
  std::string mfa_at;  // when this session last proved its second factor
};

struct AuthOptions {
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
  std::chrono::milliseconds absolute_timeout = std::chrono::hours(10);
  std::chrono::milliseconds challenge_ttl = std::chrono::minutes(5);
  std::chrono::milliseconds reauth_window = std::chrono::minutes(5);
  int challenge_attempts = 5;
  int lock_after_failures = 10;  // wrong passwords (per device) or second factors (per account)
  int reauth_attempts = 3;       // wrong re-authentication codes that end the session
  std::chrono::hours device_lifetime = kDeviceLifetime;  // from the device's last use
  int devices_per_account = 10;  // the least recently used beyond this are forgotten
  int sessions_standard = 3;
  int sessions_privileged = 1;
  crypto::Argon2Params argon2;
};

struct EnrolmentStart {
  std::string totp_uri;  // otpauth://totp/...; holds the secret: shown once, to its owner
};

struct NewSession {
  std::string token;          // the session cookie's value
  std::string csrf_token;     // echoed by the client in X-CSRF-Token
  std::string device_token;   // a new device cookie's value; "" when the device was known already
  bool device_known = false;  // signed in from a known device, whose cookie should be re-sent
  Account account;
  // Failed attempts (passwords and second factors) since the owner last signed in, told once.
  int64_t failed_attempts = 0;
  std::string last_failed_at;  // RFC 3339, "" if none
};

inline constexpr int kRecoveryCodes = 10;

class AuthService {
 public:
  // Everything passed must outlive the service.
  AuthService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
              const Clock& clock, crypto::Random& random, const CommonPasswords& common,
              AuthOptions options = {});

  Result<EnrolmentStart> BeginEnrolment(std::string_view token, std::string_view password,
                                        const RequestContext& ctx);
  Result<std::vector<std::string>> ConfirmEnrolment(std::string_view token, std::string_view code,
                                                    const RequestContext& ctx);
  // Returns the MFA challenge. `device_token` is the client's device cookie ("" if none).
  Result<std::string> Login(std::string_view username, std::string_view password,
                            std::string_view device_token, const RequestContext& ctx);
  Result<NewSession> CompleteMfa(std::string_view challenge, std::string_view code,
                                 const RequestContext& ctx);
  // How Authenticate writes a session's upkeep (its last-seen time every 15 s; the removal of a
  // dead session): kWait before returning; kQueue on the store's writer without waiting, for a
  // caller on an I/O thread that will itself wait for a later write (its audit event), which the
  // writer commits after this one, so the answer still follows the upkeep.
  enum class Upkeep { kWait, kQueue };
  Result<Principal> Authenticate(std::string_view session_token, const RequestContext& ctx,
                                 Upkeep upkeep = Upkeep::kWait);
  // A service account's API token ("srt_" and 64 hex digits): not revoked, not expired, and its
  // account active and not expired. The principal's session is "tok-<token id>".
  Result<Principal> AuthenticateToken(std::string_view api_token, const RequestContext& ctx);
  // kPermissionDenied unless `csrf_token` is the session's.
  Result<void> CheckCsrf(const Principal& principal, std::string_view csrf_token) const;
  Result<void> Logout(const Principal& principal, const RequestContext& ctx);
  // A fresh TOTP code for the current session (before sensitive admin actions). Wrong codes count
  // against the account like sign-in codes; `reauth_attempts` of them end the session.
  Result<void> Reauthenticate(const Principal& principal, std::string_view code,
                              const RequestContext& ctx);
  // kPermissionDenied unless the session proved its second factor within the reauth window.
  Result<void> RequireRecentMfa(const Principal& principal) const;
  const AuthOptions& options() const { return options_; }

 private:
  struct TokenRow;
  struct PasswordStep;
  enum class Factor { kAccepted, kWrong, kThrottled, kInvalid };
  Result<TokenRow> FindEnrolment(store::Transaction& tx, std::string_view token);
  audit::Event MakeEvent(std::string action, const RequestContext& ctx) const;
  Result<void> Refuse(audit::Event event, std::string reason);
  // Whether the device cookie's hash names a device of the account `name`.
  Result<bool> KnownDevice(std::string_view name, const Bytes& device_hash);
  // In one write, before any hash is computed: refuses an attempt that comes too soon, and counts
  // every other as a failure (the delay, the unknown-device or device allowance, a lock at the
  // limit), which a success then takes back. So concurrent attempts are counted one after
  // another as they arrive, and none is checked against a lock it should have met. The same
  // statements whether or not the account exists.
  Result<PasswordStep> Reserve(std::string_view name, const std::string& key,
                               const Bytes& device_hash, bool known_device,
                               const RequestContext& ctx);
  // Audits a refused password (Reserve counted it), in one write whose statements are the same
  // whether or not the account exists.
  Result<void> LoginFailed(audit::Event event, std::string reason, const PasswordStep& step);
  // Inside a write: a wrong second factor, counted against the account (lock at the limit); the
  // refusal `event` is appended.
  Result<void> SecondFactorFailed(store::Transaction& tx, const std::string& account_id,
                                  int64_t failures, audit::Event event);
  // The answer to a second factor that was not accepted; audits `reason` when the attempt named
  // nothing valid (the other refusals were audited in the write that decided them).
  std::unexpected<Error> FactorRefused(Factor outcome, int64_t wait, audit::Event event,
                                       std::string reason);
  // Inside a write: a second-factor attempt refused unchecked because it came too soon.
  Result<bool> SecondFactorThrottled(store::Transaction& tx, audit::Event event,
                                     std::string_view next_allowed_at, int64_t* wait);

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  const Clock& clock_;
  crypto::Random& random_;
  const CommonPasswords& common_;
  const AuthOptions options_;
  std::string dummy_hash_;  // verified against for unknown users, so timing does not tell
  SourceBuckets buckets_;
};

// An audit event of `who` doing `action` to (`target_type`, `target_id`), from the request.
audit::Event EventFor(const Principal& who, std::string action, std::string target_type,
                      std::string_view target_id, const RequestContext& ctx);

// The password policy alone (length by account kind, common passwords), for tests and the API.
Result<void> CheckPasswordPolicy(std::string_view password, Kind kind,
                                 const CommonPasswords& common);

}  // namespace strongroom::identity
