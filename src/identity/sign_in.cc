#include "identity/sign_in.h"

#include <fmt/format.h>

#include <algorithm>

#include "identity/directory.h"
#include "identity/sessions.h"
#include "identity/username.h"

namespace strongroom::identity {
namespace {

// One allowance of wrong passwords: unknown devices', or one known device's.
struct Allowance {
  int64_t failures = 0;
  std::string locked_until;  // RFC 3339, "" if never locked
};

struct Counted {
  bool held = false;     // a lock held when the attempt arrived (then nothing is counted)
  std::string lock_set;  // the lock this failure set at the limit, "" if none
};

// Counts one failure against `a` unless a lock holds; at `limit` locks it until `now + lock_for`
// and starts the count again.
Counted CountAgainst(Allowance& a, TimePoint now, int64_t limit, std::chrono::minutes lock_for) {
  Counted out;
  out.held = a.locked_until > FormatRfc3339(now);
  if (!out.held && ++a.failures >= limit) {
    a.locked_until = FormatRfc3339(now + lock_for);
    a.failures = 0;
    out.lock_set = a.locked_until;
  }
  return out;
}

// The delay per (username, source or device): the seconds to wait if an attempt comes too soon
// (then nothing is counted), else 0 after counting this attempt and setting the next delay.
Result<int64_t> TakeDelay(store::Transaction& tx, const std::string& key, const std::string& source,
                          TimePoint now) {
  ASSIGN_OR_RETURN(auto t, tx.Query("SELECT failures, next_allowed_at FROM login_throttle "
                                    "WHERE username = ? AND source = ?",
                                    {key, source}));
  if (!t.empty()) {
    if (auto next = ParseRfc3339(t.front().Text(1)); next && *next > now) {
      return std::chrono::ceil<std::chrono::seconds>(*next - now).count();
    }
  }
  const int64_t failures = (t.empty() ? 0 : t.front().Int(0)) + 1;
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO login_throttle (username, source, failures, next_allowed_at) VALUES (?, ?, ?, "
      "?) ON CONFLICT (username, source) DO UPDATE SET failures = excluded.failures, "
      "next_allowed_at = excluded.next_allowed_at",
      {key, source, failures, FormatRfc3339(now + DelayAfter(failures))}));
  return 0;
}

constexpr const char* kKnownDeviceSql =
    "SELECT d.locked_until FROM known_devices d JOIN accounts a ON a.id = d.account_id WHERE "
    "d.device_hash = ? AND a.username = ? AND d.last_used_at > ?";

// The throttling key: the name as typed, folded, whether or not such an account exists. A
// malformed name is kept only as its hash: it is often a password typed in the wrong field.
std::string ThrottleKey(std::string_view username, bool well_formed) {
  std::string key(username.substr(0, 256));
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return well_formed ? key : "malformed:" + HexEncode(HashOf(key));
}

}  // namespace

SignIn::SignIn(const AuthDeps& deps, SecondFactors& factors)
    : deps_(deps), factors_(factors), buckets_(deps.clock, kAddressBurst, kAddressRefill) {
  dummy_hash_ = crypto::HashPassword(deps_.random.RandomHex(16), deps_.options.argon2).value_or("");
}

struct SignIn::PasswordStep {
  std::optional<Account> account;
  std::string password_hash;
  std::string key;              // the username as typed, folded (hashed if malformed)
  std::string throttle_source;  // the address, or the device for a known device
  Bytes device_hash;            // of the device cookie offered; matches no device if none
  bool known_device = false;
  int64_t throttle_wait = 0;  // > 0: refused unchecked, and nothing counted
  bool locked = false;        // a lock held when the attempt arrived
  std::string lock_set;       // the lock this attempt's count set ("" if none)
  std::string lock_note;      // for the audit event
};

Result<bool> SignIn::KnownDevice(std::string_view name, const Bytes& device_hash) {
  return store::ReadValue<bool>(deps_.store, [&](store::Transaction& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query(kKnownDeviceSql,
                              {device_hash, std::string(name),
                               FormatRfc3339(deps_.clock.Now() - deps_.options.device_lifetime)}));
    return !rows.empty();
  });
}

