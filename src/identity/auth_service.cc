#include "identity/auth_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/utf8.h"
#include "crypto/hash.h"
#include "crypto/totp.h"
#include "identity/username.h"

namespace strongroom::identity {
namespace {

constexpr auto kTouchEvery = std::chrono::seconds(15);
constexpr std::string_view kIssuer = "Strongroom";

std::unexpected<Error> NotAuthenticated() {
  return Fail(ErrorCode::kUnauthenticated, "the credentials were not accepted");
}

// A security event that follows `from` (same actor, source and request), in the same write.
Result<void> AppendSecurityEvent(audit::AuditLog& log, store::Transaction& tx, audit::Event from,
                                 std::string action, std::string reason) {
  from.action = std::move(action);
  from.reason = std::move(reason);
  from.detail.clear();
  ASSIGN_OR_RETURN(auto seq, log.Append(tx, std::move(from)));
  (void)seq;
  return {};
}

std::unexpected<Error> TooSoon(int64_t wait) {
  return std::unexpected(Error{ErrorCode::kResourceExhausted,
                               "too many wrong attempts; wait before trying again", wait});
}

Bytes HashOf(std::string_view s) {
  const auto d = crypto::Sha256(AsBytes(s));
  return Bytes(d.begin(), d.end());
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

audit::Event EventFor(const Principal& who, std::string action, std::string target_type,
                      std::string_view target_id, const RequestContext& ctx) {
  audit::Event e;
  e.actor = {who.account.id, who.account.username, std::string(Name(who.account.kind)),
             who.session_id};
  e.source = ctx.source;
  e.action = std::move(action);
  e.target = {std::move(target_type), std::string(target_id.substr(0, 64)), ""};
  e.request_id = ctx.request_id;
  return e;
}

Result<void> CheckPasswordPolicy(std::string_view password, Kind kind,
                                 const CommonPasswords& common) {
  const auto n = Utf8CodePoints(password);
  if (!n) return Fail(ErrorCode::kInvalidArgument, "password must be valid UTF-8");
  const size_t min = kind == Kind::kPrivileged ? 15 : 12;
  if (*n < min || *n > 128) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("password must be {} to 128 characters", min));
  }
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument, "password must not contain control characters");
    }
  }
  if (common.IsCommon(password)) {
    return Fail(ErrorCode::kInvalidArgument, "password is too common; choose another");
  }
  return {};
}

struct AuthService::TokenRow {
  Bytes token_hash;
  Account account;
  Bytes totp_key;
  Bytes totp_secret;
  int64_t totp_last_step = -1;
  int64_t mfa_failures = 0;
  std::string mfa_next_allowed_at;
};

AuthService::AuthService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                         const Clock& clock, crypto::Random& random, const CommonPasswords& common,
                         AuthOptions options)
    : store_(store),
      audit_(audit),
      keys_(keys),
      clock_(clock),
      random_(random),
      common_(common),
      options_(std::move(options)),
      buckets_(clock) {
  dummy_hash_ = crypto::HashPassword(random_.RandomHex(16), options_.argon2).value_or("");
}

audit::Event AuthService::MakeEvent(std::string action, const RequestContext& ctx) const {
  audit::Event e;
  e.actor = {"", "", "anonymous", ""};
  e.source = ctx.source;
  e.action = std::move(action);
  e.target = {"account", "", ""};
  e.request_id = ctx.request_id;
  return e;
}

Result<void> AuthService::Refuse(audit::Event event, std::string reason) {
  event.allowed = false;
  event.reason = std::move(reason);
  event.outcome = "unauthenticated";
  RETURN_IF_ERROR(audit_.Record(std::move(event)));
  return NotAuthenticated();
}

Result<AuthService::TokenRow> AuthService::FindEnrolment(store::Transaction& tx,
                                                         std::string_view token) {
  if (token.size() != 64 || !HexDecode(token)) return NotAuthenticated();
  TokenRow row;
  // The stored hash is over the token's bytes, as issued (hex on the wire).
  const auto raw = *HexDecode(token);
  const auto d = crypto::Sha256(raw);
  row.token_hash.assign(d.begin(), d.end());
  ASSIGN_OR_RETURN(
      auto rows,
      tx.Query(fmt::format("SELECT {}, a.totp_key, a.totp_secret, a.totp_last_step, "
                           "a.mfa_failures, a.mfa_next_allowed_at FROM "
                           "enrolment_tokens t JOIN accounts a ON a.id = t.account_id WHERE "
                           "t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ? AND "
                           "a.status = 'pending_enrolment'",
                           kAccountColumns),
               {row.token_hash, FormatRfc3339(clock_.Now())}));
  if (rows.empty()) return NotAuthenticated();
  auto account = AccountOf(rows.front());
  if (!account) return NotAuthenticated();
  row.account = std::move(*account);
  row.totp_key = rows.front().Blob(kAccountColumnCount + 0);
  row.totp_secret = rows.front().Blob(kAccountColumnCount + 1);
  row.totp_last_step = rows.front().Int(kAccountColumnCount + 2);
  row.mfa_failures = rows.front().Int(kAccountColumnCount + 3);
  row.mfa_next_allowed_at = rows.front().Text(kAccountColumnCount + 4);
  return row;
}

