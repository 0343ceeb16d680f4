#include "identity/security_keys.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "identity/directory.h"
#include "identity/sessions.h"

namespace strongroom::identity {
namespace {

constexpr size_t kChallengeBytes = 32;

bool IsIpAddress(std::string_view host) {
  if (host.starts_with('[')) return true;  // IPv6, as URLs write it
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// The origin as a browser writes it into clientDataJSON: lower case, without the default port.
std::string BrowserOrigin(std::string_view origin) {
  std::string out = AsciiLower(origin);
  if (out.ends_with(":443")) out.resize(out.size() - 4);
  return out;
}

// What a key's id looks like (SecurityKey::id): anything else names none.
bool IsKeyId(std::string_view id) {
  return id.size() == 20 && id.starts_with("key-") &&
         std::all_of(id.begin() + 4, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

constexpr const char* kKeyColumns =
    "id, name, created_at, COALESCE(last_used_at, ''), COALESCE(locked_at, ''), format, "
    "attestation, aaguid, backup_eligible, backed_up";

SecurityKey KeyOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),     r.Text(4),
          r.Text(5), r.Text(6), r.Text(7), r.Int(8) != 0, r.Int(9) != 0};
}

// Appends `event` refused with `reason` (for the audit log) in the write, and returns what the
// client is told.
Result<Error> RefuseIn(store::Transaction& tx, audit::AuditLog& audit, audit::Event event,
                       const Error& error, std::string reason) {
  event.allowed = false;
  event.outcome = std::string(ErrorCodeName(error.code));
  event.reason = std::move(reason);
  RETURN_IF_ERROR(audit.Append(tx, std::move(event)));
  return error;
}

}  // namespace

Result<std::string> RpIdFor(std::string_view configured, std::string_view origin) {
  const Error none{ErrorCode::kFailedPrecondition,
                   "security keys need the service reached by its host name, not an IP address"};
  if (!origin.starts_with("https://")) return std::unexpected(none);
  std::string_view host = origin.substr(8);
  if (IsIpAddress(host.substr(0, host.find(':')))) return std::unexpected(none);
  host = host.substr(0, host.find(':'));
  const std::string lower = AsciiLower(host);
  if (lower.empty() || lower.find('/') != std::string::npos) return std::unexpected(none);
  if (configured.empty()) return lower;
  if (lower == configured || (lower.size() > configured.size() && lower.ends_with(configured) &&
                              lower[lower.size() - configured.size() - 1] == '.')) {
    return std::string(configured);
  }
  return Fail(ErrorCode::kFailedPrecondition,
              "security keys are not offered here: the configured RP ID does not cover this "
              "listener's origin");
}

Result<webauthn::Expected> ExpectedFor(const AuthOptions& options, const RequestContext& ctx,
                                       Bytes challenge, bool user_verification) {
  ASSIGN_OR_RETURN(auto rp_id, RpIdFor(options.webauthn_rp_id, ctx.origin));
  return webauthn::Expected{std::move(rp_id), BrowserOrigin(ctx.origin), std::move(challenge),
                            user_verification};
}

Result<std::vector<Bytes>> UsableKeyIds(store::Transaction& tx, std::string_view account_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT credential_id FROM webauthn_credentials WHERE "
                                       "account_id = ? AND locked_at IS NULL ORDER BY id",
                                       {std::string(account_id)}));
  std::vector<Bytes> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.Blob(0));
  return out;
}