Result<SignIn::PasswordStep> SignIn::Reserve(std::string_view name, const std::string& key,
                                             const Bytes& device_hash, bool known_device,
                                             const RequestContext& ctx) {
  PasswordStep step;
  step.key = key;
  step.device_hash = device_hash;
  step.known_device = known_device;
  step.throttle_source =
      known_device ? "device:" + HexEncode(device_hash).substr(0, 16) : ctx.source;
  const auto now = deps_.clock.Now();
  const int64_t limit = deps_.options.lock_after_failures;
  RETURN_IF_ERROR(deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    step.account.reset();
    step.locked = false;
    step.lock_set.clear();
    step.lock_note.clear();
    // (1) Too soon for this username from here, and nothing is checked or counted.
    ASSIGN_OR_RETURN(step.throttle_wait, TakeDelay(tx, key, step.throttle_source, now));
    if (step.throttle_wait > 0) return {};
    // The account as it stands now; a malformed name is looked up as "", which names none.
    static const std::string sql = fmt::format(
        "SELECT {}, a.password_hash, a.failed_logins, a.unknown_locked_until, a.unknown_locks "
        "FROM accounts a WHERE a.username = ?",
        kAccountColumns);
    ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(name)}));
    constexpr int k = kAccountColumnCount;
    Allowance unknown;
    int64_t locks = 0;
    if (!rows.empty()) {
      step.account = AccountOf(rows.front());
      step.password_hash = rows.front().Text(k);
      unknown = {rows.front().Int(k + 1), rows.front().Text(k + 2)};
      locks = rows.front().Int(k + 3);
    }
    // An account asked for where it does not sign in (a privileged one at the public listener)
    // is refused whatever the password, so the attempt counts against none of its allowances:
    // the listener the world reaches cannot lock administrators out. The same statements run,
    // for no account, so that the time taken does not tell.
    const bool here = !step.account || SignsInAt(step.account->kind, ctx.reach);
    const std::string account_id = rows.empty() || !here ? "" : rows.front().Text(0);
    // Counts this attempt against the allowance it is made on: (3) unknown devices', or (5) a
    // known device's own; at the limit that allowance is locked out, unless a lock holds already.
    const auto count = [&](Allowance& a, std::chrono::minutes lock_for, const char* what) {
      const auto counted = CountAgainst(a, now, limit, lock_for);
      step.locked = counted.held;
      if (counted.lock_set.empty()) return false;
      step.lock_set = counted.lock_set;
      step.lock_note = fmt::format("; {} locked out until {}", what, counted.lock_set);
      return true;
    };
    if (here && !known_device && count(unknown, LockDuration(locks), "unknown devices")) ++locks;
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET failed_logins = ?, unknown_locked_until = ?, "
                "unknown_locks = ? WHERE id = ?",
                {unknown.failures, unknown.locked_until, locks, account_id}));
    ASSIGN_OR_RETURN(auto d, tx.Query("SELECT failures, locked_until FROM known_devices WHERE "
                                      "device_hash = ? AND account_id = ?",
                                      {device_hash, account_id}));
    Allowance device;
    if (!d.empty()) device = {d.front().Int(0), d.front().Text(1)};
    if (here && known_device) count(device, LockDuration(0), "this device");
    RETURN_IF_ERROR(
        tx.Exec("UPDATE known_devices SET failures = ?, locked_until = ? WHERE "
                "device_hash = ? AND account_id = ?",
                {device.failures, device.locked_until, device_hash, account_id}));
    return {};
  }));
  return step;
}

Result<void> SignIn::LoginFailed(audit::Event event, std::string reason, const PasswordStep& step) {
  // "" names no account: the statements run all the same for an unknown username.
  const std::string account_id = step.account ? step.account->id : "";
  return deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET failures_unseen = failures_unseen + 1, "
                "last_failure_at = ? WHERE id = ?",
                {FormatRfc3339(deps_.clock.Now()), account_id}));
    event.allowed = false;
    event.reason = reason + step.lock_note;
    event.outcome = "unauthenticated";
    RETURN_IF_ERROR(deps_.audit.Append(tx, event));
    return {};
  });
}