Result<EnrolmentStart> AuthService::BeginEnrolment(std::string_view token,
                                                   std::string_view password,
                                                   const RequestContext& ctx) {
  auto event = MakeEvent("auth.enrol.begin", ctx);
  auto lookup = store::ReadValue<TokenRow>(
      store_, [&](store::Transaction& tx) { return FindEnrolment(tx, token); });
  if (!lookup) {
    if (lookup.error().code != ErrorCode::kUnauthenticated) return std::unexpected(lookup.error());
    RETURN_IF_ERROR(Refuse(event, "enrolment token not valid"));
  }
  auto& found = *lookup;
  event.actor = {found.account.id, found.account.username, std::string(Name(found.account.kind)),
                 ""};
  event.target = {"account", found.account.id, found.account.org_id};
  const Error bound{ErrorCode::kAlreadyExists,
                    "this enrolment has begun already: confirm it with a code, or ask an admin "
                    "for a new enrolment token"};
  if (!found.totp_secret.empty()) {
    event.reason = "enrolment begun already";
    return audit_.Refuse(event, bound);
  }
  if (auto policy = CheckPasswordPolicy(password, found.account.kind, common_); !policy) {
    event.reason = "password refused by policy";
    event.allowed = false;
    event.outcome = "invalid_argument";
    RETURN_IF_ERROR(audit_.Record(event));
    return std::unexpected(policy.error());
  }
  ASSIGN_OR_RETURN(auto hash, crypto::HashPassword(password, options_.argon2));
  const auto secret = random_.RandomSecret(20);
  event.allowed = true;
  event.reason = "valid enrolment token";
  ASSIGN_OR_RETURN(
      auto ok,
      audit_.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto again, FindEnrolment(tx, token));  // still valid inside the write
        if (!again.totp_secret.empty()) {                        // another request began it first
          ev.reason = "enrolment begun already";
          return std::unexpected(bound);
        }
        ASSIGN_OR_RETURN(auto sealed, keys_.SealNew(tx, again.account.org_id,
                                                    "totp:" + again.account.id, 1, secret.view()));
        RETURN_IF_ERROR(
            tx.Exec("UPDATE accounts SET password_hash = ?, totp_key = ?, totp_secret = ?, "
                    "totp_last_step = -1 WHERE id = ?",
                    {hash, sealed.wrapped_key, sealed.ciphertext, again.account.id}));
        return true;
      }));
  (void)ok;
  EnrolmentStart start;
  start.totp_uri =
      fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
                  UrlEncode(kIssuer), UrlEncode(found.account.username),
                  Base32Encode(secret.view()), UrlEncode(kIssuer));
  return start;
}

