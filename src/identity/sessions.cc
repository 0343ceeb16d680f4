#include "identity/sessions.h"

#include <fmt/format.h>

#include "crypto/hash.h"
#include "identity/directory.h"
#include "identity/factor_policy.h"
#include "identity/security_keys.h"

namespace strongroom::identity {

std::string CsrfTokenFor(std::string_view session_token) {
  std::string labelled = "strongroom session csrf\n";
  labelled += session_token;
  return HexEncode(crypto::Sha256(AsBytes(labelled)));
}

Result<SessionTokens> OpenSession(store::Transaction& tx, crypto::Random& random,
                                  const Account& account, std::string_view source, TimePoint now,
                                  int limit) {
  // The newest `limit - 1` stay (the SQL of both backends: no LIMIT -1 or LIMIT ALL).
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM sessions WHERE account_id = ? AND token_hash NOT IN (SELECT "
              "token_hash FROM sessions WHERE account_id = ? ORDER BY created_at DESC LIMIT ?)",
              {account.id, account.id, static_cast<int64_t>(limit - 1)}));
  auto token = random.RandomHex(32);
  SessionTokens tokens{token, CsrfTokenFor(token)};
  const auto now_text = FormatRfc3339(now);
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO sessions (token_hash, account_id, csrf_hash, source, "
              "created_at, last_seen_at, mfa_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
              {HashOf(tokens.token), account.id, HashOf(tokens.csrf_token), std::string(source),
               now_text, now_text, now_text}));
  return tokens;
}

Result<void> EndSessions(store::Transaction& tx, std::string_view account_id) {
  RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE account_id = ?", {std::string(account_id)}));
  return {};
}

Result<std::optional<Principal>> Sessions::Find(const Bytes& token_hash, TimePoint* created,
                                                TimePoint* last_seen) {
  return store::ReadValue<std::optional<Principal>>(
      deps_.store, [&](store::Transaction& tx) -> Result<std::optional<Principal>> {
        // Built once: this runs on every signed-in request.
        static const std::string sql = fmt::format(
            "SELECT {}, s.csrf_hash, s.created_at, s.last_seen_at, s.mfa_at FROM sessions s JOIN "
            "accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
            kAccountColumns);
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {token_hash}));
        if (rows.empty()) return std::nullopt;
        const auto& row = rows.front();
        constexpr int k = kAccountColumnCount;
        auto account = AccountOf(row);
        const auto created_at = ParseRfc3339(row.Text(k + 1));
        const auto seen_at = ParseRfc3339(row.Text(k + 2));
        if (!account || !created_at || !seen_at) return std::nullopt;
        *created = *created_at;
        *last_seen = *seen_at;
        return Principal{std::move(*account), HexEncode(token_hash).substr(0, 16), row.Blob(k),
                         token_hash, row.Text(k + 3)};
      });
}

Result<void> Sessions::WriteUpkeep(Upkeep upkeep, std::string sql, store::Params params) {
  auto fn = [sql = std::move(sql),
             params = std::move(params)](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec(sql, params));
    return {};
  };
  if (upkeep == Upkeep::kWait) return deps_.store.Write(std::move(fn));
  // A failure here shows in the caller's own write, which follows it on the same writer.
  deps_.store.WriteAsync(std::move(fn), [](Result<void>) {});
  return {};
}