Result<KeyOutcome> CheckKeyAssertion(store::Transaction& tx, std::string_view account_id,
                                     const webauthn::Expected& expected,
                                     const KeyAssertion& assertion, TimePoint now,
                                     audit::Event& event, std::string* reason) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, public_key, sign_count, backup_eligible, "
                                       "locked_at IS NOT NULL FROM webauthn_credentials WHERE "
                                       "credential_id = ? AND account_id = ?",
                                       {assertion.id, std::string(account_id)}));
  if (rows.empty()) {
    *reason = "security key not registered to this account";
    return KeyOutcome::kWrong;
  }
  const auto& row = rows.front();
  const std::string key_id = row.Text(0);
  event.detail["credential"] = key_id;
  if (row.Int(4) != 0) {
    *reason = "security key locked (a suspected clone)";
    return KeyOutcome::kWrong;
  }
  const Bytes public_key = row.Blob(1);
  const int64_t stored = row.Int(2);
  auto verified = webauthn::VerifyAssertion(expected, {public_key, static_cast<uint32_t>(stored)},
                                            assertion.client_data_json,
                                            assertion.authenticator_data, assertion.signature);
  if (!verified && verified.error().code == ErrorCode::kPermissionDenied) {
    RETURN_IF_ERROR(
        tx.Exec("UPDATE webauthn_credentials SET locked_at = ?, lock_reason = "
                "'counter' WHERE id = ?",
                {FormatRfc3339(now), key_id}));
    *reason = verified.error().message;
    return KeyOutcome::kCloned;
  }
  if (!verified) {
    if (verified.error().code == ErrorCode::kInternal) return std::unexpected(verified.error());
    *reason = verified.error().message;
    return KeyOutcome::kWrong;
  }
  if (verified->backup_eligible != (row.Int(3) != 0)) {
    *reason = "the security key's backup eligibility changed since it was registered";
    return KeyOutcome::kWrong;
  }
  // Moved on from the count this assertion was checked against, and only from it.
  ASSIGN_OR_RETURN(auto moved,
                   tx.Exec("UPDATE webauthn_credentials SET sign_count = ?, "
                           "last_used_at = ?, backed_up = ? WHERE id = ? AND "
                           "sign_count = ? AND locked_at IS NULL",
                           {static_cast<int64_t>(verified->sign_count), FormatRfc3339(now),
                            static_cast<int64_t>(verified->backed_up ? 1 : 0), key_id, stored}));
  if (moved != 1) {
    *reason = "the security key's count changed while this assertion was checked";
    return KeyOutcome::kWrong;
  }
  return KeyOutcome::kAccepted;
}

Result<CreationOptions> SecurityKeys::RegistrationOptions(const Principal& who,
                                                          const RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto rp_id, RpIdFor(deps_.options.webauthn_rp_id, ctx.origin));
  CreationOptions out;
  out.rp_id = std::move(rp_id);
  out.challenge = deps_.random.RandomBytes(kChallengeBytes);
  out.user_handle = Bytes(who.account.id.begin(), who.account.id.end());
  out.user_name = who.account.username;
  out.timeout_ms = deps_.options.webauthn_ttl.count();
  RETURN_IF_ERROR(deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(out.user_verification, Begin(tx, who, "register", out.challenge));
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT credential_id FROM webauthn_credentials WHERE "
                                         "account_id = ? ORDER BY id",
                                         {who.account.id}));
    out.exclude.clear();
    for (const auto& r : rows) out.exclude.push_back(r.Blob(0));
    return {};
  }));
  return out;
}

Result<SecurityKey> SecurityKeys::Register(const Principal& who, std::string_view name,
                                           const KeyRegistration& registration,
                                           const RequestContext& ctx) {
  auto event = EventFor(who, "auth.webauthn.register", "account", who.account.id, ctx);
  event.target.org = who.account.org_id;
  if (auto problem = CheckText(name, {"name", 1, 64}); !problem.empty()) {
    return deps_.audit.Refuse(event, Error{ErrorCode::kInvalidArgument, problem});
  }
  if (auto fresh = sessions_.RequireRecentMfa(who); !fresh) {
    return deps_.audit.Refuse(event, fresh.error());
  }
  const auto now = deps_.clock.Now();
  SecurityKey key;
  key.id = "key-" + deps_.random.RandomHex(8);
  key.name = std::string(name);
  key.created_at = FormatRfc3339(now);
  std::optional<Error> refusal;
  const Error not_accepted{ErrorCode::kInvalidArgument,
                           "the security key's answer was not accepted: ask for new options and "
                           "try again"};
  auto done = deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    refusal.reset();
    const auto refuse = [&](const Error& error, std::string reason) -> Result<void> {
      ASSIGN_OR_RETURN(auto told, RefuseIn(tx, deps_.audit, event, error, std::move(reason)));
      refusal = std::move(told);
      return {};
    };
    ASSIGN_OR_RETURN(auto ceremony, Spend(tx, who, "register"));
    if (!ceremony) {
      return refuse(not_accepted, "no registration ceremony under way for this session");
    }
    auto expected =
        ExpectedFor(deps_.options, ctx, ceremony->challenge, ceremony->user_verification);
    if (!expected) return refuse(expected.error(), expected.error().message);
    auto made = webauthn::VerifyRegistration(*expected, registration.client_data_json,
                                             registration.attestation_object);
    if (!made) {
      if (made.error().code == ErrorCode::kInternal) return std::unexpected(made.error());
      return refuse(not_accepted, made.error().message);
    }
    if (made->id != registration.id) {
      return refuse(not_accepted, "the credential id differs from the one attested");
    }
    ASSIGN_OR_RETURN(auto taken, tx.Query("SELECT account_id = ? FROM webauthn_credentials "
                                          "WHERE credential_id = ?",
                                          {who.account.id, made->id}));
    if (!taken.empty()) {
      return refuse({ErrorCode::kAlreadyExists, "this security key is registered already"},
                    taken.front().Int(0) != 0 ? "security key registered to this account already"
                                              : "security key registered to another account");
    }
    // Locked keys count too: they are removed, never revived.
    ASSIGN_OR_RETURN(auto count, tx.Query("SELECT COUNT(*) FROM webauthn_credentials WHERE "
                                          "account_id = ?",
                                          {who.account.id}));
    if (count.front().Int(0) >= kMaxSecurityKeys) {
      return refuse({ErrorCode::kFailedPrecondition,
                     fmt::format("an account holds at most {} security keys: remove one first",
                                 kMaxSecurityKeys)},
                    "too many security keys");
    }
    key.format = made->format;
    key.attestation = made->attestation;
    key.aaguid = made->aaguid;
    key.backup_eligible = made->backup_eligible;
    key.backed_up = made->backed_up;
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO webauthn_credentials (id, account_id, credential_id, public_key, "
        "sign_count, format, attestation, aaguid, backup_eligible, backed_up, user_verified, "
        "name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {key.id, who.account.id, made->id, made->public_key, static_cast<int64_t>(made->sign_count),
         key.format, key.attestation, key.aaguid, int64_t{key.backup_eligible ? 1 : 0},
         int64_t{key.backed_up ? 1 : 0}, int64_t{made->user_verified ? 1 : 0}, key.name,
         key.created_at}));
    auto ev = event;
    ev.allowed = true;
    ev.outcome = "ok";
    ev.reason = "security key registered";
    ev.detail["credential"] = key.id;
    ev.detail["format"] = key.format;
    ev.detail["attestation"] = key.attestation;
    ev.detail["aaguid"] = key.aaguid;
    ev.detail["backup_eligible"] = key.backup_eligible ? "true" : "false";
    return deps_.audit.Append(tx, std::move(ev));
  });
  if (!done) return std::unexpected(done.error());
  if (refusal) return std::unexpected(*refusal);
  return key;
}

