#pragma once
// Sessions: the session cookie authenticated on every signed-in request (idle and absolute
// timeouts, the account and its organisation still active), the CSRF token, sign-out, and a fresh
// second factor for the actions that need one. Identity owns the sessions table: the other
// modules end sessions through EndSessions. Authentication is answered from memory
// (session_cache.h), which every change to a session, an account or an organisation invalidates
// before it is acknowledged; a request writes nothing, and the sessions' last uses reach the
// store every kFlushEvery through Flush.

#include <functional>
#include <string>
#include <string_view>

#include "identity/auth_common.h"
#include "identity/second_factor.h"
#include "identity/session_cache.h"

namespace strongroom::identity {

// The secrets of a session just opened: shown once, to the client, and stored only as hashes.
struct SessionTokens {
  std::string token;       // the session cookie's value
  std::string csrf_token;  // echoed by the client in X-CSRF-Token: CsrfTokenFor(token)
};

// A session's CSRF token: derived from its token (SHA-256 under a label of its own), so that the
// console can put it into its forms from the cookie each page request carries; it cannot be
// derived from what the store keeps (hashes of both).
std::string CsrfTokenFor(std::string_view session_token);

// Opens a session for `account` from `source`, first ending its oldest sessions beyond `limit`.
Result<SessionTokens> OpenSession(store::Transaction& tx, crypto::Random& random,
                                  const Account& account, std::string_view source, TimePoint now,
                                  int limit);

// Ends every session of the account.
Result<void> EndSessions(store::Transaction& tx, std::string_view account_id);

class Sessions {
 public:
  static constexpr auto kFlushEvery = std::chrono::seconds(15);

  Sessions(const AuthDeps& deps, SecondFactors& factors)
      : deps_(deps), factors_(factors), cache_(deps.store) {}

  // kWait: the end of a session found dead is written before the answer; kQueue: it is queued
  // on the writer, for reads that write nothing else.
  enum class Upkeep { kWait, kQueue };
  // kUse: the request uses the session (its idle timeout counts from now); kCheck: it does not
  // yet, until the caller has checked the rest of the request and calls Use (a state-changing
  // request refused for its origin or CSRF token must not keep a session alive).
  enum class Touch { kUse, kCheck };
  Result<Principal> Authenticate(std::string_view session_token, Upkeep upkeep = Upkeep::kWait,
                                 Touch touch = Touch::kUse);
  void Use(const Principal& principal);
  // Whether a state-changing request on this session may go on: it came from the service's own
  // origin (`same_origin`) and carries the session's CSRF token. A refusal is audited
  // (auth.csrf), and never names the token.
  Result<void> CheckChange(const Principal& principal, bool same_origin,
                           std::string_view csrf_token, const RequestContext& ctx) const;
  Result<void> Logout(const Principal& principal, const RequestContext& ctx);
  // A fresh second factor on this session; wrong ones count for the account, and end the
  // session after AuthOptions::reauth_attempts. Returns the principal with its second factor
  // fresh as of now: for a request that proves it and then acts at once (the console asks for
  // the code with the action's form).
  // With a TOTP code; refused (403, unchecked, uncounted) where the organisation requires a
  // security key (factor_policy.h) and the account has one: then SecurityKeys::Reauthenticate.
  Result<Principal> Reauthenticate(const Principal& principal, std::string_view code,
                                   const RequestContext& ctx);
  // What a re-authentication checks inside its write, once it is not throttled, given the
  // account's stored factor: kAccepted (with *step, a TOTP code's), or kWrong (counted here),
  // kInvalid or kNotAllowed with *reason for the audit log.
  using ReauthCheck =
      std::function<Result<Factor>(store::Transaction& tx, const StoredFactor& stored,
                                   audit::Event& event, int64_t* step, std::string* reason)>;
  Result<Principal> Reauthenticate(const Principal& principal, const RequestContext& ctx,
                                   const ReauthCheck& check);
  Result<void> RequireRecentMfa(const Principal& principal) const;
  // Sessions alive as of their last recorded use (recorded every kFlushEvery), for the metrics.
  Result<int64_t> Live() const;
  // Writes the last uses seen since the last call to the store.
  Result<void> Flush();

 private:
  Result<std::optional<Principal>> Find(const Bytes& token_hash, TimePoint* created,
                                        TimePoint* last_seen);
  Result<void> WriteUpkeep(Upkeep upkeep, std::string sql, store::Params params);

  const AuthDeps& deps_;
  SecondFactors& factors_;
  SessionCache cache_;
};

}  // namespace strongroom::identity