Result<std::optional<RequestOptions>> SignIn::Ceremony(store::Transaction& tx,
                                                       const Account& account,
                                                       const RequestContext& ctx) {
  auto rp_id = RpIdFor(deps_.options.webauthn_rp_id, ctx.origin);
  if (!rp_id) return std::nullopt;
  ASSIGN_OR_RETURN(auto ids, UsableKeyIds(tx, account.id));
  if (ids.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, account.org_id));
  return RequestOptions{std::move(*rp_id), deps_.random.RandomBytes(32), std::move(ids),
                        policy.user_verification, deps_.options.webauthn_ttl.count()};
}

// A success: the count Reserve took is given back, with any lock it set, and a challenge for the
// second factor is issued (with a security-key ceremony, if the account has a key).
Result<LoginChallenge> SignIn::PasswordAccepted(const PasswordStep& step, const audit::Event& event,
                                                const RequestContext& ctx) {
  const auto& account = *step.account;
  LoginChallenge out;
  out.challenge = deps_.random.RandomHex(32);
  const auto& challenge = out.challenge;
  auto accepted = event;
  accepted.allowed = true;
  accepted.reason = "password accepted; MFA required";
  const auto now = deps_.clock.Now();
  ASSIGN_OR_RETURN(
      auto ok, deps_.audit.Change<bool>(accepted, [&](store::Transaction& tx) -> Result<bool> {
        if (step.known_device) {
          RETURN_IF_ERROR(
              tx.Exec("UPDATE known_devices SET failures = 0, locked_until = CASE WHEN "
                      "? <> '' AND locked_until = ? THEN '' ELSE locked_until END WHERE "
                      "device_hash = ?",
                      {step.lock_set, step.lock_set, step.device_hash}));
        } else {
          RETURN_IF_ERROR(tx.Exec(
              "UPDATE accounts SET failed_logins = 0, unknown_locks = CASE WHEN ? <> '' AND "
              "unknown_locked_until = ? THEN CASE WHEN unknown_locks > 0 THEN unknown_locks - 1 "
              "ELSE 0 END ELSE unknown_locks END, "
              "unknown_locked_until = CASE WHEN ? <> '' AND unknown_locked_until = ? THEN '' "
              "ELSE unknown_locked_until END WHERE id = ?",
              {step.lock_set, step.lock_set, step.lock_set, step.lock_set, account.id}));
        }
        RETURN_IF_ERROR(tx.Exec("DELETE FROM login_throttle WHERE username = ? AND source = ?",
                                {step.key, step.throttle_source}));
        ASSIGN_OR_RETURN(out.webauthn, Ceremony(tx, account, ctx));
        ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, account.org_id));
        out.totp = !KeyRequired(policy, account.kind);
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO login_challenges (challenge_hash, account_id, expires_at, device_hash, "
            "webauthn_challenge, webauthn_expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            {HashOf(challenge), account.id, FormatRfc3339(now + deps_.options.challenge_ttl),
             step.known_device ? store::Value(step.device_hash) : store::Value(),
             out.webauthn ? store::Value(out.webauthn->challenge) : store::Value(),
             out.webauthn ? store::Value(FormatRfc3339(now + deps_.options.webauthn_ttl))
                          : store::Value()}));
        return true;
      }));
  (void)ok;
  return out;
}