Result<Principal> Sessions::Authenticate(std::string_view session_token, Upkeep upkeep,
                                         Touch touch) {
  if (session_token.size() != 64) return NotAuthenticated();
  const auto token_hash = HashOf(session_token);
  const auto now = deps_.clock.Now();
  auto entry = cache_.Find(token_hash);
  if (!entry) {
    // Read before the store: a change committed while it is read makes the entry stale at once.
    const uint64_t generation = cache_.generation();
    SessionCache::Entry read;
    ASSIGN_OR_RETURN(auto principal, Find(token_hash, &read.created, &read.last_seen));
    if (!principal) return NotAuthenticated();
    read.principal = std::move(*principal);
    cache_.Put(token_hash, read, generation);
    entry = std::move(read);
  }
  const auto seen = cache_.LastSeen(token_hash, entry->last_seen);
  const auto& options = deps_.options;
  const auto& account = entry->principal.account;
  const bool alive = account.status == "active" && account.expires_at > now &&
                     now - seen <= options.idle_timeout &&
                     now - entry->created <= options.absolute_timeout;
  if (!alive) {
    cache_.Forget(token_hash);
    RETURN_IF_ERROR(WriteUpkeep(upkeep, "DELETE FROM sessions WHERE token_hash = ?", {token_hash}));
    return NotAuthenticated();
  }
  if (touch == Touch::kUse) cache_.Touch(token_hash, now);
  return std::move(entry->principal);
}

void Sessions::Use(const Principal& principal) {
  cache_.Touch(principal.token_hash, deps_.clock.Now());
}

Result<void> Sessions::Flush() {
  auto touched = cache_.TakeTouched();
  if (touched.empty()) return {};
  auto written = deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    for (const auto& [token_hash, at] : touched) {
      const auto text = FormatRfc3339(at);
      RETURN_IF_ERROR(
          tx.Exec("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at < ?",
                  {text, token_hash, text}));
    }
    return {};
  });
  if (!written) {
    for (const auto& [token_hash, at] : touched) cache_.Touch(token_hash, at);  // next time
  }
  return written;
}

Result<int64_t> Sessions::Live() const {
  const auto now = deps_.clock.Now();
  return store::ReadValue<int64_t>(deps_.store, [&](store::Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(
        auto rows,
        tx.Query("SELECT COUNT(*) FROM sessions WHERE last_seen_at > ? AND created_at > ?",
                 {FormatRfc3339(now - deps_.options.idle_timeout),
                  FormatRfc3339(now - deps_.options.absolute_timeout)}));
    return rows.front().Int(0);
  });
}

Result<void> Sessions::CheckChange(const Principal& principal, bool same_origin,
                                   std::string_view csrf_token, const RequestContext& ctx) const {
  const auto refuse = [&](std::string reason, std::string message) {
    auto event = EventFor(principal, "auth.csrf", "session", principal.session_id, ctx);
    event.target.org = principal.account.org_id;
    event.reason = std::move(reason);
    return deps_.audit.Refuse(std::move(event), {ErrorCode::kPermissionDenied, std::move(message)});
  };
  if (!same_origin) return refuse("another origin", "cross-origin request refused");
  const auto h = HashOf(csrf_token);
  if (csrf_token.size() != 64 || !crypto::ConstantTimeEqual(h, principal.csrf_hash)) {
    return refuse(csrf_token.empty() ? "no CSRF token" : "wrong CSRF token",
                  "missing or wrong X-CSRF-Token");
  }
  return {};
}

Result<void> Sessions::Logout(const Principal& principal, const RequestContext& ctx) {
  auto event = EventFor(principal, "auth.logout", "session", principal.session_id, ctx);
  event.target.org = principal.account.org_id;
  event.allowed = true;
  event.reason = "own session";
  ASSIGN_OR_RETURN(
      auto ok, deps_.audit.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
        RETURN_IF_ERROR(
            tx.Exec("DELETE FROM sessions WHERE token_hash = ?", {principal.token_hash}));
        return true;
      }));
  (void)ok;
  return {};
}

