#pragma once
// What the parts of authentication share: who is asking (RequestContext), who has been
// authenticated (Principal), the options, the services each part is built on (AuthDeps), and the
// small helpers every part uses to refuse and audit. Enrolment (enrolment.h), sign-in
// (sign_in.h), sessions (sessions.h) and API tokens (tokens.h) are built on these; auth.h holds
// them together.

#include <chrono>
#include <string>
#include <string_view>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/surface.h"
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
  // What the request's connection reaches (common/surface.h). Everything for callers that are not
  // a listener (the command line, tests).
  Surface reach = Surface::kAll;
  // The https origin of the listener the request reached, which a WebAuthn ceremony must come
  // from; "" for callers that are not a listener (no security key can be used there).
  std::string origin;
};

// People sign in where their kind of account is served: standard accounts on the public surface,
// privileged ones on the admin surface, never the other way (segmentation: an administrator's
// password is never typed at, nor is their session accepted by, the listener the world reaches).
// Service accounts present API tokens, which the routes' surfaces place.
bool SignsInAt(Kind kind, Surface reach);
// The audit reason when it does not.
std::string WrongListener(Kind kind, Surface reach);

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
  // WebAuthn (security_keys.h): the RP ID ("" = each listener's own host name), and how long a
  // ceremony's challenge lives (the browser is told the same as its timeout).
  std::string webauthn_rp_id;
  std::chrono::milliseconds webauthn_ttl = std::chrono::minutes(2);
};

// The services the parts of authentication are built on; all outlive them.
struct AuthDeps {
  store::Store& store;
  audit::AuditLog& audit;
  store::KeyStore& keys;
  const Clock& clock;
  crypto::Random& random;
  const CommonPasswords& common;
  const AuthOptions& options;
};

// An event by `who` about a target, for the services that act on an authenticated request.
audit::Event EventFor(const Principal& who, std::string action, std::string target_type,
                      std::string_view target_id, const RequestContext& ctx);

// An event by someone not yet authenticated, about an account.
audit::Event AnonymousEvent(std::string action, const RequestContext& ctx);

// The one answer to credentials that were not accepted, whatever was wrong with them.
std::unexpected<Error> NotAuthenticated();

// Records `event` as refused with `reason`, then answers NotAuthenticated.
std::unexpected<Error> RefuseAuthentication(audit::AuditLog& audit, audit::Event event,
                                            std::string reason);

// The SHA-256 of a token, as the store keeps it.
Bytes HashOf(std::string_view token);

// A security event that follows `from` (same actor, source and request), in the same write.
Result<void> AppendSecurityEvent(audit::AuditLog& log, store::Transaction& tx, audit::Event from,
                                 std::string action, std::string reason);

}  // namespace strongroom::identity