Result<LoginChallenge> SignIn::Login(std::string_view username, std::string_view password,
                                     std::string_view device_token, const RequestContext& ctx) {
  auto event = AnonymousEvent("auth.login.password", ctx);
  auto name = CanonicalUsername(username, {});
  // Only a well-formed username is recorded: people do type their password into the username
  // field, and the audit log must never hold a password.
  event.actor.username = name ? *name : "(malformed username)";
  const auto key = ThrottleKey(username, name.has_value());
  auto throttled = [&](int64_t wait, std::string reason) -> Result<LoginChallenge> {
    auto e = event;
    e.action = "security.throttled";
    e.allowed = false;
    e.reason = std::move(reason);
    e.outcome = "resource_exhausted";
    RETURN_IF_ERROR(deps_.audit.Record(std::move(e)));
    return std::unexpected(Error{ErrorCode::kResourceExhausted,
                                 "too many sign-in attempts; wait before trying again", wait});
  };
  const auto unavailable = [] {
    return Fail(ErrorCode::kUnavailable, "the service is unavailable; retry shortly");
  };
  // A device cookie of the wrong shape names no device (the hash of "" matches none).
  const auto device_hash = HashOf(device_token.size() == 64 ? device_token : "");
  const auto known = KnownDevice(name.value_or(""), device_hash);
  if (!known) return unavailable();
  // (2) The address's allowance, taken before anything is checked; given back on success.
  const auto refund = [&] {
    if (!*known) buckets_.Refund(ctx.source);
  };
  if (const int64_t wait = *known ? 0 : buckets_.Take(ctx.source); wait > 0) {
    return throttled(wait, "too many attempts from this address");
  }
  auto reserved = Reserve(name.value_or(""), key, device_hash, *known, ctx);
  if (!reserved) {
    refund();
    return unavailable();
  }
  const auto& step = *reserved;
  if (step.throttle_wait > 0) {
    refund();
    return throttled(step.throttle_wait, step.known_device
                                             ? "repeated failures for this username on this device"
                                             : "repeated failures for this username from this "
                                               "address");
  }
  // The same Argon2id work whether or not the account exists, is usable, or has a password.
  const auto& hash = step.password_hash;
  const bool password_ok =
      crypto::VerifyPassword(hash.empty() ? dummy_hash_ : hash, password) && !hash.empty();
  auto failed = [&](std::string reason) -> Result<LoginChallenge> {
    RETURN_IF_ERROR(LoginFailed(event, std::move(reason), step));
    return NotAuthenticated();
  };
  if (!step.account) return failed("unknown username");
  const auto& account = *step.account;
  event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
  event.target = {"account", account.id, account.org_id};
  event.detail["device"] = step.known_device ? "known" : "unknown";
  // Before the password's verdict, so that the answer never says whether it was right.
  if (!SignsInAt(account.kind, ctx.reach)) return failed(WrongListener(account.kind, ctx.reach));
  if (step.locked) {
    return failed(step.known_device ? "this device is locked out after repeated failures"
                                    : "unknown devices are locked out after repeated failures");
  }
  if (!password_ok) return failed("wrong password");
  if (account.status != "active" || account.expires_at <= deps_.clock.Now()) {
    return failed("account is " +
                  (account.status == "active" ? std::string("past its expiry") : account.status));
  }
  refund();
  return PasswordAccepted(step, event, ctx);
}

struct SignIn::Challenge {
  Bytes hash;
  Account account;
  StoredFactor factor;
  std::optional<Bytes> device_hash;  // the known device the password came from, if any
  int64_t failures_unseen = 0;       // failed sign-ins since the account last signed in
  std::string last_failure_at;
  std::optional<Bytes> webauthn_challenge;  // the security-key ceremony's, while it lives
  bool key_required = false;                // no TOTP code is accepted (factor_policy.h)
  bool user_verification = false;           // a key must verify its user (factor_policy.h)
};

Result<std::optional<SignIn::Challenge>> SignIn::FindChallenge(store::Transaction& tx,
                                                               const Bytes& hash) {
  static const std::string sql = fmt::format(
      "SELECT {}, {}, c.device_hash, a.failures_unseen, a.last_failure_at, "
      "CASE WHEN c.webauthn_expires_at > ? THEN c.webauthn_challenge END FROM login_challenges "
      "c JOIN accounts a ON a.id = c.account_id WHERE c.challenge_hash = ? AND c.expires_at > ?",
      kAccountColumns, kStoredFactorColumns);
  const auto now = FormatRfc3339(deps_.clock.Now());
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {now, hash, now}));
  if (rows.empty()) return std::nullopt;
  const auto& row = rows.front();
  auto account = AccountOf(row);
  if (!account) return std::nullopt;
  constexpr int k = kAccountColumnCount + kStoredFactorColumnCount;
  Challenge c{hash,         std::move(*account), StoredFactorOf(row, kAccountColumnCount),
              std::nullopt, row.Int(k + 1),      row.Text(k + 2)};
  if (!row.IsNull(k)) c.device_hash = row.Blob(k);
  if (!row.IsNull(k + 3)) c.webauthn_challenge = row.Blob(k + 3);
  ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, c.account.org_id));
  c.key_required = KeyRequired(policy, c.account.kind);
  c.user_verification = policy.user_verification;
  return c;
}