std::unexpected<Error> SecurityKeys::Refuse(const Principal& who, Attempt attempt,
                                            const Error& error, const RequestContext& ctx) {
  if (attempt == Attempt::kReauthentication) {
    return deps_.audit.Refuse(EventFor(who, "auth.reauth", "session", who.session_id, ctx), error);
  }
  auto event = EventFor(who, "auth.webauthn.register", "account", who.account.id, ctx);
  event.target.org = who.account.org_id;
  return deps_.audit.Refuse(std::move(event), error);
}

Result<std::vector<SecurityKey>> SecurityKeys::List(const Principal& who) {
  return store::ReadValue<std::vector<SecurityKey>>(
      deps_.store, [&](store::Transaction& tx) -> Result<std::vector<SecurityKey>> {
        static const std::string sql = fmt::format(
            "SELECT {} FROM webauthn_credentials WHERE account_id = ? ORDER BY created_at, id",
            kKeyColumns);
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {who.account.id}));
        std::vector<SecurityKey> out;
        out.reserve(rows.size());
        for (const auto& r : rows) out.push_back(KeyOf(r));
        return out;
      });
}

Result<void> SecurityKeys::Remove(const Principal& who, std::string_view key_id,
                                  const RequestContext& ctx) {
  if (!IsKeyId(key_id)) return Fail(ErrorCode::kNotFound, "no such security key");
  auto event = EventFor(who, "auth.webauthn.remove", "security_key", key_id, ctx);
  event.target.org = who.account.org_id;
  if (auto fresh = sessions_.RequireRecentMfa(who); !fresh) {
    return deps_.audit.Refuse(event, fresh.error());
  }
  event.allowed = true;
  event.reason = "own security key";
  ASSIGN_OR_RETURN(auto removed,
                   deps_.audit.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
                     ASSIGN_OR_RETURN(auto n, tx.Exec("DELETE FROM webauthn_credentials WHERE "
                                                      "id = ? AND account_id = ?",
                                                      {std::string(key_id), who.account.id}));
                     if (n == 0) return Fail(ErrorCode::kNotFound, "no such security key");
                     return true;
                   }));
  (void)removed;
  return {};
}