Result<std::vector<std::string>> AuthService::ConfirmEnrolment(std::string_view token,
                                                               std::string_view code,
                                                               const RequestContext& ctx) {
  auto event = MakeEvent("auth.enrol.confirm", ctx);
  std::vector<std::string> codes;
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  // One write checks and counts: a wrong code is slowed down like any second factor, and the
  // enrolment token is spent after as many wrong codes as a sign-in challenge allows, so a token
  // caught in transit cannot be used to guess the code the owner's app shows.
  auto done = store_.Write([&](store::Transaction& tx) -> Result<void> {
    codes.clear();
    outcome = Factor::kInvalid;
    auto found = FindEnrolment(tx, token);
    if (!found)
      return found.error().code == ErrorCode::kUnauthenticated
                 ? Result<void>{}
                 : Result<void>(std::unexpected(found.error()));
    const auto& row = *found;
    event.actor = {row.account.id, row.account.username, std::string(Name(row.account.kind)), ""};
    event.target = {"account", row.account.id, row.account.org_id};
    if (row.totp_secret.empty()) return {};
    ASSIGN_OR_RETURN(auto too_soon,
                     SecondFactorThrottled(tx, event, row.mfa_next_allowed_at, &wait));
    if (too_soon) {
      outcome = Factor::kThrottled;
      return {};
    }
    ASSIGN_OR_RETURN(auto secret, keys_.Open(tx, row.account.org_id, "totp:" + row.account.id, 1,
                                             row.totp_key, row.totp_secret));
    auto step = crypto::VerifyTotp(secret, code, clock_.Now(), row.totp_last_step);
    SecureWipe(secret);
    const auto now = FormatRfc3339(clock_.Now());
    if (!step) {
      outcome = Factor::kWrong;
      const int64_t failures = row.mfa_failures + 1;
      event.reason = "wrong TOTP code";
      RETURN_IF_ERROR(SecondFactorFailed(tx, row.account.id, failures, event));
      if (failures < options_.challenge_attempts) return {};
      RETURN_IF_ERROR(tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE token_hash = ?",
                              {now, row.token_hash}));
      return AppendSecurityEvent(
          audit_, tx, event, "security.enrolment.ended",
          fmt::format("{} wrong codes: the enrolment token is spent", failures));
    }
    outcome = Factor::kAccepted;
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET status = 'active', totp_last_step = ?, "
                "mfa_failures = 0, mfa_next_allowed_at = '' WHERE id = ?",
                {*step, row.account.id}));
    RETURN_IF_ERROR(tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE token_hash = ?",
                            {now, row.token_hash}));
    for (int i = 0; i < kRecoveryCodes; ++i) {
      auto c = Base32Encode(random_.RandomBytes(10));  // 80 bits, 16 characters
      RETURN_IF_ERROR(tx.Exec("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                              {row.account.id, HashOf(c)}));
      codes.push_back(std::move(c));
    }
    event.allowed = true;
    event.reason = "enrolment token and first TOTP code";
    event.outcome = "ok";
    ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
    (void)seq;
    return {};
  });
  if (!done) return std::unexpected(done.error());
  if (outcome == Factor::kAccepted) return codes;
  return FactorRefused(outcome, wait, std::move(event), "enrolment token not valid");
}

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

}  // namespace

struct AuthService::PasswordStep {
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

namespace {

constexpr const char* kKnownDeviceSql =
    "SELECT d.locked_until FROM known_devices d JOIN accounts a ON a.id = d.account_id WHERE "
    "d.device_hash = ? AND a.username = ? AND d.last_used_at > ?";

}  // namespace

Result<bool> AuthService::KnownDevice(std::string_view name, const Bytes& device_hash) {
  return store::ReadValue<bool>(store_, [&](store::Transaction& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto rows, tx.Query(kKnownDeviceSql,
                                         {device_hash, std::string(name),
                                          FormatRfc3339(clock_.Now() - options_.device_lifetime)}));
    return !rows.empty();
  });
}

Result<AuthService::PasswordStep> AuthService::Reserve(std::string_view name,
                                                       const std::string& key,
                                                       const Bytes& device_hash, bool known_device,
                                                       const RequestContext& ctx) {
  PasswordStep step;
  step.key = key;
  step.device_hash = device_hash;
  step.known_device = known_device;
  step.throttle_source =
      known_device ? "device:" + HexEncode(device_hash).substr(0, 16) : ctx.source;
  const auto now = clock_.Now();
  const int64_t limit = options_.lock_after_failures;
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    step.account.reset();
    step.throttle_wait = 0;
    step.locked = false;
    step.lock_set.clear();
    step.lock_note.clear();
    // (1) The delay per (username, source or device): too soon, and nothing is checked or counted.
    ASSIGN_OR_RETURN(auto t, tx.Query("SELECT failures, next_allowed_at FROM login_throttle "
                                      "WHERE username = ? AND source = ?",
                                      {key, step.throttle_source}));
    if (!t.empty()) {
      if (auto next = ParseRfc3339(t.front().Text(1)); next && *next > now) {
        step.throttle_wait = std::chrono::ceil<std::chrono::seconds>(*next - now).count();
        return {};
      }
    }
    const int64_t failures = (t.empty() ? 0 : t.front().Int(0)) + 1;
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO login_throttle (username, source, failures, next_allowed_at) VALUES (?, ?, ?, "
        "?) ON CONFLICT (username, source) DO UPDATE SET failures = excluded.failures, "
        "next_allowed_at = excluded.next_allowed_at",
        {key, step.throttle_source, failures, FormatRfc3339(now + DelayAfter(failures))}));
    // The account as it stands now; a malformed name is looked up as "", which names none.
    static const std::string sql = fmt::format(
        "SELECT {}, a.password_hash, a.failed_logins, a.unknown_locked_until, a.unknown_locks "
        "FROM accounts a WHERE a.username = ?",
        kAccountColumns);
    ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(name)}));
    constexpr int k = kAccountColumnCount;
    const std::string account_id = rows.empty() ? "" : rows.front().Text(0);
    Allowance unknown;
    if (!rows.empty()) unknown = {rows.front().Int(k + 1), rows.front().Text(k + 2)};
    int64_t locks = rows.empty() ? 0 : rows.front().Int(k + 3);
    if (!rows.empty()) {
      step.account = AccountOf(rows.front());
      step.password_hash = rows.front().Text(k);
    }
    // (3) Unknown devices: counted, and locked out at the limit, unless a lock holds already.
    if (!known_device) {
      const auto counted = CountAgainst(unknown, now, limit, LockDuration(locks));
      step.locked = counted.held;
      if (!counted.lock_set.empty()) {
        ++locks;
        step.lock_set = counted.lock_set;
        step.lock_note = "; unknown devices locked out until " + counted.lock_set;
      }
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET failed_logins = ?, unknown_locked_until = ?, "
                "unknown_locks = ? WHERE id = ?",
                {unknown.failures, unknown.locked_until, locks, account_id}));
    // (5) A known device's own allowance.
    ASSIGN_OR_RETURN(auto d, tx.Query("SELECT failures, locked_until FROM known_devices WHERE "
                                      "device_hash = ? AND account_id = ?",
                                      {device_hash, account_id}));
    Allowance device;
    if (!d.empty()) device = {d.front().Int(0), d.front().Text(1)};
    if (known_device) {
      const auto counted = CountAgainst(device, now, limit, LockDuration(0));
      step.locked = counted.held;
      if (!counted.lock_set.empty()) {
        step.lock_set = counted.lock_set;
        step.lock_note = "; this device locked out until " + counted.lock_set;
      }
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE known_devices SET failures = ?, locked_until = ? WHERE "
                "device_hash = ? AND account_id = ?",
                {device.failures, device.locked_until, device_hash, account_id}));
    return {};
  }));
  return step;
}