// A TOTP code, or else a recovery code; a wrong one is counted for the challenge (which dies
// after too many) and for the account.
Result<Factor> SignIn::CheckCode(store::Transaction& tx, const Challenge& challenge,
                                 std::string_view code, audit::Event& event, int64_t* wait) {
  const auto& account = challenge.account;
  // Under a policy of security keys only, a TOTP code is refused unchecked and uncounted (it
  // proves nothing either way); recovery codes are still accepted.
  if (challenge.key_required && code.size() != kRecoveryCodeLength) {
    return Factor::kNotAllowed;
  }
  int64_t step = -1;
  ASSIGN_OR_RETURN(auto outcome,
                   factors_.Check(tx, account, challenge.factor, code, event, &step, wait));
  if (outcome == Factor::kAccepted) {
    RETURN_IF_ERROR(factors_.Accepted(tx, account.id, step));
    return outcome;
  }
  if (outcome != Factor::kWrong) return outcome;
  if (code.size() == kRecoveryCodeLength) {
    ASSIGN_OR_RETURN(auto used,
                     tx.Exec("UPDATE recovery_codes SET used_at = ? WHERE account_id "
                             "= ? AND code_hash = ? AND used_at IS NULL",
                             {FormatRfc3339(deps_.clock.Now()), account.id, HashOf(code)}));
    if (used == 1) {
      event.detail["method"] = "recovery_code";
      RETURN_IF_ERROR(factors_.Accepted(tx, account.id, std::nullopt));
      return Factor::kAccepted;
    }
  }
  RETURN_IF_ERROR(CountWrong(tx, challenge, event, "wrong MFA code"));
  return Factor::kWrong;
}

Result<void> SignIn::CountWrong(store::Transaction& tx, const Challenge& challenge,
                                audit::Event& event, std::string reason) {
  RETURN_IF_ERROR(
      tx.Exec("UPDATE login_challenges SET failures = failures + 1 WHERE challenge_hash = ?",
              {challenge.hash}));
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM login_challenges WHERE challenge_hash = ? AND failures >= ?",
              {challenge.hash, static_cast<int64_t>(deps_.options.challenge_attempts)}));
  event.reason = std::move(reason);
  return factors_.Failed(tx, challenge.account.id, challenge.factor.failures + 1, event);
}

// A security key's assertion, for the ceremony the login challenge carries, which it spends.
Result<Factor> SignIn::CheckKey(store::Transaction& tx, const Challenge& challenge,
                                const KeyAssertion& assertion, const RequestContext& ctx,
                                audit::Event& event, int64_t* wait, std::string* refusal) {
  const auto& account = challenge.account;
  ASSIGN_OR_RETURN(auto throttled, factors_.Throttled(tx, challenge.factor, event, wait));
  if (throttled) return Factor::kThrottled;
  event.detail["method"] = "webauthn";
  if (!challenge.webauthn_challenge) {
    *refusal = "no security-key ceremony under way for this login challenge";
    return Factor::kInvalid;
  }
  // Spent here, and only by this attempt: another that read the same ceremony finds it gone
  // (writes are serialised, across nodes too; this holds without that).
  ASSIGN_OR_RETURN(auto spent, tx.Exec("UPDATE login_challenges SET webauthn_challenge = NULL, "
                                       "webauthn_expires_at = NULL WHERE challenge_hash = ? AND "
                                       "webauthn_challenge = ?",
                                       {challenge.hash, *challenge.webauthn_challenge}));
  if (spent != 1) {
    *refusal = "no security-key ceremony under way for this login challenge";
    return Factor::kInvalid;
  }
  // The policy as it is now: one made stricter since the options were given applies.
  auto expected =
      ExpectedFor(deps_.options, ctx, *challenge.webauthn_challenge, challenge.user_verification);
  if (!expected) {
    *refusal = expected.error().message;
    return Factor::kInvalid;
  }
  const auto now = deps_.clock.Now();
  std::string reason;
  ASSIGN_OR_RETURN(auto outcome,
                   CheckKeyAssertion(tx, account.id, *expected, assertion, now, event, &reason));
  switch (outcome) {
    case KeyOutcome::kAccepted:
      RETURN_IF_ERROR(factors_.Accepted(tx, account.id, std::nullopt));
      return Factor::kAccepted;
    case KeyOutcome::kWrong:
      RETURN_IF_ERROR(CountWrong(tx, challenge, event, "security key not accepted: " + reason));
      return Factor::kWrong;
    case KeyOutcome::kCloned:
      break;
  }
  // Either holder may be the clone: the key is locked (CheckKeyAssertion), this sign-in ends
  // here, and so do the account's sessions.
  RETURN_IF_ERROR(CountWrong(tx, challenge, event, "security key not accepted: " + reason));
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM login_challenges WHERE challenge_hash = ?", {challenge.hash}));
  RETURN_IF_ERROR(ReportClone(tx, deps_.audit, account.id, event, reason));
  return Factor::kWrong;
}

