#pragma once
// Security keys and passkeys (WebAuthn) as second factors: registering them, listing and removing
// them, and the ceremony with which one signs in. The one owner of `webauthn_credentials` and
// `webauthn_challenges`; the checks themselves are webauthn/webauthn.h's.
//
// - The RP ID is the host name people reach the service by ([accounts] webauthn_rp_id, or the
//   listener's origin's host); a service reached by IP address offers no keys (no browser accepts
//   an IP address as an RP ID). The origin a ceremony must come from is the listener's that the
//   request reached, so a key used on another site, or on the other listener, proves nothing.
// - A ceremony's challenge is 32 random bytes, lives AuthOptions::webauthn_ttl and is spent by
//   the write that tries it, accepted or not: a registration's is bound to the session that asked
//   for it, a sign-in's rides on the login challenge (sign_in.h).
// - A session proves a fresh second factor with a key as with a code (Sessions::Reauthenticate):
//   its ceremony is bound to the session; wrong ones count alike. Under a keys-only policy
//   (factor_policy.h) a code is refused there too.
// - Registering or removing a key needs a fresh second factor (Sessions::RequireRecentMfa): a
//   stolen session must not plant a key. A credential id is registered once, to one account.
// - An assertion whose signature verifies but whose counter did not move on means the key may
//   have been cloned: the key is locked for good (removed, never unlocked), the account's sessions
//   end, and `security.webauthn.clone_suspected` is audited.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/auth_common.h"
#include "identity/sessions.h"
#include "webauthn/webauthn.h"

namespace strongroom::identity {

// At most this many keys per account (locked ones included: they are removed, never revived).
inline constexpr int kMaxSecurityKeys = 10;

struct SecurityKey {
  std::string id;  // "key-" + 16 hex digits
  std::string name;
  std::string created_at;
  std::string last_used_at;  // "" if never used
  std::string locked_at;     // "" unless locked (a suspected clone)
  std::string format;        // the attestation's: "none", "packed", "fido-u2f"
  std::string attestation;   // "none", "self", "basic"
  std::string aaguid;
  bool backup_eligible = false;  // a passkey that may be synced
  bool backed_up = false;
};

// What the browser answered navigator.credentials.create() and .get() with, decoded.
struct KeyRegistration {
  Bytes id;
  Bytes client_data_json;
  Bytes attestation_object;
};
struct KeyAssertion {
  Bytes id;
  Bytes client_data_json;
  Bytes authenticator_data;
  Bytes signature;
};

// What the browser is to be asked, for api/ to render as WebAuthn's JSON options.
struct CreationOptions {
  std::string rp_id;
  Bytes challenge;
  Bytes user_handle;  // the account id's bytes: names no person
  std::string user_name;
  std::vector<Bytes> exclude;  // the account's keys: the same authenticator is not registered twice
  bool user_verification = false;
  int64_t timeout_ms = 0;
};
struct RequestOptions {
  std::string rp_id;
  Bytes challenge;
  std::vector<Bytes> allow;  // the account's usable keys
  bool user_verification = false;
  int64_t timeout_ms = 0;
};

// The RP ID for a request that reached `origin` ("https://host[:port]"): `configured` when set (it
// must be the origin's host or a domain above it), else the host. kFailedPrecondition when there
// is none: an IP address, or an origin the configured RP ID does not cover.
Result<std::string> RpIdFor(std::string_view configured, std::string_view origin);

// What a ceremony at the request's listener must show: its RP ID and origin, `challenge`, and
// user verification if asked.
Result<webauthn::Expected> ExpectedFor(const AuthOptions& options, const RequestContext& ctx,
                                       Bytes challenge, bool user_verification);

// For sign-in's write (sign_in.cc).
enum class KeyOutcome { kAccepted, kWrong, kCloned };
// The ids of the account's keys that are not locked.
Result<std::vector<Bytes>> UsableKeyIds(store::Transaction& tx, std::string_view account_id);
// Checks `assertion` against the account's key it names (its id in event.detail["credential"]);
// kAccepted: the key's counter and last use are updated. Otherwise *reason says why, for the audit
// log; kCloned: the signature verified but the counter did not move on, and the key is locked
// (reporting it, ending sessions and counting are the caller's).
Result<KeyOutcome> CheckKeyAssertion(store::Transaction& tx, std::string_view account_id,
                                     const webauthn::Expected& expected,
                                     const KeyAssertion& assertion, TimePoint now,
                                     audit::Event& event, std::string* reason);
// After kCloned: the account's sessions end, and `security.webauthn.clone_suspected` is audited
// (from `event`, the attempt's, with the key it names and `reason`).
Result<void> ReportClone(store::Transaction& tx, audit::AuditLog& audit,
                         std::string_view account_id, const audit::Event& event,
                         std::string_view reason);

class SecurityKeys {
 public:
  SecurityKeys(const AuthDeps& deps, Sessions& sessions) : deps_(deps), sessions_(sessions) {}

  // A new registration ceremony for the principal's session (replacing any it began before).
  Result<CreationOptions> RegistrationOptions(const Principal& who, const RequestContext& ctx);
  // Registers the key the browser made for that ceremony, named `name` (1 to 64 characters).
  Result<SecurityKey> Register(const Principal& who, std::string_view name,
                               const KeyRegistration& registration, const RequestContext& ctx);
  // Audits an attempt at registering a key ("auth.webauthn.register") or re-authenticating with
  // one ("auth.reauth") refused before those calls: a body that cannot be read, or ceremony
  // options refused to a request for them (the API's; the console asks for options only to know
  // what to offer). Returns `error`.
  enum class Attempt { kRegistration, kReauthentication };
  std::unexpected<Error> Refuse(const Principal& who, Attempt attempt, const Error& error,
                                const RequestContext& ctx);
  Result<std::vector<SecurityKey>> List(const Principal& who);
  Result<void> Remove(const Principal& who, std::string_view key_id, const RequestContext& ctx);

  // A new re-authentication ceremony for the principal's session (replacing any it began
  // before), offering the account's usable keys; kFailedPrecondition if it has none.
  Result<RequestOptions> ReauthOptions(const Principal& who, const RequestContext& ctx);
  // A fresh second factor on the session with a key, for that ceremony, which this attempt spends
  // whatever comes of it: as Sessions::Reauthenticate with a code, wrong ones counted alike.
  Result<Principal> Reauthenticate(const Principal& who, const KeyAssertion& assertion,
                                   const RequestContext& ctx);

 private:
  // A new ceremony for `purpose` bound to the principal's session (replacing any it began
  // before), with `challenge`; whether the organisation asks keys to verify their user.
  Result<bool> Begin(store::Transaction& tx, const Principal& who, std::string_view purpose,
                     const Bytes& challenge);
  // The session's live ceremony for `purpose`, spent by this call whatever comes of it; nullopt if
  // none lives. Its user verification: as asked for then, or as the organisation asks now if that
  // is stricter.
  struct Ceremony {
    Bytes challenge;
    bool user_verification = false;
  };
  Result<std::optional<Ceremony>> Spend(store::Transaction& tx, const Principal& who,
                                        std::string_view purpose);

  const AuthDeps& deps_;
  Sessions& sessions_;
};

}  // namespace strongroom::identity