Result<void> AuthService::LoginFailed(audit::Event event, std::string reason,
                                      const PasswordStep& step) {
  // "" names no account: the statements run all the same for an unknown username.
  const std::string account_id = step.account ? step.account->id : "";
  return store_.Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET failures_unseen = failures_unseen + 1, "
                "last_failure_at = ? WHERE id = ?",
                {FormatRfc3339(clock_.Now()), account_id}));
    event.allowed = false;
    event.reason = reason + step.lock_note;
    event.outcome = "unauthenticated";
    ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
    (void)seq;
    return {};
  });
}

Result<std::string> AuthService::Login(std::string_view username, std::string_view password,
                                       std::string_view device_token, const RequestContext& ctx) {
  auto event = MakeEvent("auth.login.password", ctx);
  auto name = CanonicalUsername(username, {});
  // Only a well-formed username is recorded: people do type their password into the username
  // field, and the audit log must never hold a password.
  event.actor.username = name ? *name : "(malformed username)";
  // The throttling key: the name as typed, folded, whether or not such an account exists. A
  // malformed name is kept only as its hash: it is often a password typed in the wrong field.
  std::string key(username.substr(0, 256));
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!name) key = "malformed:" + HexEncode(HashOf(key));
  auto throttled = [&](int64_t wait, std::string reason) -> Result<std::string> {
    auto e = event;
    e.action = "security.throttled";
    e.allowed = false;
    e.reason = std::move(reason);
    e.outcome = "resource_exhausted";
    RETURN_IF_ERROR(audit_.Record(std::move(e)));
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
  if (!*known) {
    if (const int64_t wait = buckets_.Take(ctx.source); wait > 0) {
      return throttled(wait, "too many attempts from this address");
    }
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
  auto failed = [&](std::string reason) -> Result<std::string> {
    RETURN_IF_ERROR(LoginFailed(event, std::move(reason), step));
    return NotAuthenticated();
  };
  if (!step.account) return failed("unknown username");
  const auto& account = *step.account;
  event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
  event.target = {"account", account.id, account.org_id};
  event.detail["device"] = step.known_device ? "known" : "unknown";
  const auto now = clock_.Now();
  if (step.locked) {
    return failed(step.known_device ? "this device is locked out after repeated failures"
                                    : "unknown devices are locked out after repeated failures");
  }
  if (!password_ok) return failed("wrong password");
  if (account.status != "active" || account.expires_at <= now) {
    return failed("account is " +
                  (account.status == "active" ? std::string("past its expiry") : account.status));
  }
  // A success: the count Reserve took is given back, with any lock it set.
  refund();
  const std::string challenge = random_.RandomHex(32);
  event.allowed = true;
  event.reason = "password accepted; MFA required";
  ASSIGN_OR_RETURN(auto ok, audit_.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    if (step.known_device) {
      RETURN_IF_ERROR(
          tx.Exec("UPDATE known_devices SET failures = 0, locked_until = CASE WHEN "
                  "? <> '' AND locked_until = ? THEN '' ELSE locked_until END WHERE "
                  "device_hash = ?",
                  {step.lock_set, step.lock_set, device_hash}));
    } else {
      RETURN_IF_ERROR(tx.Exec(
          "UPDATE accounts SET failed_logins = 0, unknown_locks = CASE WHEN ? <> '' AND "
          "unknown_locked_until = ? THEN max(unknown_locks - 1, 0) ELSE unknown_locks END, "
          "unknown_locked_until = CASE WHEN ? <> '' AND unknown_locked_until = ? THEN '' ELSE "
          "unknown_locked_until END WHERE id = ?",
          {step.lock_set, step.lock_set, step.lock_set, step.lock_set, account.id}));
    }
    RETURN_IF_ERROR(tx.Exec("DELETE FROM login_throttle WHERE username = ? AND source = ?",
                            {key, step.throttle_source}));
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO login_challenges (challenge_hash, account_id, expires_at, device_hash) "
        "VALUES (?, ?, ?, ?)",
        {HashOf(challenge), account.id, FormatRfc3339(now + options_.challenge_ttl),
         step.known_device ? store::Value(device_hash) : store::Value()}));
    return true;
  }));
  (void)ok;
  return challenge;
}