// The challenge is spent, a session opens (ending the oldest beyond the limit), and the client
// becomes, or stays, a known device of the account.
Result<void> SignIn::OpenSession(store::Transaction& tx, const Challenge& challenge,
                                 const RequestContext& ctx, NewSession& session,
                                 audit::Event& event) {
  const auto& account = challenge.account;
  const auto now = deps_.clock.Now();
  const auto now_text = FormatRfc3339(now);
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM login_challenges WHERE challenge_hash = ?", {challenge.hash}));
  const int limit = account.kind == Kind::kPrivileged ? deps_.options.sessions_privileged
                                                      : deps_.options.sessions_standard;
  ASSIGN_OR_RETURN(auto tokens,
                   identity::OpenSession(tx, deps_.random, account, ctx.source, now, limit));
  session.token = std::move(tokens.token);
  session.csrf_token = std::move(tokens.csrf_token);
  session.account = account;
  session.failed_attempts = challenge.failures_unseen;
  if (session.failed_attempts > 0) session.last_failed_at = challenge.last_failure_at;
  RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET last_login_at = ?, failures_unseen = 0 WHERE id = ?",
                          {now_text, account.id}));
  if (challenge.device_hash) {
    session.device_known = true;
    RETURN_IF_ERROR(
        tx.Exec("UPDATE known_devices SET last_used_at = ?, failures = 0, "
                "locked_until = '' WHERE device_hash = ? AND account_id = ?",
                {now_text, *challenge.device_hash, account.id}));
  } else {
    // A full sign-in from an unknown device ends the escalation of unknown-device locks.
    RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET unknown_locks = 0 WHERE id = ?", {account.id}));
    session.device_token = deps_.random.RandomHex(32);
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO known_devices (device_hash, account_id, created_at, "
                "last_used_at) VALUES (?, ?, ?, ?)",
                {HashOf(session.device_token), account.id, now_text, now_text}));
    RETURN_IF_ERROR(tx.Exec(
        "DELETE FROM known_devices WHERE account_id = ? AND device_hash NOT IN (SELECT "
        "device_hash FROM known_devices WHERE account_id = ? ORDER BY last_used_at DESC LIMIT ?)",
        {account.id, account.id, static_cast<int64_t>(deps_.options.devices_per_account)}));
    event.detail["device"] = "new";
  }
  event.actor.session = HexEncode(HashOf(session.token)).substr(0, 16);
  event.allowed = true;
  event.reason = "password and second factor";
  event.outcome = "ok";
  if (session.failed_attempts > 0) {
    event.detail["failed_attempts_shown"] = std::to_string(session.failed_attempts);
  }
  RETURN_IF_ERROR(deps_.audit.Append(tx, event));
  return {};
}

Result<NewSession> SignIn::CompleteMfa(std::string_view challenge, std::string_view code,
                                       const RequestContext& ctx) {
  return Complete(challenge, ctx,
                  [&](store::Transaction& tx, const Challenge& found, audit::Event& event,
                      int64_t* wait, std::string* refusal) -> Result<Factor> {
                    ASSIGN_OR_RETURN(auto outcome, CheckCode(tx, found, code, event, wait));
                    if (outcome == Factor::kNotAllowed) {
                      *refusal = "a TOTP code, where the organisation requires a security key";
                    }
                    return outcome;
                  });
}