Result<void> ReportClone(store::Transaction& tx, audit::AuditLog& audit,
                         std::string_view account_id, const audit::Event& event,
                         std::string_view reason) {
  RETURN_IF_ERROR(EndSessions(tx, account_id));
  auto suspected = event;
  const auto credential = event.detail.contains("credential") ? event.detail.at("credential") : "";
  suspected.action = "security.webauthn.clone_suspected";
  suspected.allowed = false;
  suspected.outcome = "unauthenticated";
  suspected.reason = fmt::format(
      "security key {} may have been cloned ({}): the key is locked and the account's sessions "
      "ended",
      credential, reason);
  suspected.detail = {{"credential", credential}};
  return audit.Append(tx, std::move(suspected));
}

Result<bool> SecurityKeys::Begin(store::Transaction& tx, const Principal& who,
                                 std::string_view purpose, const Bytes& challenge) {
  ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, who.account.org_id));
  RETURN_IF_ERROR(tx.Exec("DELETE FROM webauthn_challenges WHERE bound_to = ? AND purpose = ?",
                          {who.token_hash, std::string(purpose)}));
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO webauthn_challenges (bound_to, purpose, account_id, challenge, "
              "user_verification, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
              {who.token_hash, std::string(purpose), who.account.id, challenge,
               int64_t{policy.user_verification ? 1 : 0},
               FormatRfc3339(deps_.clock.Now() + deps_.options.webauthn_ttl)}));
  return policy.user_verification;
}

Result<std::optional<SecurityKeys::Ceremony>> SecurityKeys::Spend(store::Transaction& tx,
                                                                  const Principal& who,
                                                                  std::string_view purpose) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT challenge, user_verification, CASE WHEN "
                                       "expires_at > ? THEN 1 ELSE 0 END FROM "
                                       "webauthn_challenges WHERE bound_to = ? AND purpose = ? "
                                       "AND account_id = ?",
                                       {FormatRfc3339(deps_.clock.Now()), who.token_hash,
                                        std::string(purpose), who.account.id}));
  if (rows.empty()) return std::optional<Ceremony>();
  const auto& row = rows.front();
  // Spent by this call only: another that read the same ceremony finds it gone.
  ASSIGN_OR_RETURN(auto spent, tx.Exec("DELETE FROM webauthn_challenges WHERE bound_to = ? AND "
                                       "purpose = ? AND challenge = ?",
                                       {who.token_hash, std::string(purpose), row.Blob(0)}));
  if (spent != 1 || row.Int(2) == 0) return std::optional<Ceremony>();
  ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, who.account.org_id));
  return Ceremony{row.Blob(0), row.Int(1) != 0 || policy.user_verification};
}

Result<RequestOptions> SecurityKeys::ReauthOptions(const Principal& who,
                                                   const RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto rp_id, RpIdFor(deps_.options.webauthn_rp_id, ctx.origin));
  RequestOptions out;
  out.rp_id = std::move(rp_id);
  out.challenge = deps_.random.RandomBytes(kChallengeBytes);
  out.timeout_ms = deps_.options.webauthn_ttl.count();
  RETURN_IF_ERROR(deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(out.allow, UsableKeyIds(tx, who.account.id));
    if (out.allow.empty()) return {};
    ASSIGN_OR_RETURN(out.user_verification, Begin(tx, who, "reauth", out.challenge));
    return {};
  }));
  if (out.allow.empty()) {
    return Fail(ErrorCode::kFailedPrecondition, "no security key is registered for this account");
  }
  return out;
}

Result<Principal> SecurityKeys::Reauthenticate(const Principal& who, const KeyAssertion& assertion,
                                               const RequestContext& ctx) {
  return sessions_.Reauthenticate(
      who, ctx,
      [&](store::Transaction& tx, const StoredFactor&, audit::Event& event, int64_t*,
          std::string* reason) -> Result<Factor> {
        event.detail["method"] = "webauthn";
        const auto now = deps_.clock.Now();
        ASSIGN_OR_RETURN(auto ceremony, Spend(tx, who, "reauth"));
        if (!ceremony) {
          *reason = "no security-key ceremony under way for this session";
          return Factor::kInvalid;
        }
        auto expected =
            ExpectedFor(deps_.options, ctx, ceremony->challenge, ceremony->user_verification);
        if (!expected) {
          *reason = expected.error().message;
          return Factor::kInvalid;
        }
        ASSIGN_OR_RETURN(auto outcome, CheckKeyAssertion(tx, who.account.id, *expected, assertion,
                                                         now, event, reason));
        if (outcome == KeyOutcome::kAccepted) return Factor::kAccepted;
        const std::string why = *reason;
        *reason = "security key not accepted: " + why;
        if (outcome == KeyOutcome::kCloned) {
          RETURN_IF_ERROR(ReportClone(tx, deps_.audit, who.account.id, event, why));
        }
        return Factor::kWrong;
      });
}

}  // namespace strongroom::identity