std::unexpected<Error> AuthService::FactorRefused(Factor outcome, int64_t wait, audit::Event event,
                                                  std::string reason) {
  switch (outcome) {
    case Factor::kThrottled:
      return TooSoon(wait);
    case Factor::kWrong:  // counted and audited in the write that checked it
      return NotAuthenticated();
    case Factor::kAccepted:
    case Factor::kInvalid:
      break;
  }
  auto refused = Refuse(std::move(event), std::move(reason));
  return std::unexpected(refused ? NotAuthenticated().error() : refused.error());
}

Result<bool> AuthService::SecondFactorThrottled(store::Transaction& tx, audit::Event event,
                                                std::string_view next_allowed_at, int64_t* wait) {
  const auto now = clock_.Now();
  const auto next = ParseRfc3339(next_allowed_at);
  if (!next || *next <= now) return false;
  *wait = std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(*next - now).count());
  event.action = "security.throttled";
  event.allowed = false;
  event.reason = "second factor tried again too soon after repeated wrong codes";
  event.outcome = "resource_exhausted";
  ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, std::move(event)));
  (void)seq;
  return true;
}

Result<void> AuthService::SecondFactorFailed(store::Transaction& tx, const std::string& account_id,
                                             int64_t failures, audit::Event event) {
  const auto now = clock_.Now();
  const auto now_text = FormatRfc3339(now);
  RETURN_IF_ERROR(
      tx.Exec("UPDATE accounts SET mfa_failures = ?, mfa_next_allowed_at = ?, "
              "failures_unseen = failures_unseen + 1, last_failure_at = ? WHERE id = ?",
              {failures, FormatRfc3339(now + DelayAfter(failures)), now_text, account_id}));
  event.allowed = false;
  event.outcome = "unauthenticated";
  event.detail["second_factor_failures"] = std::to_string(failures);
  ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
  (void)seq;
  if (failures < options_.lock_after_failures) return {};
  ASSIGN_OR_RETURN(auto locked, tx.Exec("UPDATE accounts SET status = 'locked' WHERE id = ? AND "
                                        "status = 'active'",
                                        {account_id}));
  if (locked == 0) return {};
  RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE account_id = ?", {account_id}));
  return AppendSecurityEvent(
      audit_, tx, std::move(event), "security.mfa.locked",
      fmt::format("{} wrong second factors in a row: account locked and its sessions ended until "
                  "an admin unlocks it",
                  failures));
}