Result<NewSession> SignIn::CompleteWebAuthn(std::string_view challenge,
                                            const KeyAssertion& assertion,
                                            const RequestContext& ctx) {
  return Complete(challenge, ctx,
                  [&](store::Transaction& tx, const Challenge& found, audit::Event& event,
                      int64_t* wait, std::string* refusal) {
                    return CheckKey(tx, found, assertion, ctx, event, wait, refusal);
                  });
}

Result<SignIn::Renewed> SignIn::Renew(std::string_view challenge, const RequestContext& ctx) {
  Renewed out;
  RETURN_IF_ERROR(deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    out = Renewed{};
    if (challenge.size() != 64) return {};
    ASSIGN_OR_RETURN(auto found, FindChallenge(tx, HashOf(challenge)));
    if (!found || !SignsInAt(found->account.kind, ctx.reach)) return {};
    out.challenge_valid = true;
    out.account = found->account;
    out.totp = !found->key_required;
    ASSIGN_OR_RETURN(out.options, Ceremony(tx, found->account, ctx));
    if (!out.options) return {};
    RETURN_IF_ERROR(
        tx.Exec("UPDATE login_challenges SET webauthn_challenge = ?, "
                "webauthn_expires_at = ? WHERE challenge_hash = ?",
                {out.options->challenge,
                 FormatRfc3339(deps_.clock.Now() + deps_.options.webauthn_ttl), found->hash}));
    return {};
  }));
  return out;
}

Result<RequestOptions> SignIn::WebAuthnOptions(std::string_view challenge,
                                               const RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto renewed, Renew(challenge, ctx));
  if (!renewed.challenge_valid) {
    return RefuseAuthentication(deps_.audit, AnonymousEvent("auth.login", ctx),
                                "login challenge not valid (security-key options)");
  }
  if (!renewed.options) {
    // Asked for by someone past the password: refused (409), and audited as the account's.
    auto event = AnonymousEvent("auth.login", ctx);
    const auto& account = renewed.account;
    event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
    event.target = {"account", account.id, account.org_id};
    auto rp_id = RpIdFor(deps_.options.webauthn_rp_id, ctx.origin);
    return deps_.audit.Refuse(std::move(event),
                              rp_id ? Error{ErrorCode::kFailedPrecondition,
                                            "no security key is registered for this account"}
                                    : rp_id.error());
  }
  return std::move(*renewed.options);
}

Result<LoginChallenge> SignIn::RenewCeremony(std::string_view challenge,
                                             const RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto renewed, Renew(challenge, ctx));
  return LoginChallenge{std::string(challenge), std::move(renewed.options), renewed.totp};
}

Result<NewSession> SignIn::Complete(std::string_view challenge, const RequestContext& ctx,
                                    const FactorCheck& check) {
  auto event = AnonymousEvent("auth.login", ctx);
  NewSession session;
  std::string refusal;
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  // One write decides and counts, so concurrent guesses are counted one after another.
  auto done = deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    outcome = Factor::kInvalid;
    refusal = "login challenge not valid";
    session = NewSession{};
    if (challenge.size() != 64) return {};
    ASSIGN_OR_RETURN(auto found, FindChallenge(tx, HashOf(challenge)));
    if (!found) return {};
    const auto& account = found->account;
    event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
    event.target = {"account", account.id, account.org_id};
    if (account.status != "active" || account.expires_at <= deps_.clock.Now()) {
      refusal = "account is not active";
      return {};
    }
    if (!SignsInAt(account.kind, ctx.reach)) {
      refusal = WrongListener(account.kind, ctx.reach);
      return {};
    }
    ASSIGN_OR_RETURN(outcome, check(tx, *found, event, &wait, &refusal));
    if (outcome != Factor::kAccepted) return {};
    return OpenSession(tx, *found, ctx, session, event);
  });
  if (!done) return std::unexpected(done.error());
  if (outcome == Factor::kAccepted) return session;
  return factors_.Refused(outcome, wait, std::move(event), std::move(refusal));
}

}  // namespace strongroom::identity