Result<Principal> Sessions::Reauthenticate(const Principal& principal, std::string_view code,
                                           const RequestContext& ctx) {
  const auto& account = principal.account;
  return Reauthenticate(
      principal, ctx,
      [&](store::Transaction& tx, const StoredFactor& stored, audit::Event& event, int64_t* step,
          std::string* reason) -> Result<Factor> {
        ASSIGN_OR_RETURN(auto policy, FactorPolicyOf(tx, account.org_id));
        if (KeyRequired(policy, account.kind)) {
          // Without a key of its own yet (a newcomer, or someone re-enrolled, signed in with a
          // recovery code) the code is how the first key gets added.
          ASSIGN_OR_RETURN(auto keys, UsableKeyIds(tx, account.id));
          if (!keys.empty()) {
            *reason = "a TOTP code, where the organisation requires a security key";
            return Factor::kNotAllowed;
          }
        }
        int64_t wait = 0;  // (not throttled: checked first)
        ASSIGN_OR_RETURN(auto outcome,
                         factors_.Check(tx, account, stored, code, event, step, &wait));
        if (outcome == Factor::kWrong) *reason = "wrong TOTP code";
        return outcome;
      });
}

Result<Principal> Sessions::Reauthenticate(const Principal& principal, const RequestContext& ctx,
                                           const ReauthCheck& check) {
  auto event = EventFor(principal, "auth.reauth", "session", principal.session_id, ctx);
  event.target.org = principal.account.org_id;
  const auto& account = principal.account;
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  std::string mfa_at, reason;
  auto done = deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    outcome = Factor::kInvalid;
    reason = "session not found";
    static const std::string sql = fmt::format(
        "SELECT {}, s.reauth_failures FROM sessions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.token_hash = ? AND a.id = ?",
        kStoredFactorColumns);
    ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {principal.token_hash, account.id}));
    if (rows.empty()) return {};
    const auto stored = StoredFactorOf(rows.front(), 0);
    ASSIGN_OR_RETURN(auto throttled, factors_.Throttled(tx, stored, event, &wait));
    if (throttled) {
      outcome = Factor::kThrottled;
      return {};
    }
    int64_t step = -1;
    ASSIGN_OR_RETURN(outcome, check(tx, stored, event, &step, &reason));
    if (outcome != Factor::kAccepted && outcome != Factor::kWrong) return {};
    if (outcome == Factor::kWrong) {
      event.reason = reason;
      RETURN_IF_ERROR(factors_.Failed(tx, account.id, stored.failures + 1, event));
      const int64_t tries = rows.front().Int(kStoredFactorColumnCount) + 1;
      if (tries < deps_.options.reauth_attempts) {
        RETURN_IF_ERROR(tx.Exec("UPDATE sessions SET reauth_failures = ? WHERE token_hash = ?",
                                {tries, principal.token_hash}));
        return {};
      }
      // Whoever holds this session is guessing: it ends.
      RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE token_hash = ?", {principal.token_hash}));
      return AppendSecurityEvent(deps_.audit, tx, event, "security.session.ended",
                                 fmt::format("{} wrong re-authentications: session ended", tries));
    }
    RETURN_IF_ERROR(
        factors_.Accepted(tx, account.id, step >= 0 ? std::optional<int64_t>(step) : std::nullopt));
    mfa_at = FormatRfc3339(deps_.clock.Now());
    RETURN_IF_ERROR(
        tx.Exec("UPDATE sessions SET mfa_at = ?, reauth_failures = 0 WHERE token_hash = ?",
                {mfa_at, principal.token_hash}));
    event.allowed = true;
    event.reason = "fresh second factor";
    event.outcome = "ok";
    RETURN_IF_ERROR(deps_.audit.Append(tx, event));
    return {};
  });
  if (!done) return std::unexpected(done.error());
  if (outcome != Factor::kAccepted) {
    return factors_.Refused(outcome, wait, std::move(event), std::move(reason));
  }
  Principal fresh = principal;
  fresh.mfa_at = std::move(mfa_at);
  return fresh;
}

Result<void> Sessions::RequireRecentMfa(const Principal& principal) const {
  const auto at = ParseRfc3339(principal.mfa_at);
  if (!at || deps_.clock.Now() - *at > deps_.options.reauth_window) {
    return Fail(ErrorCode::kPermissionDenied,
                "this action needs a fresh second factor: POST /api/v1/auth/reauth first");
  }
  return {};
}

}  // namespace strongroom::identity