Result<NewSession> AuthService::CompleteMfa(std::string_view challenge, std::string_view code,
                                            const RequestContext& ctx) {
  auto event = MakeEvent("auth.login", ctx);
  NewSession session;
  std::string refusal;
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  const auto now = clock_.Now();
  const auto now_text = FormatRfc3339(now);
  // One write decides and counts, so concurrent guesses are counted one after another.
  auto done = store_.Write([&](store::Transaction& tx) -> Result<void> {
    outcome = Factor::kInvalid;
    refusal = "login challenge not valid";
    session = NewSession{};
    if (challenge.size() != 64) return {};
    const auto challenge_hash = HashOf(challenge);
    static const std::string sql = fmt::format(
        "SELECT {}, a.totp_key, a.totp_secret, a.totp_last_step, c.device_hash, a.mfa_failures, "
        "a.mfa_next_allowed_at, a.failures_unseen, a.last_failure_at FROM login_challenges c JOIN "
        "accounts a ON a.id = c.account_id WHERE c.challenge_hash = ? AND c.expires_at > ?",
        kAccountColumns);
    ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {challenge_hash, now_text}));
    if (rows.empty()) return {};
    const auto& row = rows.front();
    constexpr int k = kAccountColumnCount;
    const auto parsed = AccountOf(row);
    if (!parsed) return {};
    const auto& account = *parsed;
    event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
    event.target = {"account", account.id, account.org_id};
    if (account.status != "active" || account.expires_at <= now) {
      refusal = "account is not active";
      return {};
    }
    ASSIGN_OR_RETURN(auto too_soon, SecondFactorThrottled(tx, event, row.Text(k + 5), &wait));
    if (too_soon) {
      outcome = Factor::kThrottled;
      return {};
    }
    ASSIGN_OR_RETURN(auto secret, keys_.Open(tx, account.org_id, "totp:" + account.id, 1,
                                             row.Blob(k + 0), row.Blob(k + 1)));
    auto step = crypto::VerifyTotp(secret, code, now, row.Int(k + 2));
    SecureWipe(secret);
    bool accepted = step.has_value();
    if (step) {
      RETURN_IF_ERROR(
          tx.Exec("UPDATE accounts SET totp_last_step = ? WHERE id = ?", {*step, account.id}));
    } else if (code.size() == 16) {
      ASSIGN_OR_RETURN(auto used, tx.Exec("UPDATE recovery_codes SET used_at = ? WHERE account_id "
                                          "= ? AND code_hash = ? AND used_at IS NULL",
                                          {now_text, account.id, HashOf(code)}));
      accepted = used == 1;
      if (accepted) event.detail["method"] = "recovery_code";
    }
    if (!accepted) {
      outcome = Factor::kWrong;
      // The challenge dies after too many; the account counts every wrong code.
      RETURN_IF_ERROR(
          tx.Exec("UPDATE login_challenges SET failures = failures + 1 WHERE challenge_hash = ?",
                  {challenge_hash}));
      RETURN_IF_ERROR(
          tx.Exec("DELETE FROM login_challenges WHERE challenge_hash = ? AND failures >= ?",
                  {challenge_hash, static_cast<int64_t>(options_.challenge_attempts)}));
      event.reason = "wrong MFA code";
      return SecondFactorFailed(tx, account.id, row.Int(k + 4) + 1, event);
    }
    outcome = Factor::kAccepted;
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM login_challenges WHERE challenge_hash = ?", {challenge_hash}));
    // Concurrent sessions: make room by ending the oldest.
    const int limit = account.kind == Kind::kPrivileged ? options_.sessions_privileged
                                                        : options_.sessions_standard;
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM "
                "sessions WHERE account_id = ? ORDER BY created_at DESC LIMIT -1 "
                "OFFSET ?)",
                {account.id, static_cast<int64_t>(limit - 1)}));
    session.token = random_.RandomHex(32);
    session.csrf_token = random_.RandomHex(32);
    session.account = account;
    session.failed_attempts = row.Int(k + 6);
    if (session.failed_attempts > 0) session.last_failed_at = row.Text(k + 7);
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO sessions (token_hash, account_id, csrf_hash, source, "
                "created_at, last_seen_at, mfa_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                {HashOf(session.token), account.id, HashOf(session.csrf_token), ctx.source,
                 now_text, now_text, now_text}));
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET last_login_at = ?, mfa_failures = 0, "
                "mfa_next_allowed_at = '', failures_unseen = 0 WHERE id = ?",
                {now_text, account.id}));
    // A known device is refreshed; any other client becomes a known device of the account.
    if (!row.IsNull(k + 3)) {
      session.device_known = true;
      RETURN_IF_ERROR(
          tx.Exec("UPDATE known_devices SET last_used_at = ?, failures = 0, "
                  "locked_until = '' WHERE device_hash = ? AND account_id = ?",
                  {now_text, row.Blob(k + 3), account.id}));
    } else {
      // A full sign-in from an unknown device ends the escalation of unknown-device locks.
      RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET unknown_locks = 0 WHERE id = ?", {account.id}));
      session.device_token = random_.RandomHex(32);
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO known_devices (device_hash, account_id, created_at, "
                  "last_used_at) VALUES (?, ?, ?, ?)",
                  {HashOf(session.device_token), account.id, now_text, now_text}));
      RETURN_IF_ERROR(tx.Exec(
          "DELETE FROM known_devices WHERE account_id = ? AND device_hash NOT IN (SELECT "
          "device_hash FROM known_devices WHERE account_id = ? ORDER BY last_used_at DESC LIMIT ?)",
          {account.id, account.id, static_cast<int64_t>(options_.devices_per_account)}));
      event.detail["device"] = "new";
    }
    event.actor.session = HexEncode(HashOf(session.token)).substr(0, 16);
    event.allowed = true;
    event.reason = "password and second factor";
    event.outcome = "ok";
    if (session.failed_attempts > 0) {
      event.detail["failed_attempts_shown"] = std::to_string(session.failed_attempts);
    }
    ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
    (void)seq;
    return {};
  });
  if (!done) return std::unexpected(done.error());
  if (outcome == Factor::kAccepted) return session;
  return FactorRefused(outcome, wait, std::move(event), std::move(refusal));
}

Result<Principal> AuthService::Authenticate(std::string_view session_token,
                                            const RequestContext& ctx, Upkeep upkeep) {
  (void)ctx;
  if (session_token.size() != 64) return NotAuthenticated();
  const auto token_hash = HashOf(session_token);
  const auto now = clock_.Now();
  std::optional<Principal> principal;
  std::string created, last_seen;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    // Built once: this runs on every signed-in request.
    static const std::string sql = fmt::format(
        "SELECT {}, s.csrf_hash, s.created_at, s.last_seen_at, s.mfa_at FROM sessions s JOIN "
        "accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
        kAccountColumns);
    ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {token_hash}));
    if (rows.empty()) return {};
    auto account = AccountOf(rows.front());
    if (!account) return {};
    principal = Principal{std::move(*account), HexEncode(token_hash).substr(0, 16),
                          rows.front().Blob(kAccountColumnCount + 0), token_hash,
                          rows.front().Text(kAccountColumnCount + 3)};
    created = rows.front().Text(kAccountColumnCount + 1);
    last_seen = rows.front().Text(kAccountColumnCount + 2);
    return {};
  }));
  if (!principal) return NotAuthenticated();
  const auto created_t = ParseRfc3339(created), seen_t = ParseRfc3339(last_seen);
  const bool alive = created_t && seen_t && principal->account.status == "active" &&
                     principal->account.expires_at > now &&
                     now - *seen_t <= options_.idle_timeout &&
                     now - *created_t <= options_.absolute_timeout;
  auto write = [&](std::string sql, store::Params params) -> Result<void> {
    auto fn = [sql = std::move(sql),
               params = std::move(params)](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(sql, params));
      return {};
    };
    if (upkeep == Upkeep::kWait) return store_.Write(std::move(fn));
    // A failure here shows in the caller's own write, which follows it on the same writer.
    store_.WriteAsync(std::move(fn), [](Result<void>) {});
    return {};
  };
  if (!alive) {
    RETURN_IF_ERROR(write("DELETE FROM sessions WHERE token_hash = ?", {token_hash}));
    return NotAuthenticated();
  }
  if (now - *seen_t >= kTouchEvery) {
    RETURN_IF_ERROR(write("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                          {FormatRfc3339(now), token_hash}));
  }
  return *principal;
}

Result<Principal> AuthService::AuthenticateToken(std::string_view api_token,
                                                 const RequestContext& ctx) {
  if (api_token.size() != 68 || !api_token.starts_with("srt_") || !HexDecode(api_token.substr(4))) {
    return std::unexpected(Refuse(MakeEvent("auth.token", ctx), "malformed API token").error());
  }
  const auto hash = HashOf(api_token);
  const auto now = FormatRfc3339(clock_.Now());
  std::optional<Principal> principal;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query(fmt::format("SELECT {}, t.id FROM api_tokens t JOIN accounts a ON "
                                          "a.id = t.account_id WHERE t.token_hash = ? AND "
                                          "t.revoked_at IS NULL AND t.expires_at > ? AND "
                                          "a.status = 'active' AND a.expires_at > ? AND "
                                          "(SELECT o.status FROM organisations o WHERE o.id = "
                                          "a.org_id) = 'active' AND "
                                          "a.kind = 'service'",
                                          kAccountColumns),
                              {hash, now, now}));
    if (rows.empty()) return {};
    auto account = AccountOf(rows.front());
    if (!account) return {};
    principal = Principal{
        std::move(*account), "tok-" + rows.front().Text(kAccountColumnCount), {}, hash, ""};
    return {};
  }));
  if (!principal) {
    return std::unexpected(
        Refuse(MakeEvent("auth.token", ctx), "API token unknown, revoked or expired").error());
  }
  return *principal;
}

Result<void> AuthService::CheckCsrf(const Principal& principal, std::string_view csrf_token) const {
  const auto h = HashOf(csrf_token);
  if (csrf_token.size() != 64 || !crypto::ConstantTimeEqual(h, principal.csrf_hash)) {
    return Fail(ErrorCode::kPermissionDenied, "missing or wrong X-CSRF-Token");
  }
  return {};
}

Result<void> AuthService::Logout(const Principal& principal, const RequestContext& ctx) {
  auto event = MakeEvent("auth.logout", ctx);
  event.actor = {principal.account.id, principal.account.username,
                 std::string(Name(principal.account.kind)), principal.session_id};
  event.target = {"session", principal.session_id, principal.account.org_id};
  event.allowed = true;
  event.reason = "own session";
  ASSIGN_OR_RETURN(auto ok, audit_.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM sessions WHERE account_id = ? AND substr(hex(token_hash), "
                "1, 16) = upper(?)",
                {principal.account.id, principal.session_id}));
    return true;
  }));
  (void)ok;
  return {};
}

Result<void> AuthService::Reauthenticate(const Principal& principal, std::string_view code,
                                         const RequestContext& ctx) {
  auto event = MakeEvent("auth.reauth", ctx);
  event.actor = {principal.account.id, principal.account.username,
                 std::string(Name(principal.account.kind)), principal.session_id};
  event.target = {"session", principal.session_id, principal.account.org_id};
  const auto now = clock_.Now();
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  auto done = store_.Write([&](store::Transaction& tx) -> Result<void> {
    outcome = Factor::kInvalid;
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT a.totp_key, a.totp_secret, a.totp_last_step, "
                                         "a.mfa_failures, a.mfa_next_allowed_at, "
                                         "s.reauth_failures FROM sessions s JOIN accounts a ON "
                                         "a.id = s.account_id WHERE s.token_hash = ? AND a.id = ?",
                                         {principal.token_hash, principal.account.id}));
    if (rows.empty()) return {};
    const auto& row = rows.front();
    ASSIGN_OR_RETURN(auto too_soon, SecondFactorThrottled(tx, event, row.Text(4), &wait));
    if (too_soon) {
      outcome = Factor::kThrottled;
      return {};
    }
    ASSIGN_OR_RETURN(auto secret,
                     keys_.Open(tx, principal.account.org_id, "totp:" + principal.account.id, 1,
                                row.Blob(0), row.Blob(1)));
    auto step = crypto::VerifyTotp(secret, code, now, row.Int(2));
    SecureWipe(secret);
    if (!step) {
      outcome = Factor::kWrong;
      event.reason = "wrong TOTP code";
      RETURN_IF_ERROR(SecondFactorFailed(tx, principal.account.id, row.Int(3) + 1, event));
      const int64_t tries = row.Int(5) + 1;
      if (tries < options_.reauth_attempts) {
        RETURN_IF_ERROR(tx.Exec("UPDATE sessions SET reauth_failures = ? WHERE token_hash = ?",
                                {tries, principal.token_hash}));
        return {};
      }
      // Whoever holds this session is guessing: it ends.
      RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE token_hash = ?", {principal.token_hash}));
      return AppendSecurityEvent(
          audit_, tx, event, "security.session.ended",
          fmt::format("{} wrong re-authentication codes: session ended", tries));
    }
    outcome = Factor::kAccepted;
    RETURN_IF_ERROR(
        tx.Exec("UPDATE accounts SET totp_last_step = ?, mfa_failures = 0, "
                "mfa_next_allowed_at = '' WHERE id = ?",
                {*step, principal.account.id}));
    RETURN_IF_ERROR(
        tx.Exec("UPDATE sessions SET mfa_at = ?, reauth_failures = 0 WHERE token_hash = ?",
                {FormatRfc3339(now), principal.token_hash}));
    event.allowed = true;
    event.reason = "fresh second factor";
    event.outcome = "ok";
    ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
    (void)seq;
    return {};
  });
  if (!done) return std::unexpected(done.error());
  if (outcome == Factor::kAccepted) return {};
  return FactorRefused(outcome, wait, std::move(event), "session not found");
}

Result<void> AuthService::RequireRecentMfa(const Principal& principal) const {
  const auto at = ParseRfc3339(principal.mfa_at);
  if (!at || clock_.Now() - *at > options_.reauth_window) {
    return Fail(ErrorCode::kPermissionDenied,
                "this action needs a fresh second factor: POST /api/v1/auth/reauth first");
  }
  return {};
}

}  // namespace strongroom::identity
